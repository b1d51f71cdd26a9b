/**
 * Settings → API keys, the key-safety parts (issue 16) over HTTP against the
 * real app: a key created with an expiry and a monthly spend limit (and the
 * form's refusals, which create nothing), a main-key roll with its grace
 * window and "stop the old key now", a spend limit set from the page and
 * shown as spend of limit, the states a key can be in (found public, expired,
 * idle, old format) with what to do about each, "Check a key", and who may do
 * any of it (members only look and check; every post needs its CSRF token).
 */
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../app/models/api-key-format.server.js";
import { revokeLeakedKey } from "../app/models/api-keys.server.js";
import { useSuite } from "./helpers/suite.js";
import { truncateAll } from "./helpers/database.js";
import { signUpOwner } from "./helpers/sign-up.js";
import { UserAgent, type Hop, pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
});

const KEYS = "/settings/api-keys";
const FULL_KEY = /tgp_v1_[A-Za-z0-9_-]{43}/g;
const keysIn = (html: string) => [...new Set(html.match(FULL_KEY) ?? [])];
function onlyKey(hop: Hop): string {
  const keys = keysIn(hop.body);
  expect(keys).toHaveLength(1);
  return keys[0];
}
const shown = (key: string) => `${key.slice(0, 11)}…${key.slice(-4)}`;

async function v1(key: string) {
  const res = await fetch(`${t.app.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as { error?: { type: string; message: string } } };
}

async function spend(key: string, cents: number, idem: string) {
  const res = await fetch(`${t.app.url}/v1/usage`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify({ amount_cents: cents, idempotency_key: idem }),
  });
  return { status: res.status, body: (await res.json()) as { error?: { type: string } } };
}

const signUp = (email = "kim@example.com") => signUpOwner(t.app.url, t.db, email, "Kim Keys");

/** The visible text of each table row, and the one that lists `key` (by its display parts) or is named `name`. */
const rowsOf = (html: string) => [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => ({ html: m[1], text: pageText(m[1]) }));
const rowWith = (html: string, needle: string) => {
  const row = rowsOf(html).find((r) => r.text.includes(needle));
  expect(row, `a row with ${needle}`).toBeDefined();
  return row!;
};

const keyRows = (accountId: string) =>
  t.db
    .selectFrom("api_keys")
    .select(["id", "kind", "name", "status", "expires_at", "spend_limit_cents", "superseded_at", "revoked_reason"])
    .where("account_id", "=", accountId)
    .orderBy("created_at")
    .execute();

/** Every key row as the tests compare it (explicit columns: never the hash). */
const snapshot = () =>
  t.db
    .selectFrom("api_keys")
    .select(["id", "kind", "name", "status", "expires_at", "spend_limit_cents", "superseded_at", "revoked_at", "checksummed", "last_used_at"])
    .orderBy("id")
    .execute();

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const DAY = 86_400_000;

async function createKey(ua: UserAgent, fields: Record<string, string>) {
  const res = await ua.submit(KEYS, KEYS, { intent: "create", ...fields });
  expect(res.status, pageText(res.body).slice(0, 300)).toBe(200);
  return onlyKey(res);
}

describe("creating a key with an expiry and a spend limit", () => {
  it("in 30 days: listed with “expires in 30 days”, works on /v1, stored 30 days ahead and audited", async () => {
    const { ua, accountId } = await signUp();
    const before = Date.now();
    const key = await createKey(ua, { name: "Contractor", expires: "30d", spendLimit: "" });
    expect((await v1(key)).status).toBe(200);

    const row = (await keyRows(accountId)).find((k) => k.name === "Contractor")!;
    expect(row.expires_at!.getTime()).toBeGreaterThanOrEqual(before + 30 * DAY - 1000);
    expect(row.expires_at!.getTime()).toBeLessThanOrEqual(Date.now() + 30 * DAY + 1000);
    expect(row.spend_limit_cents).toBeNull();
    expect(rowWith((await ua.get(KEYS)).body, shown(key)).text).toContain("expires in 30 days");
    const audit = await t.db.selectFrom("audit_log").select("details").where("action", "=", "api_key.created").executeTakeFirstOrThrow();
    expect((audit.details as Record<string, unknown>).expires_at).toBe(row.expires_at!.toISOString());
  });

  it("on a date: stops at 00:00 UTC on that day (the form says so), with a spend limit shown as spend of limit", async () => {
    const { ua, accountId } = await signUp();
    const form = pageText((await ua.get(KEYS)).body);
    expect(form).toContain("It stops at 00:00 UTC on this day.");
    const day = utcDay(Date.now() + 12 * DAY);
    const key = await createKey(ua, { name: "Demo", expires: "date", expiresOn: day, spendLimit: "250.50" });
    const row = (await keyRows(accountId)).find((k) => k.name === "Demo")!;
    expect(row.expires_at!.toISOString()).toBe(`${day}T00:00:00.000Z`);
    expect(row.spend_limit_cents).toBe("25050");
    const listed = rowWith((await ua.get(KEYS)).body, shown(key)).text;
    expect(listed).toMatch(/expires in 1[12] days/);
    expect(listed).toContain("$0.00 of $250.50");
    expect((await v1(key)).status).toBe(200);
  });

  it.each([
    ["a date in the past", { expires: "date", expiresOn: "2020-01-01" }, "Choose a date from"],
    ["today (its midnight has passed)", { expires: "date", expiresOn: utcDay(Date.now()) }, "the key stops at 00:00 UTC on the day you choose"],
    ["more than 3 years ahead", { expires: "date", expiresOn: utcDay(Date.now() + 4 * 365 * DAY) }, "at most 3 years ahead"],
    ["a day the calendar does not have", { expires: "date", expiresOn: "2027-02-30" }, "Enter the expiry date as YYYY-MM-DD"],
    ["a date without “On a date…”", { expires: "30d", expiresOn: utcDay(Date.now() + 5 * DAY) }, "and also a date"],
    ["an unknown expiry", { expires: "forever" }, "Choose when the key expires"],
    ["a limit that is no amount", { spendLimit: "lots" }, "Enter the limit in dollars"],
    ["a limit with a thousands separator", { spendLimit: "1,000" }, "without thousands separators"],
    ["a zero limit", { spendLimit: "0" }, "A spend limit is from $0.01 to $1,000,000.00"],
    ["a limit above a million dollars", { spendLimit: "1000000.01" }, "A spend limit is from $0.01 to $1,000,000.00"],
  ])("%s: a form error next to the field, what was typed kept, nothing created", async (_what, fields, message) => {
    const { ua, accountId } = await signUp();
    const res = await ua.submit(KEYS, KEYS, { intent: "create", name: "Refused", ...fields });
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain(message);
    expect(res.body).toMatch(/aria-invalid="true"/);
    expect(res.body).toContain('value="Refused"'); // the name typed stays in its field
    expect(keysIn(res.body)).toEqual([]);
    expect(await keyRows(accountId)).toHaveLength(1);
    expect(await t.db.selectFrom("audit_log").select("id").where("action", "=", "api_key.created").execute()).toEqual([]);
  });

  it("a name with NUL is refused naming the field; nothing created", async () => {
    const { ua, accountId } = await signUp();
    const res = await ua.submit(KEYS, KEYS, { intent: "create", name: "bad\u0000name", expires: "30d", spendLimit: "5" });
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain("“name” must not contain the NUL character");
    expect(await keyRows(accountId)).toHaveLength(1);
  });

  it("a limit of exactly $1,000,000 and of one cent are accepted", async () => {
    const { ua, accountId } = await signUp();
    await createKey(ua, { name: "Max", spendLimit: "1000000" });
    await createKey(ua, { name: "Min", spendLimit: "$0.01" });
    const limits = (await keyRows(accountId)).filter((k) => k.kind === "additional").map((k) => [k.name, k.spend_limit_cents]);
    expect(limits).toEqual([
      ["Max", "100000000"],
      ["Min", "1"],
    ]);
  });
});

describe("rolling the main key", () => {
  it("both keys work inside the window; the old one is listed as rolled with its expiry; “stop the old key now” makes it 401 at once", async () => {
    const { ua, landed, accountId } = await signUp();
    const oldKey = onlyKey(landed);
    expect((await v1(oldKey)).status).toBe(200); // a cached verdict: the roll and the stop must still win

    const step = pageText((await ua.get(`${KEYS}?confirm=roll`)).body);
    expect(step).toContain("Roll the main API key?");
    expect(step).toContain("keeps working for the time you choose");

    const rolled = await ua.submit(`${KEYS}?confirm=roll`, KEYS, { intent: "roll", window: "24h" });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toContain('id="revealed-key"');
    const newKey = onlyKey(rolled);
    expect(newKey).not.toBe(oldKey);
    expect(pageText(rolled.body)).toMatch(
      new RegExp(`The previous main key \\(${shown(oldKey)}\\) keeps working until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(in 24 hours\\)`),
    );
    expect((await v1(oldKey)).status).toBe(200);
    expect((await v1(newKey)).status).toBe(200);

    const list = (await ua.get(KEYS)).body;
    expect(keysIn(list)).toEqual([]);
    const oldRow = rowWith(list, shown(oldKey));
    expect(oldRow.text).toContain("Main key (rolled)");
    expect(oldRow.text).toContain("main (rolled)");
    expect(oldRow.text).toContain("expires in 24 hours");
    expect(rowWith(list, shown(newKey)).text).toContain("main (primary)");
    expect(rowsOf(list).filter((r) => r.text.includes("main (primary)"))).toHaveLength(1);

    const old = (await keyRows(accountId)).find((k) => k.superseded_at !== null)!;
    const stopStep = pageText((await ua.get(`${KEYS}?confirm=stop&key=${old.id}`)).body);
    expect(stopStep).toContain("Stop the old main key now?");
    const stopped = await ua.submit(`${KEYS}?confirm=stop&key=${old.id}`, KEYS, { intent: "stop", keyId: old.id });
    expect(stopped.status).toBe(200);
    expect(pageText(stopped.body)).toContain(`The previous main key (${shown(oldKey)}) stopped working.`);
    expect((await v1(oldKey)).status).toBe(401);
    expect((await v1(newKey)).status).toBe(200);
    expect(pageText((await ua.get(KEYS)).body)).not.toContain("Main key (rolled)");

    const again = await ua.submit(KEYS, KEYS, { intent: "stop", keyId: old.id });
    expect(again.status).toBe(404);
    const actions = (await t.db.selectFrom("audit_log").select("action").where("action", "like", "api_key.%").orderBy("id").execute()).map((a) => a.action);
    expect(actions).toEqual(["api_key.main_rolled", "api_key.roll_ended_early"]);
  });

  it("an unknown window is a 400 and rolls nothing", async () => {
    const { ua, accountId } = await signUp();
    const res = await ua.submit(KEYS, KEYS, { intent: "roll", window: "forever" });
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain("Choose how long the old key keeps working");
    expect((await keyRows(accountId)).map((k) => k.superseded_at)).toEqual([null]);
  });
});

describe("a key's spend limit, set from the page", () => {
  it("shows spend of limit, is audited, holds on /v1 at the limit exactly, and can be removed", async () => {
    const { ua, accountId, userId } = await signUp();
    const key = await createKey(ua, { name: "CI" });
    const ci = (await keyRows(accountId)).find((k) => k.name === "CI")!;

    const step = pageText((await ua.get(`${KEYS}?confirm=limit&key=${ci.id}`)).body);
    expect(step).toContain("Monthly spend limit of “CI”");
    const set = await ua.submit(KEYS, KEYS, { intent: "limit", keyId: ci.id, spendLimit: "1.00" });
    expect(set.status).toBe(200);
    expect(pageText(set.body)).toContain(`The key “CI” (${shown(key)}) may now spend up to $1.00 a calendar month (UTC).`);
    expect(rowWith((await ua.get(KEYS)).body, shown(key)).text).toContain("$0.00 of $1.00");

    expect((await spend(key, 60, "a")).status).toBeLessThan(300);
    expect((await spend(key, 40, "b")).status).toBeLessThan(300); // exactly at the limit
    const over = await spend(key, 1, "c");
    expect(over.status).toBe(402);
    expect(over.body.error?.type).toBe("key_spend_limit_reached");
    expect(rowWith((await ua.get(KEYS)).body, shown(key)).text).toContain("$1.00 of $1.00");

    const removed = await ua.submit(KEYS, KEYS, { intent: "limit", keyId: ci.id, spendLimit: "" });
    expect(pageText(removed.body)).toContain("has no spend limit now");
    expect((await spend(key, 1, "d")).status).toBeLessThan(300);
    expect(rowWith((await ua.get(KEYS)).body, shown(key)).text).not.toContain(" of $");

    const audit = await t.db
      .selectFrom("audit_log")
      .select(["actor_id", "details"])
      .where("action", "=", "api_key.spend_limit_changed")
      .orderBy("id")
      .execute();
    expect(audit.map((a) => a.actor_id)).toEqual([userId, userId]);
    expect(audit.map((a) => [(a.details as any).before_cents, (a.details as any).after_cents])).toEqual([
      [null, "100"],
      ["100", null],
    ]);
  });

  it("the spend shown is the key's month counter, the one its limit is checked against (this month's row only)", async () => {
    const { ua, accountId } = await signUp();
    const key = await createKey(ua, { name: "Metered", spendLimit: "50" });
    const metered = (await keyRows(accountId)).find((k) => k.name === "Metered")!;
    const thisMonth = `${new Date().toISOString().slice(0, 7)}-01`;
    await t.db
      .insertInto("api_key_month_spend")
      .values([
        { key_id: metered.id, month: thisMonth, spent_cents: "1234" },
        { key_id: metered.id, month: "2020-01-01", spent_cents: "999999" },
      ])
      .execute();
    expect(rowWith((await ua.get(KEYS)).body, shown(key)).text).toContain("$12.34 of $50.00");
  });

  it("a refused amount comes back as the form for that key with the error inline; nothing changes", async () => {
    const { ua, accountId } = await signUp();
    await createKey(ua, { name: "CI", spendLimit: "5" });
    const ci = (await keyRows(accountId)).find((k) => k.name === "CI")!;
    const res = await ua.submit(KEYS, KEYS, { intent: "limit", keyId: ci.id, spendLimit: "-3" });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/id="spend-limit-step"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="spend-limit-step"/);
    expect(pageText(res.body)).toContain("Monthly spend limit of “CI”");
    expect(pageText(res.body)).toContain("A spend limit is from $0.01 to $1,000,000.00");
    expect((await keyRows(accountId)).find((k) => k.name === "CI")!.spend_limit_cents).toBe("500");
    expect(await t.db.selectFrom("audit_log").select("id").where("action", "=", "api_key.spend_limit_changed").execute()).toEqual([]);
  });
});

describe("what state each key is in", () => {
  it("a key found public: “revoked: found public at <url>” as a safe link, and what to do next", async () => {
    const { ua } = await signUp();
    const key = await createKey(ua, { name: "Leaky" });
    const url = "https://github.com/kim/demo/blob/main/.env";
    const revoked = await revokeLeakedKey(t.db, hashApiKey(key), { url, source: "commit" });
    expect(revoked).toMatchObject({ found: true, newlyRevoked: true });

    const list = (await ua.get(KEYS)).body;
    const row = rowWith(list, shown(key));
    expect(row.text).toContain(`revoked: found public at ${url}`);
    expect(row.html).toContain(`<a href="${url}" target="_blank" rel="noopener noreferrer nofollow">`);
    expect(row.text).toContain("Create a new key for whatever used it.");
    expect(row.html).not.toContain("Key actions"); // nothing left to do to it
    expect(pageText(list)).toContain("No additional keys in use."); // a revoked key is no longer one of them
    expect(pageText(list)).not.toContain("No additional keys yet."); // … but there was one
  });

  it("a reported address that is not http(s) is shown as text, never a link", async () => {
    const { ua } = await signUp();
    const key = await createKey(ua, { name: "Odd" });
    await revokeLeakedKey(t.db, hashApiKey(key), { url: "javascript:alert(1)", source: "gist" });
    const row = rowWith((await ua.get(KEYS)).body, shown(key));
    expect(row.text).toContain("revoked: found public at javascript:alert(1)");
    expect(row.html).not.toContain("<a ");
  });

  it("the main key found public: the page says where and offers a new main key, which works", async () => {
    const { ua, landed, accountId } = await signUp();
    const main = onlyKey(landed);
    await revokeLeakedKey(t.db, hashApiKey(main), { url: "https://gist.github.com/kim/abc", source: "gist" });
    const list = await ua.get(KEYS);
    const text = pageText(list.body);
    expect(text).toContain("Your main key was found public and revoked");
    expect(text).toContain("revoked: found public at https://gist.github.com/kim/abc");
    expect(text).toContain("Create a new main key");
    expect(list.body).toContain(`href="${KEYS}?confirm=regenerate"`);

    const step = pageText((await ua.get(`${KEYS}?confirm=regenerate`)).body);
    expect(step).toContain("Create a new main key?");
    expect(step).toContain("This account has no working main key.");
    const made = await ua.submit(`${KEYS}?confirm=regenerate`, KEYS, { intent: "regenerate" });
    expect(made.status).toBe(200);
    const fresh = onlyKey(made);
    expect((await v1(fresh)).status).toBe(200);
    expect((await v1(main)).status).toBe(401);
    expect(pageText((await ua.get(KEYS)).body)).not.toContain("Your main key was found public and revoked");
    expect((await keyRows(accountId)).filter((k) => k.kind === "main" && k.status === "active")).toHaveLength(1);
  });

  it("an expired key: “expired on <date>”, refused on /v1, still listed with a Delete that is confirmed first", async () => {
    const { ua, accountId } = await signUp();
    const key = await createKey(ua, { name: "Old demo", expires: "30d" });
    const row = (await keyRows(accountId)).find((k) => k.name === "Old demo")!;
    await t.db
      .updateTable("api_keys")
      .set({ expires_at: sql`now() - interval '2 days'` })
      .where("id", "=", row.id)
      .execute();
    const expired = await v1(key);
    expect(expired.status).toBe(401);
    expect(expired.body.error?.type).toBe("expired_api_key");

    const listed = rowWith((await ua.get(KEYS)).body, shown(key));
    expect(listed.text).toContain(`expired on ${utcDay(Date.now() - 2 * DAY)}`);
    expect(listed.html).toContain(`href="${KEYS}?confirm=delete&amp;key=${row.id}"`);
    expect(listed.html).toContain("Delete expired key “Old demo”");
    const deleted = await ua.submit(`${KEYS}?confirm=delete&key=${row.id}`, KEYS, { intent: "delete", keyId: row.id });
    expect(pageText(deleted.body)).toContain("was deleted. It no longer works.");
  });

  it("idle keys (last used, or made and never used, over 90 days ago) are marked, the additional ones with a one-click Delete", async () => {
    const { ua, accountId } = await signUp();
    const used = await createKey(ua, { name: "Used long ago" });
    const never = await createKey(ua, { name: "Never used" });
    const recent = await createKey(ua, { name: "Recent" });
    const ids = Object.fromEntries((await keyRows(accountId)).map((k) => [k.name, k.id]));
    await t.db
      .updateTable("api_keys")
      .set({ last_used_at: sql`now() - interval '91 days'` })
      .where("id", "=", ids["Used long ago"])
      .execute();
    await t.db
      .updateTable("api_keys")
      .set({ created_at: sql`now() - interval '100 days'` })
      .where("id", "in", [ids["Never used"], ids["Main key"]])
      .execute();
    await t.db
      .updateTable("api_keys")
      .set({ created_at: sql`now() - interval '100 days'`, last_used_at: sql`now() - interval '89 days'` })
      .where("id", "=", ids.Recent)
      .execute();

    const list = (await ua.get(KEYS)).body;
    for (const [key, name] of [
      [used, "Used long ago"],
      [never, "Never used"],
    ]) {
      const row = rowWith(list, shown(key));
      expect(row.text).toContain("idle");
      expect(row.text).toContain("Not used for over 90 days.");
      expect(row.html).toContain(`aria-label="Delete idle key “${name}”"`);
    }
    const main = rowsOf(list).find((r) => r.text.includes("main (primary)"))!;
    expect(main.text).toContain("idle"); // marked, but the main key is never deleted
    expect(main.html).not.toContain("Delete idle key");
    expect(rowWith(list, shown(recent)).text).not.toContain("idle");

    const res = await ua.submit(`${KEYS}?confirm=delete&key=${ids["Never used"]}`, KEYS, { intent: "delete", keyId: ids["Never used"] });
    expect(pageText(res.body)).toContain("The key “Never used”");
    expect((await v1(never)).status).toBe(401);
  });

  it("keys without a checksum are marked “old format”, with a nudge to roll or replace them", async () => {
    const { ua, accountId } = await signUp();
    const key = await createKey(ua, { name: "Legacy" });
    expect(pageText((await ua.get(KEYS)).body)).not.toContain("issued before checksummed keys");

    const legacy = (await keyRows(accountId)).find((k) => k.name === "Legacy")!;
    await t.db.updateTable("api_keys").set({ checksummed: false }).where("id", "=", legacy.id).execute();
    const one = (await ua.get(KEYS)).body;
    expect(rowWith(one, shown(key)).text).toContain("old format");
    expect(pageText(one)).toContain("1 of your keys was issued before checksummed keys; roll or replace it");
    expect(pageText(one)).toContain("An additional key: create a new one, switch to it, then delete the old one.");
    expect(pageText(one)).not.toContain("The main key: roll it");

    await t.db.updateTable("api_keys").set({ checksummed: false }).where("account_id", "=", accountId).execute();
    const two = pageText((await ua.get(KEYS)).body);
    expect(two).toContain("2 of your keys were issued before checksummed keys; roll or replace them");
    expect(two).toContain("The main key: roll it (⋯ → Roll API key)");
  });
});

describe("Check a key", () => {
  const check = async (ua: UserAgent, key: string) => {
    const res = await ua.submit(KEYS, KEYS, { intent: "check", key });
    return { status: res.status, text: pageText(res.body), body: res.body };
  };

  it("says whether a key is this account's, has a typo, is no key at all, or belongs elsewhere; never stores or shows the key", async () => {
    const { ua, landed, accountId } = await signUp();
    const main = onlyKey(landed);
    const ci = await createKey(ua, { name: "CI" });
    const other = onlyKey((await signUp("sam@example.com")).landed);
    const auditBefore = await t.db.selectFrom("audit_log").select("id").execute();
    const keysBefore = await keyRows(accountId);

    const mine = await check(ua, `  ${ci}\n`);
    expect(mine.status).toBe(200);
    expect(mine.text).toContain(`This is a Switchboard key: this account's key “CI” (${shown(ci)}). It works.`);
    expect(mine.body).not.toContain(ci); // not in the field, not in the page's data

    expect((await check(ua, main)).text).toContain(`this account's main key (${shown(main)})`);

    // One character changed: the checksum catches it.
    const i = 20;
    const typo = main.slice(0, i) + (main[i] === "A" ? "B" : "A") + main.slice(i + 1);
    const typoAnswer = await check(ua, typo);
    expect(typoAnswer.text).toContain("This key has a typo");
    expect(typoAnswer.body).not.toContain(typo);

    expect((await check(ua, main.slice(0, -3))).text).toContain(`It has ${main.length - 3} characters instead of ${main.length}`);
    expect((await check(ua, "sk-live-123")).text).toContain("This is not a Switchboard API key. It does not start with tgp_v1_.");
    expect((await check(ua, other)).text).toContain("but it is not one of this account's keys");

    const empty = await ua.submit(KEYS, KEYS, { intent: "check", key: "  " });
    expect(empty.status).toBe(400);
    expect(pageText(empty.body)).toContain("Paste a key to check.");

    expect(await t.db.selectFrom("audit_log").select("id").execute()).toEqual(auditBefore);
    expect(await keyRows(accountId)).toEqual(keysBefore);
  });

  it("an old-format key of this account is named as such; a deleted or expired one is said to no longer work", async () => {
    const { ua, accountId, userId } = await signUp();
    // A key from before checksums: 43 random characters, whose last 6 are (almost surely) no checksum.
    const legacy = `tgp_v1_${randomBytes(33).toString("base64url").slice(0, 43)}`;
    await t.db
      .insertInto("api_keys")
      .values({
        account_id: accountId,
        kind: "additional",
        name: "From 2025",
        key_hash: hashApiKey(legacy),
        prefix: legacy.slice(0, 11),
        last4: legacy.slice(-4),
        created_by_user_id: userId,
        checksummed: false,
      })
      .execute();
    const answer = pageText((await ua.submit(KEYS, KEYS, { intent: "check", key: legacy })).body);
    expect(answer).toContain("This is an old-format Switchboard key (issued before checksummed keys): this account's key “From 2025”");
    expect(answer).toContain("Create a new key to replace it");

    const temp = await createKey(ua, { name: "Temp", expires: "30d" });
    const tempRow = (await keyRows(accountId)).find((k) => k.name === "Temp")!;
    await t.db
      .updateTable("api_keys")
      .set({ expires_at: sql`now() - interval '1 hour'` })
      .where("id", "=", tempRow.id)
      .execute();
    expect(pageText((await ua.submit(KEYS, KEYS, { intent: "check", key: temp })).body)).toContain("It expired on");
    await ua.submit(KEYS, KEYS, { intent: "delete", keyId: tempRow.id });
    expect(pageText((await ua.submit(KEYS, KEYS, { intent: "check", key: temp })).body)).toContain("It was deleted or replaced and no longer works.");
  });
});

describe("who may do it", () => {
  async function withMember() {
    const owner = await signUp("owner@example.com");
    const shared = await createKey(owner.ua, { name: "Shared", expires: "30d", spendLimit: "10" });
    await owner.ua.submit(KEYS, KEYS, { intent: "roll", window: "1h" });
    const member = await t.db
      .insertInto("users")
      .values({ email: "member@example.com", name: "Mo Member", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: owner.accountId, user_id: member.id, role: "member" }).execute();
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "member@example.com" });
    return { ...owner, ua, shared };
  }

  it("a member sees every key's state but no manage controls, and may check a key; their other POSTs get 403 and change nothing", async () => {
    const { ua, accountId, shared } = await withMember();
    const page = await ua.get(KEYS);
    const text = pageText(page.body);
    expect(text).toContain("expires in 30 days");
    expect(text).toContain("$0.00 of $10.00");
    expect(text).toContain("Main key (rolled)");
    expect(page.body).not.toContain("Key actions");
    expect(page.body).not.toContain("Delete idle key");
    expect(page.body).not.toContain('name="name"'); // no create form
    for (const step of ["roll", "regenerate"]) expect(pageText((await ua.get(`${KEYS}?confirm=${step}`)).body)).not.toContain("Roll the main API key?");

    const before = await snapshot();
    const auditBefore = (await t.db.selectFrom("audit_log").select("id").execute()).length;
    const rows = await keyRows(accountId);
    const rolled = rows.find((k) => k.superseded_at !== null && k.status === "active")!;
    const sharedRow = rows.find((k) => k.name === "Shared")!;
    const attempts: Record<string, string>[] = [
      { intent: "roll", window: "7d" },
      { intent: "stop", keyId: rolled.id },
      { intent: "limit", keyId: sharedRow.id, spendLimit: "" },
      { intent: "create", name: "mine", expires: "90d", spendLimit: "1" },
      { intent: "delete", keyId: sharedRow.id },
      { intent: "regenerate" },
      { intent: "no-such-thing" },
    ];
    for (const fields of attempts) {
      const res = await ua.submit(KEYS, KEYS, fields);
      expect(res.status, JSON.stringify(fields)).toBe(403);
      expect(keysIn(res.body)).toEqual([]);
    }
    const checked = await ua.submit(KEYS, KEYS, { intent: "check", key: shared });
    expect(checked.status).toBe(200);
    expect(pageText(checked.body)).toContain("this account's key “Shared”");

    expect(await snapshot()).toEqual(before);
    expect((await t.db.selectFrom("audit_log").select("id").execute()).length).toBe(auditBefore);
  });

  it("every POST without its CSRF token is refused (403) and changes nothing", async () => {
    const { ua, accountId } = await signUp();
    const key = await createKey(ua, { name: "CI" });
    await ua.submit(KEYS, KEYS, { intent: "roll", window: "1h" });
    const rows = await keyRows(accountId);
    const rolled = rows.find((k) => k.superseded_at !== null)!;
    const ci = rows.find((k) => k.name === "CI")!;
    const before = await snapshot();
    const forms: Record<string, string>[] = [
      { intent: "roll", window: "24h" },
      { intent: "stop", keyId: rolled.id },
      { intent: "limit", keyId: ci.id, spendLimit: "5" },
      { intent: "create", name: "x", expires: "30d", spendLimit: "5" },
      { intent: "delete", keyId: ci.id },
      { intent: "check", key },
      { intent: "roll", window: "24h", csrf: "forged.token" },
    ];
    for (const form of forms) {
      const res = await ua.request(KEYS, { form });
      expect(res.status, JSON.stringify(form)).toBe(403);
      expect(keysIn(res.body)).toEqual([]);
      expect(pageText(res.body)).not.toContain("this account's key");
    }
    expect(await snapshot()).toEqual(before);
  });
});
