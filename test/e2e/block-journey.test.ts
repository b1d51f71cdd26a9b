/**
 * In Chromium: a user signs in through the local OAuth stand-in; a support
 * staff member signs in, finds the account and blocks it (a real workflow on a
 * real worker); the user's next page load lands on sign-in saying it is blocked.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

describe.skipIf(!chromiumPath)("block journey in Chromium", () => {
  it("user signs in; staff blocks the account; the user's next page load shows the blocked message", async () => {
    await t.db.insertInto("staff").values({ email: "support@switchboard.test", role: "support" }).execute();
    const userCtx = await browser.newContext();
    const staffCtx = await browser.newContext();
    const user = await userCtx.newPage();
    const staff = await staffCtx.newPage();
    const problems = [...[user, staff].map((p) => watchPage(p))];
    try {
      await signIn(user, "Google", "victim@example.com");
      // A sign-up lands on its API keys page, which shows the new main key once.
      await expect.poll(() => user.url()).toBe(`${t.app.url}/settings/api-keys?welcome`);
      await user.getByText("Acting on: victim's account").waitFor();

      await t.temporal.runWorker(realActivities(t.db), async () => {
        await signIn(staff, "GitHub", "support@switchboard.test");
        await staff.waitForURL(`${t.app.url}/console`);
        await staff.getByRole("link", { name: "Accounts" }).click();
        await staff.getByLabel("Search by email (any part) or account id").fill("victim@");
        await staff.getByRole("button", { name: "Search" }).click();
        await staff.getByRole("link", { name: "victim's account" }).click();
        await staff.getByLabel("Reason", { exact: true }).selectOption("abuse");
        await staff.getByLabel(/Details/).fill("Card testing reported by the bank");
        await staff.getByRole("button", { name: "Block account" }).click();
        // The page follows the workflow until it completes.
        await staff.locator("text=completed").first().waitFor({ timeout: 30_000 });
        await staff.getByRole("heading", { name: /victim's account/ }).locator(".badge.blocked").waitFor();
      });

      await user.reload();
      await expect.poll(() => new URL(user.url()).pathname).toBe("/login");
      await user.getByText("This account is blocked.").waitFor();
      await user.getByText("You have been signed out.").waitFor();

      expect(problems.flat()).toEqual([]);
    } catch (err) {
      await screenshot(user, "block-journey-user");
      await screenshot(staff, "block-journey-staff");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${problems.flat().join("\n") || "none"}`);
    } finally {
      await userCtx.close();
      await staffCtx.close();
    }
  });
});
