/**
 * For the tests of the usage group commit (issue 17): a /v1 listener that is
 * the real handler and the real runtime (its own pool, change feed and
 * batcher, as one web process has), which counts the batches it commits
 * (through ApiMetrics) and the debits that reached its batcher; real web
 * processes (server/web.ts) for where a second Node process matters; a row
 * lock held from outside, which makes the next batch's contents known; and
 * the ledger's own record of which entries one transaction wrote (xmin).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@temporalio/client";
import { sql } from "kysely";
import pg from "pg";
import type { UsageBatchObservation } from "../../app/api/api-metrics.js";
import type { UsageBatchSettings } from "../../app/api/usage-batcher.server.js";
import { createV1Handler, startApiRuntime, type ApiRuntime } from "../../app/api/v1.server.js";
import { config } from "../../app/config.server.js";
import { createLogger } from "../../app/logger.server.js";
import { createDb, type Db } from "../../db/connection.js";
import { freePort } from "../../dev/temporal-dev-server.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface V1Listener {
  url: string;
  runtime: ApiRuntime;
  /** Every batch transaction this listener's batcher ended, in order. */
  batches: UsageBatchObservation[];
  /** Debits handed to the batcher so far (each one's request was read and its key verified). */
  arrived(): number;
  /** Resolves once `n` debits in all reached the batcher (fails after `timeoutMs`). */
  waitForArrivals(n: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The real /v1 handler on a free port, with its own pool (`poolMax`) and batcher (`usageBatch` over the configured defaults). */
export async function startV1Listener(deps: {
  databaseUrl: string;
  temporal: Client;
  taskQueue: string;
  usageBatch?: Partial<UsageBatchSettings>;
  poolMax?: number;
}): Promise<V1Listener> {
  const db: Db = createDb(deps.databaseUrl, { max: deps.poolMax ?? 10 });
  const logger = createLogger("silent", "test-v1");
  const batches: UsageBatchObservation[] = [];
  const runtime = await startApiRuntime({
    db,
    databaseUrl: deps.databaseUrl,
    logger,
    usageBatch: { ...config().usageBatch, ...deps.usageBatch },
    metrics: { usageBatch: (o) => batches.push(o), verdictLookup() {}, changeFeedLag() {} },
  });
  let arrivals = 0;
  const waiters: { n: number; resolve(): void }[] = [];
  const post = runtime.usage.post.bind(runtime.usage);
  runtime.usage.post = (debit) => {
    arrivals++;
    for (const w of waiters.filter((w) => arrivals >= w.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    return post(debit);
  };
  const handler = createV1Handler({ temporal: deps.temporal, taskQueue: deps.taskQueue, logger, runtime, trustProxy: undefined });
  const server = createServer(handler);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    runtime,
    batches,
    arrived: () => arrivals,
    waitForArrivals(n, timeoutMs = 10_000) {
      if (arrivals >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${arrivals} of ${n} debits reached the batcher within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          n,
          resolve() {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await runtime.stop();
      await db.destroy();
    },
  };
}

export interface UsageAnswer {
  status: number;
  json: any;
  type: string | undefined;
  contentType: string | null;
}

/** POST /v1/usage as a client does. */
export async function postUsage(url: string, key: string, amount_cents: number, idempotency_key: string, timeoutMs = 30_000): Promise<UsageAnswer> {
  const res = await fetch(`${url}/v1/usage`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount_cents, idempotency_key }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, json, type: json?.error?.type, contentType: res.headers.get("content-type") };
}

/**
 * Holds the account's row lock from a connection of its own until `release`:
 * a batch that includes the account waits on it, and (with the batcher's
 * concurrency at 1) every debit arriving meanwhile queues for the next batch.
 */
export async function holdRowLock(databaseUrl: string, accountId: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("BEGIN");
  await client.query("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", [accountId]);
  return {
    async release() {
      await client.query("COMMIT");
      await client.end();
    },
  };
}

/**
 * Sends the debits one after another, each once the one before it reached the
 * batcher (so their order in the queue is this order), without waiting for any answer.
 */
export async function sendInOrder(listener: V1Listener, debits: { key: string; amount: number; idempotencyKey: string }[]): Promise<Promise<UsageAnswer>[]> {
  const answers: Promise<UsageAnswer>[] = [];
  for (const d of debits) {
    const before = listener.arrived();
    answers.push(postUsage(listener.url, d.key, d.amount, d.idempotencyKey));
    await listener.waitForArrivals(before + 1);
  }
  return answers;
}

export interface LedgerRow {
  id: string;
  amount: bigint;
  balanceAfter: bigint;
  kind: string;
  idempotencyKey: string;
  actorId: string | null;
  /** The transaction that wrote it: entries of one batch share it. */
  tx: string;
}

export async function ledgerOf(db: Db, accountId: string): Promise<LedgerRow[]> {
  const { rows } = await sql<{
    id: string;
    amount_cents: string;
    balance_after_cents: string;
    kind: string;
    idempotency_key: string;
    actor_id: string | null;
    tx: string;
  }>`
    SELECT id, amount_cents, balance_after_cents, kind, idempotency_key, actor_id, xmin::text AS tx
      FROM ledger_entries WHERE account_id = ${accountId} ORDER BY id`.execute(db);
  return rows.map((r) => ({
    id: r.id,
    amount: BigInt(r.amount_cents),
    balanceAfter: BigInt(r.balance_after_cents),
    kind: r.kind,
    idempotencyKey: r.idempotency_key,
    actorId: r.actor_id,
    tx: r.tx,
  }));
}

export async function balanceOf(db: Db, accountId: string): Promise<bigint> {
  return BigInt((await db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirstOrThrow()).balance_cents);
}

/**
 * What is wrong with the account's books (empty: nothing): the balance must be
 * the ledger's sum, and, in id order, each entry's balance_after the one
 * before it plus its amount (the first: its amount).
 */
export async function booksProblems(db: Db, accountId: string): Promise<string[]> {
  const rows = await ledgerOf(db, accountId);
  const problems: string[] = [];
  let running = 0n;
  for (const r of rows) {
    running += r.amount;
    if (r.balanceAfter !== running) problems.push(`entry ${r.id} (${r.idempotencyKey}): balance_after ${r.balanceAfter}, previous + amount ${running}`);
  }
  const balance = await balanceOf(db, accountId);
  if (balance !== running) problems.push(`balance ${balance}, ledger sum ${running}`);
  return problems;
}

/** Entries per writing transaction, in the order the transactions wrote (by their first entry). */
export function transactionsOf(rows: LedgerRow[]): LedgerRow[][] {
  const byTx = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    const group = byTx.get(r.tx);
    if (group) group.push(r);
    else byTx.set(r.tx, [r]);
  }
  return [...byTx.values()];
}

export interface WebProcess {
  url: string;
  output: string[];
  stop(): Promise<void>;
}

/** A real web process (`server/web.ts`, as `npm run web` starts it) on a free port; `env` adds to (or overrides) the test's. */
export async function startWebProcess(deps: {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  env?: Record<string, string>;
}): Promise<WebProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "server/web.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: deps.databaseUrl,
      TEMPORAL_ADDRESS: deps.temporalAddress,
      TEMPORAL_TASK_QUEUE: deps.taskQueue,
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: url,
      SESSION_SECRET: "usage-batch-test-session-secret-0123456789",
      TOMBSTONE_SECRET: "usage-batch-test-tombstone-secret-0123456789",
      LIST_UNSUBSCRIBE_SECRET: "usage-batch-test-unsubscribe-secret-0123456789",
      STRIPE_WEBHOOK_SECRET: "whsec_usage-batch_test_webhook_secret_0123456789",
      ...deps.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => output.push(String(c)));
  child.stderr?.on("data", (c) => output.push(String(c)));
  const exited = new Promise((r) => child.once("exit", r));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(`${url}/healthz`)
      .then((r) => r.status)
      .catch(() => null);
    if (status === 200) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`web process did not come up on ${url}:\n${output.join("").slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100)); // poll interval, under the deadline above
  }
  return {
    url,
    output,
    /** SIGTERM (its own graceful shutdown); SIGKILL and an error naming its last output if it is not gone within 15 s. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), 15_000)))]);
      clearTimeout(timer);
      if (late) {
        child.kill("SIGKILL");
        await exited;
        throw new Error(`web process on ${url} did not stop within 15 s of SIGTERM:\n${output.join("").slice(-2000)}`);
      }
    },
  };
}
