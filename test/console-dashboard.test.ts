/** The on-call dashboard: open tickets, workflow counts from Temporal, and the 30-day chart. */
import { beforeEach, describe, expect, it } from "vitest";
import { getDailyCompletions, getMedianCompletionMinutes } from "../app/models/console-overview.server.js";
import { REFUND_FLOOR_FLAG } from "../app/models/payment-settlement.server.js";
import { raiseBillingFlag } from "../app/models/billing-flags.server.js";
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
    await ticket("completed", 60, 10); // today, took 10 min
    await ticket("completed", 120, 50); // today, took 50 min
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
});
