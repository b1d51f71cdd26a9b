/**
 * Journey: paying for credits (issue 18), against the app as `npm start` runs
 * it under the test payment provider and its local checkout stand-in
 * (dev/local-checkout-server.ts, started by server/start.ts).
 *
 * On a phone, a newcomer signs up, finds Settings → Billing at $0.00 with the
 * test-provider label, adds $50 through the local checkout (the return page
 * is pending until the signed webhook lands and then follows it by itself),
 * sees the purchase in the history and the payments with its receipt, and
 * saves the approving 4242 card. On a desktop they set auto-recharge (below
 * $45, up to $60, the saved card), make a key and spend with it on /v1/usage:
 * the recharge workflow tops the balance up to $60.00. Then the card is
 * replaced by the declining 0341 card and spending again pauses the rule
 * ("the card was declined") and mails the owner once, as support sees in the
 * console's Mail.
 *
 * Without JavaScript, Add credits works end to end: the form post is a 302 to
 * the local checkout, paying comes back to the return page, and its Refresh
 * link shows the credits once they are in.
 *
 * Every wait for the webhook or a workflow polls against a deadline.
 */
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { watchPage } from "../helpers/browser.js";
import { accountOf, KEY, signIn, v1, waitFor, WORKFLOW_DEADLINE_MS } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp, type Newcomer } from "./helpers/newcomer.js";
import { checkPage, DESKTOP, PHONE, withViewport } from "./helpers/page-checks.js";
import { navTo, reloadUntilVisible, signInAsStaff } from "./helpers/staff.js";

const app = useNewcomerApp();

const TEST_LABEL = "Test payments: no real money moves. Checkout is a local test page.";
const CARD_EXPIRY = /expires \d{2}\/\d{4}/;

/** The text of an element with its whitespace collapsed (the way a person reads it). */
const text = async (l: Locator) => (await l.innerText()).replace(/\s+/g, " ").trim();

/** Settings → Billing through the settings tabs, as a person goes there. */
async function openBilling(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Billing", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Billing", exact: true }).waitFor();
}

/** The balance as the Balance card shows it. */
const balanceOf = (page: Page) => page.getByRole("region", { name: "Balance", exact: true }).locator("dd strong");

/** A row of one of the billing tables (Payments, History), by text it holds. */
const rowOf = (page: Page, section: "Payments" | "History", ...hasText: (string | RegExp)[]) => {
  let rows = page.getByRole("region", { name: section, exact: true }).locator("tbody tr");
  for (const t of hasText) rows = rows.filter({ hasText: t });
  return rows;
};

/** The newest Checkout row of the account: the id the provider's Checkout sends the browser back with. */
async function newestCheckout(a: Newcomer, accountId: string, mode: "payment" | "setup") {
  return waitFor(
    `a ${mode} checkout of the account`,
    () =>
      a.db
        .selectFrom("checkout_sessions")
        .select(["id", "status"])
        .where("account_id", "=", accountId)
        .where("mode", "=", mode)
        .orderBy("created_at", "desc")
        .executeTakeFirst(),
    (r) => r !== undefined,
  ).then((r) => r!);
}

/** On the local checkout page (its own origin), which says it is a test. */
async function atLocalCheckout(page: Page, heading: string): Promise<void> {
  await page.waitForURL((u) => u.origin !== new URL(app.url).origin && u.pathname.startsWith("/pay/cs_local_"));
  await page.getByText("Test checkout — no real money moves", { exact: true }).waitFor();
  await page.getByRole("heading", { level: 1, name: heading, exact: true }).waitFor();
}

/** Back on the app's return page for a checkout. */
async function atReturnPage(page: Page): Promise<void> {
  await page.waitForURL((u) => u.origin === new URL(app.url).origin && /^\/settings\/billing\/checkout\/[0-9a-f-]{36}$/.test(u.pathname));
}

/** Spends on /v1/usage as an integration does. */
async function spend(key: string, cents: number, idempotencyKey: string): Promise<number> {
  const r = await v1(app, key, "/v1/usage", { json: { amount_cents: cents, idempotency_key: idempotencyKey } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.balance_cents as number;
}

describe.skipIf(!chromiumPath)("customer: payments", () => {
  it(
    "sign up, add $50 through the local checkout, save a card, auto-recharge tops up on usage; a declining card pauses it and mails the owner once",
    { timeout: 360_000 },
    async () => {
      const email = "first-payment@example.com";
      const phone = await openPage(app, { contextOptions: withViewport(PHONE) });
      const desktop = await openPage(app, { contextOptions: withViewport(DESKTOP) });
      const staff = await openPage(app, { contextOptions: withViewport(DESKTOP) });
      // A second tab on the phone, open on the return page before paying (watched like the first).
      const waiting = { context: phone.context, page: await phone.context.newPage(), problems: [] as string[] };
      waiting.problems = watchPage(waiting.page);
      await journey("customer-payments", [phone, waiting, desktop, staff], async () => {
        const { page } = phone;

        // 1. Sign up (the way people do: the provider's stand-in), land, Settings → Billing.
        await signIn(page, app, "Google", email);
        await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
        const { accountId } = await accountOf(app, email);
        await openBilling(page);
        expect(await text(balanceOf(page))).toBe("$0.00");
        await page.getByText(TEST_LABEL, { exact: true }).waitFor();
        expect(await page.getByRole("region", { name: "Payments", exact: true }).innerText()).toContain("No payments yet.");

        // 2. Add credits: $50 → the local checkout (a test, $50.00).
        const credits = page.getByRole("region", { name: "Add credits", exact: true });
        await credits.getByRole("radio", { name: "$50.00", exact: true }).check();
        await credits.getByRole("button", { name: "Continue to payment" }).click();
        await atLocalCheckout(page, "Add credits");
        expect(await text(page.locator(".amount"))).toBe("$50.00");
        await checkPage(page, "payments-local-checkout-pay");

        // The return page, opened before paying (the link alone proves nothing): pending, nothing credited.
        const purchase = await newestCheckout(app, accountId, "payment");
        expect(purchase.status).toBe("open");
        await waiting.page.goto(`${app.url}/settings/billing/checkout/${purchase.id}`);
        const waitingStatus = waiting.page.getByRole("status");
        await waitingStatus.getByText("waiting for confirmation", { exact: false }).waitFor();
        expect(await text(waitingStatus)).toContain("$50.00 is added to the balance as soon as the payment provider confirms the payment.");
        expect(await waiting.page.title()).toMatch(/^Payment pending/);
        await waiting.page.getByRole("link", { name: "Refresh", exact: true }).waitFor();
        await checkPage(waiting.page, "payments-checkout-return-pending");
        expect((await accountOf(app, email)).balance_cents).toBe("0");

        // Pay: back on the return page, which shows the credits once the webhook has landed.
        await page.getByRole("button", { name: "Pay with test card (approves)" }).click();
        await atReturnPage(page);
        expect(new URL(page.url()).pathname).toBe(`/settings/billing/checkout/${purchase.id}`);
        await page.getByRole("heading", { level: 1, name: "Add credits" }).waitFor();
        const added = "$50.00 added. Your balance is now $50.00.";
        await page.getByRole("status").getByText(added, { exact: true }).waitFor({ timeout: WORKFLOW_DEADLINE_MS });
        await checkPage(page, "payments-checkout-return-complete");
        // The tab left waiting follows by itself (JavaScript refreshes it), pending → the result.
        await waitingStatus.getByText(added, { exact: true }).waitFor({ timeout: WORKFLOW_DEADLINE_MS });
        expect(await waiting.page.getByRole("link", { name: "Refresh", exact: true }).count()).toBe(0);
        await waiting.page.close();

        // Billing: the balance, the history row, the payment with its receipt.
        await page.getByRole("link", { name: "Back to Billing" }).click();
        await page.getByRole("heading", { level: 1, name: "Billing", exact: true }).waitFor();
        expect(await text(balanceOf(page))).toBe("$50.00");
        expect(await rowOf(page, "History", "Credits purchased").count()).toBe(1);
        expect(await text(rowOf(page, "History", "Credits purchased"))).toContain("+$50.00");
        const paid = rowOf(page, "Payments", "Credits purchase");
        expect(await paid.count()).toBe(1);
        const paidText = await text(paid);
        expect(paidText).toContain("$50.00");
        expect(paidText).toContain("Paid");
        const receipt = paid.getByRole("link", { name: /^Receipt/ });
        expect(await receipt.getAttribute("target")).toBe("_blank");
        const receiptHref = await receipt.getAttribute("href");
        expect(receiptHref).toMatch(/^http:\/\/[^/]+\/receipts\/pi_local_[A-Za-z0-9]+$/);
        await checkPage(page, "payments-billing-credits");
        // The receipt opens in a new tab, on the checkout's side, with the amount.
        const [receiptTab] = await Promise.all([phone.context.waitForEvent("page"), receipt.click()]);
        await receiptTab.waitForLoadState("load");
        await receiptTab.getByRole("heading", { name: "Test receipt" }).waitFor();
        expect(await text(receiptTab.locator("dl"))).toContain("Amount $50.00");
        await receiptTab.close();

        // 3. Save a card: setup Checkout → the approving 4242 card → back: saved.
        await page.getByRole("region", { name: "Saved card", exact: true }).getByText("No card is saved.").waitFor();
        await page.getByRole("button", { name: "Save a card for auto-recharge" }).click();
        await atLocalCheckout(page, "Save a test card for auto-recharge");
        await checkPage(page, "payments-local-checkout-setup");
        await page.getByRole("button", { name: "Visa •••• 4242 — always approves" }).click();
        await atReturnPage(page);
        await page.getByRole("heading", { level: 1, name: "Save a card" }).waitFor();
        const saved4242 = page.getByRole("status").getByText(/^Card saved: Visa •••• 4242, expires \d{2}\/\d{4}\.$/);
        await saved4242.waitFor({ timeout: WORKFLOW_DEADLINE_MS });
        await checkPage(page, "payments-checkout-return-card");
        await page.getByRole("link", { name: "Back to Billing" }).click();
        const cardShown = await text(page.getByRole("region", { name: "Saved card", exact: true }).locator(".saved-card"));
        expect(cardShown).toMatch(/^Visa •••• 4242, /);
        expect(cardShown).toMatch(CARD_EXPIRY);

        // --- On a desktop from here (the same person, signed in there too).
        const d = desktop.page;
        await signIn(d, app, "Google", email);
        await navTo(d, "Settings");
        await openBilling(d);
        expect(await text(balanceOf(d))).toBe("$50.00");

        // 4. The auto-recharge rule: below $45, up to $60, the saved card.
        const rule = d.getByRole("region", { name: "Auto-recharge", exact: true });
        await rule.getByLabel("Recharge automatically").check();
        await rule.getByLabel("When balance goes below ($)").fill("45");
        await rule.getByLabel("Bring balance up to ($)").fill("60");
        await rule.getByLabel("Payment method").selectOption({ label: "Saved card (Visa •••• 4242)" });
        await rule.getByRole("button", { name: "Save auto-recharge rule" }).click();
        await rule.getByRole("status").getByText("Saved.", { exact: true }).waitFor();
        expect(await rule.getByLabel("Payment method").inputValue()).toBe("saved_card");

        // 5. A key (shown once), and $10 of usage with it: $40 is below $45 → the recharge tops up to $60.
        await d.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "API Keys", exact: true }).click();
        await d.getByLabel("Key name").fill("payments meter");
        await d.getByRole("button", { name: "Create key" }).click();
        const key = await d.getByLabel("API key “payments meter”").inputValue();
        expect(key).toMatch(KEY);
        expect(await spend(key, 1000, "payments-journey-1")).toBe(4000);
        await openBilling(d);
        await reloadUntilVisible(d, balanceOf(d).getByText("$60.00", { exact: true }), WORKFLOW_DEADLINE_MS);
        expect(await text(rowOf(d, "History", "Auto-recharge"))).toContain("+$20.00");
        const recharged = rowOf(d, "Payments", "Auto-recharge");
        expect(await recharged.count()).toBe(1);
        const rechargedText = await text(recharged);
        for (const part of ["$20.00", "Visa •••• 4242", "Paid"]) expect(rechargedText).toContain(part);
        await recharged.getByRole("link", { name: /^Receipt/ }).waitFor();
        expect((await accountOf(app, email)).balance_cents).toBe("6000");

        // 6. The declining card replaces it; spending below $45 again pauses the rule and mails the owner.
        await d.getByRole("button", { name: "Replace card" }).click();
        await atLocalCheckout(d, "Save a test card for auto-recharge");
        await d.getByRole("button", { name: "Visa •••• 0341 — declines when charged" }).click();
        await atReturnPage(d);
        await d
          .getByRole("status")
          .getByText(/^Card saved: Visa •••• 0341, expires \d{2}\/\d{4}\.$/)
          .waitFor({ timeout: WORKFLOW_DEADLINE_MS });
        await d.getByRole("link", { name: "Back to Billing" }).click();
        expect(await text(d.getByRole("region", { name: "Saved card", exact: true }).locator(".saved-card"))).toMatch(/^Visa •••• 0341, /);
        expect(await rule.getByLabel("Payment method").locator("option:checked").innerText()).toBe("Saved card (Visa •••• 0341)");

        expect(await spend(key, 2000, "payments-journey-2")).toBe(4000);
        const paused = d.getByRole("alert").filter({ hasText: "Auto-recharge is paused because the card was declined." });
        await reloadUntilVisible(d, paused, WORKFLOW_DEADLINE_MS);
        expect(await text(paused)).toContain("Save another card under “Saved card”");
        expect(await text(balanceOf(d))).toBe("$40.00");
        const declined = rowOf(d, "Payments", "Auto-recharge", "Visa •••• 0341");
        expect(await declined.count()).toBe(1);
        expect(await text(declined)).toContain("Declined");
        expect(await text(declined)).not.toContain("card declined");
        await checkPage(d, "payments-billing-paused");

        // The owner has one mail about it: support reads it in the console's Mail.
        const s = staff.page;
        await signInAsStaff(s, app, "support");
        await navTo(s, "Mail");
        await s.getByRole("heading", { level: 1, name: "Mail", exact: true }).waitFor();
        const mails = s.locator("tbody tr").filter({ hasText: email }).filter({ hasText: "recharge failed" });
        expect(await mails.count()).toBe(1);
        await mails.getByRole("link", { name: "Auto-recharge is paused: your card could not be charged" }).click();
        await s.getByRole("heading", { level: 1, name: "Auto-recharge is paused: your card could not be charged" }).waitFor();
        const body = await text(s.locator("pre"));
        expect(body).toContain("the card was declined.");
        await s.getByRole("link", { name: `${app.url}/settings/billing`, exact: true }).waitFor(); // the link to fix it
      });
    },
  );

  it("without JavaScript: Add credits posts to the local checkout, paying comes back, Refresh shows the credits", { timeout: 180_000 }, async () => {
    const email = "no-script-payer@example.com";
    const p = await openPage(app, { javaScript: false, contextOptions: { ...withViewport(PHONE), javaScriptEnabled: false } });
    await journey("customer-payments-nojs", [p], async () => {
      const { page } = p;
      await signIn(page, app, "GitHub", email);
      await page.waitForURL(`${app.url}/settings/api-keys?welcome`);
      await openBilling(page);
      expect(await text(balanceOf(page))).toBe("$0.00");
      await page.getByText(TEST_LABEL, { exact: true }).waitFor();

      // An amount of one's own: "Other amount" picked, $25 typed. The post answers with a redirect to the checkout.
      const credits = page.getByRole("region", { name: "Add credits", exact: true });
      await credits.getByRole("radio", { name: "Other amount", exact: true }).check();
      await credits.getByLabel("Other amount ($)").fill("25");
      const posted = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/settings/billing");
      await credits.getByRole("button", { name: "Continue to payment" }).click();
      const answer = await posted;
      expect(answer.status()).toBe(302);
      expect(answer.headers().location).toMatch(/\/pay\/cs_local_[A-Za-z0-9]+$/);
      await atLocalCheckout(page, "Add credits");
      expect(await text(page.locator(".amount"))).toBe("$25.00");

      await page.getByRole("button", { name: "Pay with test card (approves)" }).click();
      await atReturnPage(page);
      // Pending or already done; without JavaScript nothing refreshes by itself, so a person presses Refresh.
      const added = page.getByRole("status").getByText("$25.00 added. Your balance is now $25.00.", { exact: true });
      await expect
        .poll(
          async () => {
            if (await added.isVisible()) return true;
            await page.getByRole("link", { name: "Refresh", exact: true }).click();
            await page.waitForLoadState("load");
            return added.isVisible();
          },
          { timeout: WORKFLOW_DEADLINE_MS, interval: 1_000 },
        )
        .toBe(true);
      // No checkPage here: axe needs the page's timers, which a context without JavaScript does not run (the same page is checked with JavaScript above).

      await page.getByRole("link", { name: "Back to Billing" }).click();
      await page.getByRole("heading", { level: 1, name: "Billing", exact: true }).waitFor();
      expect(await text(balanceOf(page))).toBe("$25.00");
      const paid = rowOf(page, "Payments", "Credits purchase");
      expect(await text(paid)).toContain("Paid");
      expect(await text(rowOf(page, "History", "Credits purchased"))).toContain("+$25.00");
    });
  });
});
