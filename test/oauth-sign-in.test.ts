/**
 * The full OAuth redirect dance over HTTP, for both providers, against the
 * local stand-in: the app's real routes, remix-auth strategies, PostgreSQL.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { writeEmailTombstone } from "../app/models/email.server.js";
import { TEST_TOMBSTONE_SECRET } from "./helpers/app.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";
import { useSuite } from "./helpers/suite.js";
import { truncateAll } from "./helpers/database.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
});

const count = async (table: "users" | "accounts" | "sessions") =>
  Number(
    (
      await t.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe.each(["google", "github"] as const)("sign-in with %s", (provider) => {
  const other = provider === "google" ? "github" : "google";
  const Other = other === "google" ? "Google" : "GitHub";

  it("a new email signs up: user, owned account and a session; it lands on its API keys, the main key shown once", async () => {
    const ua = new UserAgent(t.app.url);
    const welcome = await ua.signIn(provider, { email: "newbie@example.com", name: "Nia Newbie" });
    expect(welcome.status).toBe(200);
    expect(new URL(welcome.url).pathname + new URL(welcome.url).search).toBe("/settings/api-keys?welcome");
    expect(pageText(welcome.body)).toContain("Acting on: Nia Newbie's account");
    expect(pageText(welcome.body)).toContain("newbie@example.com");
    expect(welcome.body).toMatch(/tgp_v1_[A-Za-z0-9_-]{43}/);
    const home = await ua.get("/");
    expect(pageText(home.body)).toContain("Nia Newbie's account");
    expect(await count("accounts")).toBe(1);
    const user = await t.db.selectFrom("users").selectAll().executeTakeFirstOrThrow();
    expect(user.provider).toBe(provider);
    const session = await t.db.selectFrom("sessions").selectAll().executeTakeFirstOrThrow();
    expect(session.token_hash).toHaveLength(32);
    expect(session.ip).toBe("127.0.0.1");
  });

  it(`the same email through ${other} is refused with the exact message and the provider to use`, async () => {
    await new UserAgent(t.app.url).signIn(provider, { email: "lock@example.com" });
    const page = await new UserAgent(t.app.url).signIn(other, { email: "lock@example.com" });
    expect(new URL(page.url).pathname).toBe("/login");
    expect(pageText(page.body)).toContain("This email is already linked to another sign-in method.");
    expect(pageText(page.body)).toContain(`Sign in with ${provider === "google" ? "Google" : "GitHub"} instead.`);
    expect(pageText(page.body)).not.toContain(`Sign in with ${Other} instead.`);
    expect(await count("accounts")).toBe(1);
    expect(await count("sessions")).toBe(1);
  });

  it("an unverified provider email is refused and creates nothing", async () => {
    const page = await new UserAgent(t.app.url).signIn(provider, { email: "unverified@example.com", verified: false });
    expect(pageText(page.body)).toContain("has no verified email address");
    expect(await count("users")).toBe(0);
    expect(await count("sessions")).toBe(0);
  });

  it("a legacy LinkedIn account signs in and is re-bound to this provider", async () => {
    const user = await t.db
      .insertInto("users")
      .values({ email: "legacy@example.com", name: "Lee", provider: "linkedin" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const acct = await t.db.insertInto("accounts").values({ name: "Legacy account" }).returning("id").executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: acct.id, user_id: user.id, role: "owner" }).execute();
    const home = await new UserAgent(t.app.url).signIn(provider, { email: "legacy@example.com" });
    expect(pageText(home.body)).toContain("Legacy account");
    expect(pageText(home.body)).toContain(`Your account now signs in with ${provider === "google" ? "Google" : "GitHub"}`);
    const after = await t.db.selectFrom("users").select("provider").where("id", "=", user.id).executeTakeFirstOrThrow();
    expect(after.provider).toBe(provider);
    const refused = await new UserAgent(t.app.url).signIn(other, { email: "legacy@example.com" });
    expect(pageText(refused.body)).toContain("This email is already linked to another sign-in method.");
  });

  it("a deleted account's email (tombstone) cannot sign up again", async () => {
    await writeEmailTombstone(t.db, TEST_TOMBSTONE_SECRET, "gone@example.com");
    const page = await new UserAgent(t.app.url).signIn(provider, { email: "Gone@Example.com" });
    expect(pageText(page.body)).toContain("cannot be used to create a new account");
    expect(await count("users")).toBe(0);
  });

  it("a blocked account cannot sign in; a transferred one is told to use the new account", async () => {
    const mk = async (email: string, transferredTo: string | null) => {
      const user = await t.db.insertInto("users").values({ email, name: "B", provider }).returning("id").executeTakeFirstOrThrow();
      const acct = await t.db
        .insertInto("accounts")
        .values({ name: "Blocked", status: "blocked", transferred_to_account_id: transferredTo })
        .returning("id")
        .executeTakeFirstOrThrow();
      await t.db.insertInto("memberships").values({ account_id: acct.id, user_id: user.id, role: "owner" }).execute();
    };
    const target = await t.db.insertInto("accounts").values({ name: "Target" }).returning("id").executeTakeFirstOrThrow();
    await mk("blocked@example.com", null);
    await mk("moved@example.com", target.id);
    expect(pageText((await new UserAgent(t.app.url).signIn(provider, { email: "blocked@example.com" })).body)).toContain("This account is blocked.");
    const moved = pageText((await new UserAgent(t.app.url).signIn(provider, { email: "moved@example.com" })).body);
    expect(moved).toContain("transferred to a new account");
    expect(moved).toContain("Sign in with the email address of your new account.");
    expect(await count("sessions")).toBe(0);
  });

  it("every sign-in gets a new session id; the previous one in that browser ends", async () => {
    const ua = new UserAgent(t.app.url);
    await ua.signIn(provider, { email: "twice@example.com" });
    await ua.signIn(provider, { email: "twice@example.com" });
    const sessions = await t.db.selectFrom("sessions").select(["id", "revoked_at", "revoked_reason"]).orderBy("created_at").execute();
    expect(sessions).toHaveLength(2);
    expect(sessions[0].revoked_reason).toBe("replaced");
    expect(sessions[1].revoked_at).toBeNull();
  });
});

describe("bad input on the sign-in path", () => {
  it("a forged state is refused (login page with an error) and signs nobody in", async () => {
    const ua = new UserAgent(t.app.url);
    const start = await ua.submit("/login", "/auth/github");
    const authorize = new URL(start.location!);
    const forged = await ua.get(`/auth/github/callback?code=whatever&state=${"f".repeat(40)}`);
    expect(new URL(forged.url).pathname).toBe("/login");
    expect(pageText(forged.body)).toContain("Sign-in did not complete");
    expect(authorize.searchParams.get("state")).not.toBe("f".repeat(40));
    expect(await count("sessions")).toBe(0);
  });

  it.each([
    ["no parameters", "/auth/google/callback"],
    ["error from provider", "/auth/google/callback?error=access_denied&state=x"],
    ["code without state", "/auth/github/callback?code=abc"],
    ["garbage", "/auth/github/callback?state=%01%ff&code=%%%"],
  ])("malformed callback (%s) lands on sign-in with a message", async (_name, path) => {
    const ua = new UserAgent(t.app.url);
    await ua.submit("/login", "/auth/google"); // a real state cookie exists, but does not match
    const page = await ua.get(path);
    expect(page.status).toBe(200);
    expect(new URL(page.url).pathname).toBe("/login");
    expect(pageText(page.body)).toMatch(/Sign-in did not complete/);
    expect(await count("sessions")).toBe(0);
  });

  it("a callback with a NUL in its address is refused plainly (400) and changes nothing", async () => {
    const res = await fetch(`${t.app.url}/auth/github/callback?state=%00%ff&code=x`, { redirect: "manual" });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("NUL");
    expect(await count("sessions")).toBe(0);
  });

  it("an unknown provider is a 404 with a message", async () => {
    const ua = new UserAgent(t.app.url);
    const res = await ua.submit("/login", "/auth/linkedin");
    expect(res.status).toBe(404);
    expect(pageText(res.body)).toContain("Unknown sign-in provider");
    expect((await ua.request("/auth/facebook/callback?code=a&state=b")).status).toBe(404);
  });

  it("a sign-in form without its CSRF token is refused with 403 and goes nowhere", async () => {
    const ua = new UserAgent(t.app.url);
    await ua.get("/login");
    const res = await ua.request("/auth/google", { form: {} });
    expect(res.status).toBe(403);
    expect(res.location).toBeNull();
    const forged = await ua.request("/auth/google", { form: { csrf: "forged.token" } });
    expect(forged.status).toBe(403);
  });

  it("next is followed for same-site paths only (no open redirect)", async () => {
    // A sign-up always lands on its new API key; `next` matters from the second sign-in on.
    const signUp = await new UserAgent(t.app.url).signIn("google", { email: "nav@example.com" }, "/settings/sessions");
    expect(new URL(signUp.url).pathname).toBe("/settings/api-keys");
    const ua = new UserAgent(t.app.url);
    const landed = await ua.signIn("google", { email: "nav@example.com" }, "//evil.example/steal");
    expect(new URL(landed.url).origin).toBe(t.app.url);
    expect(new URL(landed.url).pathname).toBe("/");
    const ua2 = new UserAgent(t.app.url);
    const settings = await ua2.signIn("google", { email: "nav@example.com" }, "/settings/sessions");
    expect(new URL(settings.url).pathname).toBe("/settings/sessions");
  });

  it("GET on a state-changing URL changes nothing", async () => {
    const ua = new UserAgent(t.app.url);
    await ua.signIn("github", { email: "getter@example.com" });
    expect((await ua.request("/logout")).status).toBe(302);
    expect((await ua.get("/")).body).toContain("getter@example.com"); // still signed in
  });
});

describe("sessions", () => {
  it("sign out ends the session server-side; the old cookie is dead", async () => {
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "out@example.com" });
    const out = await ua.follow(await ua.submit("/", "/logout"));
    expect(pageText(out.body)).toContain("You are signed out.");
    const session = await t.db.selectFrom("sessions").select(["revoked_at", "revoked_reason"]).executeTakeFirstOrThrow();
    expect(session.revoked_reason).toBe("signed_out");
  });

  it("the settings page lists the user's own sessions and signs out everywhere", async () => {
    const laptop = new UserAgent(t.app.url);
    const phone = new UserAgent(t.app.url);
    await laptop.signIn("google", { email: "many@example.com" });
    await phone.signIn("google", { email: "many@example.com" });
    const stranger = new UserAgent(t.app.url);
    await stranger.signIn("google", { email: "stranger@example.com" });
    const page = await laptop.get("/settings/sessions");
    expect(page.body.match(/name="sessionId"/g)).toHaveLength(2);
    expect(pageText(page.body)).toContain("(this browser)");
    const after = await laptop.follow(await laptop.submit("/settings/sessions", "/settings/sessions", { intent: "end_all" }));
    expect(new URL(after.url).pathname).toBe("/login");
    expect(new URL((await phone.get("/settings/sessions")).url).pathname).toBe("/login");
    expect(new URL((await stranger.get("/settings/sessions")).url).pathname).toBe("/settings/sessions");
  });

  it("a session cannot end someone else's session", async () => {
    const a = new UserAgent(t.app.url);
    const b = new UserAgent(t.app.url);
    await a.signIn("google", { email: "a@example.com" });
    await b.signIn("google", { email: "b@example.com" });
    const bSession = await t.db
      .selectFrom("sessions")
      .innerJoin("users", "users.id", "sessions.user_id")
      .select("sessions.id")
      .where("users.email", "=", "b@example.com")
      .executeTakeFirstOrThrow();
    const res = await a.submit("/settings/sessions", "/settings/sessions", { intent: "end", sessionId: bSession.id });
    expect(res.status).toBe(404);
    expect(new URL((await b.get("/settings/sessions")).url).pathname).toBe("/settings/sessions");
  });

  it("cookies are httpOnly and SameSite=Lax", async () => {
    const res = await fetch(`${t.app.url}/login`);
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) {
      expect(c).toMatch(/HttpOnly/i);
      expect(c).toMatch(/SameSite=Lax/i);
    }
  });
});

describe("console access", () => {
  it("signed-out visitors are sent to sign in; non-staff get 404 (audited); staff get in", async () => {
    const anon = new UserAgent(t.app.url);
    const redirect = await anon.request("/console/accounts");
    expect(redirect.status).toBe(302);
    expect(redirect.location).toContain("/login?next=%2Fconsole%2Faccounts");

    const user = new UserAgent(t.app.url);
    await user.signIn("google", { email: "customer@example.com" });
    for (const path of ["/console", "/console/accounts", "/console/staff", `/console/accounts/${crypto.randomUUID()}`]) {
      expect((await user.request(path)).status).toBe(404);
    }
    const refused = await t.db.selectFrom("audit_log").select("action").where("action", "=", "console.access_refused").execute();
    expect(refused.length).toBe(4);

    await t.db.insertInto("staff").values({ email: "helper@switchboard.test", role: "support" }).execute();
    const staff = new UserAgent(t.app.url);
    const landed = await staff.signIn("github", { email: "helper@switchboard.test" });
    expect(new URL(landed.url).pathname).toBe("/console");
    expect(landed.status).toBe(200);
    expect(await count("accounts")).toBe(1); // staff sign-in created no customer account
    expect((await staff.request("/console/staff")).status).toBe(403); // admins only
  });
});
