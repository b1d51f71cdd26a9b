/**
 * Usage read from the credit ledger: what each API key spent. A usage debit is
 * a ledger entry of kind 'usage' posted by the API (app/api/v1.server.ts) with
 * actor_type 'api_key' and actor_id the key's id; its amount is negative, so
 * spend is the negated sum. Days and months are UTC.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";

/** Midnight UTC of the first day of `now`'s month, and of the next month. */
function monthBounds(now: Date): { from: Date; to: Date } {
  return {
    from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    to: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
  };
}

/**
 * Key id → cents spent in `now`'s calendar month (UTC), from the per-key month
 * counters each debit keeps under the account lock (ledger.server.ts): exactly
 * what a key's spend limit is checked against. Keys that spent nothing are absent.
 */
export async function keyMonthSpend(db: DbOrTrx, accountId: string, now: Date): Promise<Map<string, string>> {
  const month = monthBounds(now).from.toISOString().slice(0, 10);
  const rows = await db
    .selectFrom("api_key_month_spend as s")
    .innerJoin("api_keys as k", "k.id", "s.key_id")
    .select(["s.key_id", "s.spent_cents"])
    .where("k.account_id", "=", accountId)
    .where("s.month", "=", month)
    .where("s.spent_cents", ">", "0")
    .execute();
  return new Map(rows.map((r) => [r.key_id, String(r.spent_cents)]));
}

/** One UTC day's spend by one key (keyId null: usage not posted with a key, such as a seeded or imported charge). */
export interface DaySpend {
  day: string;
  keyId: string | null;
  cents: string;
}

/** Usage per UTC day and key from `from` (inclusive) to `to` (exclusive); days without usage have no rows. */
export async function dailySpendByKey(db: DbOrTrx, accountId: string, from: Date, to: Date): Promise<DaySpend[]> {
  const day = sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
  const keyId = sql<string | null>`CASE WHEN actor_type = 'api_key' THEN actor_id END`;
  const rows = await db
    .selectFrom("ledger_entries")
    .select([day.as("day"), keyId.as("key_id"), sql<string>`(-sum(amount_cents))::text`.as("spent")])
    .where("account_id", "=", accountId)
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .where("kind", "=", "usage")
    .groupBy([day, keyId])
    .having(sql<boolean>`sum(amount_cents) < 0`)
    .execute();
  return rows.map((r) => ({ day: r.day, keyId: r.key_id, cents: r.spent }));
}

/**
 * Every key the account ever had, revoked ones too: usage and the ledger name
 * the key by id, and a deleted key's spend still belongs to it by name.
 */
export async function accountKeyNames(db: DbOrTrx, accountId: string) {
  const rows = await db
    .selectFrom("api_keys")
    .select(["id", "name", "prefix", "last4", "status", "revoked_reason"])
    .where("account_id", "=", accountId)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

export const LEDGER_EXPORT_PAGE = 1000;

/** The account's ledger oldest first, a page after entry `afterId` (keyset on the id index): an export reads it page by page. */
export async function ledgerExportPage(db: DbOrTrx, accountId: string, afterId: string | null) {
  return db
    .selectFrom("ledger_entries")
    .select(["id", "created_at", "kind", "amount_cents", "balance_after_cents", "actor_type", "actor_id", "note"])
    .where("account_id", "=", accountId)
    .$if(afterId !== null, (q) => q.where("id", ">", afterId!))
    .orderBy("id", "asc")
    .limit(LEDGER_EXPORT_PAGE)
    .execute();
}
