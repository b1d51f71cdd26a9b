/** The console's actions over HTTP: roles, CSRF, bad input, and what each changes. */
import { beforeEach, describe, expect, it } from "vitest";
import { UserAgent } from "./helpers/user-agent.js";
import { useSuite } from "./helpers/suite.js";
import { seedStaffOfEachRole, staffAgent as staffAgentFor } from "./helpers/staff.js";
import { truncateAll } from "./helpers/database.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});

const staffAgent = (role: "support" | "operator" | "admin") => staffAgentFor(t.app.url, role);

async function customer(email: string) {
  const ua = new UserAgent(t.app.url);
  await ua.signIn("google", { email });
  const row = await t.db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select("memberships.account_id")
    .where("users.email", "=", email)
    .executeTakeFirstOrThrow();
  return { ua, accountId: row.account_id };
}

const statusChanges = async () =>
  Number(
    (
      await t.db
        .selectFrom("account_status_changes")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("account search", () => {
  it("finds accounts by email substring and by id, paged, and shows an empty state", async () => {
    const { accountId } = await customer("findme@example.com");
    await customer("other@example.com");
    const support = await staffAgent("support");
    const bySub = await support.get("/console/accounts?q=FINDME%40");
    expect(bySub.body).toContain("findme@example.com");
    expect(bySub.body).not.toContain("other@example.com");
    const byId = await support.get(`/console/accounts?q=${accountId}`);
    expect(byId.body).toContain("findme@example.com");
    expect((await support.get("/console/accounts?q=%25")).body).toContain("No account matches");
    expect((await support.get("/console/accounts?q=nobody")).body).toContain("No account matches");
    expect((await support.get("/console/accounts?page=-4")).status).toBe(200);
    expect((await support.get(`/console/accounts?q=${"x".repeat(300)}`)).status).toBe(400);
  });

  it("an account page for an unknown or malformed id is a 404", async () => {
    const support = await staffAgent("support");
    expect((await support.request(`/console/accounts/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await support.request("/console/accounts/not-a-uuid")).status).toBe(404);
  });
});

describe("block from the console", () => {
  it("an operator may look but not block (403), and nothing changes", async () => {
    const { accountId } = await customer("victim@example.com");
    const operator = await staffAgent("operator");
    const page = await operator.get(`/console/accounts/${accountId}`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain("Block account</button>");
    const res = await operator.submit(`/console/accounts/${accountId}`, `/console/accounts/${accountId}`, {
      intent: "block",
      reasonCode: "abuse",
      reasonText: "x",
    });
    expect(res.status).toBe(403);
    expect(await statusChanges()).toBe(0);
  });

  it("without its CSRF token the block form is refused (403) and nothing changes", async () => {
    const { accountId } = await customer("victim@example.com");
    const support = await staffAgent("support");
    const res = await support.request(`/console/accounts/${accountId}`, { form: { intent: "block", reasonCode: "abuse", reasonText: "x" } });
    expect(res.status).toBe(403);
    expect(await statusChanges()).toBe(0);
  });

  it.each([
    [{ intent: "block", reasonCode: "abuse", reasonText: "   " }, "Say why, for the record."],
    [{ intent: "block", reasonCode: "made-up", reasonText: "x" }, "Invalid enum value"],
    [{ intent: "teleport" }, "Invalid discriminator value"],
  ])("bad input %o gets a form error and starts nothing", async (fields, message) => {
    const { accountId } = await customer("victim@example.com");
    const support = await staffAgent("support");
    const res = await support.submit(`/console/accounts/${accountId}`, `/console/accounts/${accountId}`, fields);
    expect(res.status).toBe(200);
    expect(res.body).toContain(message);
    expect(await statusChanges()).toBe(0);
  });

  it("unblocking an active account is refused with a message", async () => {
    const { accountId } = await customer("victim@example.com");
    const support = await staffAgent("support");
    const res = await support.submit(`/console/accounts/${accountId}`, `/console/accounts/${accountId}`, { intent: "unblock", reasonText: "x" });
    expect(res.body).toContain("only a blocked account can be unblocked");
    expect(await statusChanges()).toBe(0);
  });

  it("staff can end every session of an account's users at once (audited)", async () => {
    const { ua, accountId } = await customer("victim@example.com");
    const support = await staffAgent("support");
    const res = await support.submit(`/console/accounts/${accountId}`, `/console/accounts/${accountId}`, { intent: "end_sessions" });
    expect(res.body).toContain("1 session ended.");
    const next = await ua.get("/settings/sessions");
    expect(new URL(next.url).pathname).toBe("/login");
    expect(next.body).toContain("Your session was ended");
    const audit = await t.db.selectFrom("audit_log").select(["actor_type", "details"]).where("action", "=", "account.sessions_ended").executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ actor_type: "staff", details: { count: 1, reason: "ended_by_staff" } });
  });
});

describe("staff management", () => {
  it("only admins reach it; support and operators get 403", async () => {
    expect((await (await staffAgent("support")).request("/console/staff")).status).toBe(403);
    expect((await (await staffAgent("operator")).request("/console/staff")).status).toBe(403);
    expect((await (await staffAgent("admin")).request("/console/staff")).status).toBe(200);
  });

  it("admins add staff, change roles and remove them; each audited; a removed member is out at once", async () => {
    const admin = await staffAgent("admin");
    const added = await admin.submit("/console/staff", "/console/staff", { intent: "add", email: "New.Hire@Switchboard.test", role: "support" });
    expect(added.body).toContain("Saved.");
    const hire = await t.db.selectFrom("staff").select(["id", "role"]).where("email", "=", "new.hire@switchboard.test").executeTakeFirstOrThrow();
    const dup = await admin.submit("/console/staff", "/console/staff", { intent: "add", email: "new.hire@switchboard.test", role: "admin" });
    expect(dup.body).toContain("already a staff member");
    await admin.submit("/console/staff", "/console/staff", { intent: "set_role", staffId: hire.id, role: "operator" });
    expect((await t.db.selectFrom("staff").select("role").where("id", "=", hire.id).executeTakeFirstOrThrow()).role).toBe("operator");

    const hireAgent = new UserAgent(t.app.url);
    await hireAgent.signIn("google", { email: "new.hire@switchboard.test" });
    expect((await hireAgent.request("/console")).status).toBe(200);
    await admin.submit("/console/staff", "/console/staff", { intent: "remove", staffId: hire.id });
    expect((await hireAgent.request("/console")).status).toBe(302); // session gone with the staff row
    const actions = (await t.db.selectFrom("audit_log").select("action").where("target_id", "=", hire.id).orderBy("id").execute()).map((r) => r.action);
    expect(actions).toEqual(["staff.added", "staff.role_changed", "auth.sign_in", "staff.removed"]);
  });

  it("the last admin cannot be demoted or removed; bad emails get a form error", async () => {
    const admin = await staffAgent("admin");
    const me = await t.db.selectFrom("staff").select("id").where("email", "=", "admin@switchboard.test").executeTakeFirstOrThrow();
    expect((await admin.submit("/console/staff", "/console/staff", { intent: "set_role", staffId: me.id, role: "support" })).body).toContain("last admin");
    expect((await admin.submit("/console/staff", "/console/staff", { intent: "remove", staffId: me.id })).body).toContain("last admin");
    expect((await admin.submit("/console/staff", "/console/staff", { intent: "add", email: "nope", role: "support" })).body).toContain(
      "Enter a valid email address.",
    );
    expect((await t.db.selectFrom("staff").select("role").where("id", "=", me.id).executeTakeFirstOrThrow()).role).toBe("admin");
  });
});

describe("request limits", () => {
  it("a body over 1 MB is refused with 413 before anything reads it", async () => {
    const res = await fetch(`${t.app.url}/logout`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `csrf=${"x".repeat(1_100_000)}`,
    });
    expect(res.status).toBe(413);
    expect(await res.text()).toContain("too large");
  });
});
