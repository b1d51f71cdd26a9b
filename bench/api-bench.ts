/**
 * `npm run bench`: the /v1 API under load, next to a bare node:http server on
 * the same machine in the same run. A benchmark, not a test: it prints figures
 * and writes them to BENCHMARKS.md (everything above the Notes marker).
 *
 * Throwaway embedded PostgreSQL (migrated, seeded with bench accounts and keys)
 * → the real web process (`node --import tsx server/web.ts`) and a bare
 * node:http server (bench/bare-server.ts) as child processes → autocannon
 * (programmatic, in this process) against each: warm-up, then a measured run.
 *
 * Environment: BENCH_SECONDS (measured run, default 10), BENCH_WARMUP_SECONDS
 * (default 3), BENCH_CONNECTIONS (default 50), BENCH_ONLY (comma list of
 * scenario ids: bare,get,usage-one,usage-spread; a partial run leaves
 * BENCHMARKS.md alone), BENCH_QUIET_WAIT_SECONDS (how long to wait for an idle
 * machine before each scenario, default 120, 0 = don't), BENCH_RETRIES (how
 * often a measured run disturbed by other load is repeated, keeping the least
 * disturbed; default 2), BENCH_CPU_PROF (a folder: the web child runs with
 * --cpu-prof, and so does the bare server, writing profiles there on exit; summarize it with
 * `node --import tsx bench/cpuprofile-top.ts <file>`).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { sql } from "kysely";
import { createDb, type Db } from "../db/connection.js";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../db/embedded-postgres.js";
import { migrateToLatest } from "../db/migrate.js";
import { intFromEnv } from "../dev/int-from-env.js";
import { seedBenchAccounts } from "./bench-accounts.js";
import { benchLifecycle, machineInfo, safePort, tailOutput, waitForIdleMachine } from "./harness.js";
import { machineBusyMs, postgresCpuMs, procStat, readPostmasterPid } from "./proc-cpu.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BENCHMARKS_MD = path.join(root, "BENCHMARKS.md");
const NOTES_MARKER = "<!-- bench:notes — everything below this line is hand-written; `npm run bench` keeps it as it is -->";

const SECONDS = intFromEnv("BENCH_SECONDS", 10, 1);
const WARMUP_SECONDS = intFromEnv("BENCH_WARMUP_SECONDS", 3, 0);
const CONNECTIONS = intFromEnv("BENCH_CONNECTIONS", 50, 1);
const READY_SECONDS = intFromEnv("BENCH_READY_SECONDS", 90, 1);
const QUIET_WAIT_SECONDS = intFromEnv("BENCH_QUIET_WAIT_SECONDS", 120, 0);
const RETRIES = intFromEnv("BENCH_RETRIES", 2, 0);
/** A measured run during which the rest of the machine was this busy (% of one CPU) is disturbed. */
const DISTURBED_PCT = 25;
const SPREAD_ACCOUNTS = 100;
const MAIN_GRANT_CENTS = 100_000_000_000n; // $1 billion: never runs out at 1 cent a request
const SPREAD_GRANT_CENTS = 1_000_000_000n;
const GOAL_RATIO = 0.5;
const GOAL_P99_MS = 10;

const SCENARIO_IDS = ["bare", "get", "usage-one", "usage-spread"] as const;
type ScenarioId = (typeof SCENARIO_IDS)[number];
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",").map((s) => s.trim()) : null;
if (only && only.some((s) => !(SCENARIO_IDS as readonly string[]).includes(s))) {
  console.error(`BENCH_ONLY takes a comma list of ${SCENARIO_IDS.join(", ")} (got ${process.env.BENCH_ONLY})`);
  process.exit(2);
}
const selected = (id: ScenarioId) => !only || only.includes(id);
const cpuProfDir = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : null;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(line);

// ---------------------------------------------------------------------------
// Cleanup: children, PostgreSQL, the temp folder — on success, failure and Ctrl-C.

let pg: EmbeddedPostgresHandle | undefined;
let db: Db | undefined;
let tmp: string | undefined;
const { children, cleanup, isCleaning } = benchLifecycle(() => ({ db, pg, tmp }));

// ---------------------------------------------------------------------------
// Helpers

interface Child {
  process: ChildProcess;
  /** The last lines it printed, for failure messages. */
  tail(): string;
}

function spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  children.add(child);
  const tail = tailOutput(name, child);
  child.on("exit", (code, signal) => {
    if (!isCleaning()) process.stderr.write(`[${name}] exited (code ${code}, signal ${signal})\n`);
  });
  return { process: child, tail };
}

async function waitFor200(name: string, child: Child, url: string, headers: Record<string, string>): Promise<string> {
  const deadline = Date.now() + READY_SECONDS * 1000;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    const p = child.process;
    if (p.exitCode !== null || p.signalCode !== null) {
      throw new Error(`${name} exited (code ${p.exitCode}, signal ${p.signalCode}) before answering ${url}. Its last output:\n${child.tail()}`);
    }
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200) return body;
      last = `HTTP ${res.status}: ${body.slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? `${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ""}` : String(err);
    }
    await sleep(250);
  }
  throw new Error(`${name} did not answer 200 at ${url} within ${READY_SECONDS} s. Last answer: ${last}\nIts last output:\n${child.tail()}`);
}

// ---------------------------------------------------------------------------
// CPU accounting (Linux /proc): what each side spent during a measured run.
// req/s alone cannot tell a slow server from a saturated load generator on a
// 2-CPU machine; CPU time per request can.

interface CpuSnapshot {
  at: number;
  server: number | null;
  postgres: number | null;
  client: number;
  machine: number | null;
}

function cpuSnapshot(serverPid: number, postmasterPid: number | null): CpuSnapshot {
  const c = process.cpuUsage();
  return {
    at: performance.now(),
    server: procStat(serverPid)?.cpuMs ?? null,
    postgres: postgresCpuMs(postmasterPid),
    client: (c.user + c.system) / 1000,
    machine: machineBusyMs(),
  };
}

interface CpuUse {
  /** Server process CPU per answered request, µs. */
  serverUsPerReq: number | null;
  /** Share of one CPU, %. */
  server: number | null;
  postgres: number | null;
  client: number;
  /** Everything else busy on the machine (other processes, kernel work not charged to these). */
  rest: number | null;
}

function cpuUse(a: CpuSnapshot, b: CpuSnapshot, requests: number): CpuUse {
  const wall = b.at - a.at;
  const pct = (x: number | null, y: number | null) => (x === null || y === null ? null : ((y - x) / wall) * 100);
  const server = pct(a.server, b.server);
  const postgres = pct(a.postgres, b.postgres);
  const client = pct(a.client, b.client)!;
  const machine = pct(a.machine, b.machine);
  return {
    serverUsPerReq: a.server === null || b.server === null || requests === 0 ? null : ((b.server - a.server) * 1000) / requests,
    server,
    postgres,
    client,
    rest: machine === null ? null : Math.max(0, machine - (server ?? 0) - (postgres ?? 0) - client),
  };
}

// ---------------------------------------------------------------------------
// Database

interface BenchAccount {
  accountId: string;
  key: string;
}

async function seed(database: Db): Promise<{ main: BenchAccount; spread: BenchAccount[] }> {
  const { first, spread } = await seedBenchAccounts(
    database,
    { email: "bench", name: "Bench" },
    { first: MAIN_GRANT_CENTS, spread: SPREAD_GRANT_CENTS },
    SPREAD_ACCOUNTS,
  );
  return { main: first, spread };
}

// ---------------------------------------------------------------------------
// Load

interface Scenario {
  id: ScenarioId;
  label: string;
  /** The process under test, for its CPU time. */
  serverPid: number;
  /** Valid requests only: every answer must be 2xx. */
  options: (runTag: string) => autocannon.Options;
}

interface Outcome {
  scenario: Scenario;
  result: autocannon.Result;
  cpu: CpuUse;
  /** Measured runs made: a run disturbed by other load on the machine is repeated (BENCH_RETRIES). */
  attempts: number;
  /** Failures outside the kept measured run (warm-up, discarded runs). */
  warmupNon2xx: number;
  warmupErrors: number;
  /** 201s (usage entries created) in warm-up + measured run. */
  created: number;
}

let usageSeq = 0;
function usageRequests(keys: string[], runTag: string): autocannon.Request[] {
  return [
    {
      method: "POST",
      path: "/v1/usage",
      // Called for every request: a new idempotency key each time, and the next account's key.
      setupRequest: (req) => {
        const n = usageSeq++;
        return {
          ...req,
          headers: { "content-type": "application/json", authorization: `Bearer ${keys[n % keys.length]}` },
          body: JSON.stringify({ amount_cents: 1, idempotency_key: `bench-${runTag}-${n}` }),
        };
      },
    },
  ];
}

async function cannon(options: autocannon.Options, seconds: number): Promise<autocannon.Result> {
  return autocannon({ connections: CONNECTIONS, pipelining: 1, timeout: 10, ...options, duration: seconds });
}

/**
 * On a shared machine (other test suites, browsers) figures swing widely: before
 * each scenario, wait (up to BENCH_QUIET_WAIT_SECONDS) for 2 s in which the
 * machine is busy less than a fifth of one CPU. Our own processes idle meanwhile.
 */
function waitForQuiet(): Promise<string | null> {
  return waitForIdleMachine(
    QUIET_WAIT_SECONDS,
    (busy) => `the machine was still busy (${Math.round(busy)} % of a CPU) after ${QUIET_WAIT_SECONDS} s of waiting for quiet`,
  );
}

async function runScenario(s: Scenario, postmasterPid: number | null): Promise<Outcome> {
  const noisy = await waitForQuiet();
  if (noisy) process.stdout.write(`  (${noisy}; going ahead)\n`);
  let warmupNon2xx = 0;
  let warmupErrors = 0;
  let created = 0;
  if (WARMUP_SECONDS > 0) {
    process.stdout.write(`  ${s.label}: warm-up ${WARMUP_SECONDS} s… `);
    const w = await cannon(s.options(`${s.id}-warmup`), WARMUP_SECONDS);
    warmupNon2xx = w.non2xx;
    warmupErrors = w.errors + w.timeouts;
    created += w.statusCodeStats["201"]?.count ?? 0;
    process.stdout.write(`${Math.round(w.requests.average)} req/s; `);
  } else process.stdout.write(`  ${s.label}: `);
  let best: { result: autocannon.Result; cpu: CpuUse } | undefined;
  let attempts = 0;
  for (;;) {
    attempts++;
    process.stdout.write(`measuring ${SECONDS} s… `);
    const before = cpuSnapshot(s.serverPid, postmasterPid);
    const result = await cannon(s.options(`${s.id}-measured-${attempts}`), SECONDS);
    const cpu = cpuUse(before, cpuSnapshot(s.serverPid, postmasterPid), result.requests.total);
    created += result.statusCodeStats["201"]?.count ?? 0;
    process.stdout.write(`${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`);
    // In-flight requests the run abandoned are still finishing on the server; let them land.
    await sleep(500);
    if (best) {
      // A discarded run's failures still count: every valid request must get a 2xx.
      const dropped = (cpu.rest ?? 0) < (best.cpu.rest ?? 0) ? best.result : result;
      warmupNon2xx += dropped.non2xx;
      warmupErrors += dropped.errors + dropped.timeouts;
      if (dropped === best.result) best = { result, cpu };
    } else best = { result, cpu };
    const disturbed = (cpu.rest ?? 0) >= DISTURBED_PCT;
    if (!disturbed || attempts > RETRIES) {
      log(disturbed ? ` (rest of the machine busy ${fmtPct(cpu.rest)} of a CPU; no retries left)` : "");
      break;
    }
    log(` — rest of the machine busy ${fmtPct(cpu.rest)} of a CPU: disturbed, measuring again`);
    const still = await waitForQuiet();
    process.stdout.write(`  ${s.label}: ${still ? `(${still}; going ahead) ` : ""}`);
  }
  return { scenario: s, result: best.result, cpu: best.cpu, attempts, warmupNon2xx, warmupErrors, created };
}

// ---------------------------------------------------------------------------
// Report

const fmtInt = (n: number) => Math.round(n).toLocaleString("en-US");
const fmtMs = (n: number) => (Number.isInteger(n) ? `${n}` : n.toFixed(2));
const fmtPct = (n: number | null) => (n === null ? "–" : `${Math.round(n)} %`);
const fmtUs = (n: number | null) => (n === null ? "–" : n.toFixed(1));
const statusSummary = (r: autocannon.Result) =>
  Object.entries(r.statusCodeStats)
    .map(([code, { count }]) => `${code}×${count}`)
    .join(", ");

function table(outcomes: Outcome[]): string {
  const rows = [
    "| scenario | req/s (avg) | p50 ms | p97.5 ms | p99 ms | requests | non-2xx | errors + timeouts | status codes | server CPU µs/req | server CPU | PostgreSQL CPU | load generator CPU | rest of machine | measured runs |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const o of outcomes) {
    const r = o.result;
    rows.push(
      `| ${o.scenario.label} | ${fmtInt(r.requests.average)} | ${fmtMs(r.latency.p50)} | ${fmtMs(r.latency.p97_5)} | ${fmtMs(r.latency.p99)} | ${fmtInt(r.requests.total)} | ${r.non2xx} | ${r.errors + r.timeouts} | ${statusSummary(r)} | ${fmtUs(o.cpu.serverUsPerReq)} | ${fmtPct(o.cpu.server)} | ${fmtPct(o.cpu.postgres)} | ${fmtPct(o.cpu.client)} | ${fmtPct(o.cpu.rest)} | ${o.attempts} |`,
    );
  }
  return rows.join("\n");
}

const V1_PATH_NOTE = `\`server/http-app.ts\` sends every \`/v1/*\` request to \`app/api/v1.server.ts\`, a plain
node:http handler in front of Express and Remix (no routing framework, no
Request/Response conversion, no middleware stack). Per request it does: route
lookup by path and method → per-address failed-attempt rate-limit check →
\`Authorization: Bearer\` parse and shape check (a malformed key never reaches
the database) → key verdict from an in-process cache keyed by the key's SHA-256
(10 s TTL, dropped at once by the \`api_key_changed\` LISTEN/NOTIFY feed) →
account snapshot from a second cache (status, plan, balance; dropped by
\`account_changed\`, which every UPDATE of the account row sends with the row's
version, unless the snapshot already holds that version) → a coalesced
last-used stamp (at most one write per key per minute, batched every second) →
the operation. \`GET /v1/account\` then answers from the snapshot: no database
round trip once warm. \`POST /v1/usage\` reads and validates the JSON body (zod),
then hands the debit to the process's usage batcher (group commit, decision 010):
debits that arrive while a batch is in flight go together into the next one, a
single statement (\`post_usage_debits\`) that locks the accounts, applies the
floor, idempotency and key limits per debit in arrival order, and writes the
entries, one balance UPDATE per account and the key spend; each debit is answered
after that commit. The usage-debit figures with PostgreSQL's default durability,
against pgbench, are in "Usage debits" below.`;

async function writeBenchmarksMd(body: string): Promise<void> {
  let notes = `${NOTES_MARKER}\n\n## Notes\n\n(Hand-written notes go here.)\n`;
  if (existsSync(BENCHMARKS_MD)) {
    const current = await fs.readFile(BENCHMARKS_MD, "utf8");
    const at = current.indexOf(NOTES_MARKER);
    if (at >= 0) notes = current.slice(at);
  }
  await fs.writeFile(BENCHMARKS_MD, `${body.trimEnd()}\n\n${notes.trimEnd()}\n`);
}

// ---------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = new Date();
  const host = machineInfo();
  log(`Switchboard API benchmark: ${CONNECTIONS} connections, no pipelining, warm-up ${WARMUP_SECONDS} s, measured ${SECONDS} s per scenario`);
  log(`Machine: ${host.nproc} CPUs (${host.cpu}), ${host.memory}, Node ${host.node}`);

  // 1. PostgreSQL, schema, bench data.
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "switchboard-bench-"));
  // As root, embedded-postgres runs PostgreSQL as the `postgres` user, which must reach the data dir.
  await fs.chmod(tmp, 0o755);
  const pgPort = await safePort();
  const pgLog: string[] = [];
  process.stdout.write(`PostgreSQL on 127.0.0.1:${pgPort}… `);
  try {
    pg = await startEmbeddedPostgres({
      dataDir: path.join(tmp, "pg"),
      port: pgPort,
      throwaway: true,
      onLog: (line) => {
        pgLog.push(line.trimEnd());
        if (pgLog.length > 50) pgLog.shift();
      },
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nPostgreSQL output:\n${pgLog.join("\n")}`, { cause: err });
  }
  await ensureDatabase(pg.serverUrl, "bench");
  const databaseUrl = pg.urlFor("bench");
  db = createDb(databaseUrl, { max: 2 });
  // `node --import tsx` lets Kysely's FileMigrationProvider import() the .ts migrations.
  const migrations = await migrateToLatest(db);
  const { server_version: pgVersion } = (await sql<{ server_version: string }>`SHOW server_version`.execute(db)).rows[0];
  const seeded = await seed(db);
  log(`PostgreSQL ${pgVersion}: ${migrations.length} migrations, 1 + ${SPREAD_ACCOUNTS} accounts seeded`);

  // 2. The Remix build the web process imports.
  if (!existsSync(path.join(root, "build", "index.js"))) {
    log("build/index.js missing: npx remix build…");
    execFileSync("npx", ["remix", "build"], { cwd: root, stdio: "inherit" });
  }

  // 3. The real web process.
  const webPort = await safePort();
  const temporalPort = await safePort(); // free and closed: the web connects to Temporal lazily
  if (cpuProfDir) await fs.mkdir(cpuProfDir, { recursive: true });
  const web = spawnChild("web", ["--import", "tsx", ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []), "server/web.ts"], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PORT: String(webPort),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    NODE_ENV: "development",
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    SESSION_SECRET: "bench-session-secret-0123456789abcdefghijklmnop",
    TOMBSTONE_SECRET: "bench-tombstone-secret-0123456789abcdefghijklmn",
    LIST_UNSUBSCRIBE_SECRET: "bench-unsubscribe-secret-0123456789abcdefghijk",
    // The throwaway bench web runs on the public development webhook secret (no Stripe here).
    ALLOW_DEV_SECRETS: "1",
  });
  const webUrl = `http://127.0.0.1:${webPort}`;
  const auth = { authorization: `Bearer ${seeded.main.key}` };
  process.stdout.write(`web on ${webUrl}: waiting for GET /v1/account → 200… `);
  const accountBody = await waitFor200("web", web, `${webUrl}/v1/account`, auth);
  log(`ok (${Buffer.byteLength(accountBody)} bytes: ${accountBody})`);

  // 4. The bare node:http server.
  const bare = spawnChild("bare", ["--import", "tsx", ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : []), "bench/bare-server.ts"], {
    ...process.env,
  });
  const barePort = await new Promise<number>((resolve, reject) => {
    bare.process.once("message", (m: { port?: number }) => (m.port ? resolve(m.port) : reject(new Error("bare server sent no port"))));
    bare.process.once("exit", (code) => reject(new Error(`bare server exited (code ${code}):\n${bare.tail()}`)));
  });
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const bareBody = await waitFor200("bare server", bare, `${bareUrl}/`, {});
  log(`bare server on ${bareUrl} (${Buffer.byteLength(bareBody)} bytes)`);

  // 5. Load.
  const spreadKeys = seeded.spread.map((a) => a.key);
  const allScenarios: Scenario[] = [
    { id: "bare", label: "(a) bare node:http", serverPid: bare.process.pid!, options: () => ({ url: `${bareUrl}/v1/account` }) },
    { id: "get", label: "(b) GET /v1/account", serverPid: web.process.pid!, options: () => ({ url: `${webUrl}/v1/account`, headers: auth }) },
    {
      id: "usage-one",
      label: "(c) POST /v1/usage, 1 account",
      serverPid: web.process.pid!,
      options: (tag) => ({ url: webUrl, requests: usageRequests([seeded.main.key], tag) }),
    },
    {
      id: "usage-spread",
      label: `(d) POST /v1/usage, ${SPREAD_ACCOUNTS} accounts`,
      serverPid: web.process.pid!,
      options: (tag) => ({ url: webUrl, requests: usageRequests(spreadKeys, tag) }),
    },
  ];
  const scenarios = allScenarios.filter((s) => selected(s.id));
  log("Load:");
  const outcomes: Outcome[] = [];
  const postmasterPid = await readPostmasterPid(path.join(tmp, "pg"));
  for (const s of scenarios) outcomes.push(await runScenario(s, postmasterPid));

  // 6. Figures, goal, ledger check.
  const problems: string[] = [];
  for (const o of outcomes) {
    const r = o.result;
    if (r.non2xx || r.errors || r.timeouts || o.warmupNon2xx || o.warmupErrors) {
      problems.push(
        `${o.scenario.label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts in the measured run ` +
          `(${o.warmupNon2xx} non-2xx, ${o.warmupErrors} errors/timeouts in warm-up and discarded runs); status codes: ${statusSummary(r)}`,
      );
    }
  }

  const bareO = outcomes.find((o) => o.scenario.id === "bare");
  const getO = outcomes.find((o) => o.scenario.id === "get");
  let goalLine = "The goal needs both (a) and (b) in the run.";
  let goalMet: boolean | null;
  let cpuLine = "";
  if (bareO && getO) {
    const ratio = getO.result.requests.average / bareO.result.requests.average;
    const p99 = getO.result.latency.p99;
    const ratioOk = ratio >= GOAL_RATIO;
    const p99Ok = p99 <= GOAL_P99_MS;
    goalMet = ratioOk && p99Ok;
    goalLine =
      `GET /v1/account reaches **${(ratio * 100).toFixed(1)} %** of bare node:http req/s (goal ≥ ${GOAL_RATIO * 100} %: ${ratioOk ? "met" : "NOT met"}) ` +
      `with p99 **${fmtMs(p99)} ms** (goal ≤ ${GOAL_P99_MS} ms: ${p99Ok ? "met" : "NOT met"}). ` +
      `Goal ${goalMet ? "**met**" : "**NOT met**"}.`;
    const bareUs = bareO.cpu.serverUsPerReq;
    const getUs = getO.cpu.serverUsPerReq;
    if (bareUs !== null && getUs !== null) {
      cpuLine =
        `CPU per request: the web process spends **${fmtUs(getUs)} µs** per \`GET /v1/account\`, bare node:http **${fmtUs(bareUs)} µs** ` +
        `(${((bareUs / getUs) * 100).toFixed(0)} %: the share of bare throughput the web could reach where the server's CPU, not the client, is the limit).`;
      const disturbed = [bareO, getO].filter((o) => (o.cpu.rest ?? 0) >= DISTURBED_PCT).map((o) => `${o.scenario.label} ${fmtPct(o.cpu.rest)}`);
      if (disturbed.length) {
        cpuLine += ` Beware: the rest of the machine was busy during ${disturbed.join(", ")} of a CPU; something else may have competed with the run.`;
      }
      const saturated = [bareO, getO].filter((o) => o.cpu.client >= 90).map((o) => `${o.scenario.label} ${fmtPct(o.cpu.client)}`);
      if (saturated.length) {
        cpuLine += ` The load generator (autocannon, one thread in the bench process) used a whole CPU in ${saturated.join(", ")}: there it, not the server, sets the req/s.`;
      }
    }
  }

  // One query: every account's balance against its ledger sum, and the usage entries posted.
  const check = (
    await sql<{ accounts: number; mismatched: number; usage_entries: string }>`
      SELECT count(*)::int AS accounts,
             count(*) FILTER (WHERE a.balance_cents <> coalesce(s.total, 0))::int AS mismatched,
             coalesce(sum(s.usage_entries), 0)::text AS usage_entries
      FROM accounts a
      LEFT JOIN (
        SELECT account_id, sum(amount_cents) AS total, count(*) FILTER (WHERE kind = 'usage') AS usage_entries
        FROM ledger_entries GROUP BY account_id
      ) s ON s.account_id = a.id`.execute(db)
  ).rows[0];
  const usageOutcomes = outcomes.filter((o) => o.scenario.id.startsWith("usage"));
  const created = usageOutcomes.reduce((n, o) => n + o.created, 0);
  const entries = Number(check.usage_entries);
  // A run that stops abandons up to one in-flight request per connection; the server still posts those.
  const inFlightAllowance = usageOutcomes.reduce((n, o) => n + CONNECTIONS * (o.attempts + (WARMUP_SECONDS > 0 ? 1 : 0)), 0);
  const ledgerOk = check.mismatched === 0 && entries >= created && entries - created <= inFlightAllowance;
  const ledgerLine =
    `${check.accounts} accounts: balance = ledger sum on ${check.accounts - check.mismatched} of them` +
    `${check.mismatched ? ` (**${check.mismatched} MISMATCHED**)` : ""}; ` +
    `${fmtInt(entries)} usage entries for ${fmtInt(created)} \`201 Created\` answers counted ` +
    `(the difference, ${fmtInt(entries - created)}, is requests still in flight when a run stopped; at most ${inFlightAllowance} allowed)` +
    `${ledgerOk ? "" : " — **CHECK FAILED**"}.`;
  if (!ledgerOk) problems.push(`ledger check failed: ${ledgerLine}`);

  const tableText = table(outcomes);
  log("");
  log(tableText);
  log("");
  log(goalLine.replace(/\*\*/g, ""));
  if (cpuLine) log(cpuLine.replace(/\*\*/g, "").replace(/`/g, ""));
  log(`Ledger: ${ledgerLine.replace(/\*\*/g, "").replace(/`/g, "")}`);
  if (problems.length) {
    log("");
    log("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    log("!!! VALID REQUESTS FAILED OR THE LEDGER DISAGREES: these figures are not clean");
    for (const p of problems) log(`!!! ${p}`);
    log("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
  }

  // 7. BENCHMARKS.md (complete runs only, so it always holds one whole run).
  if (only) {
    log(`\nBENCH_ONLY=${process.env.BENCH_ONLY}: partial run, BENCHMARKS.md left as it is.`);
  } else {
    const md = `# Benchmarks

Everything above the Notes marker is written by \`npm run bench\`
(\`bench/api-bench.ts\`) and is the last run's; don't edit it by hand.

- **Command:** \`npm run bench\` (\`BENCH_SECONDS=${SECONDS}\`; warm-up ${WARMUP_SECONDS} s per scenario; ${CONNECTIONS} connections; no pipelining; autocannon ${autocannonVersion()})
- **Date:** ${started.toISOString().replace("T", " ").slice(0, 16)} UTC
- **Machine:** ${host.nproc} CPUs (\`nproc\`), ${host.cpu}, ${host.memory} RAM, Node ${host.node}, PostgreSQL ${pgVersion} (embedded, throwaway: \`fsync=off\`, \`synchronous_commit=off\`)

## Results

${tableText}

Latencies are of 2xx answers, in whole milliseconds (autocannon's histogram).
CPU columns are from \`/proc\` over the measured run: the server process's CPU time
per answered request and as a share of one CPU, PostgreSQL's (postmaster and
backends), the load generator's (the bench process), and the rest of the
machine's busy time (other processes, and kernel work such as loopback
networking not charged to these); 100 % is one CPU of ${host.nproc}. Before each
scenario the bench waits for an idle machine; a measured run during which the rest
of the machine was busy ≥ ${DISTURBED_PCT} % of a CPU is repeated (up to ${RETRIES} times) and the
least disturbed run is kept ("measured runs").

${problems.length ? `\n**VALID REQUESTS FAILED OR THE LEDGER DISAGREES — these figures are not clean:**\n\n${problems.map((p) => `- ${p}`).join("\n")}\n` : "Every valid request got a 2xx answer (0 non-2xx, 0 errors, 0 timeouts, warm-ups and discarded runs included).\n"}
## Goal: GET /v1/account ≥ ${GOAL_RATIO * 100} % of bare node:http req/s, p99 ≤ ${GOAL_P99_MS} ms

${goalLine}
${cpuLine ? `\n${cpuLine}\n` : ""}
**Ledger check after the usage runs:** ${ledgerLine}

## What was measured

All four scenarios run one after another in the same run, on the same machine,
each with its own warm-up:

- **(a)** a bare \`node:http\` server (\`bench/bare-server.ts\`, a child process)
  answering a constant JSON body of the same shape, size and headers as
  \`GET /v1/account\`'s: the ceiling for one Node process here.
- **(b)** \`GET /v1/account\` with a valid key, against the real web process
  (\`node --import tsx server/web.ts\`, \`NODE_ENV=development\`, \`LOG_LEVEL=warn\`,
  Temporal unreachable, which /v1 does not need).
- **(c)** \`POST /v1/usage\` (\`amount_cents: 1\`, a new \`idempotency_key\` on every
  request) against one account: every batch queues on that account's row lock.
- **(d)** the same spread over ${SPREAD_ACCOUNTS} accounts, the key rotating per request.

The database is a throwaway embedded PostgreSQL with the real migrations.
autocannon runs in the bench process on the same ${host.nproc} CPUs, so the load
generator, the server under test and PostgreSQL share them: absolute figures
are lower than on a machine where the client is elsewhere. Where the load
generator uses a whole CPU in (a), the bare req/s is the client's limit rather
than the server's, and the ratio (b)/(a) flatters the web; the server CPU per
request does not depend on that, so compare both.

## What the /v1 path does

${V1_PATH_NOTE}
`;
    await writeBenchmarksMd(md);
    log(`\nWrote ${path.relative(process.cwd(), BENCHMARKS_MD) || BENCHMARKS_MD}.`);
  }
  if (cpuProfDir) {
    log(
      `CPU profiles (written when the children exit) in ${cpuProfDir}: web pid ${web.process.pid}, bare pid ${bare.process.pid} (CPU.<date>.<time>.<pid>.0.*.cpuprofile is the main thread)`,
    );
  }
  return problems.length ? 1 : 0;
}

function autocannonVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, "node_modules", "autocannon", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
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
