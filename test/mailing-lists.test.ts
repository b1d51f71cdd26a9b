/**
 * Mailing lists end to end: Settings → Notifications, the RFC 8058 one-click
 * unsubscribe link (no session, no cookies, signed token as the capability),
 * a list mail sent from Console → Lists and run by a real worker, the demo
 * seed's list mail, and mirroring to a real (local) provider over HTTP.
 */
import { sql } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { httpMailingProvider } from "../app/mailing-lists/provider.server.js";
import { signUnsubscribeToken } from "../app/mailing-lists/unsubscribe-token.server.js";
import type { Db } from "../db/connection.js";
import { DEMO_MAILING_ID, seedDemoData } from "../db/demo-seed.js";
import { startLocalMailingProvider, type LocalMailingProvider } from "../dev/local-mailing-provider.js";
import { listMailingWorkflowId, subscriptionSyncWorkflowId } from "../workflows/shared.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { seedStaffOfEachRole, staffAgent } from "./helpers/staff.js";
import { useSuite, type Suite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";

const ONE_CLICK = "List-Unsubscribe=One-Click";

/** A customer signed in through the stand-in, and their user id. */
async function customer(t: Suite, email: string): Promise<{ ua: UserAgent; userId: string }> {
  const ua = new UserAgent(t.app.url);
  await ua.signIn("google", { email });
  const { id } = await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirstOrThrow();
  return { ua, userId: id };
}

/** Posts Settings → Notifications with the page's CSRF token (or `csrf` as given) and these ticked lists. */
async function saveLists(ua: UserAgent, lists: string[], csrf?: string | null) {
  const token = csrf === undefined ? UserAgent.csrfFrom((await ua.get("/settings/notifications")).body) : csrf;
  const body = new URLSearchParams();
  if (token !== null) body.append("csrf", token);
  for (const l of lists) body.append("list", l);
  const url = new URL("/settings/notifications", ua.appUrl);
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: ua.cookieHeader(url) },
    body,
    redirect: "manual",
  });
  return { status: res.status, body: await res.text() };
}

async function subscriptions(db: Db, userId: string): Promise<Record<string, boolean>> {
  const rows = await db.selectFrom("mailing_subscriptions").select(["list_id", "subscribed"]).where("user_id", "=", userId).execute();
  return Object.fromEntries(rows.map((r) => [r.list_id, r.subscribed]));
}

async function subscriptionId(db: Db, userId: string, listId: string): Promise<string> {
  const row = await db.selectFrom("mailing_subscriptions").select("id").where("user_id", "=", userId).where("list_id", "=", listId).executeTakeFirstOrThrow();
  return row.id;
}

/** Every subscription row as it stands; equal before and after = nothing changed. */
async function checksum(db: Db): Promise<string> {
  const { rows } = await sql<{ sum: string }>`
    SELECT md5(coalesce(string_agg(id::text || ':' || subscribed::text || ':' || changed_at::text || ':' || coalesce(provider_synced_at::text, '-'), ',' ORDER BY id), '')) AS sum
    FROM mailing_subscriptions`.execute(db);
  return rows[0]!.sum;
}

const auditCount = async (db: Db) =>
  Number(
    (
      await db
        .selectFrom("audit_log")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** What a mail client does (RFC 8058): a bare POST, no cookies, no Origin. */
async function postOneClick(url: string, init: { body?: BodyInit; contentType?: string | null } = {}) {
  const headers: Record<string, string> = {};
  const contentType = init.contentType === undefined ? "application/x-www-form-urlencoded" : init.contentType;
  if (contentType) headers["Content-Type"] = contentType;
  const res = await fetch(url, { method: "POST", headers, body: init.body === undefined ? ONE_CLICK : init.body, redirect: "manual" });
  return { status: res.status, headers: res.headers, text: pageText(await res.text()) };
}

/** The policy a browser applies: the last valid token of the Referrer-Policy header list. */
const effectiveReferrerPolicy = (h: Headers) =>
  h
    .get("referrer-policy")
    ?.split(",")
    .map((s) => s.trim())
    .at(-1);

describe("mailing lists (no provider)", () => {
  const t = useSuite({ app: true });
  const unsubscribeUrl = (id: string) => `${t.app.url}/unsubscribe/${signUnsubscribeToken(t.app.config.unsubscribe.secrets, id)}`;
  beforeEach(() => truncateAll(t.db));

  describe("Settings → Notifications", () => {
    it("lists every list, saves the whole set, shows Saved, and audits each change", async () => {
      const { ua, userId } = await customer(t, "reader@example.com");
      const page = await ua.get("/settings/notifications");
      expect(page.status).toBe(200);
      const text = pageText(page.body);
      for (const s of ["Product updates", "New models, features and changes to the API.", "Newsletter", "Billing notices"]) expect(text).toContain(s);
      expect(page.body).toContain('href="/settings/notifications"'); // the Settings nav entry
      expect(page.body).not.toMatch(/<input id="list-[^"]*"[^>]*checked=""/);

      const first = await saveLists(ua, ["product_updates", "newsletter"]);
      expect(first.status).toBe(200);
      expect(pageText(first.body)).toContain("Saved");
      expect(await subscriptions(t.db, userId)).toEqual({ product_updates: true, newsletter: true });

      const second = await saveLists(ua, ["newsletter", "billing_notices"]);
      expect(second.status).toBe(200);
      expect(await subscriptions(t.db, userId)).toEqual({ product_updates: false, newsletter: true, billing_notices: true });
      const again = await ua.get("/settings/notifications");
      expect(again.body).toMatch(/<input id="list-newsletter"[^>]*checked=""/);
      expect(again.body).toMatch(/<input id="list-billing_notices"[^>]*checked=""/);
      expect(again.body).not.toMatch(/<input id="list-product_updates"[^>]*checked=""/);

      const audit = await t.db
        .selectFrom("audit_log")
        .select(["actor_type", "actor_id", "action", "target_id", "details"])
        .where("action", "like", "mailing.%")
        .orderBy("id")
        .execute();
      expect(audit).toEqual([
        { actor_type: "user", actor_id: userId, action: "mailing.subscribed", target_id: userId, details: { list: "product_updates", via: "settings" } },
        { actor_type: "user", actor_id: userId, action: "mailing.subscribed", target_id: userId, details: { list: "newsletter", via: "settings" } },
        { actor_type: "user", actor_id: userId, action: "mailing.unsubscribed", target_id: userId, details: { list: "product_updates", via: "settings" } },
        { actor_type: "user", actor_id: userId, action: "mailing.subscribed", target_id: userId, details: { list: "billing_notices", via: "settings" } },
      ]);
    });

    it("refuses an unknown list id with a 400 and changes nothing", async () => {
      const { ua, userId } = await customer(t, "reader@example.com");
      await saveLists(ua, ["newsletter"]);
      const [before, audits] = [await checksum(t.db), await auditCount(t.db)];
      const res = await saveLists(ua, ["product_updates", "no_such_list"]);
      expect(res.status).toBe(400);
      expect(pageText(res.body)).toContain("does not exist");
      expect(pageText(res.body)).toContain("Nothing was changed");
      expect(await checksum(t.db)).toBe(before);
      expect(await auditCount(t.db)).toBe(audits);
      expect(await subscriptions(t.db, userId)).toEqual({ newsletter: true });
    });

    it("refuses a post without or with a forged CSRF token (403) and changes nothing", async () => {
      const { ua, userId } = await customer(t, "reader@example.com");
      const before = await checksum(t.db);
      expect((await saveLists(ua, ["newsletter"], null)).status).toBe(403);
      expect((await saveLists(ua, ["newsletter"], "forged-token")).status).toBe(403);
      expect(await checksum(t.db)).toBe(before);
      expect(await subscriptions(t.db, userId)).toEqual({});
    });
  });

  describe("one-click unsubscribe (RFC 8058)", () => {
    /** reader on product_updates and newsletter, other on product_updates. */
    async function subscribed() {
      const reader = await customer(t, "reader@example.com");
      const other = await customer(t, "other@example.com");
      await saveLists(reader.ua, ["product_updates", "newsletter"]);
      await saveLists(other.ua, ["product_updates"]);
      return { reader, other, sub: await subscriptionId(t.db, reader.userId, "product_updates") };
    }

    it("a bare POST with the RFC 8058 body, no session and no cookies, unsubscribes exactly that one subscription", async () => {
      const { reader, other, sub } = await subscribed();
      const res = await postOneClick(unsubscribeUrl(sub));
      expect(res.status).toBe(200);
      expect(res.text).toContain("You are unsubscribed from Product updates");
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(effectiveReferrerPolicy(res.headers)).toBe("strict-origin");
      expect(await subscriptions(t.db, reader.userId)).toEqual({ product_updates: false, newsletter: true });
      expect(await subscriptions(t.db, other.userId)).toEqual({ product_updates: true });
      const audit = await t.db
        .selectFrom("audit_log")
        .select(["actor_type", "actor_id", "ip", "target_id", "details"])
        .where("action", "=", "mailing.unsubscribed")
        .execute();
      expect(audit).toEqual([
        { actor_type: "anonymous", actor_id: null, ip: expect.any(String), target_id: reader.userId, details: { list: "product_updates", via: "one_click" } },
      ]);

      // Again (a mail client retrying): 200, nothing more changes.
      const [before, audits] = [await checksum(t.db), await auditCount(t.db)];
      const again = await postOneClick(unsubscribeUrl(sub));
      expect(again.status).toBe(200);
      expect(again.text).toContain("You are not subscribed to Product updates");
      expect(await checksum(t.db)).toBe(before);
      expect(await auditCount(t.db)).toBe(audits);

      // multipart/form-data, as some clients send it, works as well.
      const form = new FormData();
      form.append("List-Unsubscribe", "One-Click");
      const multipart = await postOneClick(unsubscribeUrl(await subscriptionId(t.db, reader.userId, "newsletter")), { body: form, contentType: null });
      expect(multipart.status).toBe(200);
      expect(multipart.text).toContain("You are unsubscribed from Newsletter");
      expect(await subscriptions(t.db, reader.userId)).toEqual({ product_updates: false, newsletter: false });
    });

    it("a tampered or malformed token is a 400 and changes nothing", async () => {
      const { sub, other } = await subscribed();
      const secrets = t.app.config.unsubscribe.secrets;
      const token = signUnsubscribeToken(secrets, sub);
      const [version, id, signature] = token.split(".") as [string, string, string];
      const i = 10;
      const flipped = `${version}.${id}.${signature.slice(0, i)}${signature[i] === "A" ? "B" : "A"}${signature.slice(i + 1)}`;
      const otherSub = await subscriptionId(t.db, other.userId, "product_updates");
      const tampered = [
        flipped,
        `${version}.${otherSub}.${signature}`, // another subscription's id under this signature
        signUnsubscribeToken(["another-secret-another-secret-another-secret"], sub), // signed with a secret we do not hold
        `${version}.${id}`,
        "not-a-token",
        `v2.${id}.${signature}`,
      ];
      const [before, audits] = [await checksum(t.db), await auditCount(t.db)];
      for (const bad of tampered) {
        const url = `${t.app.url}/unsubscribe/${encodeURIComponent(bad)}`;
        const res = await postOneClick(url);
        expect(res.status, bad).toBe(400);
        expect(res.text).toContain("This unsubscribe link is not valid");
        const get = await fetch(url);
        expect(get.status).toBe(400);
      }
      expect(await checksum(t.db)).toBe(before);
      expect(await auditCount(t.db)).toBe(audits);
    });

    it("a POST without the List-Unsubscribe=One-Click form body is a 400 and changes nothing", async () => {
      const { sub } = await subscribed();
      const url = unsubscribeUrl(sub);
      const before = await checksum(t.db);
      const wrong = [
        { body: "List-Unsubscribe=Yes" },
        { body: "" },
        { body: JSON.stringify({ "List-Unsubscribe": "One-Click" }), contentType: "application/json" },
        { body: ONE_CLICK, contentType: "text/plain" },
        { body: ONE_CLICK, contentType: null },
      ];
      for (const w of wrong) {
        const res = await postOneClick(url, w);
        expect(res.status, JSON.stringify(w)).toBe(400);
        expect(res.text).toContain("List-Unsubscribe=One-Click");
      }
      expect(await checksum(t.db)).toBe(before);
    });

    it("GET shows a confirm page with the list and a masked address, and changes nothing", async () => {
      const { sub } = await subscribed();
      const before = await checksum(t.db);
      const res = await fetch(unsubscribeUrl(sub));
      const html = await res.text();
      expect(res.status).toBe(200);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(effectiveReferrerPolicy(res.headers)).toBe("strict-origin");
      expect(html).toContain('<meta name="referrer" content="strict-origin"/>');
      expect(pageText(html)).toContain("Unsubscribe r…@example.com from Product updates?");
      expect(html).not.toContain("reader@example.com");
      // The button posts exactly what a mail client posts, to this same URL.
      expect(html).toMatch(/<form method="post" action="\/unsubscribe\/[^"]+"[^>]*>/);
      expect(html).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click"/>');
      expect(await checksum(t.db)).toBe(before);
    });

    it("an erased person's link (row gone) answers 200: not subscribed", async () => {
      const { reader, sub } = await subscribed();
      await t.db.deleteFrom("mailing_subscriptions").where("user_id", "=", reader.userId).execute();
      const res = await postOneClick(unsubscribeUrl(sub));
      expect(res.status).toBe(200);
      expect(res.text).toContain("You are not subscribed");
    });
  });

  describe("Console → Lists", () => {
    beforeEach(() => seedStaffOfEachRole(t.db));

    it("an admin's list mail, run by a worker, puts one mail per subscriber in the outbox; its unsubscribe link works", async () => {
      const a = await customer(t, "ann@example.com");
      const b = await customer(t, "ben@example.com");
      const c = await customer(t, "cat@example.com");
      await saveLists(a.ua, ["product_updates"]);
      await saveLists(b.ua, ["product_updates", "newsletter"]);
      await saveLists(c.ua, ["newsletter"]);

      const admin = await staffAgent(t.app.url, "admin");
      const page = await admin.get("/console/lists");
      expect(page.status).toBe(200);
      expect(page.body).toContain('data-list-subscribers="product_updates">2<');
      expect(page.body).toContain('data-list-subscribers="newsletter">2<');
      expect(page.body).toContain('data-list-subscribers="billing_notices">0<');

      const sent = await admin.submit("/console/lists", "/console/lists", {
        intent: "send",
        listId: "product_updates",
        subject: "Our new models",
        body: "Two new models are live.\r\nTry them today.",
      });
      expect(sent.status).toBe(302);
      const mailingId = new URL(sent.location!).searchParams.get("sent")!;
      expect(new URL(sent.location!).pathname).toBe("/console/lists");
      const created = await t.db.selectFrom("list_mailings").selectAll().where("id", "=", mailingId).executeTakeFirstOrThrow();
      expect(created).toMatchObject({
        list_id: "product_updates",
        subject: "Our new models",
        text_body: "Two new models are live.\nTry them today.",
        status: "sending",
      });
      const audit = await t.db.selectFrom("audit_log").select(["actor_type", "target_id", "details"]).where("action", "=", "mailing.created").execute();
      expect(audit).toEqual([{ actor_type: "staff", target_id: mailingId, details: { list: "product_updates" } }]);

      const result = await t.temporal.runWorker(realActivities(t.db, t.app.url), () =>
        t.temporal.client.workflow.getHandle(listMailingWorkflowId(mailingId)).result(),
      );
      expect(result).toEqual({ recipients: 2 });
      const mails = await t.db
        .selectFrom("mail_outbox")
        .select(["to_address", "subject", "text_body", "headers", "status"])
        .where("related_type", "=", "list_mailing")
        .where("related_id", "=", mailingId)
        .orderBy("to_address")
        .execute();
      expect(mails.map((m) => m.to_address)).toEqual(["ann@example.com", "ben@example.com"]);
      for (const m of mails) {
        expect(m.subject).toBe("Our new models");
        expect(m.status).toBe("kept");
        expect(m.text_body).toContain("Two new models are live.\nTry them today.");
        expect(m.headers["List-Unsubscribe-Post"]).toBe(ONE_CLICK);
        expect(m.headers["List-Unsubscribe"]).toMatch(new RegExp(`^<${t.app.url}/unsubscribe/v1\\.[0-9a-f-]{36}\\.[A-Za-z0-9_-]{32}>$`));
      }
      expect(await t.db.selectFrom("list_mailings").select(["status", "recipients"]).where("id", "=", mailingId).executeTakeFirstOrThrow()).toEqual({
        status: "sent",
        recipients: 2,
      });

      const after = await admin.get(`/console/lists?sent=${mailingId}`);
      expect(pageText(after.body)).toContain("Our new models");
      expect(after.body).toContain(`href="/console/workflows/${encodeURIComponent(listMailingWorkflowId(mailingId))}"`);
      expect(after.body).toContain('data-list-subscribers="product_updates">2<');

      // Ann's mail client follows her List-Unsubscribe header.
      const annUrl = /^<(.+)>$/.exec(mails[0]!.headers["List-Unsubscribe"]!)![1]!;
      const res = await postOneClick(annUrl);
      expect(res.status).toBe(200);
      expect(res.text).toContain("You are unsubscribed from Product updates");
      expect(await subscriptions(t.db, a.userId)).toEqual({ product_updates: false });
      expect(await subscriptions(t.db, b.userId)).toEqual({ product_updates: true, newsletter: true });
    });

    it("refuses the send to support and operators (403) and creates nothing; they still see the lists", async () => {
      for (const role of ["support", "operator"] as const) {
        const staff = await staffAgent(t.app.url, role);
        const page = await staff.get("/console/lists");
        expect(page.status).toBe(200);
        expect(pageText(page.body)).toContain("Only admins send mail to a list");
        const res = await staff.request("/console/lists", {
          form: { csrf: UserAgent.csrfFrom(page.body), intent: "send", listId: "product_updates", subject: "Hi", body: "Text" },
        });
        expect(res.status, role).toBe(403);
      }
      expect(await t.db.selectFrom("list_mailings").select("id").execute()).toEqual([]);
    });

    it("a form with errors is a 400 with the errors and creates nothing", async () => {
      const admin = await staffAgent(t.app.url, "admin");
      const cases: [Record<string, string>, string][] = [
        [{ listId: "", subject: "Hi", body: "Text" }, "Choose a list."],
        [{ listId: "no_such_list", subject: "Hi", body: "Text" }, "Choose one of the lists."],
        [{ listId: "newsletter", subject: "   ", body: "Text" }, "Enter a subject."],
        [{ listId: "newsletter", subject: "x".repeat(201), body: "Text" }, "A subject is at most 200 characters."],
        [{ listId: "newsletter", subject: "Hi", body: "" }, "Write the mail's text."],
        [{ listId: "newsletter", subject: "Hi", body: "x".repeat(20_001) }, "The text is at most 20000 characters."],
      ];
      for (const [fields, message] of cases) {
        const res = await admin.submit("/console/lists", "/console/lists", { intent: "send", ...fields });
        expect(res.status, message).toBe(400);
        expect(pageText(res.body)).toContain(message);
      }
      expect(await t.db.selectFrom("list_mailings").select("id").execute()).toEqual([]);
      expect(await t.db.selectFrom("audit_log").select("id").where("action", "=", "mailing.created").execute()).toEqual([]);
    });

    it("when Temporal refuses the start, the mailing is marked failed and the admin is told", async () => {
      const admin = await staffAgent(t.app.url, "admin");
      const workflows = t.app.services.temporal.workflow as unknown as { start?: unknown };
      workflows.start = async () => {
        throw new Error("Temporal unavailable (injected)");
      };
      try {
        const res = await admin.submit("/console/lists", "/console/lists", { intent: "send", listId: "newsletter", subject: "Hi", body: "Text" });
        expect(res.status).toBe(503);
        expect(pageText(res.body)).toContain("nothing was sent");
      } finally {
        delete workflows.start; // back to the client's own method
      }
      const rows = await t.db.selectFrom("list_mailings").select(["status", "completed_at"]).execute();
      expect(rows).toEqual([{ status: "failed", completed_at: expect.any(Date) }]);
      expect(await t.db.selectFrom("mail_outbox").select("id").execute()).toEqual([]);
    });
  });

  describe("demo seed", () => {
    it("subscribes the demo customers and leaves one product-updates list mail per subscriber in the outbox, once", async () => {
      await seedDemoData(t.db, t.app.config);
      await seedDemoData(t.db, t.app.config);
      const alice = await t.db.selectFrom("users").select("id").where("email", "=", "alice@example.com").executeTakeFirstOrThrow();
      const bob = await t.db.selectFrom("users").select("id").where("email", "=", "bob@example.com").executeTakeFirstOrThrow();
      expect(await subscriptions(t.db, alice.id)).toEqual({ product_updates: true, newsletter: true, billing_notices: true });
      expect(await subscriptions(t.db, bob.id)).toEqual({ product_updates: true });
      expect(await t.db.selectFrom("list_mailings").select(["id", "status", "recipients"]).execute()).toEqual([
        { id: DEMO_MAILING_ID, status: "sent", recipients: 2 },
      ]);
      const mails = await t.db.selectFrom("mail_outbox").select(["to_address", "headers", "status"]).orderBy("to_address").execute();
      expect(mails.map((m) => [m.to_address, m.status])).toEqual([
        ["alice@example.com", "kept"],
        ["bob@example.com", "kept"],
      ]);
      const bobUrl = /^<(.+)>$/.exec(mails[1]!.headers["List-Unsubscribe"]!)![1]!;
      expect(bobUrl.startsWith(`${t.app.url}/unsubscribe/`)).toBe(true);
      const res = await postOneClick(bobUrl);
      expect(res.status).toBe(200);
      expect(await subscriptions(t.db, bob.id)).toEqual({ product_updates: false });
      expect(await subscriptions(t.db, alice.id)).toEqual({ product_updates: true, newsletter: true, billing_notices: true });
    });
  });
});

describe("mailing lists mirrored to a provider", () => {
  let provider: LocalMailingProvider;
  // Filled before the app starts (this hook is registered before useSuite's).
  const appEnv: Record<string, string> = {};
  beforeAll(async () => {
    provider = await startLocalMailingProvider();
    appEnv.MAILING_PROVIDER_URL = provider.url;
    appEnv.MAILING_PROVIDER_TOKEN = provider.token;
  });
  afterAll(() => provider?.stop());
  const t = useSuite({ app: true, appEnv });

  const activities = () => realActivities(t.db, t.app.url, { mailingProvider: httpMailingProvider({ url: provider.url, token: provider.token }) });
  const synced = (ids: string[]) =>
    t.temporal.runWorker(activities(), () => Promise.all(ids.map((id) => t.temporal.client.workflow.getHandle(subscriptionSyncWorkflowId(id)).result())));

  it("subscribing in Settings and one-click unsubscribing reach the provider, also through failures", async () => {
    expect(t.app.config.mailingProvider?.url).toBe(provider.url);
    const { ua, userId } = await customer(t, "mirror@example.com");
    expect((await saveLists(ua, ["product_updates", "newsletter"])).status).toBe(200);
    const product = await subscriptionId(t.db, userId, "product_updates");
    const newsletter = await subscriptionId(t.db, userId, "newsletter");
    const results = await synced([product, newsletter]);
    for (const r of results) expect(r.pushes).toBeGreaterThanOrEqual(1);
    expect(provider.state().contacts[userId]).toEqual({ email: "mirror@example.com", lists: ["newsletter", "product_updates"] });
    const rows = await t.db.selectFrom("mailing_subscriptions").select("provider_synced_at").where("user_id", "=", userId).execute();
    for (const r of rows) expect(r.provider_synced_at).not.toBeNull();

    // One-click unsubscribe is mirrored too (a new run of the same workflow id).
    const res = await postOneClick(`${t.app.url}/unsubscribe/${signUnsubscribeToken(t.app.config.unsubscribe.secrets, product)}`);
    expect(res.status).toBe(200);
    await synced([product]);
    expect(provider.state().contacts[userId]?.lists).toEqual(["newsletter"]);

    // The provider fails its next two calls: the activity is retried and the mirror still ends in step.
    const failedBefore = provider.state().failed;
    provider.control({ failNext: 2, failStatus: 503, failOn: "any" });
    expect((await saveLists(ua, ["newsletter", "billing_notices"])).status).toBe(200);
    const billing = await subscriptionId(t.db, userId, "billing_notices");
    const [last] = await synced([billing]);
    expect(last!.pushes).toBe(1);
    expect(provider.state().failed - failedBefore).toBe(2);
    expect(provider.state().contacts[userId]?.lists).toEqual(["billing_notices", "newsletter"]);
    expect(await subscriptions(t.db, userId)).toEqual({ product_updates: false, newsletter: true, billing_notices: true });
  });
});
