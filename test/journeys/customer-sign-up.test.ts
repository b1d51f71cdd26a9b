/**
 * Journeys: signing up and the provider lock, against the app as `npm start`
 * runs it.
 * - A new person signs up with Google: the welcome page shows the main key
 *   once (a reload no longer shows it), and that key works on /v1.
 * - The same email through GitHub is refused with the exact sentence, and
 *   nothing is created.
 * - The legacy LinkedIn account (carol) signs in with GitHub, is told it is now
 *   bound to GitHub, signs in with it again normally, and is refused on Google.
 */
import { describe, expect, it } from "vitest";
import { accountOf, KEY, loginAlert, signIn, signInFootprint, v1 } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();
const REFUSED = "This email is already linked to another sign-in method.";

describe.skipIf(!chromiumPath)("customer: sign up", () => {
  it("with Google shows the main key once; the same email through GitHub is refused and creates nothing", async () => {
    const email = "newcomer@example.com";
    const signUp = await openPage(app);
    const other = await openPage(app);
    await journey("customer-sign-up-google", [signUp, other], async () => {
      const { page } = signUp;
      await signIn(page, app, "Google", email);
      await expect.poll(() => page.url()).toBe(`${app.url}/settings/api-keys?welcome`);
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      await page.getByText("it will not be shown again").first().waitFor();
      const mainKey = await page.getByLabel("Your main API key").inputValue();
      expect(mainKey).toMatch(KEY);

      // The key is real: the API answers with the new account.
      const account = await accountOf(app, email);
      expect(account.provider).toBe("google");
      expect(account.status).toBe("active");
      const me = await v1(app, mainKey, "/v1/account");
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: account.accountId, plan: "build", status: "active", balance_cents: 0 });
      // Only its hash and display parts are stored.
      const stored = await app.db.selectFrom("api_keys").select(["kind", "prefix", "last4"]).where("account_id", "=", account.accountId).execute();
      expect(stored).toEqual([{ kind: "main", prefix: mainKey.slice(0, stored[0]!.prefix.length), last4: mainKey.slice(-4) }]);

      // Once: the same page loaded again no longer holds the key.
      await page.reload();
      await page.getByRole("heading", { name: "API keys" }).waitFor();
      expect(await page.getByLabel("Your main API key").count()).toBe(0);
      expect(await page.content()).not.toContain(mainKey);

      // The same person tries GitHub in another browser: refused, told which provider to use, nothing created.
      const before = await signInFootprint(app);
      await signIn(other.page, app, "GitHub", email);
      const alert = await loginAlert(other.page);
      expect(alert).toContain(REFUSED);
      expect(alert).toContain("Sign in with Google instead.");
      expect(await signInFootprint(app)).toEqual(before);
      expect((await accountOf(app, email)).provider).toBe("google");
      expect((await other.context.cookies()).filter((c) => c.name.includes("session") && c.value)).toEqual([]);
    });
  });

  it("the legacy LinkedIn account is re-bound by its first GitHub sign-in; Google is refused afterwards", async () => {
    const email = "carol@example.com";
    const first = await openPage(app);
    const again = await openPage(app);
    const google = await openPage(app);
    await journey("customer-sign-up-linkedin", [first, again, google], async () => {
      const carol = await accountOf(app, email);
      expect(carol.provider).toBe("linkedin");

      await signIn(first.page, app, "GitHub", email);
      await expect.poll(() => first.page.url()).toBe(`${app.url}/?rebound=github`);
      await first.page.getByText("Sign-in with LinkedIn has been discontinued.").waitFor();
      await first.page.getByText("Your account now signs in with GitHub; use it from now on.").waitFor();
      await first.page.getByRole("heading", { name: "Carol Chen's account" }).waitFor();
      const rebound = await accountOf(app, email);
      expect(rebound.provider).toBe("github");
      expect(rebound.accountId).toBe(carol.accountId); // the same account, not a new one
      const audit = await app.db
        .selectFrom("audit_log")
        .select("details")
        .where("action", "=", "user.provider_rebound")
        .where("target_id", "=", carol.userId)
        .execute();
      expect(audit).toHaveLength(1);

      // GitHub again: an ordinary sign-in, nothing more to tell.
      await signIn(again.page, app, "GitHub", email);
      await expect.poll(() => new URL(again.page.url()).pathname).toBe("/");
      await again.page.getByRole("heading", { name: "Carol Chen's account" }).waitFor();
      expect(await again.page.getByText("Sign-in with LinkedIn has been discontinued.").count()).toBe(0);

      // Google now: refused with the lock's sentence, pointed at GitHub, nothing created.
      const before = await signInFootprint(app);
      await signIn(google.page, app, "Google", email);
      const alert = await loginAlert(google.page);
      expect(alert).toContain(REFUSED);
      expect(alert).toContain("Sign in with GitHub instead.");
      expect(await signInFootprint(app)).toEqual(before);
      expect((await accountOf(app, email)).provider).toBe("github");
    });
  });
});
