// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Message ids of inbound mails that made a ticket (issue 14, finding 5): the
 * same mail delivered again (a replay, or the sender retrying) finds its row
 * and makes no second ticket. The id is kept only as a SHA-256 (it may name a
 * host or an address); the row is written in the ticket's transaction.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE inbound_messages (
      message_id_hash bytea PRIMARY KEY CHECK (octet_length(message_id_hash) = 32),
      ticket_id uuid REFERENCES support_tickets(id) ON DELETE CASCADE,
      received_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX inbound_messages_ticket ON inbound_messages (ticket_id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE inbound_messages;`.execute(db);
}
