// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    -- The transactional outbox: a mail is written in the same transaction as the
    -- change that causes it, and delivered after commit by the worker's dispatcher.
    CREATE TABLE mail_outbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      dedupe_key text NOT NULL UNIQUE,     -- a retried step enqueues once
      kind text NOT NULL,
      to_address text,                     -- NULL once erased (GDPR)
      subject text NOT NULL,
      text_body text NOT NULL,
      headers jsonb NOT NULL DEFAULT '{}'::jsonb,
      related_type text,
      related_id text,
      -- kept: no SMTP configured, the console's Mail page is the mailbox
      status text NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'kept')),
      attempts int NOT NULL DEFAULT 0,
      next_attempt_at timestamptz NOT NULL DEFAULT now(),
      claimed_at timestamptz,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    );
    CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');
    CREATE INDEX mail_outbox_created ON mail_outbox (created_at DESC, id DESC);
    CREATE INDEX mail_outbox_related ON mail_outbox (related_type, related_id);

    CREATE FUNCTION notify_mail_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status = 'pending' THEN PERFORM pg_notify('mail_outbox', ''); END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER mail_outbox_notify AFTER INSERT ON mail_outbox
      FOR EACH ROW EXECUTE FUNCTION notify_mail_outbox();
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE mail_outbox; DROP FUNCTION notify_mail_outbox();`.execute(db);
}
