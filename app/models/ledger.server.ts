/**
 * The credit ledger: append-only entries in integer cents, and the account's
 * balance kept equal to their sum in the same transaction, under a row lock.
 * The balance may go down to −credit_limit (−$100.00 by default), never below:
 * a debit that would cross it is refused whole. Every entry carries an
 * idempotency key unique per account, so a retried request posts once.
 */
import { sql } from "kysely";
import { inTransaction, type Db, type DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, LedgerKind, Plan } from "../../db/schema.js";
import { writeAudit, type Actor } from "./audit.server.js";

export const LEDGER_PAGE_SIZE = 25;

export interface LedgerEntry {
  id: string;
  amountCents: string;
  kind: LedgerKind;
  idempotencyKey: string;
  balanceAfterCents: string;
  createdAt: Date;
}

export type PostResult =
  | {
      status: "created";
      entry: LedgerEntry;
      /** The account row as this post left it (from the UPDATE … RETURNING), for callers that cache it; rowVersion orders its versions. */
      account: { plan: Plan; status: AccountStatus; balanceCents: string; creditLimitCents: string; rowVersion: string };
      /** The account's recharge rule calls for a top-up now. */
      rechargeDue: boolean;
    }
  | { status: "replayed"; entry: LedgerEntry }
  | { status: "conflict"; entry: LedgerEntry }
  | { status: "insufficient"; balanceCents: string; creditLimitCents: string }
  /** The spending key's monthly limit would be passed: nothing posted. */
  | { status: "key_limit"; limitCents: string; spentCents: string }
  | { status: "no_account" };

const ENTRY_COLUMNS = ["id", "amount_cents", "kind", "idempotency_key", "balance_after_cents", "created_at"] as const;
const toEntry = (r: {
  id: string;
  amount_cents: string;
  kind: LedgerKind;
  idempotency_key: string;
  balance_after_cents: string;
  created_at: Date;
}): LedgerEntry => ({
  id: r.id,
  amountCents: r.amount_cents,
  kind: r.kind,
  idempotencyKey: r.idempotency_key,
  balanceAfterCents: r.balance_after_cents,
  createdAt: r.created_at,
});

/**
 * Posts one entry (positive credits, negative debits). The same idempotency key
 * with the same amount and kind returns the first entry; with a different one,
 * a conflict. Runs in the caller's transaction, or its own.
 */
export async function postLedgerEntry(
  db: DbOrTrx,
  input: {
    accountId: string;
    amountCents: bigint;
    kind: LedgerKind;
    idempotencyKey: string;
    actor: Actor;
    note?: string | null;
    /** The provider's payment a purchase, recharge or refund belongs to (a Stripe PaymentIntent id). */
    paymentIntentId?: string | null;
    /**
     * The API key a usage debit is made with: its month's spend is kept with
     * the entry, and its spend limit (if any) is enforced under the same lock.
     */
    spendingKeyId?: string;
  },
): Promise<PostResult> {
  const keyId = input.amountCents < 0n ? input.spendingKeyId : undefined;
  // The calendar month (UTC) of the transaction's now(), which is also the entry's created_at.
  const month = sql<string>`date_trunc('month', now() AT TIME ZONE 'UTC')::date`;
  const run = async (trx: DbOrTrx): Promise<PostResult> => {
    // The lock first: concurrent posts to one account queue here, so the
    // idempotency check below (a new statement, hence a fresh snapshot) sees
    // every earlier post. The active recharge rule's threshold comes along.
    const account = await trx
      .selectFrom("accounts")
      .leftJoin("recharge_rules as r", (j) => j.onRef("r.account_id", "=", "accounts.id").on("r.enabled", "=", true).on("r.paused_reason", "is", null))
      // The key's limit rides along (a limit changed a moment ago may be read from before the wait; the spend may not).
      .leftJoin("api_keys as k", (j) => j.onRef("k.account_id", "=", "accounts.id").on("k.id", "=", keyId ?? null))
      .select(["accounts.balance_cents", "accounts.credit_limit_cents", "r.threshold_cents", "k.spend_limit_cents"])
      .where("accounts.id", "=", input.accountId)
      .forUpdate("accounts")
      .executeTakeFirst();
    if (!account) return { status: "no_account" };
    // After the lock, in a new statement: a row joined to the locked one would come from the snapshot taken
    // before the wait, so the key's month spend is read here, with the idempotency lookup (one round trip).
    const probe = await sql<{ [K in keyof Parameters<typeof toEntry>[0]]: Parameters<typeof toEntry>[0][K] | null } & { spent_cents: string | null }>`
      SELECT e.id, e.amount_cents, e.kind, e.idempotency_key, e.balance_after_cents, e.created_at,
             (SELECT spent_cents FROM api_key_month_spend WHERE key_id = ${keyId ?? null}::uuid AND month = ${month}) AS spent_cents
        FROM (SELECT 1) AS one
        LEFT JOIN ledger_entries e ON e.account_id = ${input.accountId} AND e.idempotency_key = ${input.idempotencyKey}`.execute(trx);
    const found = probe.rows[0];
    if (found.id !== null) {
      // A matched entry has every column (the LEFT JOIN's NULLs mean no match).
      const existing = found as Parameters<typeof toEntry>[0];
      const same = BigInt(existing.amount_cents) === input.amountCents && existing.kind === input.kind;
      return { status: same ? "replayed" : "conflict", entry: toEntry(existing) };
    }
    const spent = BigInt(found.spent_cents ?? 0);
    if (account.spend_limit_cents !== null && spent - input.amountCents > BigInt(account.spend_limit_cents)) {
      return { status: "key_limit", limitCents: account.spend_limit_cents, spentCents: spent.toString() };
    }
    const balance = BigInt(account.balance_cents) + input.amountCents;
    if (input.amountCents < 0n && balance < -BigInt(account.credit_limit_cents)) {
      return { status: "insufficient", balanceCents: account.balance_cents, creditLimitCents: account.credit_limit_cents };
    }
    // Entry and balance in one statement: one round trip on the hottest write path.
    const entry = await trx
      .with("entry", (q) =>
        q
          .insertInto("ledger_entries")
          .values({
            account_id: input.accountId,
            amount_cents: input.amountCents.toString(),
            kind: input.kind,
            idempotency_key: input.idempotencyKey,
            balance_after_cents: balance.toString(),
            actor_type: input.actor.type,
            actor_id: input.actor.id,
            note: input.note ?? null,
            payment_intent_id: input.paymentIntentId ?? null,
          })
          .returning(ENTRY_COLUMNS),
      )
      .with("balance", (q) =>
        q
          .updateTable("accounts")
          .set({ balance_cents: balance.toString() })
          .where("id", "=", input.accountId)
          .returning(["plan", "status", "balance_cents as account_balance_cents", "credit_limit_cents", "row_version"]),
      )
      // Always run, whether or not the select reads it (a data-modifying WITH runs once); a debit without a key inserts nothing.
      .with(
        "key_spend",
        () =>
          sql`(INSERT INTO api_key_month_spend (key_id, month, spent_cents)
            SELECT ${keyId ?? null}::uuid, ${month}, ${(-input.amountCents).toString()}::bigint WHERE ${keyId ?? null}::uuid IS NOT NULL
            ON CONFLICT (key_id, month) DO UPDATE SET spent_cents = api_key_month_spend.spent_cents + excluded.spent_cents)`,
      )
      .selectFrom(["entry", "balance"])
      .select([...ENTRY_COLUMNS, "plan", "status", "account_balance_cents", "credit_limit_cents", "row_version"])
      .executeTakeFirstOrThrow();
    const rechargeDue = account.threshold_cents !== null && balance < BigInt(account.threshold_cents);
    return {
      status: "created",
      entry: toEntry(entry),
      account: {
        plan: entry.plan,
        status: entry.status,
        balanceCents: entry.account_balance_cents,
        creditLimitCents: entry.credit_limit_cents,
        rowVersion: entry.row_version,
      },
      rechargeDue,
    };
  };
  return inTransaction(db, run);
}

export async function getBalance(db: DbOrTrx, accountId: string) {
  return db.selectFrom("accounts").select(["balance_cents", "credit_limit_cents"]).where("id", "=", accountId).executeTakeFirst();
}

/** Newest first, keyset-paged by entry id (`before` = the last id of the previous page). */
export async function listLedger(db: DbOrTrx, accountId: string, before?: string) {
  const rows = await db
    .selectFrom("ledger_entries")
    .select([...ENTRY_COLUMNS, "actor_type", "note"])
    .where("account_id", "=", accountId)
    .$if(before !== undefined, (q) => q.where("id", "<", before!))
    .orderBy("id", "desc")
    .limit(LEDGER_PAGE_SIZE + 1)
    .execute();
  return { rows: rows.slice(0, LEDGER_PAGE_SIZE), nextBefore: rows.length > LEDGER_PAGE_SIZE ? rows[LEDGER_PAGE_SIZE - 1].id : null };
}

/** For checks: the ledger's sum must equal the stored balance, always. */
export async function ledgerSum(db: DbOrTrx, accountId: string): Promise<bigint> {
  const row = await db
    .selectFrom("ledger_entries")
    .select(sql<string>`coalesce(sum(amount_cents), 0)::text`.as("sum"))
    .where("account_id", "=", accountId)
    .executeTakeFirstOrThrow();
  return BigInt(row.sum);
}

/**
 * The `before` cursor of the page newer than the one at `before` (ledger is
 * newest first, keyset-paged by id): null when that newer page is the first.
 */
export async function newerLedgerCursor(db: DbOrTrx, accountId: string, before: string): Promise<string | null> {
  const rows = await db
    .selectFrom("ledger_entries")
    .select("id")
    .where("account_id", "=", accountId)
    .where("id", ">=", before)
    .orderBy("id", "asc")
    .limit(LEDGER_PAGE_SIZE + 1)
    .execute();
  // More than a page newer than the cursor: the newer page ends just above its 25th row.
  return rows.length > LEDGER_PAGE_SIZE ? (BigInt(rows[LEDGER_PAGE_SIZE - 1].id) + 1n).toString() : null;
}

export type StaffCreditResult =
  { status: "created" | "replayed"; entry: LedgerEntry } | { status: "conflict" } | { status: "insufficient" } | { status: "no_account" };

/**
 * A support/admin grant or adjustment: the ledger entry and its audit row in
 * one transaction. The idempotency key comes from the form, so a form posted
 * twice posts (and audits) once. The reason is kept as the entry's note.
 */
export async function postStaffCreditChange(
  db: Db,
  input: { accountId: string; amountCents: bigint; kind: "grant" | "adjustment"; formToken: string; reason: string; actor: Actor },
): Promise<StaffCreditResult> {
  return db.transaction().execute(async (trx) => {
    const result = await postLedgerEntry(trx, {
      accountId: input.accountId,
      amountCents: input.amountCents,
      kind: input.kind,
      idempotencyKey: `console:${input.formToken}`,
      actor: input.actor,
      note: input.reason,
    });
    if (result.status === "conflict") return { status: "conflict" as const };
    if (result.status === "insufficient" || result.status === "no_account") return { status: result.status };
    // Only a debit made with an API key has a key limit.
    if (result.status === "key_limit") throw new Error("a staff credit change has no spending key");
    if (result.status === "created") {
      await writeAudit(trx, input.actor, {
        action: "billing.credits_adjusted",
        targetType: "account",
        targetId: input.accountId,
        details: { kind: input.kind, amount_cents: input.amountCents.toString(), ledger_entry_id: result.entry.id },
      });
    }
    return { status: result.status, entry: result.entry };
  });
}

/** The amount of the account's entry under this idempotency key, if it was posted. */
export async function ledgerAmountByKey(db: DbOrTrx, accountId: string, idempotencyKey: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("ledger_entries")
    .select("amount_cents")
    .where("account_id", "=", accountId)
    .where("idempotency_key", "=", idempotencyKey)
    .executeTakeFirst();
  return row?.amount_cents;
}
