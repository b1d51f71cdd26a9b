/**
 * What a fault run does to the app, the way people and staff do it: email
 * transfers (ticket → workflow → the new address confirms from its mail →
 * staff approve through the workflow update) and self-service deletions. Each
 * driver keeps trying through crashes and restarts until its workflow
 * finishes or the run's deadline passes, and never does a non-idempotent step
 * twice (an ambiguous commit is looked up before it is retried).
 */
import { randomBytes } from "node:crypto";
import { ActivityFailure, TimeoutFailure, WorkflowFailedError, WorkflowNotFoundError, type Client } from "@temporalio/client";
import type { Config } from "../../app/config.server.js";
import { startDeletion } from "../../app/services/deletion.server.js";
import type { Logger } from "../../app/logger.server.js";
import { postLedgerEntry } from "../../app/models/ledger.server.js";
import { setUserSubscriptions } from "../../app/models/mailing.server.js";
import { createSession } from "../../app/models/sessions.server.js";
import { createWebTransferTicket, markConfirmed } from "../../app/models/tickets.server.js";
import { decideTransfer, signalTransferConfirmed, startTransferWorkflow } from "../../app/services/transfer.server.js";
import type { Db } from "../../db/connection.js";
import { deleteWorkflowId } from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { log, sleep, type MailSink } from "./infra.js";

/**
 * Every open ticket's status in one query per tick, shared by all transfer drivers (a hundred
 * drivers each polling would load the 2-CPU machine the faults run on, and slow the worker down).
 */
export class TicketBoard {
  private readonly watched = new Set<string>();
  private readonly rows = new Map<string, { status: string; confirmed: boolean }>();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly db: Db) {}
  start(intervalMs = 500) {
    const tick = async () => {
      if (this.watched.size) {
        try {
          const rows = await this.db
            .selectFrom("support_tickets")
            .select(["id", "status", "confirmed_at"])
            .where("id", "in", [...this.watched])
            .execute();
          for (const r of rows) this.rows.set(r.id, { status: r.status, confirmed: r.confirmed_at !== null });
        } catch {
          // PostgreSQL restarting: the drivers keep the last view for a moment.
        }
      }
      this.timer = setTimeout(tick, intervalMs);
    };
    void tick();
  }
  stop() {
    clearTimeout(this.timer);
  }
  watch(ticketId: string) {
    this.watched.add(ticketId);
  }
  unwatch(ticketId: string) {
    this.watched.delete(ticketId);
  }
  get(ticketId: string) {
    return this.rows.get(ticketId);
  }
}

export interface Deps {
  board: TicketBoard;
  db: Db;
  temporal: Client;
  config: Config;
  logger: Logger;
  mail: MailSink;
  /** Past this, drivers give up (Infinity while faults are still being injected). */
  deadline: () => number;
  verbose: boolean;
}

export interface TransferCase {
  index: number;
  oldAccountId: string;
  oldUserId: string;
  oldEmail: string;
  newAccountId: string;
  newEmail: string;
  oldBalanceBefore: bigint;
  newBalanceBefore: bigint;
  approvalsNeeded: number;
  ticketId?: string;
  workflowId?: string;
  tokenFrom?: "smtp" | "outbox";
  result?: WorkflowOutcome;
  startedAt?: number;
  finishedAt?: number;
  /** Retries of driver steps (a step that failed on a fault and was tried again). */
  retries: number;
}

export interface DeletionCase {
  index: number;
  accountId: string;
  userId: string;
  email: string;
  name: string;
  /** A token only this person carries (in name and email): its absence is easy to check. */
  marker: string;
  identitySubject: string;
  workflowId?: string;
  result?: WorkflowOutcome;
  startedAt?: number;
  finishedAt?: number;
  retries: number;
}

export type WorkflowOutcome = { kind: "ok"; value: unknown } | { kind: "failed"; message: string } | { kind: "timeout"; message: string };

const hex = (n: number) => randomBytes(n).toString("hex");

// ---------------------------------------------------------------------------
// Fixtures

export async function createStaff(db: Db): Promise<string[]> {
  const rows = await db
    .insertInto("staff")
    .values([
      { email: `faults-approver-a-${hex(3)}@switchboard.test`, role: "support" },
      { email: `faults-approver-b-${hex(3)}@switchboard.test`, role: "admin" },
    ])
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

export async function createTransferCase(db: Db, index: number, rnd: () => number, secondApproverAboveCents: number): Promise<TransferCase> {
  // One in five needs two approvers (balance above the threshold); the rest stay below it.
  const big = rnd() < 0.2;
  const oldBalance = big
    ? BigInt(secondApproverAboveCents + 1 + Math.floor(rnd() * 150_000))
    : BigInt(1_000 + Math.floor(rnd() * (secondApproverAboveCents - 1_000)));
  const newBalance = rnd() < 0.3 ? 0n : BigInt(1 + Math.floor(rnd() * 5_000));
  const tag = `${index}-${hex(4)}`;
  const oldEmail = `faults-old-${tag}@example.com`;
  const newEmail = `faults-new-${tag}@example.com`;
  const old = await accountWithKey(db, { balanceCents: oldBalance, email: oldEmail });
  const fresh = await accountWithKey(db, { balanceCents: newBalance, email: newEmail });
  return {
    index,
    oldAccountId: old.accountId,
    oldUserId: old.userId,
    oldEmail,
    newAccountId: fresh.accountId,
    newEmail,
    oldBalanceBefore: oldBalance,
    newBalanceBefore: newBalance,
    approvalsNeeded: oldBalance > BigInt(secondApproverAboveCents) ? 2 : 1,
    retries: 0,
  };
}

/** A person with a bit of everything erasure must reach: identity, session, subscriptions, credit with a note naming them. */
export async function createDeletionCase(db: Db, index: number): Promise<DeletionCase> {
  const marker = `zq${hex(5)}`;
  const email = `faults-del-${marker}@example.com`;
  const name = `Delia Faultperson ${marker}`;
  const identitySubject = `faults-subject-${marker}`;
  const a = await accountWithKey(db, { balanceCents: 2_500n, email });
  await db.updateTable("users").set({ name }).where("id", "=", a.userId).execute();
  await db.insertInto("identities").values({ user_id: a.userId, provider: "google", subject: identitySubject, email, email_verified: true }).execute();
  await createSession(db, {
    userId: a.userId,
    accountId: a.accountId,
    staffId: null,
    provider: "google",
    ttlHours: 24,
    ip: "203.0.113.9",
    userAgent: "faults",
  });
  const lists = (await db.selectFrom("mailing_lists").select("id").orderBy("id").execute()).map((l) => l.id).slice(0, 2);
  await setUserSubscriptions(db, a.userId, new Set(lists), { type: "user", id: a.userId });
  await postLedgerEntry(db, {
    accountId: a.accountId,
    amountCents: 500n,
    kind: "grant",
    idempotencyKey: "faults:note",
    actor: { type: "system", id: null },
    note: `welcome credit for ${name}`,
  });
  return { index, accountId: a.accountId, userId: a.userId, email, name, marker, identitySubject, retries: 0 };
}

// ---------------------------------------------------------------------------
// Helpers

const CONFIRM_LINK = /confirm-transfer\/([A-Za-z0-9_-]{43})/;
const POLL_MS = 500;
/** How long a confirmation may take to arrive by SMTP before the driver reads it from the outbox. */
const SMTP_TOKEN_WAIT_MS = 20_000;

class DeadlinePassed extends Error {}

function checkDeadline(deps: Deps) {
  if (Date.now() > deps.deadline()) throw new DeadlinePassed("deadline passed");
}

/** Runs `fn` until it succeeds; every failure (database or Temporal down) is retried after a pause. */
async function retrying<T>(deps: Deps, c: { retries: number }, what: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    checkDeadline(deps);
    try {
      return await fn();
    } catch (err) {
      c.retries++;
      if (deps.verbose) log(`${what}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)} (retrying)`);
      await sleep(POLL_MS * 2);
    }
  }
}

/** The workflow's result, following its runs, through Temporal restarts. */
async function awaitResult(deps: Deps, c: { retries: number }, workflowId: string): Promise<WorkflowOutcome> {
  const handle = deps.temporal.workflow.getHandle(workflowId);
  for (;;) {
    const deadline = deps.deadline();
    if (Date.now() > deadline) return { kind: "timeout", message: `no result by the deadline` };
    try {
      // A finite gRPC deadline per attempt, so a restart of the server or the deadline moving in is noticed.
      const until = Math.min(deadline, Date.now() + 30_000);
      const value = await deps.temporal.withDeadline(until, () => handle.result());
      return { kind: "ok", value };
    } catch (err) {
      if (err instanceof WorkflowFailedError) return { kind: "failed", message: failureChain(err) };
      if (!(err instanceof WorkflowNotFoundError)) c.retries++;
      await sleep(POLL_MS);
    }
  }
}

/** "Workflow execution failed ← activity beginDeletion (attempt cap reached) ← Activity task timed out (START_TO_CLOSE)". */
function failureChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) {
    if (e instanceof ActivityFailure) parts.push(`activity ${e.activityType} (retry state ${e.retryState ?? "?"})`);
    else if (e instanceof TimeoutFailure) parts.push(`${e.message} (${e.timeoutType ?? "?"})`);
    else parts.push(e.message);
  }
  return parts.join(" ← ");
}

const outcome = (e: unknown): WorkflowOutcome =>
  e instanceof DeadlinePassed
    ? { kind: "timeout", message: "deadline passed while driving" }
    : { kind: "failed", message: e instanceof Error ? e.message : String(e) };

// ---------------------------------------------------------------------------
// Transfers

async function ensureTicket(deps: Deps, tr: TransferCase): Promise<string> {
  return retrying(deps, tr, `transfer ${tr.index}: ticket`, async () => {
    // An insert whose commit was lost in a restart may have happened: look before inserting again.
    const existing = await deps.db.selectFrom("support_tickets").select("id").where("old_account_id", "=", tr.oldAccountId).executeTakeFirst();
    if (existing) return existing.id;
    return createWebTransferTicket(
      deps.db,
      { requesterUserId: tr.oldUserId, oldAccountId: tr.oldAccountId, newAddress: tr.newEmail },
      { type: "user", id: tr.oldUserId },
    );
  });
}

async function ensureTransferStarted(deps: Deps, tr: TransferCase, ticketId: string): Promise<string> {
  return retrying(deps, tr, `transfer ${tr.index}: start`, async () => {
    // A retry after a lost answer links the run the earlier attempt started.
    return await startTransferWorkflow(deps, ticketId);
  });
}

async function confirmationToken(deps: Deps, tr: TransferCase, ticketId: string, waitingSince: number): Promise<string | null> {
  const mail = deps.mail.to(tr.newEmail).find((m) => CONFIRM_LINK.test(m.text));
  if (mail) {
    tr.tokenFrom = "smtp";
    return CONFIRM_LINK.exec(mail.text)![1];
  }
  if (Date.now() - waitingSince < SMTP_TOKEN_WAIT_MS) return null;
  // The dispatcher that claimed it was killed mid-send: its lease keeps the mail back for a while.
  const row = await deps.db
    .selectFrom("mail_outbox")
    .select("text_body")
    .where("related_type", "=", "ticket")
    .where("related_id", "=", ticketId)
    .where("kind", "=", "transfer_confirmation")
    .executeTakeFirst();
  const m = row && CONFIRM_LINK.exec(row.text_body);
  if (!m) return null;
  tr.tokenFrom = "outbox";
  return m[1];
}

export async function driveTransfer(deps: Deps, tr: TransferCase, staffIds: string[]): Promise<void> {
  tr.startedAt = Date.now();
  try {
    const ticketId = await ensureTicket(deps, tr);
    tr.ticketId = ticketId;
    tr.workflowId = await ensureTransferStarted(deps, tr, ticketId);

    let confirmedAndSignalled = false;
    let waitingSince: number | null = null;
    const approvedBy = new Set<string>();
    deps.board.watch(ticketId);
    for (;;) {
      checkDeadline(deps);
      const ticket = deps.board.get(ticketId);
      if (!ticket) {
        await sleep(POLL_MS);
        continue;
      }
      if (["completed", "rejected", "expired", "failed"].includes(ticket.status)) break;

      try {
        if (!confirmedAndSignalled && ticket.status === "awaiting_confirmation") {
          waitingSince ??= Date.now();
          if (!ticket.confirmed) {
            const token = await confirmationToken(deps, tr, ticketId, waitingSince);
            // Recorded once (a repeat after a lost answer changes nothing); the board shows it next tick.
            if (token) await markConfirmed(deps.db, ticketId, token, { type: "user", id: null });
          } else {
            // Recorded; the workflow hears it by signal (re-sent until Temporal takes it).
            await signalTransferConfirmed(deps, ticketId);
            confirmedAndSignalled = true;
            continue;
          }
        }
        if (!confirmedAndSignalled && ticket.confirmed && ticket.status !== "awaiting_confirmation") confirmedAndSignalled = true;
        if (ticket.status === "awaiting_approval" && approvedBy.size < tr.approvalsNeeded) {
          const staffId = staffIds.find((s) => !approvedBy.has(s))!;
          const r = await decideTransfer(deps, tr.workflowId!, "approve", { staffId, role: "support" });
          if (r.ok) approvedBy.add(staffId);
          else if (/already approved/i.test(r.message))
            approvedBy.add(staffId); // an earlier answer was lost
          else if (/already been decided/i.test(r.message)) approvedBy.add(staffId);
          else {
            tr.retries++;
            if (deps.verbose) log(`transfer ${tr.index}: approval not taken yet: ${r.message}`);
            await sleep(POLL_MS);
          }
          continue;
        }
      } catch (err) {
        tr.retries++;
        if (deps.verbose) log(`transfer ${tr.index}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)} (retrying)`);
      }
      await sleep(POLL_MS);
    }
    deps.board.unwatch(ticketId);
    tr.result = await awaitResult(deps, tr, tr.workflowId);
  } catch (err) {
    tr.result = outcome(err);
  } finally {
    tr.finishedAt = Date.now();
  }
}

// ---------------------------------------------------------------------------
// Deletions

export async function driveDeletion(deps: Deps, del: DeletionCase): Promise<void> {
  del.startedAt = Date.now();
  // A request recorded while Temporal refused its start is started again the way support does it (source "support").
  let restartAsSupport = false;
  try {
    del.workflowId = await retrying(deps, del, `deletion ${del.index}: start`, async () => {
      const started = await startDeletion(
        deps,
        restartAsSupport
          ? { accountId: del.accountId, source: "support", userId: null, staffId: null, reason: "started again after Temporal refused" }
          : { accountId: del.accountId, source: "self", userId: del.userId, staffId: null, reason: "" },
        restartAsSupport ? { type: "system", id: "faults-support" } : { type: "user", id: del.userId },
      );
      if (started.ok && started.started) return started.workflowId;
      if (started.ok) {
        restartAsSupport = true;
        throw new Error("deletion recorded, but its workflow did not start");
      }
      if (started.status === 409) {
        // An earlier attempt committed, but its answer was lost.
        const live = await deps.db.selectFrom("account_deletions").select("workflow_id").where("account_id", "=", del.accountId).executeTakeFirst();
        if (live?.workflow_id) return live.workflow_id;
        // Committed, but its start was refused and that answer lost too.
        restartAsSupport = true;
      }
      throw new Error(`startDeletion: ${started.status} ${started.message}`);
    });
    del.result = await awaitResult(deps, del, del.workflowId ?? deleteWorkflowId(del.accountId));
  } catch (err) {
    del.result = outcome(err);
  } finally {
    del.finishedAt = Date.now();
  }
}
