/**
 * Where a payment service plugs in (issue 18): Stripe (stripe-payment-provider.server.ts)
 * or the shipped test provider (test-payment-provider.server.ts), chosen by
 * PAYMENT_PROVIDER (app/payments/provider.server.ts). Every call that creates
 * something at the provider carries an idempotency key, so a retried call
 * returns the first answer instead of creating (or charging) twice.
 *
 * Money moves on the provider's word only: Checkout's result arrives as a
 * signed webhook (verifyWebhook), never from the browser's redirect.
 */
import type { PaymentProviderName } from "../../db/schema.js";

export interface SavedCard {
  paymentMethodId: string;
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** An off-session charge's immediate answer. "pending": the provider decides later and says so by webhook. */
export type ChargeResult =
  | { outcome: "approved"; paymentIntentId: string; chargeId: string | null; receiptUrl: string | null; card: Pick<SavedCard, "brand" | "last4"> | null }
  | { outcome: "declined"; paymentIntentId: string | null; code: string }
  | { outcome: "requires_action"; paymentIntentId: string | null; code: string }
  | { outcome: "pending"; paymentIntentId: string };

/** What a receipt shows of a payment, read after it succeeded (best effort: every field may be missing). */
export interface PaymentDetails {
  chargeId: string | null;
  receiptUrl: string | null;
  card: Pick<SavedCard, "brand" | "last4"> | null;
}

/** A webhook event, as the provider sent it (Stripe's shape; the test provider's local checkout sends the same). */
export interface PaymentEvent {
  id: string;
  type: string;
  data: { object: Record<string, unknown> };
}

/**
 * A webhook whose signature does not verify. Recognised by its `name` (isWebhookSignatureError): the
 * route that catches it is in the Remix build, which bundles its own copy of this class, while the
 * provider comes from the server's build, so `instanceof` cannot tell it there.
 */
export class WebhookSignatureError extends Error {
  override name = "WebhookSignatureError";
}
export const isWebhookSignatureError = (err: unknown): boolean => err instanceof Error && err.name === "WebhookSignatureError";

export interface PaymentProvider {
  readonly name: PaymentProviderName;
  /** The account's customer at the provider; the idempotency key makes a retried creation return the first. */
  createCustomer(request: { accountId: string; idempotencyKey: string }): Promise<{ customerId: string }>;
  /** A hosted Checkout page: `payment` buys `amountCents` of credits, `setup` saves a card for off-session charges. */
  createCheckoutSession(request: {
    mode: "payment" | "setup";
    accountId: string;
    customerId: string;
    amountCents: bigint | null;
    /** Our checkout_sessions row id, carried in the session's metadata. */
    checkoutId: string;
    successUrl: string;
    cancelUrl: string;
    idempotencyKey: string;
  }): Promise<{ sessionId: string; url: string }>;
  /** The card a completed setup-mode session saved. */
  savedCardOfSetup(setupIntentId: string): Promise<SavedCard>;
  /** Detaches a card from the customer (a removed or replaced card can no longer be charged). */
  detachPaymentMethod(paymentMethodId: string): Promise<void>;
  /** Charges the saved card without the customer present (auto-recharge). */
  chargeOffSession(request: {
    idempotencyKey: string;
    amountCents: bigint;
    customerId: string | null;
    paymentMethodId: string;
    metadata: Record<string, string>;
  }): Promise<ChargeResult>;
  paymentDetails(paymentIntentId: string): Promise<PaymentDetails>;
  /** Verifies a webhook's signature over the raw body; throws WebhookSignatureError when it does not verify. */
  verifyWebhook(rawBody: string, signatureHeader: string | null): PaymentEvent;
}

/** The cards the test provider knows, as `npm start` and the tests use them (never offered with Stripe). */
export const TEST_PAYMENT_METHODS = {
  test_card_approve: "Test card — always approves",
  test_card_decline: "Test card — always declines",
} as const;
export type TestPaymentMethod = keyof typeof TEST_PAYMENT_METHODS;

/** A rule whose payment method is this charges the account's saved card, whichever it is at the time. */
export const SAVED_CARD = "saved_card";
