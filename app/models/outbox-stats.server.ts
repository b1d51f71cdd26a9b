/**
 * How far behind the mail dispatcher is: the mail it still has to deliver
 * ("pending", or "sending" under a claim) and how long the oldest of it has
 * waited since it was written. Kept mail (no SMTP configured) is the console's
 * mailbox, not a queue, and is not counted. The rows counted are the ones the
 * mail_outbox_due partial index holds, so the count stays cheap however large
 * the table's history grows.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";

export interface OutboxBacklog {
  /** Mail not yet delivered nor failed for good. */
  undelivered: number;
  /** Seconds since the oldest undelivered mail was written; 0 when there is none. */
  oldestAgeSeconds: number;
}

export async function outboxBacklog(db: DbOrTrx): Promise<OutboxBacklog> {
  const { rows } = await sql<{ undelivered: string; oldest_age: number | string | null }>`
    SELECT count(*) AS undelivered, extract(epoch FROM now() - min(created_at))::float8 AS oldest_age
    FROM mail_outbox WHERE status IN ('pending', 'sending')`.execute(db);
  const row = rows[0];
  return { undelivered: Number(row?.undelivered ?? 0), oldestAgeSeconds: Math.max(0, Number(row?.oldest_age ?? 0)) };
}
