// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Keys that protect themselves (issue 16): checksummed keys, expiry, per-key
 * monthly spend limits, a main-key roll with a grace window, revocation of
 * keys found public (GitHub secret scanning), and people's opt-outs from the
 * security mail that is not critical.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE api_keys
      -- Issued with a checksum (every key from now on); the ones before are looked up by shape while any is active.
      ADD COLUMN checksummed boolean NOT NULL DEFAULT false,
      -- An additional key's chosen expiry, or a rolled main key's end of grace; NULL: never.
      ADD COLUMN expires_at timestamptz,
      -- Usage this key may debit per calendar month (UTC); NULL: no limit.
      ADD COLUMN spend_limit_cents bigint CHECK (spend_limit_cents > 0),
      -- A main key rolled: it works until expires_at but is no longer the account's primary key.
      ADD COLUMN superseded_at timestamptz,
      -- Where a secret scanner found the key public (revoked_reason 'leaked'), and what it was (commit, gist, …).
      ADD COLUMN leaked_url text,
      ADD COLUMN leaked_source text;

    -- Exactly one primary main key per account; a rolled one may overlap it until its window ends.
    DROP INDEX api_keys_one_main;
    CREATE UNIQUE INDEX api_keys_one_primary_main ON api_keys (account_id) WHERE kind = 'main' AND status = 'active' AND superseded_at IS NULL;
    -- The legacy-key count (/v1 and the console): tiny once every old key is rolled.
    CREATE INDEX api_keys_active_legacy ON api_keys (account_id) WHERE status = 'active' AND NOT checksummed;

    -- Each key's usage per calendar month (UTC), kept in the debit's transaction under the account lock,
    -- so a spend limit is exact under concurrency without summing the ledger on every debit.
    CREATE TABLE api_key_month_spend (
      key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
      month date NOT NULL,
      spent_cents bigint NOT NULL CHECK (spent_cents >= 0),
      PRIMARY KEY (key_id, month)
    );
    INSERT INTO api_key_month_spend (key_id, month, spent_cents)
      SELECT k.id, date_trunc('month', l.created_at AT TIME ZONE 'UTC')::date, -sum(l.amount_cents)
        FROM ledger_entries l JOIN api_keys k ON k.id::text = l.actor_id AND k.account_id = l.account_id
       WHERE l.kind = 'usage' AND l.actor_type = 'api_key'
       GROUP BY 1, 2
      HAVING sum(l.amount_cents) < 0;

    -- Every process caches key verdicts with their expiry: a roll (which gives the old key one) must reach them too.
    CREATE OR REPLACE FUNCTION notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status OR NEW.expires_at IS DISTINCT FROM OLD.expires_at THEN
        PERFORM pg_notify('api_key_changed', encode(NEW.key_hash, 'hex'));
      END IF;
      RETURN NEW;
    END $$;

    -- Security mail a person turned off (kinds in app/mail/templates/security.ts; the critical ones cannot be).
    CREATE TABLE notification_opt_outs (
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      kind text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (user_id, kind)
    );
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE notification_opt_outs, api_key_month_spend;
    CREATE OR REPLACE FUNCTION notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.status IS DISTINCT FROM OLD.status THEN
        PERFORM pg_notify('api_key_changed', encode(NEW.key_hash, 'hex'));
      END IF;
      RETURN NEW;
    END $$;
    DROP INDEX api_keys_active_legacy;
    DROP INDEX api_keys_one_primary_main;
    CREATE UNIQUE INDEX api_keys_one_main ON api_keys (account_id) WHERE kind = 'main' AND status = 'active';
    ALTER TABLE api_keys DROP COLUMN checksummed, DROP COLUMN expires_at, DROP COLUMN spend_limit_cents,
      DROP COLUMN superseded_at, DROP COLUMN leaked_url, DROP COLUMN leaked_source;
  `.execute(db);
}
