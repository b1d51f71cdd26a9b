// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Real payments (issue 18): the database mirror of what the payment provider
 * (Stripe, or the test provider) knows about an account — its customer, its
 * saved card, its Checkout sessions and payments — kept by the signed
 * webhooks and the recharge workflow, so pages never call the provider to
 * render. Plus the per-account caps on auto-recharge and the flags a refund
 * that cannot be posted raises for support.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check,
      ADD CONSTRAINT ledger_entries_kind_check
        CHECK (kind IN ('grant', 'usage', 'recharge', 'adjustment', 'transfer_out', 'transfer_in', 'purchase', 'refund'));
    -- The provider's payment (a Stripe PaymentIntent id) a purchase, recharge or refund entry belongs to.
    ALTER TABLE ledger_entries ADD COLUMN payment_intent_id text;

    -- The test provider's third card asks for authentication when charged off-session, as 3-D Secure cards do.
    ALTER TABLE test_payment_charges DROP CONSTRAINT test_payment_charges_outcome_check,
      ADD CONSTRAINT test_payment_charges_outcome_check CHECK (outcome IN ('approved', 'declined', 'requires_action'));

    -- Webhook events handled, by the provider's event id: a redelivered event is acknowledged and does nothing.
    CREATE TABLE payment_events (
      id text PRIMARY KEY,
      type text NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now()
    );

    -- The account's customer at the provider, created once (idempotency key per account).
    CREATE TABLE billing_customers (
      account_id uuid PRIMARY KEY REFERENCES accounts(id),
      provider text NOT NULL CHECK (provider IN ('stripe', 'test')),
      customer_id text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (provider, customer_id)
    );

    -- Saved cards; at most one in use per account (removed_at set when replaced or removed).
    CREATE TABLE payment_methods (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id),
      provider text NOT NULL CHECK (provider IN ('stripe', 'test')),
      provider_payment_method_id text NOT NULL,
      brand text NOT NULL,
      last4 text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
      exp_month int NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
      exp_year int NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      removed_at timestamptz
    );
    CREATE UNIQUE INDEX payment_methods_one_in_use ON payment_methods (account_id) WHERE removed_at IS NULL;

    -- One row per Checkout session we open (Add credits, or saving a card).
    CREATE TABLE checkout_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id),
      provider text NOT NULL CHECK (provider IN ('stripe', 'test')),
      mode text NOT NULL CHECK (mode IN ('payment', 'setup')),
      amount_cents bigint CHECK ((mode = 'payment') = (amount_cents IS NOT NULL AND amount_cents > 0)),
      -- The form's attempt id: a double submit opens one session, not two.
      attempt_key text NOT NULL UNIQUE,
      provider_session_id text UNIQUE,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete')),
      created_by_user_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    );
    CREATE INDEX checkout_sessions_account ON checkout_sessions (account_id, created_at DESC);

    -- Purchases and recharges as the provider reported them (the receipts list).
    CREATE TABLE payments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id),
      provider text NOT NULL CHECK (provider IN ('stripe', 'test')),
      kind text NOT NULL CHECK (kind IN ('purchase', 'recharge')),
      amount_cents bigint NOT NULL CHECK (amount_cents > 0),
      status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'requires_action')),
      failure_code text,
      -- Recharges: the key the charge was made with (one per workflow run); purchases: the Checkout session.
      idempotency_key text NOT NULL UNIQUE,
      payment_intent_id text UNIQUE,
      -- Recharges: the card and customer the first attempt chose, so every retry charges the same (same key, same parameters).
      provider_payment_method_id text,
      provider_customer_id text,
      charge_id text,
      card_brand text,
      card_last4 text,
      receipt_url text,
      -- What the provider says was refunded, and how much of it the ledger holds (a refund the floor refused is the difference).
      refunded_cents bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
      refund_posted_cents bigint NOT NULL DEFAULT 0 CHECK (refund_posted_cents >= 0),
      ledger_entry_id bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX payments_account ON payments (account_id, created_at DESC);

    -- Caps on auto-recharge that support set for an account (no row: the configured defaults).
    CREATE TABLE billing_limits (
      account_id uuid PRIMARY KEY REFERENCES accounts(id),
      max_recharge_cents bigint NOT NULL CHECK (max_recharge_cents > 0),
      max_daily_recharge_cents bigint NOT NULL CHECK (max_daily_recharge_cents > 0),
      updated_by_staff_id uuid,
      updated_at timestamptz NOT NULL DEFAULT now()
    );

    -- Things about an account's money support must look at (a refund the −credit-limit floor refused).
    CREATE TABLE billing_flags (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      account_id uuid NOT NULL REFERENCES accounts(id),
      reason text NOT NULL,
      payment_id uuid REFERENCES payments(id),
      amount_cents bigint,
      created_at timestamptz NOT NULL DEFAULT now(),
      resolved_at timestamptz,
      resolved_by_staff_id uuid
    );
    CREATE INDEX billing_flags_open ON billing_flags (account_id) WHERE resolved_at IS NULL;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    DROP TABLE billing_flags, billing_limits, payments, checkout_sessions, payment_methods, billing_customers, payment_events;
    ALTER TABLE ledger_entries DROP COLUMN payment_intent_id;
    DELETE FROM test_payment_charges WHERE outcome = 'requires_action';
    ALTER TABLE test_payment_charges DROP CONSTRAINT test_payment_charges_outcome_check,
      ADD CONSTRAINT test_payment_charges_outcome_check CHECK (outcome IN ('approved', 'declined'));
  `.execute(db);
}
