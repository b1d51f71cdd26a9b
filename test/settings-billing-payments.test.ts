/**
 * Settings → Billing's payments over HTTP (issue 18): Add credits through the
 * test provider's local Checkout stand-in (its signed webhook is what credits),
 * the return page (pending until the webhook, then the balance), saving and
 * removing a card, the rule's payment methods and caps, receipts; and, with
 * PAYMENT_PROVIDER=stripe, no test card and no test label anywhere.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { TEST_WEBHOOK_SECRET } from "./helpers/app.js";
import { truncateAll } from "./helpers/database.js";
import { signUpOwner } from "./helpers/sign-up.js";
import { useSuite } from "./helpers/suite.js";
import { pageText, UserAgent } from "./helpers/user-agent.js";

const BILLING = "/settings/billing";
const TEST_LABEL = "Test payments: no real money moves. Checkout is a local test page.";
const SYSTEM = { type: "system" as const, id: null };

/** The hidden fields of the page's form whose submit button has this intent (each form carries its own attempt id). */
function formOf(html: string, intent: string): { csrf: string; attempt: string | null } {
  const form = html.split("<form").find((f) => f.includes(`name="intent" value="${intent}"`));
  if (!form) throw new Error(`no form with intent ${intent} on the page`);
  return { csrf: UserAgent.csrfFrom(form), attempt: /name="attempt" value="([^"]+)"/.exec(form)?.[1] ?? null };
}

/** Loads Billing and posts the form of `intent` with its own CSRF token and attempt id, plus `fields`. */
async function postForm(ua: UserAgent, intent: string, fields: Record<string, string> = {}) {
  const { csrf, attempt } = formOf((await ua.get(BILLING)).body, intent);
  const form = { csrf, ...(attempt ? { attempt } : {}), intent, ...fields };
  return { form, res: await ua.request(BILLING, { form }) };
}

/** What the person does on the stand-in's page: press a button (approve, decline…). It sends the signed webhook, then redirects back. */
async function payAtCheckout(checkoutUrl: string, choice: string) {
  const res = await fetch(checkoutUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ choice }).toString(),
    redirect: "manual",
  });
  await res.arrayBuffer();
  return { status: res.status, location: res.headers.get("location") };
}

function suiteHelpers(t: ReturnType<typeof useSuite>) {
  const signUp = (email = "payer@example.com") => signUpOwner(t.app.url, t.db, email);
  const ledger = (accountId: string) =>
    t.db.selectFrom("ledger_entries").select(["kind", "amount_cents"]).where("account_id", "=", accountId).orderBy("id").execute();
  const checkouts = (accountId: string) =>
    t.db.selectFrom("checkout_sessions").select(["id", "mode", "amount_cents", "status"]).where("account_id", "=", accountId).execute();
  const rule = (accountId: string) => t.db.selectFrom("recharge_rules").selectAll().where("account_id", "=", accountId).executeTakeFirst();
  const addMember = async (accountId: string, email: string) => {
    const user = await t.db.insertInto("users").values({ email, name: "Mo", provider: "google" }).returning("id").executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: accountId, user_id: user.id, role: "member" }).execute();
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email });
    return ua;
  };
  return { signUp, ledger, checkouts, rule, addMember };
}

describe("with the test payment provider", () => {
  const t = useSuite({ app: true });
  const { signUp, ledger, checkouts, rule, addMember } = suiteHelpers(t);
  beforeEach(async () => {
    await truncateAll(t.db);
  });

  const addCredits = (ua: UserAgent, fields: Record<string, string>) => postForm(ua, "add_credits", fields);
  const isCheckoutPage = (location: string | null) => !!location && location.startsWith(`${t.app.checkout.url}/pay/cs_local_`);

  describe("Add credits", () => {
    it("a preset opens the local checkout; the return page is pending until the webhook, then shows the new balance; one purchase in the ledger", async () => {
      const { ua, accountId } = await signUp();
      const page = await ua.get(BILLING);
      expect(pageText(page.body)).toContain(TEST_LABEL);
      expect(page.body).toMatch(/<input type="radio" name="amount" value="5000"/);

      const { res } = await addCredits(ua, { amount: "5000" });
      expect(res.status).toBe(302);
      expect(isCheckoutPage(res.location)).toBe(true);
      const [row] = await checkouts(accountId);
      expect(row).toMatchObject({ mode: "payment", amount_cents: "5000", status: "open" });
      const session = t.app.checkout.sessions().find((s) => `${t.app.checkout.url}/pay/${s.id}` === res.location)!;
      expect(session).toMatchObject({ mode: "payment", amountCents: 5000, clientReferenceId: accountId, status: "open" });
      const returnPage = `/settings/billing/checkout/${row.id}`;
      expect(session.successUrl).toBe(`${t.app.url}${returnPage}`);

      // Coming back (or typing the link) before the provider said anything credits nothing and claims nothing.
      const early = await ua.get(returnPage);
      expect(early.status).toBe(200);
      expect(pageText(early.body)).toContain("Payment started — waiting for confirmation from the payment page…");
      expect(pageText(early.body)).not.toContain("added. Your balance");
      expect(early.body).toMatch(/<a [^>]*href="\/settings\/billing\/checkout\/[0-9a-f-]+"[^>]*>Refresh<\/a>/);
      expect(await ledger(accountId)).toEqual([]);

      const paid = await payAtCheckout(res.location!, "approve");
      expect(paid).toEqual({ status: 303, location: `${t.app.url}${returnPage}` });
      const done = await ua.get(returnPage);
      expect(pageText(done.body)).toContain("$50.00 added. Your balance is now $50.00.");
      expect(done.body).toContain('href="/settings/billing"');
      expect(await ledger(accountId)).toEqual([{ kind: "purchase", amount_cents: "5000" }]);

      // The receipt: what, amount, card, status, and the provider's receipt opening in a new tab.
      const billing = await ua.get(BILLING);
      const text = pageText(billing.body);
      expect(text).toMatch(/Credits purchase \$50\.00 Visa •••• 4242 Paid Receipt/);
      expect(billing.body).toMatch(
        new RegExp(`<a href="${t.app.checkout.url.replace(/\./g, "\\.")}/receipts/pi_local_\\w+" target="_blank" rel="noopener noreferrer">Receipt`),
      );
      expect(text).toContain("Credits purchased");
    });

    it("the same form sent twice (even at once) opens one session; sent again after paying, it shows that payment instead", async () => {
      const { ua, accountId } = await signUp();
      const { csrf, attempt } = formOf((await ua.get(BILLING)).body, "add_credits");
      const form = { csrf, attempt: attempt!, intent: "add_credits", amount: "custom", customDollars: "25" };
      const before = t.app.checkout.sessions().length;
      const [a, b] = await Promise.all([ua.request(BILLING, { form }), ua.request(BILLING, { form })]);
      const c = await ua.request(BILLING, { form });
      expect([a.status, b.status, c.status]).toEqual([302, 302, 302]);
      expect(new Set([a.location, b.location, c.location]).size).toBe(1);
      expect(t.app.checkout.sessions().length).toBe(before + 1);
      const rows = await checkouts(accountId);
      expect(rows).toHaveLength(1);

      await payAtCheckout(a.location!, "approve");
      const again = await ua.request(BILLING, { form });
      expect(again.status).toBe(302);
      expect(again.location).toBe(`${t.app.url}/settings/billing/checkout/${rows[0].id}`);
      expect(t.app.checkout.sessions().length).toBe(before + 1);
      expect(await ledger(accountId)).toEqual([{ kind: "purchase", amount_cents: "2500" }]);
      // A new render carries a new attempt id: a second purchase is a new session.
      const second = await addCredits(ua, { amount: "1000" });
      expect(second.res.location).not.toBe(a.location);
      expect(second.form.attempt).not.toBe(attempt);
    });

    it("a declined payment at the checkout leaves the return page pending and the balance as it was", async () => {
      const { ua, accountId } = await signUp();
      const { res } = await addCredits(ua, { amount: "1000" });
      const declined = await payAtCheckout(res.location!, "decline");
      expect(declined.status).toBe(200); // the stand-in's "declined" page; nothing is sent to the app
      const [row] = await checkouts(accountId);
      expect(pageText((await ua.get(`/settings/billing/checkout/${row.id}`)).body)).toContain("waiting for confirmation");
      expect(await ledger(accountId)).toEqual([]);
    });

    it.each([
      [{ amount: "custom", customDollars: "4.99" }, "customDollars", "Enter an amount from $5.00 to $5,000.00."],
      [{ amount: "custom", customDollars: "5000.01" }, "customDollars", "Enter an amount from $5.00 to $5,000.00."],
      [{ amount: "custom", customDollars: "-10" }, "customDollars", "Enter an amount from $5.00 to $5,000.00."],
      [{ amount: "custom", customDollars: "ten" }, "customDollars", "Enter an amount from $5.00 to $5,000.00, in dollars, like 25 or 25.50."],
      [{ amount: "custom", customDollars: "1e3" }, "customDollars", "Enter an amount from $5.00 to $5,000.00, in dollars"],
      [{ amount: "custom", customDollars: "12.345" }, "customDollars", "Enter an amount from $5.00 to $5,000.00, in dollars"],
      [{ amount: "custom", customDollars: "" }, "customDollars", "Enter an amount from $5.00 to $5,000.00."],
      [{ amount: "custom", customDollars: "9".repeat(5000) }, "customDollars", "Enter an amount from $5.00 to $5,000.00, in dollars"],
      [{ amount: "2500" }, "amount", "Choose one of the amounts listed."],
      [{ amount: "1000", customDollars: "40" }, "customDollars", "You picked $10.00 and also typed an amount here."],
      [{}, "amount", "Choose an amount."],
    ])("%o is a 400 with a field error, and no session is opened", async (fields, field, message) => {
      const { ua, accountId } = await signUp();
      const before = t.app.checkout.sessions().length;
      const { res } = await addCredits(ua, fields);
      expect(res.status).toBe(400);
      expect(pageText(res.body)).toContain(message);
      expect(pageText(res.body)).toContain("Nothing was charged. Fix the amount marked below.");
      expect(res.body).toMatch(new RegExp(`id="${field}-error"`));
      if (field === "customDollars")
        expect(res.body).toMatch(/<input[^>]*aria-invalid="true"[^>]*id="customDollars"|id="customDollars"[^>]*aria-invalid="true"/);
      expect(await checkouts(accountId)).toEqual([]);
      expect(t.app.checkout.sessions().length).toBe(before);
    });

    it("hostile amounts (NUL, a lone surrogate, a near-megabyte, more than the body limit) are refused; nothing is opened", async () => {
      const { ua, accountId } = await signUp();
      const before = t.app.checkout.sessions().length;
      const raw = async (amountField: string) => {
        const { csrf, attempt } = formOf((await ua.get(BILLING)).body, "add_credits");
        const res = await fetch(new URL(BILLING, t.app.url), {
          method: "POST",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: ua.cookieHeader(BILLING) },
          body: `csrf=${encodeURIComponent(csrf)}&attempt=${attempt}&intent=add_credits&amount=custom&customDollars=${amountField}`,
          redirect: "manual",
        });
        return { status: res.status, text: await res.text() };
      };
      const nul = await raw("25%00");
      expect(nul.status).toBe(400);
      expect(nul.text).toContain("“customDollars” must not contain the NUL character");
      const lone = await raw("25%ED%A0%80");
      expect(lone.status).toBe(400);
      expect(lone.text).toContain("“customDollars” must be valid UTF-8");
      const huge = await raw("9".repeat(900_000));
      expect(huge.status).toBe(400);
      expect(pageText(huge.text)).toContain("Enter an amount from $5.00 to $5,000.00, in dollars");
      expect(huge.text.length).toBeLessThan(400_000); // what was typed is not sent back
      const tooBig = await raw("9".repeat(10_000_000));
      expect(tooBig.status).toBe(413); // the server's 1 MB ceiling on every body answers first
      expect(await checkouts(accountId)).toEqual([]);
      expect(t.app.checkout.sessions().length).toBe(before);
      expect(await ledger(accountId)).toEqual([]);
    });

    it.each(["not-a-uuid", "", "../../etc"])("an attempt id that is not a UUID (%j) is a 400 and opens nothing", async (attempt) => {
      const { ua, accountId } = await signUp();
      const { csrf } = formOf((await ua.get(BILLING)).body, "add_credits");
      const res = await ua.request(BILLING, { form: { csrf, attempt, intent: "add_credits", amount: "1000" } });
      expect(res.status).toBe(400);
      expect(await checkouts(accountId)).toEqual([]);
    });
  });

  describe("the return page", () => {
    it("another account's checkout, a made-up id and a non-UUID are all 404; a member of the account sees it", async () => {
      const owner = await signUp("owner-a@example.com");
      const { res } = await addCredits(owner.ua, { amount: "1000" });
      expect(res.status).toBe(302);
      const [row] = await checkouts(owner.accountId);
      const path = `/settings/billing/checkout/${row.id}`;
      expect((await owner.ua.request(path)).status).toBe(200);

      const stranger = await signUp("stranger@example.com");
      expect((await stranger.ua.request(path)).status).toBe(404);
      expect((await stranger.ua.request("/settings/billing/checkout/00000000-0000-4000-8000-000000000000")).status).toBe(404);
      expect((await stranger.ua.request("/settings/billing/checkout/not-a-uuid")).status).toBe(404);
      expect((await stranger.ua.request(`/settings/billing/checkout/${row.id}x`)).status).toBe(404);

      const member = await addMember(owner.accountId, "member-a@example.com");
      const seen = await member.request(path);
      expect(seen.status).toBe(200);
      expect(pageText(seen.body)).toContain("waiting for confirmation");
    });

    it("?checkout=cancelled says nothing was charged", async () => {
      const { ua } = await signUp();
      expect(pageText((await ua.get(`${BILLING}?checkout=cancelled`)).body)).toContain("Checkout cancelled; nothing was charged.");
      expect(pageText((await ua.get(BILLING)).body)).not.toContain("Checkout cancelled");
    });
  });

  describe("members", () => {
    it("see balance and receipts but no payment buttons; their posts are 403 and open nothing", async () => {
      const { accountId } = await signUp("boss@example.com");
      const member = await addMember(accountId, "staffer@example.com");
      const page = await member.get(BILLING);
      expect(page.body).not.toContain('value="add_credits"');
      expect(page.body).not.toContain('value="save_card"');
      expect(page.body).not.toContain('value="remove_card"');
      expect(pageText(page.body)).toContain("Owners and admins of this account can add credits.");
      expect(pageText(page.body)).toContain("No payments yet.");
      const csrf = UserAgent.csrfFrom(page.body);
      const forms: Record<string, string>[] = [
        { intent: "add_credits", attempt: crypto.randomUUID(), amount: "1000" },
        { intent: "save_card", attempt: crypto.randomUUID() },
        { intent: "remove_card" },
      ];
      for (const form of forms) {
        expect((await member.request(BILLING, { form: { csrf, ...form } })).status).toBe(403);
      }
      expect(await checkouts(accountId)).toEqual([]);
    });
  });

  describe("the saved card and the rule", () => {
    /** Save a card through the setup Checkout, pressing `choice` at the stand-in; returns the return page's text. */
    async function saveCard(ua: UserAgent, choice = "approve") {
      const { res } = await postForm(ua, "save_card");
      expect(res.status).toBe(302);
      expect(isCheckoutPage(res.location)).toBe(true);
      const paid = await payAtCheckout(res.location!, choice);
      expect(paid.status).toBe(303);
      return pageText((await ua.get(new URL(paid.location!).pathname)).body);
    }
    const year = new Date().getUTCFullYear() + 3;

    it("saving a card shows it (brand, last 4, expiry) and offers it to the rule next to the test cards", async () => {
      const { ua, accountId } = await signUp();
      const empty = await ua.get(BILLING);
      expect(pageText(empty.body)).toContain("No card is saved.");
      expect(empty.body).toContain(">Save a card for auto-recharge<");
      // Before any card: the saved card is still the default choice, pointing at saving one (not at a made-up test card).
      expect(empty.body).toMatch(/<option value="saved_card" selected="">Saved card \(none saved yet: save one above\)<\/option>/);
      expect(empty.body).toMatch(/<option value="test_card_approve"[^>]*>Test card — always approves<\/option>/);

      expect(await saveCard(ua)).toContain(`Card saved: Visa •••• 4242, expires 12/${year}.`);
      const page = await ua.get(BILLING);
      const text = pageText(page.body);
      expect(text).toContain(`Visa •••• 4242, expires 12/${year}`);
      expect(page.body).toContain(">Replace card<");
      expect(page.body).toContain('value="remove_card"');
      expect(page.body).toMatch(/<option value="saved_card"[^>]*>Saved card \(Visa •••• 4242\)<\/option>/);
      expect(page.body).toMatch(/<option value="test_card_decline"[^>]*>Test card — always declines<\/option>/);
      expect(await ledger(accountId)).toEqual([]); // saving a card charges nothing
    });

    it("removing the card pauses a rule that charges it, and the page says how to fix it", async () => {
      const { ua, accountId } = await signUp();
      await saveCard(ua);
      // Below −$10 bring up to $25: the balance ($0) is not below, so nothing is charged now.
      const saved = await postForm(ua, "save_rule", { enabled: "on", thresholdDollars: "-10", targetDollars: "25", paymentMethod: "saved_card" });
      expect(saved.res.status).toBe(200);
      expect(await rule(accountId)).toMatchObject({ payment_method: "saved_card", paused_reason: null });

      const removed = await postForm(ua, "remove_card");
      expect(removed.res.status).toBe(200);
      const text = pageText(removed.res.body);
      expect(text).toContain("Card removed. Auto-recharge is paused until a card is saved.");
      expect(text).toContain("Auto-recharge is paused because there is no saved card.");
      expect(text).toContain("Save a card under “Saved card”: auto-recharge resumes once it is saved.");
      expect(text).toContain("No card is saved.");
      expect(await rule(accountId)).toMatchObject({ paused_reason: "no_saved_card" });
      const card = await t.db.selectFrom("payment_methods").select("removed_at").where("account_id", "=", accountId).executeTakeFirstOrThrow();
      expect(card.removed_at).not.toBeNull();

      // Saving a card again resumes the rule (the setup webhook does).
      await saveCard(ua);
      expect(await rule(accountId)).toMatchObject({ paused_reason: null, enabled: true });
      const again = await postForm(ua, "remove_card");
      expect(pageText(again.res.body)).toContain("Card removed.");
      const none = await postForm(ua, "remove_card").catch(() => null);
      expect(none).toBeNull(); // no card: the page has no remove form at all
    });

    it.each([
      ["card_declined", "the card was declined.", "Save another card under “Saved card”"],
      ["insufficient_funds", "the card was declined (insufficient funds).", "or save the rule again to try the same card"],
      ["authentication_required", "the bank asked you to confirm the payment, which an automatic top-up can't do.", "Save the card again under “Saved card”"],
    ])("a rule paused for %s says why and how to fix it", async (reason, cause, fix) => {
      const { ua, accountId } = await signUp();
      await saveCard(ua);
      await postForm(ua, "save_rule", { enabled: "on", thresholdDollars: "-10", targetDollars: "25", paymentMethod: "saved_card" });
      await t.db.updateTable("recharge_rules").set({ paused_reason: reason }).where("account_id", "=", accountId).execute();
      const text = pageText((await ua.get(BILLING)).body);
      expect(text).toContain(`Auto-recharge is paused because ${cause}`);
      expect(text).toContain(fix);
    });

    it("a rule whose top-up is above the per-recharge cap is refused naming the cap; the caps are shown, per account", async () => {
      const { ua, accountId } = await signUp();
      const page = pageText((await ua.get(BILLING)).body);
      expect(page).toContain("Each top-up is at most $1,000.00 and at most $5,000.00 a day for this account.");
      const refused = await postForm(ua, "save_rule", { enabled: "on", thresholdDollars: "10", targetDollars: "1500", paymentMethod: "test_card_approve" });
      expect(refused.res.status).toBe(400);
      const text = pageText(refused.res.body);
      expect(text).toContain("The rule was not saved.");
      expect(text).toContain("Each top-up would be about $1,490.00, more than this account's limit of $1,000.00 per recharge.");
      expect(refused.res.body).toMatch(/id="targetDollars-error"/);
      expect(await rule(accountId)).toBeUndefined();

      // Support set this account's own caps.
      await t.db.insertInto("billing_limits").values({ account_id: accountId, max_recharge_cents: "20000", max_daily_recharge_cents: "50000" }).execute();
      expect(pageText((await ua.get(BILLING)).body)).toContain("Each top-up is at most $200.00 and at most $500.00 a day for this account.");
      const low = await postForm(ua, "save_rule", { enabled: "on", thresholdDollars: "10", targetDollars: "250", paymentMethod: "test_card_approve" });
      expect(pageText(low.res.body)).toContain("more than this account's limit of $200.00 per recharge");
    });

    it("a saved-card rule with no card is refused with “save a card first”", async () => {
      const { ua, accountId } = await signUp();
      const refused = await postForm(ua, "save_rule", { enabled: "on", thresholdDollars: "5", targetDollars: "25", paymentMethod: "saved_card" });
      expect(refused.res.status).toBe(400);
      expect(pageText(refused.res.body)).toContain("Save a card first: auto-recharge charges the saved card.");
      expect(await rule(accountId)).toBeUndefined();
    });
  });

  describe("receipts", () => {
    it("list purchases and recharges with their status; only http(s) receipts are links", async () => {
      const { ua, accountId } = await signUp();
      const base = { account_id: accountId, provider: "test" as const };
      await t.db
        .insertInto("payments")
        .values([
          { ...base, kind: "recharge", amount_cents: "1500", status: "failed", failure_code: "insufficient_funds", idempotency_key: "r1" },
          { ...base, kind: "recharge", amount_cents: "1600", status: "requires_action", failure_code: "authentication_required", idempotency_key: "r2" },
          { ...base, kind: "recharge", amount_cents: "1700", status: "pending", idempotency_key: "r3" },
          {
            ...base,
            kind: "purchase",
            amount_cents: "1800",
            status: "succeeded",
            idempotency_key: "p1",
            refunded_cents: "1800",
            receipt_url: "javascript:alert(1)",
            card_brand: "mastercard",
            card_last4: "4444",
          },
          {
            ...base,
            kind: "purchase",
            amount_cents: "1900",
            status: "succeeded",
            idempotency_key: "p2",
            refunded_cents: "500",
            receipt_url: "https://pay.example/r/1",
          },
        ])
        .execute();
      await postLedgerEntry(t.db, { accountId, amountCents: 1n, kind: "grant", idempotencyKey: "seed", actor: SYSTEM, note: "x" });
      const page = await ua.get(BILLING);
      const text = pageText(page.body);
      expect(text).toContain("Auto-recharge $15.00 — Declined: insufficient funds —");
      expect(text).toContain("Auto-recharge $16.00 — Needs authentication —");
      expect(text).toContain("Auto-recharge $17.00 — Pending —");
      expect(text).toContain("Credits purchase $18.00 Mastercard •••• 4444 Refunded $18.00 —");
      expect(text).toContain("Credits purchase $19.00 — Partly refunded ($5.00) Receipt");
      expect(page.body).not.toContain("javascript:");
      expect(page.body).toContain('<a href="https://pay.example/r/1" target="_blank" rel="noopener noreferrer">');
    });
  });
  // Last: it stops the stand-in.
  describe("when the checkout stand-in is down", () => {
    it("when the checkout cannot be reached, the form says so and nothing is opened", async () => {
      const { ua, accountId } = await signUp();
      await t.app.checkout.stop(); // the last test of this suite (the stand-in does not restart)
      const { res } = await addCredits(ua, { amount: "1000" });
      expect(res.status).toBe(503);
      expect(pageText(res.body)).toContain("The payment page could not be opened just now. Try again in a minute.");
      expect(await checkouts(accountId)).toMatchObject([{ status: "open" }]); // the attempt's row, never sent anywhere
      expect(await ledger(accountId)).toEqual([]);
    });
  });
});

describe("with Stripe as the provider", () => {
  const t = useSuite({
    app: true,
    appEnv: {
      PAYMENT_PROVIDER: "stripe",
      STRIPE_SECRET_KEY: "sk_test_123",
      STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
      // Nothing listens here: rendering the page never calls the provider, and opening a session fails cleanly.
      STRIPE_API_BASE: "http://127.0.0.1:9",
    },
  });
  const { signUp } = suiteHelpers(t);

  it("offers no test card and no test label; the rule asks for a card first; a session that can't be opened is a clear error", async () => {
    const { ua, accountId } = await signUp("stripe-owner@example.com");
    const page = await ua.get(BILLING);
    const text = pageText(page.body);
    expect(text).not.toContain("Test payments");
    expect(text).not.toMatch(/test card/i);
    expect(page.body).not.toContain("test_card_");
    expect(text).toContain("Payment method: save a card first (under “Saved card” above): auto-recharge charges the saved card.");
    expect(text).toContain("Stripe's secure checkout page");
    expect(page.body).toContain('<input type="hidden" name="paymentMethod" value="saved_card"/>');

    // A test card posted by hand is refused by the service.
    const testCard = await postForm(ua, "save_rule", { enabled: "on", thresholdDollars: "5", targetDollars: "25", paymentMethod: "test_card_approve" });
    expect(testCard.res.status).toBe(400);
    expect(pageText(testCard.res.body)).toContain("Choose one of the listed payment methods.");
    const noCard = await postForm(ua, "save_rule", { enabled: "on", thresholdDollars: "5", targetDollars: "25", paymentMethod: "saved_card" });
    expect(noCard.res.status).toBe(400);
    expect(pageText(noCard.res.body)).toContain("Save a card first: auto-recharge charges the saved card.");
    expect(await t.db.selectFrom("recharge_rules").select("account_id").where("account_id", "=", accountId).execute()).toEqual([]);

    const { res } = await postForm(ua, "add_credits", { amount: "1000" });
    expect(res.status).toBe(503);
    expect(pageText(res.body)).toContain("The payment page could not be opened just now. Try again in a minute.");
  });
});
