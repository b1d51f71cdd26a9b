/**
 * Journeys (issue #19, Tests): the main staff paths at 375 px (a phone) and
 * 1440 px, each page passing checkPage (axe WCAG 2.1 AA, no horizontal page
 * scroll) and kept as a screenshot.
 * - Search → account → block: support presses `/` anywhere in the console,
 *   finds bob by address, opens his account from the grouped results and
 *   blocks it; the block asks first (a dialog), and nothing happens until it
 *   is confirmed; the blockAccount workflow completes.
 * - Ticket claimed → approved: alice asks to move her account to an address
 *   that has an account, which confirms from the mailed link; support claims
 *   the ticket in the queue (admin's queue then shows whose it is), opens it
 *   and approves behind a confirmation; the transfer completes.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { signInAtStandIn } from "../helpers/browser.js";
import { accountOf } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { checkPage, DESKTOP, PHONE, withViewport } from "./helpers/page-checks.js";
import { demoUser, linkFromOutbox, navTo, signInAsCustomer, signInAsStaff, staffEmail, WORKFLOW_DEADLINE_MS } from "./helpers/staff.js";

const app = useNewcomerApp();

/** The confirmation dialog open on the page, once it shows. */
async function openDialog(page: Page, title: RegExp) {
  const dialog = page.getByRole("dialog", { name: title });
  await dialog.waitFor();
  return dialog;
}

describe.skipIf(!chromiumPath)("responsive: staff", () => {
  for (const width of [PHONE, DESKTOP]) {
    it(`at ${width} px: search from anywhere → bob's account → block, confirmed in a dialog`, async () => {
      const bob = demoUser("bob@example.com");
      // The account page follows the block's workflow (revalidating): moving on may abort one of those fetches.
      const support = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      await journey(`responsive-staff-block-${width}`, [support], async () => {
        const { page } = support;
        await signInAsStaff(page, app, "support");
        await checkPage(page, "staff-dashboard");

        // `/` focuses the console's search box from anywhere (opening the menu where the bar has collapsed).
        await page.locator("body").press("/");
        const box = page.getByRole("searchbox", { name: "Search accounts, tickets and workflows" }).filter({ visible: true });
        await expect.poll(() => box.evaluate((el) => el === document.activeElement)).toBe(true);
        await page.keyboard.type(bob.email);
        await page.keyboard.press("Enter");
        await page.waitForURL(/\/console\/search\?q=/);
        const accounts = page.getByRole("region", { name: /Accounts/ });
        await accounts.getByRole("link", { name: bob.accountName }).waitFor();
        await checkPage(page, "staff-search");

        await accounts.getByRole("link", { name: bob.accountName }).click();
        await page.getByRole("heading", { level: 1, name: bob.accountName }).waitFor();
        await checkPage(page, "staff-account");

        // Block asks first: opening it changes nothing.
        const { accountId } = await accountOf(app, bob.email);
        await page.getByRole("button", { name: "Block account" }).click();
        const dialog = await openDialog(page, /^Block /);
        expect((await accountOf(app, bob.email)).status).toBe("active");
        await checkPage(page, "staff-block-dialog");
        await dialog.getByLabel("Reason", { exact: true }).selectOption("abuse");
        await dialog.getByLabel(/^Details/).fill("Card testing reported by the bank (responsive journey)");
        await dialog.getByRole("button", { name: "Block account" }).click();

        await page.getByRole("heading", { level: 1, name: bob.accountName }).locator(".badge.blocked").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
        const row = await app.db.selectFrom("accounts").select(["status", "blocked_reason_code"]).where("id", "=", accountId).executeTakeFirstOrThrow();
        expect(row).toEqual({ status: "blocked", blocked_reason_code: "abuse" });
        await checkPage(page, "staff-account-blocked");
      });
    });

    it(`at ${width} px: a transfer ticket claimed in the queue, then approved behind a confirmation`, async () => {
      const alice = demoUser("alice@example.com");
      const newAddress = "alice.responsive@example.net";
      // Ticket pages follow the workflow (revalidating) and sign-ins navigate away: either may abort a fetch.
      const customer = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      const newOwner = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      const support = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      const admin = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      await journey(`responsive-staff-ticket-${width}`, [customer, newOwner, support, admin], async () => {
        // The new address has an account first; alice asks; the new address confirms from the mail.
        await signInAtStandIn(newOwner.page, app.url, "GitHub", newAddress);
        await newOwner.page.waitForURL(/\/settings\/api-keys/);
        await signInAsCustomer(customer.page, app, alice.email);
        await customer.page.goto(`${app.url}/settings/email`);
        await customer.page.getByLabel("New email address").fill(newAddress);
        await customer.page.getByLabel(/I understand this account will be blocked/).check();
        await customer.page.getByRole("button", { name: "Request the transfer" }).click();
        await customer.page.waitForURL(/\/support\/tickets\/[0-9a-f-]{36}$/);
        const ticketId = new URL(customer.page.url()).pathname.split("/").pop()!;
        await checkPage(customer.page, "customer-ticket");
        await newOwner.page.goto(await linkFromOutbox(app, newAddress, "transfer_confirmation", "/confirm-transfer/"));
        await newOwner.page.getByRole("button", { name: "Confirm the transfer" }).click();
        await newOwner.page.getByRole("heading", { name: "Confirmed — support will review the request" }).waitFor();

        // Support claims it from the queue.
        const { page } = support;
        await signInAsStaff(page, app, "support");
        await navTo(page, "Tickets");
        await page.getByRole("heading", { name: "Tickets", exact: true }).waitFor();
        const row = page.getByRole("row", { name: new RegExp(ticketId.slice(0, 8)) });
        await row.getByRole("button", { name: `Claim ticket ${ticketId.slice(0, 8)}` }).click();
        await row.getByText("you", { exact: true }).waitFor();
        await checkPage(page, "staff-tickets-claimed");
        const claimed = await app.db.selectFrom("support_tickets").select("claimed_by").where("id", "=", ticketId).executeTakeFirstOrThrow();
        expect(claimed.claimed_by).toBeTruthy();

        // Another agent sees whose it is.
        await signInAsStaff(admin.page, app, "admin");
        await admin.page.goto(`${app.url}/console/tickets`);
        await admin.page
          .getByRole("row", { name: new RegExp(ticketId.slice(0, 8)) })
          .getByText(`claimed by ${staffEmail("support")}`)
          .waitFor();

        // The ticket; approving asks first.
        await row.getByRole("link", { name: `Ticket ${ticketId}` }).click();
        await page.waitForURL(`${app.url}/console/tickets/${ticketId}`);
        const approve = page.getByRole("button", { name: "Approve transfer" });
        await approve.waitFor({ timeout: WORKFLOW_DEADLINE_MS });
        await checkPage(page, "staff-ticket");
        await approve.click();
        const dialog = await openDialog(page, /Approve/);
        const before = await app.db.selectFrom("ticket_decisions").select("decision").where("ticket_id", "=", ticketId).execute();
        expect(before).toEqual([]);
        await dialog.getByRole("button", { name: /approve/i }).click();
        await page.getByRole("heading", { level: 1 }).locator(".badge.completed").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
        const ticket = await app.db.selectFrom("support_tickets").select("status").where("id", "=", ticketId).executeTakeFirstOrThrow();
        expect(ticket.status).toBe("completed");
        await checkPage(page, "staff-ticket-approved");
      });
    });
  }
});
