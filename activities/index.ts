/**
 * The activities workflows call: thin, idempotent, each a call into app/models.
 * They return ids, counts and codes only, never personal data.
 */
import { Context } from "@temporalio/activity";
import type { Db } from "../db/connection.js";
import { workflowActor, writeAudit } from "../app/models/audit.server.js";
import {
  blockAccount,
  getStatusChange,
  recordStatusChangeStep,
  unblockAccount,
} from "../app/models/accounts.server.js";
import { revokeAccountSessions } from "../app/models/sessions.server.js";
import { revokeAccountKeys } from "../app/models/api-keys.server.js";
import type { StatusChangeInput } from "../workflows/shared.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { getRechargeRule, recordRechargeOutcome } from "../app/models/recharge-rules.server.js";
import type { ChargeResult, PaymentProvider } from "../app/payments/payment-provider.js";

export interface ActivityDeps {
  db: Db;
  payments: PaymentProvider;
}

/** Audit rows written by an activity name the workflow that ran it. */
function actor() {
  // Activities here always run for a workflow; the fallback only keeps the audit row valid.
  return workflowActor(Context.current().info.workflowExecution?.workflowId ?? "unknown-workflow");
}

const step = (name: string, outcome: string) => ({ step: name, outcome, at: new Date().toISOString() });

export function createActivities({ db, payments }: ActivityDeps) {
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

    /** How much to charge now (amounts are not PII), or null when the rule no longer calls for it. */
    async planRecharge(accountId: string): Promise<{ amountCents: string; paymentMethod: string } | null> {
      const [rule, account] = await Promise.all([
        getRechargeRule(db, accountId),
        db.selectFrom("accounts").select(["balance_cents", "status"]).where("id", "=", accountId).executeTakeFirst(),
      ]);
      if (!rule || !rule.enabled || rule.paused_reason || !account || account.status !== "active") return null;
      const balance = BigInt(account.balance_cents);
      if (balance >= BigInt(rule.threshold_cents)) return null;
      return { amountCents: (BigInt(rule.target_cents) - balance).toString(), paymentMethod: rule.payment_method };
    },

    async chargeRecharge(input: { accountId: string; amountCents: string; paymentMethod: string; idempotencyKey: string }): Promise<ChargeResult> {
      return payments.charge({ idempotencyKey: input.idempotencyKey, amountCents: BigInt(input.amountCents), paymentMethod: input.paymentMethod });
    },

    async applyRecharge(input: { accountId: string; amountCents: string; chargeId: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const result = await postLedgerEntry(trx, {
          accountId: input.accountId,
          amountCents: BigInt(input.amountCents),
          kind: "recharge",
          idempotencyKey: `recharge:${input.chargeId}`,
          actor: actor(),
        });
        if (result.status !== "created") return; // a retry: credited already
        await recordRechargeOutcome(trx, input.accountId, "recharged", null);
        await writeAudit(trx, actor(), {
          action: "billing.recharged",
          targetType: "account",
          targetId: input.accountId,
          details: { amount_cents: input.amountCents, ledger_entry_id: result.entry.id, provider: payments.name },
        });
      });
    },

    async pauseRecharge(input: { accountId: string; code: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await recordRechargeOutcome(trx, input.accountId, `declined: ${input.code}`, input.code);
        await writeAudit(trx, actor(), {
          action: "billing.recharge_declined",
          targetType: "account",
          targetId: input.accountId,
          details: { code: input.code, provider: payments.name },
        });
      });
    },

    async failStatusChange({ changeId, code }: { changeId: string; code: string }): Promise<void> {
      await recordStatusChangeStep(db, { changeId, step: step("failed", code), status: "failed", error: code }, actor());
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
