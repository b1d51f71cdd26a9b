// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/** Two more final states for a transfer: the requester withdrew it, or staff cancelled its workflow. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE support_tickets DROP CONSTRAINT support_tickets_status_check;
    ALTER TABLE support_tickets ADD CONSTRAINT support_tickets_status_check CHECK (status IN (
      'open', 'awaiting_confirmation', 'awaiting_approval', 'transferring',
      'completed', 'rejected', 'expired', 'withdrawn', 'cancelled', 'failed'));
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE support_tickets DROP CONSTRAINT support_tickets_status_check;
    ALTER TABLE support_tickets ADD CONSTRAINT support_tickets_status_check CHECK (status IN (
      'open', 'awaiting_confirmation', 'awaiting_approval', 'transferring',
      'completed', 'rejected', 'expired', 'failed'));
  `.execute(db);
}
