/** Starts the `recharge` workflow for an account; at most one runs per account (its id says so). */
import { WorkflowExecutionAlreadyStartedError, type Client } from "@temporalio/client";
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from "@temporalio/common";
import { forAccount, rechargeWorkflowId, type RechargeInput } from "../workflows/shared.js";
import type { Logger } from "./logger.server.js";

export async function startRecharge(temporal: Client, taskQueue: string, accountId: string, logger: Logger): Promise<void> {
  const args: [RechargeInput] = [{ accountId }];
  try {
    await temporal.workflow.start("recharge", {
      taskQueue,
      workflowId: rechargeWorkflowId(accountId),
      args,
      typedSearchAttributes: forAccount(accountId),
      // A recharge already running covers this debit too.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    // The next debit below the threshold tries again; the debit itself stands.
    logger.warn({ accountId, err: err instanceof Error ? err.message : String(err) }, "could not start recharge");
  }
}
