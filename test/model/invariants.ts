/**
 * The invariants of the lifecycles, as queries: each returns what breaks it
 * (empty: it holds). `checkAlways` holds at every instant, whatever is in
 * flight — the model-based test runs it after every step; `checkAtRest` holds
 * once a run's workflows have settled, against the database and Temporal.
 */
import type { Client } from "@temporalio/client";
import { sql } from "kysely";
import { FINAL_STATUSES } from "../../app/models/tickets.server.js";
import type { Db } from "../../db/connection.js";
import { transferWorkflowId } from "../../workflows/shared.js";

export interface Violation {
  invariant: string;
  detail: string;
}

async function rows(db: Db, invariant: string, query: ReturnType<typeof sql<Record<string, unknown>>>): Promise<Violation[]> {
  const { rows: found } = await query.execute(db);
  return found.slice(0, 5).map((r) => ({ invariant, detail: JSON.stringify(r) }));
}

/** `accounts`: the run's accounts, so a violation is pinned to the run (and shrinking) that made it. */
export async function checkAlways(db: Db, accounts: string[]): Promise<Violation[]> {
  const mine = (column: string) => sql`${sql.ref(column)} = ANY(${accounts}::uuid[])`;
  const found = await Promise.all([
    rows(
      db,
      "money is conserved: each balance is the sum of its ledger",
      sql`SELECT a.id, a.balance_cents, coalesce(sum(l.amount_cents), 0) AS ledger FROM accounts a LEFT JOIN ledger_entries l ON l.account_id = a.id
          WHERE ${mine("a.id")} GROUP BY a.id HAVING a.balance_cents <> coalesce(sum(l.amount_cents), 0)`,
    ),
    rows(
      db,
      "no balance below its floor",
      sql`SELECT id, balance_cents, credit_limit_cents FROM accounts WHERE ${mine("id")} AND balance_cents < -credit_limit_cents`,
    ),
    rows(
      db,
      "an account blocked as transferred points at the active account its completed (or moving) transfer went to",
      sql`SELECT a.id, a.transferred_to_account_id FROM accounts a
          WHERE ${mine("a.id")} AND a.status = 'blocked' AND a.blocked_reason_code = 'transferred' AND NOT EXISTS (
            SELECT 1 FROM support_tickets t WHERE t.old_account_id = a.id AND t.new_account_id = a.transferred_to_account_id
              AND t.status IN ('transferring', 'completed'))`,
    ),
    rows(
      db,
      "credits only ever move into an account that was active when they moved",
      // Deletion, block and migration each lock the new account's row before they write their audit row,
      // so audit ids order them as the locks did: the last of them before the migration must not be a deletion or a block.
      sql`SELECT t.id, t.new_account_id, last.action FROM support_tickets t
          JOIN audit_log m ON m.action = 'ticket.migrated' AND m.target_id = t.id::text
          CROSS JOIN LATERAL (
            SELECT a.action FROM audit_log a WHERE a.target_type = 'account' AND a.target_id = t.new_account_id::text
              AND a.action IN ('account.deletion_requested', 'account.blocked', 'account.unblocked') AND a.id < m.id
            ORDER BY a.id DESC LIMIT 1) last
          WHERE ${mine("t.old_account_id")} AND last.action <> 'account.unblocked'`,
    ),
    rows(
      db,
      "a transfer pair is whole, and only for a ticket that is moving or completed",
      sql`SELECT l.idempotency_key, count(*) AS n, min(t.status) AS status FROM ledger_entries l
          LEFT JOIN support_tickets t ON l.idempotency_key = 'transfer:' || t.id::text
          WHERE ${mine("l.account_id")} AND l.idempotency_key LIKE 'transfer:%'
          GROUP BY l.idempotency_key HAVING count(*) <> 2 OR min(t.status) NOT IN ('transferring', 'completed') OR min(t.status) IS NULL`,
    ),
    rows(
      db,
      "a completed transfer of a non-zero balance has its pair",
      sql`SELECT t.id, t.transferred_cents FROM support_tickets t
          WHERE ${mine("t.old_account_id")} AND t.status = 'completed' AND coalesce(t.transferred_cents, 0) <> 0
            AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.idempotency_key = 'transfer:' || t.id::text)`,
    ),
    rows(
      db,
      "no confirmation link outlives its ticket",
      sql`SELECT id, status, confirm_expires_at, closed_at FROM support_tickets
          WHERE ${mine("old_account_id")} AND status IN (${sql.join([...FINAL_STATUSES])}) AND confirm_expires_at IS NOT NULL AND confirm_expires_at > closed_at`,
    ),
    rows(
      db,
      "an account being deleted (or deleted) has no usable key and no live session",
      sql`SELECT a.id, a.status, (SELECT count(*) FROM api_keys k WHERE k.account_id = a.id AND k.status = 'active') AS keys,
                 (SELECT count(*) FROM sessions s WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > now()) AS sessions
          FROM accounts a WHERE ${mine("a.id")} AND a.status IN ('deleting', 'deleted')
            AND (EXISTS (SELECT 1 FROM api_keys k WHERE k.account_id = a.id AND k.status = 'active')
              OR EXISTS (SELECT 1 FROM sessions s WHERE s.account_id = a.id AND s.revoked_at IS NULL AND s.expires_at > now()))`,
    ),
    rows(
      db,
      "a blocked account has no usable key once its block completed",
      sql`SELECT a.id FROM accounts a WHERE ${mine("a.id")} AND a.status = 'blocked' AND EXISTS (SELECT 1 FROM api_keys k WHERE k.account_id = a.id AND k.status = 'active')
            AND EXISTS (SELECT 1 FROM account_status_changes c WHERE c.account_id = a.id AND c.action = 'block' AND c.status = 'completed'
                          AND c.completed_at > (SELECT max(k2.created_at) FROM api_keys k2 WHERE k2.account_id = a.id AND k2.status = 'active'))`,
    ),
    rows(
      db,
      "a removed member has no usable key or live session on that account",
      sql`SELECT k.id AS key_id, k.account_id, k.created_by_user_id FROM api_keys k
          JOIN users u ON u.id = k.created_by_user_id
          WHERE ${mine("k.account_id")} AND k.status = 'active' AND k.kind = 'additional'
            AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = k.account_id AND m.user_id = k.created_by_user_id)
          UNION ALL
          SELECT s.id, s.account_id, s.user_id FROM sessions s
          WHERE ${mine("s.account_id")} AND s.revoked_at IS NULL AND s.expires_at > now() AND s.user_id IS NOT NULL AND s.account_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = s.account_id AND m.user_id = s.user_id)`,
    ),
    rows(
      db,
      "each key's monthly spend is its usage debits in the ledger that month",
      sql`WITH spend AS (
            SELECT s.key_id, s.month, s.spent_cents FROM api_key_month_spend s JOIN api_keys k ON k.id = s.key_id WHERE ${mine("k.account_id")}),
          debits AS (
            SELECT k.id AS key_id, date_trunc('month', l.created_at AT TIME ZONE 'UTC')::date AS month, -sum(l.amount_cents) AS spent
            FROM ledger_entries l JOIN api_keys k ON k.id::text = l.actor_id AND k.account_id = l.account_id
            WHERE ${mine("l.account_id")} AND l.kind = 'usage' AND l.actor_type = 'api_key' GROUP BY 1, 2)
          SELECT coalesce(spend.key_id, debits.key_id) AS key_id, coalesce(spend.month, debits.month) AS month, spend.spent_cents, debits.spent
          FROM spend FULL JOIN debits ON debits.key_id = spend.key_id AND debits.month = spend.month
          WHERE spend.spent_cents IS DISTINCT FROM debits.spent`,
    ),
    rows(
      db,
      "no debit takes a key's monthly spend past its limit",
      // Over the limit is allowed only as it was when the limit was set (lowered below what was spent):
      // then nothing may have been debited with the key since.
      sql`SELECT k.id, k.spend_limit_cents, s.spent_cents FROM api_keys k
          JOIN api_key_month_spend s ON s.key_id = k.id AND s.month = date_trunc('month', now() AT TIME ZONE 'UTC')::date
          WHERE ${mine("k.account_id")} AND k.spend_limit_cents IS NOT NULL AND s.spent_cents > k.spend_limit_cents
            AND EXISTS (
              SELECT 1 FROM ledger_entries l
              WHERE l.account_id = k.account_id AND l.kind = 'usage' AND l.actor_type = 'api_key' AND l.actor_id = k.id::text
                AND l.created_at >= coalesce((
                  SELECT max(a.at) FROM audit_log a
                  WHERE a.target_id = k.account_id::text AND a.action = 'api_key.spend_limit_changed' AND a.details->>'key_id' = k.id::text), k.created_at))`,
    ),
    rows(
      db,
      "no invitation stays usable for an account that is not active",
      sql`SELECT i.id, a.status FROM invitations i JOIN accounts a ON a.id = i.account_id
          WHERE ${mine("a.id")} AND a.status IN ('deleting', 'deleted') AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()`,
    ),
  ]);
  return found.flat();
}

/** Once the run's workflows have settled: tickets and workflows agree, deletions left nothing personal behind. */
export async function checkAtRest(
  db: Db,
  temporal: Client,
  scope: { tickets: string[]; owners: { accountId: string; email: string }[] },
): Promise<Violation[]> {
  const problems = await checkAlways(
    db,
    scope.owners.map((o) => o.accountId),
  );
  for (const id of scope.tickets) {
    const t = await db.selectFrom("support_tickets").select(["status"]).where("id", "=", id).executeTakeFirstOrThrow();
    const d = await temporal.workflow
      .getHandle(transferWorkflowId(id))
      .describe()
      .catch(() => null);
    const running = d?.status.name === "RUNNING";
    const final = FINAL_STATUSES.includes(t.status);
    if (!final && !running)
      problems.push({ invariant: "every open ticket has a running workflow", detail: `${id} is ${t.status}, workflow ${d?.status.name ?? "missing"}` });
    if (final && running) problems.push({ invariant: "no closed ticket has a running workflow", detail: `${id} is ${t.status}` });
    if (!final && running && !["awaiting_confirmation", "awaiting_approval"].includes(t.status)) {
      problems.push({ invariant: "at rest, an open ticket waits on a person", detail: `${id} is ${t.status}` });
    }
  }
  for (const { accountId, email } of scope.owners) {
    const account = await db.selectFrom("accounts").select("status").where("id", "=", accountId).executeTakeFirstOrThrow();
    if (account.status !== "deleted") continue;
    // What others type once the deletion is under way (a transfer to the old address, say) is their data, not a
    // leftover: rows from before the request count. No user row may carry the address ever again (the tombstone).
    const left = await sql<{ what: string }>`
      WITH erased AS (SELECT min(created_at) AS at FROM account_deletions WHERE account_id = ${accountId})
      SELECT 'a membership' AS what FROM memberships WHERE account_id = ${accountId}
      UNION ALL SELECT 'the owner''s user row with their address' FROM users WHERE email = ${email}
      UNION ALL SELECT 'the address on a ticket' FROM support_tickets, erased WHERE (sender_address = ${email} OR new_address = ${email}) AND created_at < erased.at
      UNION ALL SELECT 'the address in a mail kept' FROM mail_outbox, erased WHERE to_address = ${email} AND created_at < erased.at
      UNION ALL SELECT 'a usable key' FROM api_keys WHERE account_id = ${accountId} AND status = 'active'`.execute(db);
    for (const r of left.rows) problems.push({ invariant: "a deleted account keeps nothing personal and nothing usable", detail: `${accountId}: ${r.what}` });
  }
  return problems;
}
