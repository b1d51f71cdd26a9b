// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Mailing lists and GDPR deletion.
 *
 * - mailing_lists / mailing_subscriptions: the database is the list; an
 *   external provider, when configured, is a mirror kept in step by workflows.
 * - list_mailings: one mail to a list, sent by a workflow in batches.
 * - account_deletions: a request to delete an account and the record of each
 *   step its workflow took. At most one deletion per account that has not failed.
 * - Erasure may also clear the client address (`ip`) of audit rows, next to
 *   `details`, and the `note` of ledger entries; both only under SET LOCAL
 *   flags that erasure alone sets. Everything else stays append-only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE mailing_lists (
      id text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9_]{1,40}$'),
      name text NOT NULL,
      description text NOT NULL,
      position int NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO mailing_lists (id, name, description, position) VALUES
      ('product_updates', 'Product updates', 'New models, features and changes to the API.', 1),
      ('newsletter', 'Newsletter', 'A monthly letter with guides, customer stories and events.', 2),
      ('billing_notices', 'Billing notices', 'Price changes and changes to plans and credits.', 3);

    CREATE TABLE mailing_subscriptions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      list_id text NOT NULL REFERENCES mailing_lists(id),
      subscribed boolean NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now(),
      provider_synced_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (user_id, list_id)
    );
    CREATE INDEX mailing_subscriptions_list ON mailing_subscriptions (list_id, id) WHERE subscribed;

    CREATE TABLE list_mailings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      list_id text NOT NULL REFERENCES mailing_lists(id),
      subject text NOT NULL,
      text_body text NOT NULL,
      created_by uuid REFERENCES staff(id) ON DELETE SET NULL,
      status text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent', 'failed')),
      recipients int NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    );
    CREATE INDEX list_mailings_created ON list_mailings (created_at DESC);

    CREATE TABLE account_deletions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id),
      source text NOT NULL CHECK (source IN ('self', 'support')),
      requested_by_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
      requested_by_staff_id uuid REFERENCES staff(id) ON DELETE SET NULL,
      reason text NOT NULL DEFAULT '',
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
      workflow_id text,
      steps jsonb NOT NULL DEFAULT '[]'::jsonb,
      error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    );
    CREATE UNIQUE INDEX account_deletions_one_live ON account_deletions (account_id) WHERE status <> 'failed';
    CREATE INDEX account_deletions_created ON account_deletions (created_at DESC, id DESC);
    -- The account page's history, the console's status filters and the dashboard counts.
    CREATE INDEX account_deletions_account ON account_deletions (account_id, created_at DESC);
    CREATE INDEX account_deletions_live ON account_deletions (status, created_at DESC) WHERE status IN ('pending', 'running');
    CREATE INDEX account_deletions_completed ON account_deletions (completed_at) WHERE status = 'completed';
    -- Erasure finds a person's mail by address.
    CREATE INDEX mail_outbox_to_address ON mail_outbox (lower(to_address)) WHERE to_address IS NOT NULL;

    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE'
         AND current_setting('switchboard.audit_redaction', true) = 'on'
         AND jsonb_typeof(NEW.details) = 'object'
         AND (NEW.ip IS NULL OR NEW.ip IS NOT DISTINCT FROM OLD.ip)
         AND (to_jsonb(NEW) - 'details' - 'ip') = (to_jsonb(OLD) - 'details' - 'ip') THEN
        RETURN NEW;
      END IF;
      IF TG_OP = 'UPDATE' AND current_setting('switchboard.audit_redaction', true) = 'on' THEN
        RAISE EXCEPTION 'audit_log is append-only: a redaction may only replace details with a JSON object and clear ip (audit row %)', OLD.id
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RAISE EXCEPTION 'audit_log is append-only: % is refused (audit row %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit rows are never changed or removed; GDPR erasure redacts details through redactAuditDetails.';
    END;
    $$;

    CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      -- GDPR erasure may blank a note (free text a person typed); amounts and dates never change.
      IF TG_OP = 'UPDATE'
         AND current_setting('switchboard.ledger_redaction', true) = 'on'
         AND (to_jsonb(NEW) - 'note') = (to_jsonb(OLD) - 'note') THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'ledger_entries is append-only';
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE'
         AND current_setting('switchboard.audit_redaction', true) = 'on'
         AND jsonb_typeof(NEW.details) = 'object'
         AND (to_jsonb(NEW) - 'details') = (to_jsonb(OLD) - 'details') THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION 'audit_log is append-only: % is refused (audit row %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
    END;
    $$;
    CREATE OR REPLACE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_entries is append-only';
    END $$;
    DROP TABLE account_deletions, list_mailings, mailing_subscriptions, mailing_lists;
  `.execute(db);
}
