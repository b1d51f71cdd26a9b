/**
 * Activities of the recharge workflow: plan (rule, caps, card), charge
 * (idempotent at the provider and in our payments table), credit and pause
 * (idempotent in the ledger and the payment's status; app/models/payment-settlement.server.ts).
 */
import type { Db } from "../db/connection.js";
import type { Config } from "../app/config.server.js";
import { deliveryMode } from "../app/mail/mailer.server.js";
import { accountBalanceAndStatus } from "../app/models/accounts.server.js";
import { creditPayment, failPayment } from "../app/models/payment-settlement.server.js";
import { currentCard, getBillingCustomer } from "../app/models/billing-customers.server.js";
import { hasPendingRecharge, openPayment, receiptChange, rechargedTodayCents, updatePayment } from "../app/models/payments.server.js";
import { rechargeLimits } from "../app/models/recharge-limits.server.js";
import { getRechargeRule, recordRechargeOutcome } from "../app/models/recharge-rules.server.js";
import { SAVED_CARD, type ChargeResult, type PaymentProvider } from "../app/payments/payment-provider.js";
import { actor } from "./common.js";

/** Only the amount: the card and customer stay out of the workflow's history (chargeRecharge reads them). */
export type RechargePlan = { amountCents: string } | null;

/** What the workflow learns of a charge: no card details, only what decides its next step. */
export type RechargeCharge = { paymentId: string } & (
  { outcome: "approved" | "pending"; paymentIntentId: string } | { outcome: "declined" | "requires_action"; paymentIntentId: string | null; code: string }
);

export function rechargeActivities({
  db,
  payments,
  config,
}: {
  db: Db;
  payments: PaymentProvider;
  config: Pick<Config, "publicUrl" | "smtpUrl"> & { payments: Pick<Config["payments"], "rechargeLimits"> };
}) {
  const mail = () => ({ publicUrl: config.publicUrl, mode: deliveryMode(config) });
  return {
    /**
     * How much to charge now and to what (amounts are not PII), or null when
     * the rule no longer calls for it. The top-up is cut to the account's caps
     * per recharge and per day; a day's cap used up waits for tomorrow; a
     * top-up still pending at the provider is waited for (hasPendingRecharge).
     */
    async planRecharge(accountId: string): Promise<RechargePlan> {
      const [rule, account] = await Promise.all([getRechargeRule(db, accountId), accountBalanceAndStatus(db, accountId)]);
      if (!rule || !rule.enabled || rule.paused_reason || !account || account.status !== "active") return null;
      const balance = BigInt(account.balance_cents);
      if (balance >= BigInt(rule.threshold_cents)) return null;
      const [limits, today, pending] = await Promise.all([
        rechargeLimits(db, accountId, config.payments.rechargeLimits),
        rechargedTodayCents(db, accountId),
        hasPendingRecharge(db, accountId),
      ]);
      if (rule.payment_method === SAVED_CARD && !(await currentCard(db, accountId))) {
        await recordRechargeOutcome(db, accountId, "paused: no saved card", "no_saved_card");
        return null;
      }
      // An earlier top-up Stripe has not settled yet (its webhook decides): charging the gap again would pay it twice.
      if (pending) {
        await recordRechargeOutcome(db, accountId, "waiting for a pending charge", null);
        return null;
      }
      const wanted = BigInt(rule.target_cents) - balance;
      const leftToday = limits.perDayCents - today;
      const amount = [wanted, limits.perRechargeCents, leftToday].reduce((a, b) => (b < a ? b : a));
      if (amount <= 0n) {
        await recordRechargeOutcome(db, accountId, "daily limit reached", null);
        return null;
      }
      return { amountCents: amount.toString() };
    },

    /**
     * Charges the card off-session. The payment row is made first, keyed by the
     * charge's idempotency key and holding the card the first attempt chose, so
     * a retry (the worker killed anywhere in here) finds it again and asks the
     * provider with the same key and the same parameters: the provider answers
     * with the first charge instead of making a second.
     */
    async chargeRecharge(input: { accountId: string; amountCents: string; idempotencyKey: string }): Promise<RechargeCharge> {
      const [rule, card, customer] = await Promise.all([
        getRechargeRule(db, input.accountId),
        currentCard(db, input.accountId),
        getBillingCustomer(db, input.accountId),
      ]);
      const method = rule?.payment_method === SAVED_CARD ? (card?.provider_payment_method_id ?? null) : (rule?.payment_method ?? null);
      const payment = await openPayment(db, {
        accountId: input.accountId,
        provider: payments.name,
        kind: "recharge",
        amountCents: BigInt(input.amountCents),
        idempotencyKey: input.idempotencyKey,
        paymentMethodId: method,
        customerId: customer?.customer_id ?? null,
        // The receipt names the card even when the charge is declined (Stripe's answer then carries none).
        card: rule?.payment_method === SAVED_CARD && card ? { brand: card.brand, last4: card.last4 } : null,
      });
      // The card was removed between plan and charge: nothing to charge; the rule pauses as for a decline.
      if (!payment.provider_payment_method_id) return { paymentId: payment.id, outcome: "declined", paymentIntentId: null, code: "no_saved_card" };
      const result: ChargeResult = await payments.chargeOffSession({
        idempotencyKey: input.idempotencyKey,
        amountCents: BigInt(input.amountCents),
        customerId: payment.provider_customer_id,
        paymentMethodId: payment.provider_payment_method_id,
        metadata: { account_id: input.accountId, payment_id: payment.id, purpose: "auto_recharge" },
      });
      if (result.paymentIntentId) {
        await updatePayment(db, payment.id, { paymentIntentId: result.paymentIntentId, ...receiptChange(result.outcome === "approved" ? result : null) });
      }
      if (result.outcome === "approved" || result.outcome === "pending")
        return { paymentId: payment.id, outcome: result.outcome, paymentIntentId: result.paymentIntentId };
      return { paymentId: payment.id, outcome: result.outcome, paymentIntentId: result.paymentIntentId, code: result.code };
    },

    /** Credits the approved charge once (a webhook for the same payment credits nothing more). */
    async applyRecharge(input: { paymentId: string }): Promise<void> {
      await db.transaction().execute((trx) => creditPayment(trx, input.paymentId, actor()));
    },

    /** A declined card, or one that needs the owner: the rule pauses and the owner gets one mail. */
    async pauseRecharge(input: { paymentId: string; outcome: "declined" | "requires_action"; code: string }): Promise<void> {
      await db
        .transaction()
        .execute((trx) =>
          failPayment(trx, input.paymentId, { status: input.outcome === "declined" ? "failed" : "requires_action", code: input.code }, actor(), mail()),
        );
    },
  };
}
