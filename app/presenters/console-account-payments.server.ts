/**
 * The console account page's payments (issue 18): the provider's customer, the
 * cards, the latest payments, the auto-recharge rule and why it is paused, the
 * caps on auto-recharge, and the billing flags support must decide on. Read
 * from the database mirror the webhooks and the recharge workflow keep, never
 * from the provider. What the provider sent (ids, codes, receipt links) is
 * untrusted: it is shown as text, and a receipt is a link only when it is an
 * http(s) address.
 */
import { cardExpiry, cardShort, linkableUrl } from "../payments/payment-words.js";
import type { Services } from "../context.server.js";
import { getBalance } from "../models/ledger.server.js";
import { formatCents } from "../models/money.js";
import { REFUND_FLOOR_FLAG } from "../models/payment-settlement.server.js";
import { getBillingCustomer, listCards } from "../models/billing-customers.server.js";
import { openBillingFlags } from "../models/billing-flags.server.js";
import { listPayments } from "../models/payments.server.js";
import { rechargeLimits } from "../models/recharge-limits.server.js";
import { getRechargeRule } from "../models/recharge-rules.server.js";
import { SAVED_CARD } from "../payments/payment-provider.js";

/** What support may set a cap to, in cents: $1 to $100,000 (the form's bounds, the service's too). */
export const CAP_MIN_CENTS = 100n;
export const CAP_MAX_CENTS = 10_000_000n;

/** How many payments the page lists (newest first). */
const PAYMENTS_SHOWN = 20;

/** A Stripe customer id as Stripe makes them; anything else is shown as text, not linked. */
const STRIPE_CUSTOMER_ID = /^cus_[A-Za-z0-9]{1,250}$/;

/** Why the rule is paused, in words support can repeat to the customer. The code is the provider's (untrusted text). */
export function pauseReasonWords(reason: string): string {
  switch (reason) {
    case "authentication_required":
      return "the bank asked the customer to confirm the payment (authentication_required), which an automatic top-up cannot do";
    case "no_saved_card":
      return "there is no saved card to charge (no_saved_card): it was removed, or never saved";
    case "card_declined":
      return "the card was declined (card_declined)";
    case "insufficient_funds":
      return "the card was declined for insufficient funds (insufficient_funds)";
    case "expired_card":
      return "the card has expired (expired_card)";
    default:
      return `the card was declined (${reason})`;
  }
}

export type ConsoleAccountPayments = Awaited<ReturnType<typeof loadConsoleAccountPayments>>;

/** `canAct`: the staff role may change the caps and resolve flags (act_on_accounts). */
export async function loadConsoleAccountPayments(services: Pick<Services, "db" | "config">, accountId: string, canAct: boolean) {
  const { db, config } = services;
  const defaults = config.payments.rechargeLimits;
  const [customer, cards, payments, rule, flags, limits, balance] = await Promise.all([
    getBillingCustomer(db, accountId),
    listCards(db, accountId),
    listPayments(db, accountId, PAYMENTS_SHOWN),
    getRechargeRule(db, accountId),
    openBillingFlags(db, accountId),
    rechargeLimits(db, accountId, defaults),
    getBalance(db, accountId),
  ]);
  const creditLimitCents = BigInt(balance?.credit_limit_cents ?? "0");
  const paymentById = new Map(payments.map((p) => [p.id, p]));
  return {
    customer: customer
      ? {
          provider: customer.provider,
          id: customer.customer_id,
          dashboardUrl:
            customer.provider === "stripe" && STRIPE_CUSTOMER_ID.test(customer.customer_id)
              ? `https://dashboard.stripe.com/customers/${encodeURIComponent(customer.customer_id)}`
              : null,
          since: customer.created_at,
        }
      : null,
    cards: cards.map((c) => ({
      id: c.id,
      label: cardShort(c),
      expires: cardExpiry({ expMonth: c.exp_month, expYear: c.exp_year }),
      savedAt: c.created_at,
      removedAt: c.removed_at,
    })),
    payments: payments.map((p) => ({
      id: p.id,
      at: p.created_at,
      kind: p.kind,
      amountCents: p.amount_cents,
      status: p.status,
      failureCode: p.failure_code,
      paymentIntentId: p.payment_intent_id,
      card: p.card_brand && p.card_last4 ? cardShort({ brand: p.card_brand, last4: p.card_last4 }) : null,
      refundedCents: p.refunded_cents,
      refundPending: BigInt(p.refunded_cents) > BigInt(p.refund_posted_cents),
      receiptUrl: linkableUrl(p.receipt_url),
    })),
    rule: rule
      ? {
          state: rule.paused_reason ? ("paused" as const) : rule.enabled ? ("on" as const) : ("off" as const),
          pausedBecause: rule.paused_reason ? pauseReasonWords(rule.paused_reason) : null,
          thresholdCents: rule.threshold_cents,
          targetCents: rule.target_cents,
          withSavedCard: rule.payment_method === SAVED_CARD,
          paymentMethod: rule.payment_method,
          lastOutcome: rule.last_outcome,
          lastOutcomeAt: rule.last_outcome_at,
        }
      : null,
    flags: flags.map((f) => {
      const payment = f.payment_id ? paymentById.get(f.payment_id) : undefined;
      return {
        id: f.id,
        createdAt: f.created_at,
        message:
          f.reason === REFUND_FLOOR_FLAG
            ? `A refund of ${f.amount_cents === null ? "an unknown amount" : formatCents(f.amount_cents)} could not be posted: it would take the balance below the credit limit of ${formatCents(-creditLimitCents)}. Decide with the customer; post an adjustment if needed.`
            : `Billing flag “${f.reason}”${f.amount_cents === null ? "" : ` (${formatCents(f.amount_cents)})`}: look at the payments below and decide with the customer.`,
        paymentIntentId: payment?.payment_intent_id ?? null,
      };
    }),
    limits: {
      perRechargeCents: limits.perRechargeCents.toString(),
      perDayCents: limits.perDayCents.toString(),
      custom: limits.custom,
      defaultPerRechargeCents: String(defaults.perRechargeCents),
      defaultPerDayCents: String(defaults.perDayCents),
      minCents: CAP_MIN_CENTS.toString(),
      maxCents: CAP_MAX_CENTS.toString(),
    },
    canAct,
  };
}
