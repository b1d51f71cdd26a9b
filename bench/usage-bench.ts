/**
 * `npm run bench:usage` (and part of `npm run bench`): `POST /v1/usage` against
 * the database's one-transaction-per-debit ceiling, in the same run.
 *
 * A throwaway embedded PostgreSQL with its default durability (fsync on,
 * synchronous_commit on), the real migrations, 1 hot + 100 bench accounts with
 * main keys and credit that never runs out. Then, for each durability phase
 * (fsync on, then fsync and synchronous_commit off by ALTER SYSTEM + reload):
 *
 *   - pgbench running the exact SQL of `postLedgerEntry` for a usage debit
 *     made with a key (captured from the real function through a Kysely `log`
 *     hook, parameters turned into pgbench variables or literals), 100 accounts
 *     (a random one per transaction) and 1 hot account;
 *   - `GET /v1/account` through the real web process (`node --import tsx
 *     server/web.ts`) with wrk: the ceiling, a debit that costs no more than a read;
 *   - `POST /v1/usage` with wrk (bench/usage-wrk.lua: a new idempotency_key per
 *     request, a random account's key each time) over 100 accounts and 1 account,
 *     with the same connections as pgbench's clients, and again with more.
 *
 * During every measured run it samples PostgreSQL's wait events
 * (pg_stat_activity) and takes each process's CPU from /proc. Afterwards the
 * ledger check: every account's balance = its ledger sum, usage entries against
 * the 201s (and pgbench's transactions). Writes its section of BENCHMARKS.md
 * (between the bench:usage markers, below the notes marker, which api-bench keeps).
 *
 * Environment: BENCH_SECONDS (each measured run, default 10), BENCH_WARMUP_SECONDS
 * (wrk warm-up before each web run, default 2), BENCH_CONNECTIONS (pgbench clients
 * and wrk connections, default 50), BENCH_USAGE_MORE_CONNECTIONS (a second
 * POST row with this many connections, default 200, 0 = none), BENCH_PGBENCH_MODE
 * (simple|extended|prepared, default extended: node-pg's protocol, every
 * statement parsed and planned each time), BENCH_PGBENCH_THREADS (-j, default 2),
 * BENCH_USAGE_DURABILITY (both|on|off, default both; only a "both" run writes
 * BENCHMARKS.md), BENCH_QUIET_WAIT_SECONDS (wait up to this long for an idle
 * machine before each measured run, default 30, 0 = don't), BENCH_USAGE_PROFILE
 * (a folder: each POST run gets a fresh web process under --cpu-prof, and the top
 * of its profile over the measured run goes into the report), BENCH_PGBENCH and
 * BENCH_WRK (the binaries), BENCH_USAGE_ONLY (a comma list of runs: pgbench-spread,
 * pgbench-hot, get, usage-spread, usage-hot, usage-spread-more, usage-hot-more; a
 * partial run leaves BENCHMARKS.md alone), BENCH_USAGE_PGBENCH_WITHOUT_NOTIFY=1 (diagnosis:
 * pgbench again with the accounts_notify trigger disabled, in the runs table only).
 * USAGE_BATCH_MAX_DEBITS / USAGE_BATCH_MAX_WAIT_MS / USAGE_BATCH_CONCURRENCY pass
 * through to the web process.
 *
 * Settings sweep (BENCH_USAGE_SWEEP=1, fsync on only, BENCHMARKS.md untouched):
 * for every combination of BENCH_SWEEP_WAIT_MS (default 0,1,2,5) ×
 * BENCH_SWEEP_CONCURRENCY (1,2,4) a fresh web process, then POST /v1/usage over
 * 100 and 1 accounts at each of BENCH_SWEEP_CONNECTIONS (50,100,200); prints a
 * table, with the best throughput whose p99 ≤ 25 ms marked.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { parseConfig } from "../app/config.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { createDb, type Db } from "../db/connection.js";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../db/embedded-postgres.js";
import { migrateToLatest } from "../db/migrate.js";
import type { Database } from "../db/schema.js";
import { intFromEnv } from "../dev/int-from-env.js";
import { stopChild } from "../dev/stop-child.js";
import { seedBenchAccounts, type BenchAccount } from "./bench-accounts.js";
import { benchLifecycle, machineLine, safePort, tailOutput, waitForIdleMachine, writeMarkedSection } from "./harness.js";
import { machineBusyMs, postgresCpuMs, procStat, readPostmasterPid } from "./proc-cpu.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCHMARKS_MD = path.join(root, "BENCHMARKS.md");
/** api-bench.ts rewrites everything above this line and keeps the rest: this section lives below it. */
const NOTES_MARKER = "<!-- bench:notes — everything below this line is hand-written; `npm run bench` keeps it as it is -->";
const START_MARKER = "<!-- bench:usage:start — written by `npm run bench:usage` (bench/usage-bench.ts); don't edit by hand -->";
const END_MARKER = "<!-- bench:usage:end -->";

const SECONDS = intFromEnv("BENCH_SECONDS", 10, 1);
const WARMUP_SECONDS = intFromEnv("BENCH_WARMUP_SECONDS", 2, 0);
const CONNECTIONS = intFromEnv("BENCH_CONNECTIONS", 50, 1);
const MORE_CONNECTIONS = intFromEnv("BENCH_USAGE_MORE_CONNECTIONS", 200, 0);
const PGBENCH_THREADS = intFromEnv("BENCH_PGBENCH_THREADS", 2, 1);
const QUIET_WAIT_SECONDS = intFromEnv("BENCH_QUIET_WAIT_SECONDS", 30, 0);
const READY_SECONDS = intFromEnv("BENCH_READY_SECONDS", 90, 1);
const PGBENCH_MODE = process.env.BENCH_PGBENCH_MODE ?? "extended";
if (!["simple", "extended", "prepared"].includes(PGBENCH_MODE)) {
  console.error(`BENCH_PGBENCH_MODE is simple, extended or prepared (got ${PGBENCH_MODE})`);
  process.exit(2);
}
const DURABILITY = process.env.BENCH_USAGE_DURABILITY ?? "both";
if (!["both", "on", "off"].includes(DURABILITY)) {
  console.error(`BENCH_USAGE_DURABILITY is both, on or off (got ${DURABILITY})`);
  process.exit(2);
}
const SWEEP = process.env.BENCH_USAGE_SWEEP === "1";
const listFromEnv = (name: string, fallback: number[]): number[] => {
  const raw = process.env[name];
  if (!raw) return fallback;
  const list = raw.split(",").map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isFinite(n) || n < 0)) {
    console.error(`${name} takes a comma list of numbers (got ${raw})`);
    process.exit(2);
  }
  return list;
};
const SWEEP_WAIT_MS = listFromEnv("BENCH_SWEEP_WAIT_MS", [0, 1, 2, 5]);
const SWEEP_CONCURRENCY = listFromEnv("BENCH_SWEEP_CONCURRENCY", [1, 2, 4]);
const SWEEP_CONNECTIONS = listFromEnv("BENCH_SWEEP_CONNECTIONS", [50, 100, 200]);
const RUN_IDS = ["pgbench-spread", "pgbench-hot", "get", "usage-spread", "usage-hot", "usage-spread-more", "usage-hot-more"];
const only = process.env.BENCH_USAGE_ONLY ? process.env.BENCH_USAGE_ONLY.split(",").map((x) => x.trim()) : null;
if (only && only.some((id) => !RUN_IDS.includes(id))) {
  console.error(`BENCH_USAGE_ONLY takes a comma list of ${RUN_IDS.join(", ")} (got ${process.env.BENCH_USAGE_ONLY})`);
  process.exit(2);
}
const selected = (id: string) => !only || only.includes(id);
/** Diagnosis: pgbench once more with the account_changed trigger off, to show what the NOTIFY costs the baseline. */
const WITHOUT_NOTIFY = process.env.BENCH_USAGE_PGBENCH_WITHOUT_NOTIFY === "1";
const profileDir = process.env.BENCH_USAGE_PROFILE ? path.resolve(process.env.BENCH_USAGE_PROFILE) : null;

const SPREAD_ACCOUNTS = 100;
const HOT_GRANT_CENTS = 100_000_000_000n; // $1 billion: never runs out at 1 cent a debit
const SPREAD_GRANT_CENTS = 1_000_000_000n;
const AMOUNT_CENTS = 1n;
const GOAL_RATIO = 10;
const GOAL_P99_MS = 25;
const WAIT_SAMPLE_MS = 100;
const DB_USER = "switchboard";
const DB_PASSWORD = "switchboard";
const DB_NAME = "bench";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------
// Tools

function findTool(envName: string, candidates: string[], pathName: string): string | null {
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  for (const c of candidates) if (existsSync(c)) return c;
  return (
    (process.env.PATH ?? "")
      .split(path.delimiter)
      .map((d) => path.join(d, pathName))
      .find((p) => existsSync(p)) ?? null
  );
}

function pgbenchCandidates(): string[] {
  // Debian/Ubuntu: /usr/lib/postgresql/<major>/bin/pgbench, the newest first.
  try {
    return readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin/pgbench`);
  } catch {
    return [];
  }
}

const PGBENCH = findTool("BENCH_PGBENCH", pgbenchCandidates(), "pgbench");
const WRK = findTool("BENCH_WRK", [], "wrk");
if (!PGBENCH || !WRK) {
  console.error(
    [
      "npm run bench:usage needs pgbench and wrk:",
      ...(PGBENCH
        ? []
        : [
            "  pgbench: not found. On Debian/Ubuntu it comes with the server package: `apt-get install postgresql-15` (or any version); elsewhere with PostgreSQL's client tools. BENCH_PGBENCH=<path> points at one.",
          ]),
      ...(WRK ? [] : ["  wrk: not found. `apt-get install wrk` (or build it from https://github.com/wg/wrk). BENCH_WRK=<path> points at one."]),
    ].join("\n"),
  );
  process.exit(2);
}
const toolVersion = (bin: string, args: string[]) => {
  try {
    return execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      .split("\n")[0]
      .trim();
  } catch (err) {
    // wrk -v exits 1 after printing its version.
    const out = (err as { stdout?: string }).stdout ?? "";
    return out.split("\n")[0]?.trim() || "?";
  }
};

// ---------------------------------------------------------------------------
// Cleanup: children, PostgreSQL, the temp folder — on success, failure and Ctrl-C.

let pgServer: EmbeddedPostgresHandle | undefined;
let db: Db | undefined;
let tmp: string | undefined;
const { children, cleanup, isCleaning } = benchLifecycle(() => ({ db, pg: pgServer, tmp }));

function fileSystemOf(dir: string): string {
  try {
    const [source, fstype] = execFileSync("findmnt", ["-n", "-o", "SOURCE,FSTYPE", "-T", dir], { encoding: "utf8" }).trim().split(/\s+/);
    return `${fstype} on ${source}`;
  } catch {
    return "unknown file system";
  }
}

function gitHead(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "app", "db", "server"], { cwd: root, encoding: "utf8" }).trim();
    return dirty ? `${head} + uncommitted changes in app/, db/ or server/` : head;
  } catch {
    return "?";
  }
}

// ---------------------------------------------------------------------------
// Child processes

interface Child {
  process: ChildProcess;
  tail(): string;
}

function spawnNode(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  const tail = tailOutput(name, child);
  child.on("exit", (code, signal) => {
    children.delete(child);
    if (!isCleaning() && code !== 0) process.stderr.write(`[${name}] exited (code ${code}, signal ${signal})\n`);
  });
  return { process: child, tail };
}

/** Runs a tool to its end; stdout and stderr, and its exit code. */
function runTool(bin: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------------------
// Database

/** As api-bench seeds: a user, an account on the build plan, its main key, a grant that never runs out. */
async function seed(database: Db): Promise<{ hot: BenchAccount; spread: BenchAccount[] }> {
  const { first, spread } = await seedBenchAccounts(
    database,
    { email: "usage-bench", name: "Usage bench" },
    { first: HOT_GRANT_CENTS, spread: SPREAD_GRANT_CENTS },
    SPREAD_ACCOUNTS,
  );
  return { hot: first, spread };
}

interface CapturedQuery {
  sql: string;
  parameters: readonly unknown[];
}

/**
 * One usage debit through the real `postLedgerEntry`, called as POST /v1/usage
 * calls it, on a Kysely whose `log` hook keeps every statement it sends
 * (BEGIN and COMMIT included) with its parameters.
 */
async function captureDebit(databaseUrl: string, account: BenchAccount): Promise<{ queries: CapturedQuery[]; idempotencyKey: string; balanceAfter: string }> {
  const queries: CapturedQuery[] = [];
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const capture = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === "query") queries.push({ sql: event.query.sql, parameters: [...event.query.parameters] });
    },
  });
  const idempotencyKey = `usage:capture-${Date.now()}`;
  try {
    const result = await postLedgerEntry(capture, {
      accountId: account.accountId,
      amountCents: -AMOUNT_CENTS,
      kind: "usage",
      idempotencyKey,
      actor: { type: "api_key", id: account.keyId },
      spendingKeyId: account.keyId,
    });
    if (result.status !== "created") throw new Error(`the captured debit was ${result.status}, not created`);
    return { queries, idempotencyKey, balanceAfter: result.entry.balanceAfterCents };
  } finally {
    await capture.destroy();
  }
}

/**
 * The pgbench script for one account: the captured statements in order, each
 * `$n` replaced — the idempotency key by `:ik` (random per transaction), the
 * new balance by `:newbal` (the locked balance, read with `\gset`, minus the
 * amount: what postLedgerEntry computes in JavaScript), everything else (the
 * account, the key, the amount, kind, actor) by a quoted literal, which the
 * server types from context exactly as it types node-pg's untyped parameters;
 * null by NULL.
 */
function pgbenchScript(captured: Awaited<ReturnType<typeof captureDebit>>, from: BenchAccount, to: { accountId: string; keyId: string }): string {
  const { queries } = captured;
  const shape = queries.map((q) => q.sql.trim().split(/\s+/)[0].toLowerCase());
  const lockAt = queries.findIndex((q) => /for update/i.test(q.sql));
  if (shape[0] !== "begin" || shape.at(-1) !== "commit" || lockAt !== 1 || queries.length !== 5) {
    throw new Error(
      `postLedgerEntry no longer sends BEGIN; SELECT … FOR UPDATE; probe; write; COMMIT — update bench/usage-bench.ts. It sent:\n${queries.map((q) => q.sql).join(";\n")}`,
    );
  }
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const token = (v: unknown, where: string): string => {
    if (v === null || v === undefined) return "NULL";
    if (v === from.accountId) return quote(to.accountId);
    if (v === from.keyId) return quote(to.keyId);
    if (v === captured.idempotencyKey) return ":ik";
    if (v === captured.balanceAfter) return ":newbal";
    if (typeof v === "string" || typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return quote(String(v));
    throw new Error(`a parameter of ${where} is a ${typeof v} (${String(v)}): the pgbench script cannot say it`);
  };
  const lines = [
    "-- postLedgerEntry (app/models/ledger.server.ts), a usage debit made with an API key, as captured from the real function.",
    "\\set ik random(1, 1000000000000000000)",
  ];
  queries.forEach((q, i) => {
    const text = q.sql.trim().replace(/\$(\d+)/g, (_, n: string) => token(q.parameters[Number(n) - 1], `statement ${i + 1}`));
    if (text.includes(";")) throw new Error(`statement ${i + 1} contains a semicolon; pgbench would split it: ${text}`);
    if (i === lockAt) {
      // \gset ends the command (instead of ';') and keeps the row's columns as variables.
      lines.push(`${text} \\gset`);
      lines.push(`\\set newbal :balance_cents - ${AMOUNT_CENTS}`);
    } else lines.push(`${text};`);
  });
  return `${lines.join("\n")}\n`;
}

async function setDurability(database: Db, on: boolean): Promise<string> {
  const value = on ? "on" : "off";
  await sql.raw(`ALTER SYSTEM SET fsync = ${value}`).execute(database);
  await sql.raw(`ALTER SYSTEM SET synchronous_commit = ${value}`).execute(database);
  await sql`SELECT pg_reload_conf()`.execute(database);
  // A new connection, after the reload has reached the backends.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = new pg.Client({ connectionString: pgServer!.urlFor(DB_NAME) });
    await client.connect();
    try {
      const { rows } = await client.query<{ fsync: string; synchronous_commit: string }>(
        "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit",
      );
      if (rows[0].fsync === value && rows[0].synchronous_commit === value) return `fsync=${rows[0].fsync}, synchronous_commit=${rows[0].synchronous_commit}`;
    } finally {
      await client.end();
    }
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not take fsync=${value}, synchronous_commit=${value}`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------
// Measuring: CPU per process, PostgreSQL wait events

interface CpuSnapshot {
  at: number;
  web: number | null;
  postgres: number | null;
  /** Reaped children of this process: pgbench and wrk once they have exited. */
  generator: number;
  self: number;
  machine: number | null;
}

function cpuSnapshot(webPid: number | null, postmasterPid: number | null): CpuSnapshot {
  const c = process.cpuUsage();
  return {
    at: performance.now(),
    web: webPid === null ? null : (procStat(webPid)?.cpuMs ?? null),
    postgres: postgresCpuMs(postmasterPid),
    generator: procStat(process.pid)?.childrenMs ?? 0,
    self: (c.user + c.system) / 1000,
    machine: machineBusyMs(),
  };
}

interface CpuUse {
  web: number | null;
  postgres: number | null;
  generator: number;
  /** Everything else busy on the machine: other agents' work, kernel work not charged to these. */
  rest: number | null;
}

function cpuUse(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const wall = b.at - a.at;
  const pct = (x: number | null, y: number | null) => (x === null || y === null ? null : ((y - x) / wall) * 100);
  const web = pct(a.web, b.web);
  const postgres = pct(a.postgres, b.postgres);
  const generator = pct(a.generator, b.generator)!;
  const self = pct(a.self, b.self)!;
  const all = pct(a.machine, b.machine);
  return { web, postgres, generator, rest: all === null ? null : Math.max(0, all - (web ?? 0) - (postgres ?? 0) - generator - self) };
}

/** Samples pg_stat_activity every WAIT_SAMPLE_MS: what the bench database's client backends are doing. */
function sampleWaits(databaseUrl: string): { stop(): Promise<Map<string, number>> } {
  const counts = new Map<string, number>();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "usage-bench-sampler" });
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ what: string; n: number }>(
        `SELECT CASE
                  WHEN state = 'active' AND wait_event IS NULL THEN 'running (CPU)'
                  WHEN state = 'active' THEN wait_event_type || ':' || wait_event
                  WHEN state = 'idle in transaction' THEN 'idle in transaction (waiting for the client)'
                  ELSE 'idle'
                END AS what, count(*)::int AS n
           FROM pg_stat_activity
          WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
          GROUP BY 1`,
        [DB_NAME],
      );
      for (const r of rows) counts.set(r.what, (counts.get(r.what) ?? 0) + r.n);
      // What the lock waits are for: an object lock on pg_database is the NOTIFY queue's, which a
      // transaction that sent a NOTIFY holds from its pre-commit to the end of its commit.
      const locks = await client.query<{ what: string; n: number }>(
        `SELECT 'lock ' || locktype || coalesce(' on ' || relation::regclass::text, '') || coalesce(' of ' || classid::regclass::text, '') AS what, count(*)::int AS n
           FROM pg_locks WHERE NOT granted GROUP BY 1`,
      );
      for (const r of locks.rows) counts.set(r.what, (counts.get(r.what) ?? 0) + r.n);
      await sleep(WAIT_SAMPLE_MS);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop.catch((err: unknown) => console.error(`wait-event sampler: ${err instanceof Error ? err.message : String(err)}`));
      await client.end().catch(() => {});
      return counts;
    },
  };
}

/** The non-idle states, most sampled first, as shares of all non-idle samples (or the locks waited for, as shares of those). */
function topWaits(counts: Map<string, number>, n = 4, which: "states" | "locks" = "states"): string {
  const busy = [...counts].filter(([k]) => k !== "idle" && k.startsWith("lock ") === (which === "locks"));
  const total = busy.reduce((s, [, c]) => s + c, 0);
  if (!total) return "–";
  return busy
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, c]) => `${k} ${Math.round((c / total) * 100)} %`)
    .join(", ");
}

/** Before a measured run: up to QUIET_WAIT_SECONDS for 2 s in which the machine is busy less than a fifth of one CPU. */
function waitForQuiet(): Promise<string | null> {
  return waitForIdleMachine(
    QUIET_WAIT_SECONDS,
    (busy) => `machine still ${Math.round(busy)} % of a CPU busy after ${QUIET_WAIT_SECONDS} s of waiting for quiet`,
  );
}

// ---------------------------------------------------------------------------
// Load: pgbench and wrk

interface Measured {
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Transactions (pgbench) or answers (wrk). */
  count: number;
  /** Failed transactions (pgbench) or non-2xx answers (wrk). */
  failed: number;
  errors: number;
  /** wrk: status code → count. */
  statuses: Record<string, number>;
  detail: string;
}

interface Run extends Measured {
  label: string;
  tool: "pgbench" | "wrk";
  connections: number;
  cpu: CpuUse;
  waits: Map<string, number>;
  quiet: string | null;
  /** POST runs: the transactions the measured run's debits were posted in (its entries, grouped by created_at = the transaction's now()). */
  commits?: { count: number; perSec: number; debitsPer: number; accountsPer: number };
}

/** The commits of a POST run, from its entries: a batch's all share the transaction's now(). */
async function commitsOf(database: Db, tag: string, seconds: number): Promise<Run["commits"]> {
  const row = (
    await sql<{ entries: number; commits: number; account_commits: number }>`
      SELECT count(*)::int AS entries, count(DISTINCT created_at)::int AS commits, count(DISTINCT (created_at, account_id))::int AS account_commits
        FROM ledger_entries WHERE kind = 'usage' AND idempotency_key LIKE ${`usage:${tag}-%`}`.execute(database)
  ).rows[0];
  if (!row.commits) return undefined;
  return { count: row.commits, perSec: row.commits / seconds, debitsPer: row.entries / row.commits, accountsPer: row.account_commits / row.commits };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : 0);

async function pgbench(env: { port: number; dir: string }, files: string[], clients: number, seconds: number, tag: string): Promise<Measured> {
  const prefix = path.join(env.dir, `log-${tag}`);
  const args = [
    "-n", // no pgbench tables to vacuum
    "-h",
    "127.0.0.1",
    "-p",
    String(env.port),
    "-U",
    DB_USER,
    "-c",
    String(clients),
    "-j",
    String(Math.min(PGBENCH_THREADS, clients)),
    "-T",
    String(seconds),
    "-M",
    PGBENCH_MODE,
    "-l",
    `--log-prefix=${prefix}`,
    ...files.flatMap((f) => ["-f", `${f}@1`]),
    DB_NAME,
  ];
  const out = await runTool(PGBENCH!, args, { PATH: process.env.PATH, PGPASSWORD: DB_PASSWORD, PGAPPNAME: "pgbench" });
  const text = `${out.stdout}\n${out.stderr}`;
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out.stdout);
  const processed = /number of transactions actually processed: (\d+)/.exec(out.stdout);
  if (out.code !== 0 || !tps || !processed) throw new Error(`pgbench failed (exit ${out.code}):\n${text.slice(-3000)}`);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out.stdout)?.[1] ?? 0);
  // Per-transaction log: client_id transaction_no latency_us script_no epoch us …
  const latencies: number[] = [];
  for (const f of await fs.readdir(env.dir)) {
    if (!f.startsWith(`log-${tag}.`)) continue;
    for (const line of (await fs.readFile(path.join(env.dir, f), "utf8")).split("\n")) {
      const us = Number(line.split(" ")[2]);
      if (Number.isFinite(us) && line) latencies.push(us);
    }
    await fs.rm(path.join(env.dir, f));
  }
  latencies.sort((a, b) => a - b);
  return {
    perSec: Number(tps[1]),
    p50Ms: percentile(latencies, 50) / 1000,
    p99Ms: percentile(latencies, 99) / 1000,
    count: Number(processed[1]),
    failed,
    errors: 0,
    statuses: {},
    detail: `${latencies.length} transactions logged`,
  };
}

interface WrkReport {
  requests: number;
  durationUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
}

async function wrk(url: string, mode: "get" | "post", keys: string[], connections: number, seconds: number, tag: string): Promise<Measured> {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", path.join(root, "bench", "usage-wrk.lua"), url];
  const out = await runTool(WRK!, args, { PATH: process.env.PATH, USAGE_MODE: mode, USAGE_KEYS: keys.join(","), USAGE_TAG: tag });
  const json = out.stdout.split("\n").find((line) => line.startsWith("{"));
  if (out.code !== 0 || !json) throw new Error(`wrk failed (exit ${out.code}):\n${out.stdout}\n${out.stderr}`);
  const r = JSON.parse(json) as WrkReport;
  return {
    perSec: r.requests / (r.durationUs / 1e6),
    p50Ms: r.p50Us / 1000,
    p99Ms: r.p99Us / 1000,
    count: r.requests,
    failed: r.non2xx,
    errors: r.errors,
    statuses: r.statuses,
    detail: `p90 ${(r.p90Us / 1000).toFixed(1)} ms, max ${(r.maxUs / 1000).toFixed(0)} ms`,
  };
}

// ---------------------------------------------------------------------------
// The web process

interface Web {
  child: Child;
  url: string;
  profileDir: string | null;
}

function webEnv(databaseUrl: string, port: number, temporalPort: number, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    NODE_ENV: "development",
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    SESSION_SECRET: "bench-session-secret-0123456789abcdefghijklmnop",
    TOMBSTONE_SECRET: "bench-tombstone-secret-0123456789abcdefghijklmn",
    LIST_UNSUBSCRIBE_SECRET: "bench-unsubscribe-secret-0123456789abcdefghijk",
    ALLOW_DEV_SECRETS: "1", // a throwaway database: the built-in secrets are fine, and must be asked for
    ...overrides,
  };
}

/** The batch settings the web process runs with, as its config reads them. */
function batchSettings(env: NodeJS.ProcessEnv): string {
  const b = parseConfig(env).usageBatch;
  const said = (name: string, value: number) => `${name}=${value}${env[name] ? "" : " (default)"}`;
  return [said("USAGE_BATCH_MAX_DEBITS", b.maxDebits), said("USAGE_BATCH_MAX_WAIT_MS", b.maxWaitMs), said("USAGE_BATCH_CONCURRENCY", b.concurrency)].join(", ");
}

async function startWeb(databaseUrl: string, hotKey: string, opts: { profile?: string; env?: Record<string, string> } = {}): Promise<Web> {
  const port = await safePort();
  const temporalPort = await safePort(); // free and closed: the web connects to Temporal lazily, /v1 never needs it
  if (opts.profile) await fs.mkdir(opts.profile, { recursive: true });
  const child = spawnNode(
    "web",
    ["--import", "tsx", ...(opts.profile ? ["--cpu-prof", `--cpu-prof-dir=${opts.profile}`] : []), "server/web.ts"],
    webEnv(databaseUrl, port, temporalPort, opts.env),
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_SECONDS * 1000;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const p = child.process;
    if (p.exitCode !== null || p.signalCode !== null)
      throw new Error(`the web process exited (code ${p.exitCode}) before answering. Its last output:\n${child.tail()}`);
    try {
      const res = await fetch(`${url}/v1/account`, { headers: { authorization: `Bearer ${hotKey}` }, signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) return { child, url, profileDir: opts.profile ?? null };
      last = `HTTP ${res.status}: ${body.slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(250);
  }
  throw new Error(`the web process did not answer 200 within ${READY_SECONDS} s. Last answer: ${last}\n${child.tail()}`);
}

/** Stops the web; under --cpu-prof, the top of the main thread's profile (written on exit) over `window`. */
async function stopWeb(web: Web, window?: { fromUs: number; toUs: number }): Promise<string | null> {
  const t0 = performance.now();
  await stopChild(web.child.process);
  const stopMs = performance.now() - t0;
  if (stopMs > 5000) log(`  (the web process took ${(stopMs / 1000).toFixed(1)} s to stop${web.child.process.signalCode === "SIGKILL" ? "; killed" : ""})`);
  if (!web.profileDir) return null;
  const pid = web.child.process.pid;
  const files = (await fs.readdir(web.profileDir)).filter((f) => f.endsWith(".cpuprofile") && f.includes(`.${pid}.0.`));
  if (!files.length) return `(no profile written for pid ${pid} in ${web.profileDir})`;
  const file = path.join(web.profileDir, files.sort().at(-1)!);
  return `${file}, the measured run only:\n${profileTop(JSON.parse(await fs.readFile(file, "utf8")) as CpuProfile, window, 15)}`;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per function, as bench/cpuprofile-top.ts counts it, but only over the samples taken in `window`
 * (µs on the monotonic clock, which V8's profile timestamps and process.hrtime share on Linux): the
 * process's start-up (module loading and compiling) is left out.
 */
function profileTop(profile: CpuProfile, window: { fromUs: number; toUs: number } | undefined, count: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, number>();
  let at = profile.startTime;
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    at += us;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const f = byId.get(id);
    if (!f) return;
    total += us;
    const name = f.functionName || "(anonymous)";
    if (name === "(idle)") return void (idle += us);
    const where = f.url ? `  ${path.relative(root, f.url.replace(/^file:\/\//, "")) || f.url}:${f.lineNumber + 1}` : "";
    self.set(`${name}${where}`, (self.get(`${name}${where}`) ?? 0) + us);
  });
  const busy = total - idle;
  if (busy <= 0) return "(no samples in the measured window)";
  return [
    `${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (${Math.round((busy / total) * 100)} % of one CPU); self time as % of busy:`,
    ...[...self]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([k, us]) => `${((us / busy) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`),
  ].join("\n");
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

// ---------------------------------------------------------------------------
// Report

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const fmtPct = (n: number | null) => (n === null ? "–" : `${Math.round(n)} %`);
const fmtRatio = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));
const fmtCommits = (c: Run["commits"]) =>
  c ? `${fmtInt(c.count)} commits (${fmtInt(c.perSec)}/s), ${c.debitsPer.toFixed(1)} debits and ${c.accountsPer.toFixed(1)} accounts per commit` : "–";
const statusText = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([code, n]) => `${code}×${n}`)
    .join(", ");

interface Phase {
  durability: string;
  fsync: boolean;
  runs: Map<string, Run>;
  batch: string;
  profiles: string[];
}

function summaryTable(p: Phase): { table: string; verdicts: string[] } {
  const r = (id: string) => p.runs.get(id);
  const cell = (run: Run | undefined, withP50 = true) =>
    run ? `${fmtInt(run.perSec)} (${withP50 ? `p50 ${fmtMs(run.p50Ms)} / ` : ""}p99 ${fmtMs(run.p99Ms)} ms)` : "–";
  const ratioCell = (usage: Run | undefined, base: Run | undefined) => {
    if (!usage || !base) return "–";
    const ratio = usage.perSec / base.perSec;
    return `**${fmtRatio(ratio)}×** ${ratio >= GOAL_RATIO && usage.p99Ms <= GOAL_P99_MS ? "✅" : "❌"}${ratio >= GOAL_RATIO && usage.p99Ms > GOAL_P99_MS ? ` (p99 > ${GOAL_P99_MS} ms)` : ""}`;
  };
  const ofGet = (usage: Run | undefined) => {
    const get = r("get");
    return usage && get ? `${Math.round((usage.perSec / get.perSec) * 100)} %` : "–";
  };
  const verdicts: string[] = [];
  const rows = [
    "| | 100 accounts (random per debit) | 1 hot account |",
    "|---|---:|---:|",
    `| pgbench, the same transaction as \`postLedgerEntry\`, ${CONNECTIONS} clients: tps | ${cell(r("pgbench-spread"))} | ${cell(r("pgbench-hot"))} |`,
    `| \`POST /v1/usage\` (wrk), ${CONNECTIONS} connections: req/s | ${cell(r("usage-spread"))} | ${cell(r("usage-hot"))} |`,
    `| ratio usage ÷ pgbench (goal ≥ ${GOAL_RATIO}) | ${ratioCell(r("usage-spread"), r("pgbench-spread"))} | ${ratioCell(r("usage-hot"), r("pgbench-hot"))} |`,
  ];
  if (MORE_CONNECTIONS) {
    rows.push(
      `| \`POST /v1/usage\` (wrk), **${MORE_CONNECTIONS} connections**: req/s | ${cell(r("usage-spread-more"))} | ${cell(r("usage-hot-more"))} |`,
      `| ratio usage (${MORE_CONNECTIONS} connections) ÷ pgbench (${CONNECTIONS} clients) | ${ratioCell(r("usage-spread-more"), r("pgbench-spread"))} | ${ratioCell(r("usage-hot-more"), r("pgbench-hot"))} |`,
    );
  }
  rows.push(
    `| \`GET /v1/account\` (wrk), ${CONNECTIONS} connections, the ceiling: req/s | ${cell(r("get"))} | (same run) |`,
    `| usage (${CONNECTIONS} connections) ÷ GET /v1/account | ${ofGet(r("usage-spread"))} | ${ofGet(r("usage-hot"))} |`,
  );
  if (MORE_CONNECTIONS)
    rows.push(`| usage (${MORE_CONNECTIONS} connections) ÷ GET /v1/account | ${ofGet(r("usage-spread-more"))} | ${ofGet(r("usage-hot-more"))} |`);
  for (const [usage, base, name] of [
    ["usage-spread", "pgbench-spread", "100 accounts"],
    ["usage-hot", "pgbench-hot", "1 hot account"],
  ] as const) {
    const u = r(usage);
    const b = r(base);
    if (!u || !b) continue;
    const candidates = [u, r(`${usage}-more`)].filter((x): x is Run => !!x).sort((x, y) => y.perSec - x.perSec);
    const within = candidates.find((x) => x.p99Ms <= GOAL_P99_MS);
    const best = within ?? candidates[0];
    const ratio = best.perSec / b.perSec;
    const met = ratio >= GOAL_RATIO && best.p99Ms <= GOAL_P99_MS;
    verdicts.push(
      `${name}: **${fmtRatio(ratio)}×** pgbench at ${best.connections} connections, p99 ${fmtMs(best.p99Ms)} ms` +
        `${within ? "" : ` (no run kept p99 ≤ ${GOAL_P99_MS} ms)`}` +
        (p.fsync
          ? ` — goal ${met ? "met" : "**NOT met**"}`
          : ` (${met ? "would meet" : "would not meet"} the goal; for comparison only, the goal is with fsync on)`),
    );
  }
  return { table: rows.join("\n"), verdicts };
}

function runsTable(p: Phase): string {
  const rows = [
    "| run | tool | clients / connections | tps or req/s | p50 ms | p99 ms | transactions / answers | failed / non-2xx | errors | status codes | web CPU | PostgreSQL CPU | load generator CPU | rest of machine | transactions (POST: from the entries) | PostgreSQL client backends (samples every 100 ms, not idle) | locks waited for |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|---|",
  ];
  for (const run of p.runs.values()) {
    rows.push(
      `| ${run.label} | ${run.tool} | ${run.connections} | ${fmtInt(run.perSec)} | ${fmtMs(run.p50Ms)} | ${fmtMs(run.p99Ms)} | ${fmtInt(run.count)} | ${run.failed} | ${run.errors} | ${statusText(run.statuses) || "–"} | ${fmtPct(run.cpu.web)} | ${fmtPct(run.cpu.postgres)} | ${fmtPct(run.cpu.generator)} | ${fmtPct(run.cpu.rest)}${run.quiet ? " ⚠" : ""} | ${run.commits ? fmtCommits(run.commits) : run.tool === "pgbench" ? "one per debit" : "–"} | ${topWaits(run.waits)} | ${topWaits(run.waits, 3, "locks")} |`,
    );
  }
  return rows.join("\n");
}

function writeSection(section: string): Promise<void> {
  return writeMarkedSection(BENCHMARKS_MD, { notes: NOTES_MARKER, start: START_MARKER, end: END_MARKER }, section);
}

// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = new Date();
  const host = machineLine();
  const pgbenchVersion = toolVersion(PGBENCH!, ["--version"]);
  const wrkVersion = toolVersion(WRK!, ["-v"]).replace(/ Copyright.*/, "");
  log(
    `Switchboard usage benchmark: ${SECONDS} s per measured run, ${CONNECTIONS} clients/connections${MORE_CONNECTIONS ? ` (+ POST at ${MORE_CONNECTIONS})` : ""}`,
  );
  log(`Machine: ${host}; ${pgbenchVersion} (${PGBENCH}, -M ${PGBENCH_MODE}, -j ${PGBENCH_THREADS}); ${wrkVersion}`);

  // 1. PostgreSQL with its default durability, schema, bench data.
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "switchboard-usage-bench-"));
  await fs.chmod(tmp, 0o755); // as root, PostgreSQL runs as `postgres`, which must reach the data dir
  const pgDir = path.join(tmp, "pg");
  const work = path.join(tmp, "work");
  await fs.mkdir(work);
  const pgPort = await safePort();
  const pgLog: string[] = [];
  process.stdout.write(`PostgreSQL on 127.0.0.1:${pgPort} (data in ${pgDir}, ${fileSystemOf(tmp)})… `);
  try {
    // Not `throwaway`: that passes -c fsync=off on the command line, which ALTER SYSTEM could not undo.
    pgServer = await startEmbeddedPostgres({
      dataDir: pgDir,
      port: pgPort,
      onLog: (line) => {
        pgLog.push(line.trimEnd());
        if (pgLog.length > 50) pgLog.shift();
      },
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nPostgreSQL output:\n${pgLog.join("\n")}`, { cause: err });
  }
  await ensureDatabase(pgServer.serverUrl, DB_NAME);
  const databaseUrl = pgServer.urlFor(DB_NAME);
  db = createDb(databaseUrl, { max: 2 });
  const migrations = await migrateToLatest(db);
  const { server_version: pgVersion } = (await sql<{ server_version: string }>`SHOW server_version`.execute(db)).rows[0];
  const seeded = await seed(db);
  log(`PostgreSQL ${pgVersion}: ${migrations.length} migrations, 1 + ${SPREAD_ACCOUNTS} accounts seeded`);
  const postmasterPid = await readPostmasterPid(pgDir);

  // 2. The pgbench scripts, from the real postLedgerEntry.
  const captured = await captureDebit(databaseUrl, seeded.hot);
  const shown = pgbenchScript(captured, seeded.hot, { accountId: "<account id>", keyId: "<key id>" });
  log(`\npgbench script (one file per account; the account's and its main key's ids in place of <…>):\n${shown}`);
  const hotScript = path.join(work, "debit-hot.sql");
  await fs.writeFile(hotScript, pgbenchScript(captured, seeded.hot, seeded.hot));
  const spreadScripts: string[] = [];
  for (const [i, a] of seeded.spread.entries()) {
    const file = path.join(work, `debit-${i + 1}.sql`);
    await fs.writeFile(file, pgbenchScript(captured, seeded.hot, a));
    spreadScripts.push(file);
  }

  // 3. The runs.
  if (!existsSync(path.join(root, "build", "index.js"))) {
    log("build/index.js missing: npx remix build…");
    execFileSync("npx", ["remix", "build"], { cwd: root, stdio: "inherit" });
  }
  const spreadKeys = seeded.spread.map((a) => a.key);
  let created = 0; // 201s, warm-ups included
  let wrkRuns = 0;
  let pgbenchTransactions = 0;
  let pgbenchRuns = 0;
  let pgbenchClients = 0;

  const measure = async (label: string, tool: Run["tool"], connections: number, webPid: number | null, go: () => Promise<Measured>): Promise<Run> => {
    const quiet = await waitForQuiet();
    await sql`CHECKPOINT`.execute(db!); // every run starts from a fresh checkpoint (same full-page-write cost)
    process.stdout.write(`  ${label}: ${quiet ? `(${quiet}; going ahead) ` : ""}measuring ${SECONDS} s… `);
    const sampler = sampleWaits(databaseUrl);
    const before = cpuSnapshot(webPid, postmasterPid);
    const m = await go();
    const cpu = cpuUse(before, cpuSnapshot(webPid, postmasterPid));
    const waits = await sampler.stop();
    if (tool === "wrk") {
      created += m.statuses["201"] ?? 0;
      wrkRuns++;
    } else {
      pgbenchTransactions += m.count;
      pgbenchRuns++;
      pgbenchClients += connections;
    }
    log(`${fmtInt(m.perSec)}/s, p50 ${fmtMs(m.p50Ms)} ms, p99 ${fmtMs(m.p99Ms)} ms; rest of machine ${fmtPct(cpu.rest)}; ${topWaits(waits, 3)}`);
    await sleep(300); // requests a stopped run abandoned land meanwhile
    return { ...m, label, tool, connections, cpu, waits, quiet };
  };
  const warm = async (url: string, mode: "get" | "post", keys: string[], connections: number, tag: string) => {
    if (!WARMUP_SECONDS) return;
    const m = await wrk(url, mode, keys, connections, WARMUP_SECONDS, tag);
    if (mode === "post") {
      created += m.statuses["201"] ?? 0;
      wrkRuns++;
    }
  };

  const postScenarios = [
    { id: "usage-spread", label: `POST /v1/usage, ${SPREAD_ACCOUNTS} accounts`, keys: spreadKeys, connections: CONNECTIONS },
    { id: "usage-hot", label: "POST /v1/usage, 1 hot account", keys: [seeded.hot.key], connections: CONNECTIONS },
    ...(MORE_CONNECTIONS
      ? [
          {
            id: "usage-spread-more",
            label: `POST /v1/usage, ${SPREAD_ACCOUNTS} accounts, ${MORE_CONNECTIONS} connections`,
            keys: spreadKeys,
            connections: MORE_CONNECTIONS,
          },
          {
            id: "usage-hot-more",
            label: `POST /v1/usage, 1 hot account, ${MORE_CONNECTIONS} connections`,
            keys: [seeded.hot.key],
            connections: MORE_CONNECTIONS,
          },
        ]
      : []),
  ];

  const phases: Phase[] = [];
  const problems: string[] = [];
  const pgb = { port: pgPort, dir: work };

  if (SWEEP) {
    await sweep({ databaseUrl, seeded, spreadScripts, hotScript, pgb, measure, warm });
    return 0;
  }

  for (const fsyncOn of DURABILITY === "both" ? [true, false] : [DURABILITY === "on"]) {
    const durability = await setDurability(db, fsyncOn);
    log(`\n${durability}:`);
    const runs = new Map<string, Run>();
    const profiles: string[] = [];
    const phaseTag = fsyncOn ? "on" : "off";
    if (selected("pgbench-spread")) {
      runs.set(
        "pgbench-spread",
        await measure(`pgbench, ${SPREAD_ACCOUNTS} accounts`, "pgbench", CONNECTIONS, null, () =>
          pgbench(pgb, spreadScripts, CONNECTIONS, SECONDS, `${phaseTag}-spread`),
        ),
      );
    }
    if (selected("pgbench-hot")) {
      runs.set(
        "pgbench-hot",
        await measure("pgbench, 1 hot account", "pgbench", CONNECTIONS, null, () => pgbench(pgb, [hotScript], CONNECTIONS, SECONDS, `${phaseTag}-hot`)),
      );
    }

    if (WITHOUT_NOTIFY) {
      // The NOTIFY takes a database-wide lock from pre-commit to the end of the commit (its WAL flush included).
      await sql`ALTER TABLE accounts DISABLE TRIGGER accounts_notify`.execute(db);
      try {
        for (const [id, label, files] of [
          ["pgbench-spread-no-notify", `(diagnosis) pgbench, ${SPREAD_ACCOUNTS} accounts, accounts_notify trigger off`, spreadScripts],
          ["pgbench-hot-no-notify", "(diagnosis) pgbench, 1 hot account, accounts_notify trigger off", [hotScript]],
        ] as const) {
          runs.set(id, await measure(label, "pgbench", CONNECTIONS, null, () => pgbench(pgb, [...files], CONNECTIONS, SECONDS, `${phaseTag}-${id}`)));
        }
      } finally {
        await sql`ALTER TABLE accounts ENABLE TRIGGER accounts_notify`.execute(db);
      }
    }
    const batch = batchSettings(webEnv(databaseUrl, 1, 1));
    let web: Web | null = await startWeb(databaseUrl, seeded.hot.key);
    log(`  web ${web.url} (${batch})`);
    const getWeb = web;
    if (selected("get")) {
      await warm(getWeb.url, "get", [seeded.hot.key], CONNECTIONS, "warm-get");
      runs.set(
        "get",
        await measure("GET /v1/account", "wrk", CONNECTIONS, getWeb.child.process.pid!, () =>
          wrk(getWeb.url, "get", [seeded.hot.key], CONNECTIONS, SECONDS, "get"),
        ),
      );
    }
    for (const s of postScenarios.filter((x) => selected(x.id))) {
      if (profileDir) {
        if (web) await stopWeb(web);
        web = await startWeb(databaseUrl, seeded.hot.key, { profile: path.join(profileDir, `${phaseTag}-${s.id}`) });
      }
      const w: Web = web ?? (web = await startWeb(databaseUrl, seeded.hot.key));
      const tag = `${phaseTag}-${s.id}-${Date.now()}`;
      await warm(w.url, "post", s.keys, s.connections, `${tag}-warm`);
      const window = { fromUs: 0, toUs: 0 };
      const run = await measure(s.label, "wrk", s.connections, w.child.process.pid!, async () => {
        window.fromUs = monotonicUs();
        const m = await wrk(w.url, "post", s.keys, s.connections, SECONDS, tag);
        window.toUs = monotonicUs();
        return m;
      });
      run.commits = await commitsOf(db, tag, SECONDS);
      if (run.commits) log(`    ${fmtCommits(run.commits)}`);
      runs.set(s.id, run);
      if (profileDir) {
        const top = await stopWeb(w, window);
        web = null;
        if (top) profiles.push(`${s.label} (${durability}): ${top}`);
      }
    }
    if (web) await stopWeb(web);
    for (const run of runs.values()) {
      if (run.failed || run.errors)
        problems.push(`${durability}, ${run.label}: ${run.failed} failed/non-2xx, ${run.errors} errors (${statusText(run.statuses)})`);
    }
    phases.push({ durability, fsync: fsyncOn, runs, batch, profiles });
  }

  // 4. The ledger check: every account, and every debit accounted for.
  const check = (
    await sql<{ accounts: number; mismatched: number; api_entries: string; pgbench_entries: string }>`
      SELECT count(*)::int AS accounts,
             count(*) FILTER (WHERE a.balance_cents <> coalesce(s.total, 0))::int AS mismatched,
             coalesce(sum(s.api_entries), 0)::text AS api_entries,
             coalesce(sum(s.pgbench_entries), 0)::text AS pgbench_entries
      FROM accounts a
      LEFT JOIN (
        SELECT account_id, sum(amount_cents) AS total,
               count(*) FILTER (WHERE kind = 'usage' AND idempotency_key LIKE 'usage:%') AS api_entries,
               count(*) FILTER (WHERE kind = 'usage' AND idempotency_key ~ '^[0-9]+$') AS pgbench_entries
        FROM ledger_entries GROUP BY account_id
      ) s ON s.account_id = a.id`.execute(db)
  ).rows[0];
  const apiEntries = Number(check.api_entries) - 1; // the captured debit
  const pgbenchEntries = Number(check.pgbench_entries);
  // A wrk run that stops abandons up to one in-flight request per connection; the server still posts those.
  const inFlight =
    [...phases.flatMap((p) => [...p.runs.values()])].filter((r) => r.tool === "wrk").reduce((n, r) => n + r.connections, 0) * (WARMUP_SECONDS ? 2 : 1);
  const ledgerOk =
    check.mismatched === 0 &&
    apiEntries >= created &&
    apiEntries - created <= inFlight &&
    pgbenchEntries >= pgbenchTransactions &&
    pgbenchEntries - pgbenchTransactions <= pgbenchClients;
  const ledgerLine =
    `${check.accounts} accounts: balance = ledger sum on ${check.accounts - check.mismatched} of them${check.mismatched ? ` (**${check.mismatched} MISMATCHED**)` : ""}; ` +
    `${fmtInt(apiEntries)} usage entries from the API for ${fmtInt(created)} \`201\` answers counted over ${wrkRuns} POST runs, warm-ups included ` +
    `(the difference, ${fmtInt(apiEntries - created)}, is requests in flight when a run stopped; at most ${fmtInt(inFlight)} allowed); ` +
    `${fmtInt(pgbenchEntries)} entries from pgbench for ${fmtInt(pgbenchTransactions)} transactions it counted over ${pgbenchRuns} runs` +
    `${ledgerOk ? "" : " — **CHECK FAILED**"}.`;
  if (!ledgerOk) problems.push(`ledger check failed: ${ledgerLine}`);

  // 5. Report.
  const sections: string[] = [];
  for (const p of phases) {
    const { table, verdicts } = summaryTable(p);
    log(`\n${p.durability}\n${table}\n${verdicts.join("\n")}`);
    sections.push(`### ${p.fsync ? "fsync on, synchronous_commit on (PostgreSQL's default durability)" : "fsync off, synchronous_commit off (as `npm run bench` runs PostgreSQL)"}

${table}

${verdicts.map((v) => `- ${v}`).join("\n")}

<details><summary>Every run (${p.durability})</summary>

${runsTable(p)}

</details>
${p.profiles.length ? `\n**CPU profiles of the web process** (\`BENCH_USAGE_PROFILE\`, a fresh web per run; self time):\n\n${p.profiles.map((t) => `\`\`\`\n${t}\n\`\`\``).join("\n\n")}\n` : ""}`);
    log(runsTable(p));
    for (const t of p.profiles) log(t);
  }
  log(`\nLedger: ${ledgerLine.replace(/\*\*/g, "").replace(/`/g, "")}`);
  if (problems.length) {
    log("\n!!! VALID REQUESTS FAILED OR THE LEDGER DISAGREES: these figures are not clean");
    for (const p of problems) log(`!!! ${p}`);
  }

  if (DURABILITY !== "both" || only) {
    log(`\n${only ? `BENCH_USAGE_ONLY=${only.join(",")}` : `BENCH_USAGE_DURABILITY=${DURABILITY}`}: partial run, BENCHMARKS.md left as it is.`);
  } else {
    const md = `## Usage debits against the database's ceiling (\`npm run bench:usage\`)

- **Command:** \`npm run bench:usage\` (\`BENCH_SECONDS=${SECONDS}\` per measured run; wrk warm-up ${WARMUP_SECONDS} s before each web run; \`CHECKPOINT\` before each run)
- **Date:** ${started.toISOString().replace("T", " ").slice(0, 16)} UTC; code at ${gitHead()}
- **Machine:** ${host}; PostgreSQL ${pgVersion} (embedded, throwaway, data on ${fileSystemOf(tmp)}); everything below runs on these CPUs
- **pgbench:** ${pgbenchVersion}, \`-c ${CONNECTIONS} -j ${Math.min(PGBENCH_THREADS, CONNECTIONS)} -T ${SECONDS} -M ${PGBENCH_MODE} -n\`; 100 accounts = one script per account (\`-f debit-<n>.sql@1\` × 100: pgbench picks one at random for each transaction)
- **Web:** \`node --import tsx server/web.ts\` (\`NODE_ENV=development\`, \`LOG_LEVEL=warn\`, its own pool of 10 connections); ${phases[0]?.batch ?? "?"}
- **wrk:** ${wrkVersion}, 1 thread (\`bench/usage-wrk.lua\`: amount_cents 1, a new idempotency_key per request, a random account's key each time)

Goal (issue #17): \`POST /v1/usage\` ≥ ${GOAL_RATIO}× pgbench's tps for the same transaction, in the same run, with fsync on, p99 ≤ ${GOAL_P99_MS} ms. Cells are tps or req/s (p50 / p99 latency).

${sections.join("\n")}
${problems.length ? `\n**VALID REQUESTS FAILED OR THE LEDGER DISAGREES — these figures are not clean:**\n\n${problems.map((p) => `- ${p}`).join("\n")}\n` : "\nEvery request got a 2xx answer and every pgbench transaction committed (warm-ups included).\n"}
**Ledger check after all runs:** ${ledgerLine}

"Rest of machine" is the machine's busy time not spent by the web process, PostgreSQL, the load generator or this script (other agents' work on this shared machine, kernel work not charged to a process); 100 % is one CPU. ⚠ marks a run the bench could not start on a quiet machine.

<details><summary>The pgbench script (generated from <code>postLedgerEntry</code> by the bench)</summary>

The bench calls \`postLedgerEntry\` once, as \`POST /v1/usage\` does (a usage debit of 1 cent with the account's main key as \`spendingKeyId\`), on a Kysely whose \`log\` hook records each statement and its parameters, and turns that into a pgbench script: \`:ik\` (a random idempotency key per transaction) and \`:newbal\` (the balance read under the lock by \`\\gset\`, minus the amount: what the function computes in JavaScript) are pgbench variables; the account, its key, the amount, kind and actor are quoted literals, which PostgreSQL types from context as it types node-pg's untyped parameters. The bench stops if the function's statements change shape.

\`\`\`sql
${shown.trimEnd()}
\`\`\`

</details>`;
    await writeSection(md);
    log(`\nWrote the bench:usage section of ${path.relative(process.cwd(), BENCHMARKS_MD)}.`);
  }
  return problems.length ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Settings sweep

interface SweepDeps {
  databaseUrl: string;
  seeded: { hot: BenchAccount; spread: BenchAccount[] };
  spreadScripts: string[];
  hotScript: string;
  pgb: { port: number; dir: string };
  measure: (label: string, tool: Run["tool"], connections: number, webPid: number | null, go: () => Promise<Measured>) => Promise<Run>;
  warm: (url: string, mode: "get" | "post", keys: string[], connections: number, tag: string) => Promise<void>;
}

async function sweep(d: SweepDeps): Promise<void> {
  log(
    `\nSettings sweep, ${await setDurability(db!, true)}: USAGE_BATCH_MAX_WAIT_MS ${SWEEP_WAIT_MS.join("/")} × USAGE_BATCH_CONCURRENCY ${SWEEP_CONCURRENCY.join("/")} × connections ${SWEEP_CONNECTIONS.join("/")}`,
  );
  const base = {
    spread: await d.measure(`pgbench, ${SPREAD_ACCOUNTS} accounts`, "pgbench", CONNECTIONS, null, () =>
      pgbench(d.pgb, d.spreadScripts, CONNECTIONS, SECONDS, "sweep-spread"),
    ),
    hot: await d.measure("pgbench, 1 hot account", "pgbench", CONNECTIONS, null, () => pgbench(d.pgb, [d.hotScript], CONNECTIONS, SECONDS, "sweep-hot")),
  };
  const rows: { wait: number; conc: number; conns: number; spread: Run; hot: Run }[] = [];
  for (const wait of SWEEP_WAIT_MS) {
    for (const conc of SWEEP_CONCURRENCY) {
      const env = { USAGE_BATCH_MAX_WAIT_MS: String(wait), USAGE_BATCH_CONCURRENCY: String(conc) };
      const web = await startWeb(d.databaseUrl, d.seeded.hot.key, { env });
      log(`  web: ${batchSettings(webEnv(d.databaseUrl, 1, 1, env))}; code at ${gitHead()}`);
      for (const conns of SWEEP_CONNECTIONS) {
        const one = async (name: string, keys: string[]) => {
          const tag = `sweep-${wait}-${conc}-${conns}-${name}-${Date.now()}`;
          await d.warm(web.url, "post", keys, conns, `${tag}-warm`);
          const run = await d.measure(`wait ${wait} ms, concurrency ${conc}, ${conns} connections, ${name}`, "wrk", conns, web.child.process.pid!, () =>
            wrk(web.url, "post", keys, conns, SECONDS, tag),
          );
          run.commits = await commitsOf(db!, tag, SECONDS);
          return run;
        };
        rows.push({
          wait,
          conc,
          conns,
          spread: await one(
            "100 accounts",
            d.seeded.spread.map((a) => a.key),
          ),
          hot: await one("1 account", [d.seeded.hot.key]),
        });
      }
      await stopWeb(web);
    }
  }
  const ok = (r: Run) => r.p99Ms <= GOAL_P99_MS && !r.failed && !r.errors;
  const bestSpread = rows.filter((r) => ok(r.spread)).sort((a, b) => b.spread.perSec - a.spread.perSec)[0];
  const bestHot = rows.filter((r) => ok(r.hot)).sort((a, b) => b.hot.perSec - a.hot.perSec)[0];
  const bestBoth = rows
    .filter((r) => ok(r.spread) && ok(r.hot))
    .sort(
      (a, b) =>
        Math.min(b.spread.perSec / base.spread.perSec, b.hot.perSec / base.hot.perSec) -
        Math.min(a.spread.perSec / base.spread.perSec, a.hot.perSec / base.hot.perSec),
    )[0];
  const lines = [
    `pgbench (${CONNECTIONS} clients, -M ${PGBENCH_MODE}): ${fmtInt(base.spread.perSec)} tps over 100 accounts, ${fmtInt(base.hot.perSec)} tps on 1 account; ${SECONDS} s per run, fsync on`,
    "",
    "| MAX_WAIT_MS | CONCURRENCY | connections | 100 accounts req/s | p99 ms | × pgbench | debits / commit | 1 account req/s | p99 ms | × pgbench | debits / commit | rest of machine |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.wait} | ${r.conc} | ${r.conns} | ${fmtInt(r.spread.perSec)}${r === bestSpread ? " **best**" : ""} | ${fmtMs(r.spread.p99Ms)} | ${fmtRatio(r.spread.perSec / base.spread.perSec)} | ${r.spread.commits?.debitsPer.toFixed(1) ?? "–"} | ${fmtInt(r.hot.perSec)}${r === bestHot ? " **best**" : ""} | ${fmtMs(r.hot.p99Ms)} | ${fmtRatio(r.hot.perSec / base.hot.perSec)} | ${r.hot.commits?.debitsPer.toFixed(1) ?? "–"} | ${fmtPct(r.spread.cpu.rest)} / ${fmtPct(r.hot.cpu.rest)} |`,
    ),
    "",
    bestBoth
      ? `Best on both with p99 ≤ ${GOAL_P99_MS} ms (highest of the lower ratio): MAX_WAIT_MS=${bestBoth.wait}, CONCURRENCY=${bestBoth.conc}, ${bestBoth.conns} connections`
      : `No setting kept p99 ≤ ${GOAL_P99_MS} ms on both scenarios.`,
  ];
  log(`\n${lines.join("\n")}`);
  const failed = rows.flatMap((r) => [r.spread, r.hot]).filter((r) => r.failed || r.errors);
  for (const r of failed) log(`!!! ${r.label}: ${r.failed} non-2xx, ${r.errors} errors (${statusText(r.statuses)})`);
}

let code: number;
try {
  code = await main();
} catch (err) {
  console.error(`\nbench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  code = 1;
}
await cleanup();
process.exit(code);
