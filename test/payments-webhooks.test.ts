/**
 * POST /hooks/stripe with the Stripe provider (issue 18), against the real
 * app, PostgreSQL and stripe-mock behind the idempotency proxy: Checkout is
 * opened through the billing service (the SDK talks to stripe-mock), and what
 * Stripe would decide later is posted as signed events, the path production
 * takes. Money moves on a verified event only, once per payment however often
 * or in whatever order the events arrive; a forged, unsigned, tampered or
 * stale request is refused with 400 and changes nothing.
 */
import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { REFUND_FLOOR_FLAG } from "../app/models/payment-settlement.server.js";
import { postLedgerEntry, ledgerSum } from "../app/models/ledger.server.js";
import { replaceCard } from "../app/models/billing-customers.server.js";
import { recordRechargeOutcome, saveRechargeRule } from "../app/models/recharge-rules.server.js";
import { startCheckout } from "../app/services/billing.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { signUpOwner } from "./helpers/sign-up.js";
import { chargeRefundedEvent, checkoutCompletedEvent, randomId, signedWebhook, stripeTestEnv, TEST_WEBHOOK_SECRET } from "./helpers/stripe.js";
import { useSuite } from "./helpers/suite.js";
import { pageText } from "./helpers/user-agent.js";

const stripe = stripeTestEnv();
const t = useSuite({ app: true, appEnv: stripe.appEnv });
const SECRET = TEST_WEBHOOK_SECRET;

const post = (event: object, opts: { tamper?: boolean; signature?: string | null; secret?: string } = {}) =>
  signedWebhook(t.app.url, event, { secret: opts.secret ?? SECRET, ...opts });
const postJson = async (event: object, opts: Parameters<typeof post>[1] = {}) => {
  const res = await post(event, opts);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** Opens a Checkout session the way the billing page does, through the SDK to stripe-mock; what the webhook will need. */
async function openCheckout(accountId: string, userId: string, mode: "payment" | "setup", amountCents: number | null) {
  const started = await startCheckout(
    t.app.services,
    { accountId, mode, amountCents: amountCents === null ? null : BigInt(amountCents), attemptKey: randomUUID() },
    { type: "user", id: userId },
  );
  if (!started.ok) throw new Error(`startCheckout refused: ${started.reason}`);
  const row = await t.db
    .selectFrom("checkout_sessions")
    .select(["id", "provider_session_id", "status", "provider"])
    .where("account_id", "=", accountId)
    .orderBy("created_at", "desc")
    .executeTakeFirstOrThrow();
  const customer = await t.db.selectFrom("billing_customers").select(["customer_id", "provider"]).where("account_id", "=", accountId).executeTakeFirstOrThrow();
  expect(row.provider).toBe("stripe");
  expect(customer.provider).toBe("stripe");
  expect(row.provider_session_id).toMatch(/^cs_test_/);
  expect(customer.customer_id).toMatch(/^cus_/);
  return { checkoutId: row.id, sessionId: row.provider_session_id!, customerId: customer.customer_id, url: started.url };
}

/** An account with a purchase of `amountCents` opened (not paid yet) and the completed event Stripe would send for it. */
async function openPurchase(amountCents = 5_000, balanceCents?: bigint) {
  const a = await accountWithKey(t.db, balanceCents === undefined ? {} : { balanceCents });
  const c = await openCheckout(a.accountId, a.userId, "payment", amountCents);
  const paymentIntentId = randomId("pi_");
  const completed = checkoutCompletedEvent({
    accountId: a.accountId,
    customerId: c.customerId,
    amountCents,
    mode: "payment",
    sessionId: c.sessionId,
    paymentIntentId,
    metadata: { account_id: a.accountId, checkout_id: c.checkoutId },
  });
  const refund = (refundedCents: number, previouslyRefundedCents = 0) =>
    chargeRefundedEvent({
      paymentIntentId,
      amountCents,
      amountRefundedCents: refundedCents,
      previouslyRefundedCents,
      customerId: c.customerId,
      chargeId: "ch_same_charge",
    });
  return { ...a, ...c, amountCents, paymentIntentId, completed, refund };
}

/** The same event as Stripe sends it again after a failed delivery, or a second event about the same object: a new id. */
const withNewId = <E extends { id: string }>(event: E): E => ({ ...structuredClone(event), id: randomId("evt_") });

const entries = (accountId: string) =>
  t.db
    .selectFrom("ledger_entries")
    .select(["kind", "amount_cents", "payment_intent_id", "idempotency_key"])
    .where("account_id", "=", accountId)
    .where("kind", "in", ["purchase", "refund", "recharge"])
    .orderBy("id")
    .execute();
const paymentsOf = (accountId: string) =>
  t.db
    .selectFrom("payments")
    .select(["kind", "status", "amount_cents", "payment_intent_id", "refunded_cents", "refund_posted_cents", "ledger_entry_id", "receipt_url", "card_last4"])
    .where("account_id", "=", accountId)
    .execute();
const balanceOf = async (accountId: string) =>
  (await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirstOrThrow()).balance_cents;
const audits = (accountId: string, action: string) =>
  t.db.selectFrom("audit_log").select(["actor_type", "details"]).where("target_id", "=", accountId).where("action", "=", action).execute();

/** Everything a webhook can change, for "nothing changed". */
async function snapshot() {
  const [ledger, payments, events, checkouts, cards, flags, balances] = await Promise.all([
    t.db.selectFrom("ledger_entries").selectAll().orderBy("id").execute(),
    t.db.selectFrom("payments").selectAll().orderBy("id").execute(),
    t.db.selectFrom("payment_events").select(["id", "type"]).orderBy("id").execute(),
    t.db.selectFrom("checkout_sessions").select(["id", "status", "completed_at"]).orderBy("id").execute(),
    t.db.selectFrom("payment_methods").selectAll().orderBy("id").execute(),
    t.db.selectFrom("billing_flags").selectAll().orderBy("id").execute(),
    t.db.selectFrom("accounts").select(["id", "balance_cents"]).orderBy("id").execute(),
  ]);
  return { ledger, payments, events, checkouts, cards, flags, balances };
}

describe("a purchase through Stripe Checkout", () => {
  it("opening Checkout sends the amount, the account and an idempotency key to Stripe, and credits nothing", async () => {
    const p = await openPurchase(2_500);
    expect(p.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const [session] = await stripe.requests({ path: "/v1/checkout/sessions", method: "POST", idempotencyKey: `checkout:${p.checkoutId}` });
    expect(session).toBeDefined();
    expect(session!.status).toBe(200);
    expect(session!.body).toMatchObject({
      mode: "payment",
      client_reference_id: p.accountId,
      customer: p.customerId,
      metadata: { account_id: p.accountId, checkout_id: p.checkoutId },
      line_items: [{ quantity: "1", price_data: { currency: "usd", unit_amount: "2500" } }],
      success_url: `${t.app.config.publicUrl}/settings/billing/checkout/${p.checkoutId}`,
    });
    expect(await entries(p.accountId)).toEqual([]);
    expect(await paymentsOf(p.accountId)).toEqual([]);
  });

  it("checkout.session.completed credits the purchase once: a purchase entry naming the PaymentIntent, the balance up, the payment succeeded with its receipt", async () => {
    const p = await openPurchase(5_000, 700n);
    const res = await postJson(p.completed);
    expect(res).toEqual({ status: 200, body: { received: true, status: "handled", what: "credited" } });
    expect(await entries(p.accountId)).toEqual([
      { kind: "purchase", amount_cents: "5000", payment_intent_id: p.paymentIntentId, idempotency_key: expect.stringMatching(/^payment:/) },
    ]);
    expect(await balanceOf(p.accountId)).toBe("5700");
    expect(await ledgerSum(t.db, p.accountId)).toBe(5_700n);
    const [payment] = await paymentsOf(p.accountId);
    expect(payment).toMatchObject({ kind: "purchase", status: "succeeded", amount_cents: "5000", payment_intent_id: p.paymentIntentId, card_last4: "4242" });
    expect(payment!.ledger_entry_id).not.toBeNull();
    // The receipt link came from Stripe (stripe-mock's charge), read before the credit's transaction.
    expect(payment!.receipt_url).toMatch(/^https:\/\//);
    const checkout = await t.db.selectFrom("checkout_sessions").select("status").where("id", "=", p.checkoutId).executeTakeFirstOrThrow();
    expect(checkout.status).toBe("complete");
    expect(await audits(p.accountId, "billing.credits_purchased")).toEqual([
      { actor_type: "system", details: expect.objectContaining({ amount_cents: "5000", payment_intent_id: p.paymentIntentId, provider: "stripe" }) },
    ]);
  });

  it("the same event delivered twice credits once; the second answer is 200 duplicate", async () => {
    const p = await openPurchase(1_000);
    expect((await postJson(p.completed)).body).toMatchObject({ status: "handled", what: "credited" });
    expect(await postJson(p.completed)).toEqual({ status: 200, body: { received: true, status: "duplicate" } });
    expect(await entries(p.accountId)).toHaveLength(1);
    expect(await balanceOf(p.accountId)).toBe("1000");
  });

  it("two different events about the same session (a redelivery with a new event id, or async_payment_succeeded after completed) credit once", async () => {
    const p = await openPurchase(1_200);
    expect((await postJson(p.completed)).body).toMatchObject({ what: "credited" });
    expect((await postJson(withNewId(p.completed))).body).toMatchObject({ status: "handled", what: "already credited" });
    const asyncSucceeded = { ...withNewId(p.completed), type: "checkout.session.async_payment_succeeded" };
    expect((await postJson(asyncSucceeded)).body).toMatchObject({ status: "handled", what: "already credited" });
    expect(await entries(p.accountId)).toHaveLength(1);
    expect(await paymentsOf(p.accountId)).toHaveLength(1);
    expect(await balanceOf(p.accountId)).toBe("1200");
  });

  it("the same completed event POSTed 10 times at once credits once", async () => {
    const p = await openPurchase(3_300);
    const answers = await Promise.all(Array.from({ length: 10 }, () => postJson(p.completed)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.status === "handled")).toHaveLength(1);
    expect(answers.filter((a) => a.body.status === "duplicate")).toHaveLength(9);
    expect(await entries(p.accountId)).toHaveLength(1);
    expect(await balanceOf(p.accountId)).toBe("3300");
  });

  it("10 different events for the same session at once credit once", async () => {
    const p = await openPurchase(4_400);
    const answers = await Promise.all(Array.from({ length: 10 }, () => postJson(withNewId(p.completed))));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.what === "credited")).toHaveLength(1);
    expect(await entries(p.accountId)).toHaveLength(1);
    expect(await paymentsOf(p.accountId)).toHaveLength(1);
    expect(await balanceOf(p.accountId)).toBe("4400");
  });

  it("coming back from Checkout (the success page) credits nothing: it says pending until the webhook lands, then the new balance", async () => {
    const { ua, accountId, userId } = await signUpOwner(t.app.url, t.db, `returning-${randomUUID()}@example.com`);
    const c = await openCheckout(accountId, userId, "payment", 2_000);
    const before = await snapshot();
    for (let i = 0; i < 3; i++) {
      const page = await ua.get(`/settings/billing/checkout/${c.checkoutId}`);
      expect(page.status).toBe(200);
      expect(pageText(page.body)).toContain("waiting for confirmation");
    }
    expect(await snapshot()).toEqual(before);
    expect(await balanceOf(accountId)).toBe("0");

    const event = checkoutCompletedEvent({
      accountId,
      customerId: c.customerId,
      amountCents: 2_000,
      mode: "payment",
      sessionId: c.sessionId,
      metadata: { account_id: accountId, checkout_id: c.checkoutId },
    });
    expect((await postJson(event)).body).toMatchObject({ what: "credited" });
    const after = await ua.get(`/settings/billing/checkout/${c.checkoutId}`);
    expect(pageText(after.body)).toContain("$20.00 added. Your balance is now $20.00.");
  });

  it("a completed event naming another account, or a session that is not ours, credits nothing", async () => {
    const p = await openPurchase(1_500);
    const other = await accountWithKey(t.db);
    const before = await snapshot();
    const wrongAccount = structuredClone(p.completed);
    wrongAccount.id = randomId("evt_");
    wrongAccount.data.object.client_reference_id = other.accountId;
    expect((await postJson(wrongAccount)).body).toMatchObject({ status: "ignored" });
    const strangers = checkoutCompletedEvent({ accountId: p.accountId, customerId: p.customerId, amountCents: 1_500, mode: "payment", metadata: {} });
    expect((await postJson(strangers)).body).toMatchObject({ status: "ignored", why: "not a session of ours" });
    expect(await snapshot()).toEqual(before);
  });
});

describe("refunds (charge.refunded)", () => {
  it("out of order: a refund before the payment's own event is answered 409 and changes nothing; after the completed event its redelivery posts the refund", async () => {
    const p = await openPurchase(5_000);
    const refund = p.refund(5_000);
    const before = await snapshot();
    const early = await post(refund);
    expect(early.status).toBe(409);
    expect(early.headers.get("retry-after")).toBe("60");
    expect(await snapshot()).toEqual(before);

    expect((await postJson(p.completed)).body).toMatchObject({ what: "credited" });
    expect(await balanceOf(p.accountId)).toBe("5000");
    // Stripe redelivers the refund (same event id): now it is posted.
    expect((await postJson(refund)).body).toMatchObject({ status: "handled", what: "refund recorded" });
    expect(await entries(p.accountId)).toEqual([
      expect.objectContaining({ kind: "purchase", amount_cents: "5000" }),
      expect.objectContaining({ kind: "refund", amount_cents: "-5000", payment_intent_id: p.paymentIntentId }),
    ]);
    expect(await balanceOf(p.accountId)).toBe("0");
    expect(await paymentsOf(p.accountId)).toEqual([expect.objectContaining({ refunded_cents: "5000", refund_posted_cents: "5000" })]);
    expect(await postJson(refund)).toEqual({ status: 200, body: { received: true, status: "duplicate" } });
    expect(await audits(p.accountId, "billing.refunded")).toHaveLength(1);
  });

  it("a partial refund then the full one post the full amount once in all", async () => {
    const p = await openPurchase(5_000);
    await postJson(p.completed);
    expect((await postJson(p.refund(2_000))).body).toMatchObject({ what: "refund recorded" });
    expect((await postJson(p.refund(5_000, 2_000))).body).toMatchObject({ what: "refund recorded" });
    // Each delivered again with a new id (Stripe's events carry the running total): nothing more.
    await postJson(p.refund(2_000));
    await postJson(p.refund(5_000, 2_000));
    const refunds = (await entries(p.accountId)).filter((e) => e.kind === "refund").map((e) => e.amount_cents);
    expect(refunds).toEqual(["-2000", "-3000"]);
    expect(await balanceOf(p.accountId)).toBe("0");
    expect(await paymentsOf(p.accountId)).toEqual([expect.objectContaining({ refunded_cents: "5000", refund_posted_cents: "5000" })]);
  });

  it("the full refund arriving before the partial one: the full amount once, the late partial changes nothing", async () => {
    const p = await openPurchase(5_000);
    await postJson(p.completed);
    await postJson(p.refund(5_000, 2_000));
    expect((await postJson(p.refund(2_000))).body).toMatchObject({ status: "handled" });
    const refunds = (await entries(p.accountId)).filter((e) => e.kind === "refund").map((e) => e.amount_cents);
    expect(refunds).toEqual(["-5000"]);
    expect(await balanceOf(p.accountId)).toBe("0");
  });

  it("a refund that would take the balance below −$100 posts nothing and flags the account for support, once", async () => {
    const p = await openPurchase(5_000);
    await postJson(p.completed);
    // Spent the credits and $90 more (the credit limit is $100): a $50 refund would make it −$140.
    const spent = await postLedgerEntry(t.db, {
      accountId: p.accountId,
      amountCents: -14_000n,
      kind: "usage",
      idempotencyKey: "usage:spent",
      actor: { type: "system", id: null },
    });
    expect(spent.status).toBe("created");
    expect(await balanceOf(p.accountId)).toBe("-9000");
    const refund = p.refund(5_000);
    expect((await postJson(refund)).body).toMatchObject({ status: "handled" });
    expect((await entries(p.accountId)).filter((e) => e.kind === "refund")).toEqual([]);
    expect(await balanceOf(p.accountId)).toBe("-9000");
    const flags = await t.db.selectFrom("billing_flags").select(["reason", "amount_cents", "resolved_at"]).where("account_id", "=", p.accountId).execute();
    expect(flags).toEqual([{ reason: REFUND_FLOOR_FLAG, amount_cents: "5000", resolved_at: null }]);
    expect(await audits(p.accountId, "billing.refund_flagged")).toEqual([
      { actor_type: "system", details: expect.objectContaining({ amount_cents: "5000", balance_cents: "-9000" }) },
    ]);
    // Redelivered (same id, then a new one): no second flag, no second audit row.
    expect((await postJson(refund)).body).toMatchObject({ status: "duplicate" });
    await postJson(withNewId(refund));
    expect(await t.db.selectFrom("billing_flags").select("id").where("account_id", "=", p.accountId).execute()).toHaveLength(1);
    expect(await audits(p.accountId, "billing.refund_flagged")).toHaveLength(1);
    expect(await paymentsOf(p.accountId)).toEqual([expect.objectContaining({ refunded_cents: "5000", refund_posted_cents: "0" })]);
  });

  it("a partial refund flagged, then the full one: still one flag, now for the whole unposted amount", async () => {
    const p = await openPurchase(5_000);
    await postJson(p.completed);
    await postLedgerEntry(t.db, {
      accountId: p.accountId,
      amountCents: -14_500n,
      kind: "usage",
      idempotencyKey: "usage:spent",
      actor: { type: "system", id: null },
    });
    expect(await balanceOf(p.accountId)).toBe("-9500");
    await postJson(p.refund(2_000));
    await postJson(p.refund(5_000, 2_000));
    const flags = await t.db.selectFrom("billing_flags").select(["reason", "amount_cents"]).where("account_id", "=", p.accountId).execute();
    expect(flags).toEqual([{ reason: REFUND_FLOOR_FLAG, amount_cents: "5000" }]);
    // What is refunded but not in the ledger is on the payment: all of it.
    expect(await paymentsOf(p.accountId)).toEqual([expect.objectContaining({ refunded_cents: "5000", refund_posted_cents: "0" })]);
    expect(await audits(p.accountId, "billing.refund_flagged")).toHaveLength(1);
    expect((await entries(p.accountId)).filter((e) => e.kind === "refund")).toEqual([]);
  });

  it("a refund of a payment of a customer that is not ours is acknowledged and ignored", async () => {
    const before = await snapshot();
    const res = await postJson(
      chargeRefundedEvent({ paymentIntentId: randomId("pi_"), amountCents: 900, amountRefundedCents: 900, customerId: randomId("cus_") }),
    );
    expect(res).toEqual({ status: 200, body: { received: true, status: "ignored", why: "not a payment of ours" } });
    expect(await snapshot()).toEqual(before);
  });
});

describe("signatures", () => {
  const signing = new Stripe("sk_test_signing0only");

  it("forged, missing, tampered, wrong-secret and stale signatures are refused with 400 and change nothing", async () => {
    const p = await openPurchase(2_000);
    const payload = JSON.stringify(p.completed, null, 2);
    // Older than the SDK's five minutes' tolerance. (A timestamp in the future is accepted, as Stripe's SDK does: only the secret's holder can sign one.)
    const stale = signing.webhooks.generateTestHeaderString({ payload, secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    const before = await snapshot();
    const attempts: [string, Promise<Response>][] = [
      ["forged", post(p.completed, { signature: `t=${Math.floor(Date.now() / 1000)},v1=${"ab".repeat(32)}` })],
      ["no signature", post(p.completed, { signature: null })],
      ["empty signature", post(p.completed, { signature: "" })],
      ["garbage signature", post(p.completed, { signature: "hello" })],
      ["tampered body", post(p.completed, { tamper: true })],
      ["wrong secret", post(p.completed, { secret: "whsec_someone_else_entirely_0123456789" })],
      ["stale timestamp", post(p.completed, { signature: stale })],
    ];
    for (const [what, pending] of attempts) {
      const res = await pending;
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe("invalid_signature");
    }
    expect(await snapshot()).toEqual(before);
    // The genuine article still works afterwards (nothing was recorded as seen).
    expect((await postJson(p.completed)).body).toMatchObject({ what: "credited" });
  });

  it("a GET, and a POST without a body, are refused", async () => {
    const get = await fetch(`${t.app.url}/hooks/stripe`);
    expect(get.status).toBe(405);
    const empty = await fetch(`${t.app.url}/hooks/stripe`, { method: "POST" });
    expect(empty.status).toBe(400);
  });
});

describe("hostile bodies", () => {
  const raw = (body: string | Buffer, signature: string | null, contentType = "application/json") =>
    fetch(`${t.app.url}/hooks/stripe`, {
      method: "POST",
      headers: { "Content-Type": contentType, ...(signature === null ? {} : { "Stripe-Signature": signature }) },
      // A Buffer goes as its bytes (the invalid UTF-8 case); a string as UTF-8.
      body: typeof body === "string" ? body : new Blob([new Uint8Array(body)]),
    });
  const sign = (payload: string) => new Stripe("sk_test_signing0only").webhooks.generateTestHeaderString({ payload, secret: SECRET });

  it("a body over 256 KB gets 413, non-JSON and invalid UTF-8 get 400, signed or not, and nothing changes", async () => {
    const before = await snapshot();
    const huge = JSON.stringify({ id: "evt_huge", type: "charge.refunded", data: { object: { pad: "x".repeat(300 * 1024) } } });
    expect((await raw(huge, sign(huge))).status).toBe(413);
    expect((await raw("not json at all", sign("not json at all"))).status).toBe(400);
    expect((await raw("not json at all", null, "text/plain")).status).toBe(400);
    expect((await raw("[1,2,3]", sign("[1,2,3]"))).status).toBe(400);
    expect((await raw('{"id":1}', sign('{"id":1}'))).status).toBe(400);
    const badUtf8 = Buffer.concat([Buffer.from('{"id":"evt_'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    expect((await raw(badUtf8, sign(badUtf8.toString("latin1")))).status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it("NUL or a lone surrogate anywhere in a signed event (its id, type, session id, metadata) is refused with 400 and changes nothing", async () => {
    const nulUnsigned = JSON.stringify({ id: "evt_\u0000nul", type: "checkout.session.completed", data: { object: {} } });
    expect((await raw(nulUnsigned, null)).status).toBe(400);

    type Completed = ReturnType<typeof checkoutCompletedEvent>;
    const variants: [string, (e: Completed) => void][] = [
      ["NUL in metadata", (e) => void (e.data.object.metadata = { ...e.data.object.metadata, checkout_id: `${e.data.object.metadata!.checkout_id}\u0000` })],
      ["lone surrogates in metadata", (e) => void (e.data.object.metadata = { ...e.data.object.metadata, note: "\ud800", other: "\udfff\ud800" })],
      ["NUL in the event id", (e) => void (e.id = `evt_\u0000${randomId("")}`)],
      ["a lone surrogate in the event id", (e) => void (e.id = `evt_\ud800${randomId("")}`)],
      ["NUL in the session id", (e) => void ((e.data.object.id = `${e.data.object.id}\u0000`), (e.data.object.metadata = {}))],
      ["NUL in the type", (e) => void ((e as { type: string }).type = "checkout.session.completed\u0000")],
      ["NUL in a key", (e) => void ((e.data.object.metadata as Record<string, string>)["k\u0000"] = "v")],
    ];
    for (const [what, change] of variants) {
      const p = await openPurchase(1_000);
      const event = withNewId(p.completed);
      change(event);
      const before = await snapshot();
      const res = await post(event);
      expect({ what, status: res.status }).toEqual({ what, status: 400 });
      expect(await snapshot()).toEqual(before);
      // The genuine event for the same session still credits it.
      expect((await postJson(p.completed)).body).toMatchObject({ what: "credited" });
    }
  });
});

describe("saving a card (Checkout in setup mode)", () => {
  async function openSetup(a: { accountId: string; userId: string }) {
    const c = await openCheckout(a.accountId, a.userId, "setup", null);
    const setupIntentId = randomId("seti_");
    const event = checkoutCompletedEvent({
      accountId: a.accountId,
      customerId: c.customerId,
      mode: "setup",
      sessionId: c.sessionId,
      setupIntentId,
      metadata: { account_id: a.accountId, checkout_id: c.checkoutId },
    });
    return { ...c, setupIntentId, event };
  }
  const cardsOf = (accountId: string) =>
    t.db
      .selectFrom("payment_methods")
      .select(["provider", "provider_payment_method_id", "brand", "last4", "exp_month", "exp_year", "removed_at"])
      .where("account_id", "=", accountId)
      .orderBy("created_at")
      .execute();

  it("checkout.session.completed with a setup intent saves the card Stripe holds (read from the setup intent), in use; a redelivery changes nothing", async () => {
    const a = await accountWithKey(t.db);
    const s = await openSetup(a);
    const [opened] = await stripe.requests({ path: "/v1/checkout/sessions", method: "POST", idempotencyKey: `checkout:${s.checkoutId}` });
    expect(opened!.body).toMatchObject({ mode: "setup", currency: "usd", customer: s.customerId, client_reference_id: a.accountId });
    expect((await postJson(s.event)).body).toMatchObject({ status: "handled", what: "card saved" });
    const [retrieve] = await stripe.requests({ path: `/v1/setup_intents/${s.setupIntentId}`, method: "GET" });
    expect(retrieve).toBeDefined();
    const cards = await cardsOf(a.accountId);
    expect(cards).toEqual([
      {
        provider: "stripe",
        provider_payment_method_id: expect.stringMatching(/^pm_/),
        brand: "visa",
        last4: "4242",
        exp_month: expect.any(Number),
        exp_year: expect.any(Number),
        removed_at: null,
      },
    ]);
    expect(await audits(a.accountId, "billing.card_saved")).toEqual([
      { actor_type: "system", details: { brand: "visa", last4: "4242", replaced: false, rule_resumed: false } },
    ]);
    expect(await postJson(s.event)).toEqual({ status: 200, body: { received: true, status: "duplicate" } });
    expect(await cardsOf(a.accountId)).toHaveLength(1);
    const checkout = await t.db.selectFrom("checkout_sessions").select("status").where("id", "=", s.checkoutId).executeTakeFirstOrThrow();
    expect(checkout.status).toBe("complete");
  });

  it("a new card replaces the old one: the old one is marked removed and detached at Stripe; a paused saved-card rule resumes", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    const old = randomId("pm_");
    await replaceCard(t.db, a.accountId, "stripe", { paymentMethodId: old, brand: "mastercard", last4: "4444", expMonth: 1, expYear: 2030 });
    await saveRechargeRule(
      t.db,
      a.accountId,
      { enabled: true, thresholdCents: 500n, targetCents: 2_000n, paymentMethod: "saved_card" },
      { type: "system", id: null },
    );
    await recordRechargeOutcome(t.db, a.accountId, "declined: card_declined", "card_declined");
    const s = await openSetup(a);
    expect((await postJson(s.event)).body).toMatchObject({ status: "handled", what: "card replaced" });
    const cards = await cardsOf(a.accountId);
    expect(cards).toHaveLength(2);
    expect(cards[0]).toMatchObject({ provider_payment_method_id: old, removed_at: expect.any(Date) });
    expect(cards[1]).toMatchObject({ brand: "visa", last4: "4242", removed_at: null });
    const detach = await stripe.requests({ path: `/v1/payment_methods/${old}/detach`, method: "POST" });
    expect(detach).toHaveLength(1);
    expect(detach[0]!.status).toBe(200);
    const rule = await t.db.selectFrom("recharge_rules").select(["paused_reason", "enabled"]).where("account_id", "=", a.accountId).executeTakeFirstOrThrow();
    expect(rule).toEqual({ paused_reason: null, enabled: true });
    expect(await audits(a.accountId, "billing.card_saved")).toEqual([
      { actor_type: "system", details: expect.objectContaining({ replaced: true, rule_resumed: true }) },
    ]);

    // A second setup that saved the same card (Stripe's fixture card again): still one card in use, nothing detached.
    const again = await openSetup(a);
    expect((await postJson(again.event)).body).toMatchObject({ status: "handled", what: "card saved" });
    expect((await cardsOf(a.accountId)).filter((c) => c.removed_at === null)).toHaveLength(1);
    expect(await stripe.requests({ path: `/v1/payment_methods/${cards[1]!.provider_payment_method_id}/detach` })).toHaveLength(0);
  });
});
