/**
 * Sessions (issue 14, finding 7), against the real app and PostgreSQL: the idle
 * timeout on top of the absolute lifetime (customers 24 h, staff 30 min), the
 * step-up that console actions moving money, deleting, changing plans,
 * terminating workflows or granting roles need (a sign-in from the last 10
 * minutes, the form kept across "Sign in again" and never replayed), and a new
 * CSRF token at every sign-in.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { SYSTEM, type Actor } from "../../app/models/audit.server.js";
import { createPasswordLogin, setPasswordLogins } from "../../app/models/password-logins.server.js";
import { accountWithKey } from "../helpers/accounts.js";
import { truncateAll } from "../helpers/database.js";
import { seedStaffOfEachRole, staffAgent } from "../helpers/staff.js";
import { useSuite } from "../helpers/suite.js";
import { pageText, UserAgent, type Hop } from "../helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});

/** The live session of a user or staff member (there is one per sign-in). */
async function liveSession(who: { userId?: string; staffId?: string }) {
  return t.db
    .selectFrom("sessions")
    .selectAll()
    .$if(!!who.userId, (q) => q.where("user_id", "=", who.userId!))
    .$if(!!who.staffId, (q) => q.where("staff_id", "=", who.staffId!))
    .where("revoked_at", "is", null)
    .orderBy("created_at", "desc")
    .executeTakeFirstOrThrow();
}

const ageLastSeen = (sessionId: string, minutes: number) =>
  t.db
    .updateTable("sessions")
    .set({ last_seen_at: sql`now() - make_interval(mins => ${minutes})` })
    .where("id", "=", sessionId)
    .execute();
const ageSignIn = (sessionId: string, minutes: number) =>
  t.db
    .updateTable("sessions")
    .set({ created_at: sql`now() - make_interval(mins => ${minutes})` })
    .where("id", "=", sessionId)
    .execute();

const staffId = async (role: string) =>
  (await t.db.selectFrom("staff").select("id").where("email", "=", `${role}@switchboard.test`).executeTakeFirstOrThrow()).id;

async function customer() {
  const email = `${randomUUID()}@example.com`;
  const ua = new UserAgent(t.app.url);
  await ua.signIn("google", { email });
  const user = await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return { ua, userId: user.id };
}

/** Presses a "Sign in again" form found on `html` and picks `email` at the stand-in; the final page. */
async function signInAgainFrom(ua: UserAgent, html: string, email: string): Promise<Hop> {
  const action = /action="(\/auth\/github\?next=[^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error("no “Sign in again with GitHub” form on the page");
  const start = await ua.request(action.replace(/&amp;/g, "&"), { form: { csrf: UserAgent.csrfFrom(html) } });
  expect(start.status).toBe(302);
  const authorize = new URL(start.location!);
  const picker = await ua.request(authorize.toString());
  const hidden = Object.fromEntries(
    [...picker.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2].replace(/&amp;/g, "&")]),
  );
  const chosen = await ua.request(authorize.origin + authorize.pathname, {
    form: { ...hidden, choice: "custom", email, name: email.split("@")[0], email_verified: "true" },
  });
  return ua.follow(chosen);
}

/** The audit rows written as `actorId` after the row `since` (the sign-in writes one of its own). */
const auditsBy = (actorId: string, since: string) =>
  t.db.selectFrom("audit_log").select("action").where("actor_id", "=", actorId).where("id", ">", since).execute();
const lastAuditId = async () =>
  (
    await t.db
      .selectFrom("audit_log")
      .select((eb) => eb.fn.max("id").as("id"))
      .executeTakeFirstOrThrow()
  ).id ?? "0";

describe("idle timeout", () => {
  it("V7.3.1 idle timeout: a customer session unused for longer than 24 hours is refused and signed out, saying why", async () => {
    const { ua, userId } = await customer();
    expect((await ua.get("/settings/profile")).status).toBe(200);
    const session = await liveSession({ userId });
    await ageLastSeen(session.id, 24 * 60 + 5);

    const refused = await ua.request("/settings/profile");
    expect(refused.status).toBe(302);
    expect(refused.location).toBe(`${t.app.url}/login?ended=idle&next=%2Fsettings%2Fprofile`);
    expect(ua.hasCookie("sb_session")).toBe(false);
    const login = await ua.follow(refused);
    expect(pageText(login.body)).toContain("You were signed out after 24 hours without activity.");

    const after = await t.db.selectFrom("sessions").select(["revoked_at", "revoked_reason"]).where("id", "=", session.id).executeTakeFirstOrThrow();
    expect(after.revoked_at).not.toBeNull();
    expect(after.revoked_reason).toBe("idle_timeout");
    const audit = await t.db.selectFrom("audit_log").selectAll().where("action", "=", "auth.session_idle_timeout").executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_type: "system", target_type: "user", target_id: userId });
  });

  it("V7.3.1 idle timeout: an active customer session is renewed (last_seen_at moves on) and stays signed in", async () => {
    const { ua, userId } = await customer();
    const session = await liveSession({ userId });
    await ageLastSeen(session.id, 23 * 60);
    expect((await ua.request("/settings/profile")).status).toBe(200);
    const renewed = await t.db.selectFrom("sessions").select(["last_seen_at", "revoked_at"]).where("id", "=", session.id).executeTakeFirstOrThrow();
    expect(renewed.revoked_at).toBeNull();
    expect(Date.now() - renewed.last_seen_at.getTime()).toBeLessThan(60_000);
    // Renewed, so the limit counts from now: still in.
    expect((await ua.request("/settings/profile")).status).toBe(200);
  });

  it("V7.3.1 idle timeout: a staff session idles out after 30 minutes, an active one does not", async () => {
    const ua = await staffAgent(t.app.url, "support");
    const session = await liveSession({ staffId: await staffId("support") });
    await ageLastSeen(session.id, 29);
    expect((await ua.request("/console/accounts")).status).toBe(200);

    await ageLastSeen(session.id, 31);
    const refused = await ua.request("/console/accounts");
    expect(refused.status).toBe(302);
    expect(refused.location).toBe(`${t.app.url}/login?ended=idle_staff&next=%2Fconsole%2Faccounts`);
    expect(pageText((await ua.follow(refused)).body)).toContain("You were signed out after 30 minutes without activity.");
    expect((await ua.request("/console/accounts")).status).toBe(302); // the session is gone for good
  });
});

describe("step-up for staff", () => {
  it("V7.5.3 step-up: a stale staff sign-in posting a plan change is asked to sign in again, changes nothing, and comes back with the form filled in", async () => {
    const { accountId } = await accountWithKey(t.db, { plan: "build" });
    const ua = await staffAgent(t.app.url, "support");
    const support = await staffId("support");
    await ageSignIn((await liveSession({ staffId: support })).id, 11);
    const since = await lastAuditId();
    const page = `/console/accounts/${accountId}`;
    const reason = `Contract <b>#42</b> “signed” ${randomUUID()}`;

    const asked = await ua.submit(page, page, { intent: "plan", plan: "scale", reason });
    expect(asked.status).toBe(303);
    expect(asked.location).toBe(`${t.app.url}${page}`);
    expect(ua.hasCookie("sb_step_up")).toBe(true);
    const prompt = await ua.follow(asked);
    expect(pageText(prompt.body)).toContain("For your security, “Change plan” needs a sign-in from the last 10 minutes. Nothing was changed.");
    expect(prompt.body).toContain(`action="/auth/github?next=${encodeURIComponent(`${page}#plan-change-h`)}"`);
    // Nothing changed, nothing written as the staff member.
    expect((await t.db.selectFrom("accounts").select("plan").where("id", "=", accountId).executeTakeFirstOrThrow()).plan).toBe("build");
    expect(await auditsBy(support, since)).toEqual([]);

    const back = await signInAgainFrom(ua, prompt.body, "support@switchboard.test");
    expect(back.url).toBe(`${t.app.url}${page}#plan-change-h`);
    expect(pageText(back.body)).toContain("You signed in again. Nothing has been done yet: check the “Change plan” form and press its button once more.");
    expect(back.body).toMatch(/<option value="scale" selected="">/);
    expect(back.body).toContain(reason.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
    expect(ua.hasCookie("sb_step_up")).toBe(false); // used once
    // Coming back replays nothing: the person presses the button again.
    expect((await t.db.selectFrom("accounts").select("plan").where("id", "=", accountId).executeTakeFirstOrThrow()).plan).toBe("build");

    const done = await ua.submit(page, page, { intent: "plan", plan: "scale", reason });
    expect(done.status).toBe(200);
    expect(pageText(done.body)).toContain("Plan changed from Build to Scale.");
    expect((await t.db.selectFrom("accounts").select("plan").where("id", "=", accountId).executeTakeFirstOrThrow()).plan).toBe("scale");
  });

  it("V7.5.3 step-up: moving credits, deleting, approving a transfer, terminating a workflow and granting roles need a recent sign-in; other actions do not", async () => {
    const { accountId } = await accountWithKey(t.db, { balanceCents: 500n });
    const ticket = await t.db
      .insertInto("support_tickets")
      .values({ kind: "email_transfer", status: "awaiting_approval", source: "web", old_account_id: accountId, workflow_id: `transfer-${randomUUID()}` })
      .returning("id")
      .executeTakeFirstOrThrow();
    const ua = await staffAgent(t.app.url, "admin");
    const admin = await staffId("admin");
    const operator = await staffId("operator");
    await ageSignIn((await liveSession({ staffId: admin })).id, 11);
    const since = await lastAuditId();
    const account = `/console/accounts/${accountId}`;
    const workflow = `/console/workflows/transfer-${randomUUID()}`;
    const csrf = UserAgent.csrfFrom((await ua.get("/console")).body);

    const needsStepUp: [string, Record<string, string>][] = [
      [account, { intent: "adjust", adjustToken: randomUUID(), amountDollars: "25", kind: "grant", reason: "goodwill" }],
      [account, { intent: "delete", reason: "asked by mail", confirm: "yes" }],
      [`/console/tickets/${ticket.id}`, { intent: "approve" }],
      [workflow, { intent: "terminate", run: randomUUID(), reason: "stuck" }],
      ["/console/staff", { intent: "add", email: "new-admin@switchboard.test", role: "admin" }],
      ["/console/staff", { intent: "set_role", staffId: operator, role: "admin" }],
    ];
    for (const [page, fields] of needsStepUp) {
      const res = await ua.request(page, { form: { csrf, ...fields } });
      expect(res.status, `${fields.intent} on ${page}`).toBe(303);
      expect(res.location).toBe(`${t.app.url}${page}`);
    }
    // None of them did anything.
    expect(await auditsBy(admin, since)).toEqual([]);
    expect((await t.db.selectFrom("accounts").select("status").where("id", "=", accountId).executeTakeFirstOrThrow()).status).toBe("active");
    expect(await t.db.selectFrom("ledger_entries").select("id").where("account_id", "=", accountId).execute()).toHaveLength(1);
    expect(await t.db.selectFrom("staff").select("id").where("email", "=", "new-admin@switchboard.test").execute()).toEqual([]);
    expect((await t.db.selectFrom("staff").select("role").where("id", "=", operator).executeTakeFirstOrThrow()).role).toBe("operator");
    expect(await t.db.selectFrom("ticket_decisions").select("id").execute()).toEqual([]);

    // A note or ending sessions is not behind the step-up.
    const note = await ua.request(`/console/tickets/${ticket.id}`, { form: { csrf, intent: "note", body: "called the requester" } });
    expect(note.status).toBe(200);
    const ended = await ua.request(account, { form: { csrf, intent: "end_sessions" } });
    expect(ended.status).toBe(200);
  });

  it("V7.5.3 step-up: a fresh sign-in acts at once, and another staff member's kept form is never shown", async () => {
    const { accountId } = await accountWithKey(t.db, { plan: "build" });
    const page = `/console/accounts/${accountId}`;
    const support = await staffAgent(t.app.url, "support");
    await ageSignIn((await liveSession({ staffId: await staffId("support") })).id, 11);
    expect((await support.submit(page, page, { intent: "plan", plan: "scale", reason: "secret words of support" })).status).toBe(303);

    // The admin signs in in the same browser: the stash was support's, so it is dropped unseen.
    const html = (await support.get(page)).body;
    const admin = await signInAgainFrom(support, html, "admin@switchboard.test");
    expect(admin.body).not.toContain("secret words of support");
    expect(support.hasCookie("sb_step_up")).toBe(false);
    const done = await support.submit(page, page, { intent: "plan", plan: "enterprise", reason: "contract" });
    expect(done.status).toBe(200);
    expect(pageText(done.body)).toContain("Plan changed from Build to Enterprise.");
  });
});

describe("CSRF token at sign-in", () => {
  it("V7.2.4 CSRF token renewed at sign-in: OAuth sign-in issues a new token and the old one stops working", async () => {
    const ua = new UserAgent(t.app.url);
    const before = UserAgent.csrfFrom((await ua.get("/login")).body);
    await ua.signIn("google", { email: `${randomUUID()}@example.com` });
    const page = await ua.get("/settings/profile");
    const after = UserAgent.csrfFrom(page.body);
    expect(after).not.toBe(before);
    expect((await ua.request("/logout", { form: { csrf: before } })).status).toBe(403);
    expect((await ua.request("/logout", { form: { csrf: after } })).status).toBe(302);
  });

  it("V7.2.4 CSRF token renewed at sign-in: a password sign-in issues a new token too", async () => {
    const owner = await accountWithKey(t.db, { plan: "scale" });
    const made = await t.db.transaction().execute(async (trx) => {
      const on = await setPasswordLogins(trx, owner.accountId, true, SYSTEM);
      if (!on.ok) throw new Error(on.message);
      const actor: Actor = { type: "user", id: owner.userId };
      const login = await createPasswordLogin(trx, { accountId: owner.accountId, username: "ada", createdBy: owner.userId }, actor);
      if (!login.ok) throw new Error(login.message);
      return { loginId: on.loginId!, password: login.initialPassword };
    });
    const ua = new UserAgent(t.app.url);
    const before = UserAgent.csrfFrom((await ua.get("/login/password")).body);
    const signedIn = await ua.request("/login/password", { form: { csrf: before, account: made.loginId, username: "ada", password: made.password } });
    expect(signedIn.status).toBe(302);
    const after = UserAgent.csrfFrom((await ua.get("/login/password/change")).body);
    expect(after).not.toBe(before);
  });
});
