// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Issue 19, item 12 (lists that keep up):
 * - A ticket is claimed by one staff member at a time (claimed_by), so two
 *   agents never work one ticket; a removed staff member's claims lapse.
 * - Saved views: a staff member's named filters for a console list, one name
 *   per list per person; they go with the staff member.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE support_tickets
      ADD COLUMN claimed_by uuid REFERENCES staff(id) ON DELETE SET NULL,
      ADD COLUMN claimed_at timestamptz,
      ADD CONSTRAINT support_tickets_claim_has_time CHECK (claimed_by IS NULL OR claimed_at IS NOT NULL);
    CREATE INDEX support_tickets_claimed_by ON support_tickets (claimed_by) WHERE claimed_by IS NOT NULL;

    CREATE TABLE saved_views (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      staff_id uuid NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
      list text NOT NULL CHECK (list IN ('tickets', 'workflows', 'accounts', 'deletions')),
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 60),
      query text NOT NULL CHECK (char_length(query) <= 1000),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (staff_id, list, name)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE saved_views;
    DROP INDEX support_tickets_claimed_by;
    ALTER TABLE support_tickets DROP CONSTRAINT support_tickets_claim_has_time, DROP COLUMN claimed_at, DROP COLUMN claimed_by;
  `.execute(db);
}
