/**
 * Settings → API Keys over HTTP: the one-time reveal of a new account's main
 * key, regenerate / create / delete (each key dead or alive at once on /v1),
 * validation, the limit, members who may only look, and CSRF.
 */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdditionalKey, MAX_ADDITIONAL_KEYS } from "../app/models/api-keys.server.js";
import { UserAgent, type Hop, pageText } from "./helpers/user-agent.js";
import { useSuite } from "./helpers/suite.js";
import { truncateAll } from "./helpers/database.js";
import { signUpOwner } from "./helpers/sign-up.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
});

const FULL_KEY = /tgp_v1_[A-Za-z0-9_-]{43}/g;
/** Every distinct full key in a page (the input and the hydration data both carry a revealed one). */
const keysIn = (html: string) => [...new Set(html.match(FULL_KEY) ?? [])];

function onlyKey(hop: Hop): string {
  const keys = keysIn(hop.body);
  expect(keys).toHaveLength(1);
  return keys[0];
}

async function v1Account(key: string) {
  const res = await fetch(`${t.app.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const signUp = (email: string) => signUpOwner(t.app.url, t.db, email, "Kim Keys");

const activeKeys = async (accountId: string) =>
  t.db.selectFrom("api_keys").select(["id", "kind", "name"]).where("account_id", "=", accountId).where("status", "=", "active").execute();

const KEYS = "/settings/api-keys";

describe("the new account's main key", () => {
  it("is shown once on the welcome page after sign-up, and works on /v1 with the account's facts", async () => {
    const { ua, landed, accountId } = await signUp("kim@example.com");
    expect(landed.status).toBe(200);
    expect(new URL(landed.url).pathname).toBe(KEYS);
    expect(new URL(landed.url).search).toBe("?welcome");
    expect(pageText(landed.body)).toContain("Welcome to Switchboard");
    expect(pageText(landed.body)).toContain("will not be shown again");
    const key = onlyKey(landed);
    expect(ua.hasCookie("sb_reveal")).toBe(false); // cleared by the same response

    const api = await v1Account(key);
    expect(api.status).toBe(200);
    expect(api.body).toEqual({ id: accountId, plan: "build", status: "active", balance_cents: 0, credit_limit_cents: 10000 });

    const reload = await ua.get(`${KEYS}?welcome`);
    expect(reload.status).toBe(200);
    expect(keysIn(reload.body)).toEqual([]);
    expect(pageText(reload.body)).toContain(`${key.slice(0, 11)}…${key.slice(-4)}`); // identified by prefix and last four
    expect(pageText(reload.body)).toContain("was shown once");
  });

  it("lists keys with kind, creator and a coarse last-used time, never the key itself", async () => {
    const { ua, accountId } = await signUp("kim@example.com");
    await t.db
      .updateTable("api_keys")
      .set({ last_used_at: sql`now() - interval '3 days 2 hours'` })
      .where("account_id", "=", accountId)
      .execute();
    const page = await ua.get(KEYS);
    const body = pageText(page.body);
    expect(body).toContain("Main key");
    expect(body).toContain("kim@example.com");
    expect(body).toContain("3 days ago");
    expect(body).toContain("No additional keys yet.");
    expect(body).toContain("On the Build plan, additional keys are how you share access");
    expect(keysIn(page.body)).toEqual([]);
  });
});

/**
 * The OAuth dance up to the callback, without visiting the page it redirects
 * to: the reveal cookie is set and still unread. (This UserAgent ignores
 * cookie paths, so the cookie rides along on every later request.)
 */
async function signUpWithoutLanding(email: string) {
  const ua = new UserAgent(t.app.url);
  const start = await ua.submit("/login", "/auth/google");
  const authorize = new URL(start.location!);
  const picker = await ua.request(authorize.toString());
  const unescape = (v: string) =>
    v
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&amp;/g, "&");
  const hidden = Object.fromEntries([...picker.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], unescape(m[2])]));
  const chosen = await ua.request(authorize.origin + authorize.pathname, { form: { ...hidden, choice: "custom", email, name: "Kim", email_verified: "true" } });
  const callback = await ua.request(chosen.location!);
  expect(callback.location).toBe(`${t.app.url}${KEYS}?welcome`);
  expect(ua.hasCookie("sb_reveal")).toBe(true);
  return ua;
}

describe("the page around the keys", () => {
  it("is titled, puts “Create key” above the keys table, and offers a quickstart curl line with the revealed key that works as written", async () => {
    const { ua, landed } = await signUp("kim@example.com");
    const key = onlyKey(landed);
    expect(landed.body).toContain("<title>API keys · Settings · Switchboard</title>");
    expect(landed.body.indexOf("Create key")).toBeGreaterThan(0);
    expect(landed.body.indexOf("Create key")).toBeLessThan(landed.body.indexOf("This account&#x27;s API keys"));
    // The table scrolls inside its own focusable, labelled region (no sideways page scroll on a phone).
    expect(landed.body).toMatch(/<div class="table-scroll" role="region" aria-label="This account&#x27;s API keys" tabindex="0">/);

    const text = pageText(landed.body);
    const command = /curl -H "Authorization: Bearer (tgp_v1_[A-Za-z0-9_-]{43})" (\S+)/.exec(text);
    expect(command?.[1]).toBe(key);
    expect(command?.[2]).toBe(`${t.app.url}/v1/account`);
    const asWritten = await fetch(command![2], { headers: { Authorization: `Bearer ${command![1]}` } });
    expect(asWritten.status).toBe(200);

    // A key revealed by an action comes with its own line; the list afterwards carries none.
    const created = await ua.submit(KEYS, KEYS, { intent: "create", name: "CI" });
    const ciKey = onlyKey(created);
    expect(pageText(created.body)).toContain(`curl -H "Authorization: Bearer ${ciKey}" ${t.app.url}/v1/account`);
    expect(pageText((await ua.get(KEYS)).body)).not.toContain("curl");
  });

  it("shows each key's spend this calendar month (UTC), from the usage the API debited with that key", async () => {
    const { ua, landed, accountId } = await signUp("kim@example.com");
    const mainKey = onlyKey(landed);
    const ciKey = onlyKey(await ua.submit(KEYS, KEYS, { intent: "create", name: "CI" }));
    const use = async (key: string, cents: number, idem: string) => {
      const res = await fetch(`${t.app.url}/v1/usage`, {
        method: "POST",
        headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
        body: JSON.stringify({ amount_cents: cents, idempotency_key: idem }),
      });
      expect(res.status).toBeLessThan(300);
    };
    await use(mainKey, 250, "m1");
    await use(mainKey, 1000, "m2");
    await use(ciKey, 125, "c1");
    const ci = (await activeKeys(accountId)).find((k) => k.name === "CI")!;
    // Last month's usage is not this month's spend.
    await t.db
      .insertInto("ledger_entries")
      .values({
        account_id: accountId,
        amount_cents: -9900,
        kind: "usage",
        idempotency_key: "last-month",
        balance_after_cents: -9900,
        actor_type: "api_key",
        actor_id: ci.id,
        created_at: sql<Date>`date_trunc('month', now()) - interval '1 day'`,
      })
      .execute();

    const page = await ua.get(KEYS);
    expect(pageText(page.body)).toContain("Spend this month");
    const rows = [...page.body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => pageText(m[1]));
    const rowOf = (key: string) => rows.find((r) => r.includes(`${key.slice(0, 11)}…${key.slice(-4)}`));
    expect(rowOf(mainKey)).toContain("$12.50");
    expect(rowOf(ciKey)).toContain("$1.25");
    expect(rowOf(ciKey)).not.toContain("$100.25");
  });
});

describe("regenerating the main key", () => {
  it("a welcome key regenerated before it was shown is never shown (it is dead)", async () => {
    const ua = await signUpWithoutLanding("kim@example.com");
    const res = await ua.submit("/settings/sessions", KEYS, { intent: "regenerate" });
    expect(res.status).toBe(200);
    const [onlyNew] = keysIn(res.body);
    expect(keysIn(res.body)).toEqual([onlyNew]); // the new key, not the unseen (now revoked) welcome key
    expect((await v1Account(onlyNew)).status).toBe(200);
    expect(ua.hasCookie("sb_reveal")).toBe(false); // and the cookie is cleared
  });

  it("confirms first, then shows the new key once; the old key is refused at once, the new one works", async () => {
    const { ua, landed, accountId, userId } = await signUp("kim@example.com");
    const oldKey = onlyKey(landed);
    expect((await v1Account(oldKey)).status).toBe(200); // warm the verdict cache: revocation must still win

    const confirm = await ua.get(`${KEYS}?confirm=regenerate`);
    expect(pageText(confirm.body)).toContain("Regenerate the main API key?");
    expect(pageText(confirm.body)).toContain("stops working immediately");
    expect(keysIn(confirm.body)).toEqual([]);

    const res = await ua.submit(`${KEYS}?confirm=regenerate`, KEYS, { intent: "regenerate" });
    expect(res.status).toBe(200);
    expect(pageText(res.body)).toContain("will not be shown again");
    const newKey = onlyKey(res);
    expect(newKey).not.toBe(oldKey);

    const dead = await v1Account(oldKey);
    expect(dead.status).toBe(401);
    expect((await v1Account(newKey)).status).toBe(200);

    const keys = await activeKeys(accountId);
    expect(keys.filter((k) => k.kind === "main")).toHaveLength(1);
    const audit = await t.db.selectFrom("audit_log").select(["actor_type", "actor_id"]).where("action", "=", "api_key.main_regenerated").execute();
    expect(audit).toEqual([{ actor_type: "user", actor_id: userId }]);

    expect(keysIn((await ua.get(KEYS)).body)).toEqual([]); // the reveal was that one response
  });
});

describe("additional keys", () => {
  it("are created with a name and shown once, work at once, and die at once when deleted (after a confirmation step)", async () => {
    const { ua, landed, accountId } = await signUp("kim@example.com");
    const mainKey = onlyKey(landed);
    const created = await ua.submit(KEYS, KEYS, { intent: "create", name: "  CI pipeline  " });
    expect(created.status).toBe(200);
    expect(pageText(created.body)).toContain("New key “CI pipeline”");
    expect(pageText(created.body)).toContain("will not be shown again");
    const ciKey = onlyKey(created);
    expect(ciKey).not.toBe(mainKey);
    expect((await v1Account(ciKey)).status).toBe(200);

    const [row] = (await activeKeys(accountId)).filter((k) => k.kind === "additional");
    expect(row.name).toBe("CI pipeline"); // trimmed

    const list = await ua.get(KEYS);
    expect(keysIn(list.body)).toEqual([]);
    expect(pageText(list.body)).toContain("1 of 50 additional keys in use");

    const confirm = await ua.get(`${KEYS}?confirm=delete&key=${row.id}`);
    expect(pageText(confirm.body)).toContain("Delete the key “CI pipeline”?");
    const deleted = await ua.submit(`${KEYS}?confirm=delete&key=${row.id}`, KEYS, { intent: "delete", keyId: row.id });
    expect(deleted.status).toBe(200);
    expect(pageText(deleted.body)).toContain("was deleted. It no longer works.");
    expect(keysIn(deleted.body)).toEqual([]);
    expect((await v1Account(ciKey)).status).toBe(401);
    expect((await v1Account(mainKey)).status).toBe(200); // the main key is untouched

    const again = await ua.submit(KEYS, KEYS, { intent: "delete", keyId: row.id });
    expect(again.status).toBe(404);
    expect(pageText(again.body)).toContain("does not exist or was already deleted");
    const actions = (await t.db.selectFrom("audit_log").select("action").where("action", "like", "api_key.%").orderBy("id").execute()).map((a) => a.action);
    expect(actions).toEqual(["api_key.created", "api_key.deleted"]);
  });

  it.each([
    ["blank", "   ", "Give the key a name"],
    ["too long", "x".repeat(101), "A key name is at most 100 characters."],
    ["control characters", "bad\u0007name", "cannot contain control characters"],
  ])("a %s name gets a form error and creates nothing", async (_what, name, message) => {
    const { ua, accountId } = await signUp("kim@example.com");
    const res = await ua.submit(KEYS, KEYS, { intent: "create", name });
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain(message);
    expect(keysIn(res.body)).toEqual([]);
    expect(await activeKeys(accountId)).toHaveLength(1);
  });

  it("a name of exactly the maximum length is accepted", async () => {
    const { ua, accountId } = await signUp("kim@example.com");
    const res = await ua.submit(KEYS, KEYS, { intent: "create", name: "n".repeat(100) });
    expect(res.status).toBe(200);
    expect(await activeKeys(accountId)).toHaveLength(2);
  });

  it(`the ${MAX_ADDITIONAL_KEYS + 1}st additional key is refused with the limit message`, async () => {
    const { ua, accountId, userId } = await signUp("kim@example.com");
    for (let i = 0; i < MAX_ADDITIONAL_KEYS; i++) {
      const r = await createAdditionalKey(t.db, accountId, `key ${i}`, userId, { type: "user", id: userId });
      expect(r.ok).toBe(true);
    }
    const res = await ua.submit(KEYS, KEYS, { intent: "create", name: "one too many" });
    expect(res.status).toBe(409);
    expect(pageText(res.body)).toContain(`An account can have ${MAX_ADDITIONAL_KEYS} additional keys.`);
    expect(keysIn(res.body)).toEqual([]);
    expect(await activeKeys(accountId)).toHaveLength(MAX_ADDITIONAL_KEYS + 1);
  });
});

describe("who may manage keys", () => {
  it("a member sees the list without manage controls; their POSTs get 403 and change nothing", async () => {
    const { accountId, userId } = await signUp("owner@example.com");
    await createAdditionalKey(t.db, accountId, "Shared", userId, { type: "user", id: userId });
    // A member of the owner's account only, so their session acts on it.
    const member = await t.db
      .insertInto("users")
      .values({ email: "member@example.com", name: "Mo Member", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: accountId, user_id: member.id, role: "member" }).execute();
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "member@example.com" });

    const page = await ua.get(KEYS);
    expect(page.status).toBe(200);
    const body = pageText(page.body);
    expect(body).toContain("Main key");
    expect(body).toContain("Shared");
    expect(body).toContain("Only its owners and admins can create, delete or regenerate them.");
    expect(page.body).not.toContain("Key actions");
    // Only "Check a key", which changes nothing, posts from a member's page.
    expect([...page.body.matchAll(/name="intent" value="([a-z_]+)"/g)].map((m) => m[1])).toEqual(["check"]);
    expect(pageText((await ua.get(`${KEYS}?confirm=regenerate`)).body)).not.toContain("Regenerate the main API key?");

    const before = await t.db.selectFrom("api_keys").select(["id", "status"]).orderBy("id").execute();
    const shared = (await activeKeys(accountId)).find((k) => k.name === "Shared")!;
    const attempts: Record<string, string>[] = [{ intent: "regenerate" }, { intent: "create", name: "mine" }, { intent: "delete", keyId: shared.id }];
    for (const fields of attempts) {
      const res = await ua.submit(KEYS, KEYS, fields);
      expect(res.status).toBe(403);
      expect(keysIn(res.body)).toEqual([]);
    }
    expect(await t.db.selectFrom("api_keys").select(["id", "status"]).orderBy("id").execute()).toEqual(before);
  });

  it("a POST without its CSRF token is refused (403) and changes nothing", async () => {
    const { ua, accountId } = await signUp("kim@example.com");
    await ua.get(KEYS);
    const forms: Record<string, string>[] = [{ intent: "regenerate" }, { intent: "create", name: "x" }, { intent: "regenerate", csrf: "forged.token" }];
    for (const form of forms) {
      const res = await ua.request(KEYS, { form });
      expect(res.status).toBe(403);
      expect(keysIn(res.body)).toEqual([]);
    }
    expect(await activeKeys(accountId)).toHaveLength(1);
  });

  it("an unknown intent or a malformed key id is a 400 and changes nothing", async () => {
    const { ua, accountId } = await signUp("kim@example.com");
    expect((await ua.submit(KEYS, KEYS, { intent: "explode" })).status).toBe(400);
    expect((await ua.submit(KEYS, KEYS, { intent: "delete", keyId: "not-a-uuid" })).status).toBe(400);
    expect((await ua.get(`${KEYS}?confirm=bogus&key=zzz`)).status).toBe(200);
    expect(await activeKeys(accountId)).toHaveLength(1);
  });

  it("signed-out visitors are sent to sign in", async () => {
    const res = await new UserAgent(t.app.url).request(KEYS);
    expect(res.status).toBe(302);
    expect(res.location).toContain("/login?next=%2Fsettings%2Fapi-keys");
  });
});
