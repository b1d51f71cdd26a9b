/** Settings → Billing's usage: spend per UTC day stacked by API key, totals per key, and the ledger as CSV. */
import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { csvCell } from "../app/csv.js";
import { loadBillingPage } from "../app/presenters/billing-page.server.js";
import { truncateAll } from "./helpers/database.js";
import { signUpOwner } from "./helpers/sign-up.js";
import { useSuite } from "./helpers/suite.js";
import { pageText, UserAgent } from "./helpers/user-agent.js";
import { parseCsv } from "./helpers/csv.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
});

const CSV = "/settings/billing/ledger.csv";
const DAY = 86_400_000;
const utcMidnight = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** A key row as the keys page would make it (name, prefix, last4), optionally already deleted. */
async function key(accountId: string, name: string, last4: string, deleted = false) {
  const row = await t.db
    .insertInto("api_keys")
    .values({
      account_id: accountId,
      kind: "additional",
      name,
      key_hash: randomBytes(32),
      prefix: "tgp_v1_Test",
      last4,
      ...(deleted ? { status: "revoked" as const, revoked_at: new Date(), revoked_reason: "deleted" } : {}),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

let seq = 0;
/** A usage debit at a chosen time: the ledger's created_at defaults to now(), and a chart needs the past. */
const usage = (accountId: string, at: number, cents: number, keyId: string | null, note: string | null = null) =>
  t.db
    .insertInto("ledger_entries")
    .values({
      account_id: accountId,
      amount_cents: -cents,
      kind: "usage",
      idempotency_key: `t:${++seq}`,
      balance_after_cents: -cents,
      actor_type: keyId ? "api_key" : "system",
      actor_id: keyId,
      note,
      created_at: new Date(at),
    })
    .execute();

/** Per series, the value each day's bar segment says in its <title> ("2027-03-01: $1.50 ci key"). */
function bars(html: string, series: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(new RegExp(`<rect [^>]*data-series="${series}"[^>]*><title>(\\d{4}-\\d\\d-\\d\\d): ([^ <]+) `, "g"))) out.set(m[1], m[2]);
  return out;
}
const nonZero = (m: Map<string, string>) => Object.fromEntries([...m].filter(([, v]) => v !== "$0.00"));

async function download(ua: UserAgent) {
  const res = await fetch(new URL(CSV, t.app.url), { headers: { Cookie: ua.cookieHeader(t.app.url) }, redirect: "manual" });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

describe("usage chart", () => {
  it("sums each key's usage per UTC day across a day boundary, totals every key (deleted ones by name) and leaves out what is older than 30 days", async () => {
    const { ua, accountId } = await signUpOwner(t.app.url, t.db, "chart@example.com");
    const ci = await key(accountId, "CI", "aaaa");
    const old = await key(accountId, "Old laptop", "bbbb", true);
    const today = utcMidnight(new Date());
    await usage(accountId, today - 1, 150, ci); // yesterday, 23:59:59.999
    await usage(accountId, today - 2 * 3600_000, 50, ci); // yesterday too
    await usage(accountId, today, 25, ci); // today, 00:00:00.000
    await usage(accountId, today - 1, 700, old);
    await usage(accountId, today - 29 * DAY, 300, old); // the first charted day
    await usage(accountId, today - 29 * DAY - 1, 9999, old); // 30 days ago: outside
    await usage(accountId, today, 40, null); // usage posted without a key
    await postLedgerEntry(t.db, { accountId, amountCents: 5000n, kind: "grant", idempotencyKey: "g", actor: { type: "system", id: null } });

    const page = await ua.get("/settings/billing");
    expect(page.status).toBe(200);
    const [first, yesterday, now] = [isoDay(today - 29 * DAY), isoDay(today - DAY), isoDay(today)];
    expect(bars(page.body, `key-${ci}`).size).toBe(30);
    expect(nonZero(bars(page.body, `key-${ci}`))).toEqual({ [yesterday]: "$2.00", [now]: "$0.25" });
    expect(nonZero(bars(page.body, `key-${old}`))).toEqual({ [first]: "$3.00", [yesterday]: "$7.00" });
    expect(nonZero(bars(page.body, "no-key"))).toEqual({ [now]: "$0.40" });
    expect([...bars(page.body, `key-${ci}`).keys()][0]).toBe(first);
    expect([...bars(page.body, `key-${ci}`).keys()][29]).toBe(now);

    const text = pageText(page.body);
    expect(text).toContain("$12.65 spent from");
    // The totals beneath, biggest first: name, prefix…last4, total.
    expect(text).toMatch(/Old laptop \(deleted\) tgp_v1_Test…bbbb \$10\.00 CI tgp_v1_Test…aaaa \$2\.25 Not from an API key — \$0\.40/);
    // The chart names itself and the numbers are in a table too.
    expect(page.body).toMatch(/<svg[^>]*role="img"[^>]*aria-labelledby="[^"]+"[^>]*aria-describedby="[^"]+"/);
    expect(page.body).toMatch(/<title id="[^"]+">Usage per day by API key \(UTC\)<\/title>/);
    expect(text).toMatch(new RegExp(`Show the numbers .*${yesterday} \\$7\\.00 \\$2\\.00 \\$0\\.00 \\$9\\.00`));
  });

  it("charts the three biggest keys and groups the rest as Other keys, still totalling each", async () => {
    const { accountId } = await signUpOwner(t.app.url, t.db, "many@example.com");
    const today = utcMidnight(new Date("2027-03-20T10:00:00Z"));
    const ids: string[] = [];
    for (const [i, cents] of [500, 400, 300, 200, 100].entries()) {
      const id = await key(accountId, `Key ${i + 1}`, `000${i}`);
      ids.push(id);
      await usage(accountId, today - i * DAY, cents, id);
    }
    const page = await loadBillingPage({ db: t.db }, accountId, "owner", undefined, new Date("2027-03-20T10:00:00Z"));
    const usageOf = page!.usage;
    expect(usageOf.series.map((s) => s.label)).toEqual(["Key 1", "Key 2", "Key 3", "Other keys"]);
    const other = usageOf.series.find((s) => s.key === "other-keys")!;
    expect(other.values[29 - 3]).toBe(200);
    expect(other.values[29 - 4]).toBe(100);
    expect(other.values.reduce((a, b) => a + b, 0)).toBe(300);
    expect(usageOf.keyTotals.map((k) => [k.name, k.totalCents])).toEqual([
      ["Key 1", "500"],
      ["Key 2", "400"],
      ["Key 3", "300"],
      ["Key 4", "200"],
      ["Key 5", "100"],
    ]);
    expect(usageOf.days[0]).toBe("2027-02-19");
    expect(usageOf.days[29]).toBe("2027-03-20");
  });

  it("says there is no usage yet instead of an empty chart", async () => {
    const { ua } = await signUpOwner(t.app.url, t.db, "quiet@example.com");
    const page = await ua.get("/settings/billing");
    expect(pageText(page.body)).toContain("No usage in the last 30 days.");
    expect(page.body).not.toContain('data-series="');
  });
});

describe("ledger CSV", () => {
  it("downloads every entry oldest first, quoted, with formula-looking text defused and amounts as plain numbers", async () => {
    const { ua, accountId } = await signUpOwner(t.app.url, t.db, "csv@example.com");
    const evil = await key(accountId, `=HYPERLINK("http://x","y")`, "cccc", true);
    const at = Date.UTC(2027, 2, 1, 12, 30, 0, 123);
    await usage(accountId, at, 150, evil, 'He said "hi", then\r\nleft');
    await usage(accountId, at + 1000, 1, null, "+SUM(A1:A9)");
    await usage(accountId, at + 2000, 1, null, "@cmd");
    await usage(accountId, at + 3000, 1, null, "-2+3");
    await usage(accountId, at + 4000, 1, null, "\tTabbed");
    await usage(accountId, at + 5000, 1, null, "\rReturn");
    await postLedgerEntry(t.db, { accountId, amountCents: 2500n, kind: "grant", idempotencyKey: "g", actor: { type: "system", id: null }, note: "welcome" });
    await postLedgerEntry(t.db, {
      accountId,
      amountCents: 100n,
      kind: "adjustment",
      idempotencyKey: "s",
      actor: { type: "staff", id: randomUUID() },
      note: "support's reason",
    });

    const res = await download(ua);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="switchboard-ledger-\d{4}-\d\d-\d\d\.csv"$/);
    expect(res.body).toContain(`"'=HYPERLINK(""http://x"",""y"") (deleted)"`);
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(["date_utc", "entry_id", "kind", "amount_usd", "balance_after_usd", "api_key_name", "api_key_id", "note"]);
    const body = rows.slice(1);
    expect(body).toHaveLength(8);
    expect(body[0]).toEqual([
      "2027-03-01T12:30:00.123Z",
      body[0][1],
      "usage",
      "-1.50",
      "-1.50",
      `'=HYPERLINK("http://x","y") (deleted)`,
      evil,
      'He said "hi", then\r\nleft',
    ]);
    expect(body.slice(1, 6).map((r) => [r[3], r[5], r[6], r[7]])).toEqual([
      ["-0.01", "", "", "'+SUM(A1:A9)"],
      ["-0.01", "", "", "'@cmd"],
      ["-0.01", "", "", "'-2+3"],
      ["-0.01", "", "", "'\tTabbed"],
      ["-0.01", "", "", "'\rReturn"],
    ]);
    expect(body[6].slice(2)).toEqual(["grant", "25.00", "25.00", "", "", "welcome"]);
    // Staff notes are support's record, not the customer's (as on the page).
    expect(body[7].slice(2)).toEqual(["adjustment", "1.00", "26.00", "", "", ""]);
    const ids = body.map((r) => BigInt(r[1]));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)));
  });

  it("pages through a ledger longer than one read", async () => {
    const { ua, accountId } = await signUpOwner(t.app.url, t.db, "long@example.com");
    await sql`
      INSERT INTO ledger_entries (account_id, amount_cents, kind, idempotency_key, balance_after_cents, actor_type, note)
      SELECT ${accountId}, 1, 'grant', 'bulk:' || n, n, 'system', 'n' || n FROM generate_series(1, 2501) AS n
    `.execute(t.db);
    const rows = parseCsv((await download(ua)).body).slice(1);
    expect(rows).toHaveLength(2501);
    expect(rows.map((r) => r[7])).toEqual(Array.from({ length: 2501 }, (_, i) => `n${i + 1}`));
  });

  it("is refused (403) to someone no longer a member, and sends the signed-out to sign in", async () => {
    const { ua, accountId, userId } = await signUpOwner(t.app.url, t.db, "gone@example.com");
    await postLedgerEntry(t.db, { accountId, amountCents: 100n, kind: "grant", idempotencyKey: "g", actor: { type: "system", id: null }, note: "secret" });
    expect((await download(ua)).status).toBe(200);
    await t.db.deleteFrom("memberships").where("account_id", "=", accountId).where("user_id", "=", userId).execute();
    const refused = await download(ua);
    expect(refused.status).toBe(403);
    expect(refused.body).not.toContain("secret");
    expect((await ua.request("/settings/billing")).status).toBe(403);

    const stranger = await download(new UserAgent(t.app.url));
    expect(stranger.status).toBe(302);
    expect(stranger.headers.get("location")).toMatch(/\/login/);
  });
});

describe("csvCell", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "x"', '"say ""x"""'],
    ["line\nbreak", '"line\nbreak"'],
    ["=1+1", "'=1+1"],
    ["+1", "'+1"],
    ["-1", "'-1"],
    ["@A1", "'@A1"],
    ["\t1", "'\t1"],
    ["\r1", '"\'\r1"'],
    ["=a,b", `"'=a,b"`],
    ["", ""],
  ])("%j → %j", (input, out) => {
    expect(csvCell(input)).toBe(out);
  });
  it("leaves our own numbers alone", () => {
    expect(csvCell("-1.50", { number: true })).toBe("-1.50");
  });
});
