/**
 * Journey: self-service deletion when the sign-in is older than the 10 minutes
 * deletion allows — the usual case, since people rarely delete right after
 * signing in. With JavaScript on, Alice goes Settings → Profile → "Delete your
 * account" and is offered "Sign in again" (no error page, no console error:
 * issue 13, the component once called a `.server` function that is undefined
 * in the browser). She signs in again, comes back to the page, types her email
 * and lands on /goodbye; the worker completes the deletion.
 */
import { describe, expect, it } from "vitest";
import { accountOf, ageSignIns, signIn, waitFor } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();
const STALE = "For your security, sign in again first";

describe.skipIf(!chromiumPath)("customer: account deletion after a sign-in older than 10 minutes", () => {
  it("Delete your account offers Sign in again; after it, the deletion goes through to /goodbye", async () => {
    const email = "alice@example.com";
    const p = await openPage(app);
    await journey("customer-deletion-stale", [p], async () => {
      const { page } = p;
      const alice = await accountOf(app, email);

      await signIn(page, app, "Google", email);
      // Eleven minutes later, as far as the app can tell.
      expect(await ageSignIns(app, alice.userId, 11)).toBe(1);

      // Client-side navigation: the page is rendered by the browser's copy of the route.
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Profile" }).click();
      await page.getByRole("heading", { name: "Privacy and Security" }).waitFor();
      await page.getByRole("link", { name: "Delete your account" }).click();
      // Either the offer or the error page, so a crash fails at once and says why.
      await page.getByText(STALE).or(page.getByText("Something went wrong")).first().waitFor();
      expect(p.problems).toEqual([]);
      await page.getByRole("heading", { name: "Delete your account" }).waitFor();
      expect(await page.getByText("Something went wrong").count()).toBe(0);
      expect(await page.getByLabel("Type your email address to confirm").count()).toBe(0);

      // Reloaded (server-rendered, then hydrated once the route's script has loaded) it says the same.
      await page.reload({ waitUntil: "networkidle" });
      await page.getByText(STALE).waitFor();
      expect(await page.getByText("Something went wrong").count()).toBe(0);
      expect(p.problems).toEqual([]);

      await page.getByRole("button", { name: "Sign in again with Google" }).click();
      await page.getByLabel("Email", { exact: true }).fill(email);
      await page.getByRole("button", { name: "Continue" }).click();
      await page.waitForURL((u) => u.origin === new URL(app.url).origin && u.pathname === "/settings/delete-account");
      await page.getByRole("heading", { name: "Delete your account" }).waitFor();

      await page.getByLabel("Type your email address to confirm").fill(email);
      await page.getByRole("button", { name: "Delete my account" }).click();
      await page.getByRole("heading", { name: "Your account is being deleted" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/goodbye");

      const deletion = await waitFor(
        "the deletion to finish",
        () => app.db.selectFrom("account_deletions").select(["status", "source", "error"]).where("account_id", "=", alice.accountId).executeTakeFirst(),
        (d) => d !== undefined && (d.status === "completed" || d.status === "failed"),
      );
      expect(deletion).toMatchObject({ status: "completed", source: "self", error: null });
    });
  });
});
