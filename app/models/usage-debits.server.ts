/**
 * Many usage debits in one transaction (group commit): the /v1 batcher
 * (app/api/usage-batcher.server.ts) hands in what arrived while the previous
 * commit was in flight, and every debit gets the answer `postLedgerEntry`
 * would have given it, posted one after another in arrival order. What a
 * batch costs is fixed, whatever its size: the accounts' row locks (sorted by
 * id, so two batches never wait on each other in a cycle), one probe, one
 * write statement (multi-row insert, one balance update per account, one key
 * spend upsert per key), one commit — so one WAL flush and one
 * `account_changed` NOTIFY per account for many debits.
 *
 * The rules are `postLedgerEntry`'s, applied per debit against the state the
 * debits before it in the batch left: an idempotency key already posted
 * (before, or earlier in this batch) answers with its first entry (replayed,
 * or conflict when amount or kind differ); the key's monthly spend limit; the
 * −credit-limit floor, where a debit that would cross it is refused alone and
 * the others go through.
 */
import { sql } from "kysely";
import type { Db } from "../../db/connection.js";
import type { AccountStatus, Plan } from "../../db/schema.js";
import type { LedgerEntry, PostResult } from "./ledger.server.js";

export interface UsageDebit {
  accountId: string;
  /** Positive: the cents this call costs (the entry's amount is its negative). */
  costCents: bigint;
  /** As stored: "usage:<the client's idempotency_key>". */
  idempotencyKey: string;
  /** The API key the call was made with: the entry's actor, and whose month spend and limit apply. */
  keyId: string;
}

// The calendar month (UTC) of the transaction's now(), which is also every entry's created_at: as in postLedgerEntry.
const MONTH = sql<string>`date_trunc('month', now() AT TIME ZONE 'UTC')::date`;

interface LockedAccount {
  id: string;
  balance_cents: string;
  credit_limit_cents: string;
  threshold_cents: string | null;
}

/** Text for every int8 and id: JSON numbers would squeeze cents through a float. */
interface ProbedEntry {
  account_id: string;
  id: string;
  amount_cents: string;
  kind: LedgerEntry["kind"];
  idempotency_key: string;
  balance_after_cents: string;
  created_at: string;
}
interface ProbedKey {
  id: string;
  account_id: string;
  spend_limit_cents: string | null;
  spent_cents: string | null;
}
interface WrittenEntry {
  id: string;
  account_id: string;
  idempotency_key: string;
  created_at: string;
}
interface WrittenAccount {
  id: string;
  plan: Plan;
  status: AccountStatus;
  credit_limit_cents: string;
}

const entryFrom = (r: Omit<ProbedEntry, "account_id">): LedgerEntry => ({
  id: r.id,
  amountCents: r.amount_cents,
  kind: r.kind,
  idempotencyKey: r.idempotency_key,
  balanceAfterCents: r.balance_after_cents,
  createdAt: new Date(r.created_at),
});

/** A debit this batch posts: its row, and (after the write) its entry. */
interface Posting {
  accountId: string;
  keyId: string;
  idempotencyKey: string;
  amountCents: bigint;
  balanceAfter: bigint;
  rechargeDue: boolean;
}

type Decision =
  | { kind: "final"; result: PostResult }
  | { kind: "posted"; posting: Posting }
  /** The same idempotency key as a debit posted earlier in this batch: answered with that entry once written. */
  | { kind: "same_as"; posting: Posting; same: boolean };

const slot = (accountId: string, idempotencyKey: string) => `${accountId} ${idempotencyKey}`;

/** Posts the debits in one transaction; the answers come in the debits' order, after the commit. */
export async function postUsageDebits(db: Db, debits: readonly UsageDebit[]): Promise<PostResult[]> {
  if (debits.length === 0) return [];
  const accountIds = [...new Set(debits.map((d) => d.accountId))].sort();
  const keyIds = [...new Set(debits.map((d) => d.keyId))];
  return db.transaction().execute(async (trx) => {
    // The locks first, in id order. The active recharge rule's threshold comes along (as in postLedgerEntry).
    const locked = await sql<LockedAccount>`
      SELECT a.id, a.balance_cents, a.credit_limit_cents, r.threshold_cents
        FROM accounts a
        LEFT JOIN recharge_rules r ON r.account_id = a.id AND r.enabled AND r.paused_reason IS NULL
       WHERE a.id = ANY(${accountIds}::uuid[])
       ORDER BY a.id
         FOR UPDATE OF a`.execute(trx);
    // After the locks, in a new statement (rows joined to a locked one come from the snapshot taken before the
    // wait): entries already posted under these idempotency keys, and each key's limit and month spend.
    const probe = await sql<{ entries: ProbedEntry[]; keys: ProbedKey[] }>`
      SELECT
        (SELECT coalesce(json_agg(json_build_object(
                  'account_id', e.account_id::text, 'id', e.id::text, 'amount_cents', e.amount_cents::text, 'kind', e.kind,
                  'idempotency_key', e.idempotency_key, 'balance_after_cents', e.balance_after_cents::text, 'created_at', e.created_at)), '[]')
           FROM (SELECT DISTINCT * FROM unnest(${debits.map((d) => d.accountId)}::uuid[], ${debits.map((d) => d.idempotencyKey)}::text[]) AS w(account_id, idempotency_key)) w
           JOIN ledger_entries e ON e.account_id = w.account_id AND e.idempotency_key = w.idempotency_key) AS entries,
        (SELECT coalesce(json_agg(json_build_object(
                  'id', k.id::text, 'account_id', k.account_id::text, 'spend_limit_cents', k.spend_limit_cents::text, 'spent_cents', s.spent_cents::text)), '[]')
           FROM api_keys k
           LEFT JOIN api_key_month_spend s ON s.key_id = k.id AND s.month = ${MONTH}
          WHERE k.id = ANY(${keyIds}::uuid[])) AS keys`.execute(trx);
    const { entries, keys } = probe.rows[0];

    const accounts = new Map(
      locked.rows.map((a) => [
        a.id,
        {
          balance: BigInt(a.balance_cents),
          floor: -BigInt(a.credit_limit_cents),
          creditLimitCents: a.credit_limit_cents,
          threshold: a.threshold_cents === null ? null : BigInt(a.threshold_cents),
          rechargeFlagged: false,
        },
      ]),
    );
    const posted = new Map<string, ProbedEntry | Posting>(entries.map((e) => [slot(e.account_id, e.idempotency_key), e]));
    const keyState = new Map(
      keys.map((k) => [
        k.id,
        { accountId: k.account_id, limit: k.spend_limit_cents === null ? null : BigInt(k.spend_limit_cents), spent: BigInt(k.spent_cents ?? 0) },
      ]),
    );

    const decisions: Decision[] = debits.map((d): Decision => {
      const account = accounts.get(d.accountId);
      if (!account) return { kind: "final", result: { status: "no_account" } };
      const amount = -d.costCents;
      const earlier = posted.get(slot(d.accountId, d.idempotencyKey));
      if (earlier !== undefined) {
        if ("balanceAfter" in earlier) return { kind: "same_as", posting: earlier, same: earlier.amountCents === amount };
        const same = BigInt(earlier.amount_cents) === amount && earlier.kind === "usage";
        return { kind: "final", result: { status: same ? "replayed" : "conflict", entry: entryFrom(earlier) } };
      }
      // A key of another account has no say here (postLedgerEntry joins the key on the account too).
      const key = keyState.get(d.keyId);
      const limited = key !== undefined && key.accountId === d.accountId ? key : undefined;
      if (limited && limited.limit !== null && limited.spent + d.costCents > limited.limit) {
        return { kind: "final", result: { status: "key_limit", limitCents: limited.limit.toString(), spentCents: limited.spent.toString() } };
      }
      const balance = account.balance + amount;
      if (balance < account.floor) {
        return { kind: "final", result: { status: "insufficient", balanceCents: account.balance.toString(), creditLimitCents: account.creditLimitCents } };
      }
      account.balance = balance;
      if (key !== undefined && key.accountId === d.accountId) key.spent += d.costCents;
      // One start per account and batch is enough: the recharge workflow reads the balance itself.
      const rechargeDue = account.threshold !== null && balance < account.threshold && !account.rechargeFlagged;
      if (rechargeDue) account.rechargeFlagged = true;
      const posting: Posting = {
        accountId: d.accountId,
        keyId: d.keyId,
        idempotencyKey: d.idempotencyKey,
        amountCents: amount,
        balanceAfter: balance,
        rechargeDue,
      };
      posted.set(slot(d.accountId, d.idempotencyKey), posting);
      return { kind: "posted", posting };
    });

    const postings = decisions.flatMap((d) => (d.kind === "posted" ? [d.posting] : []));
    if (postings.length === 0) return decisions.map((d) => (d as Extract<Decision, { kind: "final" }>).result);

    // Per key, the spend this batch adds; per account, the balance it leaves.
    const spendByKey = new Map<string, bigint>();
    for (const p of postings) spendByKey.set(p.keyId, (spendByKey.get(p.keyId) ?? 0n) - p.amountCents);
    const changed = [...accounts].filter(([id]) => postings.some((p) => p.accountId === id));
    // One statement: the entries (in arrival order, so their ids follow it), each account's balance, each key's spend.
    const written = await sql<{ entries: WrittenEntry[]; accounts: WrittenAccount[] }>`
      WITH entry AS (
        INSERT INTO ledger_entries (account_id, amount_cents, kind, idempotency_key, balance_after_cents, actor_type, actor_id)
        SELECT r.account_id, r.amount_cents, 'usage', r.idempotency_key, r.balance_after_cents, 'api_key', r.actor_id
          FROM unnest(${postings.map((p) => p.accountId)}::uuid[], ${postings.map((p) => p.amountCents.toString())}::bigint[],
                      ${postings.map((p) => p.idempotencyKey)}::text[], ${postings.map((p) => p.balanceAfter.toString())}::bigint[],
                      ${postings.map((p) => p.keyId)}::text[])
               WITH ORDINALITY AS r(account_id, amount_cents, idempotency_key, balance_after_cents, actor_id, ord)
         ORDER BY r.ord
        RETURNING id, account_id, idempotency_key, created_at
      ), balance AS (
        UPDATE accounts a SET balance_cents = b.balance_cents
          FROM unnest(${changed.map(([id]) => id)}::uuid[], ${changed.map(([, a]) => a.balance.toString())}::bigint[]) AS b(id, balance_cents)
         WHERE a.id = b.id
        RETURNING a.id, a.plan, a.status, a.credit_limit_cents
      ), key_spend AS (
        INSERT INTO api_key_month_spend (key_id, month, spent_cents)
        SELECT s.key_id, ${MONTH}, s.spent_cents
          FROM unnest(${[...spendByKey.keys()]}::uuid[], ${[...spendByKey.values()].map(String)}::bigint[]) AS s(key_id, spent_cents)
          JOIN api_keys k ON k.id = s.key_id
        ON CONFLICT (key_id, month) DO UPDATE SET spent_cents = api_key_month_spend.spent_cents + excluded.spent_cents
      )
      SELECT
        (SELECT json_agg(json_build_object('id', id::text, 'account_id', account_id::text, 'idempotency_key', idempotency_key, 'created_at', created_at)) FROM entry) AS entries,
        (SELECT json_agg(json_build_object('id', id::text, 'plan', plan, 'status', status, 'credit_limit_cents', credit_limit_cents::text)) FROM balance) AS accounts`.execute(
      trx,
    );
    const entryOf = new Map(written.rows[0].entries.map((e) => [slot(e.account_id, e.idempotency_key), e]));
    const accountOf = new Map(written.rows[0].accounts.map((a) => [a.id, a]));
    const ledgerEntry = (p: Posting): LedgerEntry => {
      const row = entryOf.get(slot(p.accountId, p.idempotencyKey))!;
      return entryFrom({ ...row, amount_cents: p.amountCents.toString(), kind: "usage", balance_after_cents: p.balanceAfter.toString() });
    };
    return decisions.map((d): PostResult => {
      if (d.kind === "final") return d.result;
      if (d.kind === "same_as") return { status: d.same ? "replayed" : "conflict", entry: ledgerEntry(d.posting) };
      const p = d.posting;
      const a = accountOf.get(p.accountId)!;
      return {
        status: "created",
        entry: ledgerEntry(p),
        // As this entry left the row: the cache keeps the highest entry id's, so the batch's last balance wins.
        account: { plan: a.plan, status: a.status, balanceCents: p.balanceAfter.toString(), creditLimitCents: a.credit_limit_cents },
        rechargeDue: p.rechargeDue,
      };
    });
  });
}
