/**
 * Runs `temporal server start-dev` as a child process and resolves once it
 * serves the requested namespace.
 *
 * Orphans: the child is spawned *not* detached, so it shares our process group
 * and a Ctrl-C in the terminal (SIGINT to the group) stops it with us. We also
 * SIGTERM it from a process 'exit' hook, which covers normal exits and uncaught
 * exceptions. A SIGKILLed parent still leaves it running (Node has no
 * PR_SET_PDEATHSIG); an in-memory server then just holds its port until killed.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { Connection } from "@temporalio/client";
import { inBackground, type BackgroundPriority } from "../server/background-priority.js";

export type SearchAttributeKind = "Keyword" | "Text" | "Int" | "Datetime" | "Bool" | "Double" | "KeywordList";

export interface TemporalDevServer {
  /** "127.0.0.1:PORT", ready for Connection.connect / NativeConnection.connect. */
  address: string;
  uiUrl?: string;
  pid: number;
  stop(): Promise<void>;
}

const READY_DEADLINE_MS = 60_000;
const STOP_DEADLINE_MS = 10_000;

/** A port nobody listens on right now (the OS picks it). */
export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.setTimeout(1_000, () => done(false));
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startTemporalDevServer(opts: {
  cliPath: string;
  /** SQLite file for state that survives restarts; omit for in-memory. */
  dbFile?: string;
  /** gRPC port; 0 picks a free one. */
  port: number;
  /** Web UI port; omit to run headless. */
  uiPort?: number;
  namespace: string;
  searchAttributes?: Record<string, SearchAttributeKind>;
  onLog?: (line: string) => void;
  /** "low": below the web process (see server/background-priority.ts); default "normal". */
  priority?: BackgroundPriority;
  /**
   * Called if the server exits after it was ready without stop() being called (a crash, or
   * someone else's kill). Tests otherwise only see "connection refused" with no hint why.
   */
  onUnexpectedExit?: (info: { code: number | null; signal: NodeJS.Signals | null; recentOutput: string }) => void;
}): Promise<TemporalDevServer> {
  const host = "127.0.0.1";
  const port = opts.port === 0 ? await freePort(host) : opts.port;
  // Fail fast and plainly when the port is taken (often an orphaned dev server from a killed run):
  // otherwise the readiness poll below would talk gRPC to whatever holds the port.
  if (await canConnect(host, port)) {
    throw new Error(`Temporal dev server port ${host}:${port} is already in use (an orphaned \`temporal server start-dev\`?)`);
  }
  const log = opts.onLog ?? (() => {});
  const args = ["server", "start-dev", "--ip", host, "--port", String(port)];
  if (opts.uiPort !== undefined) args.push("--ui-port", String(opts.uiPort));
  else args.push("--headless");
  if (opts.dbFile) args.push("--db-filename", opts.dbFile);
  // "default" always exists; naming it again is accepted, so no special case.
  args.push("--namespace", opts.namespace, "--log-level", "warn");
  const wantedAttributes = Object.entries(opts.searchAttributes ?? {});
  for (const [name, kind] of wantedAttributes) args.push("--search-attribute", `${name}=${kind}`);

  const [command, commandArgs] = inBackground(opts.priority ?? "normal", "temporal", opts.cliPath, args);
  const child = spawn(command, commandArgs, { stdio: ["ignore", "pipe", "pipe"], detached: false });
  // Last lines of output, to explain an early exit.
  const recent: string[] = [];
  const onLines = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split(/\r?\n/)) {
      if (!line.trim()) continue;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      log(line);
    }
  };
  child.stdout.on("data", onLines);
  child.stderr.on("data", onLines);

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  let ready = false;
  let stopping = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      if (ready && !stopping) {
        log(`temporal server exited unexpectedly (code ${code}, signal ${signal})`);
        opts.onUnexpectedExit?.({ code, signal, recentOutput: recent.join("\n") });
      }
      resolve();
    });
    child.once("error", (err) => {
      spawnError = err;
      exited ??= { code: null, signal: null };
      resolve();
    });
  });
  // SIGTERM, not SIGKILL: we cannot wait here, but the server shuts down cleanly on its own.
  const killOnExit = () => {
    if (!exited) child.kill("SIGTERM");
  };
  process.on("exit", killOnExit);

  const stop = async () => {
    stopping = true;
    process.off("exit", killOnExit);
    if (exited) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_DEADLINE_MS);
    await exitPromise;
    clearTimeout(timer);
  };

  const failure = (why: string) =>
    new Error(
      `Temporal dev server (${opts.cliPath} ${args.join(" ")}) ${why}` +
        (spawnError ? `: ${spawnError.message}` : "") +
        (recent.length ? `\n${recent.join("\n")}` : ""),
    );

  const address = `${host}:${port}`;
  const deadline = Date.now() + READY_DEADLINE_MS;
  try {
    // Wait for the TCP port first: gRPC's own reconnect backoff would stretch the wait.
    while (!(await canConnect(host, port))) {
      if (exited) throw failure(`exited early (code ${exited.code}, signal ${exited.signal})`);
      if (Date.now() > deadline) throw failure(`did not listen on ${address} within ${READY_DEADLINE_MS / 1000} s`);
      await pause(100);
    }
    // Listening is not serving: poll until the namespace and its search attributes exist.
    let lastError: unknown;
    for (;;) {
      if (exited) throw failure(`exited early (code ${exited.code}, signal ${exited.signal})`);
      if (Date.now() > deadline) {
        throw failure(`was not ready within ${READY_DEADLINE_MS / 1000} s (last error: ${String(lastError)})`);
      }
      let connection: Connection | undefined;
      try {
        // lazy + ensureConnected rather than connect(): a failed attempt still leaves us a handle to close.
        connection = Connection.lazy({ address, connectTimeout: 2_000 });
        await connection.ensureConnected();
        await connection.workflowService.describeNamespace({ namespace: opts.namespace });
        if (wantedAttributes.length) {
          const { customAttributes } = await connection.operatorService.listSearchAttributes({
            namespace: opts.namespace,
          });
          const missing = wantedAttributes.filter(([name]) => !(customAttributes && name in customAttributes));
          if (missing.length) throw new Error(`search attributes not registered yet: ${missing.map(([n]) => n).join(", ")}`);
        }
        break;
      } catch (err) {
        lastError = err;
        await pause(200);
      } finally {
        await connection?.close();
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }

  ready = true;
  return {
    address,
    uiUrl: opts.uiPort !== undefined ? `http://${host}:${opts.uiPort}` : undefined,
    pid: child.pid!,
    stop,
  };
}
