/**
 * Journey: support turns on password logins for bob's Scale account in the
 * console; bob creates a login in Settings → Members and sees its one-time
 * password once; in a fresh browser the person signs in at /login/password
 * with the account identifier, the username and that password, is made to
 * choose their own, and lands home acting on bob's account.
 */
import { describe, expect, it } from "vitest";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { demoUser, openAccountInConsole, signInAsCustomer, signInAsStaff } from "./helpers/staff.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("team password login", () => {
  it("support turns password logins on; bob creates a login; it signs in with the one-time password, changes it, acts on bob's account", async () => {
    const bob = demoUser("bob@example.com");
    const username = "ops.night-shift";
    const newPassword = "copper-lantern-meadow-58";
    // Sign-in dances navigate away while Remix may still fetch its manifest.
    const support = await openPage(app, { ignoreAborted: true });
    const owner = await openPage(app, { ignoreAborted: true });
    // A new password equal to the one-time one is refused (400) on purpose.
    const person = await openPage(app, { ignoreAborted: true, expectStatuses: [400] });
    await journey("team-password-login", [support, owner, person], async () => {
      // Before support acts, bob's members page says who turns them on.
      await signInAsCustomer(owner.page, app, bob.email);
      await owner.page.goto(`${app.url}/settings/members`);
      await owner.page.getByText("Password logins are not turned on for this account yet").waitFor();

      await signInAsStaff(support.page, app, "support");
      await openAccountInConsole(support.page, "bob@", bob.accountName);
      await support.page.getByRole("button", { name: "Turn password logins on" }).click();
      const notice = support.page.getByText(/^Password logins are on\. The account identifier is (\S+):/);
      await notice.waitFor();
      const loginId = /account identifier is (\S+):/.exec(await notice.innerText())![1]!;
      expect(loginId).toMatch(/^[a-z0-9-]+$/);
      const audit = await app.db.selectFrom("audit_log").select(["actor_type", "action"]).where("action", "like", "%password_logins%").execute();
      expect(audit.map((a) => a.actor_type)).toContain("staff");

      // bob creates the login; its one-time password is shown once.
      await owner.page.reload();
      await owner.page.getByText(`Account identifier: ${loginId}`).waitFor();
      await owner.page.getByLabel("Username").fill(username);
      await owner.page.getByRole("button", { name: "Create login" }).click();
      await owner.page.getByRole("heading", { name: `Login ${username} created` }).waitFor();
      await owner.page.getByText("Copy this password now: it will not be shown again.").waitFor();
      const oneTime = await owner.page.getByLabel(`One-time password for ${username}`).inputValue();
      expect(oneTime.length).toBeGreaterThanOrEqual(12);
      await owner.page.reload();
      await owner.page.getByRole("cell", { name: username, exact: true }).waitFor();
      expect(await owner.page.getByLabel(`One-time password for ${username}`).count()).toBe(0);
      expect(await owner.page.content()).not.toContain(oneTime);

      // The person, in their own browser.
      await person.page.goto(`${app.url}/login`);
      await person.page.getByRole("link", { name: "Sign in with a username and password (Scale and Enterprise accounts)" }).click();
      await person.page.getByRole("heading", { name: "Sign in with a username and password" }).waitFor();
      await person.page.getByLabel("Account identifier").fill(loginId);
      await person.page.getByLabel("Username").fill(username);
      await person.page.getByLabel("Password", { exact: true }).fill(oneTime);
      await person.page.getByRole("button", { name: "Sign in" }).click();
      await person.page.getByRole("heading", { name: "Choose a new password" }).waitFor();
      expect(new URL(person.page.url()).pathname).toBe("/login/password/change");
      await person.page.getByText("You signed in with a one-time password. Choose your own password to continue.").waitFor();

      // Keeping the one-time password is refused, with the reason.
      await person.page.getByLabel("One-time password").fill(oneTime);
      await person.page.getByLabel("New password", { exact: true }).fill(oneTime);
      await person.page.getByLabel("Repeat the new password").fill(oneTime);
      await person.page.getByRole("button", { name: "Set new password" }).click();
      await person.page.getByText("Choose a password different from the current one.").waitFor();

      await person.page.getByLabel("One-time password").fill(oneTime);
      await person.page.getByLabel("New password", { exact: true }).fill(newPassword);
      await person.page.getByLabel("Repeat the new password").fill(newPassword);
      await person.page.getByRole("button", { name: "Set new password" }).click();
      await person.page.getByRole("heading", { name: bob.accountName, exact: true }).waitFor();
      expect(new URL(person.page.url()).pathname).toBe("/");
      await person.page.goto(`${app.url}/settings/api-keys`);
      await person.page.getByText(`Acting on: ${bob.accountName}`).waitFor();

      // bob sees the login as active now (its own password replaced the one-time one).
      await owner.page.reload();
      const row = owner.page.getByRole("row", { name: new RegExp(username.replace(/[.-]/g, "\\$&")) });
      await row.locator(".badge.active").waitFor();
    });
  });
});
