/**
 * Journey: support blocks bob's account from the console with a reason, in
 * its confirmation dialog (opening it changes nothing; the blockAccount
 * workflow runs on the app's own worker); bob's next page load lands on
 * sign-in saying the account is blocked, and signing in is refused; support
 * unblocks it, confirmed the same way; bob signs in again.
 */
import { describe, expect, it } from "vitest";
import { signInAtStandIn } from "../helpers/browser.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { demoUser, openAccountInConsole, signInAsCustomer, signInAsStaff, WORKFLOW_DEADLINE_MS } from "./helpers/staff.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("staff block", () => {
  it("support blocks bob; bob's next page load says so and sign-in is refused; support unblocks; bob signs in again", async () => {
    const bob = demoUser("bob@example.com");
    // The account page follows the workflow (revalidating every second): navigating on may abort one of those fetches.
    const support = await openPage(app, { ignoreAborted: true });
    const customer = await openPage(app, { ignoreAborted: true });
    await journey("staff-block", [support, customer], async () => {
      await signInAsCustomer(customer.page, app, bob.email);

      await signInAsStaff(support.page, app, "support");
      await openAccountInConsole(support.page, "bob@", bob.accountName);
      // The account's overview comes first; the block waits behind Actions and asks before it does anything.
      await support.page.getByRole("heading", { level: 2, name: "Overview" }).waitFor();
      await support.page
        .getByRole("region", { name: /^API keys of this account/ })
        .getByText(/…/)
        .first()
        .waitFor();
      const changes = () => app.db.selectFrom("account_status_changes").select("id").execute();
      const before = await changes();
      await support.page.getByRole("button", { name: "Block account" }).click();
      const blockDialog = support.page.getByRole("dialog", { name: `Block ${bob.email}?` });
      await blockDialog.waitFor();
      // Cancel closes it and focus returns to the button; nothing was asked of the workflow.
      await blockDialog.getByRole("button", { name: "Cancel" }).click();
      await blockDialog.waitFor({ state: "hidden" });
      expect(await support.page.getByRole("button", { name: "Block account" }).evaluate((el) => el === document.activeElement)).toBe(true);
      expect(await changes()).toEqual(before);
      await support.page.getByRole("button", { name: "Block account" }).click();
      await blockDialog.getByLabel("Reason", { exact: true }).selectOption("abuse");
      await blockDialog.getByLabel(/^Details/).fill("Card testing reported by the bank (ticket 4711)");
      await blockDialog.getByRole("button", { name: "Block account" }).click();
      await blockDialog.waitFor({ state: "hidden" });
      // The page follows the block until its workflow completes.
      const blockCard = support.page.locator(".card", { hasText: "Card testing reported by the bank" });
      await blockCard.locator(".badge.completed").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
      await blockCard.getByText("sessions ended: 1").waitFor();
      await support.page.getByRole("heading", { level: 1, name: bob.accountName }).locator(".badge.blocked").waitFor();

      // bob's next page load: signed out, told why.
      await customer.page.reload();
      await customer.page.waitForURL(/\/login/);
      await customer.page.getByText("This account is blocked.").waitFor();
      await customer.page.getByText("You have been signed out.").waitFor();
      // Signing in again is refused while it is blocked.
      await signInAtStandIn(customer.page, app.url, bob.provider, bob.email);
      await customer.page.waitForURL(/\/login\?error=blocked/);
      await customer.page.getByText("This account is blocked.").waitFor();

      await support.page.getByRole("button", { name: "Unblock account" }).click();
      const unblockDialog = support.page.getByRole("dialog", { name: `Unblock ${bob.email}?` });
      await unblockDialog.getByLabel("Why unblock").fill("Bank confirmed the charges were the customer's own");
      await unblockDialog.getByRole("button", { name: "Unblock account" }).click();
      const unblockCard = support.page.locator(".card", { hasText: "Bank confirmed the charges" });
      await unblockCard.locator(".badge.completed").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
      await support.page.getByRole("heading", { level: 1, name: bob.accountName }).locator(".badge.active").waitFor();

      await signInAsCustomer(customer.page, app, bob.email);
    });
  });

  it("without JavaScript the block's confirmation is a disclosure: opening it changes nothing, its form blocks; unblocking the same way", async () => {
    const dan = demoUser("dan@example.com");
    const support = await openPage(app, { javaScript: false, contextOptions: { javaScriptEnabled: false } });
    await journey("staff-block-nojs", [support], async () => {
      const { page } = support;
      await signInAsStaff(page, app, "support");
      await openAccountInConsole(page, "dan@", dan.accountName);
      const changes = () => app.db.selectFrom("account_status_changes").select("id").where("reason_text", "like", "%no script%").execute();
      // The trigger is the disclosure's summary; opening it shows the form and asks nothing of the workflow.
      const block = page.locator("details.confirm", { has: page.locator("summary", { hasText: "Block account" }) });
      await block.locator("summary").click();
      await block.getByRole("group", { name: `Block ${dan.email}?` }).waitFor();
      expect(await changes()).toEqual([]);
      await block.getByLabel("Reason", { exact: true }).selectOption("abuse");
      await block.getByLabel(/^Details/).fill("Chargebacks, checked with no script running");
      await block.getByRole("button", { name: "Block account" }).click();
      // Without JavaScript the page refreshes itself (meta refresh) until the workflow is done.
      await page.getByRole("heading", { level: 1, name: dan.accountName }).locator(".badge.blocked").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
      expect(await changes()).toHaveLength(1);

      const unblock = page.locator("details.confirm", { has: page.locator("summary", { hasText: "Unblock account" }) });
      await unblock.locator("summary").click();
      await unblock.getByLabel("Why unblock").fill("Resolved with the bank");
      await unblock.getByRole("button", { name: "Unblock account" }).click();
      await page.getByRole("heading", { level: 1, name: dan.accountName }).locator(".badge.active").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
    });
  });
});
