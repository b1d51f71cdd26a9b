// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Plans, members and password logins.
 * - invitations: a gpu_cluster account's owner or admin invites by email; the
 *   link carries a token stored only as its SHA-256; at most one pending
 *   invitation per address and account.
 * - password_logins: for scale/enterprise accounts, once support enables them
 *   (accounts.password_logins_enabled); the person is a user with provider
 *   'password' and a membership in that one account. `login_id` is the account
 *   identifier typed at /login/password.
 * - login_throttle: failed password sign-ins counted per login and per client
 *   address, shared by every web process.
 * - sessions.password_change_required: a first sign-in with the initial password
 *   may do nothing but set a new one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE users DROP CONSTRAINT users_provider_check;
    ALTER TABLE users ADD CONSTRAINT users_provider_check CHECK (provider IN ('google', 'github', 'linkedin', 'password'));

    ALTER TABLE accounts
      ADD COLUMN password_logins_enabled boolean NOT NULL DEFAULT false,
      ADD COLUMN login_id text UNIQUE CHECK (login_id ~ '^[a-z0-9][a-z0-9-]{2,39}$');

    CREATE TABLE invitations (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id),
      email text,                                  -- normalized; NULL once erased
      role text NOT NULL CHECK (role IN ('admin', 'member')),
      token_hash bytea NOT NULL UNIQUE,
      invited_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      last_sent_at timestamptz NOT NULL DEFAULT now(),
      sent_count int NOT NULL DEFAULT 1,
      accepted_at timestamptz,
      accepted_user_id uuid REFERENCES users(id) ON DELETE SET NULL,
      revoked_at timestamptz
    );
    CREATE UNIQUE INDEX invitations_one_pending ON invitations (account_id, email) WHERE accepted_at IS NULL AND revoked_at IS NULL;
    CREATE INDEX invitations_account ON invitations (account_id, created_at DESC);

    CREATE TABLE password_logins (
      user_id uuid PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
      account_id uuid NOT NULL REFERENCES accounts(id),
      username text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,39}$'),
      password_hash text NOT NULL,
      must_change boolean NOT NULL DEFAULT true,
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      password_changed_at timestamptz,
      UNIQUE (account_id, username)
    );

    CREATE TABLE login_throttle (
      key text PRIMARY KEY,
      failures int NOT NULL,
      window_started_at timestamptz NOT NULL,
      locked_until timestamptz
    );

    ALTER TABLE sessions ADD COLUMN password_change_required boolean NOT NULL DEFAULT false;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE sessions DROP COLUMN password_change_required;
    DROP TABLE login_throttle, password_logins, invitations;
    ALTER TABLE accounts DROP COLUMN login_id, DROP COLUMN password_logins_enabled;
    ALTER TABLE users DROP CONSTRAINT users_provider_check;
    ALTER TABLE users ADD CONSTRAINT users_provider_check CHECK (provider IN ('google', 'github', 'linkedin'));
  `.execute(db);
}
