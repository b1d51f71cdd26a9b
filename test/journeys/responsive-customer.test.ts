/**
 * Journey (issue #19, Tests): the main customer path at 375 px (a phone) and
 * 1440 px. A new person signs up with Google and lands on the API keys page
 * with a quickstart (a curl line holding the new main key); creates a second
 * key; an integration charges usage on /v1/usage with it; Settings → API keys
 * shows the key's spend this month, and Settings → Billing shows the last 30
 * days as a chart with the key's total and offers the ledger as CSV. Every
 * page on the way passes checkPage (axe WCAG 2.1 AA, no horizontal page
 * scroll) and is kept as a screenshot.
 */
import { describe, expect, it } from "vitest";
import { formatCents } from "../../app/models/money.js";
import { KEY, signIn, v1 } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { checkPage, DESKTOP, PHONE, withViewport } from "./helpers/page-checks.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("responsive: customer", () => {
  for (const width of [PHONE, DESKTOP]) {
    it(`at ${width} px: sign-up → quickstart → a new key → usage on /v1 → the key's spend and the billing chart`, async () => {
      const email = "newcomer@example.com";
      const p = await openPage(app, { contextOptions: withViewport(width) });
      await journey(`responsive-customer-${width}`, [p], async () => {
        const { page } = p;
        await signIn(page, app, "Google", email);
        await expect.poll(() => page.url()).toBe(`${app.url}/settings/api-keys?welcome`);
        await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
        const mainKey = await page.getByLabel("Your main API key").inputValue();
        expect(mainKey).toMatch(KEY);
        // The quickstart: a copyable curl line with the new key in it.
        const quickstart = await page.evaluate(
          (key) =>
            Array.from(document.querySelectorAll<HTMLElement>("main pre, main code, main input, main textarea"))
              .map((el) => (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement ? el.value : el.textContent) ?? "")
              .find((text) => text.includes("curl") && text.includes(key)) ?? null,
          mainKey,
        );
        expect(quickstart, "a curl line with the new main key").toMatch(/curl .*\/v1\//s);
        await page.getByRole("button", { name: /copy/i }).first().waitFor();
        await checkPage(page, "customer-welcome");

        // "Create key" is above the keys table.
        const name = "responsive meter";
        const createButton = page.getByRole("button", { name: "Create key" });
        const table = page.getByRole("table").first();
        await table.waitFor();
        expect((await createButton.boundingBox())!.y).toBeLessThan((await table.boundingBox())!.y);
        await page.getByLabel("Key name").fill(name);
        await createButton.click();
        const key = await page.getByLabel(`API key “${name}”`).inputValue();
        expect(key).toMatch(KEY);
        await checkPage(page, "customer-key-created");

        // An integration spends with the new key.
        const charges = [250, 199, 1_075];
        for (const [i, cents] of charges.entries()) {
          const r = await v1(app, key, "/v1/usage", { json: { amount_cents: cents, idempotency_key: `responsive-${i}` } });
          expect(r.status).toBe(201);
        }
        const spent = formatCents(charges.reduce((a, b) => a + b, 0));

        // The keys table shows the key's spend this month.
        await page.goto(`${app.url}/settings/api-keys`);
        await page.getByRole("row").filter({ hasText: name }).getByText(spent).waitFor();
        await checkPage(page, "customer-api-keys");

        // Billing: the chart (an SVG with a name), the key's total, the ledger as CSV.
        await page.goto(`${app.url}/settings/billing`);
        const chart = page.locator("svg[role=img]");
        await chart.first().waitFor();
        expect(await chart.first().evaluate((svg) => svg.querySelectorAll("rect").length)).toBeGreaterThan(0);
        await page.getByRole("row").filter({ hasText: name }).getByText(spent).first().waitFor();
        const csvLink = page.getByRole("link", { name: /CSV/ });
        const csvHref = await csvLink.first().getAttribute("href");
        expect(csvHref).toBeTruthy();
        const csv = await page.request.get(new URL(csvHref!, app.url).toString());
        expect(csv.status()).toBe(200);
        expect(csv.headers()["content-type"]).toContain("text/csv");
        const lines = (await csv.text()).trim().split("\n");
        expect(lines.length).toBeGreaterThanOrEqual(1 + charges.length); // a header, then at least the three charges
        await checkPage(page, "customer-billing");
      });
    });
  }
});
