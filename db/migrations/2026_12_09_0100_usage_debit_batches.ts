// Frozen in time: never import app code here (Kysely migration rule).
import { sql, type Kysely } from "kysely";

/**
 * Group commit of usage debits (issue 17): `post_usage_debits` posts a batch
 * of debits as ONE statement, so a batch is one round trip and one commit.
 * Why in the database: a transaction of several statements holds the
 * accounts' row locks while it waits for the web process to send the next
 * one, and on a busy 2-core machine that wait (PostgreSQL's "idle in
 * transaction") was most of the lock's time (BENCHMARKS.md). Here the locks
 * are held only while PostgreSQL itself works and flushes the commit.
 *
 * The rules are postLedgerEntry's (app/models/ledger.server.ts), applied per
 * debit in arrival order against what the debits before it left; the
 * differential model test (test/model/usage-batch-differential.test.ts)
 * checks the two give the same answers and the same ledger.
 *
 * Arrays of equal length, one element per debit in arrival order: account,
 * cost in cents (positive), stored idempotency key, API key. One row per
 * debit comes back (out_ord is its 1-based position).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION post_usage_debits(p_account uuid[], p_cost bigint[], p_ikey text[], p_key uuid[])
    RETURNS TABLE (
      out_ord int,
      -- created | replayed | conflict | insufficient | key_limit | no_account
      out_status text,
      out_entry_id bigint,
      out_entry_amount_cents bigint,
      out_entry_kind text,
      out_entry_idempotency_key text,
      out_entry_balance_after_cents bigint,
      out_entry_created_at timestamptz,
      -- insufficient: the balance the debit met; created: the balance it left
      out_balance_cents bigint,
      out_credit_limit_cents bigint,
      out_spend_limit_cents bigint,
      out_spent_cents bigint,
      out_recharge_due boolean,
      out_plan text,
      out_account_status text,
      -- created: the account's row_version once this batch's one UPDATE of it has run (migration 2026_12_09_0200)
      out_row_version bigint
    )
    LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      v_month date := date_trunc('month', now() AT TIME ZONE 'UTC')::date;
      r record;
      v_amount bigint;
      v_id bigint;
      i int;
      -- The account being walked (the debits come sorted by account, then arrival).
      cur_account uuid;
      cur_balance bigint;
      cur_changed boolean;
      cur_flagged boolean;
      cur_keys uuid[];
      cur_key_limit bigint[];
      cur_key_spent bigint[];
      -- Posted in this batch under a key that the batch holds more than once: a later one answers with it.
      cur_ikeys text[];
      cur_ikey_ids bigint[];
      cur_ikey_amounts bigint[];
      cur_ikey_balances bigint[];
      -- What the batch writes.
      w_ids bigint[] := '{}';
      w_accounts uuid[] := '{}';
      w_amounts bigint[] := '{}';
      w_ikeys text[] := '{}';
      w_balances bigint[] := '{}';
      w_keys uuid[] := '{}';
      u_accounts uuid[] := '{}';
      u_balances bigint[] := '{}';
    BEGIN
      -- The locks first, in id order: two batches never wait on each other in a cycle.
      PERFORM 1 FROM accounts WHERE id = ANY(p_account) ORDER BY id FOR UPDATE;
      -- A new statement, so a new snapshot: everything committed before the locks were granted.
      FOR r IN
        SELECT d.ord::int AS ord, d.account_id, d.cost, d.ikey, d.key_id,
               a.id IS NOT NULL AS account_exists, a.balance_cents, a.credit_limit_cents, a.plan, a.status, a.row_version, rr.threshold_cents,
               e.id AS e_id, e.amount_cents AS e_amount, e.kind AS e_kind, e.balance_after_cents AS e_balance, e.created_at AS e_at,
               k.account_id AS k_account, k.spend_limit_cents AS k_limit,
               coalesce(s.spent_cents, 0) AS k_spent,
               count(*) OVER (PARTITION BY d.account_id, d.ikey) > 1 AS repeated
          FROM unnest(p_account, p_cost, p_ikey, p_key) WITH ORDINALITY AS d(account_id, cost, ikey, key_id, ord)
          LEFT JOIN accounts a ON a.id = d.account_id
          LEFT JOIN recharge_rules rr ON rr.account_id = a.id AND rr.enabled AND rr.paused_reason IS NULL
          LEFT JOIN ledger_entries e ON e.account_id = d.account_id AND e.idempotency_key = d.ikey
          LEFT JOIN api_keys k ON k.id = d.key_id
          LEFT JOIN api_key_month_spend s ON s.key_id = d.key_id AND s.month = v_month
         ORDER BY d.account_id, d.ord
      LOOP
        IF cur_account IS DISTINCT FROM r.account_id THEN
          IF cur_changed THEN
            u_accounts := u_accounts || cur_account;
            u_balances := u_balances || cur_balance;
          END IF;
          cur_account := r.account_id;
          cur_balance := r.balance_cents;
          cur_changed := false;
          cur_flagged := false;
          cur_keys := '{}'; cur_key_limit := '{}'; cur_key_spent := '{}';
          cur_ikeys := '{}'; cur_ikey_ids := '{}'; cur_ikey_amounts := '{}'; cur_ikey_balances := '{}';
        END IF;
        out_ord := r.ord;
        out_entry_id := NULL; out_entry_amount_cents := NULL; out_entry_kind := NULL; out_entry_idempotency_key := NULL;
        out_entry_balance_after_cents := NULL; out_entry_created_at := NULL; out_balance_cents := NULL; out_credit_limit_cents := NULL;
        out_spend_limit_cents := NULL; out_spent_cents := NULL; out_recharge_due := false; out_plan := r.plan; out_account_status := r.status;
        out_row_version := NULL;
        IF NOT r.account_exists THEN
          out_status := 'no_account';
          RETURN NEXT;
          CONTINUE;
        END IF;
        -- Cases /v1 never sends (its key is the account's, its cost positive) fail the batch, so the batcher
        -- posts each debit through postLedgerEntry instead: the answer stays that function's, never a guess.
        IF r.cost <= 0 OR r.k_account <> r.account_id THEN
          RAISE EXCEPTION 'post_usage_debits takes positive costs made with the account''s own key (debit %)', r.ord;
        END IF;
        v_amount := -r.cost;
        -- Posted before this batch: its first answer.
        IF r.e_id IS NOT NULL THEN
          out_status := CASE WHEN r.e_amount = v_amount AND r.e_kind = 'usage' THEN 'replayed' ELSE 'conflict' END;
          out_entry_id := r.e_id; out_entry_amount_cents := r.e_amount; out_entry_kind := r.e_kind; out_entry_idempotency_key := r.ikey;
          out_entry_balance_after_cents := r.e_balance; out_entry_created_at := r.e_at;
          RETURN NEXT;
          CONTINUE;
        END IF;
        -- Posted earlier in this batch.
        IF r.repeated THEN
          i := array_position(cur_ikeys, r.ikey);
          IF i IS NOT NULL THEN
            out_status := CASE WHEN cur_ikey_amounts[i] = v_amount THEN 'replayed' ELSE 'conflict' END;
            out_entry_id := cur_ikey_ids[i]; out_entry_amount_cents := cur_ikey_amounts[i]; out_entry_kind := 'usage';
            out_entry_idempotency_key := r.ikey; out_entry_balance_after_cents := cur_ikey_balances[i]; out_entry_created_at := now();
            RETURN NEXT;
            CONTINUE;
          END IF;
        END IF;
        -- The key's month: what it has spent so far, this batch's earlier debits included.
        i := array_position(cur_keys, r.key_id);
        IF i IS NULL THEN
          cur_keys := cur_keys || r.key_id;
          cur_key_limit := cur_key_limit || r.k_limit;
          cur_key_spent := cur_key_spent || r.k_spent;
          i := cardinality(cur_keys);
        END IF;
        IF cur_key_limit[i] IS NOT NULL AND cur_key_spent[i] + r.cost > cur_key_limit[i] THEN
          out_status := 'key_limit';
          out_spend_limit_cents := cur_key_limit[i];
          out_spent_cents := cur_key_spent[i];
          RETURN NEXT;
          CONTINUE;
        END IF;
        -- The floor: a debit that would cross it is refused alone.
        IF cur_balance + v_amount < -r.credit_limit_cents THEN
          out_status := 'insufficient';
          out_balance_cents := cur_balance;
          out_credit_limit_cents := r.credit_limit_cents;
          RETURN NEXT;
          CONTINUE;
        END IF;
        cur_balance := cur_balance + v_amount;
        cur_changed := true;
        cur_key_spent[i] := cur_key_spent[i] + r.cost;
        -- Ids in arrival order within the account, as one post after another would get them.
        v_id := nextval('ledger_entries_id_seq');
        w_ids := w_ids || v_id; w_accounts := w_accounts || r.account_id; w_amounts := w_amounts || v_amount;
        w_ikeys := w_ikeys || r.ikey; w_balances := w_balances || cur_balance; w_keys := w_keys || r.key_id;
        IF r.repeated THEN
          cur_ikeys := cur_ikeys || r.ikey; cur_ikey_ids := cur_ikey_ids || v_id;
          cur_ikey_amounts := cur_ikey_amounts || v_amount; cur_ikey_balances := cur_ikey_balances || cur_balance;
        END IF;
        -- One recharge start per account and batch: the recharge reads the balance itself.
        IF r.threshold_cents IS NOT NULL AND cur_balance < r.threshold_cents AND NOT cur_flagged THEN
          out_recharge_due := true;
          cur_flagged := true;
        END IF;
        out_status := 'created';
        out_entry_id := v_id; out_entry_amount_cents := v_amount; out_entry_kind := 'usage'; out_entry_idempotency_key := r.ikey;
        out_entry_balance_after_cents := cur_balance; out_entry_created_at := now();
        out_balance_cents := cur_balance; out_credit_limit_cents := r.credit_limit_cents;
        out_row_version := r.row_version + 1;
        RETURN NEXT;
      END LOOP;
      IF cur_changed THEN
        u_accounts := u_accounts || cur_account;
        u_balances := u_balances || cur_balance;
      END IF;
      IF cardinality(w_ids) = 0 THEN
        RETURN;
      END IF;
      INSERT INTO ledger_entries (id, account_id, amount_cents, kind, idempotency_key, balance_after_cents, actor_type, actor_id)
      SELECT w.id, w.account_id, w.amount, 'usage', w.ikey, w.balance, 'api_key', w.key_id::text
        FROM unnest(w_ids, w_accounts, w_amounts, w_ikeys, w_balances, w_keys) AS w(id, account_id, amount, ikey, balance, key_id)
       ORDER BY w.id;
      -- One UPDATE per account (so one account_changed NOTIFY), whatever the number of its debits.
      UPDATE accounts a SET balance_cents = u.balance FROM unnest(u_accounts, u_balances) AS u(id, balance) WHERE a.id = u.id;
      -- A key deleted since it was verified has no month to keep: the join skips it rather than fail
      -- every debit of the batch on the foreign key.
      INSERT INTO api_key_month_spend (key_id, month, spent_cents)
      SELECT s.key_id, v_month, s.spent
        FROM (SELECT w.key_id, -sum(w.amount) AS spent FROM unnest(w_keys, w_amounts) AS w(key_id, amount) GROUP BY w.key_id) s
        JOIN api_keys k ON k.id = s.key_id
      ON CONFLICT (key_id, month) DO UPDATE SET spent_cents = api_key_month_spend.spent_cents + excluded.spent_cents;
    END
    $fn$;
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION post_usage_debits(uuid[], bigint[], text[], uuid[])`.execute(db);
}
