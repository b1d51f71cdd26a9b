/**
 * `npm run bench:load` (and part of `npm run bench`): the API while the
 * workflows work. A throwaway embedded PostgreSQL and Temporal dev server, the
 * real web and worker processes, at the priorities `npm start` gives them on
 * one machine (BACKGROUND_PRIORITY); GET /v1/account under BENCH_CONNECTIONS
 * (50) for BENCH_LOAD_SECONDS (30) once idle, then again while 100 email
 * transfers (confirmed and approved by this script, as a person and support
 * would) and 100 deletions run. The load comes from wrk (or autocannon) in a
 * process of its own. Reports API throughput and p99 against the idle figure,
 * workflow completion times, the peak RSS of the web and worker processes and
 * each process's share of the CPUs; writes its section of BENCHMARKS.md
 * (between the load-bench markers).
 *
 * Goals (issue "Proof under load"): loaded throughput ≥ 70 % of idle; all
 * workflows done within 60 s of their start; web ≤ 250 MB, worker ≤ 400 MB peak RSS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client, Connection } from "@temporalio/client";
import exitHook from "async-exit-hook";
import { parseConfig } from "../app/config.server.js";
import { startDeletion } from "../app/services/deletion.server.js";
import { createLogger } from "../app/logger.server.js";
import { createMainKey } from "../app/models/api-keys.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { createWebTransferTicket, markConfirmed } from "../app/models/tickets.server.js";
import { startTransferWorkflow } from "../app/services/transfer.server.js";
import { createDb, type Db } from "../db/connection.js";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../db/embedded-postgres.js";
import { migrateToLatest } from "../db/migrate.js";
import { findOrBuildTemporalCli } from "../dev/temporal-cli.js";
import { freePort, startTemporalDevServer, type TemporalDevServer } from "../dev/temporal-dev-server.js";
import { inBackground } from "../server/background-priority.js";
import { writeWorkflowBundle } from "../server/workflow-bundle.js";
import { approveTransferUpdate, confirmTransferSignal, deleteWorkflowId, transferWorkflowId } from "../workflows/shared.js";
import { intFromEnv } from "../dev/int-from-env.js";
import { stopChild } from "../dev/stop-child.js";
import { machineBusyMs, postgresCpuMs, procStat, readPostmasterPid } from "./proc-cpu.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCHMARKS_MD = path.join(root, "BENCHMARKS.md");
const START = "<!-- load-bench:start — written by `npm run bench:load` (bench/load-bench.ts); don't edit by hand -->";
const END = "<!-- load-bench:end -->";

const SECONDS = intFromEnv("BENCH_LOAD_SECONDS", 30, 5);
const CONNECTIONS = intFromEnv("BENCH_CONNECTIONS", 50, 1);
const TRANSFERS = intFromEnv("BENCH_TRANSFERS", 100, 1);
const DELETIONS = intFromEnv("BENCH_DELETIONS", 100, 1);
const GOALS = { ratio: 0.7, withinMs: 60_000, webMb: 250, workerMb: 400 };
const TASK_QUEUE = "switchboard-load-bench";
/** As `npm start` runs them on one machine: the worker and Temporal below the web (BACKGROUND_PRIORITY=low), or beside it. */
const PRIORITY = parseConfig(process.env).backgroundPriority;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(line);

// ---- processes and cleanup ----

const children = new Set<ChildProcess>();
let pg: EmbeddedPostgresHandle | undefined;
let temporalServer: TemporalDevServer | undefined;
let tmp: string | undefined;
let cleaning = false;

async function cleanup(): Promise<void> {
  cleaning = true;
  await Promise.all([...children].map((c) => stopChild(c)));
  await temporalServer?.stop().catch(() => {});
  await pg?.stop().catch(() => {});
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
}
exitHook((done) => void cleanup().finally(done));

function spawnNode(name: string, script: string, env: NodeJS.ProcessEnv, role: "web" | "worker"): ChildProcess {
  const node: [string, string[]] = [process.execPath, ["--import", "tsx", script]];
  const [command, args] = role === "worker" ? inBackground(PRIORITY, "worker", ...node) : node;
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const echo = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) process.stderr.write(`[${name}] ${line}\n`);
  };
  child.stdout!.on("data", echo);
  child.stderr!.on("data", echo);
  child.on("exit", (code, signal) => !cleaning && process.stderr.write(`[${name}] exited (code ${code}, signal ${signal})\n`));
  return child;
}

/** Resident set size in MB (Linux /proc), or null once the process is gone. */
function rssMb(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

// ---- numbers ----

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

// ---- CPU: who had the two CPUs during each run ----

interface CpuPids {
  web: number;
  worker: number;
  temporal: number;
  postmaster: number | null;
}
type CpuSnapshot = {
  at: number;
  web: number | null;
  worker: number | null;
  temporal: number | null;
  postgres: number | null;
  loadGenerator: number | null;
  bench: number;
  machine: number | null;
};
const CPU_PARTS = ["web", "worker", "temporal", "postgres", "loadGenerator", "bench"] as const;
const CPU_LABELS = {
  web: "web process",
  worker: "worker process",
  temporal: "Temporal dev server",
  postgres: "PostgreSQL (all backends)",
  loadGenerator: "load generator",
  bench: "this script (starting the workflows, confirmations, approvals)",
  other: "everything else on the machine",
};

function cpuSnapshot(pids: CpuPids): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    at: performance.now(),
    web: procStat(pids.web)?.cpuMs ?? null,
    worker: procStat(pids.worker)?.cpuMs ?? null,
    temporal: procStat(pids.temporal)?.cpuMs ?? null,
    postgres: postgresCpuMs(pids.postmaster),
    // The load generator is our only child that exits: its time lands in our reaped-children total.
    loadGenerator: procStat(process.pid)?.childrenMs ?? null,
    bench: (own.user + own.system) / 1000,
    machine: machineBusyMs(),
  };
}

/** Share of one CPU (%) each part used between two snapshots; "other" is the rest of the machine's busy time. */
function cpuShares(a: CpuSnapshot, b: CpuSnapshot): Record<(typeof CPU_PARTS)[number] | "other", number | null> {
  const wall = b.at - a.at;
  const pct = (x: number | null, y: number | null) => (x === null || y === null ? null : ((y - x) / wall) * 100);
  const parts = Object.fromEntries(CPU_PARTS.map((k) => [k, pct(a[k], b[k])])) as Record<(typeof CPU_PARTS)[number], number | null>;
  const machineBusy = pct(a.machine, b.machine);
  const known = CPU_PARTS.reduce((sum, k) => sum + (parts[k] ?? 0), 0);
  return { ...parts, other: machineBusy === null ? null : Math.max(0, machineBusy - known) };
}

function machine(): string {
  const cpu =
    /^model name\s*:\s*(.+)$/m.exec(existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "")?.[1] ?? os.cpus()[0]?.model ?? "unknown";
  return `${os.availableParallelism()} CPUs (${cpu.trim()}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB, Node ${process.version}`;
}

/** One line of JSON from either generator (bench/wrk-report.lua, bench/load-generator.ts). */
interface LoadReport {
  requests: number;
  durationUs: number;
  p99Us: number;
  non2xx: number;
  errors: number;
}
interface LoadResult {
  reqPerSec: number;
  p99Ms: number;
  failed: number;
}

/**
 * wrk (C, `apt-get install wrk`) when it is on PATH: it needs a fraction of the
 * CPU autocannon does, and on a 2-CPU machine every cycle the generator burns
 * is one the server and the workflows don't get. Otherwise autocannon.
 * BENCH_LOAD_GENERATOR=wrk|autocannon chooses.
 */
const WRK = (process.env.PATH ?? "")
  .split(path.delimiter)
  .map((d) => path.join(d, "wrk"))
  .find((p) => existsSync(p));
const GENERATOR = process.env.BENCH_LOAD_GENERATOR ?? (WRK ? "wrk" : "autocannon");
if (GENERATOR !== "wrk" && GENERATOR !== "autocannon") throw new Error(`BENCH_LOAD_GENERATOR must be wrk or autocannon, not ${GENERATOR}`);
if (GENERATOR === "wrk" && !WRK) throw new Error("BENCH_LOAD_GENERATOR=wrk, but there is no wrk on PATH (apt-get install wrk)");
const GENERATOR_LABEL = GENERATOR === "wrk" ? "wrk 4 (1 thread)" : "autocannon";

/**
 * GET /v1/account under CONNECTIONS for `seconds`, from the load generator in
 * its own process. `started` resolves when it begins; `result` once it has
 * exited (so its CPU time is in our reaped-children total).
 */
function startLoad(url: string, key: string, seconds: number): { started: Promise<void>; result: Promise<LoadResult> } {
  const target = `${url}/v1/account`;
  const [command, args, startedMarker] =
    GENERATOR === "wrk"
      ? // wrk's stdout is block-buffered into a pipe: nothing shows before it exits, but it connects within a millisecond of exec.
        [WRK!, ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--timeout", "10s", "-s", path.join(root, "bench", "wrk-report.lua"), target], null]
      : [process.execPath, ["--import", "tsx", path.join(root, "bench", "load-generator.ts")], "started\n"];
  const child = spawn(command, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      LOAD_URL: target,
      LOAD_AUTHORIZATION: `Bearer ${key}`,
      LOAD_CONNECTIONS: String(CONNECTIONS),
      LOAD_SECONDS: String(seconds),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  let markStarted: () => void;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  if (startedMarker === null) child.once("spawn", () => markStarted());
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (startedMarker !== null && out.includes(startedMarker)) markStarted();
  });
  const result = new Promise<LoadResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const json = out.split("\n").find((line) => line.startsWith("{"));
      if (code !== 0 || !json) return reject(new Error(`the load generator failed (exit ${code}): ${out}`));
      const r = JSON.parse(json) as LoadReport;
      resolve({ reqPerSec: r.requests / (r.durationUs / 1e6), p99Ms: r.p99Us / 1000, failed: r.non2xx + r.errors });
    });
  });
  return { started, result };
}

// ---- the run ----

async function seedAccount(db: Db, email: string, cents: bigint): Promise<{ userId: string; accountId: string; key: string }> {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .insertInto("users")
      .values({ email, name: email.split("@")[0]!, provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const account = await trx
      .insertInto("accounts")
      .values({ name: `${email} account` })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx.insertInto("memberships").values({ account_id: account.id, user_id: user.id, role: "owner" }).execute();
    const key = await createMainKey(trx, account.id, user.id);
    if (cents > 0n)
      await postLedgerEntry(trx, {
        accountId: account.id,
        amountCents: cents,
        kind: "grant",
        idempotencyKey: "bench:grant",
        actor: { type: "system", id: null },
      });
    return { userId: user.id, accountId: account.id, key: key.plaintext };
  });
}

async function main(): Promise<number> {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "switchboard-load-"));
  await fs.chmod(tmp, 0o755); // as root, PostgreSQL runs as `postgres`, which must reach its data dir
  log(`load bench: ${machine()}`);

  const pgPort = await freePort();
  pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: pgPort === 5432 ? pgPort + 1 : pgPort, throwaway: true });
  await ensureDatabase(pg.serverUrl, "switchboard");
  const databaseUrl = pg.urlFor("switchboard");
  const db = createDb(databaseUrl, { max: 10 });
  await migrateToLatest(db);

  const cliPath = await findOrBuildTemporalCli({
    cliPath: process.env.TEMPORAL_CLI_PATH,
    pathEnv: process.env.PATH,
    log: (line) => process.stderr.write(`[temporal-cli] ${line}\n`),
  });
  // The worker runs the prebuilt workflow bundle, as `npm start` and production do.
  const workflowBundle = path.join(tmp, "workflow-bundle.js");
  [temporalServer] = await Promise.all([
    startTemporalDevServer({ cliPath, port: 0, namespace: "default", searchAttributes: { AccountId: "Keyword", TicketId: "Keyword" }, priority: PRIORITY }),
    writeWorkflowBundle(workflowBundle),
  ]);
  const temporalAddress = temporalServer.address;

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: "development",
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    WORKFLOW_BUNDLE: workflowBundle,
    ALLOW_DEV_SECRETS: "1", // a throwaway database: the built-in secrets are fine, and must be asked for
  };
  const web = spawnNode("web", "server/web.ts", env, "web");
  const worker = spawnNode("worker", "server/worker.ts", env, "worker");
  const peak = { web: 0, worker: 0 };
  const sampler = setInterval(() => {
    peak.web = Math.max(peak.web, rssMb(web.pid) ?? 0);
    peak.worker = Math.max(peak.worker, rssMb(worker.pid) ?? 0);
  }, 200);

  log(`seeding ${TRANSFERS} transfer pairs, ${DELETIONS} accounts to delete, one API account…`);
  const api = await seedAccount(db, "api@bench.test", 100_000_000_000n);
  const transferPairs = [];
  for (let i = 0; i < TRANSFERS; i++) {
    transferPairs.push({ old: await seedAccount(db, `old-${i}@bench.test`, 5_000n), newAddress: `new-${i}@bench.test` });
    await seedAccount(db, `new-${i}@bench.test`, 0n);
  }
  const doomed = [];
  for (let i = 0; i < DELETIONS; i++) doomed.push(await seedAccount(db, `gone-${i}@bench.test`, 100n));
  const staff = await db.insertInto("staff").values({ email: "support@bench.test", role: "support" }).returning("id").executeTakeFirstOrThrow();

  for (const deadline = Date.now() + 120_000; ; await sleep(250)) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error("the web process did not become healthy");
  }
  const connection = await Connection.connect({ address: temporalAddress });
  const temporal = new Client({ connection });
  const services = { db, temporal, config: parseConfig({ TEMPORAL_TASK_QUEUE: TASK_QUEUE }), logger: createLogger("warn", "load-bench") };

  log(`warm-up (5 s), then idle: GET /v1/account, ${CONNECTIONS} connections, ${SECONDS} s`);
  await startLoad(url, api.key, 5).result;
  const cpuPids: CpuPids = { web: web.pid!, worker: worker.pid!, temporal: temporalServer.pid, postmaster: await readPostmasterPid(path.join(tmp, "pg")) };
  const idleRun = startLoad(url, api.key, SECONDS);
  await idleRun.started;
  const idleCpuStart = cpuSnapshot(cpuPids);
  const idle = await idleRun.result;
  const idleCpu = cpuShares(idleCpuStart, cpuSnapshot(cpuPids));
  log(`idle: ${fmt(idle.reqPerSec)} req/s, p99 ${idle.p99Ms.toFixed(1)} ms`);

  // The loaded run: the same API load while every workflow starts at once and runs.
  const started = new Map<string, number>();
  const finished = new Map<string, number>();
  const loadedRun = startLoad(url, api.key, SECONDS);
  await loadedRun.started;
  const loadedCpuStart = cpuSnapshot(cpuPids);
  const loaded = loadedRun.result.then((result) => ({ result, cpu: cpuShares(loadedCpuStart, cpuSnapshot(cpuPids)) }));
  const runStart = Date.now();
  const tickets: string[] = [];
  const workflows: Promise<void>[] = [];
  const track = (workflowId: string) => {
    started.set(workflowId, Date.now());
    workflows.push(
      temporal.workflow
        .getHandle(workflowId)
        .result()
        .then(() => void finished.set(workflowId, Date.now())),
    );
  };
  await Promise.all([
    (async () => {
      for (const pair of transferPairs) {
        const ticketId = await createWebTransferTicket(
          db,
          { requesterUserId: pair.old.userId, oldAccountId: pair.old.accountId, newAddress: pair.newAddress },
          { type: "user", id: pair.old.userId },
        );
        tickets.push(ticketId);
        track(await startTransferWorkflow(services, ticketId));
      }
    })(),
    (async () => {
      for (const d of doomed) {
        const r = await startDeletion(
          services,
          { accountId: d.accountId, source: "support", userId: null, staffId: staff.id, reason: "load bench" },
          { type: "staff", id: staff.id },
        );
        if (!r.ok) throw new Error(`deletion not started: ${r.message}`);
        track(deleteWorkflowId(d.accountId));
      }
    })(),
  ]);

  // The people and support, as fast as the tickets ask: confirm from the mail, then approve.
  const confirmed = new Set<string>();
  const approved = new Set<string>();
  const driveDeadline = Date.now() + 180_000;
  while (approved.size < tickets.length && Date.now() < driveDeadline) {
    const rows = await db
      .selectFrom("support_tickets")
      .select(["id", "status"])
      .where("id", "in", tickets)
      .where("status", "in", ["awaiting_confirmation", "awaiting_approval"])
      .execute();
    await Promise.all(
      rows.map(async (t) => {
        if (t.status === "awaiting_confirmation" && !confirmed.has(t.id)) {
          const mail = await db
            .selectFrom("mail_outbox")
            .select("text_body")
            .where("related_id", "=", t.id)
            .where("kind", "=", "transfer_confirmation")
            .executeTakeFirst();
          const token = mail && /confirm-transfer\/([A-Za-z0-9_-]{43})/.exec(mail.text_body)?.[1];
          if (!token) return;
          confirmed.add(t.id);
          await markConfirmed(db, t.id, token, { type: "user", id: null });
          await temporal.workflow.getHandle(transferWorkflowId(t.id)).signal(confirmTransferSignal);
        } else if (t.status === "awaiting_approval" && !approved.has(t.id)) {
          approved.add(t.id);
          await temporal.workflow
            .getHandle(transferWorkflowId(t.id))
            .executeUpdate(approveTransferUpdate, { args: [{ staffId: staff.id, role: "support" }] })
            .catch(() => approved.delete(t.id)); // the workflow has not caught up yet: next round
        }
      }),
    );
    await sleep(100); // poll interval of the person/support stand-in
  }
  const { result: apiLoaded, cpu: loadedCpu } = await loaded;
  await Promise.race([Promise.all(workflows), sleep(Math.max(0, driveDeadline - Date.now()))]);
  clearInterval(sampler);
  const allDone = Date.now() - runStart;

  const durations = [...started]
    .filter(([id]) => finished.has(id))
    .map(([id, t0]) => finished.get(id)! - t0)
    .sort((a, b) => a - b);
  const done = durations.length;
  const total = started.size;
  const ratio = apiLoaded.reqPerSec / idle.reqPerSec;
  const rows = [
    ["API throughput, idle", `${fmt(idle.reqPerSec)} req/s (p99 ${idle.p99Ms.toFixed(1)} ms)`, ""],
    ["API throughput, while the workflows run", `${fmt(apiLoaded.reqPerSec)} req/s (p99 ${apiLoaded.p99Ms.toFixed(1)} ms)`, ""],
    ["loaded ÷ idle", `${Math.round(ratio * 100)} %`, `≥ ${GOALS.ratio * 100} % ${ratio >= GOALS.ratio ? "✅" : "❌"}`],
    ["workflows completed", `${done} of ${total} (${TRANSFERS} transfers, ${DELETIONS} deletions)`, done === total ? "✅" : "❌"],
    [
      "time from start to completion: median / p95 / max",
      `${(quantile(durations, 0.5) / 1000).toFixed(1)} s / ${(quantile(durations, 0.95) / 1000).toFixed(1)} s / ${((durations.at(-1) ?? NaN) / 1000).toFixed(1)} s`,
      `all ≤ ${GOALS.withinMs / 1000} s ${(durations.at(-1) ?? Infinity) <= GOALS.withinMs && done === total ? "✅" : "❌"}`,
    ],
    ["all workflows done after", `${(allDone / 1000).toFixed(1)} s`, ""],
    ["peak RSS, web", `${fmt(peak.web)} MB`, `≤ ${GOALS.webMb} MB ${peak.web <= GOALS.webMb ? "✅" : "❌"}`],
    ["peak RSS, worker", `${fmt(peak.worker)} MB`, `≤ ${GOALS.workerMb} MB ${peak.worker <= GOALS.workerMb ? "✅" : "❌"}`],
  ];
  const table = ["| measure | result | goal |", "|---|---|---|", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  const share = (n: number | null) => (n === null ? "n/a" : `${Math.round(n)} %`);
  const cpuTable = [
    "| CPU (% of one CPU; the machine has " + os.availableParallelism() * 100 + " %) | idle run | loaded run |",
    "|---|---|---|",
    ...[...CPU_PARTS, "other" as const].map((k) => `| ${CPU_LABELS[k]} | ${share(idleCpu[k])} | ${share(loadedCpu[k])} |`),
  ].join("\n");
  log(`\n${table}\n\n${cpuTable}\n`);
  const non2xx = idle.failed + apiLoaded.failed;

  const section = [
    START,
    "",
    "## The API while workflows run (`npm run bench:load`)",
    "",
    `- **Command:** \`npm run bench:load\` (GET /v1/account, ${CONNECTIONS} connections, ${SECONDS} s idle, then ${SECONDS} s while ${TRANSFERS} email transfers and ${DELETIONS} deletions start at once and run; transfers confirmed and approved by the script as soon as each ticket asks)`,
    `- **Machine:** ${machine()}; web, worker, PostgreSQL, the Temporal dev server and the load generator all on it`,
    `- **Load generator:** ${GENERATOR_LABEL}, in its own process`,
    PRIORITY === "low"
      ? "- **Priorities:** as `npm start` runs them on one machine (`BACKGROUND_PRIORITY=low`): the worker under SCHED_IDLE, the Temporal dev server at niceness 10, the web and PostgreSQL at normal priority"
      : "- **Priorities:** every process at normal priority (`BACKGROUND_PRIORITY=normal`)",
    `- **Run:** ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; non-2xx answers or errors: ${non2xx}`,
    "",
    table,
    "",
    cpuTable,
    "",
    END,
  ].join("\n");
  await writeSection(section);

  await connection.close();
  await db.destroy();
  const failed =
    ratio < GOALS.ratio || done !== total || (durations.at(-1) ?? Infinity) > GOALS.withinMs || peak.web > GOALS.webMb || peak.worker > GOALS.workerMb;
  return failed ? 1 : 0;
}

async function writeSection(section: string): Promise<void> {
  const current = existsSync(BENCHMARKS_MD) ? await fs.readFile(BENCHMARKS_MD, "utf8") : "";
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  const next = a >= 0 && b > a ? `${current.slice(0, a)}${section}${current.slice(b + END.length)}` : `${current.trimEnd()}\n\n${section}\n`;
  await fs.writeFile(BENCHMARKS_MD, next);
}

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (err) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  },
);
