// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Sent mail keeps its body only for a while (MAIL_BODY_RETENTION_DAYS): the
 * worker empties text_body and records when here, so the console can say the
 * body was purged rather than show an empty message. Headers and status stay.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE mail_outbox ADD COLUMN body_purged_at timestamptz;
    -- The purge's search: finished mail whose body is still there, oldest first.
    CREATE INDEX mail_outbox_body_unpurged ON mail_outbox ((coalesce(sent_at, created_at)))
      WHERE body_purged_at IS NULL AND status IN ('sent', 'failed', 'kept');
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP INDEX mail_outbox_body_unpurged;
    ALTER TABLE mail_outbox DROP COLUMN body_purged_at;
  `.execute(db);
}
