/**
 * Journey: self-service deletion, against the app as `npm start` runs it (its
 * own worker runs the deleteAccount workflow). Alice signs in (so the sign-in
 * is fresh), goes Settings → Profile → "Delete your account", is refused for a
 * mistyped address, types hers, and lands signed out on /goodbye. The worker
 * completes the deletion (personal data erased, list subscriptions and mail
 * addresses gone, keys revoked, the tombstone written), and the same email
 * cannot sign up again through Google nor GitHub.
 */
import { describe, expect, it } from "vitest";
import { accountOf, loginAlert, signIn, signInFootprint, waitFor } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();
const TOMBSTONED = "cannot be used to create a new account";

describe.skipIf(!chromiumPath)("customer: account deletion", () => {
  it("Settings → Profile → Delete your account → /goodbye; the worker completes it; the email cannot sign up again", async () => {
    const email = "alice@example.com";
    // The mistyped address is refused with 400 on purpose; submitting navigates away while Remix may still fetch.
    const p = await openPage(app, { expectStatuses: [400], ignoreAborted: true });
    await journey("customer-deletion", [p], async () => {
      const { page } = p;
      const alice = await accountOf(app, email);

      await signIn(page, app, "Google", email);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Profile" }).click();
      await page.getByRole("heading", { name: "Privacy and Security" }).waitFor();
      await page.getByRole("link", { name: "Delete your account" }).click();
      await page.getByRole("heading", { name: "Delete your account" }).waitFor();
      await page.getByText("cannot be undone").first().waitFor();

      await page.getByLabel("Type your email address to confirm").fill("alice@example.org");
      await page.getByRole("button", { name: "Delete my account" }).click();
      await page.getByText("That is not the email address of this account.").waitFor();
      expect((await accountOf(app, email)).status).toBe("active");

      await page.getByLabel("Type your email address to confirm").fill(email);
      await page.getByRole("button", { name: "Delete my account" }).click();
      await page.getByRole("heading", { name: "Your account is being deleted" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/goodbye");
      expect((await p.context.cookies()).filter((c) => c.name.includes("session") && c.value)).toEqual([]);

      // The app's worker runs the deletion to its end.
      const deletion = await waitFor(
        "the deletion to finish",
        () => app.db.selectFrom("account_deletions").select(["status", "source", "error"]).where("account_id", "=", alice.accountId).executeTakeFirst(),
        (d) => d !== undefined && (d.status === "completed" || d.status === "failed"),
      );
      expect(deletion).toMatchObject({ status: "completed", source: "self", error: null });
      const account = await app.db.selectFrom("accounts").select("status").where("id", "=", alice.accountId).executeTakeFirstOrThrow();
      expect(account.status).toBe("deleted");
      const user = await app.db.selectFrom("users").select(["email", "name", "erased_at"]).where("id", "=", alice.userId).executeTakeFirstOrThrow();
      expect(user).toMatchObject({ email: null, name: null });
      expect(user.erased_at).not.toBeNull();
      // Unsubscribed from her three lists, then the subscriptions themselves erased.
      const lists = await app.db.selectFrom("mailing_subscriptions").select("list_id").where("user_id", "=", alice.userId).execute();
      expect(lists).toEqual([]);
      expect(await app.db.selectFrom("mail_outbox").select("id").where("to_address", "=", email).execute()).toEqual([]);
      const keys = await app.db.selectFrom("api_keys").select("status").where("account_id", "=", alice.accountId).execute();
      expect(keys.filter((k) => k.status !== "revoked")).toEqual([]);

      // The same email, through either provider, creates nothing.
      const before = await signInFootprint(app);
      await signIn(page, app, "GitHub", email);
      expect(await loginAlert(page)).toContain(TOMBSTONED);
      await signIn(page, app, "Google", email);
      expect(await loginAlert(page)).toContain(TOMBSTONED);
      expect(await signInFootprint(app)).toEqual(before);
    });
  });
});
