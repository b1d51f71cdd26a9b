/**
 * The email transfer, start here. A transfer moves everything on an old account
 * (credits, plan, settings) to the account on a new address: a request → verify
 * → the new address confirms → staff approve (two above a balance) → the old
 * account is blocked → the move, exactly once → both addresses are told. Read it
 * in layer order:
 *
 *   app/services/transfer.server.ts  this file: every intent, one function each (ask from Settings or by
 *                                    mail, confirm by the mailed link, approve or reject, withdraw, note,
 *                                    close by hand); the only code that starts or talks to the workflow
 *   workflows/email-transfer.ts      the process: its steps, deadlines and who may decide (update validators)
 *   workflows/shared.ts              its input, status, signal and update names, approvalsNeededFor
 *   activities/transfer.ts           each step's work (verify, block, migrate, mail), idempotent
 *   app/models/tickets.server.ts     the support_tickets rows: checks, statuses, confirm tokens, decisions,
 *                                    notes; app/models/transfer-failures.ts: each failure code in words
 *
 * The pages read through app/presenters/{console-ticket,console-tickets,support-ticket,email-settings,
 * confirm-transfer}.server.ts (the console's asks the workflow's own status query). A .server module:
 * @temporalio/client must never reach the browser build.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from "@temporalio/client";
import type { Transaction } from "kysely";
import type { Db } from "../../db/connection.js";
import type { Database } from "../../db/schema.js";
import {
  approveTransferUpdate,
  blockWorkflowId,
  confirmTransferSignal,
  rejectTransferUpdate,
  transferWorkflowId,
  unblockWorkflowId,
  withdrawTransferUpdate,
  type TransferDecision,
  type TransferStatus,
} from "../../workflows/shared.js";
import { emailTransfer } from "../../workflows/email-transfer.js";
import { deliveryMode, enqueueMail } from "../mail/mailer.server.js";
import { transferClosedByStaffMail } from "../mail/templates/transfer.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { recordStatusChangeStep } from "../models/accounts.server.js";
import { normalizeEmail } from "../models/email.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { claimInboundMessage, releaseInboundMessage, setInboundMessageTicket, ticketOfInboundMessage } from "../models/inbound-messages.server.js";
import {
  addTicketNote,
  closeOrphanedTicket,
  createEmailTransferTicket,
  createWebTransferTicket,
  findConfirmationFor,
  getTicket,
  markConfirmed,
  OPEN_STATUSES,
  openTransferOf,
  requesterAddress,
  setDecisionReason,
  setTicketStatus,
  setTicketWorkflow,
  transferTicketOfRequester,
  unfinishedTransferStep,
} from "../models/tickets.server.js";
import type { Services } from "../context.server.js";
import { commitThenStart, startWorkflow, workflowRun, type StartRequest } from "../temporal/start.server.js";
import { workflowState } from "../temporal/history.server.js";

type TransferDeps = Pick<Services, "db" | "temporal" | "config" | "logger">;

/** The workflow for a committed ticket: one per ticket, ever (its id says so). */
function transferWorkflow(
  config: Services["config"],
  ticket: { id: string; oldAccountId: string | null },
  overrides: { confirmWithinMs?: number; secondApproverAboveCents?: bigint } = {},
): StartRequest<typeof emailTransfer> {
  return workflowRun(emailTransfer, {
    workflowId: transferWorkflowId(ticket.id),
    args: [
      {
        ticketId: ticket.id,
        confirmWithinMs: overrides.confirmWithinMs ?? config.transfer.confirmWithinMs,
        secondApproverAboveCents: String(overrides.secondApproverAboveCents ?? config.transfer.secondApproverAboveCents),
      },
    ],
    ticketId: ticket.id,
    accountId: ticket.oldAccountId ?? undefined,
    policy: "once",
  });
}

/** Without its workflow a ticket would sit "open" forever and block every new request: it is closed, saying why. */
const closeNotStarted = (db: Db | Transaction<Database>, ticketId: string) =>
  setTicketStatus(db, ticketId, "failed", "not_started", { failureReason: "workflow_not_started" });

export type RequestTransferResult =
  | { ok: true; ticketId: string; started: boolean }
  | { ok: false; reason: "already_open"; openTicketId: string; ownRequest: boolean }
  | { ok: false; reason: "same_address" };

/** From Settings → Email: the signed-in owner of the old account asks to move it to a new address. */
export async function requestTransferFromSettings(
  services: TransferDeps,
  input: { requesterUserId: string; oldAccountId: string; newAddress: string },
  actor: Actor,
): Promise<RequestTransferResult> {
  // The address this account signs in with is never the one to move it to.
  const home = await getHomeSummary(services.db, input.requesterUserId, input.oldAccountId);
  if (home?.user.email && normalizeEmail(home.user.email) === normalizeEmail(input.newAddress)) return { ok: false, reason: "same_address" };
  const result = await commitThenStart(services, {
    commit: async (trx) => {
      // A second submit (double click, back button) lands on the transfer already under way instead of a second ticket.
      const open = await openTransferOf(trx, input.oldAccountId);
      if (open)
        return { ok: false as const, reason: "already_open" as const, openTicketId: open.id, ownRequest: open.requester_user_id === input.requesterUserId };
      return { ok: true as const, ticketId: await createWebTransferTicket(trx, input, actor) };
    },
    workflow: (c) => transferWorkflow(services.config, { id: c.ticketId, oldAccountId: input.oldAccountId }),
    link: (db, c, workflowId) => setTicketWorkflow(db, c.ticketId, workflowId),
    notStarted: (db, c) => closeNotStarted(db, c.ticketId),
  });
  if (!result.ok) return result;
  return { ok: true, ticketId: result.ticketId, started: result.start?.started === true };
}

/** A duplicate names the ticket the first delivery made (null if that one was since released). */
export type InboundTransferResult = { ok: true; ticketId: string; started: boolean } | { ok: false; reason: "duplicate"; ticketId: string | null };

/**
 * From an inbound mail. The message id is claimed in the ticket's transaction: two
 * deliveries of one mail, even at once, make one ticket. Should the workflow not
 * start, the message id is released with the ticket's close, so the sender's
 * retry makes a new ticket.
 */
export async function requestTransferByEmail(
  services: TransferDeps,
  input: { messageId: string; senderAddress: string; senderVerdict: "pass" | "fail"; newAddress: string },
  actor: Actor,
): Promise<InboundTransferResult> {
  const result = await commitThenStart(services, {
    commit: async (trx) => {
      if (!(await claimInboundMessage(trx, input.messageId))) return { ok: false as const, reason: "duplicate" as const };
      const ticketId = await createEmailTransferTicket(trx, input, actor);
      await setInboundMessageTicket(trx, input.messageId, ticketId);
      return { ok: true as const, ticketId };
    },
    workflow: (c) => transferWorkflow(services.config, { id: c.ticketId, oldAccountId: null }),
    link: (db, c, workflowId) => setTicketWorkflow(db, c.ticketId, workflowId),
    notStarted: (db, c) =>
      db.transaction().execute(async (trx) => {
        await closeNotStarted(trx, c.ticketId);
        await releaseInboundMessage(trx, input.messageId);
      }),
  });
  if (!result.ok) return { ok: false, reason: "duplicate", ticketId: await ticketOfInboundMessage(services.db, input.messageId) };
  return { ok: true, ticketId: result.ticketId, started: result.start?.started === true };
}

/**
 * Starts the workflow of a ticket already committed (tests and fault scenarios
 * make tickets directly); throws when Temporal refuses. Idempotent: a second
 * call for the same ticket links the run the first one started. Optional overrides
 * shorten the confirmation window or the two-approver threshold.
 */
export async function startTransferWorkflow(
  services: Pick<Services, "db" | "temporal" | "config">,
  ticketId: string,
  overrides: { confirmWithinMs?: number; secondApproverAboveCents?: bigint } = {},
): Promise<string> {
  const ticket = await getTicket(services.db, ticketId);
  const request = transferWorkflow(services.config, { id: ticketId, oldAccountId: ticket?.old_account_id ?? null }, overrides);
  const start = await startWorkflow(services, request);
  // Already started (an earlier attempt whose answer was lost): link it all the same.
  if (!start.started && start.reason !== "already_running") throw new Error(`transfer workflow not started: ${start.error}`);
  await setTicketWorkflow(services.db, ticketId, request.workflowId);
  return request.workflowId;
}

/**
 * Tells the workflow that the new address confirmed (after `markConfirmed`
 * recorded it). Should the signal be lost, the workflow still finds the
 * confirmation in the database when its deadline comes.
 */
export async function signalTransferConfirmed(services: Pick<Services, "temporal">, ticketId: string): Promise<void> {
  await services.temporal.workflow.getHandle(transferWorkflowId(ticketId)).signal(confirmTransferSignal);
}

export type ConfirmByTokenResult = Extract<Awaited<ReturnType<typeof findConfirmationFor>>, { ok: false }>["reason"] | "used" | "confirmed" | "recorded";

/**
 * The mailed link: the owner of the new address, signed in on the new account,
 * confirms. The conditional update decides who confirmed, so a second POST (double
 * click, another tab) changes nothing. "recorded": stored (it counts), but the
 * workflow did not hear it; it finds the confirmation when its deadline comes.
 */
export async function confirmTransferByToken(
  services: Pick<Services, "db" | "temporal" | "logger">,
  input: { token: string; accountId: string },
  actor: Actor,
): Promise<ConfirmByTokenResult> {
  const lookup = await findConfirmationFor(services.db, input.token, input.accountId);
  if (!lookup.ok) return lookup.reason;
  if (!(await markConfirmed(services.db, lookup.ticketId, input.token, actor))) return "used";
  try {
    await signalTransferConfirmed(services, lookup.ticketId);
  } catch (err) {
    // Temporal unreachable: log the ticket id, so support can find it if the requester asks.
    services.logger.error({ err, ticketId: lookup.ticketId }, "transfer confirmation recorded but not signalled");
    return "recorded";
  }
  return "confirmed";
}

/** An approval runs one short activity; past this the person is told to reload rather than left waiting. */
const UPDATE_TIMEOUT_MS = 15_000;

const NOT_WAITING = "This ticket is no longer waiting for a decision.";

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

export type TicketDecisionResult =
  { ok: true; intent: "approve"; approvals: number; approvalsNeeded: number } | { ok: true; intent: "reject" } | { ok: false; message: string };

/**
 * Staff approve or reject a ticket; the workflow's validator has the last word.
 * The workflow records the decision itself (an id and a verdict); a rejection's
 * reason is written here, to the database only, never into the history.
 */
export async function decideTransferTicket(
  services: Pick<Services, "db" | "temporal" | "logger">,
  input: { ticketId: string; staff: TransferDecision } & ({ intent: "approve" } | { intent: "reject"; reason: string }),
  actor: Actor,
): Promise<TicketDecisionResult> {
  const ticket = await getTicket(services.db, input.ticketId);
  // A closed ticket's workflow is finished (or about to be): no need to ask Temporal.
  if (!ticket?.workflow_id || !OPEN_STATUSES.includes(ticket.status)) return { ok: false, message: NOT_WAITING };
  const result = await decideTransfer(services, ticket.workflow_id, input.intent, input.staff);
  if (!result.ok) return result;
  if (input.intent === "approve") return { ok: true, intent: "approve", approvals: result.status.approvals, approvalsNeeded: result.status.approvalsNeeded };
  const { reason, staff } = input;
  await services.db.transaction().execute(async (trx) => {
    await setDecisionReason(trx, ticket.id, staff.staffId, reason);
    await writeAudit(trx, actor, {
      action: "ticket.rejection_reason_recorded",
      targetType: "ticket",
      targetId: ticket.id,
      details: { staff_id: staff.staffId, length: reason.length },
    });
  });
  return { ok: true, intent: "reject" };
}

/** A staff note on a ticket (the requester never sees notes). */
export async function addStaffNote(services: Pick<Services, "db">, input: { ticketId: string; staffId: string; body: string }, actor: Actor): Promise<void> {
  await services.db.transaction().execute((trx) => addTicketNote(trx, input.ticketId, input.staffId, input.body, actor));
}

export type WithdrawResult = { ok: true } | { ok: false; message: string };

/** The requester withdraws their own request; for anyone else the ticket does not exist ("not_found"). */
export async function withdrawOwnTransfer(
  services: Pick<Services, "db" | "temporal" | "logger">,
  input: { ticketId: string; userId: string },
): Promise<WithdrawResult | "not_found"> {
  const ticket = await transferTicketOfRequester(services.db, input.ticketId, input.userId);
  if (!ticket) return "not_found";
  return withdrawTransfer(services, ticket.id);
}

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

export type CloseOrphanResult = { ok: true; status: "completed" | "cancelled" } | { ok: false; message: string };

/** Staff close a ticket by hand: only one with a workflow, and only once that workflow has stopped (closeOrphanedTransfer). */
export async function closeTransferByHand(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { ticketId: string; staffId: string; reason: string },
  actor: Actor,
): Promise<CloseOrphanResult> {
  const ticket = await getTicket(services.db, input.ticketId);
  if (!ticket?.workflow_id) return { ok: false, message: "This ticket has no workflow; it is closed by its own steps." };
  return closeOrphanedTransfer(services, { ...input, workflowId: ticket.workflow_id }, actor);
}

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
  const state = await workflowState(services, input.workflowId);
  if (state === null) return { ok: false, message: "The workflow service did not answer, so the ticket was left as it is. Try again in a moment." };
  if (state === "running")
    return { ok: false, message: "Its workflow is still running, so it will close the ticket itself. Cancel the workflow if it must stop." };
  // A block or unblock the transfer asked for: let a running one finish; one whose workflow never started
  // (the transfer was terminated in between) or was stopped is recorded as failed, so it cannot hold the ticket.
  const step = await unfinishedTransferStep(services.db, input.ticketId);
  if (step) {
    const stepState = await workflowState(services, step.action === "block" ? blockWorkflowId(step.account_id) : unblockWorkflowId(step.account_id));
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
            ...transferClosedByStaffMail({ publicUrl: services.config.publicUrl, ticketId: input.ticketId, status: result.status }),
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
