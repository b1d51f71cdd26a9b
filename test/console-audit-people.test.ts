/**
 * Audit shows people (issue 19, item 13): actor and target by address or name,
 * linked to their pages with the id one click away, a filter by actor address,
 * readable details, a focusable table, and the same people in the CSV.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { writeAudit } from "../app/models/audit.server.js";
import { createWebTransferTicket } from "../app/models/tickets.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { seedStaffOfEachRole, staffAgent, staffEmail, staffIdByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });

beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});

/** One row of each kind of actor and target the console names. */
async function trail() {
  const alice = await accountWithKey(t.db, { email: "alice@example.com" });
  const bob = await accountWithKey(t.db, { email: "bob@example.com" });
  const supportId = await staffIdByEmail(t.db, staffEmail("support"));
  const ticketId = await createWebTransferTicket(
    t.db,
    { requesterUserId: alice.userId, oldAccountId: alice.accountId, newAddress: "alice.new@example.com" },
    { type: "user", id: alice.userId },
  );
  await writeAudit(
    t.db,
    { type: "staff", id: supportId },
    { action: "test.blocked", targetType: "account", targetId: bob.accountId, details: { tag: "staff-on-account" } },
  );
  await writeAudit(
    t.db,
    { type: "user", id: alice.userId },
    { action: "test.ticket", targetType: "ticket", targetId: ticketId, details: { tag: "user-on-ticket" } },
  );
  await writeAudit(t.db, { type: "api_key", id: bob.keyId }, { action: "test.key", targetType: "api_key", targetId: bob.keyId, details: { tag: "key" } });
  const long = { tag: "long", note: "x".repeat(300), nested: { steps: ["one", "two"] } };
  await writeAudit(
    t.db,
    { type: "workflow", id: `block-account:${bob.accountId}` },
    { action: "test.long", targetType: "account", targetId: bob.accountId, details: long },
  );
  return { alice, bob, supportId, ticketId };
}

const rowOf = (html: string, action: string) => {
  const row = html.split("<tr").find((r) => r.includes(`>${action}<`));
  if (!row) throw new Error(`no row for ${action}`);
  return row;
};

describe("the audit page names people", () => {
  it("shows actors and targets by address, linked to their pages, with the ids one click away", async () => {
    const { alice, bob, supportId, ticketId } = await trail();
    const staff = await staffAgent(t.app.url, "operator");
    const page = await staff.get("/console/audit");
    expect(page.status).toBe(200);

    const blocked = rowOf(page.body, "test.blocked");
    // Staff: their address, linking to what they did; the account: its owner's address, linking to the account.
    expect(blocked).toContain(`href="/console/audit?actor_email=support%40switchboard.test"`);
    expect(pageText(blocked)).toContain("staff support@switchboard.test");
    expect(blocked).toMatch(new RegExp(`<a title="${bob.accountId}"[^>]* href="/console/accounts/${bob.accountId}">bob@example.com</a>`));
    expect(blocked).toContain(`<code class="mono">${supportId}</code>`);
    expect(blocked).toContain(`<code class="mono">${bob.accountId}</code>`);

    const ticket = rowOf(page.body, "test.ticket");
    expect(ticket).toMatch(new RegExp(`<a title="${alice.userId}"[^>]* href="/console/accounts/${alice.accountId}">alice@example.com</a>`));
    expect(ticket).toContain(`href="/console/tickets/${ticketId}"`);
    expect(pageText(ticket)).toContain("to alice.new@example.com");

    // A key: its prefix…last4, linking to its account.
    const key = rowOf(page.body, "test.key");
    expect(key).toMatch(new RegExp(`<a title="${bob.keyId}"[^>]* href="/console/accounts/${bob.accountId}">Key [^<]+…[^<]+</a>`));
    expect(pageText(key)).toContain("account of bob@example.com");

    // A workflow actor links to its page; long details are shown whole and pretty-printed on request.
    const long = rowOf(page.body, "test.long");
    expect(long).toContain(`href="/console/workflows/${encodeURIComponent(`block-account:${bob.accountId}`)}"`);
    expect(long).toContain("x".repeat(300));
    expect(long).toMatch(/<summary>Pretty-printed<\/summary><pre>\{\n {2}&quot;tag&quot;: &quot;long&quot;/);

    // The wide table scrolls inside a focusable, labelled region.
    expect(page.body).toMatch(/<div class="table-scroll audit-table" role="region" aria-label="Audit trail" tabindex="0">/);
    expect(page.body).toContain("<title>Audit · Console · Switchboard</title>");
  });

  it("resolves the page's people in one query, however many rows", async () => {
    const { supportId } = await trail();
    const { auditPeople } = await import("../app/models/audit-search.server.js");
    const queries: string[] = [];
    const db = t.db.withPlugin({
      transformQuery: (args) => {
        queries.push(args.node.kind);
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const refs = Array.from({ length: 50 }, () => ({ type: "staff", id: supportId }));
    const people = await auditPeople(db, [...refs, { type: "account", id: crypto.randomUUID() }, { type: "staff", id: "not-a-uuid" }]);
    expect(queries).toHaveLength(1);
    expect(Object.values(people).map((p) => p.label)).toEqual(["support@switchboard.test"]);
  });

  it("filters by the actor's address (any case), kept in the URL, the export and the next page", async () => {
    const { alice } = await trail();
    const staff = await staffAgent(t.app.url, "operator");
    const actions = (html: string) => [...html.matchAll(/<td>(test\.[a-z]+)<\/td>/g)].map((m) => m[1]);

    expect(actions((await staff.get("/console/audit?actor_email=Support%40Switchboard.test")).body)).toEqual(["test.blocked"]);
    const byUser = await staff.get("/console/audit?actor_email=alice%40example.com");
    expect(actions(byUser.body)).toEqual(["test.ticket"]);
    expect(byUser.body).toMatch(/<input[^>]*id="actor_email"[^>]*value="alice@example.com"/);
    expect(byUser.body).toContain(`href="/console/audit/csv?actor_email=alice%40example.com"`);
    expect(actions((await staff.get("/console/audit?actor_email=nobody%40example.com")).body)).toEqual([]);
    expect(pageText((await staff.get("/console/audit?actor_email=nobody%40example.com")).body)).toContain("No audit rows match this filter.");

    const bad = await staff.request("/console/audit?actor_email=not-an-address");
    expect(bad.status).toBe(400);
    expect(pageText(bad.body)).toContain("Actor email: an address like alice@example.com.");

    const csv = await staff.request(`/console/audit/csv?actor_email=alice%40example.com`);
    const lines = csv.body.trim().split("\r\n");
    // Her test row and the ticket she opened, nobody else's.
    expect(lines.slice(1).map((l) => l.split(",")[4])).toEqual(["test.ticket", "ticket.created"]);
    expect(lines.slice(1).every((l) => l.includes(`,user,${alice.userId},`))).toBe(true);
  });

  it("the CSV carries the actor's address and the target's label", async () => {
    const { bob } = await trail();
    const staff = await staffAgent(t.app.url, "operator");
    const csv = await staff.request("/console/audit/csv?action=test.*");
    expect(csv.status).toBe(200);
    const lines = csv.body.trim().split("\r\n");
    expect(lines[0]).toBe("id,at,actor_type,actor_id,action,target_type,target_id,ip,details,actor_email,target_label");
    const line = (action: string) => lines.find((l) => l.includes(`,${action},`))!;
    expect(line("test.blocked").endsWith(",support@switchboard.test,bob@example.com · Test account")).toBe(true);
    expect(line("test.ticket")).toMatch(/,alice@example\.com,Ticket [0-9a-f]{8}… · open · to alice\.new@example\.com$/);
    expect(line("test.key")).toMatch(/,bob@example\.com,Key \S+…\S+ \([^)]*\) · account of bob@example\.com$/);
    // A workflow has no address; its target still has a label.
    expect(line("test.long").endsWith(`",,bob@example.com · Test account`)).toBe(true);
    expect(line("test.long")).toContain(`,account,${bob.accountId},`);
  });
});
