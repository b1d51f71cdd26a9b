/**
 * POST /hooks/stripe, after the signature verified: what each provider event
 * does. Every event is handled in one transaction together with recording its
 * id, so a redelivered event does nothing, and a crash halfway leaves nothing
 * half done (the provider delivers it again). The provider is asked for
 * details (the saved card, the receipt) before that transaction opens, so no
 * network call holds a row lock.
 *
 * Handled: checkout.session.completed (and .async_payment_succeeded) credit a
 * purchase or save a card; payment_intent.succeeded / .payment_failed /
 * .requires_action settle an auto-recharge charge the provider decided later;
 * charge.refunded posts a refund. Anything else is acknowledged and ignored.
 */
import type { Services } from "../context.server.js";
import { deliveryMode } from "../mail/mailer.server.js";
import type { Actor } from "../models/audit.server.js";
import { writeAudit } from "../models/audit.server.js";
import { creditPayment, failPayment, recordRefund } from "../models/payment-settlement.server.js";
import { accountOfCustomer, replaceCard } from "../models/billing-customers.server.js";
import { completeCheckoutRow, lockCheckoutForEvent } from "../models/checkout-sessions.server.js";
import { claimPaymentEvent, lockPaymentForEvent, openPayment } from "../models/payments.server.js";
import { getRechargeRule, resumeRechargeRule } from "../models/recharge-rules.server.js";
import type { PaymentDetails, PaymentEvent, SavedCard } from "../payments/payment-provider.js";
import { SAVED_CARD } from "../payments/payment-provider.js";
import { checkRechargeDue } from "./recharge.server.js";

/** The provider speaks for itself in the audit trail. */
const PROVIDER_ACTOR: Actor = { type: "system", id: null };

export type WebhookOutcome =
  | { status: "handled"; what: string }
  | { status: "duplicate" }
  | { status: "ignored"; why: string }
  /** Not ours to decide yet (a refund of a payment whose own event has not arrived): answered 409 so the provider redelivers. */
  | { status: "retry_later"; why: string };

type Obj = Record<string, unknown>;
const str = (o: Obj, k: string): string | null => (typeof o[k] === "string" ? (o[k] as string) : null);
const num = (o: Obj, k: string): number | null => (typeof o[k] === "number" && Number.isSafeInteger(o[k]) ? (o[k] as number) : null);
const meta = (o: Obj, k: string): string | null => {
  const m = o.metadata;
  return m && typeof m === "object" && typeof (m as Obj)[k] === "string" ? ((m as Obj)[k] as string) : null;
};
/** A reference to another object: its id, whether the event carries it as a string or expanded. */
const ref = (o: Obj, k: string): string | null => {
  const v = o[k];
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Obj).id === "string") return (v as Obj).id as string;
  return null;
};

export async function handlePaymentEvent(
  services: Pick<Services, "db" | "payments" | "config" | "logger" | "temporal">,
  event: PaymentEvent,
): Promise<WebhookOutcome> {
  const object = event.data.object;
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      return checkoutCompleted(services, event, object);
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed":
    case "payment_intent.requires_action":
      return paymentIntentChanged(services, event, object);
    case "charge.refunded":
      return chargeRefunded(services, event, object);
    default:
      return { status: "ignored", why: `event type ${event.type} is not used` };
  }
}

async function checkoutCompleted(
  services: Pick<Services, "db" | "payments" | "config" | "logger" | "temporal">,
  event: PaymentEvent,
  session: Obj,
): Promise<WebhookOutcome> {
  const { db, payments } = services;
  const providerSessionId = str(session, "id");
  if (!providerSessionId) return { status: "ignored", why: "no session id" };
  const mode = str(session, "mode");
  // Read-only look first: the card or receipt is fetched from the provider before the transaction opens.
  const known = await lockCheckoutForEvent(db, { checkoutId: meta(session, "checkout_id"), providerSessionId });
  if (!known) return { status: "ignored", why: "not a session of ours" };
  if (str(session, "client_reference_id") !== known.account_id) return { status: "ignored", why: "session names another account" };
  if (mode !== known.mode) return { status: "ignored", why: "session mode differs" };

  if (mode === "setup") {
    const setupIntent = ref(session, "setup_intent");
    if (!setupIntent) return { status: "ignored", why: "setup session without a setup intent" };
    const card = await payments.savedCardOfSetup(setupIntent);
    return saveCardFromCheckout(services, event, known, card);
  }

  // mode === "payment": money arrives only once Stripe says it is paid (async methods say so in a later event).
  if (str(session, "payment_status") !== "paid") return { status: "ignored", why: "not paid yet" };
  const amount = num(session, "amount_total");
  if (amount === null || amount <= 0) return { status: "ignored", why: "no amount" };
  const paymentIntentId = ref(session, "payment_intent");
  let details: PaymentDetails | null = null;
  if (paymentIntentId) {
    details = await payments.paymentDetails(paymentIntentId).catch((err: unknown) => {
      // The receipt link is nice to have; the credit must not wait for it.
      services.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "could not read the payment's receipt");
      return null;
    });
  }
  return db.transaction().execute(async (trx) => {
    if (!(await claimPaymentEvent(trx, event))) return { status: "duplicate" } as const;
    const checkout = await lockCheckoutForEvent(trx, { checkoutId: known.id, providerSessionId });
    if (!checkout) return { status: "ignored", why: "session gone" } as const;
    const payment = await openPayment(trx, {
      accountId: checkout.account_id,
      provider: checkout.provider,
      kind: "purchase",
      // What Stripe charged is what is credited (the session was created for our amount; a currency or amount change there is Stripe's record).
      amountCents: BigInt(amount),
      idempotencyKey: `checkout:${checkout.id}`,
      paymentIntentId,
    });
    const credited = await creditPayment(trx, payment.id, PROVIDER_ACTOR, { paymentIntentId, details });
    await completeCheckoutRow(trx, checkout.id);
    return { status: "handled", what: credited === "credited" ? "credited" : "already credited" } as const;
  });
}

async function saveCardFromCheckout(
  services: Pick<Services, "db" | "payments" | "config" | "logger" | "temporal">,
  event: PaymentEvent,
  checkout: { id: string; account_id: string; provider: "stripe" | "test" },
  card: SavedCard,
): Promise<WebhookOutcome> {
  const { db } = services;
  const result = await db.transaction().execute(async (trx) => {
    if (!(await claimPaymentEvent(trx, event))) return null;
    // Two setups of one account completing at once take turns here (one card in use per account).
    await trx.selectFrom("accounts").select("id").where("id", "=", checkout.account_id).forUpdate().execute();
    const replaced = await replaceCard(trx, checkout.account_id, checkout.provider, card);
    await completeCheckoutRow(trx, checkout.id);
    // A rule paused because the old card failed runs again on the new one.
    const rule = await getRechargeRule(trx, checkout.account_id);
    const resumed = rule?.payment_method === SAVED_CARD && rule.paused_reason !== null ? await resumeRechargeRule(trx, checkout.account_id) : false;
    await writeAudit(trx, PROVIDER_ACTOR, {
      action: "billing.card_saved",
      targetType: "account",
      targetId: checkout.account_id,
      details: { brand: card.brand, last4: card.last4, replaced: replaced !== null, rule_resumed: resumed },
    });
    return { replaced, resumed };
  });
  if (!result) return { status: "duplicate" };
  // After commit: the old card can no longer be charged. A failure here leaves a card attached at Stripe that we never charge.
  if (result.replaced) {
    await services.payments.detachPaymentMethod(result.replaced).catch((err: unknown) => {
      services.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "could not detach the replaced card");
    });
  }
  if (result.resumed) await checkRechargeDue(services, checkout.account_id);
  return { status: "handled", what: result.replaced ? "card replaced" : "card saved" };
}

async function paymentIntentChanged(
  services: Pick<Services, "db" | "payments" | "config" | "logger">,
  event: PaymentEvent,
  intent: Obj,
): Promise<WebhookOutcome> {
  const { db, config, payments } = services;
  const paymentIntentId = str(intent, "id");
  // A recharge Stripe settled later gets its receipt (link, card) like one approved at once; read before the transaction opens.
  let details: PaymentDetails | null = null;
  if (event.type === "payment_intent.succeeded" && paymentIntentId) {
    const known = await lockPaymentForEvent(db, { paymentIntentId, paymentId: meta(intent, "payment_id") });
    if (known?.kind === "recharge" && known.ledger_entry_id === null) {
      details = await payments.paymentDetails(paymentIntentId).catch((err: unknown) => {
        services.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "could not read the payment's receipt");
        return null;
      });
    }
  }
  return db.transaction().execute(async (trx) => {
    if (!(await claimPaymentEvent(trx, event))) return { status: "duplicate" } as const;
    const payment = await lockPaymentForEvent(trx, { paymentIntentId, paymentId: meta(intent, "payment_id") });
    // Purchases are credited by their Checkout session's event; intents of other integrations are not ours.
    if (!payment || payment.kind !== "recharge") return { status: "ignored", why: "not a recharge of ours" } as const;
    if (event.type === "payment_intent.succeeded") {
      const credited = await creditPayment(trx, payment.id, PROVIDER_ACTOR, { paymentIntentId, details });
      return { status: "handled", what: credited } as const;
    }
    const lastError = intent.last_payment_error as Obj | null | undefined;
    const code =
      event.type === "payment_intent.requires_action"
        ? "authentication_required"
        : ((lastError && (str(lastError, "decline_code") ?? str(lastError, "code"))) ?? "card_declined");
    const failed = await failPayment(
      trx,
      payment.id,
      { status: event.type === "payment_intent.requires_action" ? "requires_action" : "failed", code, paymentIntentId },
      PROVIDER_ACTOR,
      { publicUrl: config.publicUrl, mode: deliveryMode(config) },
    );
    return { status: "handled", what: failed ? "paused" : "already settled" } as const;
  });
}

async function chargeRefunded(services: Pick<Services, "db">, event: PaymentEvent, charge: Obj): Promise<WebhookOutcome> {
  const { db } = services;
  const paymentIntentId = ref(charge, "payment_intent");
  const refunded = num(charge, "amount_refunded");
  if (!paymentIntentId || refunded === null || refunded < 0) return { status: "ignored", why: "no payment intent or amount" };
  return db.transaction().execute(async (trx) => {
    const payment = await lockPaymentForEvent(trx, { paymentIntentId, paymentId: null });
    if (!payment) {
      // One of our customers' payments we have not heard of yet: let the provider redeliver once the payment's own event landed.
      const customer = ref(charge, "customer");
      if (customer && (await accountOfCustomer(trx, customer))) return { status: "retry_later", why: "payment not known yet" } as const;
      return { status: "ignored", why: "not a payment of ours" } as const;
    }
    if (!(await claimPaymentEvent(trx, event))) return { status: "duplicate" } as const;
    await recordRefund(trx, payment.id, BigInt(refunded), PROVIDER_ACTOR);
    return { status: "handled", what: "refund recorded" } as const;
  });
}
