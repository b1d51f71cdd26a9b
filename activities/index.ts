/**
 * The activities workflows call: thin, idempotent, each a call into app/models.
 * They return ids, counts and codes only, never personal data.
 */
import { Context } from "@temporalio/activity";
import type { Db } from "../db/connection.js";
import { workflowActor } from "../app/models/audit.server.js";
import {
  blockAccount,
  endAccountSessions,
  getStatusChange,
  recordStatusChangeStep,
  unblockAccount,
} from "../app/models/accounts.server.js";
import type { StatusChangeInput } from "../workflows/shared.js";

export interface ActivityDeps {
  db: Db;
}

function currentWorkflowId(): string {
  // Activities here always run for a workflow; the fallback only keeps the audit row valid.
  return Context.current().info.workflowExecution?.workflowId ?? "unknown-workflow";
}

const step = (name: string, outcome: string) => ({ step: name, outcome, at: new Date().toISOString() });

export function createActivities({ db }: ActivityDeps) {
  return {
    async markStatusChangeRunning(changeId: string): Promise<void> {
      await recordStatusChangeStep(db, changeId, step("started", "ok"), "running");
    },

    async setAccountBlocked({ accountId, changeId }: StatusChangeInput): Promise<{ changed: boolean }> {
      return db.transaction().execute(async (trx) => {
        const change = await getStatusChange(trx, changeId);
        const reason = change?.reason_code ?? "other";
        const result = await blockAccount(trx, accountId, reason, workflowActor(currentWorkflowId()));
        await recordStatusChangeStep(trx, changeId, step("status_blocked", result.changed ? "blocked" : "already_blocked"));
        return result;
      });
    },

    async setAccountUnblocked({ accountId, changeId }: StatusChangeInput): Promise<{ changed: boolean }> {
      return db.transaction().execute(async (trx) => {
        const result = await unblockAccount(trx, accountId, workflowActor(currentWorkflowId()));
        await recordStatusChangeStep(trx, changeId, step("status_active", result.changed ? "unblocked" : "already_active"));
        return result;
      });
    },

    async endAccountSessions({ accountId, changeId }: StatusChangeInput): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const ended = await endAccountSessions(trx, accountId, "account_blocked", workflowActor(currentWorkflowId()));
        await recordStatusChangeStep(trx, changeId, step("sessions_ended", String(ended)));
        return ended;
      });
    },

    async completeStatusChange({ changeId, outcome }: { changeId: string; outcome: string }): Promise<void> {
      await recordStatusChangeStep(db, changeId, step("completed", outcome), "completed");
    },

    async failStatusChange({ changeId, code }: { changeId: string; code: string }): Promise<void> {
      await recordStatusChangeStep(db, changeId, step("failed", code), "failed", code);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
