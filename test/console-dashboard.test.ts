/** The on-call dashboard: open tickets, workflow counts from Temporal, and the 30-day chart. */
import { beforeEach, describe, expect, it } from "vitest";
import { getDailyCompletions, getMedianCompletionMinutes } from "../app/models/console-overview.server.js";
import { REFUND_FLOOR_FLAG } from "../app/models/payment-settlement.server.js";
import { raiseBillingFlag } from "../app/models/billing-flags.server.js";
import { revokeLeakedKey } from "../app/models/api-keys.server.js";
import { hashApiKey } from "../app/models/api-key-format.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
  await t.db.insertInto("staff").values({ email: "oncall@switchboard.test", role: "operator" }).execute();
});

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000);

async function ticket(status: "completed" | "awaiting_approval" | "awaiting_confirmation", createdMinutesAgo: number, tookMinutes?: number) {
  const a = await accountWithKey(t.db);
  await t.db
    .insertInto("support_tickets")
    .values({
      kind: "email_transfer",
      source: "web",
      status,
      old_account_id: a.accountId,
      created_at: ago(createdMinutesAgo),
      closed_at: tookMinutes === undefined ? null : ago(createdMinutesAgo - tookMinutes),
    })
    .execute();
}

describe("console dashboard", () => {
  it("counts accounts whose refund could not be posted and links them, until support marks the flag resolved", async () => {
    const a = await accountWithKey(t.db);
    const staff = new UserAgent(t.app.url);
    await staff.signIn("github", { email: "oncall@switchboard.test" });
    expect(pageText((await staff.get("/console")).body)).toContain("Billing flags 0");
    await raiseBillingFlag(t.db, { accountId: a.accountId, reason: REFUND_FLOOR_FLAG, paymentId: null, amountCents: 12_000n });
    const page = await staff.get("/console");
    expect(pageText(page.body)).toContain("Billing flags 1");
    expect(page.body).toContain(`href="/console/accounts/${a.accountId}"`);
    await t.db.updateTable("billing_flags").set({ resolved_at: new Date() }).execute();
    expect(pageText((await staff.get("/console")).body)).toContain("Billing flags 0");
  });

  it("shows open tickets by status with the oldest waiting, workflow counts, and completions per day with the median time", async () => {
    await ticket("completed", 3 * 24 * 60, 30); // three days ago, took 30 min
    // Closed a second or two ago, so "today" in UTC also just after midnight (created may be yesterday).
    await ticket("completed", 10 + 1 / 60, 10); // today, took 10 min
    await ticket("completed", 50 + 2 / 60, 50); // today, took 50 min
    await ticket("awaiting_approval", 500);
    await ticket("awaiting_confirmation", 90);

    const daily = await getDailyCompletions(t.db);
    expect(daily).toHaveLength(30);
    expect(daily.reduce((n, d) => n + d.completed, 0)).toBe(3);
    expect(daily.reduce((n, d) => n + d.deletions, 0)).toBe(0);
    expect(daily[29].completed).toBe(2);
    expect(await getMedianCompletionMinutes(t.db)).toBe(30);

    const staff = new UserAgent(t.app.url);
    await staff.signIn("github", { email: "oncall@switchboard.test" });
    const page = await staff.get("/console");
    const text = pageText(page.body);
    expect(text).toContain("Open tickets 2");
    expect(text).toMatch(/Oldest waiting: [0-9a-f]{8} , received , since/);
    expect(text).toContain("Waiting on people 2");
    expect(text).toMatch(/Running \d+/);
    expect(text).toMatch(/Median time from request to completion: 30 minutes ?\./);
    // One bar per day, each a stack of two series: transfers and deletions.
    expect(page.body.match(/<rect [^>]*data-series="transfers"/g)).toHaveLength(30);
    expect(page.body.match(/<rect [^>]*data-series="deletions"/g)).toHaveLength(30);
    expect(text).toContain("Email transfers: 3");
    expect(text).toContain("Account deletions: 0");
  });

  it("says so when there is nothing yet", async () => {
    const staff = new UserAgent(t.app.url);
    await staff.signIn("github", { email: "oncall@switchboard.test" });
    const text = pageText((await staff.get("/console")).body);
    expect(text).toContain("Open tickets 0");
    expect(text).toContain("no transfer completed yet");
  });

  it("counts live keys from before checksums and keys revoked as leaked in 30 days, linking to the accounts and to the trail", async () => {
    const staff = new UserAgent(t.app.url);
    await staff.signIn("github", { email: "oncall@switchboard.test" });
    expect(pageText((await staff.get("/console")).body)).toContain("Keys from before checksums none left Revoked as leaked, last 30 days 0");

    // Two accounts with live old-format keys (one has two), and old keys that no longer count: expired, revoked.
    const [a, b, c] = [await accountWithKey(t.db), await accountWithKey(t.db), await accountWithKey(t.db)];
    await legacyKeys(a.accountId, 2);
    await legacyKeys(b.accountId, 1);
    await legacyKeys(c.accountId, 1, { expires_at: ago(1) });
    await legacyKeys(c.accountId, 1, { status: "revoked", revoked_at: new Date() });
    // Found public: one today, one 40 days ago (past the window).
    await revokeLeakedKey(t.db, hashApiKey(a.key), { url: "https://github.com/acme/app/blob/main/.env", source: "commit" });
    await revokeLeakedKey(t.db, hashApiKey(c.key), { url: "https://gist.github.com/x", source: "gist" });
    await t.db
      .updateTable("api_keys")
      .set({ revoked_at: ago(40 * 24 * 60) })
      .where("id", "=", c.keyId)
      .execute();

    const page = await staff.get("/console");
    const text = pageText(page.body);
    expect(text).toContain("Keys from before checksums 3 live keys on 2 accounts");
    expect(page.body).toContain('href="/console/accounts/legacy-keys"');
    expect(text).toContain("Revoked as leaked, last 30 days 1");
    const trail = page.body.match(/href="(\/console\/audit\?action=api_key\.revoked_leaked&amp;from=[^"]+)"/)?.[1].replace(/&amp;/g, "&");
    expect(trail).toBeDefined();
    // The link shows the revocation: its account and where the key was found.
    const audit = await staff.get(trail!);
    expect(audit.status).toBe(200);
    expect(audit.body).toContain(a.accountId);
    expect(audit.body).toContain("https://github.com/acme/app/blob/main/.env");
  });

  it("lists the accounts holding keys from before checksums, 25 to a page, most recently used first, to every staff role and no one else", async () => {
    for (const role of ["support", "admin"] as const)
      await t.db
        .insertInto("staff")
        .values({ email: `${role}@switchboard.test`, role })
        .execute();
    const accounts = [];
    for (let i = 0; i < 26; i++) accounts.push(await accountWithKey(t.db, { email: `owner${i}@example.com` }));
    for (const a of accounts) await legacyKeys(a.accountId, 1);
    // Account 7's old key was used an hour ago: it comes first; the rest were never used.
    await t.db
      .updateTable("api_keys")
      .set({ last_used_at: ago(60) })
      .where("account_id", "=", accounts[7].accountId)
      .where("checksummed", "=", false)
      .execute();

    const staff = new UserAgent(t.app.url);
    await staff.signIn("github", { email: "oncall@switchboard.test" });
    const first = await staff.get("/console/accounts/legacy-keys");
    expect(first.status).toBe(200);
    const text = pageText(first.body);
    expect(text).toContain("26 live keys on 26 accounts were issued before keys carried a checksum");
    const linked = [...first.body.matchAll(/href="\/console\/accounts\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(linked).toHaveLength(25);
    expect(linked[0]).toBe(accounts[7].accountId);
    expect(text).toMatch(/owner7@example\.com build 1 \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(first.body).toContain('href="/console/accounts/legacy-keys?page=2"');
    const second = await staff.get("/console/accounts/legacy-keys?page=2");
    const rest = [...second.body.matchAll(/href="\/console\/accounts\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
    expect(rest).toHaveLength(1);
    expect(new Set([...linked, ...rest]).size).toBe(26);
    expect(second.body).not.toContain('href="/console/accounts/legacy-keys?page=3"');
    // Read-only for every staff role; a customer finds nothing there, a visitor is sent to sign in.
    for (const email of ["support@switchboard.test", "admin@switchboard.test"]) {
      const ua = new UserAgent(t.app.url);
      await ua.signIn("github", { email });
      expect((await ua.request("/console/accounts/legacy-keys")).status, email).toBe(200);
    }
    const customer = new UserAgent(t.app.url);
    await customer.signIn("google", { email: "owner3@example.com" });
    expect((await customer.request("/console/accounts/legacy-keys")).status).toBe(404);
    const visitor = await new UserAgent(t.app.url).request("/console/accounts/legacy-keys");
    expect(visitor.status).toBe(302);
    expect(visitor.location).toContain("/login?next=");
    // Once every old key is gone, the page says /v1 now refuses bad checksums at once.
    await t.db.updateTable("api_keys").set({ status: "revoked", revoked_at: new Date() }).where("checksummed", "=", false).execute();
    expect(pageText((await staff.get("/console/accounts/legacy-keys")).body)).toContain("No live key predates checksums");
  });
});

/** `n` keys of the account in the format from before checksums (as the migration marks every key issued before it). */
async function legacyKeys(accountId: string, n: number, over: { expires_at?: Date; status?: "revoked"; revoked_at?: Date } = {}) {
  for (let i = 0; i < n; i++) {
    await t.db
      .insertInto("api_keys")
      .values({
        account_id: accountId,
        kind: "additional",
        name: `old-${i}`,
        key_hash: Buffer.from(crypto.getRandomValues(new Uint8Array(32))),
        prefix: "tgp_v1_old",
        last4: String(1000 + i),
        checksummed: false,
        ...over,
      })
      .execute();
  }
}
