/** Activities of the recharge workflow: plan, charge (idempotent at the provider), credit (idempotent in the ledger). */
import type { Db } from "../db/connection.js";
import { accountBalanceAndStatus } from "../app/models/accounts.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { getRechargeRule, recordRechargeOutcome } from "../app/models/recharge-rules.server.js";
import type { ChargeResult, PaymentProvider } from "../app/payments/payment-provider.js";
import { actor } from "./common.js";

export function rechargeActivities({ db, payments }: { db: Db; payments: PaymentProvider }) {
  return {
    /** How much to charge now (amounts are not PII), or null when the rule no longer calls for it. */
    async planRecharge(accountId: string): Promise<{ amountCents: string; paymentMethod: string } | null> {
      const [rule, account] = await Promise.all([getRechargeRule(db, accountId), accountBalanceAndStatus(db, accountId)]);
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
  };
}
