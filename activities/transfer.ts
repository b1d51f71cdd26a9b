/**
 * Activities of the emailTransfer workflow. Each re-reads the database, is
 * idempotent (status guards, ledger idempotency keys, mail dedupe keys) and
 * returns ids and codes only: the addresses stay in the ticket row.
 */
import { ApplicationFailure } from "@temporalio/activity";
import type { Config } from "../app/config.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import {
  getTicket,
  issueConfirmToken,
  listTicketDecisions,
  markTicketAwaitingApproval,
  migrateTransferTicket,
  recordDecision,
  requestTransferBlock,
  requestTransferUnblock,
  requesterAddress,
  setTicketStatus,
  ticketConfirmedAtForUpdate,
  transferPartyProblems,
  verifyTransferTicket,
  type TransferStepRefusal,
} from "../app/models/tickets.server.js";
import { deliveryMode, enqueueMail } from "../app/mail/mailer.server.js";
import type { MailWords } from "../app/mail/templates/mail-words.js";
import {
  transferCancelledMail,
  transferCompletedNewMail,
  transferCompletedOldMail,
  transferConfirmationMail,
  transferDeclinedMail,
  transferExpiredMail,
  transferFailedMail,
  transferRejectedMail,
  transferWithdrawnMail,
} from "../app/mail/templates/transfer.js";
import type { Db, DbOrTrx } from "../db/connection.js";
import { actor } from "./common.js";

export interface TransferVerdict {
  ok: boolean;
  failed: string[];
  oldAccountId: string | null;
  newAccountId: string | null;
  /** Not personal data: decides whether a second approver is needed. */
  oldBalanceCents: string;
}

/** A step the ticket's state refuses fails for good: retrying cannot make it go ahead. */
const refused = (r: TransferStepRefusal): never => {
  throw ApplicationFailure.nonRetryable(r.message, r.code);
};

/** How long the rejection mail waits for the reason staff typed (written by the web process just after the decision). */
const REASON_WAIT_MS = 5_000;

export function transferActivities({ db, config }: { db: Db; config: Pick<Config, "publicUrl" | "smtpUrl"> }) {
  const mode = deliveryMode(config);
  const { publicUrl } = config;

  async function tellRequester(trx: DbOrTrx, ticketId: string, what: string, mail: MailWords) {
    const to = await requesterAddress(trx, ticketId);
    if (!to) return;
    await enqueueMail(
      trx,
      { to, ...mail, kind: `transfer_${what}`, dedupeKey: `transfer:${ticketId}:${what}`, related: { type: "ticket", id: ticketId } },
      mode,
    );
  }

  /**
   * The reason staff gave for a rejection, for the requester's mail. It never passes through the workflow (its history
   * keeps ids only): the web process writes it right after the workflow accepted the rejection, so it may land a moment
   * after this step starts. Waited for briefly; if it never comes (the web process stopped in between), the mail goes
   * without it.
   */
  async function rejectionReason(ticketId: string): Promise<string | null> {
    const deadline = Date.now() + REASON_WAIT_MS;
    for (;;) {
      const reason = (await listTicketDecisions(db, ticketId)).find((d) => d.decision === "reject")?.reason ?? null;
      if (reason !== null || Date.now() >= deadline) return reason;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  return {
    /** Step 1: every check, recorded on the ticket; on success the new address gets its confirmation link. */
    async verifyTransfer(input: { ticketId: string; confirmWithinMs: number }): Promise<TransferVerdict> {
      return db.transaction().execute(async (trx) => {
        const ticket = await getTicket(trx, input.ticketId);
        if (!ticket) throw ApplicationFailure.nonRetryable("ticket not found", "ticket_not_found");
        const v = await verifyTransferTicket(trx, input.ticketId);
        const failed = v.checks.filter((c) => !c.passed).map((c) => c.code);
        const verdict: TransferVerdict = {
          ok: failed.length === 0,
          failed,
          oldAccountId: v.oldAccountId,
          newAccountId: v.newAccountId,
          oldBalanceCents: v.oldBalanceCents,
        };
        if (!verdict.ok) {
          if (await setTicketStatus(trx, input.ticketId, "rejected", "verification_failed", { failureReason: failed.join(",") })) {
            await writeAudit(trx, actor(), { action: "ticket.verification_failed", targetType: "ticket", targetId: input.ticketId, details: { failed } });
            await tellRequester(trx, input.ticketId, "rejected", transferRejectedMail({ publicUrl, ticketId: input.ticketId, failed }));
          }
          return verdict;
        }
        if (ticket.status === "open") {
          const expiresAt = new Date(Date.now() + input.confirmWithinMs);
          const token = await issueConfirmToken(trx, input.ticketId, expiresAt);
          await setTicketStatus(trx, input.ticketId, "awaiting_confirmation", "awaiting_confirmation");
          await enqueueMail(
            trx,
            {
              to: ticket.new_address!,
              ...transferConfirmationMail({ publicUrl, token, expiresAt }),
              kind: "transfer_confirmation",
              dedupeKey: `transfer:${input.ticketId}:confirmation`,
              related: { type: "ticket", id: input.ticketId },
            },
            mode,
          );
          await writeAudit(trx, actor(), { action: "ticket.verified", targetType: "ticket", targetId: input.ticketId });
        }
        return verdict;
      });
    },

    /**
     * The deadline passed without the signal. The database has the last word: a
     * confirmation recorded there whose signal was lost still counts (returns false).
     */
    async expireTransfer(ticketId: string): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        if (await ticketConfirmedAtForUpdate(trx, ticketId)) return false;
        if (!(await setTicketStatus(trx, ticketId, "expired", "confirmation_timed_out"))) return true;
        await writeAudit(trx, actor(), { action: "ticket.expired", targetType: "ticket", targetId: ticketId });
        await tellRequester(trx, ticketId, "expired", transferExpiredMail({ publicUrl }));
        return true;
      });
    },

    async markAwaitingApproval(ticketId: string): Promise<void> {
      await db.transaction().execute((trx) => markTicketAwaitingApproval(trx, ticketId));
    },

    async recordTransferDecision(input: { ticketId: string; staffId: string; decision: "approve" | "reject" }): Promise<void> {
      await db.transaction().execute((trx) => recordDecision(trx, input, actor()));
    },

    async closeRejectedTransfer(ticketId: string): Promise<void> {
      const reason = await rejectionReason(ticketId);
      await db.transaction().execute(async (trx) => {
        if (!(await setTicketStatus(trx, ticketId, "rejected", "rejected_by_staff"))) return;
        await tellRequester(trx, ticketId, "rejected_by_staff", transferDeclinedMail({ publicUrl, ticketId, reason }));
      });
    },

    /** A nudge said one of the accounts changed: what now stands in the way, as codes (none: wait on). */
    async recheckTransferParties(ticketId: string): Promise<string[]> {
      return transferPartyProblems(db, ticketId);
    },

    /** Before the block: both accounts re-checked under their locks, then the request row the blockAccount child works from. */
    async prepareTransferBlock(ticketId: string): Promise<{ changeId: string; oldAccountId: string }> {
      return db.transaction().execute(async (trx) => {
        const r = await requestTransferBlock(trx, ticketId, actor());
        return r.ok ? { changeId: r.changeId, oldAccountId: r.oldAccountId } : refused(r);
      });
    },

    /** The unblock that undoes this transfer's block; null when the account is not (or no longer) blocked by it. */
    async prepareTransferUnblock(ticketId: string): Promise<{ changeId: string; oldAccountId: string } | null> {
      return db.transaction().execute(async (trx) => {
        const r = await requestTransferUnblock(trx, ticketId, actor());
        if (r === null) return null;
        return r.ok ? { changeId: r.changeId, oldAccountId: r.oldAccountId } : refused(r);
      });
    },

    /** Step 5, in one transaction: balance, plan and recharge rule; a refusal (thrown inside) rolls back whatever half was posted. */
    async migrateTransfer(ticketId: string): Promise<{ transferredCents: string }> {
      return db.transaction().execute(async (trx) => {
        const r = await migrateTransferTicket(trx, ticketId, actor());
        return r.ok ? { transferredCents: r.transferredCents } : refused(r);
      });
    },

    /** Step 6: both addresses told, ticket closed. */
    async completeTransfer(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const t = await getTicket(trx, ticketId);
        if (!t) return;
        const transferredCents = t.transferred_cents ?? "0";
        await tellRequester(trx, ticketId, "completed_old", transferCompletedOldMail({ transferredCents }));
        if (t.new_address) {
          await enqueueMail(
            trx,
            {
              to: t.new_address,
              ...transferCompletedNewMail({ transferredCents }),
              kind: "transfer_completed_new",
              dedupeKey: `transfer:${ticketId}:completed_new`,
              related: { type: "ticket", id: ticketId },
            },
            mode,
          );
        }
        if (await setTicketStatus(trx, ticketId, "completed", "completed")) {
          await writeAudit(trx, actor(), { action: "ticket.completed", targetType: "ticket", targetId: ticketId });
        }
      });
    },

    /** Closed without moving anything: a step failed, or one of the accounts went away. */
    async failTransfer(input: { ticketId: string; reason: string; compensated: boolean; during: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await setTicketStatus(trx, input.ticketId, "failed", `failed_while_${input.during}`, { failureReason: input.reason }))) return;
        await writeAudit(trx, actor(), { action: "ticket.failed", targetType: "ticket", targetId: input.ticketId, details: { reason: input.reason } });
        await tellRequester(
          trx,
          input.ticketId,
          "failed",
          transferFailedMail({ publicUrl, ticketId: input.ticketId, reason: input.reason, compensated: input.compensated }),
        );
      });
    },

    /** The requester took the request back (their update was accepted by the workflow). */
    async withdrawTransfer(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await setTicketStatus(trx, ticketId, "withdrawn", "withdrawn_by_requester"))) return;
        await writeAudit(trx, actor(), { action: "ticket.withdrawn", targetType: "ticket", targetId: ticketId });
        await tellRequester(trx, ticketId, "withdrawn", transferWithdrawnMail({ publicUrl, ticketId }));
      });
    },

    /** Staff cancelled the workflow while it waited. */
    async cancelTransfer(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await setTicketStatus(trx, ticketId, "cancelled", "cancelled_by_staff"))) return;
        await writeAudit(trx, actor(), { action: "ticket.cancelled", targetType: "ticket", targetId: ticketId });
        await tellRequester(trx, ticketId, "cancelled", transferCancelledMail({ publicUrl, ticketId }));
      });
    },
  };
}
