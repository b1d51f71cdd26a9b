/**
 * In Chromium: a person given a username and a one-time password on an
 * Enterprise account signs in at /login/password, is made to choose a new
 * password, lands home acting on the account, signs out, and signs in again
 * with the new password without being asked to change it.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SYSTEM } from "../../app/models/audit.server.js";
import { createPasswordLogin, setPasswordLogins } from "../../app/models/password-logins.server.js";
import { accountWithKey } from "../helpers/accounts.js";
import { screenshot, watchPage } from "../helpers/browser.js";
import { chromiumPath, launchChromium } from "../helpers/chromium.js";
import { useSuite } from "../helpers/suite.js";

const t = useSuite({ app: true, when: chromiumPath !== undefined });
let browser: Browser;

beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.skipIf(!chromiumPath)("password login in Chromium", () => {
  it("identifier, username and one-time password → forced change → home on the account → sign out → the new password signs in directly", async () => {
    const owner = await accountWithKey(t.db, { plan: "enterprise" });
    await t.db.updateTable("accounts").set({ name: "Acme Research" }).where("id", "=", owner.accountId).execute();
    const { loginId, initialPassword } = await t.db.transaction().execute(async (trx) => {
      const on = await setPasswordLogins(trx, owner.accountId, true, SYSTEM);
      if (!on.ok || !on.loginId) throw new Error("password logins did not turn on");
      const login = await createPasswordLogin(trx, { accountId: owner.accountId, username: "ada", createdBy: owner.userId }, { type: "user", id: owner.userId });
      if (!login.ok) throw new Error(login.message);
      return { loginId: on.loginId, initialPassword: login.initialPassword };
    });
    const newPassword = "copper-lantern-meadow-58";

    const context = await browser.newContext();
    const page = await context.newPage();
    // A new password equal to the one-time one is refused (400) on purpose; submitting navigates away while Remix may still fetch.
    const problems = watchPage(page, { expectStatuses: [400], ignoreAborted: true });
    const signIn = async (password: string) => {
      await page.goto(`${t.app.url}/login`);
      await page.getByRole("link", { name: "Sign in with a username and password (Scale and Enterprise accounts)" }).click();
      await page.getByRole("heading", { name: "Sign in with a username and password" }).waitFor();
      await page.getByLabel("Account identifier").fill(loginId);
      await page.getByLabel("Username").fill("ada");
      await page.getByLabel("Password", { exact: true }).fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
    };
    try {
      await signIn(initialPassword);
      await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/login/password/change");
      await page.getByText("You signed in with a one-time password. Choose your own password to continue.").waitFor();

      // Any other page sends the restricted session back here.
      await page.goto(`${t.app.url}/settings/api-keys`);
      await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/login/password/change");

      // The form's rules are the server's: a new password the same as the one-time one is refused with the reason.
      await page.getByLabel("One-time password").fill(initialPassword);
      await page.getByLabel("New password", { exact: true }).fill(initialPassword);
      await page.getByLabel("Repeat the new password").fill(initialPassword);
      await page.getByRole("button", { name: "Set new password" }).click();
      await page.getByText("Choose a password different from the current one.").waitFor();

      await page.getByLabel("One-time password").fill(initialPassword);
      await page.getByLabel("New password", { exact: true }).fill(newPassword);
      await page.getByLabel("Repeat the new password").fill(newPassword);
      await page.getByRole("button", { name: "Set new password" }).click();
      await page.getByRole("heading", { name: "Acme Research" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/");
      await page.goto(`${t.app.url}/settings/api-keys`);
      await page.getByText("Acting on: Acme Research").waitFor();

      // Sign out (from the password page's top bar, which every password login can reach).
      await page.goto(`${t.app.url}/login/password/change`);
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByText("You are signed out.").waitFor();

      await signIn(newPassword);
      await page.getByRole("heading", { name: "Acme Research" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/");
      expect(problems).toEqual([]);
    } catch (err) {
      await screenshot(page, "password-login-journey");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${problems.join("\n") || "none"}`);
    } finally {
      await context.close();
    }
  });
});
