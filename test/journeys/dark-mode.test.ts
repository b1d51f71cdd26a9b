/**
 * Journey (issue #19, Tests): the main pages in dark mode. With the browser
 * preferring a dark colour scheme, alice's API keys and Billing pages (a key
 * with usage on it, so the table and the chart have something to show) and
 * the console's dashboard and her transfer ticket pass checkPage — axe at
 * WCAG 2.1 AA, colour contrast included, against the dark tokens — and are
 * kept as docs/screenshots/<page>-1440-dark.png.
 */
import { describe, expect, it } from "vitest";
import { signInAtStandIn } from "../helpers/browser.js";
import { KEY, v1 } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { checkPage, DESKTOP, withViewport } from "./helpers/page-checks.js";
import { demoUser, signInAsCustomer, signInAsStaff } from "./helpers/staff.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("dark mode", () => {
  it("keys, billing, the console dashboard and a ticket follow prefers-color-scheme: dark and pass axe (contrast included)", async () => {
    const alice = demoUser("alice@example.com");
    const newAddress = "alice.dark@example.net";
    const dark = withViewport(DESKTOP, { dark: true });
    // Ticket pages follow the workflow (revalidating): moving on may abort one of those fetches.
    const customer = await openPage(app, { ignoreAborted: true, contextOptions: dark });
    const staff = await openPage(app, { ignoreAborted: true, contextOptions: dark });
    await journey("dark-mode", [customer, staff], async () => {
      const { page } = customer;
      // The transfer's new address has an account first.
      await signInAtStandIn(page, app.url, "GitHub", newAddress);
      await page.waitForURL(/\/settings\/api-keys/);
      await page.context().clearCookies();

      await signInAsCustomer(page, app, alice.email);
      // The page really is dark: the stylesheet follows the preference.
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = (background.match(/\d+/g) ?? []).map(Number);
      expect(r! + g! + b!, `body background ${background}`).toBeLessThan(3 * 96);

      await page.goto(`${app.url}/settings/api-keys`);
      await page.getByLabel("Key name").fill("dark meter");
      await page.getByRole("button", { name: "Create key" }).click();
      const key = await page.getByLabel("API key “dark meter”").inputValue();
      expect(key).toMatch(KEY);
      for (let i = 0; i < 3; i++) expect((await v1(app, key, "/v1/usage", { json: { amount_cents: 300 + i, idempotency_key: `dark-${i}` } })).status).toBe(201);
      await page.goto(`${app.url}/settings/api-keys`);
      await checkPage(page, "settings-api-keys");
      await page.goto(`${app.url}/settings/billing`);
      await checkPage(page, "settings-billing");

      await page.goto(`${app.url}/settings/email`);
      await page.getByLabel("New email address").fill(newAddress);
      await page.getByLabel(/I understand this account will be blocked/).check();
      await page.getByRole("button", { name: "Request the transfer" }).click();
      await page.waitForURL(/\/support\/tickets\/[0-9a-f-]{36}$/);
      const ticketId = new URL(page.url()).pathname.split("/").pop()!;
      await checkPage(page, "support-ticket");

      await signInAsStaff(staff.page, app, "support");
      await checkPage(staff.page, "console-dashboard");
      await staff.page.goto(`${app.url}/console/tickets/${ticketId}`);
      await staff.page.getByRole("heading", { level: 1 }).waitFor();
      await checkPage(staff.page, "console-ticket");
    });
  });
});
