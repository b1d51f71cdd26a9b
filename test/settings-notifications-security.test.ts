/**
 * Settings → Notifications, the Security mail section, over HTTP without
 * JavaScript: every kind in words with a box, the critical ones ticked and
 * disabled ("can't be turned off"); saving is CSRF-protected, audited with
 * before and after, refuses an unknown kind with a 400 and no change, ignores
 * a post that leaves a critical kind out, and leaves the mailing lists alone
 * (and they it). Someone who is no owner or admin anywhere may set it too.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { SECURITY_MAIL_WORDS } from "../app/mail/templates/security.js";
import { SECURITY_MAIL_KINDS, type SecurityMailKind } from "../app/models/security-mail.server.js";
import { createNamedKey, regenerateAccountMainKey } from "../app/services/keys.server.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(() => truncateAll(t.db));

const PAGE = "/settings/notifications";
const NON_CRITICAL = SECURITY_MAIL_KINDS.filter((k) => k !== "key_leaked" && k !== "key_regenerated");

async function signedIn(email: string) {
  const ua = new UserAgent(t.app.url);
  await ua.signIn("google", { email });
  const user = await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return { ua, userId: user.id };
}

/** Posts the Security mail form with these boxes ticked (repeated `security` fields), as a browser without JavaScript does. */
async function saveSecurity(ua: UserAgent, ticked: string[], csrf?: string | null) {
  const token = csrf === undefined ? UserAgent.csrfFrom((await ua.get(PAGE)).body) : csrf;
  const body = new URLSearchParams();
  if (token !== null) body.append("csrf", token);
  body.append("intent", "security_mail");
  for (const k of ticked) body.append("security", k);
  const url = new URL(PAGE, ua.appUrl);
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: ua.cookieHeader(url) },
    body,
    redirect: "manual",
  });
  return { status: res.status, body: await res.text() };
}

const optOuts = async (userId: string) =>
  (await t.db.selectFrom("notification_opt_outs").select("kind").where("user_id", "=", userId).orderBy("kind").execute()).map((r) => r.kind);
const changes = () =>
  t.db
    .selectFrom("audit_log")
    .select(["actor_type", "actor_id", "target_type", "target_id", "details"])
    .where("action", "=", "notifications.security_mail_changed")
    .orderBy("id")
    .execute();
const box = (html: string, kind: SecurityMailKind) => new RegExp(`<input id="security-${kind}"[^>]*>`).exec(html)?.[0] ?? "";

describe("Settings → Notifications: security mail", () => {
  it("lists every kind in words; the critical ones ticked and disabled, saying they can't be turned off; everything on by default", async () => {
    const { ua } = await signedIn("olga@example.com");
    const page = await ua.get(PAGE);
    expect(page.status).toBe(200);
    const text = pageText(page.body);
    expect(text).toContain("Security mail");
    expect(text).toContain("As an owner or admin of an account, you get a short mail");
    for (const kind of SECURITY_MAIL_KINDS) {
      expect(text).toContain(SECURITY_MAIL_WORDS[kind].label);
      expect(box(page.body, kind)).toContain('checked=""');
      expect(box(page.body, kind)).toContain(`value="${kind}"`);
    }
    for (const kind of ["key_leaked", "key_regenerated"] as const) expect(box(page.body, kind)).toContain('disabled=""');
    for (const kind of NON_CRITICAL) expect(box(page.body, kind)).not.toContain("disabled");
    expect(text.match(/Always sent: this one can't be turned off\./g)).toHaveLength(2);
    expect(text).toContain("Mail about a key found public or a regenerated main key can't be turned off");
  });

  it("saves the ticked set, audits before and after (not when nothing changed), and the page shows it; the next mail follows it", async () => {
    const { ua, userId } = await signedIn("olga@example.com");
    const keep = NON_CRITICAL.filter((k) => k !== "key_created" && k !== "member_added");
    const saved = await saveSecurity(ua, keep);
    expect(saved.status).toBe(200);
    expect(pageText(saved.body)).toContain("Saved. Your security mail choices apply from the next change.");
    expect(await optOuts(userId)).toEqual(["key_created", "member_added"]);
    expect(await changes()).toEqual([
      {
        actor_type: "user",
        actor_id: userId,
        target_type: "user",
        target_id: userId,
        details: { before: { off: [] }, after: { off: ["key_created", "member_added"] } },
      },
    ]);

    const page = await ua.get(PAGE);
    expect(box(page.body, "key_created")).not.toContain("checked");
    expect(box(page.body, "member_added")).not.toContain("checked");
    expect(box(page.body, "key_deleted")).toContain('checked=""');

    expect((await saveSecurity(ua, keep)).status).toBe(200);
    expect(await changes()).toHaveLength(1);

    // The owner's own account: a new key is not mailed to them any more; a regenerated main key still is.
    const account = await t.db.selectFrom("memberships").select("account_id").where("user_id", "=", userId).executeTakeFirstOrThrow();
    const actor = { type: "user" as const, id: userId };
    expect((await createNamedKey(t.app.services, account.account_id, "Laptop", userId, actor)).ok).toBe(true);
    await regenerateAccountMainKey(t.app.services, account.account_id, userId, actor);
    const kinds = await t.db
      .selectFrom("mail_outbox")
      .select("kind")
      .where("to_address", "=", "olga@example.com")
      .where("kind", "like", "security_%")
      .execute();
    expect(kinds.map((k) => k.kind)).toEqual(["security_key_regenerated"]);

    // Ticking them again turns them back on.
    expect((await saveSecurity(ua, NON_CRITICAL)).status).toBe(200);
    expect(await optOuts(userId)).toEqual([]);
    expect((await changes()).at(-1)!.details).toEqual({ before: { off: ["key_created", "member_added"] }, after: { off: [] } });
  });

  it("a post that leaves the critical kinds out (every box unticked) turns off only the others: the critical ones stay on", async () => {
    const { ua, userId } = await signedIn("olga@example.com");
    expect((await saveSecurity(ua, [])).status).toBe(200);
    expect(await optOuts(userId)).toEqual([...NON_CRITICAL].sort());
    const page = await ua.get(PAGE);
    expect(box(page.body, "key_leaked")).toContain('checked=""');
    expect(box(page.body, "key_regenerated")).toContain('checked=""');
    // Ticking a critical one (a forged post) is accepted as what it is: it was on and stays on.
    expect((await saveSecurity(ua, ["key_leaked"])).status).toBe(200);
    expect(await optOuts(userId)).toEqual([...NON_CRITICAL].sort());
  });

  it("an unknown kind, hostile text or a missing CSRF token changes nothing", async () => {
    const { ua, userId } = await signedIn("olga@example.com");
    await saveSecurity(
      ua,
      NON_CRITICAL.filter((k) => k !== "key_deleted"),
    );
    const [before, audits] = [await optOuts(userId), (await changes()).length];

    const unknown = await saveSecurity(ua, ["key_created", "no_such_kind"]);
    expect(unknown.status).toBe(400);
    expect(pageText(unknown.body)).toContain("One of the kinds of security mail you chose does not exist. Nothing was changed");
    expect((await saveSecurity(ua, ["key_created\u0000"])).status).toBe(400);
    expect((await saveSecurity(ua, ["x".repeat(65)])).status).toBe(400);
    expect((await saveSecurity(ua, [], null)).status).toBe(403);

    expect(await optOuts(userId)).toEqual(before);
    expect(await changes()).toHaveLength(audits);
  });

  it("the two forms leave each other alone: saving lists keeps security choices, and saving security keeps subscriptions", async () => {
    const { ua, userId } = await signedIn("olga@example.com");
    await saveSecurity(
      ua,
      NON_CRITICAL.filter((k) => k !== "key_rolled"),
    );
    const lists = await ua.submit(PAGE, PAGE, { intent: "lists", list: "newsletter" });
    expect(lists.status).toBe(200);
    expect(pageText(lists.body)).toContain("Saved. Your choices apply to the next mail we send.");
    expect(await optOuts(userId)).toEqual(["key_rolled"]);

    expect((await saveSecurity(ua, NON_CRITICAL)).status).toBe(200);
    const subs = await t.db.selectFrom("mailing_subscriptions").select(["list_id", "subscribed"]).where("user_id", "=", userId).execute();
    expect(subs).toEqual([{ list_id: "newsletter", subscribed: true }]);
  });

  it("someone who is no owner or admin anywhere is told none reaches them, and may still set it", async () => {
    const owner = await signedIn("olga@example.com");
    const account = await t.db.selectFrom("memberships").select("account_id").where("user_id", "=", owner.userId).executeTakeFirstOrThrow();
    const { id } = await t.db
      .insertInto("users")
      .values({ email: "max@example.com", name: "Max", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: account.account_id, user_id: id, role: "member" }).execute();
    const { ua } = await signedIn("max@example.com");
    const page = await ua.get(PAGE);
    expect(pageText(page.body)).toContain("You are not an owner or admin of any account now, so none reaches you");
    expect(
      (
        await saveSecurity(
          ua,
          NON_CRITICAL.filter((k) => k !== "member_removed"),
        )
      ).status,
    ).toBe(200);
    expect(await optOuts(id)).toEqual(["member_removed"]);
  });
});
