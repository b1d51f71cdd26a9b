/** The console's Audit page and its CSV export. */
import { beforeEach, describe, expect, it } from "vitest";
import type { ActorType } from "../db/schema.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";
import { parseCsv } from "./helpers/csv.js";

const t = useSuite({ app: true });

interface Seed {
  tag: string;
  at?: string;
  actor_type?: ActorType;
  actor_id?: string | null;
  action?: string;
  target_type?: string | null;
  target_id?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Inserted in order, so ids grow with the array index. */
async function seed(rows: Seed[]) {
  for (const r of rows) {
    await t.db
      .insertInto("audit_log")
      .values({
        at: r.at ? new Date(r.at) : new Date("2026-06-01T00:00:00Z"),
        actor_type: r.actor_type ?? "system",
        actor_id: r.actor_id ?? null,
        action: r.action ?? "test.row",
        target_type: r.target_type ?? null,
        target_id: r.target_id ?? null,
        ip: r.ip ?? null,
        details: JSON.stringify({ tag: r.tag, ...r.details }),
      })
      .execute();
  }
}

/** The tags of the rows a page shows, top to bottom. */
const tags = (html: string) => [...pageText(html).matchAll(/"tag":"([\w-]+)"/g)].map((m) => m[1]);

async function operator() {
  const ua = new UserAgent(t.app.url);
  await ua.signIn("github", { email: "operator@switchboard.test" });
  return ua;
}

beforeEach(async () => {
  await truncateAll(t.db);
  await t.db
    .insertInto("staff")
    .values([
      { email: "operator@switchboard.test", role: "operator" },
      { email: "support@switchboard.test", role: "support" },
    ])
    .execute();
});

describe("console audit page", () => {
  it("filters by actor, action (exact and prefix), target and time range", async () => {
    await seed([
      { tag: "a", actor_type: "staff", actor_id: "s-1", action: "account.blocked", target_type: "account", target_id: "acc-1", at: "2026-01-01T10:00:00Z" },
      { tag: "b", actor_type: "staff", actor_id: "s-2", action: "account.unblocked", target_type: "account", target_id: "acc-2", at: "2026-01-01T11:00:00Z" },
      {
        tag: "c",
        actor_type: "workflow",
        actor_id: "block-account:acc-1",
        action: "account_x.blocked",
        target_type: "account",
        target_id: "acc-1",
        at: "2026-01-01T12:00:00Z",
      },
      { tag: "d", actor_type: "user", actor_id: "u-1", action: "api_key.created", target_type: "api_key", target_id: "k-1", at: "2026-01-02T09:00:00Z" },
    ]);
    const staff = await operator();
    const show = async (q: string) => {
      const page = await staff.get(`/console/audit?${q}`);
      expect(page.status).toBe(200);
      return tags(page.body);
    };
    expect(await show("")).toEqual(["d", "c", "b", "a"]);
    expect(await show("actor_type=staff")).toEqual(["b", "a"]);
    expect(await show("actor_type=staff&actor_id=s-2")).toEqual(["b"]);
    expect(await show("actor_id=block-account%3Aacc-1")).toEqual(["c"]);
    expect(await show("action=account.blocked")).toEqual(["a"]);
    // The prefix is literal: "_" in account_x is not a LIKE wildcard matching the "." of account.
    expect(await show("action=account.*")).toEqual(["b", "a"]);
    expect(await show("action=account_*")).toEqual(["c"]);
    expect(await show("action=*")).toEqual(["d", "c", "b", "a"]);
    expect(await show("target_type=account&target_id=acc-1")).toEqual(["c", "a"]);
    expect(await show("target_id=k-1")).toEqual(["d"]);
    // From is included, To is not; a bare datetime-local value is UTC, an explicit offset is honoured.
    expect(await show("from=2026-01-01T11:00&to=2026-01-01T12:00")).toEqual(["b"]);
    expect(await show("from=2026-01-01T12:00:00%2B01:00")).toEqual(["d", "c", "b"]);
    expect(await show("from=2026-01-02")).toEqual(["d"]);
    expect(await show("to=2026-01-01T11:00:00Z&action=account.*")).toEqual(["a"]);
    // Empty fields, as a submitted form sends them, are no filter.
    expect(await show("actor_type=&actor_id=&action=&target_type=&target_id=&from=&to=")).toEqual(["d", "c", "b", "a"]);
    // The table shows the target.
    expect(pageText((await staff.get("/console/audit?target_id=k-1")).body)).toMatch(/api_key\s+k-1/);
  });

  it("pages 120 rows by a keyset cursor: every row once, newest first, the filter kept", async () => {
    await seed(Array.from({ length: 120 }, (_, i) => ({ tag: `p${String(i).padStart(3, "0")}`, action: "bulk.row" })));
    await seed([{ tag: "other", action: "elsewhere" }]);
    const staff = await operator();
    const seen: string[] = [];
    let next: string | undefined = "/console/audit?action=bulk.*";
    const sizes: number[] = [];
    while (next) {
      const page = await staff.get(next);
      expect(page.status).toBe(200);
      const found = tags(page.body);
      sizes.push(found.length);
      seen.push(...found);
      next = /<a [^>]*href="([^"]*before=[^"]*)"[^>]*>Older/.exec(page.body)?.[1]?.replace(/&amp;/g, "&");
      if (sizes.length > 1) expect(page.body).toMatch(/href="\/console\/audit\?action=bulk\.\*"[^>]*>← Newest/);
    }
    expect(sizes).toEqual([50, 50, 20]);
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => `p${String(119 - i).padStart(3, "0")}`));
  });

  it("is open to support too", async () => {
    await seed([{ tag: "visible" }]);
    const support = new UserAgent(t.app.url);
    await support.signIn("github", { email: "support@switchboard.test" });
    const page = await support.get("/console/audit");
    expect(page.status).toBe(200);
    expect(tags(page.body)).toEqual(["visible"]);
  });

  it("answers a bad filter with 400 naming the field, and keeps the form", async () => {
    const staff = await operator();
    const bad = await staff.request("/console/audit?from=notadate");
    expect(bad.status).toBe(400);
    expect(pageText(bad.body)).toContain("From: “notadate” is not a date and time");
    expect(bad.body).toMatch(/<input[^>]*id="from"[^>]*aria-invalid="true"|<input[^>]*aria-invalid="true"[^>]*id="from"/);
    const cases: [string, string][] = [
      ["to=2026-02-31", "To:"],
      ["from=2026-01-02&to=2026-01-01", "To: must be later than From"],
      ["action=acc*ount", "Action:"],
      ["actor_type=robot", "Actor type:"],
      ["before=abc", "That page link is broken"],
      [`target_id=${"x".repeat(201)}`, "Target id:"],
    ];
    for (const [q, message] of cases) {
      const res = await staff.request(`/console/audit?${q}`);
      expect(res.status, q).toBe(400);
      expect(pageText(res.body), q).toContain(message);
    }
    const csv = await staff.request("/console/audit/csv?from=notadate");
    expect(csv.status).toBe(400);
    expect(csv.body).toContain("From:");
  });

  it("is not for customers: 404, page and export", async () => {
    await seed([{ tag: "secret" }]);
    const user = new UserAgent(t.app.url);
    await user.signIn("google", { email: "nosy@example.com" });
    const page = await user.request("/console/audit");
    expect(page.status).toBe(404);
    const csv = await user.request("/console/audit/csv");
    expect(csv.status).toBe(404);
    expect(csv.body).not.toContain("secret");
  });
});

describe("console audit CSV export", () => {
  it("streams exactly the filter's rows, escaped against broken cells and formula injection", async () => {
    await seed([
      { tag: "out-before", action: "export.x", at: "2025-12-31T23:59:59Z" },
      {
        tag: "tricky",
        action: "export.note",
        actor_type: "staff",
        actor_id: "@staff-1",
        target_type: "account",
        target_id: '=HYPERLINK("http://evil")',
        ip: "203.0.113.9",
        at: "2026-01-01T08:00:00.123Z",
        details: { note: 'a, "quoted" note', formula: "=1+1" },
      },
      { tag: "plain", action: "export.other", at: "2026-01-01T09:00:00Z", target_id: "-5" },
      { tag: "wrong-action", action: "exportx", at: "2026-01-01T09:30:00Z" },
    ]);
    // Enough rows for several 1000-row batches.
    await seed(Array.from({ length: 2100 }, (_, i) => ({ tag: `bulk-${i}`, action: "export.bulk", at: "2026-01-01T10:00:00Z" })));
    const staff = await operator();

    const page = await staff.get("/console/audit?action=export.*&from=2026-01-01");
    const link = /<a href="([^"]*)"[^>]*>Export CSV/.exec(page.body)?.[1]?.replace(/&amp;/g, "&");
    expect(link).toBe("/console/audit/csv?action=export.*&from=2026-01-01T00%3A00%3A00.000Z");

    const res = await fetch(new URL(link!, t.app.url), { headers: { Cookie: staff.cookieHeader(link!) } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-\d{8}T\d{6}Z\.csv"$/);
    const text = await res.text();
    const rows = parseCsv(text);
    // The people the row names come last (test/console-audit-people.test.ts); ids that name nobody leave them empty.
    expect(rows[0]).toEqual(["id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "ip", "details", "actor_email", "target_label"]);
    const body = rows.slice(1);

    const expected = await t.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "like", "export.%")
      .where("at", ">=", new Date("2026-01-01T00:00:00Z"))
      .orderBy("id", "desc")
      .execute();
    expect(expected).toHaveLength(2102);
    expect(body.map((r) => r[0])).toEqual(expected.map((r) => r.id));
    expect(body.every((r) => r.length === 11)).toBe(true);

    const tricky = body.find((r) => r[4] === "export.note")!;
    const row = expected.find((r) => r.action === "export.note")!;
    expect(tricky).toEqual([
      row.id,
      "2026-01-01T08:00:00.123Z",
      "staff",
      "'@staff-1",
      "export.note",
      "account",
      '\'=HYPERLINK("http://evil")',
      "203.0.113.9",
      JSON.stringify(row.details),
      "",
      "",
    ]);
    expect(JSON.parse(tricky[8])).toEqual({ tag: "tricky", note: 'a, "quoted" note', formula: "=1+1" });
    // On the wire: the cell with comma and quotes is quoted, quotes doubled.
    expect(text).toContain(`"{""tag"":""tricky"",""note"":""a, \\""quoted\\"" note"",""formula"":""=1+1""}"`);
    expect(text).toContain(`,"'=HYPERLINK(""http://evil"")",`);
    expect(body.find((r) => JSON.parse(r[8]).tag === "plain")![6]).toBe("'-5");
  });

  it("an empty filter result is the header alone", async () => {
    const staff = await operator();
    const res = await staff.request("/console/audit/csv?action=nothing.here");
    expect(res.status).toBe(200);
    expect(res.body).toBe("id,at,actor_type,actor_id,action,target_type,target_id,ip,details,actor_email,target_label\r\n");
  });
});
