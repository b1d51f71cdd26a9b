/**
 * GDPR deletion end to end, on real PostgreSQL, a real Temporal server and a
 * real (local) mailing-list provider: the self-service request through the
 * app, then the deleteAccount workflow on a real worker. Afterwards nothing
 * personal is left in any table or any workflow history of the account.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, beforeEach, describe, expect, inject, it } from "vitest";
import { parseConfig } from "../../app/config.server.js";
import { startDeletion } from "../../app/services/deletion.server.js";
import { createLogger } from "../../app/logger.server.js";
import { enqueueMail } from "../../app/mail/mailer.server.js";
import { mirrorSubscriptions } from "../../app/services/mailing-sync.server.js";
import { httpMailingProvider } from "../../app/mailing-lists/provider.server.js";
import { ledgerSum, postLedgerEntry } from "../../app/models/ledger.server.js";
import { setUserSubscriptions } from "../../app/models/mailing.server.js";
import { localSubject, type LocalIdentity } from "../../dev/local-oauth-server.js";
import { startLocalMailingProvider } from "../../dev/local-mailing-provider.js";
import { deleteWorkflowId, subscriptionSyncWorkflowId } from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { realActivities } from "../helpers/activities.js";
import { truncateAll } from "../helpers/database.js";
import { databaseText, historyText } from "../helpers/pii-scan.js";
import { useSuite } from "../helpers/suite.js";
import { temporalTestEnv } from "../helpers/temporal.js";
import { UserAgent, pageText } from "../helpers/user-agent.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const provider = await startLocalMailingProvider();
const providerEnv = { MAILING_PROVIDER_URL: provider.url, MAILING_PROVIDER_TOKEN: provider.token };
const t = useSuite({ app: true, appEnv: providerEnv });
const mailingProvider = httpMailingProvider({ url: provider.url, token: provider.token });
afterAll(() => provider.stop());
beforeEach(async () => {
  await truncateAll(t.db);
  provider.control({ failNext: 0, delayMs: 0, failOn: "any" });
});

const KEY = /tgp_v1_[A-Za-z0-9_-]{43}/;

/** A person with a bit of everything: key, credits, subscriptions mirrored at the provider, a ticket, mail, audit rows. */
async function personWithHistory(who: LocalIdentity, temporal = t.temporal) {
  const me = new UserAgent(t.app.url);
  const welcome = await me.signIn("google", who);
  const key = KEY.exec(welcome.body)![0];
  const { user_id: userId, account_id: accountId } = await t.db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["memberships.user_id", "memberships.account_id"])
    .where("users.email", "=", who.email.toLowerCase())
    .executeTakeFirstOrThrow();
  const system = { type: "system" as const, id: null };
  await postLedgerEntry(t.db, { accountId, amountCents: 5_000n, kind: "grant", idempotencyKey: "g", actor: system, note: `welcome credit for ${who.name}` });
  await postLedgerEntry(t.db, { accountId, amountCents: -1_234n, kind: "usage", idempotencyKey: "u", actor: system });
  const subscriptionIds = await setUserSubscriptions(t.db, userId, new Set(["product_updates", "newsletter"]), { type: "user", id: userId });
  // Mirror the subscriptions at the provider as the app does, and wait for the mirror.
  const services = {
    temporal: temporal.client,
    config: parseConfig({ TEMPORAL_TASK_QUEUE: temporal.taskQueue, ...providerEnv }),
    logger: createLogger("silent", "test"),
  };
  await temporal.runWorker(realActivities(t.db, t.app.url, { mailingProvider }), async () => {
    await mirrorSubscriptions(services, subscriptionIds);
    for (const id of subscriptionIds) await temporal.client.workflow.getHandle(subscriptionSyncWorkflowId(id)).result();
  });
  expect(provider.state().contacts[userId]?.lists).toEqual(["newsletter", "product_updates"]);

  const ticket = await t.db
    .insertInto("support_tickets")
    .values({
      kind: "email_transfer",
      source: "web",
      status: "rejected",
      old_account_id: accountId,
      requester_user_id: userId,
      sender_address: who.email,
      new_address: "elsewhere@example.net",
      checks: "[]",
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await t.db
    .insertInto("ticket_notes")
    .values({ ticket_id: ticket.id, staff_id: null, body: `${who.name} called about ${who.email}` })
    .execute();
  await enqueueMail(t.db, { to: who.email, subject: `Hello ${who.name}`, text: "hi", kind: "test", dedupeKey: `hello:${userId}` }, "outbox");
  // Someone else's account invited this person (their address sits in another account's invitation).
  const cluster = await accountWithKey(t.db, { plan: "gpu_cluster" });
  await t.db
    .insertInto("invitations")
    .values({
      account_id: cluster.accountId,
      email: who.email.toLowerCase(),
      role: "member",
      token_hash: randomBytes(32),
      invited_by: cluster.userId,
      expires_at: new Date(Date.now() + 86_400_000),
    })
    .execute();
  return { me, key, userId, accountId, subscriptionIds };
}

async function requestDeletion(me: UserAgent, email: string) {
  return me.submit("/settings/delete-account", "/settings/delete-account", { email });
}

describe("self-service deletion", () => {
  it("erases the person everywhere, keeps the ledger, tombstones the email; histories hold no PII", async () => {
    const who = { email: "Dora.Delete@Example.com", name: "Dora Deletemeier" };
    const email = who.email.toLowerCase();
    const p = await personWithHistory(who);

    const profile = await p.me.get("/settings/profile");
    expect(profile.body).toContain('href="/settings/delete-account"');
    const page = await p.me.get("/settings/delete-account");
    const text = pageText(page.body);
    for (const phrase of ["personal data", "unsubscribes you from all mailing lists", "cannot be undone", "can never be used again"])
      expect(text).toContain(phrase);

    // The scan below can find the person: before the deletion, it does.
    const subject = localSubject("google", email);
    const dumpBefore = (await databaseText(t.db)).toLowerCase();
    for (const n of [email, who.name.toLowerCase(), subject]) expect(dumpBefore).toContain(n);

    const done = await requestDeletion(p.me, who.email); // typed as shown, any case
    expect(done.status).toBe(302);
    expect(new URL(done.location!).pathname).toBe("/goodbye");
    expect(pageText((await p.me.get("/goodbye")).body)).toContain("Your account is being deleted");

    // At once, in the request: key dead, sessions ended, account "deleting".
    const api = await fetch(`${t.app.url}/v1/account`, { headers: { Authorization: `Bearer ${p.key}` } });
    expect(api.status).toBe(401);
    expect((await p.me.request("/settings/profile")).location).toContain("/login");
    expect((await t.db.selectFrom("accounts").select("status").where("id", "=", p.accountId).executeTakeFirstOrThrow()).status).toBe("deleting");
    const live = await t.db.selectFrom("sessions").select("id").where("user_id", "=", p.userId).where("revoked_at", "is", null).execute();
    expect(live).toEqual([]);

    const handle = t.temporal.client.workflow.getHandle(deleteWorkflowId(p.accountId));
    const result = await t.temporal.runWorker(realActivities(t.db, t.app.url, { mailingProvider }), () => handle.result());
    expect(result).toEqual({ outcome: "deleted" });

    const deletion = await t.db.selectFrom("account_deletions").selectAll().where("account_id", "=", p.accountId).executeTakeFirstOrThrow();
    expect(deletion.status).toBe("completed");
    expect(deletion.steps.map((s) => s.step)).toEqual([
      "requested",
      "keys_and_sessions_revoked",
      "unsubscribed:newsletter",
      "unsubscribed:product_updates",
      "provider_contacts_erased",
      "confirmation_queued",
      "confirmation_sent",
      "personal_data_erased",
      "tombstone_written",
      "completed",
    ]);
    expect(provider.state().contacts[p.userId]).toBeUndefined();
    expect(await t.db.selectFrom("accounts").select(["status", "name"]).where("id", "=", p.accountId).executeTakeFirstOrThrow()).toEqual({
      status: "deleted",
      name: "Deleted account",
    });

    // The confirmation went out (kept in the outbox here) and was then erased with the rest.
    const confirmation = await t.db.selectFrom("mail_outbox").select(["to_address", "status"]).where("kind", "=", "deletion_confirmation").execute();
    expect(confirmation).toEqual([{ to_address: null, status: "kept" }]);

    // No trace in any table, nor in any history of a workflow that ran for the account.
    const needles = [email, "dora.delete", who.name, "Deletemeier", subject];
    const dump = (await databaseText(t.db)).toLowerCase();
    for (const n of needles) expect(dump, `database dump contains ${n}`).not.toContain(n.toLowerCase());
    const workflows = [deleteWorkflowId(p.accountId), ...p.subscriptionIds.map(subscriptionSyncWorkflowId)];
    for await (const w of t.temporal.client.workflow.list({ query: `AccountId = "${p.accountId}"` })) workflows.push(w.workflowId);
    for (const id of new Set(workflows)) {
      const history = (await historyText(t.temporal.client.workflow.getHandle(id))).toLowerCase();
      for (const n of needles) expect(history, `history of ${id} contains ${n}`).not.toContain(n.toLowerCase());
    }
    // Audit rows stay (who, what, when), without the person's address.
    const audit = await t.db.selectFrom("audit_log").select(["action", "ip"]).where("actor_type", "=", "user").where("actor_id", "=", p.userId).execute();
    expect(audit.map((a) => a.action)).toContain("auth.sign_in");
    expect(audit.every((a) => a.ip === null)).toBe(true);

    // The ledger still sums, against the anonymous account id; its note lost the name.
    expect(await ledgerSum(t.db, p.accountId)).toBe(3_766n);
    const balance = await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", p.accountId).executeTakeFirstOrThrow();
    expect(balance.balance_cents).toBe("3766");
    const notes = await t.db.selectFrom("ledger_entries").select("note").where("account_id", "=", p.accountId).where("note", "is not", null).execute();
    expect(notes).toEqual([{ note: "welcome credit for [erased]" }]);

    // The same email can never sign up again, through either provider.
    for (const prov of ["google", "github"] as const) {
      const again = await new UserAgent(t.app.url).signIn(prov, who);
      expect(pageText(again.body), prov).toContain("cannot be used to create a new account");
    }
    expect(await t.db.selectFrom("users").select("id").where("email", "=", email).execute()).toEqual([]);
  });

  it("refuses without the typed email, with a wrong email, after a stale sign-in, and for a sole owner with members; nothing changes", async () => {
    const who = { email: "rita@example.com", name: "Rita Refused" };
    const me = new UserAgent(t.app.url);
    await me.signIn("github", who);
    const { account_id: accountId, user_id: userId } = await t.db
      .selectFrom("memberships")
      .innerJoin("users", "users.id", "memberships.user_id")
      .select(["memberships.account_id", "memberships.user_id"])
      .where("users.email", "=", who.email)
      .executeTakeFirstOrThrow();
    const checksum = async () =>
      (
        await sql<{ sum: string }>`SELECT md5(string_agg(x, ',' ORDER BY x)) AS sum FROM (
          SELECT a::text AS x FROM accounts a UNION ALL SELECT k.id || k.status FROM api_keys k
          UNION ALL SELECT s.id || coalesce(s.revoked_at::text, '') FROM sessions s UNION ALL SELECT d::text FROM account_deletions d) q`.execute(t.db)
      ).rows[0]!.sum;
    const before = await checksum();

    const empty = await requestDeletion(me, "");
    expect(empty.status).toBe(400);
    expect(pageText(empty.body)).toContain("Type your email address to confirm.");
    const wrong = await requestDeletion(me, "someone-else@example.com");
    expect(wrong.status).toBe(400);
    expect(pageText(wrong.body)).toContain("That is not the email address of this account.");
    const forged = await me.request("/settings/delete-account", { form: { email: who.email, csrf: "forged" } });
    expect(forged.status).toBe(403);

    const other = await t.db
      .insertInto("users")
      .values({ email: "member@example.com", name: "M", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: accountId, user_id: other.id, role: "member" }).execute();
    const withMembers = await requestDeletion(me, who.email);
    expect(withMembers.status).toBe(409);
    expect(pageText(withMembers.body)).toContain("Remove them or hand over ownership first");
    await t.db.deleteFrom("memberships").where("user_id", "=", other.id).execute();
    await t.db.deleteFrom("users").where("id", "=", other.id).execute();

    await t.db
      .updateTable("sessions")
      .set({ created_at: sql`now() - interval '11 minutes'` })
      .where("user_id", "=", userId)
      .execute();
    const page = await me.get("/settings/delete-account");
    expect(pageText(page.body)).toContain("sign in again first");
    expect(page.body).not.toContain('name="email"');
    const stale = await requestDeletion(me, who.email);
    expect(stale.status).toBe(403);
    expect(pageText(stale.body)).toContain("sign in again first");

    await t.db
      .updateTable("sessions")
      .set({ created_at: sql`now()` })
      .where("user_id", "=", userId)
      .execute();
    expect(await checksum()).toBe(before);
    // After a fresh sign-in, the same request goes through.
    expect((await requestDeletion(me, who.email)).status).toBe(302);
  });
});

describe("deletion against a failing provider and a crashing worker", () => {
  it("retries failed unsubscribe calls and completes", async () => {
    const p = await personWithHistory({ email: "flaky@example.com", name: "Flo Flaky" });
    expect((await requestDeletion(p.me, "flaky@example.com")).status).toBe(302);
    provider.control({ failNext: 3, failOn: "unsubscribe", failStatus: 503 });
    const failedBefore = provider.state().failed;
    const handle = t.temporal.client.workflow.getHandle(deleteWorkflowId(p.accountId));
    expect(await t.temporal.runWorker(realActivities(t.db, t.app.url, { mailingProvider }), () => handle.result())).toEqual({ outcome: "deleted" });
    expect(provider.state().failed - failedBefore).toBe(3);
    expect(provider.state().contacts[p.userId]).toBeUndefined();
    const steps = (await t.db.selectFrom("account_deletions").select("steps").where("account_id", "=", p.accountId).executeTakeFirstOrThrow()).steps;
    expect(steps.filter((s) => s.step.startsWith("unsubscribed:"))).toHaveLength(2);
  });

  function crashingWorker(taskQueue: string, crashAt: string): Promise<ChildProcess> {
    const child = fork(path.join(root, "test/fixtures/crashing-worker.ts"), [], {
      cwd: root,
      execArgv: ["--import", "tsx"],
      env: {
        NODE_ENV: "test",
        PATH: process.env.PATH,
        DATABASE_URL: t.databaseUrl,
        TEMPORAL_ADDRESS: inject("temporalAddress"),
        TASK_QUEUE: taskQueue,
        CRASH_AT: crashAt,
        ...providerEnv,
      },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    return new Promise((resolve, reject) => {
      child.once("message", () => resolve(child));
      child.once("exit", (code, signal) => reject(new Error(`crashing worker exited early (${signal ?? code})`)));
    });
  }

  const CRASH_POINTS = ["after:unsubscribeAccountFromList", "after:sendDeletionConfirmation", "after:eraseAccountPersonalData"];

  it("a worker SIGKILLed mid-deletion is replaced and nothing is done twice", { timeout: 180_000 }, async () => {
    // One Temporal task queue per crash point, so each crashing worker is the only one that can pick up its deletion.
    const cases = await Promise.all(
      CRASH_POINTS.map(async (crashAt, i) => {
        const env = await temporalTestEnv();
        const who = { email: `crash-${i}@example.com`, name: `Crash Person${i}` };
        const p = await personWithHistory(who, env);
        const child = await crashingWorker(env.taskQueue, crashAt);
        const died = new Promise<NodeJS.Signals | null>((r) => child.once("exit", (_c, signal) => r(signal)));
        const app = { ...t.app.services, temporal: env.client, config: parseConfig({ TEMPORAL_TASK_QUEUE: env.taskQueue, ...providerEnv }) };
        const started = await startDeletion(
          app,
          { accountId: p.accountId, source: "self", userId: p.userId, staffId: null, reason: "" },
          { type: "user", id: p.userId },
        );
        expect(started.ok).toBe(true);
        const handle = env.client.workflow.getHandle(deleteWorkflowId(p.accountId));
        const result = await died.then(() => env.runWorker(realActivities(t.db, t.app.url, { mailingProvider }), () => handle.result()));
        return { crashAt, env, p, result, signal: await died };
      }),
    );
    for (const c of cases) {
      expect(c.signal, c.crashAt).toBe("SIGKILL");
      expect(c.result, c.crashAt).toEqual({ outcome: "deleted" });
      const steps = (await t.db.selectFrom("account_deletions").select("steps").where("account_id", "=", c.p.accountId).executeTakeFirstOrThrow()).steps.map(
        (s) => s.step,
      );
      expect(new Set(steps).size, `${c.crashAt}: each step recorded once`).toBe(steps.length);
      expect(steps.at(-1)).toBe("completed");
      const mails = await t.db
        .selectFrom("mail_outbox")
        .select("id")
        .where("kind", "=", "deletion_confirmation")
        .where("related_id", "=", c.p.accountId)
        .execute();
      expect(mails, `${c.crashAt}: one confirmation`).toHaveLength(1);
      const deleted = await t.db.selectFrom("audit_log").select("id").where("action", "=", "account.deleted").where("target_id", "=", c.p.accountId).execute();
      expect(deleted, c.crashAt).toHaveLength(1);
      const stepAudits = await t.db
        .selectFrom("audit_log")
        .select(sql<string>`details->>'step'`.as("step"))
        .where("action", "=", "account.deletion_step")
        .where("target_id", "=", c.p.accountId)
        .execute();
      expect(stepAudits.length, `${c.crashAt}: each step audited once`).toBe(new Set(stepAudits.map((s) => s.step)).size);
      expect(await t.db.selectFrom("users").select("email").where("id", "=", c.p.userId).executeTakeFirstOrThrow()).toEqual({ email: null });
      const tombstones = await t.db.selectFrom("email_tombstones").select("created_at").execute();
      expect(tombstones.length).toBeGreaterThanOrEqual(1);
      await c.env.close();
    }
    expect(await t.db.selectFrom("email_tombstones").select("created_at").execute()).toHaveLength(CRASH_POINTS.length);
  });
});
