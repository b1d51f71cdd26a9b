/**
 * Journey: one-click unsubscribe from a mail in the outbox, against the app as
 * `npm start` runs it. The admin opens Console → Mail and the seeded
 * product-updates mail to alice; its unsubscribe link (the same one its
 * List-Unsubscribe header carries) is followed in a browser with no session;
 * pressing Unsubscribe says so; alice's Settings → Notifications then shows
 * Product updates unticked and her other lists as they were, and bob (who got
 * the same mail) is still subscribed.
 */
import { describe, expect, it } from "vitest";
import { accountOf, signIn } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("customer: one-click unsubscribe", () => {
  it("Console → Mail → the list mail's link, signed out → Unsubscribe; alice's Notifications show it unticked", async () => {
    const admin = await openPage(app);
    const reader = await openPage(app);
    const alice = await openPage(app);
    await journey("customer-unsubscribe", [admin, reader, alice], async () => {
      const subscriptions = async (email: string) => {
        const { userId } = await accountOf(app, email);
        const rows = await app.db
          .selectFrom("mailing_subscriptions")
          .select(["list_id", "subscribed"])
          .where("user_id", "=", userId)
          .orderBy("list_id")
          .execute();
        return Object.fromEntries(rows.map((r) => [r.list_id, r.subscribed]));
      };
      expect(await subscriptions("alice@example.com")).toEqual({ billing_notices: true, newsletter: true, product_updates: true });

      // The admin reads the outbox in the console.
      const ap = admin.page;
      await signIn(ap, app, "GitHub", "admin@switchboard.test");
      await expect.poll(() => new URL(ap.url()).pathname).toBe("/console");
      await ap.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Mail" }).click();
      await ap.getByRole("heading", { name: "Mail" }).waitFor();
      await ap.getByRole("row").filter({ hasText: "alice@example.com" }).getByRole("link", { name: "What's new in Switchboard" }).click();
      await ap.getByRole("heading", { name: "What's new in Switchboard" }).waitFor();
      const header = await ap
        .locator("dt", { hasText: /^List-Unsubscribe$/ })
        .locator("xpath=following-sibling::dd[1]")
        .innerText();
      expect(
        await ap
          .locator("dt", { hasText: /^List-Unsubscribe-Post$/ })
          .locator("xpath=following-sibling::dd[1]")
          .innerText(),
      ).toBe("List-Unsubscribe=One-Click");
      const link = await ap.getByRole("region", { name: "Message" }).locator('a[href*="/unsubscribe/"]').getAttribute("href");
      expect(link).toMatch(new RegExp(`^${app.url}/unsubscribe/[A-Za-z0-9._-]+$`));
      expect(header.trim()).toBe(`<${link}>`);

      // Followed with no session, as from a mail client.
      const rp = reader.page;
      await rp.goto(link!);
      await rp.getByRole("heading", { name: /from Product updates\?$/ }).waitFor();
      expect(await rp.content()).not.toContain("alice@example.com"); // the address is masked on a page anyone with the link sees
      await rp.getByRole("button", { name: "Unsubscribe" }).click();
      await rp.getByRole("heading", { name: "You are unsubscribed from Product updates" }).waitFor();
      expect(await subscriptions("alice@example.com")).toEqual({ billing_notices: true, newsletter: true, product_updates: false });
      expect(await subscriptions("bob@example.com")).toEqual({ product_updates: true });

      // Alice sees it in Settings → Notifications.
      const lp = alice.page;
      await signIn(lp, app, "Google", "alice@example.com");
      await lp.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      await lp.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Notifications" }).click();
      await lp.getByRole("heading", { name: "Notifications" }).waitFor();
      expect(await lp.getByRole("checkbox", { name: /Product updates/ }).isChecked()).toBe(false);
      expect(await lp.getByRole("checkbox", { name: /Newsletter/ }).isChecked()).toBe(true);
      expect(await lp.getByRole("checkbox", { name: /Billing notices/ }).isChecked()).toBe(true);
    });
  });
});
