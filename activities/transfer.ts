/**
 * Activities of the emailTransfer workflow. Each re-reads the database, is
 * idempotent (status guards, ledger idempotency keys, mail dedupe keys) and
 * returns ids and codes only: the addresses stay in the ticket row.
 */
import { ApplicationFailure } from "@temporalio/activity";
import { sql } from "kysely";
import type { Config } from "../app/config.server.js";
import { createStatusChange } from "../app/models/accounts.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { formatCents } from "../app/models/money.js";
import {
  getTicket,
  issueConfirmToken,
  recordDecision,
  requesterAddress,
  setTicketStatus,
  transferPartyProblems,
  verifyTransferTicket,
} from "../app/models/tickets.server.js";
import { deliveryMode, enqueueMail } from "../app/mail/mailer.server.js";
import type { Db, DbOrTrx } from "../db/connection.js";
import { transferFailureReason } from "../app/models/transfer-failures.js";
import { actor } from "./common.js";

export interface TransferVerdict {
  ok: boolean;
  failed: string[];
  oldAccountId: string | null;
  newAccountId: string | null;
  /** Not personal data: decides whether a second approver is needed. */
  oldBalanceCents: string;
}

export function transferActivities({ db, config }: { db: Db; config: Pick<Config, "publicUrl" | "smtpUrl"> }) {
  const mode = deliveryMode(config);
  const ticketUrl = (ticketId: string) => `${config.publicUrl}/support/tickets/${ticketId}`;

  async function tellRequester(trx: DbOrTrx, ticketId: string, what: string, subject: string, text: string) {
    const to = await requesterAddress(trx, ticketId);
    if (!to) return;
    await enqueueMail(
      trx,
      { to, subject, text, kind: `transfer_${what}`, dedupeKey: `transfer:${ticketId}:${what}`, related: { type: "ticket", id: ticketId } },
      mode,
    );
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
            await tellRequester(
              trx,
              input.ticketId,
              "rejected",
              "Your email transfer request could not be verified",
              `We could not verify your request to move your Switchboard account to a new email address.\n\nWhat failed: ${failed.map((c) => c.replace(/_/g, " ")).join("; ")}.\n\nSee ${ticketUrl(input.ticketId)} for details, or reply to support.`,
            );
          }
          return verdict;
        }
        if (ticket.status === "open") {
          const token = await issueConfirmToken(trx, input.ticketId, new Date(Date.now() + input.confirmWithinMs));
          await setTicketStatus(trx, input.ticketId, "awaiting_confirmation", "awaiting_confirmation");
          await enqueueMail(
            trx,
            {
              to: ticket.new_address!,
              subject: "Confirm that this account may receive a Switchboard account's credits",
              text:
                `Someone asked to move a Switchboard account to this email address. If that was you, sign in with this address and confirm:\n\n` +
                `${config.publicUrl}/confirm-transfer/${token}\n\n` +
                `The link works once and expires on ${new Date(Date.now() + input.confirmWithinMs).toISOString().slice(0, 16).replace("T", " ")} UTC. If you did not ask for this, ignore this mail.`,
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
        const t = await trx.selectFrom("support_tickets").select("confirmed_at").where("id", "=", ticketId).forUpdate().executeTakeFirst();
        if (t?.confirmed_at) return false;
        if (!(await setTicketStatus(trx, ticketId, "expired", "confirmation_timed_out"))) return true;
        await writeAudit(trx, actor(), { action: "ticket.expired", targetType: "ticket", targetId: ticketId });
        await tellRequester(
          trx,
          ticketId,
          "expired",
          "Your email transfer request expired",
          `The new address did not confirm in time, so nothing was moved. You can ask again: ${config.publicUrl}/settings/email`,
        );
        return true;
      });
    },

    async markAwaitingApproval(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable("support_tickets")
          .set({ status: "awaiting_approval", step: "awaiting_approval", updated_at: sql`now()` })
          .where("id", "=", ticketId)
          .where("status", "=", "awaiting_confirmation")
          .execute();
      });
    },

    async recordTransferDecision(input: { ticketId: string; staffId: string; decision: "approve" | "reject" }): Promise<void> {
      await db.transaction().execute((trx) => recordDecision(trx, input, actor()));
    },

    async closeRejectedTransfer(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await setTicketStatus(trx, ticketId, "rejected", "rejected_by_staff"))) return;
        await tellRequester(
          trx,
          ticketId,
          "rejected_by_staff",
          "Your email transfer request was declined",
          `Support declined your request to move your account. See ${ticketUrl(ticketId)} or reply to support.`,
        );
      });
    },

    /** A nudge said one of the accounts changed: what now stands in the way, as codes (none: wait on). */
    async recheckTransferParties(ticketId: string): Promise<string[]> {
      return transferPartyProblems(db, ticketId);
    },

    /**
     * Before the block: both accounts re-checked with their rows locked (so neither can be
     * deleted or blocked until this commits), then the request row the blockAccount child
     * works from (reason "transferred").
     */
    async prepareTransferBlock(ticketId: string): Promise<{ changeId: string; oldAccountId: string }> {
      return db.transaction().execute(async (trx) => {
        const t = await getTicket(trx, ticketId);
        if (!t?.old_account_id || !t.new_account_id) throw ApplicationFailure.nonRetryable("ticket lost its accounts", "ticket_incomplete");
        const problems = await transferPartyProblems(trx, ticketId, { lock: true });
        if (problems.length > 0) throw ApplicationFailure.nonRetryable(`the transfer can no longer go ahead: ${problems.join(",")}`, problems.join(","));
        await trx
          .updateTable("support_tickets")
          .set({ status: "transferring", step: "blocking_old_account", updated_at: sql`now()` })
          .where("id", "=", ticketId)
          .where("status", "in", ["awaiting_approval", "transferring"])
          .execute();
        const existing = await trx
          .selectFrom("account_status_changes")
          .select("id")
          .where("account_id", "=", t.old_account_id)
          .where("action", "=", "block")
          .where("reason_code", "=", "transferred")
          .where("reason_text", "=", `ticket:${ticketId}`)
          .executeTakeFirst();
        const changeId =
          existing?.id ??
          (await createStatusChange(
            trx,
            {
              accountId: t.old_account_id,
              action: "block",
              reasonCode: "transferred",
              reasonText: `ticket:${ticketId}`,
              staffId: null,
              transferToAccountId: t.new_account_id,
            },
            actor(),
          ));
        return { changeId, oldAccountId: t.old_account_id };
      });
    },

    /** The unblock that undoes this transfer's block; null when the account is not (or no longer) blocked by it. */
    async prepareTransferUnblock(ticketId: string): Promise<{ changeId: string; oldAccountId: string } | null> {
      return db.transaction().execute(async (trx) => {
        const t = await getTicket(trx, ticketId);
        if (!t?.old_account_id) throw ApplicationFailure.nonRetryable("ticket lost its accounts", "ticket_incomplete");
        const old = await trx
          .selectFrom("accounts")
          .select(["status", "blocked_reason_code", "transferred_to_account_id"])
          .where("id", "=", t.old_account_id)
          .forUpdate()
          .executeTakeFirst();
        const existing = await trx
          .selectFrom("account_status_changes")
          .select("id")
          .where("account_id", "=", t.old_account_id)
          .where("action", "=", "unblock")
          .where("reason_text", "=", `ticket:${ticketId}`)
          .executeTakeFirst();
        // Someone else's block (or none) is not ours to lift. A retry finds the row it made before.
        const blockedByUs = old?.status === "blocked" && old.blocked_reason_code === "transferred" && old.transferred_to_account_id === t.new_account_id;
        if (!existing && !blockedByUs) return null;
        const changeId =
          existing?.id ??
          (await createStatusChange(
            trx,
            { accountId: t.old_account_id, action: "unblock", reasonCode: "transfer_failed", reasonText: `ticket:${ticketId}`, staffId: null },
            actor(),
          ));
        return { changeId, oldAccountId: t.old_account_id };
      });
    },

    /**
     * Step 5, in one transaction: the whole balance as a transfer_out/transfer_in
     * pair (idempotency key transfer:<ticketId>), plan and recharge rule. A retry
     * after a crash finds the pair and does nothing more.
     */
    async migrateTransfer(ticketId: string): Promise<{ transferredCents: string }> {
      return db.transaction().execute(async (trx) => {
        const t = await getTicket(trx, ticketId);
        if (!t?.old_account_id || !t.new_account_id) throw ApplicationFailure.nonRetryable("ticket lost its accounts", "ticket_incomplete");
        const [oldId, newId] = [t.old_account_id, t.new_account_id];
        // Both rows locked, always in the same order: two transfers never deadlock.
        await trx.selectFrom("accounts").select("id").where("id", "in", [oldId, newId]).orderBy("id").forUpdate().execute();
        const done = await trx
          .selectFrom("ledger_entries")
          .select("amount_cents")
          .where("account_id", "=", oldId)
          .where("idempotency_key", "=", `transfer:${ticketId}`)
          .executeTakeFirst();
        if (done) return { transferredCents: (-BigInt(done.amount_cents)).toString() };
        // Checked again under the locks: the old account blocked by this very transfer, the new one still active.
        const problems = await transferPartyProblems(trx, ticketId, { oldBlockedByThisTransfer: true });
        if (problems.length > 0) throw ApplicationFailure.nonRetryable(`the transfer can no longer go ahead: ${problems.join(",")}`, problems.join(","));
        const old = await trx.selectFrom("accounts").select(["balance_cents", "plan"]).where("id", "=", oldId).executeTakeFirstOrThrow();
        const amount = BigInt(old.balance_cents);
        if (amount !== 0n) {
          const out = await postLedgerEntry(trx, {
            accountId: oldId,
            amountCents: -amount,
            kind: "transfer_out",
            idempotencyKey: `transfer:${ticketId}`,
            actor: actor(),
          });
          const inn = await postLedgerEntry(trx, {
            accountId: newId,
            amountCents: amount,
            kind: "transfer_in",
            idempotencyKey: `transfer:${ticketId}`,
            actor: actor(),
          });
          if (out.status !== "created" || inn.status !== "created") {
            // e.g. the new account spent meanwhile and cannot take the old debt: nothing is committed.
            throw ApplicationFailure.nonRetryable(`ledger refused the transfer (${out.status}/${inn.status})`, "ledger_refused");
          }
        }
        await trx.updateTable("accounts").set({ plan: old.plan }).where("id", "=", newId).execute();
        const rule = await trx.selectFrom("recharge_rules").selectAll().where("account_id", "=", oldId).executeTakeFirst();
        if (rule) {
          const { account_id: _drop, ...copy } = rule;
          await trx
            .insertInto("recharge_rules")
            .values({ ...copy, account_id: newId })
            .onConflict((oc) => oc.column("account_id").doUpdateSet(copy))
            .execute();
          await trx.updateTable("recharge_rules").set({ enabled: false }).where("account_id", "=", oldId).execute();
        }
        await trx
          .updateTable("support_tickets")
          .set({ transferred_cents: amount.toString(), step: "migrated", updated_at: sql`now()` })
          .where("id", "=", ticketId)
          .execute();
        await writeAudit(trx, actor(), {
          action: "ticket.migrated",
          targetType: "ticket",
          targetId: ticketId,
          details: { from_account_id: oldId, to_account_id: newId, amount_cents: amount.toString(), plan: old.plan },
        });
        return { transferredCents: amount.toString() };
      });
    },

    /** Step 6: both addresses told, ticket closed. */
    async completeTransfer(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const t = await getTicket(trx, ticketId);
        if (!t) return;
        const amount = formatCents(t.transferred_cents ?? "0");
        await tellRequester(
          trx,
          ticketId,
          "completed_old",
          "Your Switchboard account was moved",
          `Everything on your old account (${amount} of credit, plan and settings) now belongs to the account on your new address, and the old account is blocked. Update your integrations to use the new account's API key.`,
        );
        if (t.new_address) {
          await enqueueMail(
            trx,
            {
              to: t.new_address,
              subject: "Your Switchboard account received a transfer",
              text: `Your account received ${amount} of credit, the plan and settings of your previous account. Sign in with this address from now on.`,
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
        const why = transferFailureReason(input.reason);
        const oldAccount = input.compensated
          ? "Your old account was unblocked and keeps its balance; its API keys were stopped when it was blocked, so create new ones in Settings → API keys."
          : "Your old account works as before and keeps its balance.";
        await tellRequester(
          trx,
          input.ticketId,
          "failed",
          "Your email transfer could not be completed",
          `The transfer could not be completed and nothing was moved: ${why}. ${oldAccount} ${ticketUrl(input.ticketId)}`,
        );
      });
    },

    /** The requester took the request back (their update was accepted by the workflow). */
    async withdrawTransfer(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await setTicketStatus(trx, ticketId, "withdrawn", "withdrawn_by_requester"))) return;
        await writeAudit(trx, actor(), { action: "ticket.withdrawn", targetType: "ticket", targetId: ticketId });
        await tellRequester(
          trx,
          ticketId,
          "withdrawn",
          "You withdrew your email transfer request",
          `As you asked, your request to move your Switchboard account was withdrawn; nothing was moved and the confirmation link no longer works. ${ticketUrl(ticketId)}`,
        );
      });
    },

    /** Staff cancelled the workflow while it waited. */
    async cancelTransfer(ticketId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (!(await setTicketStatus(trx, ticketId, "cancelled", "cancelled_by_staff"))) return;
        await writeAudit(trx, actor(), { action: "ticket.cancelled", targetType: "ticket", targetId: ticketId });
        await tellRequester(
          trx,
          ticketId,
          "cancelled",
          "Your email transfer request was cancelled",
          `Support cancelled your request to move your Switchboard account; nothing was moved and the confirmation link no longer works. See ${ticketUrl(ticketId)} or reply to support.`,
        );
      });
    },
  };
}
