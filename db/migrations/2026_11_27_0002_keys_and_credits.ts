// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_actor_type_check;
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_type_check
      CHECK (actor_type IN ('user', 'staff', 'system', 'workflow', 'anonymous', 'api_key'));

    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('main', 'additional')),
      name text NOT NULL,
      key_hash bytea NOT NULL UNIQUE,      -- SHA-256 of the whole key; the key itself is never stored
      prefix text NOT NULL,                -- e.g. tgp_v1_AbCd, for display
      last4 text NOT NULL,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
      revoked_at timestamptz,
      revoked_reason text,
      last_used_at timestamptz
    );
    CREATE INDEX api_keys_account ON api_keys (account_id, created_at);
    CREATE UNIQUE INDEX api_keys_one_main ON api_keys (account_id) WHERE kind = 'main' AND status = 'active';

    ALTER TABLE accounts
      ADD COLUMN balance_cents bigint NOT NULL DEFAULT 0,
      ADD COLUMN credit_limit_cents bigint NOT NULL DEFAULT 10000 CHECK (credit_limit_cents >= 0),
      ADD CONSTRAINT accounts_balance_within_limit CHECK (balance_cents >= -credit_limit_cents);

    CREATE TABLE ledger_entries (
      id bigserial PRIMARY KEY,
      account_id uuid NOT NULL REFERENCES accounts(id),
      amount_cents bigint NOT NULL CHECK (amount_cents <> 0),
      kind text NOT NULL CHECK (kind IN ('grant', 'usage', 'recharge', 'adjustment', 'transfer_out', 'transfer_in')),
      idempotency_key text NOT NULL,
      balance_after_cents bigint NOT NULL,
      actor_type text NOT NULL,
      actor_id text,
      note text,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (account_id, idempotency_key)
    );
    CREATE INDEX ledger_entries_account ON ledger_entries (account_id, id DESC);

    -- Append-only: the ledger is history, not state.
    CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_entries is append-only';
    END $$;
    CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
      FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

    -- Every web process caches key verdicts and account snapshots; these notifications
    -- (delivered at commit) tell them what changed, wherever the change was made.
    CREATE FUNCTION notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM pg_notify('api_key_changed', encode(NEW.key_hash, 'hex'));
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER api_keys_notify AFTER UPDATE ON api_keys
      FOR EACH ROW EXECUTE FUNCTION notify_api_key_changed();

    CREATE FUNCTION notify_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('account_changed', NEW.id::text);
      RETURN NEW;
    END $$;
    CREATE TRIGGER accounts_notify AFTER UPDATE ON accounts
      FOR EACH ROW EXECUTE FUNCTION notify_account_changed();

    -- Payments taken by the clearly-named test payment provider (development and tests).
    CREATE TABLE test_payment_charges (
      idempotency_key text PRIMARY KEY,
      charge_id uuid NOT NULL DEFAULT gen_random_uuid(),
      amount_cents bigint NOT NULL,
      payment_method text NOT NULL,
      outcome text NOT NULL CHECK (outcome IN ('approved', 'declined')),
      created_at timestamptz NOT NULL DEFAULT now()
    );

    CREATE TABLE recharge_rules (
      account_id uuid PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
      enabled boolean NOT NULL DEFAULT false,
      threshold_cents bigint NOT NULL CHECK (threshold_cents >= -10000),
      target_cents bigint NOT NULL,
      payment_method text NOT NULL,
      paused_reason text,
      last_outcome text,
      last_outcome_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (target_cents > threshold_cents)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TRIGGER accounts_notify ON accounts;
    DROP TABLE recharge_rules, test_payment_charges, ledger_entries, api_keys;
    DROP FUNCTION ledger_entries_append_only(), notify_api_key_changed(), notify_account_changed();
    ALTER TABLE accounts DROP CONSTRAINT accounts_balance_within_limit,
      DROP COLUMN balance_cents, DROP COLUMN credit_limit_cents;
  `.execute(db);
}
