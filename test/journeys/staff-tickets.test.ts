/**
 * Journey: the ticket queue and approvals, on the app's own worker. alice
 * (Build, $25.00 of demo credit) asks in Settings → Email to move her account
 * to an address whose account already exists; the new address opens the
 * confirmation link from the outbox in a fresh browser, signs in from there
 * and confirms; support finds the ticket in Console → Tickets (the queue),
 * claims it there, opens it and approves (confirming in a dialog); the emailTransfer workflow completes (the ticket page
 * follows it). Her balance is below TRANSFER_SECOND_APPROVER_ABOVE_CENTS
 * ($1,000.00 by default), so one approval is all it needs.
 */
import { describe, expect, it } from "vitest";
import { formatCents } from "../../app/models/money.js";
import { signInAtStandIn } from "../helpers/browser.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { demoUser, linkFromOutbox, signInAsCustomer, signInAsStaff, WORKFLOW_DEADLINE_MS } from "./helpers/staff.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("staff tickets", () => {
  it("alice requests an email transfer; the new address confirms from the mailed link; support approves from the queue; the worker completes it", async () => {
    const alice = demoUser("alice@example.com");
    const newAddress = "alice.anders@example.net";
    // Ticket pages follow the workflow (revalidating every 2 s) and sign-ins navigate away: either may abort a fetch.
    const oldOwner = await openPage(app, { ignoreAborted: true });
    const newOwner = await openPage(app, { ignoreAborted: true });
    const mailReader = await openPage(app, { ignoreAborted: true });
    const support = await openPage(app, { ignoreAborted: true });
    await journey("staff-tickets", [oldOwner, newOwner, mailReader, support], async () => {
      const balance = async (email: string) =>
        BigInt(
          (
            await app.db
              .selectFrom("accounts")
              .innerJoin("memberships", "memberships.account_id", "accounts.id")
              .innerJoin("users", "users.id", "memberships.user_id")
              .select("accounts.balance_cents")
              .where("users.email", "=", email)
              .executeTakeFirstOrThrow()
          ).balance_cents,
        );
      const aliceCents = await balance(alice.email);
      expect(aliceCents).toBe(2500n);
      expect(aliceCents <= BigInt(app.config.transfer.secondApproverAboveCents)).toBe(true);

      // Step 1 of the page's own instructions: the new account exists first.
      await signInAtStandIn(newOwner.page, app.url, "GitHub", newAddress);
      await newOwner.page.waitForURL(`${app.url}/settings/api-keys?welcome`);
      const newCentsBefore = await balance(newAddress);

      await signInAsCustomer(oldOwner.page, app, alice.email);
      await oldOwner.page.goto(`${app.url}/settings/email`);
      await oldOwner.page.getByLabel("New email address").fill(newAddress);
      await oldOwner.page.getByLabel(/I understand this account will be blocked/).check();
      await oldOwner.page.getByRole("button", { name: "Request the transfer" }).click();
      await oldOwner.page.waitForURL(/\/support\/tickets\/[0-9a-f-]{36}$/);
      const ticketId = new URL(oldOwner.page.url()).pathname.split("/").pop()!;
      await oldOwner.page.getByRole("heading", { name: /Moving your account to a new address/ }).waitFor();

      // The confirmation mail, read from the outbox, opened in a browser that is not signed in: it explains, and sign-in comes back to the link.
      const link = await linkFromOutbox(app, newAddress, "transfer_confirmation", "/confirm-transfer/");
      await mailReader.page.goto(link);
      // Signed out, the link first says why a sign-in is needed, then leads to it and back.
      await mailReader.page.getByRole("heading", { name: "Sign in to confirm the transfer" }).waitFor();
      await mailReader.page.getByRole("link", { name: /^Sign in/ }).click();
      await mailReader.page.waitForURL(/\/login\?next=/);
      await mailReader.page.getByRole("button", { name: "Sign in with GitHub" }).click();
      await mailReader.page.getByLabel("Email", { exact: true }).fill(newAddress);
      await mailReader.page.getByRole("button", { name: "Continue" }).click();
      await mailReader.page.waitForURL(link);
      await mailReader.page.getByRole("heading", { name: "Receive your previous account?" }).waitFor();
      await mailReader.page.getByRole("button", { name: "Confirm the transfer" }).click();
      await mailReader.page.getByRole("heading", { name: "Confirmed — support will review the request" }).waitFor();

      // Support: the queue, the ticket, the approval.
      await signInAsStaff(support.page, app, "support");
      await support.page.getByRole("navigation").getByRole("link", { name: "Tickets", exact: true }).click();
      await support.page.getByRole("heading", { name: "Tickets", exact: true }).waitFor();
      const row = support.page.getByRole("row", { name: new RegExp(ticketId.slice(0, 8)) });
      await row.getByRole("link", { name: alice.accountName }).waitFor();
      await row.getByText(alice.email).waitFor();
      // Support claims it from the queue, so no other agent works it too.
      await row.getByRole("button", { name: `Claim ticket ${ticketId.slice(0, 8)}` }).click();
      await support.page.getByText("Claimed: the ticket is yours. Others see that you have it.").waitFor();
      await row.getByText("you", { exact: true }).waitFor();
      await row.getByRole("link", { name: `Ticket ${ticketId}` }).click();
      await support.page.waitForURL(`${app.url}/console/tickets/${ticketId}`);
      await support.page.getByText("Claimed by you").waitFor();
      // The page follows the workflow: approval opens once the confirmation has reached it.
      const approve = support.page.getByRole("button", { name: "Approve transfer" });
      await approve.waitFor({ timeout: WORKFLOW_DEADLINE_MS });
      await support.page.getByText(/^Confirmed /).waitFor();
      await support.page.getByText("0 of 1 needed").waitFor();
      // Approving asks first, in a dialog naming what moves.
      await approve.click();
      const confirm = support.page.getByRole("dialog", { name: "Approve this transfer?" });
      await confirm.getByText(`moves to ${newAddress}`).waitFor();
      await confirm.getByRole("button", { name: "Yes, approve the transfer" }).click();
      await support.page.getByText("Approved. The transfer is under way: the old account is blocked and its balance moved.").waitFor();
      // The worker blocks the old account, moves the balance and tells both addresses.
      await support.page.getByRole("heading", { level: 1 }).locator(".badge.completed").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
      await support.page.getByText("Approved by support@switchboard.test").waitFor();
      expect(await support.page.locator('dt:text-is("Moved") + dd').innerText()).toBe(formatCents(aliceCents));

      const ticket = await app.db.selectFrom("support_tickets").select(["status", "new_account_id"]).where("id", "=", ticketId).executeTakeFirstOrThrow();
      expect(ticket.status).toBe("completed");
      expect(await balance(newAddress)).toBe(newCentsBefore + aliceCents);

      // The new account shows the credits; alice's old session lands on sign-in, told where to go.
      await newOwner.page.goto(`${app.url}/`);
      await newOwner.page.getByText(formatCents(newCentsBefore + aliceCents), { exact: true }).waitFor();
      await oldOwner.page.reload();
      await oldOwner.page.waitForURL(/\/login/);
      await oldOwner.page.getByText("Sign in with the email address of your new account.").waitFor();
    });
  });
});
