/**
 * stripe-mock (https://github.com/stripe/stripe-mock): Stripe's own stand-in
 * for its API, a Go program that validates every request against Stripe's
 * OpenAPI spec and answers with fixture objects. Stateless: ids are random,
 * some parameters are reflected, nothing is kept and Idempotency-Key is ignored
 * (dev/stripe-idempotency-proxy.ts adds that in front of it).
 *
 * Finding it works like dev/temporal-cli.ts: STRIPE_MOCK_PATH (`path`), then
 * `stripe-mock` on PATH, then `$(go env GOBIN or GOPATH)/bin/stripe-mock`, else
 * `go install github.com/stripe/stripe-mock@v0.203.0` through the Go module proxy.
 * The caller reads the environment and hands in STRIPE_MOCK_PATH and PATH.
 *
 * Orphans: like the Temporal dev server the child is not detached (a Ctrl-C to
 * the terminal's process group stops it too) and is SIGTERMed from a process
 * 'exit' hook; only a SIGKILLed parent leaves it running, holding a random port.
 */
import { spawn } from "node:child_process";
import { findOrGoInstall, type GoTool } from "./go-tools.js";
import { stopChild } from "./stop-child.js";

export const STRIPE_MOCK_VERSION = "v0.203.0";
export const STRIPE_MOCK_MODULE = "github.com/stripe/stripe-mock";
/** The key stripe-mock's docs use; it accepts any `sk_test_` followed by letters and digits. */
const PROBE_KEY = "sk_test_123";
const READY_DEADLINE_MS = 30_000;

const STRIPE_MOCK: GoTool = {
  title: "stripe-mock (Stripe's API stand-in for the payment tests)",
  exe: "stripe-mock",
  module: STRIPE_MOCK_MODULE,
  versions: [STRIPE_MOCK_VERSION],
  pathVariable: "STRIPE_MOCK_PATH",
  buildTakes: "up to a minute",
};

export async function findOrBuildStripeMock(opts: {
  /** STRIPE_MOCK_PATH; when set it must be right, nothing else is tried. */
  path?: string;
  /** The PATH to search. */
  pathEnv?: string;
  log?: (msg: string) => void;
}): Promise<string> {
  return findOrGoInstall(STRIPE_MOCK, { explicitPath: opts.path, pathEnv: opts.pathEnv, log: opts.log });
}

export interface StripeMock {
  /** "http://127.0.0.1:PORT": plain HTTP, for STRIPE_API_BASE (or a proxy's target). */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v1/customers`, { headers: { Authorization: `Bearer ${PROBE_KEY}` }, signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function startStripeMock(opts: {
  binary: string;
  /** HTTP port on 127.0.0.1; omit (or 0) to let the OS pick a free one. */
  port?: number;
  onLog?: (line: string) => void;
}): Promise<StripeMock> {
  const log = opts.onLog ?? (() => {});
  // Both listeners on loopback. Port 0 lets the OS choose and stripe-mock prints what it got, so there is
  // no window in which someone else takes a port we picked. HTTPS must be named too: left out, it binds :12112.
  const args = ["-http-addr", `127.0.0.1:${opts.port ?? 0}`, "-https-addr", "127.0.0.1:0"];
  const child = spawn(opts.binary, args, { stdio: ["ignore", "pipe", "pipe"], detached: false });

  const recent: string[] = [];
  let httpAddress: string | undefined;
  const onLines = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      log(line);
      // "Listening for HTTP at address: 127.0.0.1:40445"
      const m = /Listening for HTTP at address: (\S+)/.exec(line);
      if (m) httpAddress = m[1];
    }
  };
  child.stdout.on("data", onLines);
  child.stderr.on("data", onLines);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  child.once("error", (err) => {
    spawnError = err;
    exited ??= { code: null, signal: null };
  });
  const killOnExit = () => {
    if (!exited) child.kill("SIGTERM");
  };
  process.on("exit", killOnExit);
  const stop = async () => {
    process.off("exit", killOnExit);
    if (exited || spawnError) return;
    await stopChild(child, 5_000);
  };

  const failure = (why: string) =>
    new Error(
      `stripe-mock (${opts.binary} ${args.join(" ")}) ${why}${spawnError ? `: ${spawnError.message}` : ""}${recent.length ? `\n${recent.join("\n")}` : ""}`,
    );

  const deadline = Date.now() + READY_DEADLINE_MS;
  try {
    for (;;) {
      if (exited) throw failure(`exited early (code ${exited.code}, signal ${exited.signal})`);
      if (Date.now() > deadline) throw failure(`did not answer GET /v1/customers within ${READY_DEADLINE_MS / 1000} s`);
      if (httpAddress && (await answers(`http://${httpAddress}`))) break;
      await pause(25);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `http://${httpAddress}`, pid: child.pid!, stop };
}
