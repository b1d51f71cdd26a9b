/**
 * In Chromium: the email transfer as people do it. The old account's owner asks
 * in Settings → Email; the confirmation mail is read from the console's Mail
 * page (the outbox is the mailbox without SMTP); the new account's owner opens
 * the link and confirms; support approves; the new account shows the credits
 * and the old one is told, at its next page load, that it was transferred.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postLedgerEntry } from "../../app/models/ledger.server.js";
import { realActivities } from "../helpers/activities.js";
import { chromiumPath, launchChromium } from "../helpers/chromium.js";
import { useSuite } from "../helpers/suite.js";
import { screenshot, signInAtStandIn, watchPage } from "../helpers/browser.js";

const t = useSuite({ app: true, when: chromiumPath !== undefined });
let browser: Browser;

beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
});
afterAll(() => browser?.close());

const signIn = (page: Page, button: "Google" | "GitHub", email: string) => signInAtStandIn(page, t.app.url, button, email);

describe.skipIf(!chromiumPath)("email transfer journey in Chromium", () => {
  it("request → confirmation mail → confirm → approve → the new account holds the credits", async () => {
    await t.db.insertInto("staff").values({ email: "support@switchboard.test", role: "support" }).execute();
    const contexts: BrowserContext[] = [];
    const page = async () => {
      const ctx = await browser.newContext();
      contexts.push(ctx);
      return ctx.newPage();
    };
    const [oldOwner, newOwner, staff] = [await page(), await page(), await page()];
    const problems = [oldOwner, newOwner, staff].map((p) => watchPage(p, { ignoreAborted: true }));
    try {
      await signIn(newOwner, "GitHub", "fresh-start@example.com");
      await newOwner.waitForURL(/\/settings\/api-keys/);
      await signIn(oldOwner, "Google", "long-time@example.com");
      await oldOwner.waitForURL(/\/settings\/api-keys/);
      const oldAccount = await t.db
        .selectFrom("users")
        .innerJoin("memberships", "memberships.user_id", "users.id")
        .select("memberships.account_id")
        .where("users.email", "=", "long-time@example.com")
        .executeTakeFirstOrThrow();
      await postLedgerEntry(t.db, { accountId: oldAccount.account_id, amountCents: 4_321n, kind: "grant", idempotencyKey: "e2e", actor: { type: "system", id: null } });

      await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
        await oldOwner.goto(`${t.app.url}/settings/email`);
        await oldOwner.getByLabel("New email address").fill("fresh-start@example.com");
        await oldOwner.getByLabel(/I understand this account will be blocked/).check();
        await oldOwner.getByRole("button", { name: "Request the transfer" }).click();
        await oldOwner.waitForURL(/\/support\/tickets\//);

        // Support reads the outbox and hands the link on (here: the new owner opens it).
        await signIn(staff, "Google", "support@switchboard.test");
        await staff.waitForURL(`${t.app.url}/console`);
        await expect
          .poll(async () => {
            await staff.goto(`${t.app.url}/console/mail`);
            return staff.getByRole("link", { name: /Confirm that this account may receive/ }).count();
          }, { timeout: 20_000 })
          .toBe(1);
        await staff.getByRole("link", { name: /Confirm that this account may receive/ }).click();
        const link = await staff.locator('a[href*="/confirm-transfer/"]').getAttribute("href");
        expect(link).toContain(`${t.app.url}/confirm-transfer/`);

        await newOwner.goto(link!);
        await newOwner.getByRole("button", { name: "Confirm the transfer" }).click();
        await newOwner.getByText(/Confirmed/).first().waitFor();

        await staff.goto(`${t.app.url}/console/tickets`);
        await staff.locator('a[href^="/console/tickets/"]').first().click();
        await staff.getByRole("button", { name: "Approve transfer" }).waitFor({ timeout: 20_000 });
        await staff.getByRole("button", { name: "Approve transfer" }).click();
        await staff.locator(".badge.completed").first().waitFor({ timeout: 30_000 });
      });

      await newOwner.goto(`${t.app.url}/`);
      await newOwner.getByText("$43.21").first().waitFor();
      // The old owner is still on the ticket page (which refreshes itself): their next load lands on sign-in.
      await oldOwner.reload();
      await expect.poll(() => new URL(oldOwner.url()).pathname).toBe("/login");
      await oldOwner.getByText("Sign in with the email address of your new account.").waitFor();
      expect(problems.flat()).toEqual([]);
    } catch (err) {
      for (const [i, p] of [oldOwner, newOwner, staff].entries()) await screenshot(p, `transfer-journey-${i}`);
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${problems.flat().join("\n") || "none"}`);
    } finally {
      for (const c of contexts) await c.close();
    }
  });
});
