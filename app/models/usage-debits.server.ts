/**
 * Many usage debits in one transaction (group commit): the /v1 batcher
 * (app/api/usage-batcher.server.ts) hands in what arrived while the previous
 * commit was in flight, and every debit gets the answer `postLedgerEntry`
 * would have given it, posted one after another in arrival order. The work is
 * the database function `post_usage_debits` (migration
 * 2026_12_09_0100_usage_debit_batches, which says why it lives there): one
 * statement per batch, whatever its size — the accounts' row locks (sorted by
 * id, so two batches never wait on each other in a cycle), one multi-row
 * insert, one balance update per account (so one `account_changed` NOTIFY),
 * one key spend upsert per key, one commit (one WAL flush).
 *
 * The rules are `postLedgerEntry`'s, applied per debit against the state the
 * debits before it in the batch left: an idempotency key already posted
 * (before, or earlier in this batch) answers with its first entry (replayed,
 * or conflict when amount or kind differ); the key's monthly spend limit; the
 * −credit-limit floor, where a debit that would cross it is refused alone and
 * the others go through.
 */
import { sql } from "kysely";
import type { Db } from "../../db/connection.js";
import type { AccountStatus, Plan } from "../../db/schema.js";
import type { LedgerEntry, PostResult } from "./ledger.server.js";

export interface UsageDebit {
  accountId: string;
  /** Positive: the cents this call costs (the entry's amount is its negative). */
  costCents: bigint;
  /** As stored: "usage:<the client's idempotency_key>". */
  idempotencyKey: string;
  /** The API key the call was made with: the entry's actor, and whose month spend and limit apply. */
  keyId: string;
}

interface Row {
  out_ord: number;
  out_status: "created" | "replayed" | "conflict" | "insufficient" | "key_limit" | "no_account";
  out_entry_id: string | null;
  out_entry_amount_cents: string | null;
  out_entry_kind: LedgerEntry["kind"] | null;
  out_entry_idempotency_key: string | null;
  out_entry_balance_after_cents: string | null;
  out_entry_created_at: Date | null;
  out_balance_cents: string | null;
  out_credit_limit_cents: string | null;
  out_spend_limit_cents: string | null;
  out_spent_cents: string | null;
  out_recharge_due: boolean;
  out_plan: Plan | null;
  out_account_status: AccountStatus | null;
  out_row_version: string | null;
}

function entryOf(r: Row): LedgerEntry {
  return {
    id: r.out_entry_id!,
    amountCents: r.out_entry_amount_cents!,
    kind: r.out_entry_kind!,
    idempotencyKey: r.out_entry_idempotency_key!,
    balanceAfterCents: r.out_entry_balance_after_cents!,
    createdAt: r.out_entry_created_at!,
  };
}

function resultOf(r: Row): PostResult {
  switch (r.out_status) {
    case "no_account":
      return { status: "no_account" };
    case "replayed":
    case "conflict":
      return { status: r.out_status, entry: entryOf(r) };
    case "key_limit":
      return { status: "key_limit", limitCents: r.out_spend_limit_cents!, spentCents: r.out_spent_cents! };
    case "insufficient":
      return { status: "insufficient", balanceCents: r.out_balance_cents!, creditLimitCents: r.out_credit_limit_cents! };
    case "created":
      return {
        status: "created",
        entry: entryOf(r),
        // The balance this entry left; postUsageDebits replaces it with the batch's last (the row as committed).
        account: {
          plan: r.out_plan!,
          status: r.out_account_status!,
          balanceCents: r.out_balance_cents!,
          creditLimitCents: r.out_credit_limit_cents!,
          rowVersion: r.out_row_version!,
        },
        rechargeDue: r.out_recharge_due,
      };
  }
}

/**
 * Posts the debits as one statement (so one transaction and one commit); the
 * answers come in the debits' order. A statement that fails posts none of them.
 */
export async function postUsageDebits(db: Db, debits: readonly UsageDebit[]): Promise<PostResult[]> {
  if (debits.length === 0) return [];
  const { rows } = await sql<Row>`
    SELECT * FROM post_usage_debits(
      ${debits.map((d) => d.accountId)}::uuid[], ${debits.map((d) => d.costCents.toString())}::bigint[],
      ${debits.map((d) => d.idempotencyKey)}::text[], ${debits.map((d) => d.keyId)}::uuid[])`.execute(db);
  const results: PostResult[] = new Array(debits.length);
  // One UPDATE per account and batch: every debit it posted answers with the row as that UPDATE left it.
  const committed = new Map<string, { entryId: bigint; balanceCents: string }>();
  for (const row of rows) {
    const result = (results[row.out_ord - 1] = resultOf(row));
    if (result.status !== "created") continue;
    const accountId = debits[row.out_ord - 1].accountId;
    const last = committed.get(accountId);
    if (!last || BigInt(result.entry.id) > last.entryId)
      committed.set(accountId, { entryId: BigInt(result.entry.id), balanceCents: result.account.balanceCents });
  }
  results.forEach((result, i) => {
    if (result.status === "created") result.account.balanceCents = committed.get(debits[i].accountId)!.balanceCents;
  });
  return results;
}
