/**
 * The web's side of the emailTransfer workflow: starting it for a ticket (one
 * per ticket: its id says so), asking its live status, and staff decisions
 * (updates whose validators have the last word). A .server module:
 * @temporalio/client must never reach the browser build.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from "@temporalio/client";
import { WorkflowIdReusePolicy } from "@temporalio/common";
import {
  approveTransferUpdate,
  blockWorkflowId,
  confirmTransferSignal,
  forAccount,
  rejectTransferUpdate,
  ticketIdAttribute,
  transferStatusQuery,
  transferWorkflowId,
  unblockWorkflowId,
  withdrawTransferUpdate,
  type TransferDecision,
  type TransferInput,
  type TransferStatus,
} from "../workflows/shared.js";
import { deliveryMode, enqueueMail } from "./mail/mailer.server.js";
import type { Actor } from "./models/audit.server.js";
import { recordStatusChangeStep } from "./models/accounts.server.js";
import { closeOrphanedTicket, getTicket, requesterAddress, setTicketWorkflow, unfinishedTransferStep } from "./models/tickets.server.js";
import type { Services } from "./services.server.js";

export async function startTransfer(services: Pick<Services, "db" | "temporal" | "config">, ticketId: string): Promise<string> {
  const { config } = services;
  const ticket = await getTicket(services.db, ticketId);
  const workflowId = transferWorkflowId(ticketId);
  const args: [TransferInput] = [
    {
      ticketId,
      confirmWithinMs: config.transfer.confirmWithinMs,
      secondApproverAboveCents: String(config.transfer.secondApproverAboveCents),
    },
  ];
  await services.temporal.workflow.start("emailTransfer", {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args,
    typedSearchAttributes: [{ key: ticketIdAttribute, value: ticketId }, ...(ticket?.old_account_id ? forAccount(ticket.old_account_id) : [])],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  await setTicketWorkflow(services.db, ticketId, workflowId);
  return workflowId;
}

/**
 * Tells the workflow that the new address confirmed (after `markConfirmed`
 * recorded it). Should the signal be lost, the workflow still finds the
 * confirmation in the database when its deadline comes.
 */
export async function signalTransferConfirmed(services: Pick<Services, "temporal">, ticketId: string): Promise<void> {
  await services.temporal.workflow.getHandle(transferWorkflowId(ticketId)).signal(confirmTransferSignal);
}

/** A page render must not hang on Temporal: past this, the page shows what the database recorded. */
const QUERY_TIMEOUT_MS = 1_500;
/** An approval runs one short activity; past this the person is told to reload rather than left waiting. */
const UPDATE_TIMEOUT_MS = 15_000;

export const NOT_WAITING = "This ticket is no longer waiting for a decision.";

/** The workflow's own view (step, approvals); null when it does not answer in time, or is gone. */
export async function transferLiveStatus(services: Pick<Services, "temporal">, workflowId: string): Promise<TransferStatus | null> {
  const { temporal } = services;
  try {
    // The deadline ends the gRPC call itself: a query with no worker polling would otherwise wait for the server's own timeout.
    return await temporal.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => temporal.workflow.getHandle(workflowId).query(transferStatusQuery));
  } catch {
    return null;
  }
}

export type DecideResult = { ok: true; status: TransferStatus } | { ok: false; message: string };

/** Asks the workflow to take a decision; a refusal comes back as the validator's own message. */
export async function decideTransfer(
  services: Pick<Services, "temporal" | "logger">,
  workflowId: string,
  kind: "approve" | "reject",
  decision: TransferDecision,
): Promise<DecideResult> {
  const { temporal, logger } = services;
  const handle = temporal.workflow.getHandle(workflowId);
  try {
    const status = await temporal.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
      handle.executeUpdate(kind === "approve" ? approveTransferUpdate : rejectTransferUpdate, { args: [decision] }),
    );
    return { ok: true, status };
  } catch (err) {
    // A validator's refusal arrives as WorkflowUpdateFailedError; its cause (an ApplicationFailure) carries the workflow's words.
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      return { ok: false, message: cause instanceof Error && cause.message ? cause.message : "The workflow refused the decision." };
    }
    // Never started, or finished: the server answers "not found" for a closed execution too.
    if (err instanceof WorkflowNotFoundError) return { ok: false, message: NOT_WAITING };
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      return { ok: false, message: "The workflow did not answer in time. Reload the page in a moment to see whether the decision was taken." };
    }
    logger.warn({ err, workflowId, kind }, "transfer decision failed");
    return { ok: false, message: "The workflow service did not take the decision. Try again in a moment." };
  }
}

export type WithdrawResult = { ok: true } | { ok: false; message: string };

/** The requester takes their request back; the workflow's validator refuses when it is too late. */
export async function withdrawTransfer(services: Pick<Services, "temporal" | "logger">, ticketId: string): Promise<WithdrawResult> {
  const { temporal, logger } = services;
  try {
    await temporal.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
      temporal.workflow.getHandle(transferWorkflowId(ticketId)).executeUpdate(withdrawTransferUpdate),
    );
    return { ok: true };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause;
      return { ok: false, message: cause instanceof Error && cause.message ? cause.message : "This request can no longer be withdrawn." };
    }
    if (err instanceof WorkflowNotFoundError)
      return { ok: false, message: "This request is no longer being processed, so there is nothing to withdraw. Support will close it." };
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
      return { ok: false, message: "The request did not answer in time. Reload the page in a moment to see whether it was withdrawn." };
    logger.warn({ err, ticketId }, "transfer withdrawal failed");
    return { ok: false, message: "We could not withdraw the request just now. Try again in a moment." };
  }
}

/**
 * How the ticket's workflow stands, from Temporal itself: "running", the name of
 * the way it closed (e.g. "TERMINATED"), or null when Temporal did not answer.
 */
export async function transferWorkflowState(services: Pick<Services, "temporal">, workflowId: string): Promise<string | null> {
  const { temporal } = services;
  try {
    const d = await temporal.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => temporal.workflow.getHandle(workflowId).describe());
    return d.status.name === "RUNNING" ? "running" : d.status.name;
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? "NOT_FOUND" : null;
  }
}

export type CloseOrphanResult = { ok: true; status: "completed" | "cancelled" } | { ok: false; message: string };

/**
 * Staff close, by hand, an open ticket whose workflow ended without closing it
 * (terminated: no clean-up ran). Only once Temporal confirms the workflow is not
 * running; an old account still blocked by the unfinished move is unblocked with it.
 */
export async function closeOrphanedTransfer(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { ticketId: string; workflowId: string; staffId: string; reason: string },
  actor: Actor,
): Promise<CloseOrphanResult> {
  const state = await transferWorkflowState(services, input.workflowId);
  if (state === null) return { ok: false, message: "The workflow service did not answer, so the ticket was left as it is. Try again in a moment." };
  if (state === "running")
    return { ok: false, message: "Its workflow is still running, so it will close the ticket itself. Cancel the workflow if it must stop." };
  // A block or unblock the transfer asked for: let a running one finish; one whose workflow never started
  // (the transfer was terminated in between) or was stopped is recorded as failed, so it cannot hold the ticket.
  const step = await unfinishedTransferStep(services.db, input.ticketId);
  if (step) {
    const stepState = await transferWorkflowState(services, step.action === "block" ? blockWorkflowId(step.account_id) : unblockWorkflowId(step.account_id));
    if (stepState === null || stepState === "running") {
      return {
        ok: false,
        message: "The old account's block (or unblock) for this transfer is still running. Close the ticket once it has finished, in a minute.",
      };
    }
    await recordStatusChangeStep(
      services.db,
      {
        changeId: step.id,
        step: { step: "failed", outcome: "transfer_terminated", at: new Date().toISOString() },
        status: "failed",
        error: "transfer_terminated",
      },
      actor,
    );
  }
  const closed = await services.db.transaction().execute(async (trx) => {
    const result = await closeOrphanedTicket(trx, input, actor);
    if (result && result !== "step_running") {
      const to = await requesterAddress(trx, input.ticketId);
      if (to) {
        await enqueueMail(
          trx,
          {
            to,
            subject: result.status === "completed" ? "Your Switchboard account was moved" : "Your email transfer request was closed",
            text:
              result.status === "completed"
                ? `Your account was moved to your new address. See ${services.config.publicUrl}/support/tickets/${input.ticketId}.`
                : `Support closed your request to move your Switchboard account; nothing was moved. See ${services.config.publicUrl}/support/tickets/${input.ticketId} or reply to support.`,
            kind: "transfer_closed_by_staff",
            dedupeKey: `transfer:${input.ticketId}:closed_by_staff`,
            related: { type: "ticket", id: input.ticketId },
          },
          deliveryMode(services.config),
        );
      }
    }
    return result;
  });
  if (!closed) return { ok: false, message: "This ticket is already closed." };
  if (closed === "step_running")
    return {
      ok: false,
      message: "The old account's block (or unblock) for this transfer is still running. Close the ticket once it has finished, in a minute.",
    };
  return { ok: true, status: closed.status };
}
