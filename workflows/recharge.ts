import { proxyActivities, workflowInfo } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";
import type { RechargeInput, RechargeResult } from "./shared.js";

const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "1 minute", maximumAttempts: 20 },
});

/**
 * Tops an account up to its rule's target through the payment provider, once:
 * the workflow id `recharge:<accountId>` keeps two from running at once, the
 * charge's idempotency key (this run) keeps a retried charge from charging
 * twice, and the ledger's idempotency key (the charge) keeps it from crediting
 * twice. A decline pauses the rule.
 */
export async function recharge({ accountId }: RechargeInput): Promise<RechargeResult> {
  const plan = await acts.planRecharge(accountId);
  if (!plan) return { outcome: "not_needed" };
  const charge = await acts.chargeRecharge({
    accountId,
    amountCents: plan.amountCents,
    paymentMethod: plan.paymentMethod,
    idempotencyKey: `recharge:${workflowInfo().runId}`,
  });
  if (charge.outcome === "declined") {
    await acts.pauseRecharge({ accountId, code: charge.code });
    return { outcome: "declined", code: charge.code };
  }
  await acts.applyRecharge({ accountId, amountCents: plan.amountCents, chargeId: charge.chargeId });
  return { outcome: "recharged", amountCents: plan.amountCents };
}
