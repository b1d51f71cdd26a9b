import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, condition, executeChild, proxyActivities, setHandler } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";
import { blockAccount, unblockAccount } from "./block-account.js";
import {
  approveTransferUpdate,
  blockWorkflowId,
  confirmTransferSignal,
  forAccount,
  rejectTransferUpdate,
  transferStatusQuery,
  unblockWorkflowId,
  type TransferDecision,
  type TransferInput,
  type TransferResult,
  type TransferStatus,
} from "./shared.js";

const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "1 minute", maximumAttempts: 10 },
});

const DECIDING_ROLES: TransferDecision["role"][] = ["support", "admin"];

/**
 * Moves an account to a new email address (authentication.md): verify the
 * request → the new address confirms (signal, with a deadline) → staff approve
 * (update; a large balance needs two different approvers) → block the old
 * account (child workflow) → migrate balance, plan and settings exactly once
 * → tell both addresses. The history holds ids, codes and amounts only.
 */
export async function emailTransfer(input: TransferInput): Promise<TransferResult> {
  const { ticketId } = input;
  const status: TransferStatus = { step: "verifying", failedChecks: [], approvals: 0, approvalsNeeded: 1 };
  const approvers = new Set<string>();
  let confirmed = false;
  let rejected = false;

  setHandler(transferStatusQuery, () => status);
  setHandler(confirmTransferSignal, () => {
    confirmed = true;
  });
  const validate = (decision: TransferDecision) => {
    if (!DECIDING_ROLES.includes(decision.role)) throw new Error("Approving or rejecting a transfer needs the support or admin role.");
    if (status.step !== "awaiting_approval") throw new Error(`This ticket is not waiting for a decision (it is ${status.step.replace(/_/g, " ")}).`);
    // Decided already, though the step has not moved on yet: a late decision would land on a closing ticket.
    if (rejected || approvers.size >= status.approvalsNeeded) throw new Error("This ticket has already been decided.");
  };
  setHandler(
    approveTransferUpdate,
    async ({ staffId }) => {
      await acts.recordTransferDecision({ ticketId, staffId, decision: "approve" });
      approvers.add(staffId);
      status.approvals = approvers.size;
      return status;
    },
    {
      validator: (decision) => {
        validate(decision);
        if (approvers.has(decision.staffId)) throw new Error("You already approved this ticket; the second approval must come from someone else.");
      },
    },
  );
  setHandler(
    rejectTransferUpdate,
    async ({ staffId }) => {
      await acts.recordTransferDecision({ ticketId, staffId, decision: "reject" });
      rejected = true;
      return status;
    },
    { validator: validate },
  );

  const verdict = await acts.verifyTransfer({ ticketId, confirmWithinMs: input.confirmWithinMs });
  status.failedChecks = verdict.failed;
  if (!verdict.ok || !verdict.oldAccountId || !verdict.newAccountId) {
    status.step = "rejected";
    return { outcome: "rejected" };
  }
  status.approvalsNeeded = BigInt(verdict.oldBalanceCents) > BigInt(input.secondApproverAboveCents) ? 2 : 1;

  status.step = "awaiting_confirmation";
  if (!(await condition(() => confirmed, input.confirmWithinMs)) && (await acts.expireTransfer(ticketId))) {
    status.step = "expired";
    return { outcome: "expired" };
  }

  await acts.markAwaitingApproval(ticketId);
  status.step = "awaiting_approval";
  await condition(() => rejected || approvers.size >= status.approvalsNeeded);
  if (rejected) {
    await acts.closeRejectedTransfer(ticketId);
    status.step = "rejected";
    return { outcome: "rejected" };
  }

  status.step = "blocking_old_account";
  const block = await acts.prepareTransferBlock(ticketId);
  try {
    await executeChild(blockAccount, {
      workflowId: blockWorkflowId(block.oldAccountId),
      args: [{ accountId: block.oldAccountId, changeId: block.changeId }],
      typedSearchAttributes: forAccount(block.oldAccountId),
    });
    status.step = "migrating";
    await acts.migrateTransfer(ticketId); // one transaction: it happened whole, or not at all
  } catch (err) {
    // Compensate in reverse: the migration did not happen, so only the block is undone
    // (unblocking an account the block never reached changes nothing).
    status.step = "compensating";
    const unblock = await acts.prepareTransferUnblock(ticketId);
    await executeChild(unblockAccount, {
      workflowId: unblockWorkflowId(unblock.oldAccountId),
      args: [{ accountId: unblock.oldAccountId, changeId: unblock.changeId }],
      typedSearchAttributes: forAccount(unblock.oldAccountId),
    });
    const cause = err instanceof ActivityFailure || err instanceof ChildWorkflowFailure ? err.cause : err;
    const reason = cause instanceof ApplicationFailure && cause.type ? cause.type : "transfer_step_failed";
    await acts.failTransfer({ ticketId, reason });
    status.step = "failed";
    return { outcome: "failed" };
  }

  status.step = "notifying";
  await acts.completeTransfer(ticketId);
  status.step = "completed";
  return { outcome: "completed" };
}
