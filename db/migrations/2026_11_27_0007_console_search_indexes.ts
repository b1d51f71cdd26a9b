// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * The console's account search matches any part of a member's email
 * (`users.email LIKE '%q%'`). A B-tree cannot serve a leading wildcard, so
 * with a million users every search was a sequential scan of `users`; a GIN
 * trigram index can (for patterns of 3+ characters), and the planner still
 * walks `accounts_created_at` instead when a substring matches most users.
 *
 * pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may
 * create it without being a superuser.
 *
 * The other console pages (account page, audit by target, ticket queue) are
 * served by indexes that already exist (memberships' primary key,
 * sessions_user_active, ledger_entries_account, audit_log_target,
 * account_status_changes_account); bench/console-bench.ts measures them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX users_email_trgm ON users USING gin (email gin_trgm_ops);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // The extension stays: something else may have come to use it.
  await sql`DROP INDEX users_email_trgm;`.execute(db);
}
