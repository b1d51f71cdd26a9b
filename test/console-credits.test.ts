/** Credits on the console account page over HTTP: who may post, validation, the credit limit, and one entry per form. */
import { beforeEach, describe, expect, it } from "vitest";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";
import { useSuite } from "./helpers/suite.js";
import { seedStaffOfEachRole, staffAgent as staffAgentFor } from "./helpers/staff.js";
import { truncateAll } from "./helpers/database.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});

const staffAgent = (role: "support" | "operator" | "admin") => staffAgentFor(t.app.url, role);

async function customerAccount(email = "cust@example.com") {
  await new UserAgent(t.app.url).signIn("google", { email });
  const row = await t.db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select("memberships.account_id")
    .where("users.email", "=", email)
    .executeTakeFirstOrThrow();
  return row.account_id;
}

/** The adjust form as the page rendered it: its CSRF token and its one-time form token. */
async function openForm(ua: UserAgent, page: string) {
  const html = (await ua.get(page)).body;
  const token = /name="adjustToken" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error("no adjust form on the page");
  return { csrf: UserAgent.csrfFrom(html), adjustToken: token };
}

const ledgerRows = (accountId: string) =>
  t.db
    .selectFrom("ledger_entries")
    .select(["id", "amount_cents", "kind", "actor_type", "note", "idempotency_key"])
    .where("account_id", "=", accountId)
    .orderBy("id")
    .execute();
const balance = async (accountId: string) =>
  (await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirstOrThrow()).balance_cents;

describe("credits on the console account page", () => {
  it("support grants $10: the balance, a ledger row and an audit row; the page shows them", async () => {
    const accountId = await customerAccount();
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const staffId = (await t.db.selectFrom("staff").select("id").where("email", "=", "support@switchboard.test").executeTakeFirstOrThrow()).id;
    const form = await openForm(support, page);
    const res = await support.request(page, { form: { ...form, intent: "adjust", amountDollars: "10", kind: "grant", reason: "Goodwill after the outage" } });
    expect(res.status).toBe(200);
    expect(pageText(res.body)).toContain("Posted $10.00 (grant). The balance is now $10.00.");

    expect(await balance(accountId)).toBe("1000");
    const rows = await ledgerRows(accountId);
    expect(rows).toEqual([
      {
        id: expect.any(String),
        amount_cents: "1000",
        kind: "grant",
        actor_type: "staff",
        note: "Goodwill after the outage",
        idempotency_key: `console:${form.adjustToken}`,
      },
    ]);
    const audit = await t.db
      .selectFrom("audit_log")
      .select(["actor_type", "actor_id", "target_id", "details"])
      .where("action", "=", "billing.credits_adjusted")
      .execute();
    expect(audit).toEqual([
      { actor_type: "staff", actor_id: staffId, target_id: accountId, details: { kind: "grant", amount_cents: "1000", ledger_entry_id: rows[0].id } },
    ]);

    const after = pageText((await support.get(page)).body);
    expect(after).toContain("Balance $10.00");
    expect(after).toContain("+$10.00");
    expect(after).toContain("Goodwill after the outage");
  });

  it("an admin may take credits away with an adjustment", async () => {
    const accountId = await customerAccount();
    await postLedgerEntry(t.db, { accountId, amountCents: 5000n, kind: "grant", idempotencyKey: "seed", actor: { type: "system", id: null } });
    const page = `/console/accounts/${accountId}`;
    const admin = await staffAgent("admin");
    const res = await admin.request(page, {
      form: { ...(await openForm(admin, page)), intent: "adjust", amountDollars: "-12.50", kind: "adjustment", reason: "Duplicate grant" },
    });
    expect(res.status).toBe(200);
    expect(await balance(accountId)).toBe("3750");
  });

  it("an operator sees the credits but no form, and a POST is a 403 that posts nothing", async () => {
    const accountId = await customerAccount();
    const page = `/console/accounts/${accountId}`;
    const operator = await staffAgent("operator");
    const html = (await operator.get(page)).body;
    expect(pageText(html)).toContain("Credits");
    expect(html).not.toContain('name="adjustToken"');
    const res = await operator.request(page, {
      form: { csrf: UserAgent.csrfFrom(html), intent: "adjust", amountDollars: "10", kind: "grant", reason: "x", adjustToken: crypto.randomUUID() },
    });
    expect(res.status).toBe(403);
    expect(await ledgerRows(accountId)).toEqual([]);
  });

  it("without its CSRF token the form is refused (403) and posts nothing", async () => {
    const accountId = await customerAccount();
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const { adjustToken } = await openForm(support, page);
    const res = await support.request(page, { form: { intent: "adjust", amountDollars: "10", kind: "grant", reason: "x", adjustToken } });
    expect(res.status).toBe(403);
    expect(await ledgerRows(accountId)).toEqual([]);
  });

  it.each([
    [{ amountDollars: "10", kind: "grant", reason: "   " }, "Say why, for the record."],
    [{ amountDollars: "10", kind: "grant", reason: "r".repeat(501) }, "Keep the reason to 500 characters."],
    [{ amountDollars: "ten", kind: "grant", reason: "x" }, "Enter an amount in dollars"],
    [{ amountDollars: "0", kind: "adjustment", reason: "x" }, "Enter an amount other than zero."],
    [{ amountDollars: "-5", kind: "grant", reason: "x" }, "A grant adds credits: enter a positive amount, or choose Adjustment."],
    [{ amountDollars: "5", kind: "usage", reason: "x" }, "Choose Grant or Adjustment."],
    [{ amountDollars: "2000000", kind: "grant", reason: "x" }, "At most $1,000,000.00 per entry."],
  ])("bad input %o gets a form error and posts nothing", async (fields, message) => {
    const accountId = await customerAccount();
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const res = await support.request(page, { form: { ...(await openForm(support, page)), intent: "adjust", ...fields } });
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain(message);
    expect(pageText(res.body)).toContain("Nothing was posted.");
    expect(await ledgerRows(accountId)).toEqual([]);
  });

  it("a missing or forged form token is a form error, not a post", async () => {
    const accountId = await customerAccount();
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const { csrf } = await openForm(support, page);
    for (const adjustToken of [undefined, "not-a-uuid"]) {
      const res = await support.request(page, {
        form: { csrf, intent: "adjust", amountDollars: "10", kind: "grant", reason: "x", ...(adjustToken ? { adjustToken } : {}) },
      });
      expect(res.status).toBe(400);
      expect(pageText(res.body)).toContain("This form is out of date.");
    }
    expect(await ledgerRows(accountId)).toEqual([]);
  });

  it("the same form posted twice makes one ledger entry and one audit row", async () => {
    const accountId = await customerAccount();
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const form = { ...(await openForm(support, page)), intent: "adjust", amountDollars: "10", kind: "grant", reason: "Goodwill" };
    const [a, b] = await Promise.all([support.request(page, { form }), support.request(page, { form })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const third = await support.request(page, { form });
    expect(pageText(third.body)).toContain("This form was already posted; the entry was made once.");
    expect(await ledgerRows(accountId)).toHaveLength(1);
    expect(await balance(accountId)).toBe("1000");
    const audits = await t.db.selectFrom("audit_log").select("id").where("action", "=", "billing.credits_adjusted").execute();
    expect(audits).toHaveLength(1);

    // The same form token with a different amount is refused, not posted.
    const changed = await support.request(page, { form: { ...form, amountDollars: "20" } });
    expect(changed.status).toBe(409);
    expect(pageText(changed.body)).toContain("already used for a different entry");
    expect(await ledgerRows(accountId)).toHaveLength(1);

    // A fresh page load carries a fresh token: a second, deliberate grant posts.
    const next = await support.request(page, {
      form: { ...(await openForm(support, page)), intent: "adjust", amountDollars: "10", kind: "grant", reason: "Another" },
    });
    expect(next.status).toBe(200);
    expect(await ledgerRows(accountId)).toHaveLength(2);
  });

  it("an adjustment that would cross the credit limit is refused with a form error", async () => {
    const accountId = await customerAccount();
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent("support");
    const res = await support.request(page, {
      form: { ...(await openForm(support, page)), intent: "adjust", amountDollars: "-100.01", kind: "adjustment", reason: "Clawback" },
    });
    expect(res.status).toBe(409);
    expect(pageText(res.body)).toContain("would take the balance below the credit limit");
    expect(await ledgerRows(accountId)).toEqual([]);
    expect(await balance(accountId)).toBe("0");

    const toLimit = await support.request(page, {
      form: { ...(await openForm(support, page)), intent: "adjust", amountDollars: "-100", kind: "adjustment", reason: "Clawback" },
    });
    expect(toLimit.status).toBe(200);
    expect(await balance(accountId)).toBe("-10000");
  });
});
