/**
 * Differential, model-based test of the usage group commit (issue 17):
 * `postUsageDebits` (many debits, one transaction) must give every debit the
 * answer `postLedgerEntry` gives it when the same debits are posted one after
 * another, in the same order, and leave the same books.
 *
 * fast-check draws a starting state — a few accounts with balances near
 * their −credit-limit floor (credit limits of $0, $1 and $100), recharge rules
 * (active, paused, disabled) with thresholds just above the floor, keys with
 * and without a monthly spend limit and with some spend this month (and last
 * month, which must not count), usage (and other) entries already posted
 * under the idempotency keys the debits use — and a batch of debits over those
 * accounts (and one that does not exist), whose idempotency keys come from a
 * pool of six, so keys repeat inside the batch and repeat entries posted before,
 * with the same amount (a replay) or another (a conflict).
 *
 * The state is built twice, identically, as two sets of accounts in one
 * database (ids differ, so everything is compared through labels: account
 * A0, its key A0K1, its third entry A0#2). The batch goes to one set through
 * `postUsageDebits`, the same debits to the other one by one through
 * `postLedgerEntry` (kind usage, spendingKeyId = the debit's key). Compared:
 * - each debit's answer: status; for an entry, which entry (by label), its
 *   amount, balance_after, kind and idempotency key, and that id and
 *   created_at are the stored row's; the account as the post left it; the key
 *   limit's limit and spend; the balance and credit limit of a refusal;
 * - rechargeDue: one by one, every debit that leaves the balance below an
 *   active rule's threshold says so; the batch says it for the first such debit
 *   per account only (one start per account and batch). So the batch's flags
 *   must be exactly "the first debit per account that one by one flags";
 * - the books after: per account its balance and its entries in id order
 *   (amount, balance_after, kind, idempotency key, actor); every key's month
 *   spend rows; and on both sides, the ledger sums to the balance and each
 *   entry's balance_after is the previous one plus its amount.
 *
 * Seeded and bounded: USAGE_DIFF_SEED, USAGE_DIFF_RUNS. A failure prints the
 * shrunk case as a plain description (accounts, keys, entries, the batch).
 */
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { sql } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { postLedgerEntry, type LedgerEntry, type PostResult } from "../../app/models/ledger.server.js";
import { postUsageDebits, type UsageDebit } from "../../app/models/usage-debits.server.js";
import type { Db } from "../../db/connection.js";
import { freshDatabase, type FreshDatabase } from "../helpers/database.js";

const SEED = Number(process.env.USAGE_DIFF_SEED ?? 20261217);
const RUNS = Number(process.env.USAGE_DIFF_RUNS ?? 250);
/** Idempotency keys the debits (and the entries posted before) draw from. */
const IDEMPOTENCY_KEYS = 6;

// ---------------------------------------------------------------- the cases

interface KeySpec {
  /** Monthly spend limit in cents, or none. */
  limit: number | null;
  /** This month's spend row, or none. */
  spent: number | null;
  /** Last month's spend (a row when > 0): must not count. */
  lastMonth: number;
}
interface PostedSpec {
  idem: number;
  /** Cents; 0: the idempotency key's usual price (priceOf). */
  cost: number;
  /** A usage debit of `key`, or a staff adjustment that happens to carry the same idempotency key. */
  kind: "usage" | "adjustment";
  key: number;
}
interface AccountSpec {
  creditLimit: number;
  /** The balance above the floor (balance = −creditLimit + headroom). */
  headroom: number;
  rule: null | { above: number; state: "active" | "paused" | "disabled" };
  keys: KeySpec[];
  posted: PostedSpec[];
}
interface DebitSpec {
  /** Index into the accounts; accounts.length is an account that does not exist. */
  account: number;
  key: number;
  idem: number;
  /** Cents; 0: the idempotency key's usual price (priceOf). */
  cost: number;
}
interface Case {
  accounts: AccountSpec[];
  debits: DebitSpec[];
}

const keySpec: fc.Arbitrary<KeySpec> = fc.record({
  limit: fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: null, freq: 2 }),
  spent: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null, freq: 3 }),
  lastMonth: fc.constantFrom(0, 0, 0, 500),
});
const accountSpec: fc.Arbitrary<AccountSpec> = fc.record({
  creditLimit: fc.constantFrom(0, 100, 10_000),
  headroom: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }) }),
  rule: fc.option(
    fc.record({
      above: fc.integer({ min: 0, max: 400 }),
      state: fc.constantFrom("active" as const, "active" as const, "paused" as const, "disabled" as const),
    }),
    {
      nil: null,
    },
  ),
  keys: fc.array(keySpec, { minLength: 1, maxLength: 2 }),
  posted: fc.uniqueArray(
    fc.record({
      idem: fc.integer({ min: 0, max: IDEMPOTENCY_KEYS - 1 }),
      cost: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 150 }) }),
      kind: fc.constantFrom("usage" as const, "usage" as const, "usage" as const, "adjustment" as const),
      key: fc.nat(1),
    }),
    { selector: (p) => p.idem, maxLength: 3 },
  ),
});
const caseArb: fc.Arbitrary<Case> = fc.array(accountSpec, { minLength: 1, maxLength: 3 }).chain((accounts) =>
  fc.record({
    accounts: fc.constant(accounts),
    debits: fc.array(
      fc.record({
        account: fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: accounts.length - 1 }) }, { weight: 1, arbitrary: fc.constant(accounts.length) }),
        key: fc.nat(1),
        idem: fc.integer({ min: 0, max: IDEMPOTENCY_KEYS - 1 }),
        cost: fc.oneof(
          { weight: 3, arbitrary: fc.constant(0) },
          { weight: 3, arbitrary: fc.integer({ min: 1, max: 150 }) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }) },
        ),
      }),
      { minLength: 1, maxLength: 30, size: "medium" },
    ),
  }),
);

const idemOf = (i: number) => `usage:k${i}`;
/** A cost of 0 in a spec stands for the idempotency key's usual price, so that the same key comes back with the same amount (a replay) often. */
const priceOf = (cost: number, idem: number) => (cost === 0 ? 10 + 7 * idem : cost);

/** The case as a person would write it down (what a failure prints). */
function describeCase(c: Case): string {
  const lines = c.accounts.map((a, i) => {
    const rule = a.rule ? `, recharge rule (${a.rule.state}) below ${-a.creditLimit + a.rule.above}` : "";
    const keys = a.keys
      .map(
        (k, j) =>
          `A${i}K${j}(${k.limit === null ? "no limit" : `limit ${k.limit}`}${k.spent === null ? "" : `, spent ${k.spent}`}${k.lastMonth ? `, last month ${k.lastMonth}` : ""})`,
      )
      .join(" ");
    const posted = a.posted
      .map((p) => `${idemOf(p.idem)} ${p.kind} −${priceOf(p.cost, p.idem)}${p.kind === "usage" ? ` by A${i}K${p.key % a.keys.length}` : ""}`)
      .join(", ");
    return `A${i}: floor ${-a.creditLimit}, balance ${-a.creditLimit + a.headroom}${rule}; keys ${keys}${posted ? `; posted before: ${posted}` : ""}`;
  });
  const debits = c.debits.map((d, n) => {
    const a = c.accounts[d.account];
    const who = a ? `A${d.account}/A${d.account}K${d.key % a.keys.length}` : "missing account";
    return `  ${n + 1}. ${who} ${idemOf(d.idem)} ${priceOf(d.cost, d.idem)}¢`;
  });
  return [...lines, "batch:", ...debits].join("\n");
}

// ---------------------------------------------------------------- one copy of the state

const THIS_MONTH = sql<string>`date_trunc('month', now() AT TIME ZONE 'UTC')::date`;
/** Never an account: a debit for it is answered no_account. */
const MISSING_ACCOUNT = "00000000-0000-4000-8000-00000000dead";
const SYSTEM = { type: "system" as const, id: null };

interface World {
  accountIds: string[];
  keyIds: string[][];
}

async function build(db: Db, c: Case): Promise<World> {
  const world: World = { accountIds: [], keyIds: [] };
  for (const a of c.accounts) {
    const { id } = await db
      .insertInto("accounts")
      .values({ name: "differential", credit_limit_cents: a.creditLimit })
      .returning("id")
      .executeTakeFirstOrThrow();
    const keys = await db
      .insertInto("api_keys")
      .values(
        a.keys.map((k, j) => ({
          account_id: id,
          kind: j === 0 ? ("main" as const) : ("additional" as const),
          name: `key ${j}`,
          key_hash: randomBytes(32),
          prefix: "tgp_v1_test",
          last4: "test",
          checksummed: true,
          spend_limit_cents: k.limit,
        })),
      )
      .returning("id")
      .execute();
    const keyIds = keys.map((k) => k.id);
    // The opening entry takes the balance where the entries posted before leave it at balance = floor + headroom.
    const target = BigInt(-a.creditLimit + a.headroom);
    const opening = target + BigInt(a.posted.reduce((s, p) => s + priceOf(p.cost, p.idem), 0));
    if (opening !== 0n) {
      await postLedgerEntry(db, {
        accountId: id,
        amountCents: opening,
        kind: opening > 0n ? "grant" : "adjustment",
        idempotencyKey: "test:opening",
        actor: SYSTEM,
      });
    }
    for (const p of a.posted) {
      const created = await postLedgerEntry(db, {
        accountId: id,
        amountCents: BigInt(-priceOf(p.cost, p.idem)),
        kind: p.kind,
        idempotencyKey: idemOf(p.idem),
        actor: p.kind === "usage" ? { type: "api_key", id: keyIds[p.key % keyIds.length] } : SYSTEM,
      });
      if (created.status !== "created") throw new Error(`setup: ${created.status}`);
    }
    for (const [j, k] of a.keys.entries()) {
      if (k.spent !== null)
        await sql`INSERT INTO api_key_month_spend (key_id, month, spent_cents) VALUES (${keyIds[j]}, ${THIS_MONTH}, ${k.spent})`.execute(db);
      if (k.lastMonth > 0) {
        await sql`INSERT INTO api_key_month_spend (key_id, month, spent_cents) VALUES (${keyIds[j]}, (${THIS_MONTH} - interval '1 month')::date, ${k.lastMonth})`.execute(
          db,
        );
      }
    }
    if (a.rule) {
      const threshold = -a.creditLimit + a.rule.above;
      await db
        .insertInto("recharge_rules")
        .values({
          account_id: id,
          enabled: a.rule.state !== "disabled",
          threshold_cents: threshold,
          target_cents: threshold + 1_000,
          payment_method: "saved_card",
          paused_reason: a.rule.state === "paused" ? "card_declined" : null,
        })
        .execute();
    }
    world.accountIds.push(id);
    world.keyIds.push(keyIds);
  }
  return world;
}

function debitsIn(world: World, c: Case): UsageDebit[] {
  return c.debits.map((d) => {
    const exists = d.account < world.accountIds.length;
    const keys = world.keyIds[exists ? d.account : 0];
    return {
      accountId: exists ? world.accountIds[d.account] : MISSING_ACCOUNT,
      costCents: BigInt(priceOf(d.cost, d.idem)),
      idempotencyKey: idemOf(d.idem),
      keyId: keys[d.key % keys.length],
    };
  });
}

/** The books after, in labels (A0, A0K1, A0#2): comparable between the two copies. */
interface Books {
  accounts: { balance: string; entries: { amount: string; balanceAfter: string; kind: string; idempotencyKey: string; actor: string }[] }[];
  spend: { key: string; month: "this" | "last"; spent: string }[];
  /** Broken on this copy alone: a balance that is not its ledger's sum, an entry's balance_after that does not follow. */
  problems: string[];
  /** Entry id → its label and created_at. */
  entries: Map<string, { label: string; createdAt: number }>;
}

async function booksOf(db: Db, world: World): Promise<Books> {
  const keyLabel = new Map(world.keyIds.flatMap((ids, i) => ids.map((id, j) => [id, `A${i}K${j}`] as const)));
  const books: Books = { accounts: [], spend: [], problems: [], entries: new Map() };
  for (const [i, accountId] of world.accountIds.entries()) {
    const { balance_cents } = await db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirstOrThrow();
    const rows = await db
      .selectFrom("ledger_entries")
      .select(["id", "amount_cents", "balance_after_cents", "kind", "idempotency_key", "actor_type", "actor_id", "created_at"])
      .where("account_id", "=", accountId)
      .orderBy("id")
      .execute();
    let running = 0n;
    for (const [n, r] of rows.entries()) {
      running += BigInt(r.amount_cents);
      if (BigInt(r.balance_after_cents) !== running) books.problems.push(`A${i}#${n}: balance_after ${r.balance_after_cents}, running sum ${running}`);
      books.entries.set(r.id, { label: `A${i}#${n}`, createdAt: r.created_at.getTime() });
    }
    if (BigInt(balance_cents) !== running) books.problems.push(`A${i}: balance ${balance_cents}, ledger sum ${running}`);
    books.accounts.push({
      balance: balance_cents,
      entries: rows.map((r) => ({
        amount: r.amount_cents,
        balanceAfter: r.balance_after_cents,
        kind: r.kind,
        idempotencyKey: r.idempotency_key,
        actor: r.actor_type === "api_key" ? (keyLabel.get(r.actor_id!) ?? `foreign key ${r.actor_id}`) : r.actor_type,
      })),
    });
  }
  const { rows: spend } = await sql<{ key_id: string; this_month: boolean; spent_cents: string }>`
    SELECT key_id, month = ${THIS_MONTH} AS this_month, spent_cents FROM api_key_month_spend
     WHERE key_id = ANY(${world.keyIds.flat()}::uuid[])`.execute(db);
  books.spend = spend
    .map((s) => ({ key: keyLabel.get(s.key_id)!, month: s.this_month ? ("this" as const) : ("last" as const), spent: s.spent_cents }))
    .sort((a, b) => `${a.key} ${a.month}`.localeCompare(`${b.key} ${b.month}`));
  return books;
}

/** An answer in labels; an entry's id and created_at are checked against the stored row. */
function normalized(r: PostResult, books: Books) {
  const entry = (e: LedgerEntry) => {
    const stored = books.entries.get(e.id);
    return {
      entry: stored?.label ?? `no stored entry has id ${e.id}`,
      createdAtIsTheRows: stored?.createdAt === e.createdAt.getTime(),
      amount: e.amountCents,
      balanceAfter: e.balanceAfterCents,
      kind: e.kind,
      idempotencyKey: e.idempotencyKey,
    };
  };
  switch (r.status) {
    case "created": {
      // Row versions differ by design (one UPDATE per account in a batch, one per post one by one): checked apart.
      const { rowVersion: _version, ...account } = r.account;
      return { status: r.status, ...entry(r.entry), account, rechargeDue: r.rechargeDue };
    }
    case "replayed":
    case "conflict":
      return { status: r.status, ...entry(r.entry) };
    default:
      return r;
  }
}

/** One by one flags every debit below the threshold; the batch, the first one per account (see the header). */
function firstDuePerAccount(results: PostResult[], debits: UsageDebit[]): PostResult[] {
  const flagged = new Set<string>();
  return results.map((r, i) => {
    if (r.status !== "created") return r;
    const first = r.rechargeDue && !flagged.has(debits[i].accountId);
    if (first) flagged.add(debits[i].accountId);
    return { ...r, rechargeDue: first };
  });
}

/**
 * A batch updates each account row once, so every debit it posted answers with the row as that one UPDATE
 * left it: one by one, that is the row after the account's last post.
 */
function rowAfterLastPost(results: PostResult[], debits: UsageDebit[]): PostResult[] {
  const last = new Map<string, string>();
  results.forEach((r, i) => {
    if (r.status === "created") last.set(debits[i].accountId, r.account.balanceCents);
  });
  return results.map((r, i) => (r.status === "created" ? { ...r, account: { ...r.account, balanceCents: last.get(debits[i].accountId)! } } : r));
}

/** JSON with keys sorted: the same value prints the same, whichever order its fields were built in. */
const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x,
  );

/** Fails with the case and, per element that differs, both sides (what fast-check prints for the shrunk case). */
function same<T>(what: string, batch: T[], oneByOne: T[], name: (i: number) => string, theCase: string): void {
  const lines: string[] = [];
  for (let i = 0; i < Math.max(batch.length, oneByOne.length); i++) {
    const [l, r] = [stable(batch[i]), stable(oneByOne[i])];
    if (l !== r) lines.push(`  ${name(i)}:\n    batch:      ${l}\n    one by one: ${r}`);
  }
  if (lines.length) throw new Error(`${what} differ\n${theCase}\n${lines.join("\n")}`);
}

// ---------------------------------------------------------------- the property

let fresh: FreshDatabase;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(async () => {
  await fresh?.destroy();
});

it(`a batch through postUsageDebits answers and books exactly as postLedgerEntry one by one (${RUNS} cases, seed ${SEED})`, { timeout: 120_000 }, async () => {
  const db = fresh.db;
  const seen = { batches: 0, debits: 0, statuses: {} as Record<string, number>, rechargeFlags: 0 };
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      const batched = await build(db, c);
      const oneByOne = await build(db, c);
      const batchDebits = debitsIn(batched, c);
      const sequentialDebits = debitsIn(oneByOne, c);

      const batchResults = await postUsageDebits(db, batchDebits);
      const sequentialResults: PostResult[] = [];
      for (const d of sequentialDebits) {
        sequentialResults.push(
          await postLedgerEntry(db, {
            accountId: d.accountId,
            amountCents: -d.costCents,
            kind: "usage",
            idempotencyKey: d.idempotencyKey,
            actor: { type: "api_key", id: d.keyId },
            spendingKeyId: d.keyId,
          }),
        );
      }
      const [batchBooks, sequentialBooks] = await Promise.all([booksOf(db, batched), booksOf(db, oneByOne)]);

      const what = describeCase(c);
      expect(batchBooks.problems, `books of the batched copy\n${what}`).toEqual([]);
      expect(sequentialBooks.problems, `books of the one-by-one copy\n${what}`).toEqual([]);
      same(
        "answers (recharge flag one by one: on the first due debit per account)",
        batchResults.map((r) => normalized(r, batchBooks)),
        rowAfterLastPost(firstDuePerAccount(sequentialResults, sequentialDebits), sequentialDebits).map((r) => normalized(r, sequentialBooks)),
        (i) => `debit ${i + 1}`,
        what,
      );
      same("balances and entries", batchBooks.accounts, sequentialBooks.accounts, (i) => `A${i}`, what);
      // Each posted debit carries the row version its account's one UPDATE left (what the /v1 caches order by).
      const { rows: versions } = await sql<{ id: string; row_version: string }>`
        SELECT id, row_version FROM accounts WHERE id = ANY(${batched.accountIds}::uuid[])`.execute(db);
      const versionOf = new Map(versions.map((v) => [v.id, v.row_version]));
      batchResults.forEach((r, i) => {
        if (r.status === "created") expect(r.account.rowVersion, `row version of debit ${i + 1}\n${what}`).toBe(versionOf.get(batchDebits[i].accountId));
      });
      same("month spend rows", [batchBooks.spend], [sequentialBooks.spend], () => "all keys", what);

      seen.batches++;
      seen.debits += c.debits.length;
      for (const r of batchResults) seen.statuses[r.status] = (seen.statuses[r.status] ?? 0) + 1;
      seen.rechargeFlags += batchResults.filter((r) => r.status === "created" && r.rechargeDue).length;
    }),
    { seed: SEED, numRuns: RUNS },
  );
  console.log(
    `usage batch differential: ${seen.batches} batches, ${seen.debits} debits, answers ${JSON.stringify(seen.statuses)}, ${seen.rechargeFlags} recharge flags`,
  );
  // The cases reach every answer, so agreeing means something.
  for (const status of ["created", "replayed", "conflict", "insufficient", "key_limit", "no_account"])
    expect(seen.statuses[status] ?? 0, status).toBeGreaterThan(0);
  expect(seen.rechargeFlags).toBeGreaterThan(0);
});
