/**
 * In Chromium: the owner of a GPU Cluster account invites new@example.com from
 * Settings → Members; in a fresh browser the invitee opens the link from the
 * outbox mail, presses the page's own "Sign in with Google", picks that
 * address at the local OAuth stand-in, and lands acting on the inviting
 * account; the owner's members page then lists them.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountWithKey } from "../helpers/accounts.js";
import { screenshot, signInAtStandIn, watchPage } from "../helpers/browser.js";
import { chromiumPath, launchChromium } from "../helpers/chromium.js";
import { useSuite } from "../helpers/suite.js";

const t = useSuite({ app: true, when: chromiumPath !== undefined });
let browser: Browser;

beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.skipIf(!chromiumPath)("invitation journey in Chromium", () => {
  it("owner invites → invitee opens the mailed link, signs in with Google as that address → acts on the account; the owner sees them", async () => {
    const made = await accountWithKey(t.db, { plan: "gpu_cluster", email: "owner@example.com" });
    await t.db.updateTable("accounts").set({ name: "Acme Research" }).where("id", "=", made.accountId).execute();

    const ownerContext = await browser.newContext();
    const inviteeContext = await browser.newContext();
    const owner = await ownerContext.newPage();
    const invitee = await inviteeContext.newPage();
    // The sign-in dance navigates away while Remix may still fetch its manifest.
    const ownerProblems = watchPage(owner, { ignoreAborted: true });
    const inviteeProblems = watchPage(invitee, { ignoreAborted: true });
    let current = owner;
    try {
      await signInAtStandIn(owner, t.app.url, "Google", "owner@example.com");
      await owner.waitForURL(`${t.app.url}/`);
      await owner.goto(`${t.app.url}/settings/members`);
      await owner.getByRole("heading", { name: "Members", exact: true }).waitFor();
      await owner.getByText("Acting on: Acme Research").waitFor();
      await owner.getByLabel("Email address").fill("new@example.com");
      await owner.getByLabel("Role").selectOption("member");
      await owner.getByRole("button", { name: "Send invitation" }).click();
      await owner.getByText("Invitation sent to new@example.com as member.").waitFor();
      await owner.getByRole("button", { name: "Revoke the invitation to new@example.com" }).waitFor();

      const mail = await t.db
        .selectFrom("mail_outbox")
        .select("text_body")
        .where("kind", "=", "invitation")
        .where("to_address", "=", "new@example.com")
        .executeTakeFirstOrThrow();
      const link = /https?:\/\/\S+\/invitations\/[A-Za-z0-9_-]{43}/.exec(mail.text_body)?.[0];
      expect(link).toBeDefined();

      current = invitee;
      const opened = await invitee.goto(link!);
      expect(opened?.status()).toBe(200);
      expect(opened?.headers()["cache-control"]).toBe("no-store");
      expect(opened?.headers()["referrer-policy"]).toBe("strict-origin");
      await invitee.getByRole("heading", { name: "Join Acme Research on Switchboard" }).waitFor();
      await invitee.getByText("n…@example.com").first().waitFor();
      await invitee.getByRole("button", { name: "Sign in with Google" }).click();
      await invitee.getByLabel("Email", { exact: true }).fill("new@example.com");
      await invitee.getByRole("button", { name: "Continue" }).click();

      await invitee.waitForURL(`${t.app.url}/settings/members?joined`);
      await invitee.getByText("You joined Acme Research as a member.").waitFor();
      await invitee.getByText("Acting on: Acme Research").waitFor();
      // A member sees the list, not the invite form.
      expect(await invitee.getByRole("button", { name: "Send invitation" }).count()).toBe(0);
      const user = await t.db.selectFrom("users").select("id").where("email", "=", "new@example.com").executeTakeFirstOrThrow();
      const memberships = await t.db.selectFrom("memberships").select(["account_id", "role"]).where("user_id", "=", user.id).execute();
      expect(memberships).toEqual([{ account_id: made.accountId, role: "member" }]);

      current = owner;
      await owner.reload();
      const row = owner.getByRole("row", { name: /new@example\.com/ });
      await row.waitFor();
      expect(await row.getByText("member", { exact: true }).count()).toBe(1);
      await owner.getByText("No pending invitations.").waitFor();

      expect(ownerProblems).toEqual([]);
      expect(inviteeProblems).toEqual([]);
    } catch (err) {
      await screenshot(current, "invitation-journey");
      throw new Error(
        `${err instanceof Error ? err.message : String(err)}\nOwner page problems: ${ownerProblems.join("\n") || "none"}\nInvitee page problems: ${inviteeProblems.join("\n") || "none"}`,
      );
    } finally {
      await ownerContext.close();
      await inviteeContext.close();
    }
  });
});
