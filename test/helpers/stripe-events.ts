/**
 * Stripe's events, shaped as Stripe sends them (typed with the SDK's own event
 * types, so a missing or misspelt field fails tsc), and signed webhooks: plain
 * functions, no vitest, so scripts outside the test runner (the fault run,
 * test/faults) use them too. test/helpers/stripe.ts re-exports all of it.
 *
 * stripe-mock keeps no state: a paid Checkout session, a decline, a
 * requires_action or a refund is driven by posting the event to the app,
 * signed the way Stripe signs it — the path production takes.
 */
import { randomBytes } from "node:crypto";
import Stripe from "stripe";

const API_VERSION = Stripe.API_VERSION;

export function randomId(prefix: string, length = 24): string {
  // Stripe ids are letters and digits after the prefix.
  let out = "";
  while (out.length < length)
    out += randomBytes(length)
      .toString("base64")
      .replace(/[^A-Za-z0-9]/g, "");
  return `${prefix}${out.slice(0, length)}`;
}

/** Stripe's error JSON for a card error, for failNext({ status: 402, body }). */
export function cardErrorBody(opts: {
  code?: string;
  declineCode?: string;
  message?: string;
  /** A PaymentIntent to carry, as Stripe does on a failed confirm (`error.payment_intent`). */
  paymentIntent?: Stripe.PaymentIntent;
}): Record<string, unknown> {
  const code = opts.code ?? "card_declined";
  return {
    error: {
      type: "card_error",
      code,
      ...(code === "card_declined" ? { decline_code: opts.declineCode ?? "generic_decline" } : {}),
      message:
        opts.message ?? (code === "authentication_required" ? "Your card was declined. This transaction requires authentication." : "Your card was declined."),
      doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, "-")}`,
      ...(opts.paymentIntent ? { payment_intent: opts.paymentIntent } : {}),
    },
  };
}

// ---------------------------------------------------------------- webhooks

/**
 * POSTs `event` as Stripe would to `${appUrl}/hooks/stripe`, signed with `secret`.
 * `tamper`: the payload is changed after signing (amounts ×100, or a metadata field added).
 * `signature`: sent instead of a real one; `null` sends no Stripe-Signature header at all.
 */
export async function signedWebhook(appUrl: string, event: object, opts: { secret: string; tamper?: boolean; signature?: string | null }): Promise<Response> {
  const payload = JSON.stringify(event, null, 2);
  const header = opts.signature !== undefined ? opts.signature : signatureFor(payload, opts.secret);
  const body = opts.tamper ? tampered(payload) : payload;
  return fetch(`${appUrl.replace(/\/$/, "")}/hooks/stripe`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json; charset=utf-8",
      "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
      ...(header === null ? {} : { "Stripe-Signature": header }),
    },
    body,
    redirect: "manual",
  });
}

/** The Stripe-Signature header Stripe would send for this exact payload. */
export function signatureFor(payload: string, secret: string): string {
  return stripeForSigning.webhooks.generateTestHeaderString({ payload, secret });
}

// Signing needs no API access; the key is never used for a request.
const stripeForSigning = new Stripe("sk_test_signing0only");

function tampered(payload: string): string {
  const event = JSON.parse(payload) as { data?: { object?: Record<string, unknown> } };
  const obj = event.data?.object ?? {};
  let changed = false;
  for (const field of ["amount_total", "amount_subtotal", "amount", "amount_received", "amount_refunded"]) {
    if (typeof obj[field] === "number") {
      obj[field] = (obj[field] as number) * 100 + 1;
      changed = true;
    }
  }
  if (!changed) obj.metadata = { ...((obj.metadata as object | undefined) ?? {}), tampered: "1" };
  return JSON.stringify(event, null, 2);
}

// ---------------------------------------------------------------- events

const now = () => Math.floor(Date.now() / 1000);

function eventBase(created: number) {
  return {
    id: randomId("evt_"),
    object: "event" as const,
    api_version: API_VERSION,
    created,
    livemode: false,
    pending_webhooks: 1,
    // Caused by an API request only when the object changed because of one; Checkout and off-session outcomes have none.
    request: { id: null, idempotency_key: null },
  };
}

const emptyAddress = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };

export function checkoutCompletedEvent(opts: {
  accountId: string;
  customerId: string;
  /** Required for mode "payment"; ignored for "setup" (no amount). */
  amountCents?: number;
  mode: "payment" | "setup";
  metadata: Record<string, string>;
  /** The cs_ id the app got when it created the session (it stores it); random when omitted. */
  sessionId?: string;
  paymentIntentId?: string;
  setupIntentId?: string;
  customerEmail?: string;
  created?: number;
}): Stripe.CheckoutSessionCompletedEvent {
  if (opts.mode === "payment" && (opts.amountCents === undefined || !Number.isInteger(opts.amountCents))) {
    throw new Error("checkoutCompletedEvent: mode payment needs amountCents");
  }
  const created = opts.created ?? now();
  const payment = opts.mode === "payment";
  const session: Stripe.Checkout.Session = {
    id: opts.sessionId ?? randomId("cs_test_", 58),
    object: "checkout.session",
    allowed_payment_method_types: null,
    adaptive_pricing: payment ? { enabled: false } : null,
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: payment ? opts.amountCents! : null,
    amount_total: payment ? opts.amountCents! : null,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: null,
    cancel_url: "http://127.0.0.1/settings/billing",
    client_reference_id: opts.accountId,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: created - 60,
    currency: "usd",
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: opts.customerId,
    customer_account: null,
    customer_creation: null,
    customer_details: {
      address: emptyAddress,
      business_name: null,
      email: opts.customerEmail ?? null,
      individual_name: null,
      name: null,
      phone: null,
      tax_exempt: "none",
      tax_ids: [],
    },
    customer_email: null,
    discounts: [],
    expires_at: created - 60 + 24 * 60 * 60,
    integration_identifier: null,
    invoice: null,
    invoice_creation: payment
      ? {
          enabled: false,
          invoice_data: {
            account_tax_ids: null,
            custom_fields: null,
            description: null,
            footer: null,
            issuer: null,
            metadata: {},
            rendering_options: null,
          },
        }
      : null,
    livemode: false,
    locale: null,
    managed_payments: null,
    metadata: { ...opts.metadata },
    mode: opts.mode,
    origin_context: null,
    payment_intent: payment ? (opts.paymentIntentId ?? randomId("pi_")) : null,
    payment_link: null,
    payment_method_collection: payment ? "if_required" : "always",
    payment_method_configuration_details: null,
    payment_method_options: { card: { request_three_d_secure: "automatic" } },
    payment_method_types: ["card"],
    payment_status: payment ? "paid" : "no_payment_required",
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: payment ? null : (opts.setupIntentId ?? randomId("seti_")),
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: "complete",
    submit_type: null,
    subscription: null,
    success_url: "http://127.0.0.1/settings/billing/return?session_id={CHECKOUT_SESSION_ID}",
    total_details: payment ? { amount_discount: 0, amount_shipping: 0, amount_tax: 0 } : null,
    ui_mode: "hosted",
    url: null,
    wallet_options: null,
  };
  return { ...eventBase(created), type: "checkout.session.completed", data: { object: session } };
}

type PaymentIntentEventType = "payment_intent.succeeded" | "payment_intent.payment_failed" | "payment_intent.requires_action";
type PaymentIntentEventOf<T extends PaymentIntentEventType> = T extends "payment_intent.succeeded"
  ? Stripe.PaymentIntentSucceededEvent
  : T extends "payment_intent.payment_failed"
    ? Stripe.PaymentIntentPaymentFailedEvent
    : Stripe.PaymentIntentRequiresActionEvent;

export function paymentIntentEvent<T extends PaymentIntentEventType>(
  type: T,
  opts: {
    paymentIntentId: string;
    amountCents: number;
    customerId: string;
    metadata: Record<string, string>;
    /** payment_failed: `last_payment_error.code` (default card_declined, with decline_code generic_decline). */
    lastPaymentErrorCode?: string;
    declineCode?: string;
    paymentMethodId?: string;
    /** The charge the attempt made (succeeded and payment_failed); random when omitted. */
    chargeId?: string;
    created?: number;
  },
): PaymentIntentEventOf<T> {
  const created = opts.created ?? now();
  const paymentMethod = opts.paymentMethodId ?? randomId("pm_");
  const status: Stripe.PaymentIntent.Status =
    type === "payment_intent.succeeded" ? "succeeded" : type === "payment_intent.requires_action" ? "requires_action" : "requires_payment_method";
  const code = opts.lastPaymentErrorCode ?? "card_declined";
  const declined = code === "card_declined";
  const lastPaymentError: Stripe.PaymentIntent.LastPaymentError | null =
    type === "payment_intent.payment_failed"
      ? {
          type: "card_error",
          code,
          decline_code: declined ? (opts.declineCode ?? "generic_decline") : opts.declineCode,
          message: code === "authentication_required" ? "Your card was declined. This transaction requires authentication." : "Your card was declined.",
          doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, "-")}`,
          charge: opts.chargeId,
        }
      : null;
  const intent: Stripe.PaymentIntent = {
    id: opts.paymentIntentId,
    object: "payment_intent",
    allowed_payment_method_types: null,
    amount: opts.amountCents,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: type === "payment_intent.succeeded" ? opts.amountCents : 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: "automatic",
    client_secret: `${opts.paymentIntentId}_secret_${randomId("", 25)}`,
    confirmation_method: "automatic",
    created: created - 2,
    currency: "usd",
    customer: opts.customerId,
    customer_account: null,
    description: null,
    excluded_payment_method_types: null,
    last_payment_error: lastPaymentError,
    latest_charge: type === "payment_intent.requires_action" ? null : (opts.chargeId ?? randomId("ch_")),
    livemode: false,
    managed_payments: null,
    metadata: { ...opts.metadata },
    next_action:
      type === "payment_intent.requires_action"
        ? {
            type: "use_stripe_sdk",
            use_stripe_sdk: { type: "three_d_secure_redirect", stripe_js: "https://hooks.stripe.com/redirect/authenticate/src_test", source: randomId("src_") },
          }
        : null,
    on_behalf_of: null,
    // A failed attempt detaches the method from the intent (Stripe clears it so a new one can be supplied).
    payment_method: type === "payment_intent.payment_failed" ? null : paymentMethod,
    payment_method_configuration_details: null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: "automatic" } },
    payment_method_types: ["card"],
    payment_record: null,
    processing: null,
    receipt_email: null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status,
    transfer_data: null,
    transfer_group: null,
  };
  return { ...eventBase(created), type, data: { object: intent } } as PaymentIntentEventOf<T>;
}

export function chargeRefundedEvent(opts: {
  paymentIntentId: string;
  chargeId?: string;
  /** What was charged. */
  amountCents: number;
  /** Refunded so far, this refund included (equal to amountCents for a full refund). */
  amountRefundedCents: number;
  /** Refunded before this refund (previous_attributes.amount_refunded); default 0. */
  previouslyRefundedCents?: number;
  customerId: string;
  metadata?: Record<string, string>;
  paymentMethodId?: string;
  created?: number;
}): Stripe.ChargeRefundedEvent {
  if (opts.amountRefundedCents < 1 || opts.amountRefundedCents > opts.amountCents) {
    throw new Error("chargeRefundedEvent: amountRefundedCents must be between 1 and amountCents");
  }
  const created = opts.created ?? now();
  const chargeId = opts.chargeId ?? randomId("ch_");
  const charge: Stripe.Charge = {
    id: chargeId,
    object: "charge",
    amount: opts.amountCents,
    amount_captured: opts.amountCents,
    amount_refunded: opts.amountRefundedCents,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: randomId("txn_"),
    billing_details: { address: emptyAddress, email: null, name: null, phone: null, tax_id: null },
    calculated_statement_descriptor: "SWITCHBOARD",
    captured: true,
    created: created - 3600,
    currency: "usd",
    customer: opts.customerId,
    description: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    metadata: { ...(opts.metadata ?? {}) },
    on_behalf_of: null,
    outcome: {
      advice_code: null,
      network_advice_code: null,
      network_decline_code: null,
      network_status: "approved_by_network",
      reason: null,
      risk_level: "normal",
      risk_score: 32,
      seller_message: "Payment complete.",
      type: "authorized",
    },
    paid: true,
    payment_intent: opts.paymentIntentId,
    payment_method: opts.paymentMethodId ?? randomId("pm_"),
    payment_method_details: {
      type: "card",
      card: {
        amount_authorized: opts.amountCents,
        authorization_code: null,
        brand: "visa",
        checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: "pass" },
        country: "US",
        electronic_commerce_indicator: null,
        exp_month: 12,
        exp_year: new Date().getUTCFullYear() + 3,
        fingerprint: randomId("", 16),
        funding: "credit",
        installments: null,
        last4: "4242",
        mandate: null,
        network: "visa",
        network_token: { used: false },
        network_transaction_id: randomId("", 15),
        regulated_status: "unregulated",
        three_d_secure: null,
        transaction_link_id: null,
        wallet: null,
      },
    },
    receipt_email: null,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${randomId("", 40)}`,
    refunded: opts.amountRefundedCents === opts.amountCents,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: "succeeded",
    transfer_data: null,
    transfer_group: null,
  };
  return {
    ...eventBase(created),
    type: "charge.refunded",
    data: { object: charge, previous_attributes: { amount_refunded: opts.previouslyRefundedCents ?? 0, refunded: false } },
  };
}
