// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * One table for every limit that all web processes must share (issue 14,
 * findings 2, 8 and 9): password sign-in attempts, invitation mails, failed
 * API keys. It was login_throttle (failed password sign-ins only).
 * - hits: attempts counted in the current window (reserved before the work,
 *   not failures counted after it).
 * - expires_at: when the row says nothing any more (window and lock over), so
 *   a sweep can delete old rows by index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE login_throttle RENAME TO rate_limits;
    ALTER INDEX login_throttle_pkey RENAME TO rate_limits_pkey;
    ALTER TABLE rate_limits RENAME COLUMN failures TO hits;
    ALTER TABLE rate_limits ADD COLUMN expires_at timestamptz;
    UPDATE rate_limits SET expires_at = GREATEST(window_started_at + interval '15 minutes', locked_until);
    ALTER TABLE rate_limits ALTER COLUMN expires_at SET NOT NULL;
    CREATE INDEX rate_limits_expiry ON rate_limits (expires_at);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX rate_limits_expiry;
    ALTER TABLE rate_limits DROP COLUMN expires_at;
    ALTER TABLE rate_limits RENAME COLUMN hits TO failures;
    ALTER INDEX rate_limits_pkey RENAME TO login_throttle_pkey;
    ALTER TABLE rate_limits RENAME TO login_throttle;
    DELETE FROM login_throttle WHERE key NOT LIKE 'login:%' AND key NOT LIKE 'ip:%';
  `.execute(db);
}
