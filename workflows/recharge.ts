import { proxyActivities, workflowInfo } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";
import type { RechargeInput, RechargeResult } from "./shared.js";

const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "1 minute", maximumAttempts: 20 },
});

/**
 * Tops an account up to its rule's target through the payment provider, once:
 * the workflow id `recharge:<accountId>` keeps two from running at once; the
 * charge's idempotency key (this workflow run, shared by every retry of the
 * charge activity) keeps a retried charge from charging twice; the ledger's
 * idempotency key (the payment) keeps it from crediting twice. A decline, or a
 * card that needs its owner to authenticate, pauses the rule and mails the
 * owner. "pending": the provider decides later, and its webhook settles it.
 */
export async function recharge({ accountId }: RechargeInput): Promise<RechargeResult> {
  const plan = await acts.planRecharge(accountId);
  if (!plan) return { outcome: "not_needed" };
  const { workflowId, runId } = workflowInfo();
  const charge = await acts.chargeRecharge({
    accountId,
    amountCents: plan.amountCents,
    idempotencyKey: `recharge:${workflowId}:${runId}`,
  });
  if (charge.outcome === "declined" || charge.outcome === "requires_action") {
    await acts.pauseRecharge({ paymentId: charge.paymentId, outcome: charge.outcome, code: charge.code });
    return { outcome: charge.outcome, code: charge.code };
  }
  if (charge.outcome === "pending") return { outcome: "pending", amountCents: plan.amountCents };
  await acts.applyRecharge({ paymentId: charge.paymentId });
  return { outcome: "recharged", amountCents: plan.amountCents };
}
