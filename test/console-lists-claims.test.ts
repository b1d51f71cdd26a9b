/**
 * Claiming tickets over HTTP, against the real app and database: two agents
 * claiming one ticket at the same instant (real parallel requests) leave
 * exactly one claimant, every time; the loser is told who has it; release and
 * take-over (named against the claimant the person saw); the queue filters by
 * claim and sorts by age, and every choice is in the URL.
 */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { createWebTransferTicket } from "../app/models/tickets.server.js";
import type { TicketStatus } from "../db/schema.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { staffAgentByEmail, staffIdByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { pageText, UserAgent } from "./helpers/user-agent.js";

const t = useSuite({ app: true });

const STAFF = [
  { email: "support@switchboard.test", role: "support" },
  { email: "support2@switchboard.test", role: "support" },
  { email: "operator@switchboard.test", role: "operator" },
] as const;
type StaffEmail = (typeof STAFF)[number]["email"];

beforeEach(async () => {
  await truncateAll(t.db);
  await t.db
    .insertInto("staff")
    .values(STAFF.map((s) => ({ ...s })))
    .execute();
});

const agent = (email: StaffEmail) => staffAgentByEmail(t.app.url, email);
const staffId = (email: StaffEmail) => staffIdByEmail(t.db, email);

/** A ticket (no workflow: claims are the database's), in a status and an age. */
async function ticket(status: TicketStatus = "awaiting_approval", hoursAgo = 1) {
  const n = crypto.randomUUID().slice(0, 8);
  const old = await accountWithKey(t.db, { email: `old-${n}@example.com` });
  const id = await createWebTransferTicket(
    t.db,
    { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: `new-${n}@example.com` },
    { type: "system", id: null },
  );
  await t.db
    .updateTable("support_tickets")
    .set({ status, created_at: sql`now() - make_interval(hours => ${hoursAgo})` })
    .where("id", "=", id)
    .execute();
  return id;
}

const claimant = async (id: string) =>
  (await t.db.selectFrom("support_tickets").select("claimed_by").where("id", "=", id).executeTakeFirstOrThrow()).claimed_by;
const auditOf = (id: string) =>
  t.db
    .selectFrom("audit_log")
    .select(["action", "actor_id", "details"])
    .where("target_type", "=", "ticket")
    .where("target_id", "=", id)
    .where("action", "like", "ticket.%claim%")
    .orderBy("id")
    .execute();
const csrfOf = async (ua: UserAgent, page: string) => UserAgent.csrfFrom((await ua.get(page)).body);

describe("claiming a ticket", () => {
  it("two agents claiming at the same instant: exactly one wins, every time, and the other is told who has it", async () => {
    const a = await agent("support@switchboard.test");
    const b = await agent("support2@switchboard.test");
    const ids = { a: await staffId("support@switchboard.test"), b: await staffId("support2@switchboard.test") };
    const [csrfA, csrfB] = [await csrfOf(a, "/console/tickets"), await csrfOf(b, "/console/tickets")];
    for (let i = 0; i < 8; i++) {
      const id = await ticket();
      // Half from the queue's Claim button, half from the ticket page's: both are the same conditional UPDATE.
      const target = i % 2 === 0 ? "/console/tickets?index" : `/console/tickets/${id}`;
      const form = (csrf: string) => ({ csrf, intent: "claim", ticket: id });
      const [ra, rb] = await Promise.all([a.request(target, { form: form(csrfA) }), b.request(target, { form: form(csrfB) })]);
      const statuses = [ra.status, rb.status].sort();
      expect(statuses).toEqual([200, 409]);
      const [winner, loser, winnerEmail] = ra.status === 200 ? [ids.a, rb, "support@switchboard.test"] : [ids.b, ra, "support2@switchboard.test"];
      expect(await claimant(id)).toBe(winner);
      expect(pageText(loser.body)).toContain(`Not claimed: ${winnerEmail} has this ticket.`);
      const audit = await auditOf(id);
      expect(audit).toEqual([{ action: "ticket.claimed", actor_id: winner, details: { staff_id: winner } }]);
    }
  });

  it("shows the claim to others; release; take over only against the claimant one saw; operators may not claim; closed tickets cannot be claimed", async () => {
    const id = await ticket();
    const page = `/console/tickets/${id}`;
    const a = await agent("support@switchboard.test");
    const b = await agent("support2@switchboard.test");
    const op = await agent("operator@switchboard.test");
    const [idA, idB] = [await staffId("support@switchboard.test"), await staffId("support2@switchboard.test")];

    expect(pageText((await a.get(page)).body)).toContain("Nobody has claimed this ticket.");
    const claimed = await a.submit(page, page, { intent: "claim" });
    expect(claimed.status).toBe(200);
    expect(pageText(claimed.body)).toContain("Claimed: the ticket is yours.");
    expect(pageText(claimed.body)).toContain("Claimed by you");
    expect(pageText(claimed.body)).toContain("Release");
    // Claiming again is no change (and no second audit row).
    expect((await a.submit(page, page, { intent: "claim" })).status).toBe(200);

    const seen = await b.get(page);
    expect(pageText(seen.body)).toContain("Claimed by support@switchboard.test");
    expect(seen.body).toContain(">Take over</summary>"); // without JavaScript the confirmation is a disclosure
    expect(seen.body).toContain(`name="from" value="${idA}"`);
    const queue = pageText((await b.get("/console/tickets")).body);
    expect(queue).toContain("claimed by support@switchboard.test");

    // A plain claim does not take it; releasing someone else's claim does nothing.
    expect(pageText((await b.submit(page, page, { intent: "claim" })).body)).toContain("Not claimed: support@switchboard.test has this ticket.");
    const notMine = await b.submit(page, page, { intent: "release" });
    expect(notMine.status).toBe(409);
    expect(pageText(notMine.body)).toContain("Nothing to release: support@switchboard.test has this ticket now.");
    expect(await claimant(id)).toBe(idA);

    const taken = await b.submit(page, page, { intent: "take_over", from: idA });
    expect(taken.status).toBe(200);
    expect(pageText(taken.body)).toContain("Taken over: the ticket is yours now.");
    expect(await claimant(id)).toBe(idB);
    // A's page was stale: its take-over names B's old claimant (A itself is no claimant any more), so nothing moves.
    const stale = await a.submit(page, page, { intent: "take_over", from: idA });
    expect(stale.status).toBe(409);
    expect(await claimant(id)).toBe(idB);
    expect((await a.submit(page, page, { intent: "release" })).status).toBe(409);

    const released = await b.submit(page, page, { intent: "release" });
    expect(released.status).toBe(200);
    expect(pageText(released.body)).toContain("Released: the ticket is unclaimed again.");
    expect(await claimant(id)).toBeNull();
    // Taking over a claim released meanwhile: nobody has it, nothing is taken.
    expect(pageText((await a.submit(page, page, { intent: "take_over", from: idB })).body)).toContain("Its claim was released meanwhile");
    expect(await claimant(id)).toBeNull();

    expect((await op.submit(page, page, { intent: "claim" })).status).toBe(403);
    expect((await op.submit("/console/tickets", "/console/tickets?index", { intent: "claim", ticket: id })).status).toBe(403);
    expect(await op.get(page).then((r) => r.body)).not.toContain('value="claim"');
    expect((await a.request(page, { form: { intent: "claim" } })).status).toBe(403); // no CSRF token
    expect(await claimant(id)).toBeNull();

    const closed = await ticket("completed");
    expect(pageText((await a.submit(`/console/tickets/${closed}`, `/console/tickets/${closed}`, { intent: "claim" })).body)).toContain(
      "This ticket is closed: there is nothing to claim.",
    );
    expect(await claimant(closed)).toBeNull();
    expect((await a.submit("/console/tickets", "/console/tickets?index", { intent: "claim", ticket: crypto.randomUUID() })).status).toBe(404);

    expect((await auditOf(id)).map((r) => [r.action, r.actor_id, r.details])).toEqual([
      ["ticket.claimed", idA, { staff_id: idA }],
      ["ticket.claim_taken_over", idB, { staff_id: idB, from_staff_id: idA }],
    ]);
    const released_ = await t.db.selectFrom("audit_log").select(["actor_id"]).where("action", "=", "ticket.released").where("target_id", "=", id).execute();
    expect(released_).toEqual([{ actor_id: idB }]);
  });
});

describe("the queue by claim and age", () => {
  it("filters mine / unclaimed / all and sorts oldest or newest first; every choice survives a reload and the pager", async () => {
    const a = await agent("support@switchboard.test");
    const b = await agent("support2@switchboard.test");
    const old = await ticket("awaiting_approval", 72);
    const mid = await ticket("open", 24);
    const fresh = await ticket("awaiting_confirmation", 2);
    await a.submit(`/console/tickets/${old}`, `/console/tickets/${old}`, { intent: "claim" });
    await b.submit(`/console/tickets/${mid}`, `/console/tickets/${mid}`, { intent: "claim" });
    const short = (id: string) => id.slice(0, 8);
    const order = (text: string, ids: string[]) => ids.map((id) => text.indexOf(short(id)));

    const mine = await a.get("/console/tickets?claim=mine");
    expect(pageText(mine.body)).toContain(short(old));
    expect(pageText(mine.body)).not.toContain(short(mid));
    expect(pageText(mine.body)).not.toContain(short(fresh));
    expect(mine.body).toMatch(/<option value="mine" selected="">/); // the form shows the filter it came with

    const unclaimed = pageText((await a.get("/console/tickets?claim=unclaimed")).body);
    expect(unclaimed).toContain(short(fresh));
    expect(unclaimed).not.toContain(short(old));
    expect(unclaimed).not.toContain(short(mid));

    const newest = await a.get("/console/tickets?sort=newest&status=all");
    const [o, m, f] = order(pageText(newest.body), [old, mid, fresh]);
    expect(f).toBeGreaterThan(-1);
    expect(f).toBeLessThan(m);
    expect(m).toBeLessThan(o);
    expect(newest.body).toMatch(/<option value="newest" selected="">/);
    // The status chips keep the order chosen; the defaults stay out of the links.
    expect(newest.body).toContain('href="/console/tickets?status=completed&amp;sort=newest"');
    const oldest = order(pageText((await a.get("/console/tickets?sort=oldest")).body), [old, mid, fresh]);
    expect(oldest[0]).toBeLessThan(oldest[1]);
    expect(oldest[1]).toBeLessThan(oldest[2]);

    expect((await a.request("/console/tickets?claim=everyone")).status).toBe(400);
    expect((await a.request("/console/tickets?sort=sideways")).status).toBe(400);
    expect((await a.request("/console/tickets?claim=&sort=")).status).toBe(200);
  });
});
