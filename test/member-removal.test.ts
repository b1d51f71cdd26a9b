/**
 * What removing a member (or leaving) does, over HTTP through the real pages
 * and the local OAuth stand-in (issue 13, findings 8 and 11):
 * - the keys the person created on the account die at once, in this web
 *   process and in another one that had them cached (the change feed); the
 *   confirmation step lists them first; a main key of theirs is replaced and
 *   the new one shown once; keys of unknown creator stay; all audited;
 * - someone left with no account is erased (no tombstone) and can sign in
 *   again as anyone new; someone with other accounts only leaves;
 * - a person stranded so by an older version is erased at their next sign-in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAdditionalKey } from "../app/models/api-keys.server.js";
import { emailTombstoneHmac } from "../app/models/email.server.js";
import { localSubject } from "../dev/local-oauth-server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { startTestApp, TEST_TOMBSTONE_SECRET, type TestApp } from "./helpers/app.js";
import { truncateAll } from "./helpers/database.js";
import { databaseText } from "./helpers/pii-scan.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText, type Hop } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
/** A second web process in miniature: its own key-verdict cache and its own LISTEN connection. */
let other: TestApp;
beforeAll(async () => {
  other = await startTestApp({ db: t.db, databaseUrl: t.databaseUrl, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue });
});
afterAll(async () => {
  await other?.stop();
});
beforeEach(async () => {
  await truncateAll(t.db);
});

const PAGE = "/settings/members";
const KEYS = "/settings/api-keys";
const FULL_KEY = /tgp_v1_[A-Za-z0-9_-]{43}/g;
const text = (hop: Hop) => pageText(hop.body);
const path = (url: string) => new URL(url).pathname + new URL(url).search;

async function owner() {
  const made = await accountWithKey(t.db, { plan: "gpu_cluster", email: "olga@example.com" });
  await t.db.updateTable("accounts").set({ name: "Acme Research" }).where("id", "=", made.accountId).execute();
  const ua = new UserAgent(t.app.url);
  expect((await ua.signIn("google", { email: "olga@example.com" })).status).toBe(200);
  return { ua, ...made };
}

async function linkFor(email: string): Promise<string> {
  const mail = await t.db
    .selectFrom("mail_outbox")
    .select("text_body")
    .where("kind", "=", "invitation")
    .where("to_address", "=", email)
    .orderBy("created_at", "desc")
    .executeTakeFirstOrThrow();
  return /(\/invitations\/[A-Za-z0-9_-]{43})/.exec(mail.text_body)![1]!;
}

/** Invited by the owner and joined through the stand-in (GitHub) as a new person. */
async function join(ownerUa: UserAgent, email: string, name: string, role: "admin" | "member") {
  expect((await ownerUa.submit(PAGE, PAGE, { intent: "invite", email, role })).status).toBe(200);
  const ua = new UserAgent(t.app.url);
  await ua.signIn("github", { email, name }, await linkFor(email));
  const user = await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return { ua, userId: user.id };
}

const v1 = (app: { url: string }, key: string) => fetch(`${app.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.status);

/** Polls until `key` is refused by `app`, within `ms` (another process learns by notification). */
async function refusedWithin(app: { url: string }, key: string, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  let status = await v1(app, key);
  while (status !== 401 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25)); // poll interval, bounded by the deadline
    status = await v1(app, key);
  }
  return status;
}

async function createKey(ua: UserAgent, name: string): Promise<string> {
  const res = await ua.submit(KEYS, KEYS, { intent: "create", name });
  expect(res.status).toBe(200);
  return res.body.match(FULL_KEY)![0]!;
}

describe("removing a member revokes the keys they created", () => {
  it("lists them before confirming, kills them at once in every web process, keeps everyone else's, and audits it", async () => {
    const o = await owner();
    const ada = await join(o.ua, "ada@example.com", "Ada Admin", "admin");
    const adaKey = await createKey(ada.ua, "Ada's laptop");
    const adaCi = await createKey(ada.ua, "CI runner");
    const ownerExtra = await createKey(o.ua, "Owner's script");
    // A key nobody can attribute (no creator recorded) is not the removed person's to lose.
    const unattributed = await createAdditionalKey(t.db, o.accountId, "From before attribution", null, { type: "system", id: null });
    if (!unattributed.ok) throw new Error(unattributed.message);

    // Both processes have every key cached as valid.
    for (const app of [t.app, other]) for (const k of [adaKey, adaCi, ownerExtra, o.key, unattributed.key.plaintext]) expect(await v1(app, k)).toBe(200);

    const rows = await t.db
      .selectFrom("api_keys")
      .select(["id", "name", "prefix", "last4"])
      .where("created_by_user_id", "=", ada.userId)
      .orderBy("created_at")
      .execute();
    expect(rows.map((r) => r.name)).toEqual(["Ada's laptop", "CI runner"]);
    const confirm = await o.ua.get(`${PAGE}?confirm=remove&user=${ada.userId}`);
    expect(text(confirm)).toContain("Remove Ada Admin (ada@example.com) from this account?");
    expect(text(confirm)).toContain("Their 2 keys will stop working");
    for (const r of rows) expect(text(confirm)).toContain(`“${r.name}” ${r.prefix}…${r.last4}`);
    expect(text(confirm)).not.toContain("Owner's script");

    const removed = await o.ua.submit(`${PAGE}?confirm=remove&user=${ada.userId}`, PAGE, { intent: "remove", userId: ada.userId });
    expect(removed.status).toBe(200);
    expect(text(removed)).toContain("Ada Admin (ada@example.com) was removed from this account. Their sessions on it have ended.");
    expect(text(removed)).toContain("Their 2 keys stopped working:");

    // At once here; within moments in the other process, which had them cached.
    expect(await v1(t.app, adaKey)).toBe(401);
    expect(await v1(t.app, adaCi)).toBe(401);
    expect(await refusedWithin(other, adaKey, 2_000)).toBe(401);
    expect(await refusedWithin(other, adaCi, 2_000)).toBe(401);
    for (const app of [t.app, other]) for (const k of [ownerExtra, o.key, unattributed.key.plaintext]) expect(await v1(app, k)).toBe(200);

    const dead = await t.db.selectFrom("api_keys").select(["status", "revoked_reason"]).where("created_by_user_id", "=", ada.userId).execute();
    expect(dead).toEqual([
      { status: "revoked", revoked_reason: "creator_removed" },
      { status: "revoked", revoked_reason: "creator_removed" },
    ]);
    const [audit] = await t.db.selectFrom("audit_log").selectAll().where("action", "=", "member.removed").execute();
    expect(audit).toMatchObject({ actor_type: "user", actor_id: o.userId, target_type: "account", target_id: o.accountId });
    expect(audit!.details).toMatchObject({
      user_id: ada.userId,
      role: "admin",
      keys_revoked: rows.map((r) => ({ key_id: r.id, kind: "additional", last4: r.last4 })),
      new_main_key_id: null,
      person_erased: true,
    });
  });

  it("a main key the removed admin made is replaced: the old one dies, the new one is shown once to the remover and works", async () => {
    const o = await owner();
    const ada = await join(o.ua, "ada@example.com", "Ada Admin", "admin");
    const regenerated = await ada.ua.submit(KEYS, KEYS, { intent: "regenerate" });
    const adaMain = regenerated.body.match(FULL_KEY)![0]!;
    expect(await v1(other, adaMain)).toBe(200);
    expect(await v1(t.app, o.key)).toBe(401); // the owner's original main key died at the regeneration

    const confirm = await o.ua.get(`${PAGE}?confirm=remove&user=${ada.userId}`);
    expect(text(confirm)).toContain("Their key will stop working");
    expect(text(confirm)).toContain("the account gets a new main key, shown once to you");

    const html = (await o.ua.get(PAGE)).body;
    const res = await fetch(`${t.app.url}${PAGE}`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: o.ua.cookieHeader(PAGE), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: UserAgent.csrfFrom(html), intent: "remove", userId: ada.userId }).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await res.text();
    const shown = [...new Set(body.match(FULL_KEY) ?? [])];
    expect(shown).toHaveLength(1);
    const newMain = shown[0]!;
    expect(newMain).not.toBe(adaMain);
    expect(pageText(body)).toContain("Copy this key now: it will not be shown again.");

    expect(await v1(t.app, adaMain)).toBe(401);
    expect(await refusedWithin(other, adaMain, 2_000)).toBe(401);
    expect(await v1(t.app, newMain)).toBe(200);
    const mains = await t.db
      .selectFrom("api_keys")
      .select(["created_by_user_id"])
      .where("account_id", "=", o.accountId)
      .where("kind", "=", "main")
      .where("status", "=", "active")
      .execute();
    expect(mains).toEqual([{ created_by_user_id: o.userId }]);
    expect((await o.ua.get(PAGE)).body.match(FULL_KEY)).toBeNull(); // shown once
    const [audit] = await t.db.selectFrom("audit_log").select("details").where("action", "=", "member.removed").execute();
    expect(audit!.details).toMatchObject({ keys_revoked: [{ kind: "main" }] });
    expect((audit!.details as { new_main_key_id: string | null }).new_main_key_id).not.toBeNull();
  });

  it("a key change by someone removed meanwhile (their request already past the page's check) makes no key", async () => {
    const o = await owner();
    const ada = await join(o.ua, "ada@example.com", "Ada Admin", "admin");
    await o.ua.submit(PAGE, PAGE, { intent: "remove", userId: ada.userId });
    // The route checked Ada's role before the removal committed; the model re-checks under the account lock.
    const late = await createAdditionalKey(t.db, o.accountId, "sneaky", ada.userId, { type: "user", id: ada.userId });
    expect(late).toEqual({ ok: false, message: "You are no longer a member of this account, so you cannot change its keys." });
    expect(await t.db.selectFrom("api_keys").select("id").where("name", "=", "sneaky").execute()).toEqual([]);
  });
});

describe("a person left with no account", () => {
  it("invite → accept → remove → sign in again: erased (no tombstone), sessions ended, and the same identity signs up afresh", async () => {
    const o = await owner();
    const who = { email: "mo@example.com", name: "Mo Member" };
    const mo = await join(o.ua, who.email, who.name, "member");
    const subject = localSubject("github", who.email);
    // The scan below can find them: before the removal, it does.
    const before = (await databaseText(t.db)).toLowerCase();
    for (const n of [who.email, who.name.toLowerCase(), subject]) expect(before).toContain(n);

    const confirm = await o.ua.get(`${PAGE}?confirm=remove&user=${mo.userId}`);
    expect(text(confirm)).toContain("if this was their only Switchboard account, their personal data (email address, name, sign-ins) is erased");
    expect(text(confirm)).toContain("No API keys of this account were made by them");
    const removed = await o.ua.submit(PAGE, PAGE, { intent: "remove", userId: mo.userId });
    expect(removed.status).toBe(200);

    // Their browser is told, once, and signed out.
    const next = await mo.ua.request(PAGE);
    expect(path(next.location!)).toBe("/login?ended=removed");

    // What the database holds of them: an emptied row, no sign-in, no session that works or says where it came from.
    expect(await t.db.selectFrom("users").select(["email", "name", "avatar_url"]).where("id", "=", mo.userId).executeTakeFirstOrThrow()).toEqual({
      email: null,
      name: null,
      avatar_url: null,
    });
    expect(await t.db.selectFrom("identities").select("id").where("user_id", "=", mo.userId).execute()).toEqual([]);
    const sessions = await t.db.selectFrom("sessions").select(["revoked_at", "ip", "user_agent"]).where("user_id", "=", mo.userId).execute();
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) expect(s).toMatchObject({ ip: null, user_agent: null });
    expect(sessions.every((s) => s.revoked_at !== null)).toBe(true);
    expect(await t.db.selectFrom("memberships").select("account_id").where("user_id", "=", mo.userId).execute()).toEqual([]);
    expect(
      await t.db.selectFrom("email_tombstones").select("created_at").where("email_hmac", "=", emailTombstoneHmac(TEST_TOMBSTONE_SECRET, who.email)).execute(),
    ).toEqual([]);
    expect(await t.db.selectFrom("audit_log").select("id").where("action", "=", "user.erased").where("target_id", "=", mo.userId).execute()).toHaveLength(1);
    const dump = (await databaseText(t.db)).toLowerCase();
    for (const n of [who.email, who.name.toLowerCase(), subject]) expect(dump, `database still holds ${n}`).not.toContain(n);
    // The owner's side is whole: the account, its key, its audit trail of the invitation.
    expect(await v1(t.app, o.key)).toBe(200);
    expect(await t.db.selectFrom("audit_log").select("id").where("action", "=", "invitation.accepted").execute()).toHaveLength(1);

    // Later the same GitHub identity signs in: a newcomer with an account of their own, not the tombstone, not a dead end.
    const again = new UserAgent(t.app.url);
    const landed = await again.signIn("github", who);
    expect(path(landed.url)).toBe(`${KEYS}?welcome`);
    expect(text(landed)).toContain("Welcome to Switchboard");
    const fresh = await t.db.selectFrom("users").select(["id", "provider"]).where("email", "=", who.email).executeTakeFirstOrThrow();
    expect(fresh.id).not.toBe(mo.userId);
    expect((await t.db.selectFrom("identities").select("user_id").where("subject", "=", subject).executeTakeFirstOrThrow()).user_id).toBe(fresh.id);
    const memberships = await t.db.selectFrom("memberships").select(["account_id", "role"]).where("user_id", "=", fresh.id).execute();
    expect(memberships).toHaveLength(1);
    expect(memberships[0]!.role).toBe("owner");
    expect(memberships[0]!.account_id).not.toBe(o.accountId);
  });

  it("a removed password login's person is erased too", async () => {
    const made = await accountWithKey(t.db, { plan: "scale", email: "sc@example.com" });
    const { setPasswordLogins } = await import("../app/models/password-logins.server.js");
    await t.db.transaction().execute((trx) => setPasswordLogins(trx, made.accountId, true, { type: "system", id: null }));
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "sc@example.com" });
    expect((await ua.submit(PAGE, PAGE, { intent: "create_login", username: "pat" })).status).toBe(200);
    const { user_id: patId } = await t.db.selectFrom("password_logins").select("user_id").where("username", "=", "pat").executeTakeFirstOrThrow();
    expect((await ua.submit(PAGE, PAGE, { intent: "remove_login", userId: patId })).status).toBe(200);
    expect(await t.db.selectFrom("users").select("erased_at").where("id", "=", patId).executeTakeFirstOrThrow()).not.toEqual({ erased_at: null });
  });

  it("someone stranded by an older version (no membership left) is erased at their next sign-in and starts afresh", async () => {
    const stranded = await t.db
      .insertInto("users")
      .values({ email: "left@example.com", name: "Lefty Over", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto("identities")
      .values({
        user_id: stranded.id,
        provider: "google",
        subject: localSubject("google", "left@example.com"),
        email: "left@example.com",
        email_verified: true,
      })
      .execute();
    const landed = await new UserAgent(t.app.url).signIn("google", { email: "left@example.com", name: "Lefty Over" });
    expect(path(landed.url)).toBe(`${KEYS}?welcome`);
    expect(await t.db.selectFrom("users").select(["email", "name"]).where("id", "=", stranded.id).executeTakeFirstOrThrow()).toEqual({
      email: null,
      name: null,
    });
    const now = await t.db.selectFrom("users").select("id").where("email", "=", "left@example.com").executeTakeFirstOrThrow();
    expect(await t.db.selectFrom("memberships").select("role").where("user_id", "=", now.id).execute()).toEqual([{ role: "owner" }]);
  });
});

describe("leaving an account", () => {
  it("someone with an account of their own leaves: their keys on it die, the session moves to their own account, nothing is erased", async () => {
    const o = await owner();
    const sam = await accountWithKey(t.db, { email: "sam@example.com" });
    expect((await o.ua.submit(PAGE, PAGE, { intent: "invite", email: "sam@example.com", role: "admin" })).status).toBe(200);
    const link = await linkFor("sam@example.com");
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "sam@example.com" }, link);
    expect((await ua.submit(link, link, { intent: "accept" })).status).toBe(302);
    const samKey = await createKey(ua, "Sam's notebook");
    expect(await v1(other, samKey)).toBe(200);

    const page = await ua.get(PAGE);
    expect(page.body).toContain('href="/settings/members?confirm=leave"');
    const confirm = await ua.get(`${PAGE}?confirm=leave`);
    expect(text(confirm)).toContain("Leave this account?");
    expect(text(confirm)).toContain("your other accounts are not affected");
    expect(text(confirm)).toContain("Your key will stop working");
    expect(text(confirm)).toContain("“Sam's notebook”");

    const left = await ua.submit(`${PAGE}?confirm=leave`, PAGE, { intent: "leave" });
    expect(left.status).toBe(302);
    expect(path(left.location!)).toBe(`${PAGE}?left`);
    const landed = await ua.follow(left);
    expect(text(landed)).toContain("You left the account.");
    expect(text(landed)).toContain("Acting on: Test account");
    expect(await v1(t.app, samKey)).toBe(401);
    expect(await refusedWithin(other, samKey, 2_000)).toBe(401);
    expect(await v1(t.app, sam.key)).toBe(200);
    expect(await t.db.selectFrom("memberships").select("account_id").where("user_id", "=", sam.userId).execute()).toEqual([{ account_id: sam.accountId }]);
    expect(await t.db.selectFrom("users").select("email").where("id", "=", sam.userId).executeTakeFirstOrThrow()).toEqual({ email: "sam@example.com" });
    const [audit] = await t.db.selectFrom("audit_log").select(["actor_id", "details"]).where("action", "=", "member.left").execute();
    expect(audit).toMatchObject({ actor_id: sam.userId, details: { user_id: sam.userId, person_erased: false, keys_revoked: [{ kind: "additional" }] } });
  });

  it("someone whose other accounts are all blocked leaves: signed out, not erased (they still belong to those)", async () => {
    const o = await owner();
    const mo = await join(o.ua, "mo@example.com", "Mo Member", "member");
    const blocked = await t.db.insertInto("accounts").values({ name: "Mo's old", status: "blocked" }).returning("id").executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: blocked.id, user_id: mo.userId, role: "owner" }).execute();
    const left = await mo.ua.submit(`${PAGE}?confirm=leave`, PAGE, { intent: "leave" });
    expect(path(left.location!)).toBe("/login?signedOut");
    expect(await t.db.selectFrom("sessions").select("id").where("user_id", "=", mo.userId).where("revoked_at", "is", null).execute()).toEqual([]);
    expect(await t.db.selectFrom("users").select("email").where("id", "=", mo.userId).executeTakeFirstOrThrow()).toEqual({ email: "mo@example.com" });
  });

  it("someone whose only account it was leaves: erased, signed out, told so; the owner cannot leave", async () => {
    const o = await owner();
    const mo = await join(o.ua, "mo@example.com", "Mo Member", "member");
    const confirm = await mo.ua.get(`${PAGE}?confirm=leave`);
    expect(text(confirm)).toContain("This is your only Switchboard account, so your personal data (email address, name, sign-ins) is erased");
    const left = await mo.ua.submit(`${PAGE}?confirm=leave`, PAGE, { intent: "leave" });
    expect(path(left.location!)).toBe("/login?ended=left");
    expect(mo.ua.hasCookie("sb_session")).toBe(false);
    expect(text(await mo.ua.follow(left))).toContain("You left the account. It was your only Switchboard account, so your personal data has been erased");
    expect(await t.db.selectFrom("users").select("email").where("id", "=", mo.userId).executeTakeFirstOrThrow()).toEqual({ email: null });
    expect((await mo.ua.request(PAGE)).status).toBe(302);

    const ownerTries = await o.ua.submit(PAGE, PAGE, { intent: "leave" });
    expect(ownerTries.status).toBe(409);
    expect(text(ownerTries)).toContain("The owner cannot leave the account.");
    expect(text(await o.ua.get(`${PAGE}?confirm=leave`))).toContain("The owner cannot leave the account.");
  });
});
