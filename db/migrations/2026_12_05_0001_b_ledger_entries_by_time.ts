// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Billing's usage chart (the last 30 UTC days) and the API keys' spend this
 * month read an account's ledger by time. ledger_entries_account is ordered
 * by id, so those range queries would read the account's whole history; this
 * index makes them read only the window asked for, however long the ledger.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX ledger_entries_account_time ON ledger_entries (account_id, created_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX ledger_entries_account_time`.execute(db);
}
