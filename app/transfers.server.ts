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
  confirmTransferSignal,
  forAccount,
  rejectTransferUpdate,
  ticketIdAttribute,
  transferStatusQuery,
  transferWorkflowId,
  type TransferDecision,
  type TransferInput,
  type TransferStatus,
} from "../workflows/shared.js";
import { getTicket, setTicketWorkflow } from "./models/tickets.server.js";
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
    typedSearchAttributes: [
      { key: ticketIdAttribute, value: ticketId },
      ...(ticket?.old_account_id ? forAccount(ticket.old_account_id) : []),
    ],
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
