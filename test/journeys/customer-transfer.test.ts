/**
 * Journey: moving an account to a new email address, from the request to the
 * new account holding the credits, against the app as `npm start` runs it
 * (its own worker runs the emailTransfer workflow; mail stays in the outbox).
 *
 * The person behind alice@example.com ($25.00 of credit) first signs up on
 * the new address, then asks from alice's Settings → Email; the confirmation
 * mail lands in the outbox; its link, opened signed out, sends them through
 * sign-in with the new address and back to confirm; support (GitHub) approves
 * in Console → Tickets; the worker finishes. The new account holds the
 * credits, alice's account is blocked and points at it, alice's open page is
 * signed out saying so, and her next sign-in gets the transferred message.
 */
import { describe, expect, it } from "vitest";
import { accountOf, accountStatusWith, KEY, mailTo, signIn, waitFor } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { checkPage, PHONE, withViewport } from "./helpers/page-checks.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("customer: email transfer", () => {
  it("request → confirmation mail → confirm via the link → support approves → the new account holds the credits, the old is blocked", async () => {
    const oldEmail = "alice@example.com";
    const newEmail = "alice.anders@newmail.example";
    // The ticket page refreshes itself and the old owner's page is signed out under it: fetches it starts may be cut off.
    const oldOwner = await openPage(app, { ignoreAborted: true });
    const newSignUp = await openPage(app);
    // The confirmation link is opened from a mail, often on a phone.
    const newOwner = await openPage(app, { contextOptions: withViewport(PHONE) });
    const support = await openPage(app);
    const oldAgain = await openPage(app);
    await journey("customer-transfer", [oldOwner, newSignUp, newOwner, support, oldAgain], async () => {
      const alice = await accountOf(app, oldEmail);
      expect(alice.balance_cents).toBe("2500");

      // 1. The new account exists first (the Settings → Email page says so).
      await signIn(newSignUp.page, app, "GitHub", newEmail);
      await newSignUp.page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      const newKey = await newSignUp.page.getByLabel("Your main API key").inputValue();
      expect(newKey).toMatch(KEY);
      const fresh = await accountOf(app, newEmail);
      expect(fresh.balance_cents).toBe("0");

      // 2. Asked from the old address, signed in as its owner.
      await signIn(oldOwner.page, app, "Google", oldEmail);
      await oldOwner.page.goto(`${app.url}/settings/email`);
      await oldOwner.page.getByRole("heading", { name: "Change your email address" }).waitFor();
      await oldOwner.page.getByLabel("New email address").fill(newEmail);
      await oldOwner.page.getByLabel(/I understand this account will be blocked/).check();
      await oldOwner.page.getByRole("button", { name: "Request the transfer" }).click();
      await oldOwner.page.waitForURL(/\/support\/tickets\/[0-9a-f-]{36}$/);
      const ticketId = new URL(oldOwner.page.url()).pathname.split("/").pop()!;
      await oldOwner.page.getByRole("heading", { name: /Moving your account to a new address/ }).waitFor();
      await checkPage(oldOwner.page, "support-ticket");

      // 3. The worker verifies and mails the new address; the mail is in the outbox.
      const mail = await mailTo(app, newEmail, /^Confirm that this account may receive/);
      const link = /https?:\/\/\S+\/confirm-transfer\/[A-Za-z0-9_-]+/.exec(mail.text_body)?.[0];
      expect(link, mail.text_body).toBeDefined();
      expect(link!.startsWith(`${app.url}/confirm-transfer/`)).toBe(true);

      // 4. The link, opened signed out, first says why a sign-in is needed and as which address; then sign-in, back to the link, confirm.
      const np = newOwner.page;
      await np.goto(link!);
      await np.getByRole("heading", { name: "Sign in to confirm the transfer" }).waitFor();
      expect(await np.title()).toBe("Sign in to confirm the transfer · Switchboard");
      expect(await np.locator("main").innerText()).not.toContain(oldEmail);
      await checkPage(np, "confirm-transfer-sign-in");
      await np.getByRole("link", { name: "Sign in as a…@newmail.example" }).click();
      await expect.poll(() => new URL(np.url()).pathname).toBe("/login");
      await np.getByRole("button", { name: "Sign in with GitHub" }).click();
      await np.getByLabel("Email", { exact: true }).fill(newEmail);
      await np.getByRole("button", { name: "Continue" }).click();
      await np.getByRole("heading", { name: "Receive your previous account?" }).waitFor();
      expect(np.url()).toBe(link);
      // Signed in as the new address, the page names what is accepted: the old address and the balance that moves.
      const offer = await np.getByRole("definition").allInnerTexts();
      expect(offer.join(" | ")).toContain(oldEmail);
      expect(offer.join(" | ")).toContain("$25.00");
      await checkPage(np, "confirm-transfer-offer");
      await np.getByRole("button", { name: "Confirm the transfer" }).click();
      await np.getByRole("heading", { name: "Confirmed — support will review the request" }).waitFor();
      await waitFor(
        "the ticket to wait for approval",
        () => app.db.selectFrom("support_tickets").select(["status", "step"]).where("id", "=", ticketId).executeTakeFirstOrThrow(),
        (t) => t.status === "awaiting_approval",
      );

      // 5. Support approves in Console → Tickets.
      const sp = support.page;
      await signIn(sp, app, "GitHub", "support@switchboard.test");
      await expect.poll(() => new URL(sp.url()).pathname).toBe("/console");
      await sp.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tickets" }).click();
      await sp.getByRole("heading", { name: "Tickets" }).waitFor();
      await sp.getByRole("link", { name: `Ticket ${ticketId}` }).click();
      await sp.getByRole("heading", { name: "Decision" }).waitFor();
      // Approving asks first, in a dialog (ConfirmAction).
      await sp.getByRole("button", { name: "Approve transfer" }).click();
      await sp.getByRole("dialog", { name: "Approve this transfer?" }).getByRole("button", { name: "Yes, approve the transfer" }).click();
      await sp.getByText("Approved", { exact: true }).first().waitFor();

      // 6. The app's worker blocks the old account, moves everything and closes the ticket.
      const done = await waitFor(
        "the transfer to complete",
        () =>
          app.db
            .selectFrom("support_tickets")
            .select(["status", "step", "transferred_cents", "failure_reason"])
            .where("id", "=", ticketId)
            .executeTakeFirstOrThrow(),
        (t) => t.status !== "awaiting_approval" && t.status !== "transferring",
      );
      expect(done).toMatchObject({ status: "completed", transferred_cents: "2500", failure_reason: null });
      await expect
        .poll(
          async () => {
            await sp.reload();
            return sp.locator("h1 .badge").innerText();
          },
          { timeout: 20_000 },
        )
        .toBe("completed");

      const [oldAfter, newAfter] = [await accountOf(app, oldEmail), await accountOf(app, newEmail)];
      expect(newAfter.balance_cents).toBe("2500");
      expect(oldAfter).toMatchObject({ status: "blocked", balance_cents: "0", transferred_to_account_id: fresh.accountId });
      const moves = await app.db
        .selectFrom("ledger_entries")
        .select(["account_id", "kind", "amount_cents"])
        .where("idempotency_key", "=", `transfer:${ticketId}`)
        .orderBy("kind")
        .execute();
      expect(moves).toEqual([
        { account_id: fresh.accountId, kind: "transfer_in", amount_cents: "2500" },
        { account_id: alice.accountId, kind: "transfer_out", amount_cents: "-2500" },
      ]);
      const oldKeys = await app.db.selectFrom("api_keys").select("status").where("account_id", "=", alice.accountId).execute();
      expect(oldKeys.length).toBeGreaterThan(0);
      expect(oldKeys.every((k) => k.status === "revoked")).toBe(true);
      expect(await accountStatusWith(app, newKey)).toBe(200);
      await mailTo(app, oldEmail, /^Your Switchboard account was moved$/);
      await mailTo(app, newEmail, /^Your Switchboard account received a transfer$/);

      // The new account shows the credits.
      await np.goto(`${app.url}/`);
      await np.getByRole("region", { name: "Credits" }).getByText("$25.00", { exact: true }).waitFor();

      // The old owner's open ticket page follows the request to its end: signed out, told why.
      await expect.poll(() => new URL(oldOwner.page.url()).pathname, { timeout: 30_000 }).toBe("/login");
      await oldOwner.page.getByText("This account was transferred to a new account and is blocked.").waitFor();

      // And signing in to the old account again is refused with the same message.
      await signIn(oldAgain.page, app, "Google", oldEmail);
      await expect.poll(() => new URL(oldAgain.page.url()).searchParams.get("error")).toBe("transferred");
      await oldAgain.page.getByText("This account was transferred to a new account and is blocked.").waitFor();
      await oldAgain.page.getByText("Sign in with the email address of your new account.").waitFor();
    });
  });
});
