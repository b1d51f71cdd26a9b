/** The console's search from anywhere (/console/search) over HTTP: every kind by every field, grouping, roles, bad input. */
import { beforeEach, describe, expect, it } from "vitest";
import { createEmailTransferTicket, createWebTransferTicket } from "../app/models/tickets.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { seedStaffOfEachRole, staffAgent } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
const system = { type: "system" as const, id: null };

interface World {
  alice: { accountId: string; userId: string; prefix: string; last4: string };
  bob: { accountId: string };
  webTicket: string;
  mailTicket: string;
}
let w: World;

beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
  const alice = await accountWithKey(t.db, { email: "alice.search@example.com" });
  await t.db.updateTable("accounts").set({ name: "Zebra Crossing Ltd" }).where("id", "=", alice.accountId).execute();
  await t.db.updateTable("users").set({ name: "Alice Quokka" }).where("id", "=", alice.userId).execute();
  const key = await t.db.selectFrom("api_keys").select(["prefix", "last4"]).where("id", "=", alice.keyId).executeTakeFirstOrThrow();
  const bob = await accountWithKey(t.db, { email: "bob@example.com" });
  const webTicket = await createWebTransferTicket(
    t.db,
    { requesterUserId: alice.userId, oldAccountId: alice.accountId, newAddress: "alice.moved@example.net" },
    system,
  );
  const mailTicket = await createEmailTransferTicket(
    t.db,
    { senderAddress: "mailer.person@example.org", senderVerdict: "pass", newAddress: "target.addr@example.net" },
    system,
  );
  w = { alice: { ...alice, ...key }, bob, webTicket, mailTicket };
});

const search = async (q: string, ua?: UserAgent) => (ua ?? (await staffAgent(t.app.url, "support"))).request(`/console/search?${new URLSearchParams({ q })}`);
const accountLink = (id: string) => `href="/console/accounts/${id}"`;
const ticketLink = (id: string) => `href="/console/tickets/${id}"`;

describe("accounts", () => {
  it("are found by email (whole, start, any part), names, ids and key prefix or last four — and only the matching ones", async () => {
    const support = await staffAgent(t.app.url, "support");
    const cases: [string, string][] = [
      ["alice.search@example.com", "email"],
      ["ALICE.SE", "email"],
      ["ce.sear", "email"],
      ["zebra cross", "account name"],
      ["quokka", "member name"],
      [w.alice.accountId, "account id"],
      [w.alice.userId, "member id"],
      [w.alice.prefix, "key"],
      [w.alice.last4, "key"],
      [`${w.alice.prefix}…${w.alice.last4}`, "key"],
    ];
    for (const [q, field] of cases) {
      const page = await search(q, support);
      expect(page.status, q).toBe(200);
      expect(page.body, q).toContain(accountLink(w.alice.accountId));
      expect(page.body, q).toContain(`${field}: `);
      expect(page.body, q).not.toContain(accountLink(w.bob.accountId));
    }
  });

  it("LIKE's wildcards in the term are matched literally", async () => {
    for (const q of ["%%%", "___", "a%e"]) {
      const page = await search(q);
      expect(page.status, q).toBe(200);
      expect(page.body, q).toContain("Nothing matches");
      expect(page.body, q).not.toContain(accountLink(w.bob.accountId));
    }
  });
});

describe("tickets", () => {
  it("are found by id and by the requester's, the sender's and the new address", async () => {
    const support = await staffAgent(t.app.url, "support");
    const cases: [string, string, string][] = [
      [w.webTicket, w.webTicket, "ticket id"],
      [w.mailTicket, w.mailTicket, "ticket id"],
      ["alice.search@", w.webTicket, "requester"],
      ["mailer.per", w.mailTicket, "from address"],
      ["alice.moved@example.net", w.webTicket, "new address"],
      ["get.addr", w.mailTicket, "new address"],
    ];
    for (const [q, ticket, field] of cases) {
      const page = await search(q, support);
      expect(page.status, q).toBe(200);
      expect(page.body, q).toContain(ticketLink(ticket));
      expect(page.body, q).toContain(`${field}: `);
      expect(page.body, q).not.toContain(ticketLink(ticket === w.webTicket ? w.mailTicket : w.webTicket));
    }
  });
});

describe("workflows", () => {
  it("a workflow id links to its page and finds what it is about; an account or ticket id links to its workflows", async () => {
    const byWorkflowId = await search(`transfer:${w.webTicket}`);
    expect(byWorkflowId.body).toContain(`href="/console/workflows/${encodeURIComponent(`transfer:${w.webTicket}`)}"`);
    expect(byWorkflowId.body).toContain(ticketLink(w.webTicket));
    expect((await search(w.alice.accountId)).body).toContain(`href="/console/workflows?account=${w.alice.accountId}"`);
    expect((await search(w.mailTicket)).body).toContain(`href="/console/workflows?ticket=${w.mailTicket}"`);
    // A term that is no workflow id lists no workflows (Temporal is not asked for every term).
    expect((await search("alice")).body).not.toContain('id="found-workflows"');
  });
});

describe("grouping", () => {
  it("groups by kind with counts, shows ten of a larger group and links to the full list", async () => {
    for (let i = 0; i < 12; i++) await accountWithKey(t.db, { email: `crowd${i}@example.com` });
    const crowd = await search("crowd");
    expect(crowd.body).toContain('<h2 id="found-accounts">Accounts <span class="muted">· 10 of 12</span></h2>');
    expect(crowd.body.match(/href="\/console\/accounts\/[0-9a-f-]{36}"/g)).toHaveLength(10);
    expect(crowd.body).toContain('href="/console/accounts?q=crowd"');
    expect(crowd.body).not.toContain('id="found-tickets"');

    // Alice's address: her account and the ticket she asked for, each under its own heading, accounts first.
    const both = (await search("alice.search")).body;
    const accountsAt = both.indexOf('id="found-accounts"');
    const ticketsAt = both.indexOf('id="found-tickets"');
    expect(accountsAt).toBeGreaterThan(-1);
    expect(ticketsAt).toBeGreaterThan(accountsAt);
    expect(both.slice(accountsAt, ticketsAt)).toContain(accountLink(w.alice.accountId));
    expect(both.slice(ticketsAt)).toContain(ticketLink(w.webTicket));
    expect(both).toContain('<h2 id="found-accounts">Accounts <span class="muted">· 1</span></h2>');
  });

  it("the console bar's search box (a labelled GET form) shows the term, and the title names it", async () => {
    const page = (await search("quokka")).body;
    expect(page).toMatch(/<form[^>]*method="get"[^>]*action="\/console\/search"/);
    expect(page).toMatch(
      /<label for="([^"]+)" class="sr-only">Search accounts, tickets and workflows<\/label><input[^>]*id="\1"[^>]*name="q"[^>]*value="quokka"/,
    );
    expect(page).toContain("<title>Search “quokka” · Console · Switchboard</title>");
  });
});

describe("who may search", () => {
  it("every staff role may; a customer gets the console's 404 and a signed-out visitor the sign-in", async () => {
    for (const role of ["support", "operator", "admin"] as const) expect((await search("alice", await staffAgent(t.app.url, role))).status, role).toBe(200);
    const customer = new UserAgent(t.app.url);
    await customer.signIn("google", { email: "curious@example.com" });
    const refused = await search("alice", customer);
    expect(refused.status).toBe(404);
    expect(refused.body).not.toContain("alice.search@example.com");
    const anonymous = await search("alice", new UserAgent(t.app.url));
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toContain("/login");
  });
});

describe("bad input", () => {
  it("empty, too short, too long, NUL, lone surrogates and a megabyte each get a clear answer, never a 500", async () => {
    const support = await staffAgent(t.app.url, "support");
    const raw = (qs: string) => support.request(`/console/search?${qs}`);
    const empty = await raw("");
    expect(empty.status).toBe(200);
    expect(empty.body).toContain("Search by email, name");
    const blank = await raw("q=%20%20");
    expect(blank.status).toBe(200);
    expect(blank.body).toContain("Search by email, name");
    const short = await raw("q=ab");
    expect(short.status).toBe(200);
    expect(short.body).toContain("Type at least 3 characters");
    const long = await raw(`q=${"x".repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.body).toContain("The search is too long: 200 characters at most.");
    const nul = await raw("q=ali%00ce");
    expect(nul.status).toBe(400);
    expect(nul.body).toContain("NUL character");
    const surrogate = await raw("q=ali%ED%A0%80ce");
    expect(surrogate.status).toBe(400);
    expect(surrogate.body).toContain("must be valid UTF-8");
    const repeated = await raw("q=alice&q=bob");
    expect(repeated.status).toBeLessThan(500);
    const megabyte = await raw(`q=${"a".repeat(1024 * 1024)}`);
    expect(megabyte.status).toBeGreaterThanOrEqual(400);
    expect(megabyte.status).toBeLessThan(500);
  });
});
