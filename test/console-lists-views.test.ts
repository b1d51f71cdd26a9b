/**
 * Saved views and filters in the URL, over HTTP against the real app: a staff
 * member saves a list's filters under a name (validated: 1–60 characters, no
 * control or invisible characters), opens and deletes it; nobody else sees or
 * deletes it; each list's loader honours its query parameters, so a reload
 * (or a saved view's link) shows the same filters.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { truncateAll } from "./helpers/database.js";
import { staffAgentByEmail, staffIdByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });

const STAFF = [
  { email: "support@switchboard.test", role: "support" },
  { email: "operator@switchboard.test", role: "operator" },
] as const;

beforeEach(async () => {
  await truncateAll(t.db);
  await t.db
    .insertInto("staff")
    .values(STAFF.map((s) => ({ ...s })))
    .execute();
});

const views = (staffId: string) => t.db.selectFrom("saved_views").select(["list", "name", "query"]).where("staff_id", "=", staffId).orderBy("name").execute();
const amp = (href: string) => href.replace(/&/g, "&amp;");
/** The opening tags of the page's links to `href` (attributes in any order), and the text they wrap. */
const linksTo = (html: string, href: string) =>
  [...html.matchAll(/<a\b([^>]*)>([^<]*)/g)].filter((m) => m[1].includes(`href="${amp(href)}"`)).map((m) => `${m[1]}>${m[2]}`);

describe("saved views", () => {
  it("save the current filters under a name, open them, refuse a taken or bad name, delete; another staff member neither sees nor deletes them", async () => {
    const support = await staffAgentByEmail(t.app.url, "support@switchboard.test");
    const operator = await staffAgentByEmail(t.app.url, "operator@switchboard.test");
    const supportId = await staffIdByEmail(t.db, "support@switchboard.test");
    const list = "/console/tickets?status=all&claim=mine&sort=newest";
    const post = "/console/tickets?index";

    const page = await support.get(list);
    expect(pageText(page.body)).toContain("No saved views of tickets yet.");
    // The form carries the filters shown, without the page; a forged extra parameter is dropped on the way in.
    expect(page.body).toContain('name="query" value="status=all&amp;claim=mine&amp;sort=newest"');
    const saved = await support.submit(list, post, { intent: "save_view", name: "  My newest  ", query: "status=all&claim=mine&sort=newest&page=4&evil=1" });
    expect(saved.status).toBe(200);
    expect(pageText(saved.body)).toContain("Saved as “My newest”.");
    expect(await views(supportId)).toEqual([{ list: "tickets", name: "My newest", query: "status=all&claim=mine&sort=newest" }]);
    // Listed as a link that opens the list with those filters (and marked when they are the ones shown).
    const href = "/console/tickets?status=all&claim=mine&sort=newest";
    const plain = await support.get("/console/tickets");
    expect(plain.body).toContain(`href="${amp(href)}"`);
    expect(pageText(plain.body)).toContain("My newest");
    const opened = await support.get(href);
    expect(linksTo(opened.body, href)).toEqual(expect.arrayContaining([expect.stringMatching(/aria-current="page".*>My newest$/)]));
    expect(opened.body).toMatch(/<option value="newest" selected="">/);

    const taken = await support.submit(list, post, { intent: "save_view", name: "My newest", query: "" });
    expect(taken.status).toBe(409);
    expect(pageText(taken.body)).toContain("You already have a view called “My newest”.");
    expect(taken.body).toContain('aria-invalid="true"');

    for (const [name, message] of [
      ["   ", "Give the view a name."],
      ["x".repeat(61), "Keep the name to 60 characters."],
      ["\u202Eweiv lanimret", "invisible or control character (U+202E)"], // a bidi override: reads as something else
      ["a\u0007b", "(U+0007)"],
      ["same\u200Bname", "(U+200B)"], // zero-width space: two names that look alike
      ["\uE000private", "(U+E000)"],
      ["line\u2028break", "(U+2028)"],
    ] as const) {
      const refused = await support.submit(list, post, { intent: "save_view", name, query: "" });
      expect(refused.status, name).toBe(400);
      expect(pageText(refused.body), name).toContain(message);
    }
    const nul = await support.submit(list, post, { intent: "save_view", name: "a\u0000b", query: "" });
    expect(nul.status).toBe(400); // refused with the form itself (NUL never reaches a query)
    // Sixty characters (code points) of any script, with emoji, are a name like any other.
    const base = "Équipe 日本 🚀 é";
    const unicode = base + "·".repeat(60 - [...base].length);
    expect([...unicode].length).toBe(60);
    expect((await support.submit(list, post, { intent: "save_view", name: unicode, query: "status=completed" })).status).toBe(200);
    expect((await views(supportId)).map((v) => v.name)).toEqual(["My newest", unicode].sort());

    // Another staff member: none of it is theirs, not even by id.
    const [mine] = await t.db.selectFrom("saved_views").select("id").where("name", "=", "My newest").execute();
    const theirs = await operator.get("/console/tickets");
    expect(pageText(theirs.body)).toContain("No saved views of tickets yet.");
    expect(theirs.body).not.toContain("My newest");
    const stolen = await operator.submit("/console/tickets", post, { intent: "delete_view", id: mine.id });
    expect(stolen.status).toBe(404);
    expect(pageText(stolen.body)).toContain("That view is not among yours: nothing was deleted.");
    expect(await views(supportId)).toHaveLength(2);
    // Nor from another list's page: a view belongs to one list.
    expect((await support.submit("/console/deletions", "/console/deletions?index", { intent: "delete_view", id: mine.id })).status).toBe(404);
    expect((await support.request(post, { form: { intent: "delete_view", id: mine.id } })).status).toBe(403); // no CSRF token
    expect(await views(supportId)).toHaveLength(2);

    const deleted = await support.submit("/console/tickets", post, { intent: "delete_view", id: mine.id });
    expect(deleted.status).toBe(200);
    expect(pageText(deleted.body)).toContain("View “My newest” deleted.");
    expect((await views(supportId)).map((v) => v.name)).toEqual([unicode]);

    const audit = await t.db
      .selectFrom("audit_log")
      .select(["action", "actor_id", "target_id", "details"])
      .where("target_type", "=", "saved_view")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.action)).toEqual(["saved_view.created", "saved_view.created", "saved_view.deleted"]);
    expect(audit.every((a) => a.actor_id === supportId)).toBe(true);
    expect(audit[2]).toMatchObject({ target_id: mine.id, details: { list: "tickets" } });
    expect(JSON.stringify(audit)).not.toContain("My newest"); // the person's words stay in their own table
  });

  it("each list keeps its own views, saved from its own filters; an operator (who cannot act on tickets) has views too", async () => {
    const op = await staffAgentByEmail(t.app.url, "operator@switchboard.test");
    const opId = await staffIdByEmail(t.db, "operator@switchboard.test");
    const cases = [
      { path: "/console/workflows", query: "type=deleteAccount&status=Failed" },
      { path: "/console/accounts", query: "q=alice%40example.com" },
      { path: "/console/deletions", query: "status=failed" },
      { path: "/console/audit", query: "actor_email=support%40switchboard.test&action=account.*" },
    ];
    for (const c of cases) {
      const shown = await op.get(`${c.path}?${c.query}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toContain(`name="query" value="${amp(c.query)}"`);
      const saved = await op.submit(`${c.path}?${c.query}`, `${c.path}?index`, { intent: "save_view", name: `Mine on ${c.path}`, query: c.query });
      expect(saved.status, c.path).toBe(200);
      expect(pageText((await op.get(c.path)).body)).toContain(`Mine on ${c.path}`);
      expect((await op.get(`${c.path}`)).body).toContain(`href="${amp(`${c.path}?${c.query}`)}"`);
    }
    expect(await views(opId)).toEqual([
      { list: "accounts", name: "Mine on /console/accounts", query: "q=alice%40example.com" },
      { list: "audit", name: "Mine on /console/audit", query: "actor_email=support%40switchboard.test&action=account.*" },
      { list: "deletions", name: "Mine on /console/deletions", query: "status=failed" },
      { list: "workflows", name: "Mine on /console/workflows", query: "type=deleteAccount&status=Failed" },
    ]);
    // One list's views are not on another's page.
    expect(pageText((await op.get("/console/tickets")).body)).not.toContain("Mine on");
    expect(pageText((await op.get("/console/deletions")).body)).not.toContain("Mine on /console/accounts");
  });
});

describe("filters live in the URL", () => {
  it("each list's loader honours its query parameters, so a reload shows the same filters", async () => {
    const ua = await staffAgentByEmail(t.app.url, "support@switchboard.test");
    const wf = await ua.get("/console/workflows?type=deleteAccount&status=Failed&account=00000000-0000-4000-8000-000000000000");
    expect(wf.body).toMatch(/<option value="deleteAccount" selected="">/);
    expect(wf.body).toMatch(/<option value="Failed" selected="">/);
    expect(wf.body).toContain('value="00000000-0000-4000-8000-000000000000"');
    const accounts = await ua.get("/console/accounts?q=nobody-here");
    expect(accounts.body).toContain('value="nobody-here"');
    expect(pageText(accounts.body)).toContain("No account matches “nobody-here”.");
    const deletions = await ua.get("/console/deletions?status=failed");
    const failed = linksTo(deletions.body, "/console/deletions?status=failed");
    expect(failed).toEqual(expect.arrayContaining([expect.stringMatching(/aria-current="page"/)]));
    expect(pageText(deletions.body)).toContain("No failed deletions.");
    // Without JavaScript a Refresh link reloads the same filters.
    expect(failed).toEqual(expect.arrayContaining([expect.stringMatching(/>Refresh$/)]));
    const tickets = await ua.get("/console/tickets?status=all&claim=unclaimed&sort=oldest");
    expect(linksTo(tickets.body, "/console/tickets?status=all&claim=unclaimed&sort=oldest")).toEqual(
      expect.arrayContaining([expect.stringMatching(/>Refresh$/)]),
    );
  });

  it("each list has its own page title", async () => {
    const ua = await staffAgentByEmail(t.app.url, "support@switchboard.test");
    for (const [path, title] of [
      ["/console/tickets", "Tickets · Console · Switchboard"],
      ["/console/workflows", "Workflows · Console · Switchboard"],
      ["/console/accounts", "Accounts · Console · Switchboard"],
      ["/console/deletions", "Deletions · Console · Switchboard"],
    ]) {
      expect((await ua.get(path)).body).toContain(`<title>${title}</title>`);
    }
  });
});
