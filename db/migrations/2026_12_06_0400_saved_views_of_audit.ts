// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/** The audit trail is a console list too (issue 19, item 12): its filters can be saved as named views. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE saved_views DROP CONSTRAINT saved_views_list_check,
      ADD CONSTRAINT saved_views_list_check CHECK (list IN ('tickets', 'workflows', 'accounts', 'deletions', 'audit'));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DELETE FROM saved_views WHERE list = 'audit';
    ALTER TABLE saved_views DROP CONSTRAINT saved_views_list_check,
      ADD CONSTRAINT saved_views_list_check CHECK (list IN ('tickets', 'workflows', 'accounts', 'deletions'));
  `.execute(db);
}
