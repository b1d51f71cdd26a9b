/**
 * The console account page's payments (issue 18), over HTTP against the real
 * app and PostgreSQL: the mirror rows the webhooks leave behind (customer,
 * cards, payments, the rule's pause, a billing flag) shown to staff, provider
 * strings as text; support and admin change the auto-recharge caps (validated,
 * audited, behind the step-up) and resolve flags (audited); an operator only looks.
 */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { REFUND_FLOOR_FLAG } from "../app/models/payment-settlement.server.js";
import { replaceCard, saveBillingCustomer } from "../app/models/billing-customers.server.js";
import { raiseBillingFlag } from "../app/models/billing-flags.server.js";
import { openPayment, updatePayment } from "../app/models/payments.server.js";
import { recordRechargeOutcome, saveRechargeRule } from "../app/models/recharge-rules.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { seedStaffOfEachRole, staffAgent as staffAgentFor, staffIdByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { pageText, UserAgent } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});

const staffAgent = (role: "support" | "operator" | "admin") => staffAgentFor(t.app.url, role);
const SYSTEM = { type: "system" as const, id: null };

/** What the webhooks and the recharge workflow leave in the mirror for one customer. */
async function paidAccount() {
  const a = await accountWithKey(t.db, { email: "payer@example.com", balanceCents: 2_000n });
  await saveBillingCustomer(t.db, a.accountId, "stripe", "cus_Q1w2E3r4");
  await replaceCard(t.db, a.accountId, "stripe", { paymentMethodId: "pm_old", brand: "mastercard", last4: "4444", expMonth: 1, expYear: 2026 });
  await replaceCard(t.db, a.accountId, "stripe", { paymentMethodId: "pm_new", brand: "visa", last4: "4242", expMonth: 7, expYear: 2031 });

  const purchase = await openPayment(t.db, { accountId: a.accountId, provider: "stripe", kind: "purchase", amountCents: 5_000n, idempotencyKey: "checkout:1" });
  await updatePayment(t.db, purchase.id, {
    status: "succeeded",
    paymentIntentId: "pi_Purchase111",
    cardBrand: "visa",
    cardLast4: "4242",
    receiptUrl: "https://pay.stripe.com/receipts/acct_1/rcpt_1",
    refundedCents: 2_500n,
  });
  const declined = await openPayment(t.db, {
    accountId: a.accountId,
    provider: "stripe",
    kind: "recharge",
    amountCents: 3_000n,
    idempotencyKey: "recharge:wf:run",
    paymentIntentId: "pi_Declined222",
  });
  await updatePayment(t.db, declined.id, { status: "failed", failureCode: "insufficient_funds" });
  // Strings from the provider are untrusted: markup stays text, a script "receipt" is no link.
  const odd = await openPayment(t.db, { accountId: a.accountId, provider: "stripe", kind: "purchase", amountCents: 700n, idempotencyKey: "checkout:2" });
  await updatePayment(t.db, odd.id, { status: "succeeded", paymentIntentId: 'pi_<b id="x">odd</b>', receiptUrl: "javascript:alert(document.cookie)" });

  await saveRechargeRule(t.db, a.accountId, { enabled: true, thresholdCents: 500n, targetCents: 5_000n, paymentMethod: "saved_card" }, SYSTEM);
  await recordRechargeOutcome(t.db, a.accountId, "declined: insufficient_funds", "insufficient_funds");
  return { ...a, purchaseId: purchase.id };
}

async function flagged() {
  const a = await paidAccount();
  const flag = await raiseBillingFlag(t.db, { accountId: a.accountId, reason: REFUND_FLOOR_FLAG, paymentId: a.purchaseId, amountCents: 2_500n });
  return { ...a, flagId: flag.id };
}

const FLAG_TEXT =
  "A refund of $25.00 could not be posted: it would take the balance below the credit limit of −$100.00. Decide with the customer; post an adjustment if needed.";

const limitsRow = (accountId: string) =>
  t.db
    .selectFrom("billing_limits")
    .select(["max_recharge_cents", "max_daily_recharge_cents", "updated_by_staff_id"])
    .where("account_id", "=", accountId)
    .execute();
const audits = (action: string) =>
  t.db.selectFrom("audit_log").select(["actor_type", "actor_id", "target_id", "details"]).where("action", "=", action).execute();

/** Every submit button posting `intent` sits inside a `<details class="confirm">` (the page as served, before JavaScript). */
function expectConfirmed(html: string, intent: string) {
  const button = `name="intent" value="${intent}"`;
  const inside = [...html.matchAll(/<details class="confirm"[^>]*>[\s\S]*?<\/details>/g)].reduce((n, m) => n + m[0].split(button).length - 1, 0);
  expect(html.split(button).length - 1, `a ${intent} button`).toBeGreaterThan(0);
  expect(inside, `every ${intent} button inside a confirmation`).toBe(html.split(button).length - 1);
}

describe("the Payments section", () => {
  it("shows the customer (linked to the Stripe dashboard), the cards, the payments and why auto-recharge is paused, from the mirror", async () => {
    const a = await paidAccount();
    const html = (await (await staffAgent("operator")).get(`/console/accounts/${a.accountId}`)).body;
    const text = pageText(html);
    expect(html).toMatch(/<a href="https:\/\/dashboard\.stripe\.com\/customers\/cus_Q1w2E3r4" rel="noopener noreferrer">/);
    // Cards: the one in use first, then the removed one with its date.
    expect(text).toMatch(/Visa •••• 4242 07\/2031 \S+ \S+ UTC in use/);
    expect(text).toMatch(/Mastercard •••• 4444 01\/2026 \S+ \S+ UTC \S+ \S+ UTC/);
    // Payments: kind, amount, status with its code, card, PaymentIntent, refund, receipt.
    expect(text).toMatch(/Purchase Visa •••• 4242 \$50\.00 \$25\.00 refunded, not posted succeeded pi_Purchase111 Receipt of the \$50\.00 payment/);
    expect(html).toContain('<a href="https://pay.stripe.com/receipts/acct_1/rcpt_1" rel="noopener noreferrer">');
    expect(text).toMatch(/Auto-recharge \$30\.00 failed insufficient_funds pi_Declined222 /);
    // The rule: paused, and why, in words.
    expect(text).toContain("paused below $5.00, bring the balance up to $50.00, with the saved card");
    expect(text).toContain(
      "Paused because the card was declined for insufficient funds (insufficient_funds). It runs again when the customer saves a working card.",
    );
    expect(text).toContain("declined: insufficient_funds");
    // Provider strings are text: no markup of theirs, no script link.
    expect(html).toContain("pi_&lt;b id=&quot;x&quot;&gt;odd&lt;/b&gt;");
    expect(html).not.toContain('<b id="x">');
    expect(html).not.toContain("javascript:");
    expect(text).toMatch(/Purchase \$7\.00 succeeded pi_&lt;b id="x"&gt;odd&lt;\/b&gt; \d{4}-/);
  });

  it("an account that never paid: empty states, the default caps; a test-provider customer is not linked to Stripe", async () => {
    const { accountId } = await accountWithKey(t.db);
    const support = await staffAgent("support");
    const empty = pageText((await support.get(`/console/accounts/${accountId}`)).body);
    expect(empty).toContain("No customer at the payment provider yet");
    expect(empty).toContain("No card saved.");
    expect(empty).toContain("No payments yet.");
    expect(empty).toContain("No auto-recharge rule.");
    expect(empty).toContain("Per recharge $1,000.00 Per day (UTC) $5,000.00 Set by default");
    expect(empty).not.toContain("billing flag");

    await saveBillingCustomer(t.db, accountId, "test", "cus_test_local");
    const html = (await support.get(`/console/accounts/${accountId}`)).body;
    expect(pageText(html)).toContain("cus_test_local (test provider, since");
    expect(html).not.toContain("dashboard.stripe.com");
  });
});

describe("billing flags", () => {
  it("a refund below the credit limit is flagged at the top of the page; support marks it resolved (audited) and it is gone", async () => {
    const a = await flagged();
    const page = `/console/accounts/${a.accountId}`;
    const support = await staffAgent("support");
    const html = (await support.get(page)).body;
    const text = pageText(html);
    expect(text).toContain("A billing flag needs a decision");
    expect(text).toContain(FLAG_TEXT);
    expect(text).toContain("PaymentIntent pi_Purchase111");
    // At the top: before the overview.
    expect(html.indexOf(FLAG_TEXT.slice(0, 40))).toBeLessThan(html.indexOf('id="overview-h"'));
    expectConfirmed(html, "resolve_flag");

    const res = await support.request(page, { form: { csrf: UserAgent.csrfFrom(html), intent: "resolve_flag", flagId: a.flagId } });
    expect(res.status).toBe(200);
    expect(pageText(res.body)).toContain("The billing flag is marked resolved.");
    const supportId = await staffIdByEmail(t.db, "support@switchboard.test");
    expect(await audits("billing.flag_resolved")).toEqual([
      { actor_type: "staff", actor_id: supportId, target_id: a.accountId, details: { flag_id: a.flagId } },
    ]);
    const row = await t.db.selectFrom("billing_flags").select(["resolved_at", "resolved_by_staff_id"]).where("id", "=", a.flagId).executeTakeFirstOrThrow();
    expect(row.resolved_at).not.toBeNull();
    expect(row.resolved_by_staff_id).toBe(supportId);
    expect(pageText((await support.get(page)).body)).not.toContain(FLAG_TEXT);

    // Twice (another tab): refused, nothing more written.
    const again = await support.submit(page, page, { intent: "resolve_flag", flagId: a.flagId });
    expect(again.status).toBe(409);
    expect(pageText(again.body)).toContain("This flag is no longer open; nothing changed.");
    expect(await audits("billing.flag_resolved")).toHaveLength(1);
  });

  it("another account's flag or a malformed id resolves nothing", async () => {
    const a = await flagged();
    const other = await accountWithKey(t.db);
    const admin = await staffAgent("admin");
    const page = `/console/accounts/${other.accountId}`;
    expect((await admin.submit(page, page, { intent: "resolve_flag", flagId: a.flagId })).status).toBe(409);
    expect((await admin.submit(page, page, { intent: "resolve_flag", flagId: "not-a-uuid" })).status).toBe(400);
    expect(await t.db.selectFrom("billing_flags").select("id").where("resolved_at", "is", null).execute()).toHaveLength(1);
    expect(await audits("billing.flag_resolved")).toEqual([]);
  });

  it("an operator sees the flag but no button, and a POST is a 403 that resolves nothing", async () => {
    const a = await flagged();
    const page = `/console/accounts/${a.accountId}`;
    const operator = await staffAgent("operator");
    const html = (await operator.get(page)).body;
    expect(pageText(html)).toContain(FLAG_TEXT);
    expect(html).not.toContain('value="resolve_flag"');
    const res = await operator.request(page, { form: { csrf: UserAgent.csrfFrom(html), intent: "resolve_flag", flagId: a.flagId } });
    expect(res.status).toBe(403);
    expect(await t.db.selectFrom("billing_flags").select("resolved_at").where("id", "=", a.flagId).executeTakeFirstOrThrow()).toEqual({ resolved_at: null });
    expect(await audits("billing.flag_resolved")).toEqual([]);
  });
});

describe("auto-recharge caps", () => {
  it("support sets $250 per recharge and $750 per day: saved, audited with before and after, shown as set by support", async () => {
    const { accountId } = await accountWithKey(t.db);
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const html = (await support.get(page)).body;
    expectConfirmed(html, "limits");
    expect(html).toContain('name="perRechargeDollars"');
    expect(html).toContain('value="1000.00"'); // the form starts from the caps in force

    const res = await support.request(page, { form: { csrf: UserAgent.csrfFrom(html), intent: "limits", perRechargeDollars: "250", perDayDollars: "750.50" } });
    expect(res.status).toBe(200);
    expect(pageText(res.body)).toContain("Auto-recharge caps set to $250.00 per recharge, $750.50 per day (were $1,000.00 / $5,000.00, the defaults).");
    const supportId = await staffIdByEmail(t.db, "support@switchboard.test");
    expect(await limitsRow(accountId)).toEqual([{ max_recharge_cents: "25000", max_daily_recharge_cents: "75050", updated_by_staff_id: supportId }]);
    expect(await audits("billing.limits_changed")).toEqual([
      {
        actor_type: "staff",
        actor_id: supportId,
        target_id: accountId,
        details: {
          before: { per_recharge_cents: "100000", per_day_cents: "500000", default: true },
          after: { per_recharge_cents: "25000", per_day_cents: "75050", default: false },
        },
      },
    ]);
    expect(pageText((await support.get(page)).body)).toContain(
      "Per recharge $250.00 Per day (UTC) $750.50 Set by support (the defaults are $1,000.00 / $5,000.00)",
    );

    // The same caps again change nothing and write no second row.
    const same = await support.submit(page, page, { intent: "limits", perRechargeDollars: "250.00", perDayDollars: "750.5" });
    expect(same.status).toBe(200);
    expect(pageText(same.body)).toContain("nothing changed");
    expect(await audits("billing.limits_changed")).toHaveLength(1);
  });

  it.each([
    ["per recharge above per day", { perRechargeDollars: "800", perDayDollars: "500" }, "The cap per recharge cannot be above the cap per day ($500.00)."],
    ["zero", { perRechargeDollars: "0", perDayDollars: "500" }, "At least $1.00."],
    ["under a dollar a day", { perRechargeDollars: "100", perDayDollars: "0.99" }, "At least $1.00."],
    ["negative", { perRechargeDollars: "-5", perDayDollars: "500" }, "At least $1.00."],
    ["a control character", { perRechargeDollars: "12\u0007", perDayDollars: "500" }, "Enter an amount in dollars, like 1000 or 250.50."],
    ["a million a day", { perRechargeDollars: "100", perDayDollars: "1000000" }, "At most $100,000.00."],
    ["400 digits", { perRechargeDollars: "9".repeat(400), perDayDollars: "500" }, "Enter an amount in dollars, like 1000 or 250.50."],
    ["an exponent", { perRechargeDollars: "1e3", perDayDollars: "500" }, "Enter an amount in dollars, like 1000 or 250.50."],
    ["empty", { perRechargeDollars: "", perDayDollars: "500" }, "Enter an amount in dollars, like 1000 or 250.50."],
  ])("%s is a 400 with a field error and changes nothing", async (_label, fields, message) => {
    const { accountId } = await accountWithKey(t.db);
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const res = await support.submit(page, page, { intent: "limits", ...fields });
    expect(res.status).toBe(400);
    const text = pageText(res.body);
    expect(text).toContain("The caps were not changed. Fix the fields marked below.");
    expect(res.body).toMatch(new RegExp(`class="field-error" role="alert">${message.replace(/[.$()]/g, "\\$&")}<`));
    // The form comes back open (no JavaScript needed) with what was typed, minus control characters.
    expect(res.body).toMatch(/<details class="confirm" open="">[\s\S]*?name="perRechargeDollars"/);
    expect(res.body).not.toContain("\u0007");
    expect(await limitsRow(accountId)).toEqual([]);
    expect(await audits("billing.limits_changed")).toEqual([]);
  });

  it("a NUL in a field is refused before the form is read (400) and changes nothing", async () => {
    const { accountId } = await accountWithKey(t.db);
    const page = `/console/accounts/${accountId}`;
    const res = await (await staffAgent("support")).submit(page, page, { intent: "limits", perRechargeDollars: "10\u0000", perDayDollars: "500" });
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain("must not contain the NUL character");
    expect(await limitsRow(accountId)).toEqual([]);
    expect(await audits("billing.limits_changed")).toEqual([]);
  });

  it("an operator sees the caps but no form, and a POST is a 403 that changes nothing", async () => {
    const { accountId } = await accountWithKey(t.db);
    const page = `/console/accounts/${accountId}`;
    const operator = await staffAgent("operator");
    const html = (await operator.get(page)).body;
    expect(pageText(html)).toContain("Auto-recharge caps");
    expect(html).not.toContain('name="perRechargeDollars"');
    const res = await operator.request(page, { form: { csrf: UserAgent.csrfFrom(html), intent: "limits", perRechargeDollars: "5", perDayDollars: "5" } });
    expect(res.status).toBe(403);
    expect(await limitsRow(accountId)).toEqual([]);
    expect(await audits("billing.limits_changed")).toEqual([]);
  });

  it("a stale staff sign-in is asked to sign in again (step-up) and nothing changes", async () => {
    const { accountId } = await accountWithKey(t.db);
    const page = `/console/accounts/${accountId}`;
    const admin = await staffAgent("admin");
    const adminId = await staffIdByEmail(t.db, "admin@switchboard.test");
    await t.db
      .updateTable("sessions")
      .set({ created_at: sql`now() - make_interval(mins => 11)` })
      .where("staff_id", "=", adminId)
      .execute();
    const res = await admin.submit(page, page, { intent: "limits", perRechargeDollars: "10", perDayDollars: "20" });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${t.app.url}${page}`);
    expect(pageText((await admin.follow(res)).body)).toContain(
      "For your security, “Change caps” needs a sign-in from the last 10 minutes. Nothing was changed.",
    );
    expect(await limitsRow(accountId)).toEqual([]);
    expect(await audits("billing.limits_changed")).toEqual([]);
  });
});
