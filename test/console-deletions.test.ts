/**
 * Deleting an account from the console on the person's request, over HTTP
 * against the real app, PostgreSQL and Temporal: what happens at once, what
 * the workflow records, what the console shows, and every refusal changing
 * nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { regenerateMainKey } from "../app/models/api-keys.server.js";
import { deleteWorkflowId } from "../workflows/shared.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { seedStaffOfEachRole, staffAgent as staffAgentFor } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
const started: string[] = [];
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});
// Deletions started without a worker would wait on this file's task queue for the next test's worker: end them.
afterEach(async () => {
  for (const accountId of started.splice(0)) {
    await t.temporal.client.workflow
      .getHandle(deleteWorkflowId(accountId))
      .terminate("test finished")
      .catch(() => undefined); // already closed
  }
});

const staffAgent = (role: "support" | "operator" | "admin") => staffAgentFor(t.app.url, role);
const REASON = "Ticket 4711: the owner asked by email to delete the account";

/** A signed-in customer who owns an account, with a main key we know. */
async function customer(email: string) {
  const ua = new UserAgent(t.app.url);
  await ua.signIn("google", { email });
  const row = await t.db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["memberships.account_id", "users.id as user_id"])
    .where("users.email", "=", email)
    .executeTakeFirstOrThrow();
  const key = await regenerateMainKey(t.db, row.account_id, row.user_id, { type: "user", id: row.user_id });
  return { ua, accountId: row.account_id, userId: row.user_id, key: key.plaintext, email };
}

const accountPage = (accountId: string) => `/console/accounts/${accountId}`;

/** Posts the deletion form of the account page (with that page's CSRF token). */
async function requestDeletion(ua: UserAgent, accountId: string, fields: Record<string, string> = { reason: REASON, confirm: "yes" }) {
  const res = await ua.submit(accountPage(accountId), accountPage(accountId), { intent: "delete", ...fields });
  if (res.status === 302) started.push(accountId);
  return res;
}

const apiStatus = async (key: string) => (await fetch(`${t.app.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } })).status;

/** Everything a refused request must leave as it was. */
async function snapshot(accountId: string) {
  const account = await t.db.selectFrom("accounts").select("status").where("id", "=", accountId).executeTakeFirstOrThrow();
  const deletions = await t.db.selectFrom("account_deletions").select("id").execute();
  const keys = await t.db.selectFrom("api_keys").select(["id", "status"]).where("account_id", "=", accountId).orderBy("id").execute();
  const sessions = await t.db.selectFrom("sessions").select(["id", "revoked_at"]).where("account_id", "=", accountId).orderBy("id").execute();
  const audit = await t.db.selectFrom("audit_log").select("id").where("action", "like", "account.deletion%").execute();
  return { status: account.status, deletions: deletions.length, keys, sessions, audit: audit.length };
}

describe("deleting an account from the console", () => {
  it("support starts it with a reason: at once deleting, keys and sessions dead, audited without the reason; the workflow finishes and the console shows every step", async () => {
    const c = await customer("leaving@example.com");
    expect(await apiStatus(c.key)).toBe(200);
    const support = await staffAgent("support");

    const page = await support.get(accountPage(c.accountId));
    expect(page.body).toContain("Delete account (on the person&#x27;s request)");
    expect(page.body).toContain("Say where the person asked (ticket or email). Do not paste personal data.");
    expect(page.body).toContain("I understand this cannot be undone");

    const res = await requestDeletion(support, c.accountId);
    expect(res.status).toBe(302);
    expect(res.location).toBe(`${t.app.url}${accountPage(c.accountId)}?deletion=started`);

    // At once, in the request's transaction.
    const account = await t.db.selectFrom("accounts").select("status").where("id", "=", c.accountId).executeTakeFirstOrThrow();
    expect(account.status).toBe("deleting");
    const supportStaff = await t.db.selectFrom("staff").select("id").where("email", "=", "support@switchboard.test").executeTakeFirstOrThrow();
    const row = await t.db.selectFrom("account_deletions").selectAll().where("account_id", "=", c.accountId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      source: "support",
      requested_by_staff_id: supportStaff.id,
      requested_by_user_id: null,
      reason: REASON,
      workflow_id: deleteWorkflowId(c.accountId),
    });
    expect(["pending", "running"]).toContain(row.status);
    await expect.poll(() => apiStatus(c.key), { timeout: 1000, interval: 10 }).toBe(401);
    const next = await c.ua.request("/settings/profile");
    expect(next.status).toBe(302);
    expect(next.location).toContain("/login?ended=deleted");

    const audit = await t.db.selectFrom("audit_log").selectAll().where("action", "=", "account.deletion_requested").execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: "staff", actor_id: supportStaff.id, target_type: "account", target_id: c.accountId });
    const details = JSON.stringify(audit[0].details);
    expect(details).not.toContain("4711");
    expect(details).not.toContain("Ticket");
    expect(details).not.toContain(c.email);

    const after = pageText((await support.get(`${accountPage(c.accountId)}?deletion=started`)).body);
    expect(after).toContain("Deletion started");
    expect(after).toMatch(/Deletions (pending|running) started by support/);
    expect(after).toContain("This account is being deleted");
    expect(after).toContain(REASON);

    // The dashboard while it waits for a worker.
    const operator = await staffAgent("operator");
    const dashboardBefore = pageText((await operator.get("/console")).body);
    expect(dashboardBefore).toMatch(/Deletions in progress 1 \(\s*1 pending\s*,\s*0 running\s*\)/);
    expect(dashboardBefore).toContain("Account deletions: 0");

    // The workflow, on a real worker, to its end.
    const handle = t.temporal.client.workflow.getHandle(deleteWorkflowId(c.accountId));
    const result = await t.temporal.runWorker(realActivities(t.db, t.app.url), () => handle.result());
    expect(result).toEqual({ outcome: "deleted" });
    const done = await t.db
      .selectFrom("account_deletions")
      .select(["status", "steps", "completed_at"])
      .where("account_id", "=", c.accountId)
      .executeTakeFirstOrThrow();
    expect(done.status).toBe("completed");
    expect(done.completed_at).not.toBeNull();
    const stepNames = done.steps.map((s) => s.step);
    expect(stepNames).toEqual(
      expect.arrayContaining([
        "requested",
        "keys_and_sessions_revoked",
        "provider_contacts_erased",
        "confirmation_queued",
        "confirmation_sent",
        "personal_data_erased",
        "tombstone_written",
        "completed",
      ]),
    );

    // /console/deletions, for any staff role.
    const list = await operator.get("/console/deletions");
    expect(list.status).toBe(200);
    const listText = pageText(list.body);
    expect(list.body).toContain(`href="/console/accounts/${c.accountId}"`);
    expect(list.body).toContain(`href="/console/workflows/${encodeURIComponent(deleteWorkflowId(c.accountId))}"`);
    expect(listText).toContain("support (support@switchboard.test)");
    expect(listText).toContain("completed");
    for (const s of done.steps) expect(listText).toContain(`${s.step.replace(/_/g, " ")}: ${s.outcome}`);
    expect(pageText((await operator.get("/console/deletions?status=completed")).body)).toContain(c.accountId);
    expect(pageText((await operator.get("/console/deletions?status=running")).body)).toContain("No running deletions.");

    // The account page: deleted, with the steps, and no form any more.
    const final = await support.get(accountPage(c.accountId));
    const finalText = pageText(final.body);
    expect(final.body).toContain('<span class="badge deleted">deleted</span>');
    expect(finalText).toContain("This account has been deleted.");
    expect(final.body).not.toContain('value="delete"');
    for (const s of done.steps) expect(finalText).toContain(`${s.step.replace(/_/g, " ")}: ${s.outcome}`);

    // The dashboard counts it and charts it.
    const dashboard = await operator.get("/console");
    const dashText = pageText(dashboard.body);
    expect(dashText).toMatch(/Deletions in progress 0 \(\s*0 pending\s*,\s*0 running\s*\)/);
    expect(dashText).toMatch(/Completed, last 30 days 1/);
    expect(dashText).toContain("Account deletions: 1");
    expect(dashboard.body).toContain('href="/console/deletions?status=running"');
    expect(dashboard.body.match(/data-series="deletions"/g)).toHaveLength(30);
    expect(dashboard.body).toMatch(/<title>\d{4}-\d{2}-\d{2}: 1 account deletions<\/title>/);
  });

  it.each([
    ["a missing reason", { reason: "   ", confirm: "yes" }, "Give a reason (for example, the ticket or email in which the person asked)."],
    ["an unticked confirmation", { reason: REASON }, "Tick “I understand this cannot be undone” to go ahead."],
    ["a reason over the limit", { reason: "x".repeat(1001), confirm: "yes" }, "Keep the reason to 1000 characters."],
  ])("%s is a 400 form error and nothing changes", async (_name, fields, message) => {
    const c = await customer("staying@example.com");
    const support = await staffAgent("support");
    const before = await snapshot(c.accountId);
    const res = await requestDeletion(support, c.accountId, fields);
    expect(res.status).toBe(400);
    expect(pageText(res.body)).toContain(message);
    expect(pageText(res.body)).toContain("Nothing was changed.");
    expect(await snapshot(c.accountId)).toEqual(before);
    expect(await apiStatus(c.key)).toBe(200);
    expect((await c.ua.request("/settings/profile")).status).toBe(200);
  });

  it("without its CSRF token the form is refused (403) and nothing changes", async () => {
    const c = await customer("staying@example.com");
    const support = await staffAgent("support");
    const before = await snapshot(c.accountId);
    const res = await support.request(accountPage(c.accountId), { form: { intent: "delete", reason: REASON, confirm: "yes" } });
    expect(res.status).toBe(403);
    expect(await snapshot(c.accountId)).toEqual(before);
  });

  it("an operator sees no form and is refused (403); nothing changes", async () => {
    const c = await customer("staying@example.com");
    const operator = await staffAgent("operator");
    const page = await operator.get(accountPage(c.accountId));
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('value="delete"');
    expect(page.body).not.toContain("I understand this cannot be undone");
    const before = await snapshot(c.accountId);
    const res = await requestDeletion(operator, c.accountId);
    expect(res.status).toBe(403);
    expect(await snapshot(c.accountId)).toEqual(before);
    expect(await apiStatus(c.key)).toBe(200);
  });

  it("the sole owner of an account with another member: refused (409) with what to do, nothing changes", async () => {
    const c = await customer("owner@example.com");
    const other = await t.db
      .insertInto("users")
      .values({ email: "member@example.com", name: "Member", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: c.accountId, user_id: other.id, role: "member" }).execute();
    const support = await staffAgent("support");
    const before = await snapshot(c.accountId);
    const res = await requestDeletion(support, c.accountId);
    expect(res.status).toBe(409);
    expect(pageText(res.body)).toContain("This account has other members. Its owner must remove them or hand over ownership before it can be deleted.");
    expect(await snapshot(c.accountId)).toEqual(before);
    expect(await apiStatus(c.key)).toBe(200);
  });

  it('a second request while one is under way: "already being deleted" (409), one deletion only', async () => {
    const c = await customer("twice@example.com");
    const support = await staffAgent("support");
    const admin = await staffAgent("admin");
    expect((await requestDeletion(support, c.accountId)).status).toBe(302);
    const before = await snapshot(c.accountId);
    const again = await requestDeletion(admin, c.accountId);
    expect(again.status).toBe(409);
    expect(pageText(again.body)).toContain("This account is already being deleted.");
    expect(await snapshot(c.accountId)).toEqual(before);
    expect(before.deletions).toBe(1);
  });

  it("a deletion whose workflow failed can be started again by support", async () => {
    const c = await customer("retry@example.com");
    const support = await staffAgent("support");
    expect((await requestDeletion(support, c.accountId)).status).toBe(302);
    // As the workflow's failDeletion leaves it: the row failed, the account still "deleting".
    await t.temporal.client.workflow.getHandle(deleteWorkflowId(c.accountId)).terminate("simulated failure");
    await t.db.updateTable("account_deletions").set({ status: "failed", error: "simulated_failure" }).where("account_id", "=", c.accountId).execute();

    const operator = await staffAgent("operator");
    const listed = pageText((await operator.get("/console/deletions?status=failed")).body);
    expect(listed).toContain(c.accountId);
    expect(listed).toContain("simulated_failure");

    const page = await support.get(accountPage(c.accountId));
    expect(page.body).toContain("Start the deletion again");
    const res = await requestDeletion(support, c.accountId, { reason: "Ticket 4711 again, after the failure", confirm: "yes" });
    expect(res.status).toBe(302);
    const rows = await t.db.selectFrom("account_deletions").select(["status"]).where("account_id", "=", c.accountId).orderBy("created_at").execute();
    expect(rows.map((r) => r.status)).toEqual(["failed", "pending"]);
    const run = await t.temporal.client.workflow.getHandle(deleteWorkflowId(c.accountId)).describe();
    expect(run.status.name).toBe("RUNNING");
  });
});

describe("/console/deletions", () => {
  it("shows an empty state, and answers 400 to an unknown filter or a bad page", async () => {
    const operator = await staffAgent("operator");
    const empty = await operator.get("/console/deletions");
    expect(empty.status).toBe(200);
    expect(pageText(empty.body)).toContain("No account has been deleted yet.");
    expect(pageText((await operator.get("/console/deletions?status=failed")).body)).toContain("No failed deletions.");
    expect((await operator.get("/console/deletions?status=")).status).toBe(200);
    for (const q of ["status=bogus", "status=all&page=0", "page=-1", "page=abc", "page=1.5"]) {
      const res = await operator.request(`/console/deletions?${q}`);
      expect(res.status, q).toBe(400);
    }
    expect(pageText((await operator.request("/console/deletions?status=bogus")).body)).toContain("Unknown deletion filter");
  });

  it("pages 25 at a time, newest first", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 27; i++) {
      const a = await t.db
        .insertInto("accounts")
        .values({ name: `A${i}`, plan: "build", status: "deleted" })
        .returning("id")
        .executeTakeFirstOrThrow();
      await t.db
        .insertInto("account_deletions")
        .values({
          account_id: a.id,
          source: "self",
          status: "completed",
          steps: JSON.stringify([{ step: "completed", outcome: "deleted", at: new Date().toISOString() }]),
          created_at: new Date(Date.now() - (27 - i) * 60_000),
        })
        .execute();
      ids.push(a.id);
    }
    const support = await staffAgent("support");
    const first = await support.get("/console/deletions");
    expect(first.body).toContain(ids[26]);
    expect(first.body).not.toContain(ids[1]);
    expect(first.body).toContain('href="/console/deletions?status=all&amp;page=2"');
    const second = await support.get("/console/deletions?status=all&page=2");
    expect(second.body).toContain(ids[0]);
    expect(second.body).toContain(ids[1]);
    expect(second.body).not.toContain(ids[2]);
    expect(pageText(second.body)).toContain("self-service");
  });
});
