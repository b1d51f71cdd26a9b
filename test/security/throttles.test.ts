/**
 * Throttles (issue 14, findings 2, 8 and 9), against the real app and
 * PostgreSQL: every limit is counted in the rate_limits table, one atomic
 * reservation per attempt, so concurrent requests and separate web processes
 * share it.
 * - Password sign-in: the attempt is reserved before argon2; a locked login
 *   costs no argon2 work; a concurrent burst is evaluated no more than a
 *   sequence would be.
 * - Invitations: mails (new and resent) per account an hour and per recipient
 *   a day, with a clear 429; the subject carries none of the inviter's words.
 * - API keys: only failures are limited (a valid key from a limited address
 *   gets through), and two web processes together allow the limit once.
 *
 * Requests say where they come from with X-Forwarded-For (loopback is a
 * trusted proxy here), so each test is its own client address.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { parseConfig } from "../../app/config.server.js";
import { verifyPassword } from "../../app/auth/passwords.server.js";
import { generateApiKey } from "../../app/models/api-key-format.server.js";
import { SYSTEM, type Actor } from "../../app/models/audit.server.js";
import { findInvitation } from "../../app/models/invitations.server.js";
import { checkPasswordSignIn, createPasswordLogin, loginKey, setPasswordLogins } from "../../app/models/password-logins.server.js";
import { freePort } from "../../dev/temporal-dev-server.js";
import { accountWithKey } from "../helpers/accounts.js";
import { truncateAll } from "../helpers/database.js";
import { useSuite } from "../helpers/suite.js";
import { pageText, UserAgent } from "../helpers/user-agent.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SESSION_SECRET = "test-session-secret-test-session-secret-0123";
const t = useSuite({ app: true, appEnv: { TRUST_PROXY: "loopback", SESSION_SECRET } });
beforeEach(() => truncateAll(t.db));

let addressNo = 0;
/** A client address of its own (TEST-NET-2), so one test's counts never reach another's. */
const freshIp = () => `198.51.100.${++addressNo}`;

const hitsOf = async (key: string) => (await t.db.selectFrom("rate_limits").select("hits").where("key", "=", key).executeTakeFirst())?.hits ?? 0;

// ---------------------------------------------------------------- password sign-in

/** A Scale account with password logins on and one login ("ada") with its one-time password. */
async function passwordLogin() {
  const owner = await accountWithKey(t.db, { plan: "scale" });
  const actor: Actor = { type: "user", id: owner.userId };
  return t.db.transaction().execute(async (trx) => {
    const on = await setPasswordLogins(trx, owner.accountId, true, SYSTEM);
    if (!on.ok) throw new Error(on.message);
    const login = await createPasswordLogin(trx, { accountId: owner.accountId, username: "ada", createdBy: owner.userId }, actor);
    if (!login.ok) throw new Error(login.message);
    return { loginId: on.loginId!, username: login.username, password: login.initialPassword, userId: login.userId };
  });
}

/** argon2 as the app runs it, counting every evaluation and which password it was given. */
function countingVerify() {
  const evaluated: string[] = [];
  const verify = (hash: string, password: string) => {
    evaluated.push(password);
    return verifyPassword(hash, password);
  };
  return { evaluated, verify };
}

/** /login/password's form for `fields`, its CSRF token already fetched: posting it is one request. */
async function preparedSignIn(fields: { account: string; username: string; password: string }, ip: string) {
  const ua = new UserAgent(t.app.url);
  const page = await ua.get("/login/password");
  const body = new URLSearchParams({ csrf: UserAgent.csrfFrom(page.body), ...fields }).toString();
  return () =>
    fetch(`${t.app.url}/login/password`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: ua.cookieHeader(t.app.url), "X-Forwarded-For": ip },
      body,
    });
}

describe("password sign-in throttle", () => {
  it("V6.3.1 brute force: 15 concurrent wrong passwords for one login get exactly 5 argon2 evaluations; the other 10 are refused as locked", async () => {
    const a = await passwordLogin();
    const { evaluated, verify } = countingVerify();
    const outcomes = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password: `wrong-${i}`, ip: freshIp() }, verify),
      ),
    );
    expect(evaluated).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok && o.reason === "invalid")).toHaveLength(5);
    expect(outcomes.filter((o) => !o.ok && o.reason === "locked")).toHaveLength(10);
    expect(await hitsOf(loginKey(a.loginId, a.username))).toBe(15);
  });

  it("V6.3.1 brute force over HTTP: 15 concurrent wrong passwords get exactly 5 answers 401 (each one argon2) and 10 answers 429", async () => {
    const a = await passwordLogin();
    const ip = freshIp();
    const posts = await Promise.all(
      Array.from({ length: 15 }, (_, i) => preparedSignIn({ account: a.loginId, username: a.username, password: `wrong-${i}` }, ip)),
    );
    const statuses = (await Promise.all(posts.map((post) => post()))).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    // Locked now, for the right password too.
    expect((await (await preparedSignIn({ account: a.loginId, username: a.username, password: a.password }, freshIp()))()).status).toBe(429);
  });

  it.each([
    ["first", 0],
    ["last", 9],
  ])(
    "V6.3.1 brute force: a burst of 9 wrong and 1 right password (the right one sent %s) signs in only if the right one was reserved within the limit, evaluates at most 5 wrong ones, and leaves the login locked",
    async (_where, rightAt) => {
      const a = await passwordLogin();
      const { evaluated, verify } = countingVerify();
      const passwords = Array.from({ length: 10 }, (_, i) => (i === rightAt ? a.password : `wrong-${i}`));
      const outcomes = await Promise.all(
        passwords.map((password) => checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password, ip: freshIp() }, verify)),
      );
      const right = outcomes[rightAt]!;
      const wrongEvaluated = evaluated.filter((p) => p !== a.password).length;
      expect(wrongEvaluated).toBeLessThanOrEqual(5);
      // The right password either reached argon2 (its reservation was within the limit) and signed in,
      // or was refused as locked without any argon2 work: never evaluated and then refused.
      if (right.ok) expect(evaluated).toContain(a.password);
      else {
        expect(right).toEqual({ ok: false, reason: "locked", retryAfterMinutes: 15 });
        expect(evaluated).not.toContain(a.password);
      }
      // Every attempt was reserved; a success forgives only itself and those reserved before it.
      const hits = await hitsOf(loginKey(a.loginId, a.username));
      if (right.ok) {
        expect(hits).toBeGreaterThanOrEqual(5);
        expect(hits).toBeLessThan(10);
      } else expect(hits).toBe(10);
      // Either way the guesses around it keep the login locked: the right password is now refused unevaluated.
      const before = evaluated.length;
      expect(await checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password: a.password, ip: freshIp() }, verify)).toMatchObject({
        ok: false,
        reason: "locked",
      });
      expect(evaluated).toHaveLength(before);
    },
  );

  it("V6.3.1 brute force: after 5 reserved wrong attempts the right password is refused while locked, with no argon2 work", async () => {
    const a = await passwordLogin();
    const { evaluated, verify } = countingVerify();
    for (let i = 0; i < 5; i++) {
      expect(await checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password: `wrong-${i}`, ip: freshIp() }, verify)).toEqual({
        ok: false,
        reason: "invalid",
      });
    }
    expect(await checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password: a.password, ip: freshIp() }, verify)).toEqual({
      ok: false,
      reason: "locked",
      retryAfterMinutes: 15,
    });
    expect(evaluated).toHaveLength(5);
  });

  it("V6.3.1 brute force: a correct password forgives the typos before it (the next typo is not a lockout) and its own address attempt", async () => {
    const a = await passwordLogin();
    const ip = freshIp();
    for (let i = 0; i < 4; i++)
      expect(await checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password: `typo-${i}`, ip })).toMatchObject({ reason: "invalid" });
    expect(await checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password: a.password, ip })).toMatchObject({
      ok: true,
      userId: a.userId,
    });
    expect(await hitsOf(loginKey(a.loginId, a.username))).toBe(0);
    expect(await hitsOf(`ip:${ip}`)).toBe(4);
    expect(await checkPasswordSignIn(t.db, { loginId: a.loginId, username: a.username, password: "one-more-typo", ip })).toEqual({
      ok: false,
      reason: "invalid",
    });
  });
});

// ---------------------------------------------------------------- invitations

const MEMBERS = "/settings/members";

/** The owner of a GPU Cluster account named "Mallory's account", signed in. */
async function inviter(email = `owner-${crypto.randomUUID()}@example.com`) {
  const made = await accountWithKey(t.db, { plan: "gpu_cluster", email });
  await t.db.updateTable("accounts").set({ name: "Mallory's account" }).where("id", "=", made.accountId).execute();
  const ua = new UserAgent(t.app.url);
  expect((await ua.signIn("google", { email })).status).toBe(200);
  return { ua, ...made };
}
const alert = (html: string) => pageText(/<div class="alert error" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1] ?? "").trim();
const mailsTo = (to: string) =>
  t.db
    .selectFrom("mail_outbox")
    .select(["subject", "text_body"])
    .where("kind", "=", "invitation")
    .where("to_address", "=", to)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
const invite = (ua: UserAgent, email: string) => ua.submit(MEMBERS, MEMBERS, { intent: "invite", email, role: "member" });
const resend = (ua: UserAgent, invitationId: string) => ua.submit(MEMBERS, MEMBERS, { intent: "resend", invitationId });

describe("invitation limits", () => {
  it("V2.4.1 anti-automation: ten resends in a row mail the recipient 3 times a day, then 429 with a clear message; a refused resend keeps the last link working", async () => {
    const o = await inviter();
    const to = "stranger@example.com";
    expect((await invite(o.ua, to)).status).toBe(200);
    const { id } = await t.db.selectFrom("invitations").select("id").executeTakeFirstOrThrow();
    const statuses: number[] = [];
    let refusal = "";
    for (let i = 0; i < 10; i++) {
      const hop = await resend(o.ua, id);
      statuses.push(hop.status);
      if (hop.status === 429) refusal = alert(hop.body);
    }
    expect(statuses).toEqual([200, 200, 429, 429, 429, 429, 429, 429, 429, 429]);
    expect(refusal).toMatch(
      /^stranger@example\.com has been sent 3 invitation mails in the last day, the most Switchboard sends to one address\. Try again in \d+ hours?\.$/,
    );
    const mails = await mailsTo(to);
    expect(mails).toHaveLength(3);
    const lastToken = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(mails[2]!.text_body)![1]!;
    expect((await findInvitation(t.db, lastToken)).state).toBe("valid");
    const resent = await t.db.selectFrom("audit_log").select("id").where("action", "=", "invitation.resent").execute();
    expect(resent).toHaveLength(2); // refused resends did nothing, so recorded nothing
  });

  it("V2.4.1 anti-automation: the subject of an invitation mail carries none of the inviter's words (the body names the account, quoted)", async () => {
    const o = await inviter();
    expect((await invite(o.ua, "someone@example.com")).status).toBe(200);
    const [mail] = await mailsTo("someone@example.com");
    expect(mail!.subject).toBe("You are invited to an account on Switchboard");
    expect(mail!.text_body).toContain('"Mallory\'s account"');
  });

  it("V2.4.1 anti-automation: one account sends at most 20 invitations an hour; the 21st gets 429 and nothing is created or mailed", async () => {
    const o = await inviter();
    for (let i = 0; i < 20; i++) expect((await invite(o.ua, `person-${i}@example.com`)).status, `invitation ${i + 1}`).toBe(200);
    const refused = await invite(o.ua, "one-too-many@example.com");
    expect(refused.status).toBe(429);
    expect(alert(refused.body)).toMatch(/^This account has sent 20 invitations in the last hour, the most allowed\. Try again in \d+ minutes?\.$/);
    expect(await mailsTo("one-too-many@example.com")).toEqual([]);
    expect(await t.db.selectFrom("invitations").select("id").where("email", "=", "one-too-many@example.com").execute()).toEqual([]);
  });

  it("V2.4.1 anti-automation: the recipient limit is shared by every account (three accounts mail one address, the fourth is refused), and a refused invitation does not use up the account's allowance", async () => {
    const to = "target@example.com";
    const owners = [await inviter(), await inviter(), await inviter(), await inviter()];
    for (const o of owners.slice(0, 3)) expect((await invite(o.ua, to)).status).toBe(200);
    const fourth = await invite(owners[3]!.ua, to);
    expect(fourth.status).toBe(429);
    expect(await mailsTo(to)).toHaveLength(3);
    expect(await hitsOf(`invitations-from:${owners[3]!.accountId}`)).toBe(0);
    // No address in the table: the recipient's counter is keyed by a keyed hash.
    const keys = (await t.db.selectFrom("rate_limits").select("key").execute()).map((r) => r.key);
    expect(keys.join(" ")).not.toContain("target");
  });

  it("V2.4.1 anti-automation: ten concurrent resends of one invitation queue exactly the allowed mails (the count is atomic)", async () => {
    const o = await inviter();
    const to = "burst@example.com";
    expect((await invite(o.ua, to)).status).toBe(200);
    const { id } = await t.db.selectFrom("invitations").select("id").executeTakeFirstOrThrow();
    const page = await o.ua.get(MEMBERS);
    const csrf = UserAgent.csrfFrom(page.body);
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () => o.ua.request(MEMBERS, { form: { csrf, intent: "resend", invitationId: id } }).then((h) => h.status)),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(8);
    expect(await mailsTo(to)).toHaveLength(3);
  });

  it("V2.4.1 anti-automation: both invitation limits are configurable, and a limit of 0 is refused at start-up", () => {
    const base = { NODE_ENV: "test" };
    expect(parseConfig(base).invitationLimits).toEqual({ perAccountPerHour: 20, perRecipientPerDay: 3 });
    expect(parseConfig({ ...base, INVITATIONS_PER_ACCOUNT_PER_HOUR: "50", INVITATION_MAILS_PER_RECIPIENT_PER_DAY: "5" }).invitationLimits).toEqual({
      perAccountPerHour: 50,
      perRecipientPerDay: 5,
    });
    expect(() => parseConfig({ ...base, INVITATION_MAILS_PER_RECIPIENT_PER_DAY: "0" })).toThrow(/INVITATION_MAILS_PER_RECIPIENT_PER_DAY/);
  });
});

// ---------------------------------------------------------------- API keys

const v1 = (base: string, key: string, ip: string) => fetch(`${base}/v1/account`, { headers: { Authorization: `Bearer ${key}`, "X-Forwarded-For": ip } });

/** A second web process (`server/web.ts`) on this test's database: another machine, in miniature. */
let second: { url: string; child: ChildProcess; output: string[] } | undefined;
async function secondWeb() {
  if (second) return second;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", "server/web.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: t.databaseUrl,
      TEMPORAL_ADDRESS: inject("temporalAddress"),
      TRUST_PROXY: "loopback",
      SESSION_SECRET,
      TOMBSTONE_SECRET: "throttles-test-tombstone-secret-0123456789",
      LIST_UNSUBSCRIBE_SECRET: "throttles-test-unsubscribe-secret-0123456789",
      STRIPE_WEBHOOK_SECRET: "whsec_throttles_test_webhook_secret_0123456789",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => output.push(String(c)));
  child.stderr?.on("data", (c) => output.push(String(c)));
  second = { url, child, output };
  await expect.poll(async () => (await fetch(`${url}/healthz`).catch(() => null))?.status, { timeout: 30_000, interval: 100 }).toBe(200);
  return second;
}
afterAll(async () => {
  const child = second?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
});

describe("failed API key limit", () => {
  it("V6.1.1 no malicious lockout: after 25 bad keys from one address a valid key from that address still gets 200; bad keys from it get 429 with Retry-After", async () => {
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await v1(t.app.url, i % 2 ? generateApiKey() : "tgp_v1_not-even-well-formed", ip)).status);
    expect(statuses).toEqual([...Array(20).fill(401), ...Array(5).fill(429)]);
    const a = await accountWithKey(t.db);
    const valid = await v1(t.app.url, a.key, ip);
    expect(valid.status).toBe(200);
    expect((await valid.json()).id).toBe(a.accountId);
    const bad = await v1(t.app.url, generateApiKey(), ip);
    expect(bad.status).toBe(429);
    const retry = Number(bad.headers.get("retry-after"));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
  });

  it("V2.4.1 anti-automation: a valid key never touches the limiter (no count is read or written for it)", async () => {
    const a = await accountWithKey(t.db);
    const ip = freshIp();
    for (let i = 0; i < 30; i++) expect((await v1(t.app.url, a.key, ip)).status).toBe(200);
    expect(await t.db.selectFrom("rate_limits").selectAll().execute()).toEqual([]);
  });

  it("V6.3.1 brute force: two web processes together allow 20 failed keys per address a minute, not 40", { timeout: 90_000 }, async () => {
    const other = await secondWeb();
    const ip = freshIp();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await v1(i % 2 ? other.url : t.app.url, generateApiKey(), ip)).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.slice(20)).toEqual(Array(20).fill(429));
    // And the valid key still works on both.
    const a = await accountWithKey(t.db);
    expect((await v1(t.app.url, a.key, ip)).status).toBe(200);
    expect((await v1(other.url, a.key, ip)).status).toBe(200);
  });
});
