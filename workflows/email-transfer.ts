import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
} from "@temporalio/workflow";
import { staffCan } from "./staff-permissions.js";
import type { Activities } from "../activities/index.js";
import { blockAccount, unblockAccount } from "./block-account.js";
import {
  approvalsNeededFor,
  approveTransferUpdate,
  blockWorkflowId,
  confirmTransferSignal,
  forAccount,
  rejectTransferUpdate,
  transferPartiesChangedSignal,
  transferStatusQuery,
  unblockWorkflowId,
  withdrawTransferUpdate,
  type TransferDecision,
  type TransferInput,
  type TransferResult,
  type TransferStatus,
  type TransferStep,
} from "./shared.js";

const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "1 minute", maximumAttempts: 10 },
});

/** The steps in which the transfer waits on people: it may be withdrawn, and ends if either account goes away. */
const WAITING: TransferStep[] = ["verifying", "awaiting_confirmation", "awaiting_approval"];

/** The failure's code: an activity's or child's ApplicationFailure type, else a generic one. */
function reasonOf(err: unknown): string {
  const cause = err instanceof ActivityFailure || err instanceof ChildWorkflowFailure ? err.cause : err;
  return cause instanceof ApplicationFailure && cause.type ? cause.type : "transfer_step_failed";
}

/**
 * Moves an account to a new email address (authentication.md): verify the
 * request → the new address confirms (signal, with a deadline) → staff approve
 * (update; a large balance needs two different approvers) → block the old
 * account (child workflow) → migrate balance, plan and settings exactly once
 * → tell both addresses. The history holds ids, codes and amounts only.
 *
 * The other parties act while it waits: the requester may withdraw (update),
 * either account may be deleted or blocked (a `partiesChanged` nudge, after
 * which both accounts are re-read), staff may cancel the workflow. Each ends
 * the ticket cleanly. Both accounts are checked again, under row locks, right
 * before the block and inside the migration's transaction, so a change that
 * no nudge announced still stops the move.
 */
export async function emailTransfer(input: TransferInput): Promise<TransferResult> {
  const { ticketId } = input;
  const status: TransferStatus = { step: "verifying", failedChecks: [], approvals: 0, approvalsNeeded: 1 };
  /** Approvals recorded in the database. */
  const approvers = new Set<string>();
  /** Approvals a validator accepted, recorded or still being recorded: what later validators judge by. */
  const claimedApprovals = new Set<string>();
  let confirmed = false;
  let rejecting = false;
  let rejected = false;
  let withdrawing = false;
  let nudged = false;
  let finished = false;

  const decided = () => rejecting || claimedApprovals.size >= status.approvalsNeeded;

  setHandler(transferStatusQuery, () => status);
  setHandler(confirmTransferSignal, () => {
    confirmed = true;
  });
  setHandler(transferPartiesChangedSignal, () => {
    nudged = true;
  });
  const validateDecision = (decision: TransferDecision) => {
    if (!staffCan(decision.role, "decide_transfers")) throw new Error("Approving or rejecting a transfer needs the support or admin role.");
    if (withdrawing) throw new Error("The requester withdrew this request.");
    if (status.step !== "awaiting_approval") throw new Error(`This ticket is not waiting for a decision (it is ${status.step.replace(/_/g, " ")}).`);
    // Decided already (or being decided), though the step has not moved on yet: a late decision would land on a closing ticket.
    if (decided()) throw new Error("This ticket has already been decided.");
  };
  setHandler(
    approveTransferUpdate,
    async ({ staffId }) => {
      // Claimed before the first await: a second, identical approval arriving meanwhile is refused by its validator.
      claimedApprovals.add(staffId);
      try {
        await acts.recordTransferDecision({ ticketId, staffId, decision: "approve" });
      } catch (err) {
        claimedApprovals.delete(staffId);
        throw err;
      }
      approvers.add(staffId);
      status.approvals = approvers.size;
      return status;
    },
    {
      validator: (decision) => {
        validateDecision(decision);
        if (claimedApprovals.has(decision.staffId)) throw new Error("You already approved this ticket; the second approval must come from someone else.");
      },
    },
  );
  setHandler(
    rejectTransferUpdate,
    async ({ staffId }) => {
      rejecting = true;
      try {
        await acts.recordTransferDecision({ ticketId, staffId, decision: "reject" });
      } catch (err) {
        rejecting = false;
        throw err;
      }
      rejected = true;
      return status;
    },
    { validator: validateDecision },
  );
  setHandler(
    withdrawTransferUpdate,
    async () => {
      withdrawing = true;
      // Answers once the ticket is closed, so the requester's page shows the outcome.
      await condition(() => finished);
      return status;
    },
    {
      validator: () => {
        if (withdrawing) throw new Error("This request is already being withdrawn.");
        if (!WAITING.includes(status.step)) throw new Error(`This request can no longer be withdrawn (it is ${status.step.replace(/_/g, " ")}).`);
        if (decided()) throw new Error("Support has already decided on this request, so it can no longer be withdrawn.");
      },
    },
  );

  /** Every ending goes through here: handlers still running (a withdrawal waiting for this) finish first. */
  const finish = async (step: TransferStep, outcome: TransferResult["outcome"]): Promise<TransferResult> => {
    status.step = step;
    finished = true;
    await condition(allHandlersFinished);
    return { outcome };
  };
  /** While waiting: withdrawn, or one of the accounts went away. Returns the ending, or null to go on waiting. */
  const interrupted = async (): Promise<TransferResult | null> => {
    if (withdrawing) {
      await acts.withdrawTransfer(ticketId);
      return finish("withdrawn", "withdrawn");
    }
    if (nudged) {
      nudged = false;
      const problems = await acts.recheckTransferParties(ticketId);
      if (problems.length > 0) {
        await acts.failTransfer({ ticketId, reason: problems.join(","), compensated: false, during: status.step });
        return finish("failed", "failed");
      }
    }
    return null;
  };

  try {
    const verdict = await acts.verifyTransfer({ ticketId, confirmWithinMs: input.confirmWithinMs });
    status.failedChecks = verdict.failed;
    if (!verdict.ok || !verdict.oldAccountId || !verdict.newAccountId) return await finish("rejected", "rejected");
    status.approvalsNeeded = approvalsNeededFor(verdict.oldBalanceCents, input.secondApproverAboveCents);

    status.step = "awaiting_confirmation";
    const deadline = Date.now() + input.confirmWithinMs;
    while (!confirmed) {
      const ending = await interrupted();
      if (ending) return ending;
      const left = deadline - Date.now();
      if (left <= 0 || !(await condition(() => confirmed || withdrawing || nudged, left))) {
        // The database has the last word: a confirmation recorded there whose signal was lost still counts.
        if (!confirmed && !withdrawing && !nudged && (await acts.expireTransfer(ticketId))) return await finish("expired", "expired");
        if (!withdrawing && !nudged) confirmed = true;
      }
    }

    await acts.markAwaitingApproval(ticketId);
    status.step = "awaiting_approval";
    for (;;) {
      const ending = await interrupted();
      if (ending) return ending;
      if (rejected || approvers.size >= status.approvalsNeeded) break;
      await condition(() => rejected || approvers.size >= status.approvalsNeeded || withdrawing || nudged);
    }
    if (rejected) {
      await acts.closeRejectedTransfer(ticketId);
      return await finish("rejected", "rejected");
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled while waiting: the ticket closes (link dead, requester told) even though the workflow is being cancelled.
    await CancellationScope.nonCancellable(async () => {
      await acts.cancelTransfer(ticketId);
      status.step = "cancelled";
      finished = true;
      await condition(allHandlersFinished);
    });
    throw err;
  }

  // Approved. From here the move runs to its end (done, or undone), even if the workflow is cancelled meanwhile:
  // stopping between the block and the migration would leave the old account blocked for nothing.
  return CancellationScope.nonCancellable(async () => {
    status.step = "blocking_old_account";
    let block: { changeId: string; oldAccountId: string };
    try {
      block = await acts.prepareTransferBlock(ticketId); // re-checks both accounts, rows locked
    } catch (err) {
      await acts.failTransfer({ ticketId, reason: reasonOf(err), compensated: false, during: status.step });
      return finish("failed", "failed");
    }
    try {
      await executeChild(blockAccount, {
        workflowId: blockWorkflowId(block.oldAccountId),
        args: [{ accountId: block.oldAccountId, changeId: block.changeId }],
        typedSearchAttributes: forAccount(block.oldAccountId),
        // A terminated transfer must not take its block down half-way: the block finishes and records itself.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
      status.step = "migrating";
      await acts.migrateTransfer(ticketId); // one transaction, both accounts re-checked in it: it happened whole, or not at all
    } catch (err) {
      // Compensate in reverse: the migration did not happen, so only the block is undone — and
      // only if it is still this transfer's block (support may have blocked the account meanwhile).
      status.step = "compensating";
      const unblock = await acts.prepareTransferUnblock(ticketId);
      if (unblock) {
        await executeChild(unblockAccount, {
          workflowId: unblockWorkflowId(unblock.oldAccountId),
          args: [{ accountId: unblock.oldAccountId, changeId: unblock.changeId }],
          typedSearchAttributes: forAccount(unblock.oldAccountId),
          parentClosePolicy: ParentClosePolicy.ABANDON,
        });
      }
      await acts.failTransfer({ ticketId, reason: reasonOf(err), compensated: unblock !== null, during: "migrating" });
      return finish("failed", "failed");
    }

    status.step = "notifying";
    await acts.completeTransfer(ticketId);
    return finish("completed", "completed");
  });
}
