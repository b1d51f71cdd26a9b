/** Settings → Billing over HTTP: balance, the paged ledger, and the auto-recharge rule (validation, pause, resume). */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";
import { useSuite } from "./helpers/suite.js";
import { truncateAll } from "./helpers/database.js";
import { signUpOwner } from "./helpers/sign-up.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
});

const BILLING = "/settings/billing";
const SYSTEM = { type: "system" as const, id: null };

const signUp = (email = "bill@example.com") => signUpOwner(t.app.url, t.db, email);

const post = (accountId: string, cents: bigint, note: string, kind: "grant" | "usage" = "grant") =>
  postLedgerEntry(t.db, { accountId, amountCents: cents, kind, idempotencyKey: `seed:${note}`, actor: SYSTEM, note });

/** The seeded entries a page shows, by their notes, in page order. */
const entriesOn = (html: string) => [...pageText(html).matchAll(/entry-(\d\d)/g)].map((m) => Number(m[1]));
const link = (html: string, label: "Older" | "Newer") => {
  const m = new RegExp(`href="([^"]+)"[^>]*>(?:← )?${label}`).exec(html);
  return m ? m[1].replace(/&amp;/g, "&") : null;
};

const rule = (accountId: string) => t.db.selectFrom("recharge_rules").selectAll().where("account_id", "=", accountId).executeTakeFirst();
const range = (from: number, to: number) => Array.from({ length: Math.abs(to - from) + 1 }, (_, i) => (from > to ? from - i : from + i));

describe("balance and history", () => {
  it("shows the balance, the credit limit and how far usage may go", async () => {
    const { ua, accountId } = await signUp();
    await post(accountId, 2500n, "welcome credit");
    await post(accountId, -3000n, "a busy day", "usage");
    const body = pageText((await ua.get(BILLING)).body);
    expect(body).toContain("Balance −$5.00");
    expect(body).toContain("Credit limit $100.00");
    expect(body).toContain("Usage may continue until the balance reaches −$100.00");
    expect(body).toContain("−$30.00");
    expect(body).toContain("+$25.00");
  });

  it("is titled Billing, links the ledger's CSV, and shows the history in a focusable table region", async () => {
    const { ua, accountId } = await signUp();
    await post(accountId, 100n, "hello");
    const page = await ua.get(BILLING);
    expect(page.body).toContain("<title>Billing · Settings · Switchboard</title>");
    expect(page.body).toMatch(/<div class="table-scroll" role="region" aria-label="Credit history, newest first" tabindex="0">/);
    expect(page.body).toMatch(/<a href="\/settings\/billing\/ledger\.csv" download="">Download CSV<\/a>/);
  });

  it("pages the ledger newest first with Older/Newer keyset links", async () => {
    const { ua, accountId } = await signUp();
    for (let n = 1; n <= 60; n++) await post(accountId, BigInt(n), `entry-${String(n).padStart(2, "0")}`);

    const first = await ua.get(BILLING);
    expect(entriesOn(first.body)).toEqual(range(60, 36));
    expect(link(first.body, "Newer")).toBeNull();
    const older = link(first.body, "Older");
    expect(older).toMatch(/^\/settings\/billing\?before=\d+$/);

    const second = await ua.get(older!);
    expect(entriesOn(second.body)).toEqual(range(35, 11));
    const third = await ua.get(link(second.body, "Older")!);
    expect(entriesOn(third.body)).toEqual(range(10, 1));
    expect(link(third.body, "Older")).toBeNull();

    const back = await ua.get(link(third.body, "Newer")!);
    expect(entriesOn(back.body)).toEqual(range(35, 11));
    const newerOfSecond = link(back.body, "Newer");
    expect(newerOfSecond).toBe(BILLING);
    expect(entriesOn((await ua.get(newerOfSecond!)).body)).toEqual(range(60, 36));
  });

  it.each(["abc", "-1", "1.5", "1;select", "9".repeat(30), ""])("a malformed cursor (%j) is a 400", async (before) => {
    const { ua } = await signUp();
    const res = await ua.request(`${BILLING}?before=${encodeURIComponent(before)}`);
    expect(res.status).toBe(400);
  });
});

describe("the auto-recharge rule", () => {
  const save = (ua: UserAgent, fields: Record<string, string>) =>
    ua.submit(BILLING, BILLING, { intent: "save_rule", paymentMethod: "test_card_approve", ...fields });

  it.each([
    [{ enabled: "on", thresholdDollars: "50", targetDollars: "50" }, "Must be greater than the “When balance goes below” amount."],
    [{ enabled: "on", thresholdDollars: "50", targetDollars: "20.00" }, "Must be greater than the “When balance goes below” amount."],
    [{ enabled: "on", thresholdDollars: "ten", targetDollars: "50" }, "Enter an amount in dollars, like 10 or 10.50."],
    [{ enabled: "on", thresholdDollars: "10", targetDollars: "1e3" }, "Enter an amount in dollars, like 10 or 10.50."],
    [{ enabled: "on", thresholdDollars: "-150", targetDollars: "50" }, "Can't be below −$100.00"],
    [{ enabled: "on", thresholdDollars: "10", targetDollars: "50", paymentMethod: "real_visa" }, "Choose one of the listed payment methods."],
  ])("bad input %o gets a field error and saves nothing", async (fields, message) => {
    const { ua, accountId } = await signUp();
    const res = await save(ua, fields);
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain(message);
    expect(pageText(res.body)).toContain("The rule was not saved.");
    expect(res.body).toContain(`value="${fields.thresholdDollars}"`); // what was typed stays in the form
    expect(await rule(accountId)).toBeUndefined();
  });

  it("saves, shows a declined card's pause with what to do, and resumes when saved again", async () => {
    const { ua, accountId, userId } = await signUp();
    const saved = await save(ua, { enabled: "on", thresholdDollars: "10", targetDollars: "50.50" });
    expect(saved.status).toBe(200);
    expect(pageText(saved.body)).toContain("Saved.");
    expect(await rule(accountId)).toMatchObject({
      enabled: true,
      threshold_cents: "1000",
      target_cents: "5050",
      payment_method: "test_card_approve",
      paused_reason: null,
    });
    const audit = await t.db.selectFrom("audit_log").select(["actor_type", "actor_id"]).where("action", "=", "billing.recharge_rule_saved").execute();
    expect(audit).toEqual([{ actor_type: "user", actor_id: userId }]);

    // What the recharge workflow records when the test provider declines.
    await t.db
      .updateTable("recharge_rules")
      .set({ paused_reason: "card_declined", last_outcome: "declined: card_declined", last_outcome_at: sql`now()` })
      .where("account_id", "=", accountId)
      .execute();
    const paused = pageText((await ua.get(BILLING)).body);
    expect(paused).toContain("Auto-recharge is paused because the card was declined.");
    expect(paused).toContain("saving it resumes auto-recharge");
    expect(paused).toContain("Last outcome: declined ·");

    const resumed = await save(ua, { enabled: "on", thresholdDollars: "10", targetDollars: "50.50" });
    expect(pageText(resumed.body)).toContain("Auto-recharge is active again");
    expect(pageText(resumed.body)).not.toContain("Auto-recharge is paused");
    expect((await rule(accountId))?.paused_reason).toBeNull();

    const off = await save(ua, { thresholdDollars: "10", targetDollars: "50.50" }); // an unchecked box is not sent
    expect(off.status).toBe(200);
    expect((await rule(accountId))?.enabled).toBe(false);
  });

  it("a member sees billing read-only; their POST is a 403 and saves nothing", async () => {
    const { accountId } = await signUp("owner@example.com");
    await post(accountId, 1234n, "gift");
    const member = await t.db
      .insertInto("users")
      .values({ email: "member@example.com", name: "Mo", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: accountId, user_id: member.id, role: "member" }).execute();
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "member@example.com" });
    const page = await ua.get(BILLING);
    expect(pageText(page.body)).toContain("Balance $12.34");
    expect(page.body).not.toContain('name="thresholdDollars"');
    const res = await save(ua, { enabled: "on", thresholdDollars: "10", targetDollars: "50" });
    expect(res.status).toBe(403);
    expect(await rule(accountId)).toBeUndefined();
  });

  it("a POST without its CSRF token is refused (403) and saves nothing", async () => {
    const { ua, accountId } = await signUp();
    await ua.get(BILLING);
    const res = await ua.request(BILLING, {
      form: { intent: "save_rule", enabled: "on", thresholdDollars: "10", targetDollars: "50", paymentMethod: "test_card_approve" },
    });
    expect(res.status).toBe(403);
    expect(await rule(accountId)).toBeUndefined();
  });
});
