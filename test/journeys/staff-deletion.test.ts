/**
 * Journey: a deletion support starts on the person's request. Support opens
 * alice's account in the console, "Delete account (on the person's request)"
 * with a reason and the confirmation box; the deleteAccount workflow runs on
 * the app's own worker; Console → Deletions shows it, then completed with its
 * steps; alice's open session is gone and her next sign-in is refused.
 */
import { describe, expect, it } from "vitest";
import { signInAtStandIn } from "../helpers/browser.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { demoUser, openAccountInConsole, reloadUntilVisible, signInAsCustomer, signInAsStaff, WORKFLOW_DEADLINE_MS } from "./helpers/staff.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("staff deletion", () => {
  it("support deletes alice's account on her request; Deletions shows it completed with its steps; alice's sign-in is refused", async () => {
    const alice = demoUser("alice@example.com");
    const reason = "Asked by mail from her own address, ticket 2024-118";
    // The account page follows the deletion (revalidating every second): navigating on may abort one of those fetches.
    const support = await openPage(app, { ignoreAborted: true });
    const customer = await openPage(app, { ignoreAborted: true });
    await journey("staff-deletion", [support, customer], async () => {
      const { account_id: accountId } = await app.db
        .selectFrom("memberships")
        .innerJoin("users", "users.id", "memberships.user_id")
        .select("memberships.account_id")
        .where("users.email", "=", alice.email)
        .executeTakeFirstOrThrow();
      await signInAsCustomer(customer.page, app, alice.email);

      await signInAsStaff(support.page, app, "support");
      await openAccountInConsole(support.page, "alice@", alice.accountName);
      // Under the account page's Actions, behind its confirmation dialog.
      await support.page.getByRole("button", { name: "Delete this account" }).click();
      const form = support.page.getByRole("dialog", { name: `Delete ${alice.email} on the person's request?` });
      await form.getByLabel("Reason for the deletion").fill(reason);
      await form.getByLabel("I understand this cannot be undone").check();
      await form.getByRole("button", { name: "Delete this account" }).click();
      await support.page.getByText("Deletion started: the account's keys and sessions stopped working at once.").waitFor();
      await support.page.getByText(`“${reason}”`).waitFor();

      // Console → Deletions lists it at once (pending or running), then completed: it does not follow by itself, so reload.
      await support.page.getByRole("navigation").getByRole("link", { name: "Deletions", exact: true }).click();
      // The account page has a "Deletions" section and a row naming the account too: wait for the list page itself.
      await support.page.waitForURL(/\/console\/deletions(\?|$)/);
      await support.page.getByRole("heading", { level: 1, name: "Deletions", exact: true }).waitFor();
      const row = support.page.getByRole("row", { name: new RegExp(accountId) });
      await row.waitFor();
      await row.getByText("support (support@switchboard.test)").waitFor();
      await reloadUntilVisible(support.page, row.locator(".badge.completed"), WORKFLOW_DEADLINE_MS);
      const steps = row.getByRole("list", { name: "Steps" });
      for (const step of [
        /^keys and sessions revoked: \d+ keys, \d+ sessions$/,
        /^unsubscribed:product updates: database$/,
        /^unsubscribed:newsletter: database$/,
        /^unsubscribed:billing notices: database$/,
        /^confirmation queued: 1$/,
        /^confirmation sent: kept in outbox$|^confirmation sent: kept_in_outbox$/,
        /^personal data erased: /,
        /^tombstone written: 1$/,
        /^completed: deleted$/,
      ]) {
        await steps.getByRole("listitem").filter({ hasText: step }).waitFor();
      }

      // The account page says the same.
      await row.getByRole("link", { name: accountId }).click();
      await support.page.getByRole("heading", { level: 1 }).locator(".badge.deleted").waitFor();
      await support.page.getByText("This account has been deleted.").waitFor();

      // alice: her session went with her data (the erasure deletes session rows), so her next load is simply signed out;
      // and her address cannot sign in (or up) again.
      await customer.page.reload();
      await customer.page.getByRole("link", { name: "Sign in", exact: true }).waitFor();
      expect(await customer.page.getByText(alice.accountName).count()).toBe(0);
      await signInAtStandIn(customer.page, app.url, "Google", alice.email);
      await customer.page.waitForURL(/\/login\?error=/);
      await customer.page.getByText("cannot be used to create a new account").waitFor();
      const user = await app.db.selectFrom("users").select("id").where("email", "=", alice.email).executeTakeFirst();
      expect(user).toBeUndefined();
    });
  });
});
