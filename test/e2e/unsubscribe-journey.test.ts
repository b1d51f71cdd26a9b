/**
 * In Chromium: a list mail kept in the outbox (Console → Mail), its
 * unsubscribe link opened in a browser with no session, the confirm button
 * clicked (a plain form post from a page that hides its URL from Referer).
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueMail } from "../../app/mail/mailer.server.js";
import { listMail } from "../../app/mailing/list-mail.server.js";
import { setUserSubscriptions } from "../../app/models/mailing.server.js";
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

describe.skipIf(!chromiumPath)("one-click unsubscribe in Chromium", () => {
  it("admin finds the list mail in Console → Mail; its link, opened signed out, unsubscribes", async () => {
    const person = await accountWithKey(t.db, { email: "reader@example.com" });
    const [subscriptionId] = await setUserSubscriptions(t.db, person.userId, new Set(["newsletter"]), { type: "user", id: person.userId });
    await enqueueMail(
      t.db,
      listMail({
        publicUrl: t.app.url,
        secrets: t.app.config.unsubscribe.secrets,
        mailingId: "00000000-0000-4000-8000-000000000001",
        list: { id: "newsletter", name: "Newsletter" },
        subscriptionId: subscriptionId!,
        to: "reader@example.com",
        subject: "November newsletter",
        text: "Hello.",
      }),
      "outbox",
    );
    await t.db.insertInto("staff").values({ email: "admin@switchboard.test", role: "admin" }).execute();

    const staffCtx = await browser.newContext();
    const staff = await staffCtx.newPage();
    const readerCtx = await browser.newContext();
    const reader = await readerCtx.newPage();
    const problems = [...watchPage(staff)];
    const readerProblems = watchPage(reader);
    try {
      await signInAtStandIn(staff, t.app.url, "GitHub", "admin@switchboard.test");
      await staff.waitForURL(/\/console/);
      await staff.goto(`${t.app.url}/console/mail`);
      await staff.getByRole("link", { name: "November newsletter" }).click();
      await staff.getByText("List-Unsubscribe-Post").waitFor();
      const link = /\/unsubscribe\/[A-Za-z0-9._-]+/.exec(await staff.content())![0];

      await reader.goto(`${t.app.url}${link}`);
      await reader.getByRole("heading", { name: /from Newsletter\?/ }).waitFor();
      await reader.getByRole("button", { name: "Unsubscribe" }).click();
      await reader.getByText("You are unsubscribed from Newsletter").first().waitFor();
      const row = await t.db.selectFrom("mailing_subscriptions").select("subscribed").where("id", "=", subscriptionId!).executeTakeFirstOrThrow();
      expect(row.subscribed).toBe(false);
      expect([...problems, ...readerProblems]).toEqual([]);
    } catch (err) {
      await screenshot(staff, "unsubscribe-journey-staff");
      await screenshot(reader, "unsubscribe-journey-reader");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${[...problems, ...readerProblems].join("\n") || "none"}`);
    } finally {
      await staffCtx.close();
      await readerCtx.close();
    }
  });
});
