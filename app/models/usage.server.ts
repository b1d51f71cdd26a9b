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

/** Key id → cents spent (a positive decimal string) in `now`'s calendar month, UTC. Keys that spent nothing are absent. */
export async function monthSpendByKey(db: DbOrTrx, accountId: string, now: Date): Promise<Map<string, string>> {
  const { from, to } = monthBounds(now);
  const rows = await db
    .selectFrom("ledger_entries")
    .select(["actor_id", sql<string>`(-sum(amount_cents))::text`.as("spent")])
    .where("account_id", "=", accountId)
    .where("created_at", ">=", from)
    .where("created_at", "<", to)
    .where("kind", "=", "usage")
    .where("actor_type", "=", "api_key")
    .where("actor_id", "is not", null)
    .groupBy("actor_id")
    .having(sql<boolean>`sum(amount_cents) < 0`)
    .execute();
  return new Map(rows.map((r) => [r.actor_id!, r.spent]));
}
