import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { freshDatabase, type FreshDatabase } from "../../test/helpers/database.js";
import type { Provider } from "../../db/schema.js";
import { writeEmailTombstone } from "./email.server.js";
import { refusalMessage, resolveSignIn, type ProviderIdentity } from "./sign-in.server.js";

const SECRET = "unit-test-tombstone-secret-unit-test-tombstone";
let fresh: FreshDatabase;

beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(() => fresh.destroy());
beforeEach(async () => {
  await sql`TRUNCATE users, accounts, memberships, identities, staff, sessions, audit_log, email_tombstones CASCADE`.execute(fresh.db);
});

const identity = (over: Partial<ProviderIdentity> = {}): ProviderIdentity => ({
  provider: "google",
  subject: `sub-${over.email ?? "x"}-${over.provider ?? "google"}`,
  email: "person@example.com",
  emailVerified: true,
  name: "Pat Person",
  avatarUrl: null,
  ...over,
});

async function existingUser(email: string, provider: Provider, status: "active" | "blocked" | "deleted" = "active", transferred = false) {
  const db = fresh.db;
  const user = await db.insertInto("users").values({ email, name: "Existing", provider }).returning("id").executeTakeFirstOrThrow();
  const target = transferred ? await db.insertInto("accounts").values({ name: "new" }).returning("id").executeTakeFirstOrThrow() : null;
  const account = await db
    .insertInto("accounts")
    .values({ name: "acct", status, transferred_to_account_id: target?.id ?? null })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db.insertInto("memberships").values({ account_id: account.id, user_id: user.id, role: "owner" }).execute();
  return { userId: user.id, accountId: account.id };
}

const resolve = (id: ProviderIdentity) => resolveSignIn(fresh.db, id, { tombstoneSecret: SECRET, ip: "127.0.0.1" });

describe("sign-in rules", () => {
  const refusals: {
    name: string;
    setup: () => Promise<unknown>;
    input: Partial<ProviderIdentity>;
    reason: string;
    bound?: Provider;
  }[] = [
    { name: "unverified email", setup: async () => {}, input: { emailVerified: false }, reason: "unverified_email" },
    { name: "no email at all", setup: async () => {}, input: { email: null }, reason: "unverified_email" },
    {
      name: "same email through the other provider",
      setup: () => existingUser("person@example.com", "github"),
      input: { provider: "google" },
      reason: "other_provider",
      bound: "github",
    },
    {
      name: "other provider, email differing only in case",
      setup: () => existingUser("person@example.com", "google"),
      input: { provider: "github", email: "  Person@Example.COM " },
      reason: "other_provider",
      bound: "google",
    },
    {
      name: "tombstoned email",
      setup: () => writeEmailTombstone(fresh.db, SECRET, "person@example.com"),
      input: {},
      reason: "tombstoned",
    },
    { name: "blocked account", setup: () => existingUser("person@example.com", "google", "blocked"), input: {}, reason: "blocked" },
    {
      name: "transferred (blocked with a new account)",
      setup: () => existingUser("person@example.com", "google", "blocked", true),
      input: {},
      reason: "transferred",
    },
    { name: "deleted account", setup: () => existingUser("person@example.com", "google", "deleted"), input: {}, reason: "deleted" },
    {
      name: "staff bound to the other provider",
      setup: () => fresh.db.insertInto("staff").values({ email: "person@example.com", role: "support", provider: "github" }).execute(),
      input: { provider: "google" },
      reason: "other_provider",
      bound: "github",
    },
  ];

  for (const c of refusals) {
    it(`refuses: ${c.name}, and changes nothing but the audit trail`, async () => {
      await c.setup();
      const before = await counts();
      const outcome = await resolve(identity(c.input));
      expect(outcome).toMatchObject({ ok: false, reason: c.reason, ...(c.bound ? { boundProvider: c.bound } : {}) });
      expect(await counts()).toEqual({ ...before, audit: before.audit + 1 });
      const audit = await fresh.db.selectFrom("audit_log").selectAll().orderBy("id", "desc").executeTakeFirstOrThrow();
      expect(audit).toMatchObject({ action: "auth.sign_in_refused", actor_type: "anonymous", ip: "127.0.0.1" });
      expect(JSON.stringify(audit.details)).not.toContain("person@");
    });
  }

  it("the other-provider refusal says exactly the documented sentence, then which provider to use", () => {
    expect(refusalMessage("other_provider", "google", "github")).toEqual([
      "This email is already linked to another sign-in method.",
      "Sign in with GitHub instead.",
    ]);
  });

  it("a new email creates a user and the account it owns, bound to that provider", async () => {
    const outcome = await resolve(identity({ provider: "github", email: "New@Example.com" }));
    expect(outcome).toMatchObject({ ok: true, created: true, staff: null });
    if (!outcome.ok) throw new Error("unreachable");
    const user = await fresh.db.selectFrom("users").selectAll().where("id", "=", outcome.userId!).executeTakeFirstOrThrow();
    expect(user).toMatchObject({ email: "new@example.com", provider: "github" });
    const membership = await fresh.db.selectFrom("memberships").selectAll().where("user_id", "=", user.id).executeTakeFirstOrThrow();
    expect(membership).toMatchObject({ account_id: outcome.accountId, role: "owner" });
    const account = await fresh.db.selectFrom("accounts").selectAll().where("id", "=", outcome.accountId!).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ plan: "build", status: "active" });
  });

  it("signing in again with the same provider finds the same user and account", async () => {
    const first = await resolve(identity());
    const second = await resolve(identity());
    expect(second).toMatchObject({ ok: true, created: false });
    if (!first.ok || !second.ok) throw new Error("unreachable");
    expect(second.userId).toBe(first.userId);
    expect(second.accountId).toBe(first.accountId);
    expect(await fresh.db.selectFrom("accounts").select("id").execute()).toHaveLength(1);
  });

  it("a legacy LinkedIn user is re-bound to the first provider used, audited, and then locked to it", async () => {
    const { userId } = await existingUser("person@example.com", "linkedin");
    const first = await resolve(identity({ provider: "github" }));
    expect(first).toMatchObject({ ok: true, userId, reboundFrom: "linkedin", created: false });
    const user = await fresh.db.selectFrom("users").select("provider").where("id", "=", userId).executeTakeFirstOrThrow();
    expect(user.provider).toBe("github");
    const rebound = await fresh.db.selectFrom("audit_log").selectAll().where("action", "=", "user.provider_rebound").execute();
    expect(rebound).toHaveLength(1);
    expect(rebound[0].details).toEqual({ from: "linkedin", to: "github" });
    expect(await resolve(identity({ provider: "google" }))).toMatchObject({ ok: false, reason: "other_provider", boundProvider: "github" });
  });

  it("staff without a user get a staff-only sign-in (no account created) and are bound to the provider", async () => {
    await fresh.db.insertInto("staff").values({ email: "person@example.com", role: "operator" }).execute();
    const outcome = await resolve(identity({ provider: "github" }));
    expect(outcome).toMatchObject({ ok: true, userId: null, accountId: null, staff: { role: "operator" } });
    expect(await fresh.db.selectFrom("accounts").select("id").execute()).toHaveLength(0);
    const staff = await fresh.db.selectFrom("staff").select("provider").executeTakeFirstOrThrow();
    expect(staff.provider).toBe("github");
  });

  it("a tombstone refuses only new sign-ups: other emails still sign up", async () => {
    await writeEmailTombstone(fresh.db, SECRET, "person@example.com");
    expect(await resolve(identity({ email: "other@example.com" }))).toMatchObject({ ok: true, created: true });
  });
});

async function counts() {
  const n = async (t: "users" | "accounts" | "identities" | "memberships" | "audit_log" | "staff") =>
    Number(
      (
        await fresh.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    users: await n("users"),
    accounts: await n("accounts"),
    identities: await n("identities"),
    memberships: await n("memberships"),
    staff: await n("staff"),
    audit: await n("audit_log"),
    providers: (await fresh.db.selectFrom("users").select("provider").orderBy("id").execute()).map((r) => r.provider).join(","),
  };
}
