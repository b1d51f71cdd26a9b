/**
 * Journey: support blocks bob's account from the console with a reason (the
 * blockAccount workflow on the app's own worker); bob's next page load lands
 * on sign-in saying the account is blocked, and signing in is refused; support
 * unblocks it; bob signs in again.
 */
import { describe, it } from "vitest";
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
      await support.page.getByLabel("Reason", { exact: true }).selectOption("abuse");
      await support.page.getByLabel(/^Details/).fill("Card testing reported by the bank (ticket 4711)");
      await support.page.getByRole("button", { name: "Block account" }).click();
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

      await support.page.getByLabel("Why unblock").fill("Bank confirmed the charges were the customer's own");
      await support.page.getByRole("button", { name: "Unblock account" }).click();
      const unblockCard = support.page.locator(".card", { hasText: "Bank confirmed the charges" });
      await unblockCard.locator(".badge.completed").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
      await support.page.getByRole("heading", { level: 1, name: bob.accountName }).locator(".badge.active").waitFor();

      await signInAsCustomer(customer.page, app, bob.email);
    });
  });
});
