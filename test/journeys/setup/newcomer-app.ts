/**
 * Once per `npm run test:e2e`: Switchboard started exactly as a newcomer
 * starts it (`server/start.ts` on the embedded defaults: embedded PostgreSQL,
 * the Temporal dev server, the local OAuth, checkout and secret-scanning
 * stand-ins, web and worker as
 * supervised child processes), in a throwaway DATA_DIR on free ports.
 * Journeys reach it through a real browser; they read and reset its database
 * directly (test/journeys/helpers/newcomer.ts).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { freePort } from "../../../dev/temporal-dev-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The app's URL, e.g. http://localhost:PORT */
    appUrl: string;
    /** Its embedded database. */
    appDatabaseUrl: string;
    /** "127.0.0.1:PORT" of its Temporal dev server. */
    appTemporalAddress: string;
    /** Its DATA_DIR (secrets.json, logs). */
    appDataDir: string;
    /** The local secret-scanning stand-in `npm start` runs, e.g. http://127.0.0.1:PORT */
    appSecretScannerUrl: string;
  }
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const STARTUP_MS = 240_000;

/** Ports other than 5432 (the machine's own PostgreSQL), distinct from each other. */
async function ports(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) {
    const p = await freePort();
    if (p !== 5432) out.add(p);
  }
  return [...out];
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "switchboard-e2e-"));
  // As root, embedded PostgreSQL runs as the `postgres` user, which must reach the data dir (mkdtemp makes it 0700).
  await fs.chmod(dataDir, 0o755);
  const [port, pgPort, temporalPort, uiPort, oauthPort, checkoutPort, scannerPort, metricsPort, workerMetricsPort] = await ports(9);
  // Only what a newcomer's shell would have: no DATABASE_URL, TEMPORAL_ADDRESS, SMTP_URL or OAuth ids.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(DATABASE_URL|TEMPORAL_ADDRESS|SMTP_URL|GOOGLE_|GITHUB_|MAILING_PROVIDER_|STRIPE_|PAYMENT_PROVIDER|LOCAL_CHECKOUT_|SECRET_SCANNING_|LOCAL_SECRET_SCANNER_|METRICS_PORT|WORKER_METRICS_PORT|NODE_ENV|VITEST|TEST)/.test(
          k,
        ),
    ),
  );
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(root, "server", "start.ts")], {
    cwd: root,
    env: {
      ...inherited,
      NODE_ENV: "development",
      DATA_DIR: dataDir,
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      TEMPORAL_DEV_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      LOCAL_OAUTH_PORT: String(oauthPort),
      LOCAL_CHECKOUT_PORT: String(checkoutPort),
      LOCAL_SECRET_SCANNER_PORT: String(scannerPort),
      METRICS_PORT: String(metricsPort),
      WORKER_METRICS_PORT: String(workerMetricsPort),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (output += d.toString()));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up in ${STARTUP_MS / 1000} s:\n${output}`)), STARTUP_MS);
    const check = () => {
      if (output.includes("Switchboard is running")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${signal ?? code}) before it was ready:\n${output}`));
    });
  });

  project.provide("appUrl", `http://localhost:${port}`);
  project.provide("appDatabaseUrl", `postgres://switchboard:switchboard@127.0.0.1:${pgPort}/switchboard`);
  project.provide("appTemporalAddress", `127.0.0.1:${temporalPort}`);
  project.provide("appDataDir", dataDir);
  project.provide("appSecretScannerUrl", `http://127.0.0.1:${scannerPort}`);

  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGINT"); // what Ctrl-C does: everything stops in order
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    if (process.env.KEEP_E2E_DATA !== "1") await fs.rm(dataDir, { recursive: true, force: true });
  };
}
