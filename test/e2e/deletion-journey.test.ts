/**
 * In Chromium: a person deletes their own account from Settings → Profile,
 * typing their email, lands signed out on the "under way" page, a worker
 * finishes the deletion, and signing up again with the same email is refused.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteWorkflowId } from "../../workflows/shared.js";
import { realActivities } from "../helpers/activities.js";
import { screenshot, signInAtStandIn, watchPage } from "../helpers/browser.js";
import { chromiumPath, launchChromium } from "../helpers/chromium.js";
import { useSuite } from "../helpers/suite.js";

const t = useSuite({ app: true, when: chromiumPath !== undefined });
let browser: Browser;

beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.skipIf(!chromiumPath)("self-service deletion in Chromium", () => {
  it("profile → delete your account → typed email → signed out to the confirmation; the same email cannot sign up again", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The wrong address is refused (400) on purpose; submitting navigates away while Remix may still fetch its manifest.
    const problems = watchPage(page, { expectStatuses: [400], ignoreAborted: true });
    const email = "leaving@example.com";
    try {
      await signInAtStandIn(page, t.app.url, "Google", email);
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      await page.goto(`${t.app.url}/settings/profile`);
      await page.getByRole("heading", { name: "Privacy and Security" }).waitFor();
      await page.getByRole("link", { name: "Delete your account" }).click();
      await page.getByRole("heading", { name: "Delete your account" }).waitFor();
      await page.getByText("cannot be undone").first().waitFor();

      // A wrong address is refused on the page, with nothing changed.
      await page.getByLabel("Type your email address to confirm").fill("not-me@example.com");
      await page.getByRole("button", { name: "Delete my account" }).click();
      await page.getByText("That is not the email address of this account.").waitFor();

      await page.getByLabel("Type your email address to confirm").fill(email);
      await page.getByRole("button", { name: "Delete my account" }).click();
      await page.getByRole("heading", { name: "Your account is being deleted" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/goodbye");
      expect((await context.cookies()).filter((c) => c.name.includes("session") && c.value)).toEqual([]);

      const account = await t.db.selectFrom("account_deletions").select(["account_id"]).executeTakeFirstOrThrow();
      const handle = t.temporal.client.workflow.getHandle(deleteWorkflowId(account.account_id));
      expect(await t.temporal.runWorker(realActivities(t.db, t.app.url), () => handle.result())).toEqual({ outcome: "deleted" });

      await signInAtStandIn(page, t.app.url, "GitHub", email);
      await page.getByText("cannot be used to create a new account").waitFor();
      await signInAtStandIn(page, t.app.url, "Google", email);
      await page.getByText("cannot be used to create a new account").waitFor();
      expect(problems).toEqual([]);
    } catch (err) {
      await screenshot(page, "deletion-journey");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${problems.join("\n") || "none"}`);
    } finally {
      await context.close();
    }
  });
});
