/**
 * The real pieces a fault run is built from, each one stoppable and
 * restartable: embedded PostgreSQL on a data folder, the Temporal dev server
 * on a SQLite file, the web and worker as child processes, and an in-process
 * SMTP server that keeps every message it receives. Plus cleanup that runs on
 * success, failure and Ctrl-C (the bench/api-bench.ts pattern).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fs } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import exitHook from "async-exit-hook";
import { Client, Connection } from "@temporalio/client";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Db } from "../../db/connection.js";
import type { Database } from "../../db/schema.js";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../db/embedded-postgres.js";
import { migrateToLatest } from "../../db/migrate.js";
import { findOrBuildTemporalCli } from "../../dev/temporal-cli.js";
import { freePort, startTemporalDevServer, type TemporalDevServer } from "../../dev/temporal-dev-server.js";
import { stopChild } from "../../dev/stop-child.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const DATABASE = "switchboard_faults";
export const NAMESPACE = "default";

let verbose = false;
export function setVerbose(v: boolean) {
  verbose = v;
}
/** The run's name in every log line ("faults", "cluster"). */
let logName = "faults";
export function setLogName(name: string) {
  logName = name;
}
const t0 = Date.now();
export const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s`;
export function log(line: string) {
  console.log(`[${logName} ${elapsed()}] ${line}`);
}

// ---------------------------------------------------------------------------
// Settings

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A free port that is never 5432 (the machine's own PostgreSQL). */
export async function safePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port !== 5432) return port;
  }
}

// ---------------------------------------------------------------------------
// Cleanup

const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<unknown>> = [];
/** Registered in order; run in reverse (children first, then servers, then folders). */
export function onCleanup(fn: () => Promise<unknown>) {
  cleanups.push(fn);
}

let cleaning: Promise<void> | undefined;
export function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    const errors: unknown[] = [];
    await Promise.all([...children].map((c) => stopChild(c).catch((e) => errors.push(e))));
    for (const fn of [...cleanups].reverse()) await fn().catch((e) => errors.push(e));
    for (const e of errors) console.error(`cleanup: ${e instanceof Error ? e.message : String(e)}`);
  })();
  return cleaning;
}
export const isCleaning = () => cleaning !== undefined;

// async-exit-hook (embedded-postgres uses it too) runs async hooks on SIGINT/SIGTERM/SIGHUP and
// exits once they are done; on the synchronous 'exit' event only what can be done at once.
exitHook((done?: () => void) => {
  if (!done) {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    return;
  }
  void cleanup().finally(done);
});

export async function makeTempDir(): Promise<string> {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "switchboard-faults-"));
  // As root, PostgreSQL runs as a `postgres` system user that must reach the data folder.
  await fs.chmod(tmp, 0o755);
  onCleanup(() => fs.rm(tmp, { recursive: true, force: true }));
  return tmp;
}

// ---------------------------------------------------------------------------
// PostgreSQL: stop() then start() again on the same data folder is a restart.

export class Postgres {
  private handle: EmbeddedPostgresHandle | undefined;
  readonly logs: string[] = [];
  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {
    onCleanup(() => this.stop());
  }
  /** The role embedded-postgres creates (a superuser). */
  readonly user = "switchboard";
  readonly password = "switchboard";
  get url() {
    return this.urlFor(DATABASE);
  }
  urlFor(database: string) {
    return `postgres://${this.user}:${this.password}@127.0.0.1:${this.port}/${database}`;
  }
  async start(): Promise<void> {
    this.handle = await startEmbeddedPostgres({
      dataDir: this.dataDir,
      port: this.port,
      throwaway: true,
      onLog: (line) => {
        this.logs.push(line.trimEnd());
        if (this.logs.length > 100) this.logs.shift();
      },
    });
  }
  async stop(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.stop();
  }
  /** First start: the cluster, the database, the schema. */
  async create(): Promise<Db> {
    await this.start();
    await ensureDatabase(this.handle!.serverUrl, DATABASE);
    const db = harnessDb(this.url);
    // Under `node --import tsx`, Kysely's FileMigrationProvider can import() the .ts migrations.
    await migrateToLatest(db);
    return db;
  }
}

/**
 * The run's own connection pool. Like db/connection.ts createDb, plus an error listener on every
 * client: pg-pool listens only on idle clients, so a checked-out client whose connection
 * PostgreSQL terminates between two queries of a transaction emits an unhandled 'error' and takes
 * the whole process down (see the report: the web's startDeletion holds a transaction open across
 * temporal.workflow.start). The harness itself must survive the restart it causes; the failure
 * then reaches the caller as a rejected query, as it should.
 */
export function harnessDb(url: string): Db {
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

// ---------------------------------------------------------------------------
// Temporal: whatever serves it, a run stops and starts it again on the same address and state.

export interface TemporalUnderTest {
  /** For the log and the summary ("the Temporal dev server"). */
  readonly title: string;
  /** "127.0.0.1:PORT", the same after a restart. */
  readonly address: string;
  /** Exits after it was ready that the run did not cause. */
  readonly unexpectedExits: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

// The Temporal dev server: same SQLite file, same port across a restart.
export class Temporal implements TemporalUnderTest {
  readonly title = "the Temporal dev server";
  private server: TemporalDevServer | undefined;
  private cliPath: string | undefined;
  unexpectedExits = 0;
  readonly logs: string[] = [];
  constructor(
    readonly dbFile: string,
    readonly port: number,
  ) {
    onCleanup(() => this.stop());
  }
  get address() {
    return `127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.cliPath ??= await findOrBuildTemporalCli({ cliPath: process.env.TEMPORAL_CLI_PATH, pathEnv: process.env.PATH, log: (m) => log(m) });
    this.server = await startTemporalDevServer({
      cliPath: this.cliPath,
      dbFile: this.dbFile,
      port: this.port,
      namespace: NAMESPACE,
      searchAttributes: { AccountId: "Keyword", TicketId: "Keyword" },
      onLog: (line) => {
        this.logs.push(line);
        if (this.logs.length > 100) this.logs.shift();
      },
      onUnexpectedExit: ({ code, signal, recentOutput }) => {
        this.unexpectedExits++;
        log(`Temporal dev server exited unexpectedly (code ${code}, signal ${signal})\n${recentOutput}`);
      },
    });
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.stop();
  }
}

export async function temporalClient(address: string): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address });
  onCleanup(() => connection.close());
  return { client: new Client({ connection, namespace: NAMESPACE }), connection };
}

// ---------------------------------------------------------------------------
// Child processes (web, worker)

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  startedAt: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  isAlive(): boolean;
  tail(): string;
}

/** Only what the app needs: the children read their configuration from these alone. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { NODE_ENV: "development", ...env };
  for (const name of ["PATH", "HOME", "TMPDIR"]) if (process.env[name] !== undefined) out[name] = process.env[name];
  return out;
}

export function spawnApp(name: string, script: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: childEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  children.add(child);
  const lines: string[] = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 200) lines.shift();
      if (verbose) process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    name,
    process: child,
    pid: child.pid!,
    startedAt: Date.now(),
    exited,
    isAlive: () => child.exitCode === null && child.signalCode === null,
    tail: () => lines.join("\n") || "(no output)",
  };
}

/** GET a URL, answering its status (0 when nothing answered in time). */
export async function httpStatus(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: (await res.text()).slice(0, 200) };
  } catch (err) {
    return { status: 0, body: err instanceof Error ? err.message : String(err) };
  }
}

// ---------------------------------------------------------------------------
// SMTP: every message kept, with its Message-ID, recipients and arrival time.

export interface ReceivedMail {
  messageId: string;
  to: string[];
  subject: string;
  text: string;
  /** When its DATA began: from here on the sender may die without knowing the mail arrived. */
  at: number;
}

export class MailSink {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer;
  port = 0;
  parseErrors = 0;
  connectionErrors = 0;
  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData: (stream, _session, callback) => {
        const at = Date.now();
        simpleParser(stream).then(
          (m) => {
            const to = (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? "").toLowerCase()));
            this.received.push({ messageId: m.messageId ?? "(none)", to, subject: m.subject ?? "", text: m.text ?? "", at });
            callback();
          },
          (err) => {
            this.parseErrors++;
            callback(err);
          },
        );
      },
    });
  }
  async start(): Promise<string> {
    // A SIGKILLed worker resets its SMTP connection mid-session: expected here, not an error of the run.
    this.server.on("error", (err) => {
      this.connectionErrors++;
      if (verbose) log(`SMTP connection error: ${err.message}`);
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.server.address() as AddressInfo).port;
    onCleanup(() => new Promise<void>((r) => this.server.close(() => r())));
    return `smtp://127.0.0.1:${this.port}`;
  }
  to(address: string): ReceivedMail[] {
    const a = address.toLowerCase();
    return this.received.filter((m) => m.to.includes(a));
  }
}
