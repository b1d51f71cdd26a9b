/**
 * Journey: the owner of a GPU Cluster account (dan) invites a new address from
 * Settings → Members; the invitee opens the link from the outbox in a fresh
 * browser, signs in through the local OAuth stand-in from the invitation page,
 * and lands acting on dan's account; dan's members page then lists them.
 */
import { describe, expect, it } from "vitest";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { demoUser, linkFromOutbox, signInAsCustomer } from "./helpers/staff.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("team invitation", () => {
  it("GPU Cluster: dan invites a new address; the invitee signs in from the mailed link and acts on dan's account; dan sees them", async () => {
    const dan = demoUser("dan@example.com");
    const invited = "newhire@example.com";
    // The sign-in dance navigates away while Remix may still fetch its manifest.
    const owner = await openPage(app, { ignoreAborted: true });
    const invitee = await openPage(app, { ignoreAborted: true });
    await journey("team-invitation", [owner, invitee], async () => {
      await signInAsCustomer(owner.page, app, dan.email);
      await owner.page.goto(`${app.url}/settings/members`);
      await owner.page.getByRole("heading", { name: "Members", exact: true }).waitFor();
      await owner.page.getByText(`Acting on: ${dan.accountName}`).waitFor();
      await owner.page.getByLabel("Email address").fill(invited);
      await owner.page.getByLabel("Role").selectOption("member");
      await owner.page.getByRole("button", { name: "Send invitation" }).click();
      await owner.page.getByText(`Invitation sent to ${invited} as member.`).waitFor();
      await owner.page.getByRole("button", { name: `Revoke the invitation to ${invited}` }).waitFor();

      // The mail is kept in the outbox (no SMTP on the embedded defaults): that is the invitee's mailbox.
      const link = await linkFromOutbox(app, invited, "invitation", "/invitations/");
      expect(link.startsWith(`${app.url}/invitations/`)).toBe(true);

      const opened = await invitee.page.goto(link);
      expect(opened?.status()).toBe(200);
      await invitee.page.getByRole("heading", { name: `Join ${dan.accountName} on Switchboard` }).waitFor();
      await invitee.page.getByRole("button", { name: "Sign in with Google" }).click();
      await invitee.page.getByLabel("Email", { exact: true }).fill(invited);
      await invitee.page.getByRole("button", { name: "Continue" }).click();

      await invitee.page.waitForURL(`${app.url}/settings/members?joined`);
      await invitee.page.getByText(`You joined ${dan.accountName} as a member.`).waitFor();
      await invitee.page.getByText(`Acting on: ${dan.accountName}`).waitFor();
      // A member sees the list, not the invite form.
      expect(await invitee.page.getByRole("button", { name: "Send invitation" }).count()).toBe(0);
      // Home acts on dan's account too: the invitee got no account of their own.
      await invitee.page.goto(`${app.url}/`);
      await invitee.page.getByRole("heading", { name: dan.accountName, exact: true }).waitFor();
      const memberships = await app.db
        .selectFrom("memberships")
        .innerJoin("users", "users.id", "memberships.user_id")
        .innerJoin("accounts", "accounts.id", "memberships.account_id")
        .select(["accounts.name", "memberships.role"])
        .where("users.email", "=", invited)
        .execute();
      expect(memberships).toEqual([{ name: dan.accountName, role: "member" }]);

      await owner.page.reload();
      const row = owner.page.getByRole("row", { name: new RegExp(invited.replace(".", "\\.")) });
      await row.waitFor();
      expect(await row.getByText("member", { exact: true }).count()).toBe(1);
      await owner.page.getByText("No pending invitations.").waitFor();
    });
  });
});
