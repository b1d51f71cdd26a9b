/**
 * What a payment's outcome does to the account, in the caller's transaction,
 * exactly once however often it is reported (the recharge workflow's retries,
 * a redelivered webhook, both at once): a success credits the ledger (one
 * entry per payment, key `payment:<id>`); a failure pauses auto-recharge and
 * mails the owner once; a refund posts the refunded amount as a negative
 * entry, unless that would take the balance below the credit limit, in which
 * case support is flagged instead.
 */
import type { DbOrTrx } from "../../db/connection.js";
import { enqueueMail, type DeliveryMode } from "../mail/mailer.server.js";
import { rechargeFailedMail } from "../mail/templates/billing.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { postLedgerEntry } from "./ledger.server.js";
import { raiseBillingFlag } from "./billing-flags.server.js";
import { lockPayment, receiptChange, updatePayment, type PaymentRow } from "./payments.server.js";
import { recordRechargeOutcome, resumeRechargeRule } from "./recharge-rules.server.js";
import type { PaymentDetails } from "../payments/payment-provider.js";

export interface MailSettings {
  publicUrl: string;
  mode: DeliveryMode;
}

export const REFUND_FLOOR_FLAG = "refund_below_credit_limit";

/**
 * Credits a succeeded payment. Returns "credited" the first time, "already"
 * after. The ledger's idempotency key is the backstop: even two transactions
 * racing on one payment post once (the account row lock orders them).
 */
export async function creditPayment(
  trx: DbOrTrx,
  paymentId: string,
  actor: Actor,
  found: { paymentIntentId?: string | null; details?: PaymentDetails | null } = {},
): Promise<"credited" | "already" | "missing"> {
  const payment = await lockPayment(trx, paymentId);
  if (!payment) return "missing";
  if (payment.ledger_entry_id !== null) return "already";
  const paymentIntentId = found.paymentIntentId ?? payment.payment_intent_id;
  const result = await postLedgerEntry(trx, {
    accountId: payment.account_id,
    amountCents: BigInt(payment.amount_cents),
    kind: payment.kind,
    idempotencyKey: `payment:${payment.id}`,
    actor,
    paymentIntentId,
  });
  if (result.status !== "created" && result.status !== "replayed") throw new Error(`crediting payment ${payment.id}: ${result.status}`);
  await updatePayment(trx, payment.id, {
    status: "succeeded",
    failureCode: null,
    ledgerEntryId: result.entry.id,
    ...(paymentIntentId ? { paymentIntentId } : {}),
    ...receiptChange(found.details),
  });
  if (payment.kind === "recharge") {
    await recordRechargeOutcome(trx, payment.account_id, "recharged", null);
    // The owner confirmed the payment their bank asked about: the rule it paused runs again.
    if (payment.status === "requires_action") await resumeRechargeRule(trx, payment.account_id);
  }
  await writeAudit(trx, actor, {
    action: payment.kind === "recharge" ? "billing.recharged" : "billing.credits_purchased",
    targetType: "account",
    targetId: payment.account_id,
    details: {
      amount_cents: payment.amount_cents,
      ledger_entry_id: result.entry.id,
      payment_id: payment.id,
      payment_intent_id: paymentIntentId,
      provider: payment.provider,
    },
  });
  // A refund reported before the payment itself (webhooks arrive in any order) is posted now.
  await settleRefunds(trx, { ...payment, ledger_entry_id: result.entry.id }, actor);
  return "credited";
}

/**
 * A recharge the provider refused: the payment is marked, the rule paused and
 * the owner mailed, once. A payment that already succeeded stays succeeded (a
 * late failure event of an earlier attempt changes nothing).
 */
export async function failPayment(
  trx: DbOrTrx,
  paymentId: string,
  outcome: { status: "failed" | "requires_action"; code: string; paymentIntentId?: string | null },
  actor: Actor,
  mail: MailSettings,
): Promise<boolean> {
  const payment = await lockPayment(trx, paymentId);
  if (!payment || payment.status !== "pending") return false;
  await updatePayment(trx, payment.id, {
    status: outcome.status,
    failureCode: outcome.code,
    ...(outcome.paymentIntentId ? { paymentIntentId: outcome.paymentIntentId } : {}),
  });
  if (payment.kind !== "recharge") return true;
  const pauseReason = outcome.status === "requires_action" ? "authentication_required" : outcome.code;
  await recordRechargeOutcome(
    trx,
    payment.account_id,
    `${outcome.status === "requires_action" ? "needs authentication" : "declined"}: ${outcome.code}`,
    pauseReason,
  );
  await writeAudit(trx, actor, {
    action: "billing.recharge_declined",
    targetType: "account",
    targetId: payment.account_id,
    details: { code: outcome.code, status: outcome.status, payment_id: payment.id, provider: payment.provider },
  });
  const owner = await trx
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["users.email"])
    .where("memberships.account_id", "=", payment.account_id)
    .where("memberships.role", "=", "owner")
    .executeTakeFirst();
  if (owner?.email) {
    await enqueueMail(
      trx,
      {
        to: owner.email,
        ...rechargeFailedMail({
          amountCents: BigInt(payment.amount_cents),
          reason: outcome.status === "requires_action" ? "requires_action" : "declined",
          code: outcome.code,
          billingUrl: `${mail.publicUrl}/settings/billing`,
        }),
        kind: "recharge_failed",
        dedupeKey: `recharge-failed:${payment.id}`,
        related: { type: "account", id: payment.account_id },
      },
      mail.mode,
    );
  }
  return true;
}

/** The provider says `refundedCents` of the payment are refunded in all (refunds only grow; a late, smaller report changes nothing). */
export async function recordRefund(trx: DbOrTrx, paymentId: string, refundedCents: bigint, actor: Actor): Promise<void> {
  const payment = await lockPayment(trx, paymentId);
  if (!payment) return;
  const total = refundedCents > BigInt(payment.amount_cents) ? BigInt(payment.amount_cents) : refundedCents;
  if (total <= BigInt(payment.refunded_cents)) return;
  await updatePayment(trx, payment.id, { refundedCents: total });
  await settleRefunds(trx, { ...payment, refunded_cents: total.toString() }, actor);
}

/** Posts what is refunded but not yet in the ledger, if the credit limit allows; otherwise flags the account for support. */
async function settleRefunds(trx: DbOrTrx, payment: PaymentRow, actor: Actor): Promise<void> {
  if (payment.ledger_entry_id === null) return; // not credited yet: creditPayment settles it
  const owed = BigInt(payment.refunded_cents) - BigInt(payment.refund_posted_cents);
  if (owed <= 0n) return;
  const result = await postLedgerEntry(trx, {
    accountId: payment.account_id,
    amountCents: -owed,
    kind: "refund",
    idempotencyKey: `refund:${payment.id}:${payment.refunded_cents}`,
    actor,
    paymentIntentId: payment.payment_intent_id,
  });
  if (result.status === "insufficient") {
    const flag = await raiseBillingFlag(trx, { accountId: payment.account_id, reason: REFUND_FLOOR_FLAG, paymentId: payment.id, amountCents: owed });
    if (flag.raised) {
      await writeAudit(trx, actor, {
        action: "billing.refund_flagged",
        targetType: "account",
        targetId: payment.account_id,
        details: { payment_id: payment.id, amount_cents: owed.toString(), balance_cents: result.balanceCents },
      });
    }
    return;
  }
  if (result.status !== "created" && result.status !== "replayed") throw new Error(`refunding payment ${payment.id}: ${result.status}`);
  await updatePayment(trx, payment.id, { refundPostedCents: BigInt(payment.refunded_cents) });
  await writeAudit(trx, actor, {
    action: "billing.refunded",
    targetType: "account",
    targetId: payment.account_id,
    details: { payment_id: payment.id, amount_cents: owed.toString(), ledger_entry_id: result.entry.id, payment_intent_id: payment.payment_intent_id },
  });
}
