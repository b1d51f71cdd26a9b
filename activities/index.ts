/**
 * The activities workflows call: thin, idempotent, each a call into app/models.
 * They return ids, counts and codes only, never personal data.
 */
import { Context } from "@temporalio/activity";
import type { Db } from "../db/connection.js";
import { workflowActor } from "../app/models/audit.server.js";
import {
  blockAccount,
  getStatusChange,
  recordStatusChangeStep,
  unblockAccount,
} from "../app/models/accounts.server.js";
import { revokeAccountSessions } from "../app/models/sessions.server.js";
import type { StatusChangeInput } from "../workflows/shared.js";

export interface ActivityDeps {
  db: Db;
}

/** Audit rows written by an activity name the workflow that ran it. */
function actor() {
  // Activities here always run for a workflow; the fallback only keeps the audit row valid.
  return workflowActor(Context.current().info.workflowExecution?.workflowId ?? "unknown-workflow");
}

const step = (name: string, outcome: string) => ({ step: name, outcome, at: new Date().toISOString() });

export function createActivities({ db }: ActivityDeps) {
  return {
    async markStatusChangeRunning(changeId: string): Promise<void> {
      await recordStatusChangeStep(db, { changeId, step: step("started", "ok"), status: "running" }, actor());
    },

    async setAccountBlocked({ accountId, changeId }: StatusChangeInput): Promise<{ changed: boolean }> {
      return db.transaction().execute(async (trx) => {
        const change = await getStatusChange(trx, changeId);
        const reason = change?.reason_code ?? "other";
        const result = await blockAccount(trx, accountId, reason, actor());
        await recordStatusChangeStep(trx, { changeId, step: step("status_blocked", result.changed ? "blocked" : "already_blocked") }, actor());
        return result;
      });
    },

    async setAccountUnblocked({ accountId, changeId }: StatusChangeInput): Promise<{ changed: boolean }> {
      return db.transaction().execute(async (trx) => {
        const result = await unblockAccount(trx, accountId, actor());
        await recordStatusChangeStep(trx, { changeId, step: step("status_active", result.changed ? "unblocked" : "already_active") }, actor());
        return result;
      });
    },

    async endAccountSessions({ accountId, changeId }: StatusChangeInput): Promise<number> {
      return db.transaction().execute(async (trx) => {
        // Audited by the step record (once), not per call: a retry may end 0 more sessions.
        const ended = await revokeAccountSessions(trx, accountId, "account_blocked");
        await recordStatusChangeStep(trx, { changeId, step: step("sessions_ended", String(ended)) }, actor());
        return ended;
      });
    },

    async completeStatusChange({ changeId, outcome }: { changeId: string; outcome: string }): Promise<void> {
      await recordStatusChangeStep(db, { changeId, step: step("completed", outcome), status: "completed" }, actor());
    },

    async failStatusChange({ changeId, code }: { changeId: string; code: string }): Promise<void> {
      await recordStatusChangeStep(db, { changeId, step: step("failed", code), status: "failed", error: code }, actor());
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
