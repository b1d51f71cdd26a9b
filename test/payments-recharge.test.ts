/**
 * Auto-recharge through Stripe (issue 18): the real recharge workflow on
 * Temporal, started by a real API debit, its activities built with the Stripe
 * provider against stripe-mock behind the idempotency proxy; what Stripe
 * decides later arrives as signed webhooks at the real app.
 *
 * stripe-mock answers every PaymentIntent create with its fixture's status,
 * requires_payment_method, whatever was asked. The provider reads a confirmed
 * intent in any state but succeeded / requires_action as "pending": Stripe has
 * not said the money moved, so nothing is credited, and its webhook
 * (payment_intent.succeeded or .payment_failed) settles the payment. That is
 * right for Stripe too (a confirm that fails answers 402, which is a decline
 * here; a 200 that is neither succeeded nor requires_action is still
 * settling), so these tests drive the outcome with the events.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../app/config.server.js";
import { createLogger } from "../app/logger.server.js";
import { ledgerSum } from "../app/models/ledger.server.js";
import { replaceCard, saveBillingCustomer } from "../app/models/billing-customers.server.js";
import { openPayment, updatePayment } from "../app/models/payments.server.js";
import { setRechargeLimits } from "../app/models/recharge-limits.server.js";
import { saveRechargeRule } from "../app/models/recharge-rules.server.js";
import { saveRechargeRuleAndCheck } from "../app/services/recharge.server.js";
import type { RechargeResult } from "../workflows/shared.js";
import { rechargeWorkflowId } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { realActivities } from "./helpers/activities.js";
import { cardErrorBody, paymentIntentEvent, randomId, signedWebhook, stripeTestEnv, TEST_WEBHOOK_SECRET } from "./helpers/stripe.js";
import { useSuite } from "./helpers/suite.js";
import { TEST_TOMBSTONE_SECRET } from "./helpers/test-secrets.js";

const stripe = stripeTestEnv();
const t = useSuite({ app: true, appEnv: stripe.appEnv });
const SYSTEM = { type: "system" as const, id: null };

const stripeActivities = () => realActivities(t.db, "http://switchboard.test", { paymentEnv: stripe.appEnv });

const debit = (key: string, amount_cents: number) =>
  fetch(`${t.app.url}/v1/usage`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount_cents, idempotency_key: randomUUID() }),
  });

/** An account with a Stripe customer, a saved card and a saved-card rule "below $10, bring up to $50". */
async function accountWithCard(opts: { balanceCents?: bigint; thresholdCents?: bigint; targetCents?: bigint } = {}) {
  const a = await accountWithKey(t.db, { balanceCents: opts.balanceCents ?? 2_000n });
  const customerId = randomId("cus_");
  const paymentMethodId = randomId("pm_");
  await saveBillingCustomer(t.db, a.accountId, "stripe", customerId);
  await replaceCard(t.db, a.accountId, "stripe", { paymentMethodId, brand: "visa", last4: "4242", expMonth: 12, expYear: 2031 });
  await saveRechargeRule(
    t.db,
    a.accountId,
    { enabled: true, thresholdCents: opts.thresholdCents ?? 1_000n, targetCents: opts.targetCents ?? 5_000n, paymentMethod: "saved_card" },
    SYSTEM,
  );
  const email = (await t.db.selectFrom("users").select("email").where("id", "=", a.userId).executeTakeFirstOrThrow()).email;
  return { ...a, customerId, paymentMethodId, email };
}
type Account = Awaited<ReturnType<typeof accountWithCard>>;

/** A debit of `cents` (from $20: $15 takes it below the $10 threshold), and the recharge run it started, to its end. */
async function rechargeAfterDebit(a: Account, cents = 1_500, activities: object = stripeActivities()) {
  const handle = t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId));
  const runOf = () =>
    handle.describe().then(
      (d) => d.runId,
      () => null,
    );
  const previous = await runOf();
  const { result, runId } = await t.temporal.runWorker(activities, async () => {
    expect((await debit(a.key, cents)).status).toBe(201);
    // The debit started a new run (the start may follow the answer): wait for it, then for its end.
    await expect.poll(runOf, { timeout: 10_000, interval: 50 }).not.toBe(previous);
    const runId = (await runOf())!;
    return { runId, result: (await t.temporal.client.workflow.getHandle(rechargeWorkflowId(a.accountId), runId).result()) as RechargeResult };
  });
  return { result, runId, idempotencyKey: `recharge:${rechargeWorkflowId(a.accountId)}:${runId}` };
}

const chargeRequests = (idempotencyKey: string) => stripe.requests({ path: "/v1/payment_intents", method: "POST", idempotencyKey });
const paymentsOf = (accountId: string) =>
  t.db
    .selectFrom("payments")
    .select(["id", "kind", "status", "amount_cents", "failure_code", "payment_intent_id", "idempotency_key", "ledger_entry_id", "receipt_url", "card_last4"])
    .where("account_id", "=", accountId)
    .orderBy("created_at")
    .execute();
const rechargeEntries = (accountId: string) =>
  t.db
    .selectFrom("ledger_entries")
    .select(["amount_cents", "payment_intent_id"])
    .where("account_id", "=", accountId)
    .where("kind", "=", "recharge")
    .orderBy("id")
    .execute();
const balanceOf = async (accountId: string) =>
  (await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirstOrThrow()).balance_cents;
const ruleOf = (accountId: string) =>
  t.db.selectFrom("recharge_rules").select(["enabled", "paused_reason", "last_outcome"]).where("account_id", "=", accountId).executeTakeFirstOrThrow();
const mailsOf = (accountId: string) =>
  t.db
    .selectFrom("mail_outbox")
    .select(["to_address", "subject", "text_body"])
    .where("related_id", "=", accountId)
    .where("kind", "=", "recharge_failed")
    .execute();
const audits = (accountId: string, action: string) =>
  t.db.selectFrom("audit_log").select(["details"]).where("target_id", "=", accountId).where("action", "=", action).execute();

/** A payment_intent.* event about the recharge's PaymentIntent, as Stripe would send it, posted to the app. */
async function settle(
  a: Account,
  type: "payment_intent.succeeded" | "payment_intent.payment_failed" | "payment_intent.requires_action",
  extra: { declineCode?: string; lastPaymentErrorCode?: string; event?: { id: string } } = {},
) {
  const [payment] = await paymentsOf(a.accountId);
  if (!payment?.payment_intent_id) throw new Error("no PaymentIntent to settle");
  const event =
    extra.event ??
    paymentIntentEvent(type, {
      paymentIntentId: payment.payment_intent_id,
      amountCents: Number(payment.amount_cents),
      customerId: a.customerId,
      paymentMethodId: a.paymentMethodId,
      metadata: { account_id: a.accountId, payment_id: payment.id, purpose: "auto_recharge" },
      declineCode: extra.declineCode,
      lastPaymentErrorCode: extra.lastPaymentErrorCode,
    });
  const res = await signedWebhook(t.app.url, event, { secret: TEST_WEBHOOK_SECRET });
  return { event, status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("an off-session recharge of the saved card", () => {
  it("charges once with the run's idempotency key, off_session and confirm, the customer and the card; pending until Stripe's payment_intent.succeeded credits it, once", async () => {
    const a = await accountWithCard();
    const { result, idempotencyKey } = await rechargeAfterDebit(a);
    expect(result).toEqual({ outcome: "pending", amountCents: "4500" });
    const sent = await chargeRequests(idempotencyKey);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.status).toBe(200);
    expect(sent[0]!.body).toMatchObject({
      amount: "4500",
      currency: "usd",
      off_session: "true",
      confirm: "true",
      customer: a.customerId,
      payment_method: a.paymentMethodId,
      metadata: { account_id: a.accountId, purpose: "auto_recharge" },
    });
    const paymentIntentId = sent[0]!.responseId;
    expect(paymentIntentId).toMatch(/^pi_/);
    const [pending] = await paymentsOf(a.accountId);
    expect(pending).toMatchObject({
      kind: "recharge",
      status: "pending",
      amount_cents: "4500",
      payment_intent_id: paymentIntentId,
      idempotency_key: idempotencyKey,
    });
    expect(sent[0]!.body).toMatchObject({ metadata: { payment_id: pending!.id } });
    expect(await rechargeEntries(a.accountId)).toEqual([]);
    expect(await balanceOf(a.accountId)).toBe("500");

    const succeeded = await settle(a, "payment_intent.succeeded");
    expect(succeeded).toMatchObject({ status: 200, body: { status: "handled", what: "credited" } });
    expect(await rechargeEntries(a.accountId)).toEqual([{ amount_cents: "4500", payment_intent_id: paymentIntentId }]);
    expect(await balanceOf(a.accountId)).toBe("5000");
    expect(await ledgerSum(t.db, a.accountId)).toBe(5_000n);
    const [paid] = await paymentsOf(a.accountId);
    expect(paid).toMatchObject({ status: "succeeded", ledger_entry_id: expect.any(String) });
    // The receipt (link, card) is read from Stripe for a webhook-settled recharge too, as for a purchase.
    expect(paid!.receipt_url).toMatch(/^https:\/\//);
    expect(paid!.card_last4).toBe("4242");
    expect(await ruleOf(a.accountId)).toEqual({ enabled: true, paused_reason: null, last_outcome: "recharged" });
    expect(await audits(a.accountId, "billing.recharged")).toHaveLength(1);

    // Replayed, and the same news in a new event: nothing more.
    expect((await settle(a, "payment_intent.succeeded", { event: succeeded.event })).body).toMatchObject({ status: "duplicate" });
    expect((await settle(a, "payment_intent.succeeded")).body).toMatchObject({ status: "handled", what: "already" });
    expect(await rechargeEntries(a.accountId)).toHaveLength(1);
    expect(await balanceOf(a.accountId)).toBe("5000");
  });

  it("while a charge is pending, another debit below the threshold charges nothing more: the pending one is waited for", async () => {
    const a = await accountWithCard();
    const first = await rechargeAfterDebit(a);
    expect(first.result).toEqual({ outcome: "pending", amountCents: "4500" });
    const second = await rechargeAfterDebit(a, 100);
    expect(second.runId).not.toBe(first.runId);
    expect(second.result).toEqual({ outcome: "not_needed" });
    expect(await chargeRequests(second.idempotencyKey)).toEqual([]);
    expect(await ruleOf(a.accountId)).toEqual({ enabled: true, paused_reason: null, last_outcome: "waiting for a pending charge" });
    await settle(a, "payment_intent.succeeded");
    expect(await rechargeEntries(a.accountId)).toHaveLength(1);
    expect(await balanceOf(a.accountId)).toBe("4900");

    // Settled: the next debit below the threshold tops up again.
    const third = await rechargeAfterDebit(a, 4_000);
    expect(third.result).toEqual({ outcome: "pending", amountCents: "4100" });
  });

  it("payment_intent.payment_failed pauses the rule with the decline code, mails the owner once and audits it; redelivered, still one mail", async () => {
    const a = await accountWithCard();
    const { result } = await rechargeAfterDebit(a);
    expect(result.outcome).toBe("pending");
    const failed = await settle(a, "payment_intent.payment_failed", { declineCode: "insufficient_funds" });
    expect(failed).toMatchObject({ status: 200, body: { status: "handled", what: "paused" } });
    expect(await ruleOf(a.accountId)).toEqual({ enabled: true, paused_reason: "insufficient_funds", last_outcome: "declined: insufficient_funds" });
    expect(await paymentsOf(a.accountId)).toEqual([expect.objectContaining({ status: "failed", failure_code: "insufficient_funds", ledger_entry_id: null })]);
    const mails = await mailsOf(a.accountId);
    expect(mails).toEqual([
      { to_address: a.email, subject: "Auto-recharge is paused: your card could not be charged", text_body: expect.stringContaining("insufficient funds") },
    ]);
    // Mailed by the webhook, from the web app: its public URL.
    expect(mails[0]!.text_body).toContain(`${t.app.config.publicUrl}/settings/billing`);
    expect(await audits(a.accountId, "billing.recharge_declined")).toEqual([
      { details: expect.objectContaining({ code: "insufficient_funds", status: "failed", provider: "stripe" }) },
    ]);
    expect((await settle(a, "payment_intent.payment_failed", { event: failed.event })).body).toMatchObject({ status: "duplicate" });
    expect((await settle(a, "payment_intent.payment_failed", { declineCode: "insufficient_funds" })).body).toMatchObject({ what: "already settled" });
    expect(await mailsOf(a.accountId)).toHaveLength(1);
    expect(await audits(a.accountId, "billing.recharge_declined")).toHaveLength(1);
    expect(await rechargeEntries(a.accountId)).toEqual([]);

    // Paused: a further debit below the threshold starts no charge.
    const before = await stripe.requests({ path: "/v1/payment_intents", method: "POST" });
    expect((await debit(a.key, 100)).status).toBe(201);
    expect(await stripe.requests({ path: "/v1/payment_intents", method: "POST" })).toHaveLength(before.length);
  });

  it("payment_intent.requires_action pauses the rule as authentication_required and mails the owner once", async () => {
    const a = await accountWithCard();
    await rechargeAfterDebit(a);
    const action = await settle(a, "payment_intent.requires_action");
    expect(action.body).toMatchObject({ status: "handled", what: "paused" });
    expect(await ruleOf(a.accountId)).toMatchObject({
      paused_reason: "authentication_required",
      last_outcome: "needs authentication: authentication_required",
    });
    expect(await paymentsOf(a.accountId)).toEqual([expect.objectContaining({ status: "requires_action", failure_code: "authentication_required" })]);
    await settle(a, "payment_intent.requires_action", { event: action.event });
    await settle(a, "payment_intent.requires_action");
    const mails = await mailsOf(a.accountId);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text_body).toContain("confirmed by you");

    // The owner confirms it with their bank: Stripe says succeeded; the credit lands and the rule runs again.
    expect((await settle(a, "payment_intent.succeeded")).body).toMatchObject({ status: "handled", what: "credited" });
    expect(await rechargeEntries(a.accountId)).toHaveLength(1);
    expect(await ruleOf(a.accountId)).toMatchObject({ paused_reason: null, last_outcome: "recharged" });
  });

  it("a 402 card_declined from Stripe: the workflow ends declined, the rule pauses with the decline code, one mail", async () => {
    const a = await accountWithCard();
    await stripe.failNext({
      failNext: 1,
      path: "/v1/payment_intents",
      method: "POST",
      status: 402,
      body: cardErrorBody({ code: "card_declined", declineCode: "insufficient_funds" }),
    });
    const { result, idempotencyKey } = await rechargeAfterDebit(a);
    expect(result).toEqual({ outcome: "declined", code: "insufficient_funds" });
    expect(await chargeRequests(idempotencyKey)).toEqual([expect.objectContaining({ status: 402, errorType: "card_error", injected: true })]);
    expect(await ruleOf(a.accountId)).toEqual({ enabled: true, paused_reason: "insufficient_funds", last_outcome: "declined: insufficient_funds" });
    expect(await paymentsOf(a.accountId)).toEqual([expect.objectContaining({ status: "failed", failure_code: "insufficient_funds" })]);
    expect(await mailsOf(a.accountId)).toHaveLength(1);
    expect(await rechargeEntries(a.accountId)).toEqual([]);
    expect(await balanceOf(a.accountId)).toBe("500");
  });

  it("a 402 authentication_required from Stripe: requires_action, paused authentication_required, one mail", async () => {
    const a = await accountWithCard();
    await stripe.failNext({ failNext: 1, path: "/v1/payment_intents", method: "POST", status: 402, body: cardErrorBody({ code: "authentication_required" }) });
    const { result } = await rechargeAfterDebit(a);
    expect(result).toEqual({ outcome: "requires_action", code: "authentication_required" });
    expect(await ruleOf(a.accountId)).toMatchObject({ paused_reason: "authentication_required" });
    expect(await paymentsOf(a.accountId)).toEqual([expect.objectContaining({ status: "requires_action", failure_code: "authentication_required" })]);
    const mails = await mailsOf(a.accountId);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text_body).toContain("confirmed by you");
  });
});

describe("a charge Stripe refuses outright (not a card error)", () => {
  it("404 resource_missing (the card was detached in Stripe's dashboard): the rule pauses with the code and the owner is mailed, instead of retrying for ever", async () => {
    const a = await accountWithCard();
    await stripe.failNext({
      failNext: 1,
      path: "/v1/payment_intents",
      method: "POST",
      status: 404,
      body: {
        error: { type: "invalid_request_error", code: "resource_missing", param: "payment_method", message: `No such PaymentMethod: '${a.paymentMethodId}'` },
      },
    });
    const { result, idempotencyKey } = await rechargeAfterDebit(a);
    expect(result).toEqual({ outcome: "declined", code: "resource_missing" });
    expect(await chargeRequests(idempotencyKey)).toHaveLength(1);
    expect(await ruleOf(a.accountId)).toMatchObject({ paused_reason: "resource_missing" });
    expect(await paymentsOf(a.accountId)).toEqual([expect.objectContaining({ status: "failed", failure_code: "resource_missing" })]);
    expect(await mailsOf(a.accountId)).toHaveLength(1);
  }, 30_000);
});

describe("charging once across lost answers and retries", () => {
  it("the charge happened at Stripe but its answer was lost: the SDK asks again with the same key and gets the first PaymentIntent back", async () => {
    const a = await accountWithCard();
    await stripe.failNext({ failNext: 1, path: "/v1/payment_intents", method: "POST", drop: "response" });
    const { result, idempotencyKey } = await rechargeAfterDebit(a);
    expect(result).toEqual({ outcome: "pending", amountCents: "4500" });
    const sent = await chargeRequests(idempotencyKey);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[0]).toMatchObject({ injected: true, replayed: false });
    expect(sent.slice(1).every((r) => r.replayed && r.status === 200)).toBe(true);
    const ids = new Set(sent.map((r) => r.responseId));
    expect(ids.size).toBe(1);
    const payments = await paymentsOf(a.accountId);
    expect(payments).toHaveLength(1);
    expect(payments[0]!.payment_intent_id).toBe(sent[0]!.responseId);

    await settle(a, "payment_intent.succeeded");
    await settle(a, "payment_intent.succeeded");
    expect(await rechargeEntries(a.accountId)).toEqual([{ amount_cents: "4500", payment_intent_id: sent[0]!.responseId }]);
    expect(await balanceOf(a.accountId)).toBe("5000");
  });

  it("the worker lost the charge activity's result: Temporal retries it, the same key returns the first PaymentIntent, one payment", async () => {
    const a = await accountWithCard();
    const real = stripeActivities();
    let calls = 0;
    const flaky = {
      ...real,
      async chargeRecharge(input: Parameters<typeof real.chargeRecharge>[0]) {
        const r = await real.chargeRecharge(input);
        if (++calls === 1) throw new Error("charged at Stripe, then the worker died before reporting it");
        return r;
      },
    };
    const { result, idempotencyKey } = await rechargeAfterDebit(a, 1_500, flaky);
    expect(calls).toBe(2);
    expect(result).toEqual({ outcome: "pending", amountCents: "4500" });
    const sent = await chargeRequests(idempotencyKey);
    expect(sent.map((r) => ({ replayed: r.replayed, status: r.status }))).toEqual([
      { replayed: false, status: 200 },
      { replayed: true, status: 200 },
    ]);
    expect(sent[1]!.responseId).toBe(sent[0]!.responseId);
    expect(await paymentsOf(a.accountId)).toEqual([expect.objectContaining({ payment_intent_id: sent[0]!.responseId, status: "pending" })]);
    await settle(a, "payment_intent.succeeded");
    expect(await rechargeEntries(a.accountId)).toHaveLength(1);
  });
});

describe("caps on auto-recharge", () => {
  const staffId = randomUUID();

  it("a per-recharge cap set by support cuts the charge to it", async () => {
    const a = await accountWithCard();
    await setRechargeLimits(t.db, a.accountId, { perRechargeCents: 1_000n, perDayCents: 500_000n }, staffId);
    const { result, idempotencyKey } = await rechargeAfterDebit(a);
    expect(result).toEqual({ outcome: "pending", amountCents: "1000" });
    expect((await chargeRequests(idempotencyKey)).map((r) => r.body.amount)).toEqual(["1000"]);
  });

  it("a day's cap used up by earlier recharges charges nothing and says so; a cap partly used charges what is left", async () => {
    const a = await accountWithCard();
    await setRechargeLimits(t.db, a.accountId, { perRechargeCents: 5_000n, perDayCents: 5_000n }, staffId);
    for (const [n, cents] of [
      [1, 3_000n],
      [2, 2_000n],
    ] as const) {
      const p = await openPayment(t.db, {
        accountId: a.accountId,
        provider: "stripe",
        kind: "recharge",
        amountCents: cents,
        idempotencyKey: `earlier:${a.accountId}:${n}`,
      });
      await updatePayment(t.db, p.id, { status: "succeeded", paymentIntentId: randomId("pi_") });
    }
    // A failed attempt today charged nothing and does not count.
    const failed = await openPayment(t.db, {
      accountId: a.accountId,
      provider: "stripe",
      kind: "recharge",
      amountCents: 4_000n,
      idempotencyKey: `earlier:${a.accountId}:f`,
    });
    await updatePayment(t.db, failed.id, { status: "failed", failureCode: "card_declined" });

    const { result, idempotencyKey } = await rechargeAfterDebit(a);
    expect(result).toEqual({ outcome: "not_needed" });
    expect(await chargeRequests(idempotencyKey)).toEqual([]);
    expect(await ruleOf(a.accountId)).toMatchObject({ last_outcome: "daily limit reached", paused_reason: null });

    const b = await accountWithCard();
    await setRechargeLimits(t.db, b.accountId, { perRechargeCents: 5_000n, perDayCents: 5_000n }, staffId);
    const p = await openPayment(t.db, {
      accountId: b.accountId,
      provider: "stripe",
      kind: "recharge",
      amountCents: 4_000n,
      idempotencyKey: `earlier:${b.accountId}`,
    });
    await updatePayment(t.db, p.id, { status: "succeeded", paymentIntentId: randomId("pi_") });
    const partly = await rechargeAfterDebit(b);
    expect(partly.result).toEqual({ outcome: "pending", amountCents: "1000" });
    expect((await chargeRequests(partly.idempotencyKey)).map((r) => r.body.amount)).toEqual(["1000"]);
  });

  it("the caps apply to the test provider too: its charge is cut to the per-recharge cap", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 2_000n });
    await saveRechargeRule(t.db, a.accountId, { enabled: true, thresholdCents: 1_000n, targetCents: 5_000n, paymentMethod: "test_card_approve" }, SYSTEM);
    await setRechargeLimits(t.db, a.accountId, { perRechargeCents: 1_000n, perDayCents: 500_000n }, staffId);
    const { result, idempotencyKey } = await rechargeAfterDebit(a as Account, 1_500, realActivities(t.db));
    expect(result).toEqual({ outcome: "recharged", amountCents: "1000" });
    const charged = await t.db.selectFrom("test_payment_charges").select("amount_cents").where("idempotency_key", "=", idempotencyKey).execute();
    expect(charged).toEqual([{ amount_cents: "1000" }]);
    expect(await balanceOf(a.accountId)).toBe("1500");
  });

  describe("saving a rule whose top-up exceeds the caps is refused", () => {
    const rule = (thresholdCents: bigint, targetCents: bigint, paymentMethod = "saved_card") => ({ enabled: true, thresholdCents, targetCents, paymentMethod });

    it("with the Stripe provider: over the default $1,000 per recharge, or an account's own cap, refused naming the target; at the cap, saved", async () => {
      const a = await accountWithCard({ balanceCents: 100_000n });
      const actor = { type: "user" as const, id: a.userId };
      const over = await saveRechargeRuleAndCheck(t.app.services, a.accountId, rule(1_000n, 1_000n + 100_001n), actor);
      expect(over).toEqual({ refused: { field: "targetDollars", message: expect.stringContaining("limit of $1,000.00 per recharge") } });
      expect(await saveRechargeRuleAndCheck(t.app.services, a.accountId, rule(1_000n, 1_000n + 100_000n), actor)).toEqual({
        resumed: false,
        recharge: "not_due",
      });

      await setRechargeLimits(t.db, a.accountId, { perRechargeCents: 5_000n, perDayCents: 2_000n }, staffId);
      const overDay = await saveRechargeRuleAndCheck(t.app.services, a.accountId, rule(1_000n, 3_001n), actor);
      expect(overDay).toEqual({ refused: { field: "targetDollars", message: expect.stringContaining("limit of $20.00 per day") } });
      // The refused rule was not saved: the one saved at the cap stands.
      expect(await t.db.selectFrom("recharge_rules").select("target_cents").where("account_id", "=", a.accountId).executeTakeFirstOrThrow()).toEqual({
        target_cents: "101000",
      });
      // A test card is not a payment method under Stripe.
      expect(await saveRechargeRuleAndCheck(t.app.services, a.accountId, rule(1_000n, 2_000n, "test_card_approve"), actor)).toMatchObject({
        refused: { field: "paymentMethod" },
      });
    });

    it("with the test provider too", async () => {
      const config = parseConfig({ NODE_ENV: "test", TOMBSTONE_SECRET: TEST_TOMBSTONE_SECRET, TEMPORAL_TASK_QUEUE: t.temporal.taskQueue });
      expect(config.payments.provider).toBe("test");
      const services = { db: t.db, temporal: t.temporal.client, config, logger: createLogger("silent", "test") };
      const a = await accountWithKey(t.db, { balanceCents: 100_000n });
      const actor = { type: "user" as const, id: a.userId };
      const over = await saveRechargeRuleAndCheck(services, a.accountId, rule(1_000n, 1_000n + 100_001n, "test_card_approve"), actor);
      expect(over).toEqual({ refused: { field: "targetDollars", message: expect.stringContaining("limit of $1,000.00 per recharge") } });
      expect(await t.db.selectFrom("recharge_rules").select("account_id").where("account_id", "=", a.accountId).execute()).toEqual([]);
      await setRechargeLimits(t.db, a.accountId, { perRechargeCents: 1_000n, perDayCents: 500_000n }, staffId);
      expect(await saveRechargeRuleAndCheck(services, a.accountId, rule(1_000n, 2_001n, "test_card_approve"), actor)).toMatchObject({
        refused: { field: "targetDollars" },
      });
      expect(await saveRechargeRuleAndCheck(services, a.accountId, rule(1_000n, 2_000n, "test_card_approve"), actor)).toEqual({
        resumed: false,
        recharge: "not_due",
      });
      // saved_card without a saved card: refused, asking for one.
      expect(await saveRechargeRuleAndCheck(services, a.accountId, rule(1_000n, 2_000n), actor)).toEqual({
        refused: { field: "paymentMethod", message: "Save a card first: auto-recharge charges the saved card." },
      });
    });
  });
});
