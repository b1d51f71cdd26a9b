/**
 * Data exposure (issue 14, findings 3 and 10), over HTTP against the real app:
 * "Download my data" holds only what is about the person who asks; staff read
 * outgoing mail with its link tokens masked; mail bodies are purged after
 * MAIL_BODY_RETENTION_DAYS (headers and status stay), audited.
 *
 * Every agent here comes from its own address (X-Forwarded-For, believed from
 * the loopback proxy), so an IP in an export says whose it is.
 */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../app/config.server.js";
import { createLogger } from "../../app/logger.server.js";
import { MailDispatcher } from "../../app/mail/dispatcher.server.js";
import { MASK } from "../../app/mail/link-tokens.js";
import { enqueueMail } from "../../app/mail/mailer.server.js";
import { MailBodyRetention, purgeMailBodies } from "../../app/mail/retention.server.js";
import { changePlan } from "../../app/models/account-plan.server.js";
import type { SmtpTransport } from "../../app/mail/mailer.server.js";
import { accountWithKey } from "../helpers/accounts.js";
import { truncateAll } from "../helpers/database.js";
import { useSuite } from "../helpers/suite.js";
import { UserAgent, pageText as tagFree } from "../helpers/user-agent.js";

/** A page's visible text, with < and > as a reader sees them. */
const pageText = (html: string) => tagFree(html).replace(/&lt;/g, "<").replace(/&gt;/g, ">");

const t = useSuite({ app: true, appEnv: { TRUST_PROXY: "loopback" } });
beforeEach(() => truncateAll(t.db));

/** A UserAgent whose every request comes from `ip` (as a proxy in front of the app would say). */
class AgentAt extends UserAgent {
  constructor(
    appUrl: string,
    private readonly ip: string,
  ) {
    super(appUrl);
  }
  override request(target: string, init: Parameters<UserAgent["request"]>[1] = {}) {
    return super.request(target, { ...init, headers: { "X-Forwarded-For": this.ip, ...init.headers } });
  }
}

const OWNER_IP = "198.51.100.10";
const MEMBER_IP = "192.0.2.55";
const STAFF_IP = "203.0.113.77";
const STAFF_REASON = "Goodwill upgrade: Olga asked on the phone";
const MEMBERS = "/settings/members";

async function exportOf(ua: UserAgent) {
  const res = await fetch(`${t.app.url}/settings/profile/data`, { headers: { Cookie: ua.cookieHeader("/settings/profile/data") } });
  expect(res.status).toBe(200);
  const body = await res.text();
  return { body, data: JSON.parse(body) as Record<string, any> };
}

/** A GPU Cluster account: the owner (signed in), a plan change by staff with a reason, a member who joined by invitation and was made admin. */
async function sharedAccount() {
  const made = await accountWithKey(t.db, { plan: "scale", email: "olga@example.com" });
  const staff = await t.db.insertInto("staff").values({ email: "support@switchboard.test", role: "support" }).returning("id").executeTakeFirstOrThrow();
  // The console's Change plan (app/routes/console.accounts.$id.tsx) writes exactly this: the staff actor with their address, and the reason.
  const changed = await t.db
    .transaction()
    .execute((trx) => changePlan(trx, { accountId: made.accountId, plan: "gpu_cluster", reason: STAFF_REASON }, { type: "staff", id: staff.id, ip: STAFF_IP }));
  expect(changed).toEqual({ ok: true, changed: true });

  const owner = new AgentAt(t.app.url, OWNER_IP);
  expect((await owner.signIn("google", { email: "olga@example.com", name: "Olga Owner" })).status).toBe(200);
  expect((await owner.submit(MEMBERS, MEMBERS, { intent: "invite", email: "mo@example.com", role: "member" })).status).toBe(200);
  const mail = await t.db.selectFrom("mail_outbox").select("text_body").where("kind", "=", "invitation").executeTakeFirstOrThrow();
  const link = /\/invitations\/[A-Za-z0-9_-]{43}/.exec(mail.text_body)![0];
  const member = new AgentAt(t.app.url, MEMBER_IP);
  expect((await member.signIn("github", { email: "mo@example.com", name: "Mo Member" }, link)).status).toBe(200);
  const memberId = (await t.db.selectFrom("users").select("id").where("email", "=", "mo@example.com").executeTakeFirstOrThrow()).id;
  expect((await owner.submit(MEMBERS, MEMBERS, { intent: "set_role", userId: memberId, role: "admin" })).status).toBe(200);
  return { owner, member, ownerId: made.userId, memberId, accountId: made.accountId };
}

describe("download my data holds only what is about the person", () => {
  it("V8.2.3 a member's export has none of the owner's sign-ins or IP, nor the staff member's IP or reason; their own rows whole", async () => {
    const { member, memberId, accountId } = await sharedAccount();
    const { body, data } = await exportOf(member);

    // Sanity: the things that must stay out are in the database, and the owner's sign-in is an audit row about the account.
    const ownerSignIn = await t.db.selectFrom("audit_log").select("ip").where("action", "=", "auth.sign_in").where("ip", "=", OWNER_IP).execute();
    expect(ownerSignIn.length).toBeGreaterThan(0);

    for (const foreign of [OWNER_IP, STAFF_IP, "Goodwill", "olga@example.com", "Olga Owner"]) expect(body).not.toContain(foreign);
    expect(data.sessions.length).toBeGreaterThan(0);
    expect(data.sessions.every((s: { ip: string }) => s.ip === MEMBER_IP)).toBe(true);
    // Their own sign-in, with their own address.
    expect(data.audit).toContainEqual(expect.objectContaining({ action: "auth.sign_in", by_you: true, ip: MEMBER_IP }));
    // Made admin by the owner: about them, so exported, but without the owner's identity or address.
    const promoted = data.audit.find((a: { action: string }) => a.action === "member.role_changed");
    expect(promoted).toEqual({
      at: expect.any(String),
      actor_type: "user",
      by_you: false,
      action: "member.role_changed",
      target_type: "account",
      target_id: accountId,
      details: { user_id: memberId, from: "member", to: "admin" },
    });
    // The staff plan change is about the account, not about them.
    expect(data.audit.some((a: { action: string }) => a.action === "account.plan_changed")).toBe(false);
    // A membership, not the account's books.
    expect(data.accounts).toEqual([{ id: accountId, name: "Test account", role: "admin", joined_at: expect.any(String) }]);
    expect(data.ledger).toEqual([]);
    expect(data.api_keys).toEqual([]);
  });

  it("V8.2.3 the owner's export has their own sessions and the account's books, the staff plan change without the staff member's IP or reason, and no member's IP", async () => {
    const { owner, accountId } = await sharedAccount();
    const { body, data } = await exportOf(owner);

    for (const foreign of [MEMBER_IP, STAFF_IP, "Goodwill", "mo@example.com", "Mo Member"]) expect(body).not.toContain(foreign);
    expect(data.sessions.length).toBeGreaterThan(0);
    expect(data.sessions.every((s: { ip: string }) => s.ip === OWNER_IP)).toBe(true);
    expect(data.audit).toContainEqual(expect.objectContaining({ action: "auth.sign_in", by_you: true, ip: OWNER_IP }));
    const planChange = data.audit.find((a: { action: string }) => a.action === "account.plan_changed");
    expect(planChange).toMatchObject({ actor_type: "staff", by_you: false, target_id: accountId, details: { from: "scale", to: "gpu_cluster" } });
    expect(planChange).not.toHaveProperty("ip");
    expect(planChange.details).not.toHaveProperty("reason");
    // The member's joining is the member's doing: not in the owner's export.
    expect(data.audit.some((a: { action: string }) => a.action === "invitation.accepted")).toBe(false);
    expect(data.accounts).toEqual([expect.objectContaining({ id: accountId, role: "owner", plan: "gpu_cluster", status: "active", balance_cents: "0" })]);
    expect(data.api_keys).toEqual([expect.objectContaining({ kind: "main", account_id: accountId })]);
  });
});

const TOKEN = "Tk3nAbCdEfGhIjKlMnOpQrStUvWxYz0123456789wxyz".slice(0, 43);
const UNSUBSCRIBE = "v1.6f1c0000-0000-4000-8000-000000000000.k9Vd3mQp0rStUvWxYz0123456789AbCd";

/** A delivered mail as the dispatcher sends it: its body and List-Unsubscribe header carry live tokens. */
async function deliveredMail() {
  const { id } = await enqueueMail(
    t.db,
    {
      to: "reader@example.com",
      subject: "You are invited to Acme Research",
      text: `Accept: https://switchboard.test/invitations/${TOKEN}\nConfirm: https://switchboard.test/confirm-transfer/${TOKEN}\nUnsubscribe: https://switchboard.test/unsubscribe/${UNSUBSCRIBE}`,
      kind: "invitation",
      dedupeKey: "sec:1",
      headers: { "List-Unsubscribe": `<https://switchboard.test/unsubscribe/${UNSUBSCRIBE}>`, "List-Id": "Product updates <product-updates.switchboard.test>" },
    },
    "smtp",
  );
  const sent: { text?: unknown; headers?: unknown }[] = [];
  const transport = { sendMail: async (m: { text?: unknown; headers?: unknown }) => void sent.push(m) } as unknown as SmtpTransport;
  const dispatcher = new MailDispatcher({
    db: t.db,
    databaseUrl: t.databaseUrl,
    transport,
    from: "Switchboard <no-reply@switchboard.test>",
    logger: createLogger("silent", "test"),
  });
  await dispatcher.drain();
  await dispatcher.stop();
  return { id, sent };
}

async function operator() {
  await t.db.insertInto("staff").values({ email: "operator@switchboard.test", role: "operator" }).execute();
  const staff = new UserAgent(t.app.url);
  await staff.signIn("github", { email: "operator@switchboard.test" });
  return staff;
}

describe("staff read mail with link tokens masked", () => {
  it("V14.2.6 the console shows invitation, transfer and unsubscribe tokens masked (body, header, page data); the recipient's copy is whole", async () => {
    const { id, sent } = await deliveredMail();
    expect(sent).toHaveLength(1);
    expect(String(sent[0]!.text)).toContain(`/invitations/${TOKEN}`);
    expect(String(sent[0]!.text)).toContain(`/unsubscribe/${UNSUBSCRIBE}`);

    const page = await (await operator()).get(`/console/mail/${id}`);
    expect(page.status).toBe(200);
    // Nowhere in the page: not in the text, a link, a header, nor the loader data Remix embeds for hydration.
    for (const secret of [TOKEN, TOKEN.slice(0, 20), UNSUBSCRIBE, "k9Vd3mQp"]) expect(page.body).not.toContain(secret);
    const text = pageText(page.body);
    expect(text).toContain(`https://switchboard.test/invitations/${MASK}${TOKEN.slice(-4)}`);
    expect(text).toContain(`https://switchboard.test/confirm-transfer/${MASK}${TOKEN.slice(-4)}`);
    expect(text).toContain(`<https://switchboard.test/unsubscribe/${MASK}AbCd>`);
    expect(text).toContain("Link tokens are masked");
    expect(page.body).not.toMatch(/<a href="[^"]*(invitations|confirm-transfer|unsubscribe)\//);
    // The stored mail is untouched: a resend or the recipient's mail client still has the live link.
    const stored = await t.db.selectFrom("mail_outbox").select(["text_body", "status"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: "sent" });
    expect(stored.text_body).toContain(`/invitations/${TOKEN}`);
  });
});

describe("mail bodies are purged after the retention period", () => {
  const insertMail = (key: string, status: "sent" | "failed" | "kept" | "pending", ageDays: number) =>
    sql<{ id: string }>`
      INSERT INTO mail_outbox (dedupe_key, kind, to_address, subject, text_body, headers, status, created_at, sent_at)
      VALUES (${key}, 'invitation', 'reader@example.com', ${`Mail ${key}`}, ${`Open https://switchboard.test/invitations/${TOKEN}`},
              '{"List-Id": "Demo <demo.switchboard.test>"}'::jsonb, ${status},
              now() - make_interval(days => ${ageDays + 1}), ${status === "sent" ? sql`now() - make_interval(days => ${ageDays})` : null})
      RETURNING id`
      .execute(t.db)
      .then((r) => r.rows[0]!.id);

  it("V14.2.7 sent, failed and kept mail loses its body after MAIL_BODY_RETENTION_DAYS, once, audited with a count; headers, status and pending mail stay", async () => {
    const oldSent = await insertMail("old-sent", "sent", 31);
    const oldFailed = await insertMail("old-failed", "failed", 31);
    const oldKept = await insertMail("old-kept", "kept", 31);
    const recentSent = await insertMail("recent-sent", "sent", 29);
    const oldPending = await insertMail("old-pending", "pending", 40);

    expect(await purgeMailBodies(t.db, 30)).toBe(3);
    const rows = await t.db.selectFrom("mail_outbox").select(["id", "text_body", "subject", "headers", "status", "body_purged_at"]).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const id of [oldSent, oldFailed, oldKept]) {
      expect(byId.get(id)).toMatchObject({ text_body: "", body_purged_at: expect.any(Date), headers: { "List-Id": "Demo <demo.switchboard.test>" } });
    }
    expect(byId.get(oldSent)!.status).toBe("sent");
    for (const id of [recentSent, oldPending]) expect(byId.get(id)).toMatchObject({ text_body: expect.stringContaining(TOKEN), body_purged_at: null });

    const audit = await t.db.selectFrom("audit_log").select(["actor_type", "actor_id", "details"]).where("action", "=", "mail.bodies_purged").execute();
    expect(audit).toEqual([{ actor_type: "system", actor_id: null, details: { count: 3, retention_days: 30 } }]);
    // Nothing left to purge: nothing changes and no audit row says otherwise.
    expect(await purgeMailBodies(t.db, 30)).toBe(0);
    expect(await t.db.selectFrom("audit_log").select("id").where("action", "=", "mail.bodies_purged").execute()).toHaveLength(1);

    const staff = await operator();
    const page = pageText((await staff.get(`/console/mail/${oldSent}`)).body);
    expect(page).toContain("Body purged after 30 days");
    expect(page).toContain("Demo <demo.switchboard.test>"); // headers stay
    expect(page).not.toContain(TOKEN.slice(-8));
    expect(pageText((await staff.get("/console/mail")).body)).toContain("body purged");
  });

  it("V14.2.7 the worker's hourly job purges at start; MAIL_BODY_RETENTION_DAYS defaults to 30 and refuses nonsense", async () => {
    const old = await insertMail("old-sent", "sent", 31);
    const job = new MailBodyRetention({ db: t.db, retentionDays: 30, logger: createLogger("silent", "test"), everyMs: 3_600_000 });
    job.start();
    await job.runOnce(); // the round start() began
    await job.stop();
    expect((await t.db.selectFrom("mail_outbox").select("body_purged_at").where("id", "=", old).executeTakeFirstOrThrow()).body_purged_at).not.toBeNull();

    expect(parseConfig({}).mailBodyRetentionDays).toBe(30);
    expect(parseConfig({ MAIL_BODY_RETENTION_DAYS: "7" }).mailBodyRetentionDays).toBe(7);
    for (const bad of ["0", "-1", "thirty", "1.5"]) expect(() => parseConfig({ MAIL_BODY_RETENTION_DAYS: bad })).toThrow(/MAIL_BODY_RETENTION_DAYS/);
  });
});
