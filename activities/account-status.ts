/** Activities of blockAccount / unblockAccount: each idempotent, each step recorded and audited once. */
import type { Db } from "../db/connection.js";
import { blockAccount, getStatusChange, recordStatusChangeStep, unblockAccount } from "../app/models/accounts.server.js";
import { revokeAccountKeys } from "../app/models/api-keys.server.js";
import { revokeAccountSessions } from "../app/models/sessions.server.js";
import { waitingTransfersOf } from "../app/models/tickets.server.js";
import type { StatusChangeInput } from "../workflows/shared.js";
import { actor, step } from "./common.js";

export function accountStatusActivities({ db }: { db: Db }) {
  return {
    async markStatusChangeRunning(changeId: string): Promise<void> {
      await recordStatusChangeStep(db, { changeId, step: step("started", "ok"), status: "running" }, actor());
    },

    /** Also names the transfers still waiting on this account, which the workflow tells to re-check. */
    async setAccountBlocked({ accountId, changeId }: StatusChangeInput): Promise<{ changed: boolean; waitingTransfers: string[] }> {
      return db.transaction().execute(async (trx) => {
        const change = await getStatusChange(trx, changeId);
        const reason = change?.reason_code ?? "other";
        const result = await blockAccount(trx, accountId, reason, actor(), change?.transfer_to_account_id ?? null);
        await recordStatusChangeStep(trx, { changeId, step: step("status_blocked", result.changed ? "blocked" : "already_blocked") }, actor());
        return { ...result, waitingTransfers: await waitingTransfersOf(trx, accountId) };
      });
    },

    async setAccountUnblocked({ accountId, changeId }: StatusChangeInput): Promise<{ changed: boolean }> {
      return db.transaction().execute(async (trx) => {
        const result = await unblockAccount(trx, accountId, actor());
        await recordStatusChangeStep(trx, { changeId, step: step("status_active", result.changed ? "unblocked" : "already_active") }, actor());
        return result;
      });
    },

    async revokeAccountKeys({ accountId, changeId }: StatusChangeInput): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const revoked = await revokeAccountKeys(trx, accountId, "account_blocked");
        await recordStatusChangeStep(trx, { changeId, step: step("keys_revoked", String(revoked)) }, actor());
        return revoked;
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
