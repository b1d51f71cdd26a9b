/**
 * The Stripe test helpers themselves: a signed webhook verifies the way the app
 * verifies it (stripe.webhooks.constructEvent on the raw body), a tampered or
 * unsigned one does not, and stripeTestEnv() reaches the run's stripe-mock.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../app/config.server.js";
import {
  cardErrorBody,
  chargeRefundedEvent,
  checkoutCompletedEvent,
  paymentIntentEvent,
  signedWebhook,
  stripeTestEnv,
  TEST_WEBHOOK_SECRET,
} from "./helpers/stripe.js";

const stripe = new Stripe("sk_test_123");

/** Stands in for the app's /hooks/stripe: verifies like the app does and says what it saw. */
let hook: http.Server;
let hookUrl: string;
const received: { path: string; verified: Stripe.Event | null; error: string | null }[] = [];

beforeAll(async () => {
  hook = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks);
      try {
        const event = stripe.webhooks.constructEvent(raw, req.headers["stripe-signature"] ?? "", TEST_WEBHOOK_SECRET);
        received.push({ path: req.url ?? "", verified: event, error: null });
        res.writeHead(200).end();
      } catch (err) {
        received.push({ path: req.url ?? "", verified: null, error: (err as Error).message });
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => hook?.close(() => r()));
});

describe("signedWebhook", () => {
  it("posts to /hooks/stripe a payload that constructEvent accepts and returns unchanged", async () => {
    const event = checkoutCompletedEvent({
      accountId: "acc_1",
      customerId: "cus_1",
      amountCents: 2500,
      mode: "payment",
      metadata: { account_id: "acc_1", checkout_id: "chk_1" },
    });
    const res = await signedWebhook(hookUrl, event, { secret: TEST_WEBHOOK_SECRET });
    expect(res.status).toBe(200);
    const seen = received.at(-1)!;
    expect(seen.path).toBe("/hooks/stripe");
    expect(seen.verified).toEqual(event);
  });

  it("a tampered payload, a wrong secret, a made-up signature and no signature are all refused", async () => {
    const event = paymentIntentEvent("payment_intent.succeeded", { paymentIntentId: "pi_1", amountCents: 1000, customerId: "cus_1", metadata: {} });
    const before = received.length;
    expect((await signedWebhook(hookUrl, event, { secret: TEST_WEBHOOK_SECRET, tamper: true })).status).toBe(400);
    expect((await signedWebhook(hookUrl, event, { secret: "whsec_someone_elses" })).status).toBe(400);
    expect(
      (await signedWebhook(hookUrl, event, { secret: TEST_WEBHOOK_SECRET, signature: `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` })).status,
    ).toBe(400);
    expect((await signedWebhook(hookUrl, event, { secret: TEST_WEBHOOK_SECRET, signature: null })).status).toBe(400);
    const refused = received.slice(before);
    expect(refused.map((r) => r.verified)).toEqual([null, null, null, null]);
    expect(refused[0]!.error).toMatch(/signature/i);
  });
});

describe("event builders", () => {
  it("checkout.session.completed for a purchase and for saving a card", () => {
    const paid = checkoutCompletedEvent({
      accountId: "acc_9",
      customerId: "cus_9",
      amountCents: 5000,
      mode: "payment",
      metadata: { account_id: "acc_9" },
      paymentIntentId: "pi_given",
    });
    expect(paid).toMatchObject({ object: "event", type: "checkout.session.completed", livemode: false, api_version: Stripe.API_VERSION });
    expect(paid.id).toMatch(/^evt_[A-Za-z0-9]{24}$/);
    expect(paid.data.object).toMatchObject({
      object: "checkout.session",
      mode: "payment",
      status: "complete",
      payment_status: "paid",
      amount_total: 5000,
      currency: "usd",
      client_reference_id: "acc_9",
      customer: "cus_9",
      payment_intent: "pi_given",
      setup_intent: null,
      metadata: { account_id: "acc_9" },
    });
    expect(paid.data.object.id).toMatch(/^cs_test_/);

    const setup = checkoutCompletedEvent({ accountId: "acc_9", customerId: "cus_9", mode: "setup", metadata: {} });
    expect(setup.data.object).toMatchObject({ mode: "setup", payment_status: "no_payment_required", amount_total: null, payment_intent: null });
    expect(setup.data.object.setup_intent).toMatch(/^seti_/);
    expect(setup.id).not.toBe(paid.id);
    expect(() => checkoutCompletedEvent({ accountId: "a", customerId: "c", mode: "payment", metadata: {} })).toThrow(/amountCents/);
  });

  it("payment_intent events: succeeded, payment_failed with last_payment_error, requires_action with next_action", () => {
    const base = { paymentIntentId: "pi_42", amountCents: 2000, customerId: "cus_1", metadata: { account_id: "acc_1" } };
    const ok = paymentIntentEvent("payment_intent.succeeded", base);
    expect(ok.data.object).toMatchObject({
      id: "pi_42",
      status: "succeeded",
      amount: 2000,
      amount_received: 2000,
      last_payment_error: null,
      next_action: null,
    });
    expect(ok.data.object.latest_charge).toMatch(/^ch_/);

    const failed = paymentIntentEvent("payment_intent.payment_failed", { ...base, lastPaymentErrorCode: "card_declined" });
    expect(failed.type).toBe("payment_intent.payment_failed");
    expect(failed.data.object).toMatchObject({ status: "requires_payment_method", amount_received: 0 });
    expect(failed.data.object.last_payment_error).toMatchObject({
      type: "card_error",
      code: "card_declined",
      decline_code: "generic_decline",
      message: expect.any(String),
    });

    const action = paymentIntentEvent("payment_intent.requires_action", base);
    expect(action.data.object).toMatchObject({ status: "requires_action", next_action: { type: "use_stripe_sdk" }, last_payment_error: null });
  });

  it("charge.refunded carries the PaymentIntent, the amounts and what changed", () => {
    const refund = chargeRefundedEvent({ paymentIntentId: "pi_7", amountCents: 3000, amountRefundedCents: 1000, customerId: "cus_7" });
    expect(refund.data.object).toMatchObject({
      object: "charge",
      payment_intent: "pi_7",
      amount: 3000,
      amount_refunded: 1000,
      refunded: false,
      customer: "cus_7",
    });
    expect(refund.data.object.id).toMatch(/^ch_/);
    expect(refund.data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });
    expect(
      chargeRefundedEvent({ paymentIntentId: "pi_7", chargeId: "ch_7", amountCents: 3000, amountRefundedCents: 3000, customerId: "cus_7" }).data.object,
    ).toMatchObject({
      id: "ch_7",
      refunded: true,
    });
  });
});

describe("stripeTestEnv", () => {
  it("is configuration the app accepts, and its SDK calls reach stripe-mock through the proxy's log and failures", async () => {
    const env = stripeTestEnv();
    const config = parseConfig({
      NODE_ENV: "test",
      DATABASE_URL: "postgres://unused/db",
      SESSION_SECRET: "test-session-secret-test-session-secret-0123",
      ...env.appEnv,
    });
    expect(config.payments.provider).toBe("stripe");
    expect(config.payments.stripe).toEqual({ secretKey: env.secretKey, apiBase: env.apiBase });

    const base = new URL(env.appEnv.STRIPE_API_BASE);
    const client = new Stripe(env.secretKey, { host: base.hostname, port: Number(base.port), protocol: "http", maxNetworkRetries: 0 });
    const customer = await client.customers.create({ metadata: { account_id: "acc_env" } }, { idempotencyKey: "env-customer" });
    expect(await env.requests({ path: "/v1/customers" })).toMatchObject([
      { idempotencyKey: "env-customer", body: { metadata: { account_id: "acc_env" } }, responseId: customer.id },
    ]);
    // Another env (another secret key) sees none of it.
    expect(await stripeTestEnv().requests()).toEqual([]);

    await env.failNext({
      failNext: 1,
      path: "/v1/payment_intents",
      status: 402,
      body: cardErrorBody({ code: "card_declined", declineCode: "insufficient_funds" }),
    });
    await expect(client.paymentIntents.create({ amount: 100, currency: "usd", customer: customer.id })).rejects.toMatchObject({
      type: "StripeCardError",
      decline_code: "insufficient_funds",
    });
    await env.reset();
    expect(await env.requests()).toEqual([]);
  });
});
