/**
 * Stripe, through the official SDK. STRIPE_API_BASE points it elsewhere
 * (stripe-mock in the tests); otherwise it talks to api.stripe.com.
 */
import Stripe from "stripe";
import { WebhookSignatureError, type ChargeResult, type PaymentDetails, type PaymentEvent, type PaymentProvider, type SavedCard } from "./payment-provider.js";

/** Product name on the Checkout page and the receipt. */
const CREDITS_PRODUCT = "Switchboard API credits";

export class StripePaymentProvider implements PaymentProvider {
  readonly name = "stripe" as const;
  private readonly stripe: Stripe;

  constructor(options: { secretKey: string; webhookSecret: string; apiBase?: string }) {
    const base = options.apiBase ? new URL(options.apiBase) : null;
    this.stripe = new Stripe(options.secretKey, {
      // The SDK retries network errors and 409/429/5xx with the same idempotency key, which is what makes them safe.
      maxNetworkRetries: 2,
      // Three tries of 8 s fit inside the charge activity's 30 s: Temporal never retries while the SDK still does.
      timeout: 8_000,
      appInfo: { name: "Switchboard" },
      ...(base
        ? { host: base.hostname, port: Number(base.port || (base.protocol === "https:" ? 443 : 80)), protocol: base.protocol === "https:" ? "https" : "http" }
        : {}),
    });
    this.webhookSecret = options.webhookSecret;
  }

  private readonly webhookSecret: string;

  async createCustomer({ accountId, idempotencyKey }: { accountId: string; idempotencyKey: string }) {
    // Only the account id goes to Stripe: the customer's name and email stay here unless they type them on Checkout.
    const customer = await this.stripe.customers.create({ metadata: { account_id: accountId } }, { idempotencyKey });
    return { customerId: customer.id };
  }

  async createCheckoutSession(r: Parameters<PaymentProvider["createCheckoutSession"]>[0]) {
    const metadata = { account_id: r.accountId, checkout_id: r.checkoutId };
    const common = {
      customer: r.customerId,
      client_reference_id: r.accountId,
      success_url: r.successUrl,
      cancel_url: r.cancelUrl,
      metadata,
    } satisfies Stripe.Checkout.SessionCreateParams;
    const params: Stripe.Checkout.SessionCreateParams =
      r.mode === "payment"
        ? {
            ...common,
            mode: "payment",
            line_items: [
              {
                quantity: 1,
                price_data: { currency: "usd", unit_amount: Number(r.amountCents), product_data: { name: CREDITS_PRODUCT } },
              },
            ],
            payment_intent_data: { metadata },
          }
        : { ...common, mode: "setup", currency: "usd", setup_intent_data: { metadata } };
    const session = await this.stripe.checkout.sessions.create(params, { idempotencyKey: r.idempotencyKey });
    if (!session.url) throw new Error("Stripe returned a Checkout session without a URL");
    return { sessionId: session.id, url: session.url };
  }

  async savedCardOfSetup(setupIntentId: string): Promise<SavedCard> {
    const intent = await this.stripe.setupIntents.retrieve(setupIntentId, { expand: ["payment_method"] });
    const method = intent.payment_method;
    if (!method || typeof method === "string" || !method.card) throw new Error("the setup intent saved no card");
    return {
      paymentMethodId: method.id,
      brand: method.card.brand,
      last4: method.card.last4,
      expMonth: method.card.exp_month,
      expYear: method.card.exp_year,
    };
  }

  async detachPaymentMethod(paymentMethodId: string): Promise<void> {
    try {
      await this.stripe.paymentMethods.detach(paymentMethodId);
    } catch (err) {
      // Detached already (a retry, or removed in Stripe's dashboard): the goal is reached.
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 400) return;
      throw err;
    }
  }

  async chargeOffSession(r: Parameters<PaymentProvider["chargeOffSession"]>[0]): Promise<ChargeResult> {
    try {
      const intent = await this.stripe.paymentIntents.create(
        {
          amount: Number(r.amountCents),
          currency: "usd",
          ...(r.customerId ? { customer: r.customerId } : {}),
          payment_method: r.paymentMethodId,
          off_session: true,
          confirm: true,
          description: CREDITS_PRODUCT,
          metadata: r.metadata,
          expand: ["latest_charge"],
        },
        { idempotencyKey: r.idempotencyKey },
      );
      if (intent.status === "succeeded") return { outcome: "approved", paymentIntentId: intent.id, ...chargeDetails(intent.latest_charge) };
      if (intent.status === "requires_action") return { outcome: "requires_action", paymentIntentId: intent.id, code: "authentication_required" };
      // processing, or anything Stripe settles later: its webhook (payment_intent.*) decides.
      return { outcome: "pending", paymentIntentId: intent.id };
    } catch (err) {
      // A declined or authentication-needing card: Stripe answers 402 with the PaymentIntent attached.
      if (err instanceof Stripe.errors.StripeCardError) {
        const raw = err.raw as { payment_intent?: { id?: string } } | undefined;
        const paymentIntentId = raw?.payment_intent?.id ?? null;
        const code = err.code ?? "card_declined";
        if (code === "authentication_required") return { outcome: "requires_action", paymentIntentId, code };
        return { outcome: "declined", paymentIntentId, code: err.decline_code ?? code };
      }
      // Refused for good (the card detached or deleted in Stripe's dashboard, an amount Stripe will not take): the same
      // key answers the same forever, so retrying only delays it. It pauses the rule like a decline, naming Stripe's code.
      // Not an idempotency error (our own parameters changed: a bug, not the card's) nor a 401/403 (our keys): those throw.
      if (err instanceof Stripe.errors.StripeInvalidRequestError && (err.statusCode === 400 || err.statusCode === 404)) {
        const raw = err.raw as { payment_intent?: { id?: string } } | undefined;
        return { outcome: "declined", paymentIntentId: raw?.payment_intent?.id ?? null, code: err.code ?? "invalid_request" };
      }
      throw err;
    }
  }

  async paymentDetails(paymentIntentId: string): Promise<PaymentDetails> {
    const intent = await this.stripe.paymentIntents.retrieve(paymentIntentId, { expand: ["latest_charge"] });
    return chargeDetails(intent.latest_charge);
  }

  verifyWebhook(rawBody: string, signatureHeader: string | null): PaymentEvent {
    return verifyStripeSignature(rawBody, signatureHeader, this.webhookSecret);
  }
}

function chargeDetails(charge: string | Stripe.Charge | null): PaymentDetails {
  if (!charge || typeof charge === "string") return { chargeId: charge ?? null, receiptUrl: null, card: null };
  const card = charge.payment_method_details?.card;
  return { chargeId: charge.id, receiptUrl: charge.receipt_url ?? null, card: card?.last4 ? { brand: card.brand ?? "card", last4: card.last4 } : null };
}

/** Verifies a webhook signed with a secret, the way Stripe's SDK does (the test provider's local checkout signs the same way). */
export function verifyStripeSignature(rawBody: string, signatureHeader: string | null, secret: string): PaymentEvent {
  if (!signatureHeader) throw new WebhookSignatureError("No Stripe-Signature header.");
  try {
    return Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret) as unknown as PaymentEvent;
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) throw new WebhookSignatureError(err.message);
    throw err;
  }
}
