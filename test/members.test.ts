/**
 * Settings → Members, invitations and the account switcher over HTTP, through
 * the app's real routes and the local OAuth stand-in: inviting (mail in the
 * outbox, audited), accepting as a new person at sign-in and as an existing
 * user with the Join button, every way an invitation can fail (expired,
 * revoked, another address, another provider, a resent link), the hand-over
 * of ownership, removal ending the removed person's session at once, members
 * refused on every manage action, and what each plan allows.
 */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdditionalKey } from "../app/models/api-keys.server.js";
import { setPasswordLogins } from "../app/models/password-logins.server.js";
import { loadMembersPage } from "../app/presenters/members-page.server.js";
import type { Plan } from "../db/schema.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText, type Hop } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
});

const PAGE = "/settings/members";
const ACCOUNT_NAME = "Acme Research";
const path = (url: string) => new URL(url).pathname + new URL(url).search;
const text = (hop: Hop) => pageText(hop.body);

/** The owner of an account on `plan`, signed in with Google. */
async function owner(plan: Plan = "gpu_cluster", email = "olga@example.com") {
  const made = await accountWithKey(t.db, { plan, email });
  await t.db.updateTable("accounts").set({ name: ACCOUNT_NAME }).where("id", "=", made.accountId).execute();
  await t.db.updateTable("users").set({ name: "Olga Owner" }).where("id", "=", made.userId).execute();
  const ua = new UserAgent(t.app.url);
  const landed = await ua.signIn("google", { email });
  expect(landed.status).toBe(200);
  return { ua, accountId: made.accountId, userId: made.userId };
}

/** An existing user with an account of their own (Google), not signed in yet. */
async function existingUser(email: string, accountName: string) {
  const made = await accountWithKey(t.db, { email });
  await t.db.updateTable("accounts").set({ name: accountName }).where("id", "=", made.accountId).execute();
  return made;
}

const invite = (ua: UserAgent, email: string, role = "member") => ua.submit(PAGE, PAGE, { intent: "invite", email, role });

/** The path of the newest invitation link mailed to `email`. */
async function linkFor(email: string): Promise<string> {
  const mail = await t.db
    .selectFrom("mail_outbox")
    .select(["text_body", "created_at"])
    .where("kind", "=", "invitation")
    .where("to_address", "=", email)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .executeTakeFirstOrThrow();
  const m = new RegExp(`${t.app.url.replace(/[.]/g, "\\.")}(/invitations/[A-Za-z0-9_-]{43})`).exec(mail.text_body);
  if (!m) throw new Error(`no invitation link in: ${mail.text_body}`);
  return m[1];
}

/** Invited by the owner and joined as a new person through the stand-in; their agent acts on the account. */
async function join(ownerUa: UserAgent, email: string, role: "admin" | "member" = "member") {
  expect((await invite(ownerUa, email, role)).status).toBe(200);
  const ua = new UserAgent(t.app.url);
  const landed = await ua.signIn("github", { email, name: email.split("@")[0] }, await linkFor(email));
  const user = await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return { ua, landed, userId: user.id };
}

const membershipsOf = (userId: string) =>
  t.db.selectFrom("memberships").select(["account_id", "role"]).where("user_id", "=", userId).orderBy("account_id").execute();
const roleOn = async (accountId: string, userId: string) =>
  (await t.db.selectFrom("memberships").select("role").where("account_id", "=", accountId).where("user_id", "=", userId).executeTakeFirst())?.role ?? null;
const audits = (action: string) => t.db.selectFrom("audit_log").selectAll().where("action", "=", action).execute();
const count = async (table: "invitations" | "memberships" | "mail_outbox" | "accounts" | "users" | "password_logins") =>
  Number(
    (
      await t.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const invitationRow = () => t.db.selectFrom("invitations").selectAll().executeTakeFirstOrThrow();
/** Everything a refused action must leave alone. */
const snapshot = async () => ({
  memberships: await t.db.selectFrom("memberships").select(["account_id", "user_id", "role"]).orderBy("user_id").execute(),
  invitations: await t.db.selectFrom("invitations").select(["id", "token_hash", "accepted_at", "revoked_at", "sent_count"]).orderBy("id").execute(),
  mails: await count("mail_outbox"),
  sessions: await t.db.selectFrom("sessions").select(["id", "account_id", "revoked_at"]).orderBy("id").execute(),
  logins: await t.db.selectFrom("password_logins").select(["user_id", "username", "password_hash"]).orderBy("user_id").execute(),
});

describe("inviting", () => {
  it("mails a signed link that works for 7 days, audits it, and lists the invitation as pending", async () => {
    const o = await owner();
    const sent = await invite(o.ua, "Nora.New@Example.com", "admin");
    expect(sent.status).toBe(200);
    expect(text(sent)).toContain("Invitation sent to nora.new@example.com as admin. The link works for 7 days.");

    const mail = await t.db.selectFrom("mail_outbox").selectAll().where("kind", "=", "invitation").executeTakeFirstOrThrow();
    expect(mail.to_address).toBe("nora.new@example.com");
    expect(mail.subject).toBe("You are invited to an account on Switchboard"); // the inviter's words stay out of the subject
    expect(mail.text_body).toContain(`"${ACCOUNT_NAME}"`);
    expect(mail.status).toBe("kept"); // no SMTP in tests: the outbox is the mailbox
    expect(mail.text_body).toMatch(new RegExp(`${t.app.url}/invitations/[A-Za-z0-9_-]{43}`));
    expect(mail.text_body).toContain("expires in 7 days");

    const row = await invitationRow();
    expect(row).toMatchObject({
      account_id: o.accountId,
      email: "nora.new@example.com",
      role: "admin",
      invited_by: o.userId,
      accepted_at: null,
      revoked_at: null,
    });
    const ttl = row.expires_at.getTime() - Date.now();
    expect(ttl).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600_000);
    expect(row.token_hash).toHaveLength(32); // only a hash of the token is kept
    expect(mail.text_body).not.toContain(row.token_hash.toString("base64url"));

    const [audit] = await audits("invitation.created");
    expect(audit).toMatchObject({ actor_type: "user", actor_id: o.userId, target_type: "account", target_id: o.accountId });
    expect(JSON.stringify(audit!.details)).not.toContain("nora"); // no address in the audit trail

    const page = await o.ua.get(PAGE);
    expect(text(page)).toContain("Pending invitations");
    expect(text(page)).toContain("nora.new@example.com");
    expect(page.body).toContain('aria-label="Resend the invitation to nora.new@example.com"');
    expect(page.body).toContain('aria-label="Revoke the invitation to nora.new@example.com"');
  });

  it("bad input answers 400 with the field's message and creates nothing; a second invitation to the same address is refused", async () => {
    const o = await owner();
    const badEmail = await invite(o.ua, "not-an-address");
    expect(badEmail.status).toBe(400);
    expect(text(badEmail)).toContain("That is not an email address.");
    const badRole = await invite(o.ua, "ok@example.com", "owner");
    expect(badRole.status).toBe(400);
    expect(text(badRole)).toContain("Choose a role: admin or member.");
    const empty = await invite(o.ua, "");
    expect(empty.status).toBe(400);
    expect(text(empty)).toContain("Enter the email address of the person to invite.");
    const unknown = await o.ua.submit(PAGE, PAGE, { intent: "explode" });
    expect(unknown.status).toBe(400);
    const badId = await o.ua.submit(PAGE, PAGE, { intent: "revoke", invitationId: "not-a-uuid" });
    expect(badId.status).toBe(400);
    expect(await count("invitations")).toBe(0);
    expect(await count("mail_outbox")).toBe(0);

    expect((await invite(o.ua, "twice@example.com")).status).toBe(200);
    const again = await invite(o.ua, "twice@example.com");
    expect(again.status).toBe(409);
    expect(text(again)).toContain("already has a pending invitation");
    const self = await invite(o.ua, "olga@example.com");
    expect(self.status).toBe(409);
    expect(text(self)).toContain("is already a member of this account");
    expect(await count("invitations")).toBe(1);
  });

  it("refuses a post without the CSRF token", async () => {
    const o = await owner();
    const res = await o.ua.request(PAGE, { form: { intent: "invite", email: "x@example.com", role: "member" } });
    expect(res.status).toBe(403);
    expect(await count("invitations")).toBe(0);
  });
});

describe("accepting", () => {
  it("a new person signs in from the link: they join the inviting account, get no account of their own, and act on it", async () => {
    const o = await owner();
    await invite(o.ua, "new@example.com");
    const link = await linkFor("new@example.com");

    const ua = new UserAgent(t.app.url);
    const shown = await ua.get(link);
    expect(shown.status).toBe(200);
    expect(text(shown)).toContain(`Join ${ACCOUNT_NAME} on Switchboard`);
    expect(text(shown)).toContain("as a member");
    expect(text(shown)).toContain("n…@example.com"); // masked for a viewer who has not shown to be the address
    expect(shown.body).not.toContain("new@example.com");
    expect(shown.body).toContain(`action="/auth/google?next=${encodeURIComponent(link)}"`);
    expect(shown.body).toContain(`action="/auth/github?next=${encodeURIComponent(link)}"`);

    const landed = await ua.signIn("github", { email: "new@example.com", name: "Nina New" }, link);
    expect(landed.status).toBe(200);
    expect(path(landed.url)).toBe(`${PAGE}?joined`);
    expect(text(landed)).toContain(`Acting on: ${ACCOUNT_NAME}`);
    expect(text(landed)).toContain(`You joined ${ACCOUNT_NAME} as a member.`);

    const user = await t.db.selectFrom("users").selectAll().where("email", "=", "new@example.com").executeTakeFirstOrThrow();
    expect(user.provider).toBe("github");
    expect(await membershipsOf(user.id)).toEqual([{ account_id: o.accountId, role: "member" }]);
    expect(await count("accounts")).toBe(1); // no account of their own
    const session = await t.db.selectFrom("sessions").selectAll().where("user_id", "=", user.id).executeTakeFirstOrThrow();
    expect(session.account_id).toBe(o.accountId);
    const row = await invitationRow();
    expect(row.accepted_user_id).toBe(user.id);
    expect(row.accepted_at).not.toBeNull();
    expect(await audits("invitation.accepted")).toHaveLength(1);

    // The link is spent; opened again by its new member it leads to the account.
    const again = await ua.request(link);
    expect(again.status).toBe(302);
    expect(path(again.location!)).toBe(`${PAGE}?joined`);
    const stranger = await new UserAgent(t.app.url).get(link);
    expect(stranger.status).toBe(410);
    expect(text(stranger)).toContain("This invitation has already been accepted.");

    // The owner sees them as a member, and no longer as pending.
    const ownerPage = await o.ua.get(PAGE);
    expect(text(ownerPage)).toContain("Nina New");
    expect(text(ownerPage)).toContain("new@example.com");
    expect(text(ownerPage)).toContain("No pending invitations.");
  });

  it("an existing user joins with the button; the switcher then lists both accounts, switches, and refuses an account they do not belong to", async () => {
    const o = await owner();
    const sam = await existingUser("sam@example.com", "Sam's lab");
    await invite(o.ua, "sam@example.com", "admin");
    const link = await linkFor("sam@example.com");

    const ua = new UserAgent(t.app.url);
    const shown = await ua.signIn("google", { email: "sam@example.com" }, link);
    expect(shown.status).toBe(200);
    expect(path(shown.url)).toBe(link); // an existing user signs in normally, back on the invitation
    expect(text(shown)).toContain(`Join ${ACCOUNT_NAME} as admin`);
    expect(text(shown)).toContain("sam@example.com"); // their own address, unmasked
    expect(await membershipsOf(sam.userId)).toEqual([{ account_id: sam.accountId, role: "owner" }]);

    const accepted = await ua.submit(link, link, { intent: "accept" });
    expect(accepted.status).toBe(302);
    const landed = await ua.follow(accepted);
    expect(path(landed.url)).toBe(`${PAGE}?joined`);
    expect(text(landed)).toContain(`Acting on: ${ACCOUNT_NAME}`);
    expect(text(landed)).toContain(`You joined ${ACCOUNT_NAME} as an admin.`);
    expect((await membershipsOf(sam.userId)).map((m) => [m.account_id, m.role]).sort()).toEqual(
      [
        [o.accountId, "admin"],
        [sam.accountId, "owner"],
      ].sort(),
    );
    expect(await count("accounts")).toBe(2);
    expect(await audits("session.account_switched")).toHaveLength(1);

    // The switcher lists both.
    const profile = await ua.get("/settings/profile");
    expect(profile.body).toContain('name="accountId"');
    expect(profile.body).toContain(`value="${sam.accountId}"`);
    expect(profile.body).toContain(`value="${o.accountId}"`);
    expect(text(profile)).toContain("Sam's lab (Build, owner)");
    expect(text(profile)).toContain(`${ACCOUNT_NAME} (GPU Cluster, admin)`);

    const switched = await ua.submit("/settings/profile", "/settings/switch-account", { accountId: sam.accountId, next: "/settings/api-keys" });
    expect(switched.status).toBe(302);
    expect(path(switched.location!)).toBe("/settings/api-keys");
    expect(text(await ua.get("/settings/api-keys"))).toContain("Acting on: Sam's lab");

    // Opened again while acting elsewhere: offered a switch back.
    const elsewhere = await ua.get(link);
    expect(elsewhere.status).toBe(200);
    expect(text(elsewhere)).toContain(`You are a member of ${ACCOUNT_NAME}`);
    const back = await ua.submit(link, link, { intent: "switch" });
    expect(path(back.location!)).toBe(`${PAGE}?joined`);
    expect(text(await ua.get(PAGE))).toContain(`Acting on: ${ACCOUNT_NAME}`);

    // Not a member of a third account: refused, nothing changes.
    const other = await existingUser("zed@example.com", "Zed's");
    const session = async () =>
      (await t.db.selectFrom("sessions").select("account_id").where("user_id", "=", sam.userId).where("revoked_at", "is", null).executeTakeFirstOrThrow())
        .account_id;
    const refused = await ua.submit("/settings/profile", "/settings/switch-account", { accountId: other.accountId });
    expect(refused.status).toBe(403);
    expect(await session()).toBe(o.accountId);
    expect((await ua.submit("/settings/profile", "/settings/switch-account", { accountId: "nope" })).status).toBe(400);
    expect((await ua.request("/settings/switch-account", { form: { accountId: sam.accountId } })).status).toBe(403); // no CSRF token
    expect(await session()).toBe(o.accountId);
    expect((await ua.request("/settings/switch-account")).status).toBe(405);

    // Only same-site paths to go back to.
    const offsite = await ua.submit("/settings/profile", "/settings/switch-account", { accountId: sam.accountId, next: "//evil.example/x" });
    expect(offsite.location).toBe(`${t.app.url}/settings/profile`);
  });

  it("a single-account user sees no switcher", async () => {
    const o = await owner();
    const page = await o.ua.get("/settings/profile");
    expect(page.body).not.toContain('name="accountId"');
    expect(text(page)).toContain(`Acting on: ${ACCOUNT_NAME}`);
  });

  it("an expired invitation answers 410 with what to do, and accepting it changes nothing", async () => {
    const o = await owner();
    const sam = await existingUser("sam@example.com", "Sam's lab");
    await invite(o.ua, "sam@example.com");
    const link = await linkFor("sam@example.com");
    await t.db
      .updateTable("invitations")
      .set({ expires_at: sql`now() - interval '1 minute'` })
      .execute();

    const signedOut = await new UserAgent(t.app.url).get(link);
    expect(signedOut.status).toBe(410);
    expect(text(signedOut)).toContain("This invitation has expired (invitations last 7 days).");
    expect(signedOut.body).not.toContain("/auth/google");

    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "sam@example.com" });
    expect((await ua.get(link)).status).toBe(410);
    const before = await snapshot();
    const tried = await ua.submit(PAGE, link, { intent: "accept" });
    expect(tried.status).toBe(410);
    expect(text(tried)).toContain("This invitation has expired");
    expect(await snapshot()).toEqual(before);
    expect(await membershipsOf(sam.userId)).toHaveLength(1);

    // A new person signing in from an expired link is told why, and nothing is created for them;
    // signing in again without the invitation gives them the usual account of their own.
    await invite(o.ua, "late@example.com");
    const lateLink = await linkFor("late@example.com");
    await t.db
      .updateTable("invitations")
      .set({ expires_at: sql`now() - interval '1 minute'` })
      .where("email", "=", "late@example.com")
      .execute();
    const lateUa = new UserAgent(t.app.url);
    const late = await lateUa.signIn("google", { email: "late@example.com" }, lateLink);
    expect(path(late.url)).toBe("/login?error=invitation_unusable&provider=google");
    expect(text(late)).toContain("You signed in from an invitation that cannot be used with that address");
    expect(await t.db.selectFrom("users").select("id").where("email", "=", "late@example.com").execute()).toEqual([]);
    const own = await lateUa.signIn("google", { email: "late@example.com" });
    expect(path(own.url)).toBe("/settings/api-keys?welcome");
    const lateUser = await t.db.selectFrom("users").select("id").where("email", "=", "late@example.com").executeTakeFirstOrThrow();
    expect(await roleOn(o.accountId, lateUser.id)).toBeNull();
  });

  it("a revoked invitation stops working at once; the owner's list no longer shows it", async () => {
    const o = await owner();
    const sam = await existingUser("sam@example.com", "Sam's lab");
    await invite(o.ua, "sam@example.com");
    const link = await linkFor("sam@example.com");
    const { id } = await invitationRow();
    const revoked = await o.ua.submit(PAGE, PAGE, { intent: "revoke", invitationId: id });
    expect(revoked.status).toBe(200);
    expect(text(revoked)).toContain("Invitation revoked. Its link no longer works.");
    expect(await audits("invitation.revoked")).toHaveLength(1);
    expect(text(await o.ua.get(PAGE))).toContain("No pending invitations.");
    const twice = await o.ua.submit(PAGE, PAGE, { intent: "revoke", invitationId: id });
    expect(twice.status).toBe(404);

    const page = await new UserAgent(t.app.url).get(link);
    expect(page.status).toBe(410);
    expect(text(page)).toContain("This invitation was withdrawn.");

    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "sam@example.com" });
    const before = await snapshot();
    const tried = await ua.submit(PAGE, link, { intent: "accept" });
    expect(tried.status).toBe(410);
    expect(await snapshot()).toEqual(before);
    expect(await membershipsOf(sam.userId)).toHaveLength(1);
  });

  it("signed in as another address: told so (the invited address masked), nothing changes, and a sign-out leads back to the invitation", async () => {
    const o = await owner();
    await existingUser("bob@example.com", "Bob's");
    await invite(o.ua, "alice@example.com");
    const link = await linkFor("alice@example.com");

    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "bob@example.com" });
    const page = await ua.get(link);
    expect(page.status).toBe(403);
    expect(text(page)).toContain("This invitation was sent to a…@example.com. Sign out, then sign in with that address to accept it.");
    expect(page.body).not.toContain("alice@example.com");

    const before = await snapshot();
    const tried = await ua.submit(PAGE, link, { intent: "accept" });
    expect(tried.status).toBe(403);
    expect(await snapshot()).toEqual(before);
    expect((await invitationRow()).accepted_at).toBeNull();

    const out = await ua.submit(link, link, { intent: "sign_out" });
    expect(out.status).toBe(302);
    expect(path(out.location!)).toBe(link);
    const signedOut = await ua.follow(out);
    expect(signedOut.status).toBe(200);
    expect(text(signedOut)).toContain("Sign in with Google");
  });

  it("an invitee bound to GitHub who signs in with Google is refused by the provider lock; nothing joins", async () => {
    const o = await owner();
    const gh = await existingUser("gh@example.com", "GH's");
    await t.db.updateTable("users").set({ provider: "github" }).where("id", "=", gh.userId).execute();
    await invite(o.ua, "gh@example.com");
    const link = await linkFor("gh@example.com");

    const refused = await new UserAgent(t.app.url).signIn("google", { email: "gh@example.com" }, link);
    expect(new URL(refused.url).pathname).toBe("/login");
    expect(text(refused)).toContain("This email is already linked to another sign-in method.");
    expect(text(refused)).toContain("Sign in with GitHub instead.");
    expect(await membershipsOf(gh.userId)).toHaveLength(1);
    expect((await invitationRow()).accepted_at).toBeNull();

    // With the provider they are bound to, the invitation works.
    const ua = new UserAgent(t.app.url);
    await ua.signIn("github", { email: "gh@example.com" }, link);
    expect((await ua.submit(link, link, { intent: "accept" })).status).toBe(302);
    expect(await roleOn(o.accountId, gh.userId)).toBe("member");
  });

  it("resending mails a new link and the old one stops working", async () => {
    const o = await owner();
    await invite(o.ua, "re@example.com");
    const first = await linkFor("re@example.com");
    const { id } = await invitationRow();
    const resent = await o.ua.submit(PAGE, PAGE, { intent: "resend", invitationId: id });
    expect(resent.status).toBe(200);
    expect(text(resent)).toContain("The previous link no longer works.");
    const second = await linkFor("re@example.com");
    expect(second).not.toBe(first);
    expect(await count("mail_outbox")).toBe(2);
    expect((await invitationRow()).sent_count).toBe(2);
    expect(await audits("invitation.resent")).toHaveLength(1);

    const old = await new UserAgent(t.app.url).get(first);
    expect(old.status).toBe(404);
    expect(text(old)).toContain("This invitation link is not valid.");
    expect((await new UserAgent(t.app.url).get(second)).status).toBe(200);
    // Anything that is not a token is just "not valid".
    expect((await new UserAgent(t.app.url).get("/invitations/short")).status).toBe(404);

    // A new person following the old link is told it cannot be used; nothing is created for them.
    const old2 = await new UserAgent(t.app.url).signIn("google", { email: "re@example.com" }, first);
    expect(path(old2.url)).toBe("/login?error=invitation_unusable&provider=google");
    expect(await t.db.selectFrom("users").select("id").where("email", "=", "re@example.com").execute()).toEqual([]);
  });
});

describe("managing members", () => {
  it("ownership goes from the owner to an admin only; the old owner becomes an admin and can no longer hand over", async () => {
    const o = await owner();
    const admin = await join(o.ua, "ada@example.com", "admin");
    const member = await join(o.ua, "mo@example.com", "member");

    const confirm = await o.ua.get(`${PAGE}?confirm=handover&user=${admin.userId}`);
    expect(text(confirm)).toContain("Hand ownership to ada (ada@example.com)?");
    // A member is not offered, and refused.
    expect(text(await o.ua.get(`${PAGE}?confirm=handover&user=${member.userId}`))).toContain("there is nothing to confirm");
    const toMember = await o.ua.submit(PAGE, PAGE, { intent: "handover", userId: member.userId });
    expect(toMember.status).toBe(409);
    expect(text(toMember)).toContain("Ownership can only go to an admin of this account.");
    expect(await roleOn(o.accountId, o.userId)).toBe("owner");
    expect(await roleOn(o.accountId, member.userId)).toBe("member");

    // An admin cannot take it.
    const grab = await admin.ua.submit(PAGE, PAGE, { intent: "handover", userId: admin.userId });
    expect(grab.status).toBe(403);
    expect(text(grab)).toContain("Only the owner can hand over ownership.");

    const handed = await o.ua.submit(PAGE, PAGE, { intent: "handover", userId: admin.userId });
    expect(handed.status).toBe(200);
    expect(text(handed)).toContain("ada (ada@example.com) is now the owner of this account. You are an admin.");
    expect(await roleOn(o.accountId, admin.userId)).toBe("owner");
    expect(await roleOn(o.accountId, o.userId)).toBe("admin");
    const owners = await t.db.selectFrom("memberships").select("user_id").where("account_id", "=", o.accountId).where("role", "=", "owner").execute();
    expect(owners).toEqual([{ user_id: admin.userId }]);
    expect(await audits("member.ownership_handed_over")).toHaveLength(1);

    const back = await o.ua.submit(PAGE, PAGE, { intent: "handover", userId: admin.userId });
    expect(back.status).toBe(403);
    // The new owner cannot be removed, not even by an admin.
    const removeOwner = await o.ua.submit(PAGE, PAGE, { intent: "remove", userId: admin.userId });
    expect(removeOwner.status).toBe(409);
    expect(text(removeOwner)).toContain("The owner cannot be removed.");
  });

  it("roles change between admin and member; an admin manages members too", async () => {
    const o = await owner();
    const m = await join(o.ua, "mo@example.com", "member");
    const up = await o.ua.submit(PAGE, PAGE, { intent: "set_role", userId: m.userId, role: "admin" });
    expect(up.status).toBe(200);
    expect(await roleOn(o.accountId, m.userId)).toBe("admin");
    expect(await audits("member.role_changed")).toHaveLength(1);
    const ownerRole = await m.ua.submit(PAGE, PAGE, { intent: "set_role", userId: o.userId, role: "member" });
    expect(ownerRole.status).toBe(409);
    expect(await roleOn(o.accountId, o.userId)).toBe("owner");
    expect((await o.ua.submit(PAGE, PAGE, { intent: "set_role", userId: m.userId, role: "owner" })).status).toBe(400);
    // The new admin invites.
    expect((await invite(m.ua, "third@example.com")).status).toBe(200);
    expect(await count("invitations")).toBe(2);
  });

  it("removing a member ends their live session at once: their next request goes to sign-in", async () => {
    const o = await owner();
    const m = await join(o.ua, "mo@example.com", "member");
    expect((await m.ua.request(PAGE)).status).toBe(200);

    const page = await o.ua.get(PAGE);
    expect(page.body).toContain(`href="/settings/members?confirm=remove&amp;user=${m.userId}"`);
    expect(page.body).not.toContain(`confirm=remove&amp;user=${o.userId}`); // the owner row has no remove
    const confirm = await o.ua.get(`${PAGE}?confirm=remove&user=${m.userId}`);
    expect(text(confirm)).toContain("Remove mo (mo@example.com) from this account?");
    expect(text(await o.ua.get(`${PAGE}?confirm=remove&user=${o.userId}`))).toContain("there is nothing to confirm");

    const removed = await o.ua.submit(PAGE, PAGE, { intent: "remove", userId: m.userId });
    expect(removed.status).toBe(200);
    expect(text(removed)).toContain("mo (mo@example.com) was removed from this account. Their sessions on it have ended.");
    expect(await roleOn(o.accountId, m.userId)).toBeNull();

    const next = await m.ua.request(PAGE);
    expect(next.status).toBe(302);
    expect(path(next.location!)).toBe("/login?ended=removed");
    const session = await t.db.selectFrom("sessions").select(["revoked_at", "revoked_reason"]).where("user_id", "=", m.userId).executeTakeFirstOrThrow();
    expect(session.revoked_reason).toBe("removed_from_account");
    const [audit] = await audits("member.removed");
    expect(audit!.details).toMatchObject({ user_id: m.userId, role: "member", sessions_ended: 1 });

    // The owner's own session goes on; they cannot remove themselves.
    const self = await o.ua.submit(PAGE, PAGE, { intent: "remove", userId: o.userId });
    expect(self.status).toBe(409);
    expect((await o.ua.request(PAGE)).status).toBe(200);
  });

  it("a member sees the list but gets 403 on every manage action, and nothing changes", async () => {
    const o = await owner();
    const admin = await join(o.ua, "ada@example.com", "admin");
    const m = await join(o.ua, "mo@example.com", "member");
    await invite(o.ua, "pending@example.com");
    const { id: invitationId } = await t.db.selectFrom("invitations").select("id").where("email", "=", "pending@example.com").executeTakeFirstOrThrow();

    const page = await m.ua.get(PAGE);
    expect(page.status).toBe(200);
    expect(text(page)).toContain("ada@example.com");
    expect(text(page)).toContain("Only its owner and admins invite, change or remove members.");
    expect(text(page)).not.toContain("Invite someone");
    expect(text(page)).not.toContain("pending@example.com");
    expect(page.body).not.toContain("confirm=remove");

    const before = await snapshot();
    const attempts: Record<string, string>[] = [
      { intent: "invite", email: "x@example.com", role: "admin" },
      { intent: "invite", email: "not-an-address", role: "member" }, // who may act is checked before what was typed
      { intent: "resend", invitationId },
      { intent: "revoke", invitationId },
      { intent: "set_role", userId: admin.userId, role: "member" },
      { intent: "set_role", userId: m.userId, role: "admin" },
      { intent: "remove", userId: admin.userId },
      { intent: "handover", userId: admin.userId },
    ];
    for (const fields of attempts) {
      const res = await m.ua.submit(PAGE, PAGE, fields);
      expect(res.status, JSON.stringify(fields)).toBe(403);
      expect(text(res)).toContain("Only the account's owner and admins manage members.");
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("confirmations on the members page", () => {
  it("each removable person and leaving carry the keys that would stop, so the dialogs (JavaScript) say what the steps (links) say", async () => {
    const o = await owner();
    const m = await join(o.ua, "mo@example.com", "member");
    const key = await createAdditionalKey(t.db, o.accountId, "Mo's laptop", m.userId, { type: "user", id: m.userId });
    if (!key.ok) throw new Error("no key");
    const display = `${key.key.prefix}…${key.key.last4}`;

    const byOwner = (await loadMembersPage({ db: t.db }, { userId: o.userId, accountId: o.accountId }, { joined: false, left: false }))!;
    expect(byOwner.members.find((x) => x.id === m.userId)!.keys).toEqual([{ id: key.key.id, kind: "additional", name: "Mo's laptop", display, rolled: false }]);
    expect(byOwner.members.find((x) => x.id === o.userId)!.keys).toEqual([]); // the owner is never removable
    expect(byOwner.leave).toBeNull(); // the owner cannot leave

    const byMember = (await loadMembersPage({ db: t.db }, { userId: m.userId, accountId: o.accountId }, { joined: false, left: false }))!;
    expect(byMember.leave).toMatchObject({ kind: "leave", target: { id: m.userId, keys: [{ display }] }, lastAccount: true });
    expect(byMember.members.every((x) => x.keys.length === 0)).toBe(true); // a member removes nobody
    // The link's step says the same as the dialog would.
    const step = await o.ua.get(`${PAGE}?confirm=remove&user=${m.userId}`);
    expect(text(step)).toContain(`“Mo's laptop” ${display}`);
  });

  it("revoking an invitation asks first, without JavaScript too (the form sits in a disclosure); the page is titled", async () => {
    const o = await owner();
    await invite(o.ua, "ivy@example.com");
    const page = await o.ua.get(PAGE);
    expect(page.body).toContain("<title>Members · Settings · Switchboard</title>");
    expect(page.body).toMatch(
      /<details class="confirm"><summary class="btn" aria-label="Revoke the invitation to ivy@example.com">Revoke<\/summary>[\s\S]*?Revoke the invitation to ivy@example.com\?[\s\S]*?name="intent" value="revoke"[\s\S]*?<\/details>/,
    );
  });
});

describe("what each plan allows on the members page", () => {
  const PLANS: { plan: Plan; invite: boolean; section: string }[] = [
    { plan: "build", invite: false, section: "Share access with additional API keys" },
    { plan: "scale", invite: false, section: "Password logins" },
    { plan: "enterprise", invite: false, section: "Password logins" },
    { plan: "gpu_cluster", invite: true, section: "Invite someone" },
  ];

  it.each(PLANS)("$plan: invite allowed = $invite; the page shows its section ($section)", async ({ plan, invite: allowed, section }) => {
    const o = await owner(plan);
    const page = await o.ua.get(PAGE);
    expect(page.status).toBe(200);
    expect(text(page)).toContain(section);
    expect(text(page)).toContain(`Acting on: ${ACCOUNT_NAME}`);
    if (plan === "build") {
      expect(page.body).toContain('href="/settings/api-keys"');
      expect(text(page)).toContain("User management, inviting other people to this account, is available on the GPU Cluster plan.");
    }
    if (plan !== "gpu_cluster") expect(text(page)).not.toContain("Invite someone");
    if (plan === "scale" || plan === "enterprise")
      expect(text(page)).toContain("Password logins are not turned on for this account yet: Switchboard support turns them on.");

    const res = await invite(o.ua, "guest@example.com");
    if (allowed) {
      expect(res.status).toBe(200);
      expect(await count("invitations")).toBe(1);
      expect(await count("mail_outbox")).toBe(1);
    } else {
      expect(res.status).toBe(403);
      expect(text(res)).toContain("User management is available on the GPU Cluster plan only.");
      expect(await count("invitations")).toBe(0);
      expect(await count("mail_outbox")).toBe(0);
    }
    // Every member action is refused alike off GPU Cluster.
    const actions: Record<string, string>[] = [
      { intent: "set_role", userId: o.userId, role: "admin" },
      { intent: "remove", userId: o.userId },
      { intent: "handover", userId: o.userId },
      { intent: "revoke", invitationId: "00000000-0000-4000-8000-000000000000" },
      { intent: "resend", invitationId: "00000000-0000-4000-8000-000000000000" },
    ];
    for (const fields of actions) {
      const r = await o.ua.submit(PAGE, PAGE, fields);
      // On GPU Cluster they pass the capability check and meet the model's own refusal (the owner's role, no such invitation).
      const modelRefusal = fields.intent === "revoke" || fields.intent === "resend" ? 404 : 409;
      expect(r.status, `${plan} ${fields.intent}`).toBe(allowed ? modelRefusal : 403);
    }
    expect(await roleOn(o.accountId, o.userId)).toBe("owner");
  });

  it.each(PLANS)("$plan: password logins can be created only on Scale and Enterprise, once support turned them on", async ({ plan }) => {
    const o = await owner(plan);
    const create = () => o.ua.submit(PAGE, PAGE, { intent: "create_login", username: "dev.one" });
    const refused = await create();
    expect(refused.status).toBe(403);
    expect(await count("password_logins")).toBe(0);
    if (plan !== "scale" && plan !== "enterprise") {
      expect(text(refused)).toContain("Username/password logins are available on the Scale and Enterprise plans.");
      return;
    }
    expect(text(refused)).toContain("Password logins are not turned on for this account. Ask support to turn them on.");

    const enabled = await t.db.transaction().execute((trx) => setPasswordLogins(trx, o.accountId, true, { type: "system", id: null }));
    if (!enabled.ok) throw new Error(enabled.message);
    const page = await o.ua.get(PAGE);
    expect(text(page)).toContain(`Account identifier: ${enabled.loginId}`);
    expect(page.body).toContain('href="/login/password"');
    expect(text(page)).toContain("No password logins yet.");

    const created = await create();
    expect(created.status).toBe(200);
    expect(text(created)).toContain("Login dev.one created");
    expect(text(created)).toContain("Copy this password now: it will not be shown again.");
    const login = await t.db.selectFrom("password_logins").selectAll().executeTakeFirstOrThrow();
    expect(login.username).toBe("dev.one");
    const reloaded = await o.ua.get(PAGE);
    expect(text(reloaded)).toContain("dev.one");
    expect(text(reloaded)).not.toContain("Copy this password now");

    const bad = await o.ua.submit(PAGE, PAGE, { intent: "create_login", username: "No Spaces!" });
    expect(bad.status).toBe(400);
    expect(text(bad)).toContain("A username is 2 to 40 characters");
  });
});

describe("password logins on the members page", () => {
  it("the one-time password is shown once with no-store; reset and removal work; a member only looks", async () => {
    const o = await owner("scale");
    const enabled = await t.db.transaction().execute((trx) => setPasswordLogins(trx, o.accountId, true, { type: "system", id: null }));
    if (!enabled.ok) throw new Error(enabled.message);

    const html = (await o.ua.get(PAGE)).body;
    const res = await fetch(`${t.app.url}${PAGE}`, {
      method: "POST",
      redirect: "manual",
      headers: { Cookie: o.ua.cookieHeader(PAGE), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: UserAgent.csrfFrom(html), intent: "create_login", username: "pat" }).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = await res.text();
    const password = /id="revealed-password"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*id="revealed-password"/.exec(body);
    expect(password).not.toBeNull();
    const { user_id: patId } = await t.db.selectFrom("password_logins").select("user_id").where("username", "=", "pat").executeTakeFirstOrThrow();
    expect(await roleOn(o.accountId, patId)).toBe("member");

    const reset = await o.ua.submit(PAGE, PAGE, { intent: "reset_login", userId: patId });
    expect(reset.status).toBe(200);
    expect(text(reset)).toContain("New one-time password for pat");
    expect(await audits("password_login.reset")).toHaveLength(1);

    const confirm = await o.ua.get(`${PAGE}?confirm=remove_login&user=${patId}`);
    expect(text(confirm)).toContain("Remove the login pat?");
    const removed = await o.ua.submit(PAGE, PAGE, { intent: "remove_login", userId: patId });
    expect(removed.status).toBe(200);
    expect(text(removed)).toContain("The login pat was removed.");
    expect(await count("password_logins")).toBe(0);
    expect(await roleOn(o.accountId, patId)).toBeNull();
    expect((await o.ua.submit(PAGE, PAGE, { intent: "remove_login", userId: patId })).status).toBe(404);
    // A member of another kind is not a login: not removable this way.
    expect((await o.ua.submit(PAGE, PAGE, { intent: "remove_login", userId: o.userId })).status).toBe(404);
    expect(await roleOn(o.accountId, o.userId)).toBe("owner");

    // A member of the account (here someone with their own account too, switched to this one) only looks.
    expect((await o.ua.submit(PAGE, PAGE, { intent: "create_login", username: "kim" })).status).toBe(200);
    const viewer = await existingUser("vic@example.com", "Vic's");
    await t.db.insertInto("memberships").values({ account_id: o.accountId, user_id: viewer.userId, role: "member" }).execute();
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "vic@example.com" });
    expect((await ua.submit("/settings/profile", "/settings/switch-account", { accountId: o.accountId })).status).toBe(302);
    const seen = await ua.get(PAGE);
    expect(text(seen)).toContain(`Acting on: ${ACCOUNT_NAME}`);
    expect(text(seen)).toContain("kim");
    expect(text(seen)).toContain("Only the account's owner and admins create, reset or remove logins.");
    expect(seen.body).not.toContain("Reset password");
    const before = await snapshot();
    const { user_id: kimId } = await t.db.selectFrom("password_logins").select("user_id").where("username", "=", "kim").executeTakeFirstOrThrow();
    const actions: Record<string, string>[] = [
      { intent: "create_login", username: "sneaky" },
      { intent: "reset_login", userId: kimId },
      { intent: "remove_login", userId: kimId },
    ];
    for (const fields of actions) {
      const r = await ua.submit(PAGE, PAGE, fields);
      expect(r.status, fields.intent).toBe(403);
      expect(text(r)).toContain("Only the account's owner and admins manage password logins.");
    }
    expect(await snapshot()).toEqual(before);
    expect(await count("password_logins")).toBe(1);
  });
});
