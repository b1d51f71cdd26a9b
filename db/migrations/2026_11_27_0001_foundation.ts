// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text UNIQUE,                -- normalized (trimmed, lower-case); NULL once erased
      name text,
      avatar_url text,
      provider text NOT NULL CHECK (provider IN ('google', 'github', 'linkedin')),
      created_at timestamptz NOT NULL DEFAULT now(),
      erased_at timestamptz
    );

    CREATE TABLE identities (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      provider text NOT NULL CHECK (provider IN ('google', 'github', 'linkedin')),
      subject text NOT NULL,
      email text NOT NULL,
      email_verified boolean NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_sign_in_at timestamptz,
      UNIQUE (provider, subject)
    );
    CREATE INDEX identities_user_id ON identities (user_id);

    CREATE TABLE accounts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      plan text NOT NULL DEFAULT 'build' CHECK (plan IN ('build', 'scale', 'enterprise', 'gpu_cluster')),
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked', 'deleting', 'deleted')),
      blocked_reason_code text,
      blocked_at timestamptz,
      transferred_to_account_id uuid REFERENCES accounts(id),
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX accounts_created_at ON accounts (created_at DESC, id DESC);

    CREATE TABLE memberships (
      account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (account_id, user_id)
    );
    CREATE INDEX memberships_user_id ON memberships (user_id);
    CREATE UNIQUE INDEX memberships_one_owner ON memberships (account_id) WHERE role = 'owner';

    CREATE TABLE staff (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL UNIQUE,
      role text NOT NULL CHECK (role IN ('support', 'operator', 'admin')),
      provider text CHECK (provider IN ('google', 'github')),  -- bound on first sign-in
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES staff(id) ON DELETE SET NULL
    );

    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      token_hash bytea NOT NULL UNIQUE,   -- SHA-256 of the cookie token; the token itself is never stored
      user_id uuid REFERENCES users(id) ON DELETE CASCADE,
      account_id uuid REFERENCES accounts(id) ON DELETE CASCADE,
      staff_id uuid REFERENCES staff(id) ON DELETE CASCADE,
      provider text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      revoked_reason text,
      ip text,
      user_agent text,
      CHECK (user_id IS NOT NULL OR staff_id IS NOT NULL)
    );
    CREATE INDEX sessions_user_active ON sessions (user_id) WHERE revoked_at IS NULL;
    CREATE INDEX sessions_account_active ON sessions (account_id) WHERE revoked_at IS NULL;

    CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_type text NOT NULL CHECK (actor_type IN ('user', 'staff', 'system', 'workflow', 'anonymous')),
      actor_id text,
      action text NOT NULL,
      target_type text,
      target_id text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      ip text
    );
    CREATE INDEX audit_log_target ON audit_log (target_type, target_id, id DESC);
    CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);

    -- An email whose account was deleted, kept only as an HMAC so sign-up can refuse it.
    CREATE TABLE email_tombstones (
      email_hmac bytea PRIMARY KEY,
      created_at timestamptz NOT NULL DEFAULT now()
    );

    -- A staff request to block or unblock an account, carried out by a workflow.
    -- The reason lives here, never in the workflow history.
    CREATE TABLE account_status_changes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
      action text NOT NULL CHECK (action IN ('block', 'unblock')),
      reason_code text NOT NULL,
      reason_text text NOT NULL DEFAULT '',
      requested_by uuid REFERENCES staff(id) ON DELETE SET NULL,
      status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
      workflow_id text,
      steps jsonb NOT NULL DEFAULT '[]'::jsonb,
      error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    );
    CREATE INDEX account_status_changes_account ON account_status_changes (account_id, created_at DESC);
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE account_status_changes, email_tombstones, audit_log, sessions, staff,
      memberships, accounts, identities, users;
  `.execute(db);
}
