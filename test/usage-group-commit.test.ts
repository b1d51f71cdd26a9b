/**
 * The group commit of `POST /v1/usage` (issue 17), over real HTTP against the
 * real /v1 handler and PostgreSQL: every rule stays exact while debits are
 * posted many to a transaction.
 *
 * - One batch whose contents are known: the batcher allowed one transaction
 *   at a time, a first debit on another account waiting on a row lock held
 *   from outside, the debits under test sent in a known order meanwhile; once
 *   the lock goes they are all one batch (the batcher's metrics and the
 *   entries' common xmin say so). In it: a debit that would cross the floor
 *   is refused alone while later, smaller ones pass; the same idempotency key
 *   twice posts once (201, then 200 with the same entry), with another amount
 *   409, and replays in later batches answer the first result; a key's spend
 *   limit is met in the middle; a debit crossing the recharge threshold in
 *   the middle starts the recharge; a batch that fails (a test trigger
 *   refuses one idempotency key) is posted one by one, the others answered
 *   201 with their balances, the poisoned one a clean 503, nothing half-posted.
 * - Real concurrency: 200 parallel debits on one hot account (exactly the ones
 *   the balance allows pass), batching counted (far fewer transactions than
 *   debits, a handful when they queue behind commits in flight; never more
 *   than USAGE_BATCH_MAX_DEBITS in one), the same idempotency key 40 times
 *   at once (posted once, never by a batch failing), overlapping
 *   batches over many accounts from two listeners (no deadlock, no failed
 *   batch, all answered in time), concurrent debits crossing a recharge
 *   threshold (one recharge).
 * - Two real web processes (server/web.ts), each batching its own: 2 × 150
 *   debits on one hot account keep the books exact and every entry's
 *   balance_after one step from the previous; a key's limit holds under 101
 *   debits split between them.
 *
 * Listeners are the real handler and runtime (app/api/v1.server.ts), each with
 * its own pool, change feed and batcher, as a web process has; see
 * test/helpers/usage-batches.ts.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAdditionalKey } from "../app/models/api-keys.server.js";
import { UsageBatcher } from "../app/api/usage-batcher.server.js";
import { saveRechargeRule } from "../app/models/recharge-rules.server.js";
import { postUsageDebits } from "../app/models/usage-debits.server.js";
import { rechargeWorkflowId } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { useSuite } from "./helpers/suite.js";
import {
  balanceOf,
  booksProblems,
  holdRowLock,
  ledgerOf,
  postUsage,
  sendInOrder,
  startV1Listener,
  startWebProcess,
  transactionsOf,
  type UsageAnswer,
  type V1Listener,
  type WebProcess,
} from "./helpers/usage-batches.js";

const t = useSuite();
const SYSTEM = { type: "system" as const, id: null };
const stoppers: (() => Promise<void>)[] = [];
afterAll(async () => {
  // Every listener and process stops, and one that would not is an error (a web process must exit on SIGTERM).
  const failed = (await Promise.allSettled(stoppers.map((stop) => stop()))).filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length)
    throw new AggregateError(
      failed.map((f) => f.reason),
      failed.map((f) => String(f.reason?.message ?? f.reason)).join("\n"),
    );
});

async function listener(usageBatch?: Parameters<typeof startV1Listener>[0]["usageBatch"]): Promise<V1Listener> {
  const l = await startV1Listener({ databaseUrl: t.databaseUrl, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue, usageBatch });
  stoppers.push(() => l.stop());
  return l;
}

const tally = (answers: UsageAnswer[]) => {
  const out: Record<string, number> = {};
  for (const a of answers) out[a.type ?? String(a.status)] = (out[a.type ?? String(a.status)] ?? 0) + 1;
  return out;
};
const usageRows = async (accountId: string) => (await ledgerOf(t.db, accountId)).filter((r) => r.kind === "usage");
const batchesSince = (l: V1Listener, from: number) => l.batches.slice(from).map(({ debits, accounts, outcome }) => ({ debits, accounts, outcome }));

const THIS_MONTH = sql<string>`date_trunc('month', now() AT TIME ZONE 'UTC')::date`;
const spentThisMonth = async (keyId: string) =>
  BigInt(
    (await t.db.selectFrom("api_key_month_spend").select("spent_cents").where("key_id", "=", keyId).where("month", "=", THIS_MONTH).executeTakeFirst())
      ?.spent_cents ?? 0,
  );

async function withLimitedKey(balanceCents: bigint, limitCents: bigint) {
  const a = await accountWithKey(t.db, { balanceCents });
  const created = await createAdditionalKey(t.db, a.accountId, "metered", a.userId, { type: "user", id: a.userId }, { spendLimitCents: limitCents });
  if (!created.ok) throw new Error(created.message);
  return { ...a, limited: created.key };
}

const recharges = async (accountId: string) => {
  const runs: string[] = [];
  for await (const w of t.temporal.client.workflow.list({ query: `WorkflowId = "${rechargeWorkflowId(accountId)}"` })) runs.push(w.runId);
  return runs;
};
/** The recharge run a debit started (nothing runs its tasks here: it stays running), then gone. */
async function expectOneRecharge(accountId: string) {
  try {
    await expect.poll(() => recharges(accountId), { timeout: 10_000, interval: 100 }).toHaveLength(1);
    expect((await t.temporal.client.workflow.getHandle(rechargeWorkflowId(accountId)).describe()).status.name).toBe("RUNNING");
  } finally {
    await t.temporal.client.workflow
      .getHandle(rechargeWorkflowId(accountId))
      .terminate("test finished")
      .catch(() => {});
  }
}

// ---------------------------------------------------------------- one batch, its contents known

describe("one batch whose contents are known", () => {
  let serial: V1Listener;
  let plug: Awaited<ReturnType<typeof accountWithKey>>;
  beforeAll(async () => {
    // One transaction at a time, and a batch waits for nothing but that.
    serial = await listener({ concurrency: 1, maxWaitMs: 1_000, maxDebits: 256 });
    plug = await accountWithKey(t.db, { balanceCents: 1_000_000n });
  });

  /**
   * Posts the debits as one batch, in this order: a first debit on the plug
   * account waits on the plug's row lock (held here) as its own batch, the
   * debits queue behind it, then the lock goes. Checks they were one batch.
   */
  async function oneBatch(debits: { key: string; amount: number; idempotencyKey: string }[], accounts: number, outcome: "committed" | "failed" = "committed") {
    const from = serial.batches.length;
    const lock = await holdRowLock(t.databaseUrl, plug.accountId);
    const before = serial.arrived();
    const first = postUsage(serial.url, plug.key, 1, randomUUID());
    await serial.waitForArrivals(before + 1);
    const answers = await sendInOrder(serial, debits);
    await lock.release();
    expect((await first).status).toBe(201);
    const results = await Promise.all(answers);
    expect(batchesSince(serial, from), "the plug's batch, then all of these in one").toEqual([
      { debits: 1, accounts: 1, outcome: "committed" },
      { debits: debits.length, accounts, outcome },
    ]);
    return results;
  }

  it("a debit that would cross the floor is refused alone; the smaller ones after it in the same batch pass, down to the floor exactly", async () => {
    const a = await accountWithKey(t.db); // $0.00, floor −$100.00
    const amounts = [3_000, 3_000, 5_000, 2_000, 1_000, 2_000, 1_000, 1];
    const answers = await oneBatch(
      amounts.map((amount) => ({ key: a.key, amount, idempotencyKey: randomUUID() })),
      1,
    );
    expect(answers.map((r) => r.status)).toEqual([201, 201, 402, 201, 201, 402, 201, 402]);
    expect(answers.map((r) => r.json.balance_cents ?? r.json.error.balance_cents)).toEqual([-3_000, -6_000, -6_000, -8_000, -9_000, -9_000, -10_000, -10_000]);
    for (const r of answers.filter((r) => r.status === 402)) expect(r.json.error).toMatchObject({ type: "insufficient_balance", credit_limit_cents: 10_000 });
    expect(await balanceOf(t.db, a.accountId)).toBe(-10_000n);
    const rows = await usageRows(a.accountId);
    expect(rows.map((r) => -r.amount)).toEqual([3_000n, 3_000n, 2_000n, 1_000n, 1_000n]);
    expect(transactionsOf(rows), "one transaction wrote them all").toHaveLength(1);
    expect(rows.map((r) => r.id)).toEqual(answers.filter((r) => r.status === 201).map((r) => String(r.json.id)));
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
  });

  it("the same idempotency key twice in one batch posts once (201, then 200 with the same entry); another amount is 409; later batches answer the first result", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    const [k1, k2, k3] = [randomUUID(), randomUUID(), randomUUID()];
    const sent = [
      { idempotencyKey: k1, amount: 100 },
      { idempotencyKey: k1, amount: 100 },
      { idempotencyKey: k2, amount: 50 },
      { idempotencyKey: k2, amount: 60 },
      { idempotencyKey: k3, amount: 10 },
      { idempotencyKey: k1, amount: 100 },
    ];
    const answers = await oneBatch(
      sent.map((d) => ({ ...d, key: a.key })),
      1,
    );
    expect(answers.map((r) => r.status)).toEqual([201, 200, 201, 409, 201, 200]);
    const [first, , second, conflict, third] = answers.map((r) => r.json);
    expect(first).toEqual({ id: first.id, amount_cents: 100, balance_cents: 9_900, idempotency_key: k1, replayed: false });
    expect(answers[1].json).toEqual({ ...first, replayed: true });
    expect(answers[5].json).toEqual({ ...first, replayed: true });
    expect(second).toMatchObject({ amount_cents: 50, balance_cents: 9_850, replayed: false });
    expect(conflict.error).toMatchObject({ type: "idempotency_conflict", param: "idempotency_key", original_amount_cents: 50 });
    expect(third).toMatchObject({ amount_cents: 10, balance_cents: 9_840, replayed: false });
    expect((await usageRows(a.accountId)).map((r) => r.idempotencyKey)).toEqual([`usage:${k1}`, `usage:${k2}`, `usage:${k3}`]);

    // Later batches (one debit each now), on either listener: the first result, whatever has been posted since.
    const other = await listener();
    expect((await postUsage(other.url, a.key, 500, randomUUID())).status).toBe(201);
    for (const l of [serial, other]) {
      expect((await postUsage(l.url, a.key, 100, k1)).json).toEqual({ ...first, replayed: true });
      expect((await postUsage(l.url, a.key, 50, k2)).json).toEqual({ ...second, replayed: true });
      expect(await postUsage(l.url, a.key, 60, k2)).toMatchObject({ status: 409, type: "idempotency_conflict" });
    }
    expect(await balanceOf(t.db, a.accountId)).toBe(10_000n - 100n - 50n - 10n - 500n);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
  });

  it("a key's monthly spend limit is met in the middle of a batch; the account's other key is not limited by it", async () => {
    const a = await withLimitedKey(100_000n, 1_000n);
    const limited = a.limited.plaintext;
    const sent = [
      { key: limited, amount: 600 },
      { key: limited, amount: 500 },
      { key: a.key, amount: 700 },
      { key: limited, amount: 400 },
      { key: limited, amount: 1 },
    ];
    const answers = await oneBatch(
      sent.map((d) => ({ ...d, idempotencyKey: randomUUID() })),
      1,
    );
    expect(answers.map((r) => r.type ?? r.status)).toEqual([201, "key_spend_limit_reached", 201, 201, "key_spend_limit_reached"]);
    expect(answers[1].json.error).toMatchObject({ spend_limit_cents: 1_000, spent_this_month_cents: 600 });
    expect(answers[4].json.error).toMatchObject({ spend_limit_cents: 1_000, spent_this_month_cents: 1_000 });
    expect(answers.filter((r) => r.status === 201).map((r) => r.json.balance_cents)).toEqual([99_400, 98_700, 98_300]);
    expect(await spentThisMonth(a.limited.id)).toBe(1_000n);
    expect(await spentThisMonth(a.keyId)).toBe(700n);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
  });

  it("a debit crossing the recharge threshold in the middle of a batch starts the recharge", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 2_000n });
    await saveRechargeRule(t.db, a.accountId, { enabled: true, thresholdCents: 1_000n, targetCents: 5_000n, paymentMethod: "saved_card" }, SYSTEM);
    // 2,000 → 1,600 → 1,200 → 800 (below $10.00: this one) → 400 → 0.
    const answers = await oneBatch(
      [400, 400, 400, 400, 400].map((amount) => ({ key: a.key, amount, idempotencyKey: randomUUID() })),
      1,
    );
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    await expectOneRecharge(a.accountId);
  });

  it("a batch that fails is posted one by one: the others 201 with their balances, the poisoned one a clean 503, nothing half-posted", async () => {
    const [x, y] = [await accountWithKey(t.db, { balanceCents: 1_000n }), await accountWithKey(t.db, { balanceCents: 2_000n })];
    const poison = randomUUID();
    await sql`
      CREATE FUNCTION test_poisoned_usage() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'test: poisoned idempotency key'; END $$`.execute(t.db);
    await sql
      .raw(
        `CREATE TRIGGER test_poisoned_usage BEFORE INSERT ON ledger_entries FOR EACH ROW
         WHEN (NEW.idempotency_key = 'usage:${poison}') EXECUTE FUNCTION test_poisoned_usage()`,
      )
      .execute(t.db);
    try {
      const sent = [
        { key: x.key, amount: 100, idempotencyKey: randomUUID() },
        { key: y.key, amount: 200, idempotencyKey: randomUUID() },
        { key: x.key, amount: 50, idempotencyKey: poison },
        { key: y.key, amount: 300, idempotencyKey: randomUUID() },
        { key: x.key, amount: 400, idempotencyKey: randomUUID() },
      ];
      const answers = await oneBatch(sent, 2, "failed");
      expect(answers.map((r) => r.status)).toEqual([201, 201, 503, 201, 201]);
      expect(answers.map((r) => r.json.balance_cents)).toEqual([900, 1_800, undefined, 1_500, 500]);
      expect(answers[2].contentType).toContain("application/json");
      expect(answers[2].json).toEqual({ error: { type: "unavailable", message: expect.stringContaining("Retry with the same idempotency_key") } });
      expect(JSON.stringify(answers[2].json)).not.toContain("poisoned");
      // Nothing of the failed transaction stands; each of the others was posted alone.
      const [xRows, yRows] = [await usageRows(x.accountId), await usageRows(y.accountId)];
      expect(xRows.map((r) => -r.amount)).toEqual([100n, 400n]);
      expect(yRows.map((r) => -r.amount)).toEqual([200n, 300n]);
      expect(transactionsOf([...xRows, ...yRows]).map((g) => g.length)).toEqual([1, 1, 1, 1]);
      for (const a of [x, y]) expect(await booksProblems(t.db, a.accountId)).toEqual([]);
    } finally {
      await sql`DROP TRIGGER test_poisoned_usage ON ledger_entries`.execute(t.db);
      await sql`DROP FUNCTION test_poisoned_usage()`.execute(t.db);
    }
    // The client retries with the same key: posted now.
    const retry = await postUsage(serial.url, x.key, 50, poison);
    expect(retry.json).toMatchObject({ amount_cents: 50, balance_cents: 450, replayed: false });
    expect(await booksProblems(t.db, x.accountId)).toEqual([]);
  });
});

// ---------------------------------------------------------------- real concurrency, in-process listeners

describe("under real concurrency", () => {
  let A: V1Listener;
  let B: V1Listener;
  beforeAll(async () => {
    [A, B] = await Promise.all([listener(), listener()]);
  });
  const failedSince = ([a, b]: number[]) => [...A.batches.slice(a), ...B.batches.slice(b)].filter((o) => o.outcome === "failed");

  it("200 parallel debits on one hot account: exactly the 140 the balance allows pass, the rest 402; in far fewer than 200 transactions", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 4_000n }); // 14,000¢ above the floor: 140 debits of 100¢
    const from = A.batches.length;
    const answers = await Promise.all(Array.from({ length: 200 }, () => postUsage(A.url, a.key, 100, randomUUID())));
    expect(tally(answers)).toEqual({ "201": 140, insufficient_balance: 60 });
    expect(await balanceOf(t.db, a.accountId)).toBe(-10_000n);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
    const batches = A.batches.slice(from);
    const transactions = transactionsOf(await usageRows(a.accountId));
    console.log(
      `200 parallel debits, one account: ${batches.length} batches (largest ${Math.max(...batches.map((b) => b.debits))}), ${transactions.length} transactions wrote the 140 entries`,
    );
    expect(batches.every((b) => b.outcome === "committed")).toBe(true);
    expect(batches.reduce((s, b) => s + b.debits, 0)).toBe(200);
    // How many arrive together depends on the machine's load (15 to 80 batches, 14 to 52 writing ones, seen on 2 busy
    // cores); one a transaction would be 200 and 140. The next test shows the batches a queue makes, load or not.
    expect(batches.length).toBeLessThanOrEqual(120);
    expect(transactions.length).toBeLessThanOrEqual(100);
  });

  it("200 debits that arrive while commits are in flight are posted in a handful of transactions", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 100_000n });
    const from = A.batches.length;
    // The account's lock held: the first batches wait on it (at most USAGE_BATCH_CONCURRENCY of them), the rest queue.
    const lock = await holdRowLock(t.databaseUrl, a.accountId);
    const arrived = A.arrived();
    const pending = Promise.all(Array.from({ length: 200 }, () => postUsage(A.url, a.key, 10, randomUUID())));
    await A.waitForArrivals(arrived + 200);
    await lock.release();
    expect(tally(await pending)).toEqual({ "201": 200 });
    const batches = batchesSince(A, from);
    const transactions = transactionsOf(await usageRows(a.accountId));
    console.log(`200 debits queued behind a held lock: batches of ${batches.map((b) => b.debits).join(", ")}`);
    expect(batches.reduce((s, b) => s + b.debits, 0)).toBe(200);
    expect(batches.length).toBeLessThanOrEqual(4);
    expect(transactions).toHaveLength(batches.length);
    expect(await balanceOf(t.db, a.accountId)).toBe(98_000n);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
  });

  it("uneven parallel debits from two listeners: every refusal was right when made, the books exact", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 2_000n }); // 12,000¢ above the floor
    const amounts = Array.from({ length: 200 }, (_, i) => 1 + ((i * 53) % 197));
    const from = [A.batches.length, B.batches.length];
    const answers = await Promise.all(amounts.map((c, i) => postUsage(i % 2 ? A.url : B.url, a.key, c, randomUUID())));
    expect(failedSince(from), "no batch failed (its debits would have been retried one by one)").toEqual([]);
    const passed = amounts.filter((_, i) => answers[i].status === 201).reduce((s, c) => s + c, 0);
    const balance = await balanceOf(t.db, a.accountId);
    expect(balance).toBe(2_000n - BigInt(passed));
    expect(answers.filter((r) => r.status === 402).length).toBeGreaterThan(10);
    // The balance only went down, so each refused debit would still cross the floor now.
    for (const [i, r] of answers.entries()) {
      if (r.status === 402) expect(balance - BigInt(amounts[i]), `refused ${amounts[i]}¢`).toBeLessThan(-10_000n);
      else expect(r.status).toBe(201);
    }
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
  });

  it("the same idempotency key 40 times at once over two listeners posts once: one 201, 39 × 200 with the same entry", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1_000n });
    const key = randomUUID();
    const from = [A.batches.length, B.batches.length];
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => postUsage(i % 2 ? A.url : B.url, a.key, 25, key)));
    // Answered from the probe after the lock, never by a duplicate insert failing its batch.
    expect(failedSince(from), "no batch failed").toEqual([]);
    expect(tally(answers)).toEqual({ "201": 1, "200": 39 });
    const created = answers.find((r) => r.status === 201)!.json;
    for (const r of answers) expect(r.json).toEqual({ ...created, replayed: r.status === 200 });
    expect(await balanceOf(t.db, a.accountId)).toBe(975n);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
  });

  it("with USAGE_BATCH_MAX_DEBITS=5 no batch holds more than 5", async () => {
    const small = await listener({ maxDebits: 5 });
    const a = await accountWithKey(t.db, { balanceCents: 100_000n });
    const answers = await Promise.all(Array.from({ length: 200 }, () => postUsage(small.url, a.key, 10, randomUUID())));
    expect(tally(answers)).toEqual({ "201": 200 });
    const transactions = transactionsOf(await usageRows(a.accountId));
    console.log(`200 parallel debits, at most 5 a batch: ${small.batches.length} batches, ${transactions.length} transactions`);
    expect(Math.max(...small.batches.map((b) => b.debits))).toBeLessThanOrEqual(5);
    expect(Math.max(...transactions.map((g) => g.length))).toBeLessThanOrEqual(5);
    expect(small.batches.reduce((s, b) => s + b.debits, 0)).toBe(200);
    expect(small.batches.length).toBeGreaterThanOrEqual(40);
    // Batched still: most transactions carry more than one debit.
    expect(transactions.length).toBeLessThanOrEqual(150);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
  });

  it("overlapping batches over many accounts from two listeners never deadlock: all answered in time, no batch failed", async () => {
    const accounts = await Promise.all(Array.from({ length: 20 }, () => accountWithKey(t.db, { balanceCents: 100_000n })));
    const [fromA, fromB] = [A.batches.length, B.batches.length];
    // A fixed, varied pattern: each request a pseudo-random account and listener.
    const picks = Array.from({ length: 600 }, (_, i) => ({ account: (i * 7919 + (i >> 3) * 31) % 20, via: (i * 13) % 3 === 0 ? A : B, amount: 1 + (i % 17) }));
    const started = Date.now();
    const answers = await Promise.all(picks.map((p) => postUsage(p.via.url, accounts[p.account].key, p.amount, randomUUID(), 20_000)));
    const elapsed = Date.now() - started;
    expect(tally(answers)).toEqual({ "201": 600 });
    const batches = [...A.batches.slice(fromA), ...B.batches.slice(fromB)];
    console.log(
      `600 debits over 20 accounts, two listeners: ${elapsed} ms, ${batches.length} batches, up to ${Math.max(...batches.map((b) => b.accounts))} accounts in one`,
    );
    expect(
      batches.filter((b) => b.outcome === "failed"),
      "failed batches (a deadlock fails one)",
    ).toEqual([]);
    expect(Math.max(...batches.map((b) => b.accounts)), "batches spanning many accounts").toBeGreaterThanOrEqual(5);
    expect(elapsed).toBeLessThan(20_000);
    for (const [n, acc] of accounts.entries()) {
      const spent = picks.filter((p) => p.account === n).reduce((s, p) => s + p.amount, 0);
      expect(await balanceOf(t.db, acc.accountId)).toBe(100_000n - BigInt(spent));
      expect(await booksProblems(t.db, acc.accountId)).toEqual([]);
    }
  });

  it("concurrent debits from two listeners crossing the recharge threshold start one recharge", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 4_000n });
    await saveRechargeRule(t.db, a.accountId, { enabled: true, thresholdCents: 2_000n, targetCents: 8_000n, paymentMethod: "saved_card" }, SYSTEM);
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => postUsage(i % 2 ? A.url : B.url, a.key, 50, randomUUID())));
    expect(tally(answers)).toEqual({ "201": 60 });
    expect(await balanceOf(t.db, a.accountId)).toBe(1_000n);
    await expectOneRecharge(a.accountId);
  });
});

// ---------------------------------------------------------------- two real web processes

describe("two web processes, each batching its own", () => {
  let P: WebProcess;
  let Q: WebProcess;
  beforeAll(async () => {
    const spawnOne = async () => {
      const w = await startWebProcess({ databaseUrl: t.databaseUrl, temporalAddress: inject("temporalAddress"), taskQueue: t.temporal.taskQueue });
      stoppers.push(() => w.stop());
      return w;
    };
    [P, Q] = await Promise.all([spawnOne(), spawnOne()]);
  }, 120_000);

  it("2 × 150 parallel debits on one hot account: exactly what the floor allows passes; every entry's balance_after follows the one before", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 2_000n }); // 12,000¢ above the floor: 266 debits of 45¢
    const second = await createAdditionalKey(t.db, a.accountId, "second process", a.userId, { type: "user", id: a.userId });
    if (!second.ok) throw new Error(second.message);
    // Each process is called with its own key, so each entry says which process posted it.
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? postUsage(P.url, a.key, 45, randomUUID()) : postUsage(Q.url, second.key.plaintext, 45, randomUUID()))),
    );
    expect(tally(answers)).toEqual({ "201": 266, insufficient_balance: 34 });
    expect(await balanceOf(t.db, a.accountId)).toBe(2_000n - 266n * 45n);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
    const rows = await usageRows(a.accountId);
    const transactions = transactionsOf(rows);
    // A transaction is one process's batch: never entries of both keys in one.
    expect(transactions.filter((g) => new Set(g.map((r) => r.actorId)).size > 1)).toEqual([]);
    const batchedBy = (keyId: string) => transactions.filter((g) => g[0].actorId === keyId && g.length > 1).length;
    console.log(
      `2 × 150 debits, two processes: ${transactions.length} transactions (${batchedBy(a.keyId)} and ${batchedBy(second.key.id)} batches of more than one)`,
    );
    expect(batchedBy(a.keyId), "process P batched").toBeGreaterThan(0);
    expect(batchedBy(second.key.id), "process Q batched").toBeGreaterThan(0);
  });

  it("101 concurrent debits against a $10.00 key limit, split between the two processes: exactly 100 pass", async () => {
    const a = await withLimitedKey(100_000n, 1_000n);
    const answers = await Promise.all(Array.from({ length: 101 }, (_, i) => postUsage(i % 2 ? P.url : Q.url, a.limited.plaintext, 10, randomUUID())));
    expect(tally(answers)).toEqual({ "201": 100, key_spend_limit_reached: 1 });
    expect(await spentThisMonth(a.limited.id)).toBe(1_000n);
    expect(await balanceOf(t.db, a.accountId)).toBe(99_000n);
    expect(await booksProblems(t.db, a.accountId)).toEqual([]);
    expect(
      transactionsOf(await usageRows(a.accountId)).some((g) => g.length > 1),
      "batched",
    ).toBe(true);
  });
});

// ---------------------------------------------------------------- what /v1 never sends

describe("debits the batch function does not take", () => {
  const NO_METRICS = { usageBatch() {}, verdictLookup() {}, changeFeedLag() {} };

  it("a debit made with another account's key fails the batch, and the batcher then answers each debit as postLedgerEntry does", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1000n });
    const b = await accountWithKey(t.db, { balanceCents: 1000n });
    const foreign = { accountId: a.accountId, costCents: 60n, idempotencyKey: `usage:${randomUUID()}`, keyId: b.keyId };
    const own = { accountId: b.accountId, costCents: 60n, idempotencyKey: `usage:${randomUUID()}`, keyId: b.keyId };
    await expect(postUsageDebits(t.db, [foreign, own])).rejects.toThrow(/own key/);
    expect(await usageRows(a.accountId)).toHaveLength(0);
    const batcher = new UsageBatcher(t.db, { maxDebits: 10, maxWaitMs: 0, concurrency: 1 }, NO_METRICS);
    const [first, second] = await Promise.all([batcher.post(foreign), batcher.post(own)]);
    expect([first.status, second.status]).toEqual(["created", "created"]);
    // postLedgerEntry counts the spend on the key used, whichever account it charged.
    expect(await spentThisMonth(b.keyId)).toBe(120n);
    expect([...(await booksProblems(t.db, a.accountId)), ...(await booksProblems(t.db, b.accountId))]).toEqual([]);
  });

  it("a cost of zero fails the batch rather than post or refuse on a guess", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1000n });
    await expect(postUsageDebits(t.db, [{ accountId: a.accountId, costCents: 0n, idempotencyKey: `usage:${randomUUID()}`, keyId: a.keyId }])).rejects.toThrow(
      /positive costs/,
    );
    expect(await usageRows(a.accountId)).toHaveLength(0);
  });
});
