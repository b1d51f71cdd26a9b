// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/** A decision stays on the ticket when the staff member who made it is removed. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE ticket_decisions DROP CONSTRAINT ticket_decisions_pkey;
    ALTER TABLE ticket_decisions DROP CONSTRAINT ticket_decisions_staff_id_fkey;
    ALTER TABLE ticket_decisions ADD COLUMN id bigserial PRIMARY KEY;
    ALTER TABLE ticket_decisions ALTER COLUMN staff_id DROP NOT NULL;
    ALTER TABLE ticket_decisions ADD CONSTRAINT ticket_decisions_staff_id_fkey
      FOREIGN KEY (staff_id) REFERENCES staff(id) ON DELETE SET NULL;
    ALTER TABLE ticket_decisions ADD CONSTRAINT ticket_decisions_one_per_staff UNIQUE (ticket_id, staff_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE ticket_decisions DROP CONSTRAINT ticket_decisions_one_per_staff;
    ALTER TABLE ticket_decisions DROP CONSTRAINT ticket_decisions_staff_id_fkey;
    DELETE FROM ticket_decisions WHERE staff_id IS NULL;
    ALTER TABLE ticket_decisions DROP COLUMN id;
    ALTER TABLE ticket_decisions ALTER COLUMN staff_id SET NOT NULL;
    ALTER TABLE ticket_decisions ADD CONSTRAINT ticket_decisions_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(id);
    ALTER TABLE ticket_decisions ADD PRIMARY KEY (ticket_id, staff_id);
  `.execute(db);
}
