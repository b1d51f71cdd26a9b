// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- A support ticket; for now one kind: moving an account to a new email address.
    -- Addresses live here (erasable), never in workflow histories.
    CREATE TABLE support_tickets (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      kind text NOT NULL CHECK (kind IN ('email_transfer')),
      status text NOT NULL DEFAULT 'open' CHECK (status IN (
        'open', 'awaiting_confirmation', 'awaiting_approval', 'transferring',
        'completed', 'rejected', 'expired', 'failed')),
      step text NOT NULL DEFAULT 'received',
      source text NOT NULL CHECK (source IN ('web', 'email')),
      old_account_id uuid REFERENCES accounts(id),
      requester_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
      sender_address text,               -- inbound mail: the From address (PII)
      sender_verdict text CHECK (sender_verdict IN ('pass', 'fail')),
      new_address text,                  -- the address to move to (PII)
      new_account_id uuid REFERENCES accounts(id),
      checks jsonb NOT NULL DEFAULT '[]'::jsonb,   -- [{ "code": …, "passed": bool }]
      confirm_token_hash bytea UNIQUE,
      confirm_expires_at timestamptz,
      confirmed_at timestamptz,
      transferred_cents bigint,
      failure_reason text,
      workflow_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz
    );
    CREATE INDEX support_tickets_queue ON support_tickets (status, created_at);
    CREATE INDEX support_tickets_old_account ON support_tickets (old_account_id);
    CREATE INDEX support_tickets_new_account ON support_tickets (new_account_id);

    CREATE TABLE ticket_decisions (
      ticket_id uuid NOT NULL REFERENCES support_tickets(id) ON DELETE CASCADE,
      staff_id uuid NOT NULL REFERENCES staff(id),
      decision text NOT NULL CHECK (decision IN ('approve', 'reject')),
      reason text,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (ticket_id, staff_id)
    );

    CREATE TABLE ticket_notes (
      id bigserial PRIMARY KEY,
      ticket_id uuid NOT NULL REFERENCES support_tickets(id) ON DELETE CASCADE,
      staff_id uuid REFERENCES staff(id) ON DELETE SET NULL,
      body text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX ticket_notes_ticket ON ticket_notes (ticket_id, id);

    -- A block made by a transfer points at the account that received everything.
    ALTER TABLE account_status_changes ADD COLUMN transfer_to_account_id uuid REFERENCES accounts(id);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE account_status_changes DROP COLUMN transfer_to_account_id;
    DROP TABLE ticket_notes, ticket_decisions, support_tickets;
  `.execute(db);
}
