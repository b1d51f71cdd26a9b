/**
 * Settings → Billing: the balance and credit limit, one page of the credit
 * history (newest first, keyset-paged), and the auto-recharge rule.
 */
import type { MemberRole } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { getBalance, listLedger, newerLedgerCursor } from "../models/ledger.server.js";
import { getRechargeRule } from "../models/recharge-rules.server.js";
import { can } from "../permissions.js";

/** The rule table refuses thresholds below −$100.00 (the default credit limit). */
const MIN_THRESHOLD_CENTS = -10_000n;

/** null: the account is gone. `before` is a ledger entry id (the page's cursor). */
export async function loadBillingPage(services: Pick<Services, "db">, accountId: string, role: MemberRole, before: string | undefined) {
  const { db } = services;
  const [balance, ledger, rule, newer] = await Promise.all([
    getBalance(db, accountId),
    listLedger(db, accountId, before),
    getRechargeRule(db, accountId),
    before === undefined ? Promise.resolve(null) : newerLedgerCursor(db, accountId, before),
  ]);
  if (!balance) return null;
  return {
    canManage: can(role, "manage_billing"),
    balanceCents: balance.balance_cents,
    creditLimitCents: balance.credit_limit_cents,
    ledger: ledger.rows.map((r) => ({
      id: r.id,
      at: r.created_at,
      kind: r.kind,
      amountCents: r.amount_cents,
      balanceAfterCents: r.balance_after_cents,
      // Staff write their reasons for support's record, not for the customer.
      note: r.actor_type === "staff" ? null : r.note,
    })),
    olderCursor: ledger.nextBefore,
    newer: before === undefined ? null : { cursor: newer },
    rule: rule
      ? {
          enabled: rule.enabled,
          thresholdCents: rule.threshold_cents,
          targetCents: rule.target_cents,
          paymentMethod: rule.payment_method,
          pausedReason: rule.paused_reason,
          lastOutcome: rule.last_outcome,
          lastOutcomeAt: rule.last_outcome_at,
        }
      : null,
  };
}

/** The lowest threshold a rule may have: the balance never goes below the credit limit, nor the table below −$100.00. null: the account is gone. */
export async function rechargeThresholdFloor(services: Pick<Services, "db">, accountId: string): Promise<bigint | null> {
  const balance = await getBalance(services.db, accountId);
  if (!balance) return null;
  const limit = BigInt(balance.credit_limit_cents);
  return -limit > MIN_THRESHOLD_CENTS ? -limit : MIN_THRESHOLD_CENTS;
}
