/**
 * Saving or enabling an auto-recharge rule while the balance is already below
 * its threshold tops up at once (issue 13, finding 9): through the real
 * Settings → Billing form, the real recharge workflow on Temporal and the test
 * payment provider, with no API call at all.
 */
import { describe, expect, it } from "vitest";
import { ledgerSum } from "../app/models/ledger.server.js";
import { rechargeWorkflowId } from "../workflows/shared.js";
import { realActivities } from "./helpers/activities.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";
import { signUpOwner } from "./helpers/sign-up.js";

const t = useSuite({ app: true });
const BILLING = "/settings/billing";

const signUp = (email: string) => signUpOwner(t.app.url, t.db, email);

const save = (ua: UserAgent, fields: Record<string, string>) =>
  ua.submit(BILLING, BILLING, { intent: "save_rule", paymentMethod: "test_card_approve", thresholdDollars: "5", targetDollars: "25", ...fields });

const balanceOf = async (accountId: string) =>
  (await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirstOrThrow()).balance_cents;
const entries = (accountId: string) =>
  t.db.selectFrom("ledger_entries").select(["kind", "amount_cents"]).where("account_id", "=", accountId).orderBy("id").execute();
const rechargeRun = (accountId: string) => t.temporal.client.workflow.getHandle(rechargeWorkflowId(accountId)).describe();
/** The recharge's credit lands within the deadline (the workflow runs on the worker meanwhile). */
const deadline = { timeout: 20_000, interval: 50 };
/** What the saved message says when a top-up starts (or should have); the page's other text mentions top-ups too (the caps). */
const TOP_UP_STARTED = /a top-up to \$[\d,.]+ has started|the top-up could not be started/;

describe("saving an auto-recharge rule below its threshold", () => {
  it("at $0, saving “below $5, bring up to $25” tops the balance up to $25 without any API call", async () => {
    const { ua, accountId } = await signUp("at-zero@example.com");
    expect(await balanceOf(accountId)).toBe("0");
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const saved = await save(ua, { enabled: "on" });
      expect(saved.status).toBe(200);
      expect(pageText(saved.body)).toContain("As the balance is already below $5.00, a top-up to $25.00 has started");
      await expect.poll(() => balanceOf(accountId), deadline).toBe("2500");
      expect(await t.temporal.client.workflow.getHandle(rechargeWorkflowId(accountId)).result()).toEqual({ outcome: "recharged", amountCents: "2500" });
    });
    expect(await entries(accountId)).toEqual([{ kind: "recharge", amount_cents: "2500" }]);
    expect(await ledgerSum(t.db, accountId)).toBe(2_500n);
    const rule = await t.db.selectFrom("recharge_rules").select("last_outcome").where("account_id", "=", accountId).executeTakeFirstOrThrow();
    expect(rule.last_outcome).toBe("recharged");
    // Saved again above the threshold now: nothing more happens.
    const again = await save(ua, { enabled: "on" });
    expect(pageText(again.body)).not.toMatch(TOP_UP_STARTED);
    expect(await entries(accountId)).toHaveLength(1);
  });

  it("a disabled rule starts nothing; enabling it later tops up at once", async () => {
    const { ua, accountId } = await signUp("enable-later@example.com");
    const off = await save(ua, {}); // an unchecked box is not sent
    expect(off.status).toBe(200);
    expect(pageText(off.body)).not.toMatch(TOP_UP_STARTED);
    await expect(rechargeRun(accountId)).rejects.toThrow(/not found/i);

    await t.temporal.runWorker(realActivities(t.db), async () => {
      const on = await save(ua, { enabled: "on" });
      expect(pageText(on.body)).toContain("a top-up to $25.00 has started");
      await expect.poll(() => balanceOf(accountId), deadline).toBe("2500");
    });
    expect(await entries(accountId)).toEqual([{ kind: "recharge", amount_cents: "2500" }]);
  });

  it("a rule whose threshold the balance is not below starts nothing", async () => {
    const { ua, accountId } = await signUp("above@example.com");
    const saved = await save(ua, { enabled: "on", thresholdDollars: "-10", targetDollars: "25" }); // $0 is not below −$10
    expect(saved.status).toBe(200);
    expect(pageText(saved.body)).toContain("Saved.");
    expect(pageText(saved.body)).not.toMatch(TOP_UP_STARTED);
    await expect(rechargeRun(accountId)).rejects.toThrow(/not found/i);
  });

  it("with a card saved through the setup checkout, a saved-card rule below its threshold charges that card; the receipt shows it", async () => {
    const { ua, accountId } = await signUp("saved-card@example.com");
    // Save the card as a person does: the form opens the local checkout, "approve" there sends the signed webhook.
    const page = (await ua.get(BILLING)).body;
    const cardForm = page.split("<form").find((f) => f.includes('value="save_card"'))!;
    const attempt = /name="attempt" value="([^"]+)"/.exec(cardForm)![1];
    const opened = await ua.request(BILLING, { form: { csrf: UserAgent.csrfFrom(cardForm), attempt, intent: "save_card" } });
    expect(opened.status).toBe(302);
    const approved = await fetch(opened.location!, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "choice=approve",
      redirect: "manual",
    });
    expect(approved.status).toBe(303);
    expect(pageText((await ua.get(BILLING)).body)).toContain("Visa •••• 4242, expires");

    await t.temporal.runWorker(realActivities(t.db), async () => {
      const saved = await save(ua, { enabled: "on", paymentMethod: "saved_card" });
      expect(saved.status).toBe(200);
      expect(pageText(saved.body)).toContain("a top-up to $25.00 has started");
      await expect.poll(() => balanceOf(accountId), deadline).toBe("2500");
    });
    expect(await entries(accountId)).toEqual([{ kind: "recharge", amount_cents: "2500" }]);
    const payments = await t.db.selectFrom("payments").select(["kind", "status", "provider_payment_method_id"]).where("account_id", "=", accountId).execute();
    expect(payments).toEqual([{ kind: "recharge", status: "succeeded", provider_payment_method_id: "pm_test_approve" }]);
    expect(pageText((await ua.get(BILLING)).body)).toMatch(/Auto-recharge \$25\.00 Visa •••• 4242 Paid Receipt/);
  });
});
