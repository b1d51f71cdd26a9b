/**
 * The console's workflow list and workflow page over HTTP, against real
 * workflows on the run's Temporal dev server: what the list finds and filters,
 * what a workflow page shows (step, input ids, a timeline with every attempt),
 * and who may cancel, terminate or retry — each action audited, bad input
 * changing nothing.
 */
import { Context } from "@temporalio/activity";
import type { WorkflowHandle } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { requestStatusChange } from "../app/services/account-status.server.js";
import type { StaffRole } from "../db/schema.js";
import { transferStatusQuery } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { historyText } from "./helpers/pii-scan.js";
import { seedStaffOfEachRole, staffAgent as staffAgentFor, staffEmail, staffIdByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { startTestTransfer } from "./helpers/transfers.js";
import { pageText, UserAgent } from "./helpers/user-agent.js";

const t = useSuite({ app: true });

/** Visibility is eventually consistent: list assertions poll up to this long. */
const VISIBLE_WITHIN = { timeout: 15_000, interval: 250 };

const started: WorkflowHandle[] = [];
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate("test over").catch(() => undefined); // already finished: nothing to end
});

const staffAgent = (role: StaffRole) => staffAgentFor(t.app.url, role);
const staffId = (role: StaffRole) => staffIdByEmail(t.db, staffEmail(role));
/** An old account and, owned by the new address, the account it moves to: verification passes and the transfer waits for confirmation. */
async function transferPair() {
  const n = crypto.randomUUID().slice(0, 8);
  const old = await accountWithKey(t.db, { email: `old-${n}@example.com` });
  await accountWithKey(t.db, { email: `new-${n}@example.com` });
  return { ...old, newAddress: `new-${n}@example.com` };
}
const page = (workflowId: string) => `/console/workflows/${encodeURIComponent(workflowId)}`;

/** A block the way the console asks for one; the handle of the workflow it started. */
async function block(accountId: string) {
  const sid = await staffId("support");
  const r = await requestStatusChange(
    t.app.services,
    { accountId, action: "block", reasonCode: "abuse", reasonText: "test", staffId: sid },
    { type: "staff", id: sid },
  );
  if (!r.ok) throw new Error(r.message);
  const handle = t.temporal.client.workflow.getHandle(r.workflowId);
  started.push(handle);
  return handle;
}

const statusOf = async (h: WorkflowHandle) => (await h.describe()).status.name;
const auditFor = (workflowId: string) =>
  t.db
    .selectFrom("audit_log")
    .select(["action", "actor_type", "actor_id", "target_type", "details"])
    .where("target_id", "=", workflowId)
    .orderBy("id")
    .execute();

/** Polls a list URL until its text satisfies `check`. */
async function pollList(ua: UserAgent, url: string, check: (text: string) => boolean) {
  await expect
    .poll(async () => {
      const hop = await ua.get(url);
      expect(hop.status).toBe(200);
      return check(pageText(hop.body));
    }, VISIBLE_WITHIN)
    .toBe(true);
}

describe("the workflow list", () => {
  it("shows completed, running, failed and terminated workflows and filters them by status, type, account and ticket", async () => {
    const done = await accountWithKey(t.db);
    const old = await transferPair();
    const failing = await accountWithKey(t.db);
    const stuck = await accountWithKey(t.db);

    const real = realActivities(t.db, t.app.url);
    const { completed, transfer } = await t.temporal.runWorker(real, async () => {
      const completed = await block(done.accountId);
      await completed.result();
      const transfer = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: old.newAddress },
      );
      started.push(transfer.handle);
      // Left waiting for the new address to confirm: it stays running.
      await expect.poll(async () => (await transfer.handle.query(transferStatusQuery)).step, VISIBLE_WITHIN).toBe("awaiting_confirmation");
      return { completed, transfer };
    });

    const broken = {
      ...real,
      async markStatusChangeRunning(): Promise<void> {
        throw ApplicationFailure.nonRetryable("the status change table is gone", "test_broken");
      },
    };
    const failed = await t.temporal.runWorker(broken, async () => {
      const h = await block(failing.accountId);
      await expect(h.result()).rejects.toThrow();
      return h;
    });

    // No worker: this block stays running until an operator terminates it from its page.
    const running = await block(stuck.accountId);
    const operator = await staffAgent("operator");
    const terminated = await operator.submit(page(running.workflowId), page(running.workflowId), {
      intent: "terminate",
      run: (await running.describe()).runId,
      reason: "stuck in a test",
    });
    expect(terminated.status).toBe(200);
    expect(pageText(terminated.body)).toContain("Terminated.");
    expect(await statusOf(running)).toBe("TERMINATED");

    const support = await staffAgent("support");
    await pollList(support, `/console/workflows?account=${done.accountId}`, (x) => x.includes(completed.workflowId) && x.includes("completed"));
    await pollList(support, `/console/workflows?account=${done.accountId}&status=Completed&type=blockAccount`, (x) => x.includes(completed.workflowId));
    await pollList(support, `/console/workflows?account=${failing.accountId}&status=Failed`, (x) => x.includes(failed.workflowId) && x.includes("failed"));
    await pollList(
      support,
      `/console/workflows?account=${stuck.accountId}&status=Terminated`,
      (x) => x.includes(running.workflowId) && x.includes("terminated"),
    );
    await pollList(
      support,
      `/console/workflows?ticket=${transfer.ticketId}&status=Running&type=emailTransfer`,
      (x) => x.includes(transfer.handle.workflowId) && x.includes("running"),
    );
    // The filters exclude as well as include.
    const wrongStatus = pageText((await support.get(`/console/workflows?account=${done.accountId}&status=Failed`)).body);
    expect(wrongStatus).not.toContain(completed.workflowId);
    expect(wrongStatus).toContain("No workflow matches this filter.");
    expect(pageText((await support.get(`/console/workflows?ticket=${transfer.ticketId}&type=blockAccount`)).body)).not.toContain(transfer.handle.workflowId);
    // A time range that ended before any of them started.
    expect(pageText((await support.get(`/console/workflows?account=${done.accountId}&to=2000-01-01`)).body)).not.toContain(completed.workflowId);

    // The row links to the workflow page.
    const list = (await support.get(`/console/workflows?account=${done.accountId}`)).body;
    expect(list).toContain(`href="/console/workflows/${encodeURIComponent(completed.workflowId)}?run=`);
  });

  it("answers 400 to a bad filter, never 500, and is staff only", async () => {
    const support = await staffAgent("support");
    for (const q of [
      "status=Bogus",
      "type=deleteEverything",
      "account=not-a-uuid",
      `account=${encodeURIComponent("x' OR WorkflowId != '")}`,
      "ticket=1",
      "from=2025-13-45",
      "from=yesterday",
      "page=%21%21",
      "from=2025-02-01&to=2025-01-01",
    ]) {
      const hop = await support.request(`/console/workflows?${q}`);
      expect(hop.status, q).toBe(400);
    }
    // A well-formed token the server does not know.
    expect((await support.request(`/console/workflows?page=${Buffer.from("not a token").toString("base64url")}`)).status).toBe(400);
    expect((await support.request("/console/workflows?status=&type=")).status).toBe(200);

    const customer = new UserAgent(t.app.url);
    await customer.signIn("google", { email: "customer@example.com" });
    expect((await customer.request("/console/workflows")).status).toBe(404);
    expect((await customer.request(page(`block-account:${crypto.randomUUID()}`))).status).toBe(404);
  });
});

describe("the workflow page", () => {
  it("shows a transfer's current step and its ticket; a block's account", async () => {
    const old = await transferPair();
    const support = await staffAgent("support");
    await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const transfer = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: old.newAddress },
      );
      started.push(transfer.handle);
      await expect.poll(async () => (await transfer.handle.query(transferStatusQuery)).step, VISIBLE_WITHIN).toBe("awaiting_confirmation");
      const hop = await support.get(page(transfer.handle.workflowId));
      expect(hop.status).toBe(200);
      const text = pageText(hop.body);
      expect(text).toContain("awaiting confirmation");
      expect(text).toContain("emailTransfer");
      expect(hop.body).toContain(`href="/console/tickets/${transfer.ticketId}"`);
      expect(text).toContain("verifyTransfer"); // its first activity, on the timeline
      expect(text).toContain("Raw events");
      expect(text).toContain("WorkflowExecutionStarted");
      // Support watches, without buttons.
      expect(text).toContain("Only operators and admins");
      expect(hop.body).not.toContain('value="terminate"');
    });
    const blocked = await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const h = await block(old.accountId);
      await h.result();
      return h;
    });
    const hop = await support.get(page(blocked.workflowId));
    expect(hop.body).toContain(`href="/console/accounts/${old.accountId}"`);
    expect(pageText(hop.body)).toContain("Status completed");
  });

  it("shows every attempt of an activity that failed once and then succeeded", async () => {
    const acct = await accountWithKey(t.db);
    const real = realActivities(t.db, t.app.url);
    const flaky = {
      ...real,
      async markStatusChangeRunning(changeId: string): Promise<void> {
        if (Context.current().info.attempt === 1) throw new Error("database hiccup");
        return real.markStatusChangeRunning(changeId);
      },
    };
    const h = await t.temporal.runWorker(flaky, async () => {
      const h = await block(acct.accountId);
      await h.result();
      return h;
    });
    const operator = await staffAgent("operator");
    const text = pageText((await operator.get(page(h.workflowId))).body);
    const item = text.slice(text.indexOf("markStatusChangeRunning"), text.indexOf("setAccountBlocked"));
    expect(item).toContain("Attempt 1: failed — database hiccup");
    expect(item).toContain("Attempt 2: completed");
    // Activities that succeeded at once show a single attempt.
    const next = text.slice(text.indexOf("setAccountBlocked"));
    expect(next).toContain("Attempt 1: completed");
    expect(next).not.toContain("Attempt 2");
  });
});

describe("actions on a workflow", () => {
  it("terminate needs a reason; terminate and cancel by an operator are audited; the reason stays out of the history", async () => {
    const a = await accountWithKey(t.db);
    const b = await accountWithKey(t.db);
    const first = await block(a.accountId); // no worker: both stay running
    const second = await block(b.accountId);
    const operator = await staffAgent("operator");
    const opId = await staffId("operator");

    const noReason = await operator.submit(page(first.workflowId), page(first.workflowId), {
      intent: "terminate",
      run: (await first.describe()).runId,
      reason: "   ",
    });
    expect(noReason.status).toBe(400);
    expect(pageText(noReason.body)).toContain("Say why the workflow is terminated");
    expect(await statusOf(first)).toBe("RUNNING");
    expect(await auditFor(first.workflowId)).toEqual([]);

    const ok = await operator.submit(page(first.workflowId), page(first.workflowId), {
      intent: "terminate",
      run: (await first.describe()).runId,
      reason: "customer jane@example.com asked",
    });
    expect(ok.status).toBe(200);
    expect(await statusOf(first)).toBe("TERMINATED");
    expect(await auditFor(first.workflowId)).toEqual([
      {
        action: "workflow.terminated",
        actor_type: "staff",
        actor_id: opId,
        target_type: "workflow",
        details: expect.objectContaining({ reason: "customer jane@example.com asked" }),
      },
    ]);
    expect(await historyText(first)).not.toContain("jane@example.com");

    const cancelled = await operator.submit(page(second.workflowId), page(second.workflowId), {
      intent: "cancel",
      run: (await second.describe()).runId,
      reason: "",
    });
    expect(cancelled.status).toBe(200);
    expect(pageText(cancelled.body)).toContain("Cancellation requested");
    expect((await auditFor(second.workflowId)).map((r) => [r.action, r.actor_id])).toEqual([["workflow.cancel_requested", opId]]);
    const events = pageText((await operator.get(page(second.workflowId))).body);
    expect(events).toContain("WorkflowExecutionCancelRequested");

    // A finished workflow: refused, nothing audited.
    const late = await operator.submit(page(first.workflowId), page(first.workflowId), { intent: "cancel", run: (await first.describe()).runId });
    expect(late.status).toBe(409);
    expect(pageText(late.body)).toContain("This workflow is terminated");
    expect(await auditFor(first.workflowId)).toHaveLength(1);
  });

  it("support gets 403 on POST and non-staff 404; nothing changes", async () => {
    const a = await accountWithKey(t.db);
    const h = await block(a.accountId);
    const runId = (await h.describe()).runId;
    const support = await staffAgent("support");
    const sup = await support.submit(page(h.workflowId), page(h.workflowId), { intent: "terminate", run: runId, reason: "x" });
    expect(sup.status).toBe(403);

    const customer = new UserAgent(t.app.url);
    await customer.signIn("google", { email: "someone@example.com" });
    const csrf = UserAgent.csrfFrom((await customer.get("/settings/api-keys")).body);
    const cust = await customer.request(page(h.workflowId), { form: { csrf, intent: "terminate", run: runId, reason: "x" } });
    expect(cust.status).toBe(404);

    expect(await statusOf(h)).toBe("RUNNING");
    expect(await auditFor(h.workflowId)).toEqual([]);
  });

  it("retry now starts a backing-off activity's next attempt at once, audited; refused when nothing waits", async () => {
    const a = await accountWithKey(t.db);
    const real = realActivities(t.db, t.app.url);
    let healthy = false;
    const flaky = {
      ...real,
      async markStatusChangeRunning(changeId: string): Promise<void> {
        if (!healthy) throw new Error("still broken");
        return real.markStatusChangeRunning(changeId);
      },
    };
    const operator = await staffAgent("operator");
    await t.temporal.runWorker(flaky, async () => {
      const h = await block(a.accountId);
      const runId = (await h.describe()).runId;
      // Wait until the third attempt has failed: the next one is then 4 s away.
      let nextAttempt = 0;
      await expect
        .poll(async () => {
          const p = (await h.describe()).raw.pendingActivities?.[0];
          nextAttempt = p?.nextAttemptScheduleTime ? Number(p.nextAttemptScheduleTime.seconds) * 1000 : 0;
          return (p?.attempt ?? 0) >= 4 && p?.state === 1;
        }, VISIBLE_WITHIN)
        .toBe(true);
      const waiting = pageText((await operator.get(page(h.workflowId))).body);
      expect(waiting).toContain("still broken");
      healthy = true;
      const hop = await operator.submit(page(h.workflowId), page(h.workflowId), { intent: "retry", run: runId });
      expect(hop.status).toBe(200);
      expect(pageText(hop.body)).toContain("Retrying now");
      await h.result();
      const closed = (await h.describe()).closeTime?.getTime() ?? Infinity;
      expect(closed).toBeLessThan(nextAttempt); // it did not wait for the scheduled attempt
      expect((await auditFor(h.workflowId)).map((r) => r.action)).toEqual(["workflow.retry_requested"]);
    });

    // A running workflow with nothing backing off: nothing to retry.
    const b = await accountWithKey(t.db);
    const idle = await block(b.accountId); // no worker: its first activity waits for one, on attempt 1
    const refused = await operator.submit(page(idle.workflowId), page(idle.workflowId), { intent: "retry", run: (await idle.describe()).runId });
    expect(refused.status).toBe(409);
    expect(pageText(refused.body)).toContain("nothing to retry now");
    expect(await auditFor(idle.workflowId)).toEqual([]);
  });
});
