/**
 * TestPaymentProvider: clearly not a real payment service, refused in
 * production (app/config.server.ts). Checkout goes to the local checkout page
 * (dev/local-checkout-server.ts), which completes or declines and sends the
 * same signed webhook Stripe would. Off-session charges are decided by the
 * card: the built-in "test_card_approve" and the 4242 card approve, the 0341
 * card and anything else decline, the 3184 card asks for authentication.
 * Every charge is remembered by idempotency key in PostgreSQL, so a retried
 * charge returns the first answer instead of charging again.
 */
import type { DbOrTrx } from "../../db/connection.js";
import { verifyStripeSignature } from "./stripe-payment-provider.server.js";
import type { ChargeResult, PaymentDetails, PaymentEvent, PaymentProvider, SavedCard } from "./payment-provider.js";

/** The cards the local checkout can save, by the word in its setup intent id (seti_local_<word>_…). */
const LOCAL_CARDS: Record<string, { last4: string; outcome: "approved" | "declined" | "requires_action" }> = {
  approve: { last4: "4242", outcome: "approved" },
  decline: { last4: "0341", outcome: "declined" },
  authenticate: { last4: "3184", outcome: "requires_action" },
};
const cardOfMethod = (paymentMethod: string) => {
  if (paymentMethod === "test_card_approve") return LOCAL_CARDS.approve;
  if (paymentMethod === "test_card_decline") return LOCAL_CARDS.decline;
  return Object.entries(LOCAL_CARDS).find(([word]) => paymentMethod === `pm_test_${word}`)?.[1];
};

export class TestPaymentProvider implements PaymentProvider {
  readonly name = "test" as const;

  constructor(
    private readonly db: DbOrTrx,
    private readonly options: { localCheckoutUrl: string; webhookSecret: string },
  ) {}

  async createCustomer({ accountId }: { accountId: string }) {
    return { customerId: `cus_test_${accountId.replace(/-/g, "")}` };
  }

  async createCheckoutSession(r: Parameters<PaymentProvider["createCheckoutSession"]>[0]) {
    const response = await fetch(`${this.options.localCheckoutUrl}/v1/checkout/sessions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": r.idempotencyKey },
      body: JSON.stringify({
        mode: r.mode,
        ...(r.amountCents === null ? {} : { amount_cents: Number(r.amountCents) }),
        currency: "usd",
        client_reference_id: r.accountId,
        customer: r.customerId,
        metadata: { account_id: r.accountId, checkout_id: r.checkoutId },
        success_url: r.successUrl,
        cancel_url: r.cancelUrl,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`the local checkout answered ${response.status}`);
    const body = (await response.json()) as { id: string; url: string };
    return { sessionId: body.id, url: body.url };
  }

  async savedCardOfSetup(setupIntentId: string): Promise<SavedCard> {
    const word = /^seti_local_([a-z]+)_/.exec(setupIntentId)?.[1];
    const card = word ? LOCAL_CARDS[word] : undefined;
    if (!word || !card) throw new Error("not a setup intent of the local checkout");
    return { paymentMethodId: `pm_test_${word}`, brand: "visa", last4: card.last4, expMonth: 12, expYear: new Date().getUTCFullYear() + 3 };
  }

  async detachPaymentMethod(): Promise<void> {}

  async chargeOffSession(r: Parameters<PaymentProvider["chargeOffSession"]>[0]): Promise<ChargeResult> {
    const outcome = cardOfMethod(r.paymentMethodId)?.outcome ?? "declined";
    await this.db
      .insertInto("test_payment_charges")
      .values({ idempotency_key: r.idempotencyKey, amount_cents: r.amountCents.toString(), payment_method: r.paymentMethodId, outcome })
      .onConflict((oc) => oc.column("idempotency_key").doNothing())
      .execute();
    const row = await this.db
      .selectFrom("test_payment_charges")
      .select(["charge_id", "outcome", "payment_method"])
      .where("idempotency_key", "=", r.idempotencyKey)
      .executeTakeFirstOrThrow();
    const paymentIntentId = `pi_test_${row.charge_id.replace(/-/g, "")}`;
    if (row.outcome === "approved") {
      return { outcome: "approved", paymentIntentId, ...this.details(paymentIntentId, row.payment_method) };
    }
    if (row.outcome === "requires_action") return { outcome: "requires_action", paymentIntentId, code: "authentication_required" };
    return { outcome: "declined", paymentIntentId, code: cardOfMethod(row.payment_method) ? "card_declined" : "unknown_payment_method" };
  }

  async paymentDetails(paymentIntentId: string): Promise<PaymentDetails> {
    return this.details(paymentIntentId, "test_card_approve");
  }

  private details(paymentIntentId: string, paymentMethod: string): PaymentDetails {
    return {
      chargeId: `ch_${paymentIntentId.replace(/^pi_/, "")}`,
      receiptUrl: `${this.options.localCheckoutUrl}/receipts/${paymentIntentId}`,
      card: { brand: "visa", last4: cardOfMethod(paymentMethod)?.last4 ?? "4242" },
    };
  }

  verifyWebhook(rawBody: string, signatureHeader: string | null): PaymentEvent {
    return verifyStripeSignature(rawBody, signatureHeader, this.options.webhookSecret);
  }
}
