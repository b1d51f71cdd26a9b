/**
 * blockAccount / unblockAccount on the real Temporal dev server with a real
 * worker and real activities against PostgreSQL.
 */
import { createLogger } from "../../app/logger.server.js";
import { beforeEach, describe, expect, it } from "vitest";
import { realActivities } from "../helpers/activities.js";
import { requestStatusChange } from "../../app/services/account-status.server.js";
import { createSession } from "../../app/models/sessions.server.js";
import { parseConfig } from "../../app/config.server.js";
import { blockWorkflowId, statusChangeProgressQuery, unblockWorkflowId } from "../../workflows/shared.js";
import { useSuite } from "../helpers/suite.js";
import { truncateAll } from "../helpers/database.js";
import { historyText } from "../helpers/pii-scan.js";

const t = useSuite();
beforeEach(async () => {
  await truncateAll(t.db);
});

const services = () => ({
  db: t.db,
  temporal: t.temporal.client,
  config: parseConfig({ TEMPORAL_TASK_QUEUE: t.temporal.taskQueue }),
  logger: createLogger("silent", "test"),
});

async function accountWithSessions(sessions: number) {
  const db = t.db;
  const user = await db
    .insertInto("users")
    .values({ email: `u${Math.random()}@example.com`, provider: "google" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const account = await db.insertInto("accounts").values({ name: "Acme" }).returning("id").executeTakeFirstOrThrow();
  await db.insertInto("memberships").values({ account_id: account.id, user_id: user.id, role: "owner" }).execute();
  for (let i = 0; i < sessions; i++) {
    await createSession(db, { userId: user.id, accountId: account.id, staffId: null, provider: "google", ttlHours: 1, ip: null, userAgent: null });
  }
  const staff = await db.insertInto("staff").values({ email: "s@switchboard.test", role: "support" }).returning("id").executeTakeFirstOrThrow();
  return { accountId: account.id, userId: user.id, staffId: staff.id };
}

const liveSessions = async (userId: string) =>
  (await t.db.selectFrom("sessions").select("id").where("user_id", "=", userId).where("revoked_at", "is", null).execute()).length;
/** Audit rows about the account, as "action" or "action:step" for workflow steps. */
const auditActions = async (accountId: string) =>
  (await t.db.selectFrom("audit_log").select(["action", "details"]).where("target_id", "=", accountId).orderBy("id").execute()).map((r) =>
    r.action.endsWith("_step") ? `${r.action}:${(r.details as { step: string }).step}` : r.action,
  );
const BLOCK_AUDIT = [
  "account.block_requested",
  "account.block_step:started",
  "account.blocked",
  "account.block_step:status_blocked",
  "account.block_step:keys_revoked",
  "account.block_step:sessions_ended",
  "account.block_step:completed",
];

describe("blockAccount", () => {
  it("blocks, ends every session, records each step and the audit trail; the history holds ids only", async () => {
    const { accountId, userId, staffId } = await accountWithSessions(3);
    const result = await t.temporal.runWorker(realActivities(t.db), async () => {
      const started = await requestStatusChange(
        services(),
        { accountId, action: "block", reasonCode: "abuse", reasonText: "card testing from jane@example.com", staffId },
        { type: "staff", id: staffId },
      );
      if (!started.ok) throw new Error(started.message);
      expect(started.workflowId).toBe(blockWorkflowId(accountId));
      const handle = t.temporal.client.workflow.getHandle(started.workflowId);
      const out = await handle.result();
      expect(await handle.query(statusChangeProgressQuery)).toEqual({ step: "done" });
      const history = await historyText(handle);
      expect(history).not.toContain("jane@example.com");
      expect(history).not.toContain("card testing");
      return { out, changeId: started.changeId };
    });
    expect(result.out).toEqual({ outcome: "blocked", sessionsEnded: 3 });
    const account = await t.db.selectFrom("accounts").selectAll().where("id", "=", accountId).executeTakeFirstOrThrow();
    expect(account).toMatchObject({ status: "blocked", blocked_reason_code: "abuse" });
    expect(await liveSessions(userId)).toBe(0);
    const change = await t.db.selectFrom("account_status_changes").selectAll().where("id", "=", result.changeId).executeTakeFirstOrThrow();
    expect(change.status).toBe("completed");
    expect(change.steps.map((s) => s.step)).toEqual(["started", "status_blocked", "keys_revoked", "sessions_ended", "completed"]);
    expect(await auditActions(accountId)).toEqual(BLOCK_AUDIT);
    // "All workflows for account X" is one visibility query (eventually consistent: poll).
    await expect
      .poll(
        async () => {
          const ids: string[] = [];
          for await (const w of t.temporal.client.workflow.list({ query: `AccountId = '${accountId}'` })) ids.push(w.workflowId);
          return ids;
        },
        { timeout: 15_000 },
      )
      .toEqual([blockWorkflowId(accountId)]);
  });

  it("an activity that fails after committing is retried without doing anything twice", async () => {
    const { accountId, userId, staffId } = await accountWithSessions(2);
    const real = realActivities(t.db);
    const calls = { block: 0, sessions: 0 };
    const flaky = {
      ...real,
      // The work commits, then the worker "crashes" before reporting: Temporal retries the activity.
      async setAccountBlocked(input: Parameters<typeof real.setAccountBlocked>[0]) {
        calls.block++;
        const r = await real.setAccountBlocked(input);
        if (calls.block === 1) throw new Error("lost the completion");
        return r;
      },
      async endAccountSessions(input: Parameters<typeof real.endAccountSessions>[0]) {
        calls.sessions++;
        const r = await real.endAccountSessions(input);
        if (calls.sessions === 1) throw new Error("lost the completion");
        return r;
      },
    };
    const out = await t.temporal.runWorker(flaky, async () => {
      const started = await requestStatusChange(
        services(),
        { accountId, action: "block", reasonCode: "security", reasonText: "x", staffId },
        { type: "staff", id: staffId },
      );
      if (!started.ok) throw new Error(started.message);
      return t.temporal.client.workflow.getHandle(started.workflowId).result();
    });
    expect(calls).toEqual({ block: 2, sessions: 2 });
    expect(out.outcome).toBe("already_blocked"); // the retry saw the committed block
    expect(await liveSessions(userId)).toBe(0);
    // Exactly one of each audit row and each step, despite the retries.
    expect(await auditActions(accountId)).toEqual(BLOCK_AUDIT);
    const change = await t.db.selectFrom("account_status_changes").select("steps").executeTakeFirstOrThrow();
    expect(change.steps.map((s) => s.step)).toEqual(["started", "status_blocked", "keys_revoked", "sessions_ended", "completed"]);
  });

  it("a second block while one runs is refused with a clear message and writes nothing (found by the model test)", async () => {
    const { accountId, staffId } = await accountWithSessions(0);
    // No worker: the first workflow stays running.
    const first = await requestStatusChange(
      services(),
      { accountId, action: "block", reasonCode: "abuse", reasonText: "x", staffId },
      { type: "staff", id: staffId },
    );
    const audits = async () => (await t.db.selectFrom("audit_log").select("id").where("actor_id", "=", staffId).execute()).length;
    expect(first.ok).toBe(true);
    const auditsBefore = await audits();
    const second = await requestStatusChange(
      services(),
      { accountId, action: "block", reasonCode: "abuse", reasonText: "y", staffId },
      { type: "staff", id: staffId },
    );
    expect(second).toEqual({ ok: false, message: "A block of this account is already running. Wait for it to finish." });
    const rows = await t.db.selectFrom("account_status_changes").select(["status", "error"]).orderBy("created_at").execute();
    expect(rows.map((r) => r.status)).toEqual(["pending"]);
    expect(await audits()).toBe(auditsBefore);
    await t.temporal.client.workflow.getHandle(blockWorkflowId(accountId)).terminate("test cleanup");
  });
});

describe("unblockAccount", () => {
  it("unblocks a blocked account; unblocking an active one changes nothing", async () => {
    const { accountId, staffId } = await accountWithSessions(1);
    await t.db.updateTable("accounts").set({ status: "blocked", blocked_reason_code: "abuse" }).where("id", "=", accountId).execute();
    const run = () =>
      t.temporal.runWorker(realActivities(t.db), async () => {
        const started = await requestStatusChange(
          services(),
          { accountId, action: "unblock", reasonCode: "unblock", reasonText: "appeal ok", staffId },
          { type: "staff", id: staffId },
        );
        if (!started.ok) throw new Error(started.message);
        expect(started.workflowId).toBe(unblockWorkflowId(accountId));
        return t.temporal.client.workflow.getHandle(started.workflowId).result();
      });
    expect((await run()).outcome).toBe("unblocked");
    const account = await t.db.selectFrom("accounts").select(["status", "blocked_reason_code"]).where("id", "=", accountId).executeTakeFirstOrThrow();
    expect(account).toEqual({ status: "active", blocked_reason_code: null });
    expect((await run()).outcome).toBe("already_active");
    expect((await auditActions(accountId)).filter((a) => a === "account.unblocked")).toHaveLength(1);
  });
});
