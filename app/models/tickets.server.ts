/**
 * Support tickets; for now the email transfer: a request from the old
 * account's address to move everything to an account on a new address.
 * Addresses stay in this table (erasable) and never go into a workflow.
 */
import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, TicketCheck, TicketStatus } from "../../db/schema.js";
import {
  accountBalanceAndPlan,
  accountBlockState,
  createStatusChange,
  lockAccountsInIdOrder,
  setTransferredPlan,
  transferStatusChangeOf,
  unblockAccount,
} from "./accounts.server.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { normalizeEmail } from "./email.server.js";
import { ledgerAmountByKey, postLedgerEntry } from "./ledger.server.js";
import { moveSavedCard } from "./billing-customers.server.js";
import { moveRechargeRule } from "./recharge-rules.server.js";

export const FINAL_STATUSES: readonly TicketStatus[] = ["completed", "rejected", "expired", "withdrawn", "cancelled", "failed"];
export const OPEN_STATUSES: readonly TicketStatus[] = ["open", "awaiting_confirmation", "awaiting_approval", "transferring"];
/** Open, and still waiting on people: the request may be withdrawn and ends if either account goes away. */
export const WAITING_STATUSES: readonly TicketStatus[] = ["open", "awaiting_confirmation", "awaiting_approval"];

/** The account a user owns (the one a transfer moves from or to). */
async function ownedAccountOf(db: DbOrTrx, email: string) {
  return db
    .selectFrom("users")
    .innerJoin("memberships", "memberships.user_id", "users.id")
    .select(["users.id as user_id", "memberships.account_id"])
    .where("users.email", "=", normalizeEmail(email))
    .where("users.erased_at", "is", null)
    .where("memberships.role", "=", "owner")
    .executeTakeFirst();
}

/** From Settings → Email: the signed-in owner of the old account asks. */
export async function createWebTransferTicket(
  db: DbOrTrx,
  input: { requesterUserId: string; oldAccountId: string; newAddress: string },
  actor: Actor,
): Promise<string> {
  const { id } = await db
    .insertInto("support_tickets")
    .values({
      kind: "email_transfer",
      source: "web",
      old_account_id: input.oldAccountId,
      requester_user_id: input.requesterUserId,
      new_address: normalizeEmail(input.newAddress),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await writeAudit(db, actor, {
    action: "ticket.created",
    targetType: "ticket",
    targetId: id,
    details: { kind: "email_transfer", source: "web", old_account_id: input.oldAccountId },
  });
  return id;
}

/** From an inbound mail: the sender (and its SPF/DKIM verdict) is recorded; verification judges it. */
export async function createEmailTransferTicket(
  db: DbOrTrx,
  input: { senderAddress: string; senderVerdict: "pass" | "fail"; newAddress: string },
  actor: Actor,
): Promise<string> {
  const owner = await ownedAccountOf(db, input.senderAddress);
  const { id } = await db
    .insertInto("support_tickets")
    .values({
      kind: "email_transfer",
      source: "email",
      old_account_id: owner?.account_id ?? null,
      requester_user_id: owner?.user_id ?? null,
      sender_address: normalizeEmail(input.senderAddress),
      sender_verdict: input.senderVerdict,
      new_address: normalizeEmail(input.newAddress),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await writeAudit(db, actor, {
    action: "ticket.created",
    targetType: "ticket",
    targetId: id,
    details: { kind: "email_transfer", source: "email", verdict: input.senderVerdict },
  });
  return id;
}

export async function setTicketWorkflow(db: DbOrTrx, ticketId: string, workflowId: string): Promise<void> {
  await db.updateTable("support_tickets").set({ workflow_id: workflowId }).where("id", "=", ticketId).execute();
}

export async function getTicket(db: DbOrTrx, ticketId: string) {
  return db.selectFrom("support_tickets").selectAll().where("id", "=", ticketId).executeTakeFirst();
}

/**
 * Where to tell the requester about their ticket. A mailed request whose
 * sender failed SPF/DKIM gets no answer: its From may be forged, and answering
 * it would send our mail to someone who never wrote (backscatter).
 */
export async function requesterAddress(db: DbOrTrx, ticketId: string): Promise<string | null> {
  const row = await db
    .selectFrom("support_tickets")
    .leftJoin("users", "users.id", "support_tickets.requester_user_id")
    .select(["support_tickets.source", "support_tickets.sender_address", "support_tickets.sender_verdict", "users.email"])
    .where("support_tickets.id", "=", ticketId)
    .executeTakeFirst();
  if (!row) return null;
  if (row.source === "email") return row.sender_verdict === "pass" ? row.sender_address : null;
  return row.email;
}

export interface Verification {
  checks: TicketCheck[];
  oldAccountId: string | null;
  newAccountId: string | null;
  oldBalanceCents: string;
}

/** Re-reads everything a transfer depends on; the checks are codes only. */
export async function verifyTransferTicket(db: DbOrTrx, ticketId: string): Promise<Verification> {
  const t = await db
    .selectFrom("support_tickets")
    .select(["id", "source", "old_account_id", "requester_user_id", "sender_address", "sender_verdict", "new_address"])
    .where("id", "=", ticketId)
    .executeTakeFirstOrThrow();
  const old = t.old_account_id
    ? await db.selectFrom("accounts").select(["id", "status", "balance_cents", "credit_limit_cents"]).where("id", "=", t.old_account_id).executeTakeFirst()
    : undefined;
  const requesterOwnsOld =
    t.old_account_id && t.requester_user_id
      ? await db
          .selectFrom("memberships")
          .innerJoin("users", "users.id", "memberships.user_id")
          .select(["users.email"])
          .where("memberships.account_id", "=", t.old_account_id)
          .where("memberships.user_id", "=", t.requester_user_id)
          .where("memberships.role", "=", "owner")
          .executeTakeFirst()
      : undefined;
  const target = t.new_address ? await ownedAccountOf(db, t.new_address) : undefined;
  const fresh = target
    ? await db.selectFrom("accounts").select(["id", "status", "balance_cents", "credit_limit_cents"]).where("id", "=", target.account_id).executeTakeFirst()
    : undefined;
  const otherOpen = t.old_account_id
    ? await db
        .selectFrom("support_tickets")
        .select("id")
        .where("old_account_id", "=", t.old_account_id)
        .where("id", "!=", ticketId)
        .where("status", "in", OPEN_STATUSES)
        .executeTakeFirst()
    : undefined;
  const requesterProven =
    t.source === "web"
      ? requesterOwnsOld !== undefined
      : t.sender_verdict === "pass" && requesterOwnsOld !== undefined && requesterOwnsOld.email === t.sender_address;
  const combined = old && fresh ? BigInt(old.balance_cents) + BigInt(fresh.balance_cents) : 0n;
  const checks: TicketCheck[] = [
    { code: t.source === "web" ? "requester_signed_in_as_old_owner" : "sender_authenticated_as_old_owner", passed: requesterProven },
    { code: "old_account_active", passed: old?.status === "active" },
    { code: "no_other_open_transfer", passed: t.old_account_id !== null && otherOpen === undefined },
    { code: "new_account_exists", passed: fresh !== undefined },
    // Checks of the new account only mean something when there is one; without it they are left out, not failed.
    ...(fresh
      ? [
          { code: "new_account_is_not_old", passed: fresh.id !== t.old_account_id },
          { code: "new_account_active", passed: fresh.status === "active" },
          { code: "new_account_not_being_deleted", passed: fresh.status !== "deleting" && fresh.status !== "deleted" },
          { code: "combined_balance_within_credit_limit", passed: combined >= -BigInt(fresh.credit_limit_cents) },
        ]
      : []),
  ];
  await db
    .updateTable("support_tickets")
    .set({ checks: JSON.stringify(checks), new_account_id: fresh?.id ?? null, step: "verified", updated_at: sql`now()` })
    .where("id", "=", ticketId)
    .execute();
  return { checks, oldAccountId: old?.id ?? null, newAccountId: fresh?.id ?? null, oldBalanceCents: old?.balance_cents ?? "0" };
}

/** Moves a ticket on; never out of a final status. Returns whether it moved. */
export async function setTicketStatus(
  db: DbOrTrx,
  ticketId: string,
  status: TicketStatus,
  stepName: string,
  extra: { failureReason?: string } = {},
): Promise<boolean> {
  const result = await db
    .updateTable("support_tickets")
    .set({
      status,
      step: stepName,
      updated_at: sql`now()`,
      // A closed ticket's confirmation link dies with it, whatever closed it.
      ...(FINAL_STATUSES.includes(status) ? { closed_at: sql`now()`, confirm_expires_at: sql`least(confirm_expires_at, now())` } : {}),
      ...(extra.failureReason ? { failure_reason: extra.failureReason } : {}),
    })
    .where("id", "=", ticketId)
    .where("status", "not in", FINAL_STATUSES)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

// ---- both parties, re-checked whenever the transfer moves on ----

/**
 * The old account is blocked by this very transfer ("transferred", to the
 * transfer's new account): the state its migration needs, and the only block
 * the transfer may lift again. Someone else's block is not the transfer's.
 */
export function blockedByThisTransfer(
  old: { status: AccountStatus; blocked_reason_code: string | null; transferred_to_account_id: string | null } | undefined,
  newAccountId: string | null,
): boolean {
  return old?.status === "blocked" && old.blocked_reason_code === "transferred" && old.transferred_to_account_id === newAccountId;
}

/**
 * Why the transfer can no longer go ahead, as codes (empty: it can): both
 * accounts must still be active. With `lock`, both rows are locked in id order
 * first (the caller's transaction then holds them until it commits, so no
 * deletion or block can slip in between the check and the step).
 */
export async function transferPartyProblems(
  db: DbOrTrx,
  ticketId: string,
  opts: { lock?: boolean; oldBlockedByThisTransfer?: boolean } = {},
): Promise<string[]> {
  const t = await db.selectFrom("support_tickets").select(["old_account_id", "new_account_id"]).where("id", "=", ticketId).executeTakeFirst();
  if (!t?.old_account_id || !t.new_account_id) return ["ticket_incomplete"];
  const rows = await db
    .selectFrom("accounts")
    .select(["id", "status", "blocked_reason_code", "transferred_to_account_id"])
    .where("id", "in", [t.old_account_id, t.new_account_id])
    .orderBy("id")
    .$if(opts.lock === true, (q) => q.forUpdate())
    .execute();
  const old = rows.find((r) => r.id === t.old_account_id);
  const fresh = rows.find((r) => r.id === t.new_account_id);
  const problems: string[] = [];
  if (opts.oldBlockedByThisTransfer) {
    if (!blockedByThisTransfer(old, t.new_account_id)) problems.push("old_account_not_blocked_for_transfer");
  } else if (old?.status !== "active") {
    problems.push(old?.status === "deleting" || old?.status === "deleted" ? "old_account_deleted" : "old_account_not_active");
  }
  if (fresh?.status !== "active") problems.push(fresh?.status === "deleting" || fresh?.status === "deleted" ? "new_account_deleted" : "new_account_not_active");
  return problems;
}

/** Transfers still waiting on people that involve this account, on either side. */
export async function waitingTransfersOf(db: DbOrTrx, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("support_tickets")
    .select("id")
    .where("kind", "=", "email_transfer")
    .where((eb) => eb.or([eb("old_account_id", "=", accountId), eb("new_account_id", "=", accountId)]))
    .where("status", "in", WAITING_STATUSES)
    .execute();
  return rows.map((r) => r.id);
}

/** A transfer of this account (either side) that is moving money right now: the one state a deletion must wait for. */
export async function movingTransferOf(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("support_tickets")
    .select("id")
    .where("kind", "=", "email_transfer")
    .where((eb) => eb.or([eb("old_account_id", "=", accountId), eb("new_account_id", "=", accountId)]))
    .where("status", "=", "transferring")
    .executeTakeFirst();
}

/** The transfer's block or unblock request that has not finished (its workflow may still run, or never started). */
export async function unfinishedTransferStep(db: DbOrTrx, ticketId: string) {
  return db
    .selectFrom("account_status_changes")
    .select(["id", "account_id", "action"])
    .where("reason_text", "=", `ticket:${ticketId}`)
    .where("status", "in", ["pending", "running"])
    .executeTakeFirst();
}

/**
 * Staff close a ticket whose workflow ended without closing it (terminated):
 * completed if the migration committed (its ledger pair is there), else
 * cancelled, and an old account still blocked by this transfer is unblocked in
 * the same transaction. Returns the status it got; null when the ticket was
 * already closed, "step_running" while its block or unblock still runs.
 */
export async function closeOrphanedTicket(
  db: DbOrTrx,
  input: { ticketId: string; staffId: string; reason: string },
  actor: Actor,
): Promise<{ status: "completed" | "cancelled" } | "step_running" | null> {
  const t = await db
    .selectFrom("support_tickets")
    .select(["status", "old_account_id", "new_account_id"])
    .where("id", "=", input.ticketId)
    .forUpdate()
    .executeTakeFirst();
  if (!t || FINAL_STATUSES.includes(t.status)) return null;
  // The transfer's block (or unblock) outlives the terminated transfer and must finish first, or an unblock could overtake it.
  if (await unfinishedTransferStep(db, input.ticketId)) return "step_running";
  const moved = t.old_account_id
    ? await db
        .selectFrom("ledger_entries")
        .select("id")
        .where("account_id", "=", t.old_account_id)
        .where("idempotency_key", "=", `transfer:${input.ticketId}`)
        .executeTakeFirst()
    : undefined;
  const migrated =
    moved !== undefined ||
    (await db.selectFrom("audit_log").select("id").where("action", "=", "ticket.migrated").where("target_id", "=", input.ticketId).executeTakeFirst()) !==
      undefined;
  const status = migrated ? "completed" : "cancelled";
  await setTicketStatus(db, input.ticketId, status, "closed_by_staff", migrated ? {} : { failureReason: "closed_by_staff" });
  await db.insertInto("ticket_notes").values({ ticket_id: input.ticketId, staff_id: input.staffId, body: input.reason }).execute();
  await writeAudit(db, actor, { action: "ticket.closed_by_hand", targetType: "ticket", targetId: input.ticketId, details: { status } });
  if (migrated || !t.old_account_id) return { status };
  // In the same transaction: no moment in which a cancelled transfer leaves its old account blocked as "transferred".
  if (blockedByThisTransfer(await accountBlockState(db, t.old_account_id), t.new_account_id)) await unblockAccount(db, t.old_account_id, actor);
  return { status };
}

// ---- the transfer's steps (its workflow's activities call these in their transaction) ----

/** Why a step of the transfer cannot go on: `code` is what the workflow reads, `message` what the failure says. */
export interface TransferStepRefusal {
  ok: false;
  code: string;
  message: string;
}

const TICKET_INCOMPLETE: TransferStepRefusal = { ok: false, code: "ticket_incomplete", message: "ticket lost its accounts" };
const partiesRefusal = (problems: string[]): TransferStepRefusal => ({
  ok: false,
  code: problems.join(","),
  message: `the transfer can no longer go ahead: ${problems.join(",")}`,
});

/** Locked until the caller's transaction ends, so a confirmation cannot land between reading it and expiring the ticket. */
export async function ticketConfirmedAtForUpdate(db: DbOrTrx, ticketId: string): Promise<Date | null> {
  const t = await db.selectFrom("support_tickets").select("confirmed_at").where("id", "=", ticketId).forUpdate().executeTakeFirst();
  return t?.confirmed_at ?? null;
}

/** Confirmed by the new address: now staff decide. */
export async function markTicketAwaitingApproval(db: DbOrTrx, ticketId: string): Promise<void> {
  await db
    .updateTable("support_tickets")
    .set({ status: "awaiting_approval", step: "awaiting_approval", updated_at: sql`now()` })
    .where("id", "=", ticketId)
    .where("status", "=", "awaiting_confirmation")
    .execute();
}

/**
 * Before the block: both accounts re-checked with their rows locked (so neither can be
 * deleted or blocked until the caller's transaction commits), then the request row the
 * blockAccount child works from (reason "transferred"). A retry finds the row it made before.
 */
export async function requestTransferBlock(
  db: DbOrTrx,
  ticketId: string,
  actor: Actor,
): Promise<{ ok: true; changeId: string; oldAccountId: string } | TransferStepRefusal> {
  const t = await getTicket(db, ticketId);
  if (!t?.old_account_id || !t.new_account_id) return TICKET_INCOMPLETE;
  const problems = await transferPartyProblems(db, ticketId, { lock: true });
  if (problems.length > 0) return partiesRefusal(problems);
  await db
    .updateTable("support_tickets")
    .set({ status: "transferring", step: "blocking_old_account", updated_at: sql`now()` })
    .where("id", "=", ticketId)
    .where("status", "in", ["awaiting_approval", "transferring"])
    .execute();
  const existing = await transferStatusChangeOf(db, { accountId: t.old_account_id, action: "block", reasonCode: "transferred", ticketId });
  const changeId =
    existing ??
    (await createStatusChange(
      db,
      {
        accountId: t.old_account_id,
        action: "block",
        reasonCode: "transferred",
        reasonText: `ticket:${ticketId}`,
        staffId: null,
        transferToAccountId: t.new_account_id,
      },
      actor,
    ));
  return { ok: true, changeId, oldAccountId: t.old_account_id };
}

/** The unblock that undoes this transfer's block; null when the account is not (or no longer) blocked by it. */
export async function requestTransferUnblock(
  db: DbOrTrx,
  ticketId: string,
  actor: Actor,
): Promise<{ ok: true; changeId: string; oldAccountId: string } | TransferStepRefusal | null> {
  const t = await getTicket(db, ticketId);
  if (!t?.old_account_id) return TICKET_INCOMPLETE;
  const old = await accountBlockState(db, t.old_account_id, { lock: true });
  const existing = await transferStatusChangeOf(db, { accountId: t.old_account_id, action: "unblock", ticketId });
  // Someone else's block (or none) is not ours to lift. A retry finds the row it made before.
  if (!existing && !blockedByThisTransfer(old, t.new_account_id)) return null;
  const changeId =
    existing ??
    (await createStatusChange(
      db,
      { accountId: t.old_account_id, action: "unblock", reasonCode: "transfer_failed", reasonText: `ticket:${ticketId}`, staffId: null },
      actor,
    ));
  return { ok: true, changeId, oldAccountId: t.old_account_id };
}

/**
 * The move itself, in the caller's transaction: the whole balance as a
 * transfer_out/transfer_in pair (idempotency key transfer:<ticketId>), plan and
 * recharge rule. A retry after a crash finds the pair and does nothing more. On
 * a refusal the caller must roll back: a ledger refusal may follow one posted half.
 */
export async function migrateTransferTicket(
  db: DbOrTrx,
  ticketId: string,
  actor: Actor,
): Promise<{ ok: true; transferredCents: string } | TransferStepRefusal> {
  const t = await getTicket(db, ticketId);
  if (!t?.old_account_id || !t.new_account_id) return TICKET_INCOMPLETE;
  const [oldId, newId] = [t.old_account_id, t.new_account_id];
  // Both rows locked, always in the same order: two transfers never deadlock.
  await lockAccountsInIdOrder(db, [oldId, newId]);
  const done = await ledgerAmountByKey(db, oldId, `transfer:${ticketId}`);
  if (done !== undefined) return { ok: true, transferredCents: (-BigInt(done)).toString() };
  // Checked again under the locks: the old account blocked by this very transfer, the new one still active.
  const problems = await transferPartyProblems(db, ticketId, { oldBlockedByThisTransfer: true });
  if (problems.length > 0) return partiesRefusal(problems);
  const old = await accountBalanceAndPlan(db, oldId);
  const amount = BigInt(old.balance_cents);
  if (amount !== 0n) {
    const out = await postLedgerEntry(db, { accountId: oldId, amountCents: -amount, kind: "transfer_out", idempotencyKey: `transfer:${ticketId}`, actor });
    const inn = await postLedgerEntry(db, { accountId: newId, amountCents: amount, kind: "transfer_in", idempotencyKey: `transfer:${ticketId}`, actor });
    if (out.status !== "created" || inn.status !== "created") {
      // e.g. the new account spent meanwhile and cannot take the old debt: the caller rolls back, nothing is committed.
      return { ok: false, code: "ledger_refused", message: `ledger refused the transfer (${out.status}/${inn.status})` };
    }
  }
  await setTransferredPlan(db, newId, old.plan);
  await moveRechargeRule(db, oldId, newId);
  await moveSavedCard(db, oldId, newId);
  await db
    .updateTable("support_tickets")
    .set({ transferred_cents: amount.toString(), step: "migrated", updated_at: sql`now()` })
    .where("id", "=", ticketId)
    .execute();
  await writeAudit(db, actor, {
    action: "ticket.migrated",
    targetType: "ticket",
    targetId: ticketId,
    details: { from_account_id: oldId, to_account_id: newId, amount_cents: amount.toString(), plan: old.plan },
  });
  return { ok: true, transferredCents: amount.toString() };
}

// ---- confirmation by the new address ----

export const hashConfirmToken = (token: string) => createHash("sha256").update(token).digest();

/** A fresh single-use token (256 bits; only its hash is kept), valid until `expiresAt`. */
export async function issueConfirmToken(db: DbOrTrx, ticketId: string, expiresAt: Date): Promise<string> {
  const token = randomBytes(32).toString("base64url");
  await db
    .updateTable("support_tickets")
    .set({ confirm_token_hash: hashConfirmToken(token), confirm_expires_at: expiresAt })
    .where("id", "=", ticketId)
    .execute();
  return token;
}

export type ConfirmLookup = { ok: true; ticketId: string; newAccountId: string } | { ok: false; reason: "unknown" | "used" | "expired" | "closed" };

export async function findConfirmation(db: DbOrTrx, token: string): Promise<ConfirmLookup> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return { ok: false, reason: "unknown" };
  const t = await db
    .selectFrom("support_tickets")
    .select(["id", "status", "confirmed_at", "confirm_expires_at", "new_account_id"])
    .where("confirm_token_hash", "=", hashConfirmToken(token))
    .executeTakeFirst();
  if (!t || !t.new_account_id) return { ok: false, reason: "unknown" };
  if (t.confirmed_at) return { ok: false, reason: "used" };
  if (t.status !== "awaiting_confirmation") return { ok: false, reason: "closed" };
  if (!t.confirm_expires_at || t.confirm_expires_at.getTime() <= Date.now()) return { ok: false, reason: "expired" };
  return { ok: true, ticketId: t.id, newAccountId: t.new_account_id };
}

/** The link as the signed-in account may use it: only the new account's owner confirms; anyone else is "wrong_account". */
export async function findConfirmationFor(
  db: DbOrTrx,
  token: string,
  accountId: string,
): Promise<{ ok: true; ticketId: string } | { ok: false; reason: Extract<ConfirmLookup, { ok: false }>["reason"] | "wrong_account" }> {
  const lookup = await findConfirmation(db, token);
  if (!lookup.ok) return lookup;
  if (lookup.newAccountId !== accountId) return { ok: false, reason: "wrong_account" };
  return { ok: true, ticketId: lookup.ticketId };
}

/** Marks the ticket confirmed, once; the caller then signals the workflow. */
export async function markConfirmed(db: DbOrTrx, ticketId: string, token: string, actor: Actor): Promise<boolean> {
  const result = await db
    .updateTable("support_tickets")
    .set({ confirmed_at: sql`now()`, step: "confirmed", updated_at: sql`now()` })
    .where("id", "=", ticketId)
    .where("confirm_token_hash", "=", hashConfirmToken(token))
    .where("confirmed_at", "is", null)
    .where("confirm_expires_at", ">", sql<Date>`now()`)
    .where("status", "=", "awaiting_confirmation")
    .executeTakeFirst();
  const done = Number(result.numUpdatedRows) > 0;
  if (done) await writeAudit(db, actor, { action: "ticket.confirmed_by_new_address", targetType: "ticket", targetId: ticketId });
  return done;
}

// ---- staff decisions and notes ----

export async function recordDecision(db: DbOrTrx, input: { ticketId: string; staffId: string; decision: "approve" | "reject" }, actor: Actor): Promise<void> {
  // One decision per person per ticket; an approver who then rejects changes their decision (audited).
  const previous = await db
    .selectFrom("ticket_decisions")
    .select("decision")
    .where("ticket_id", "=", input.ticketId)
    .where("staff_id", "=", input.staffId)
    .forUpdate()
    .executeTakeFirst();
  if (previous?.decision === input.decision) return; // a retried activity
  if (previous) {
    await db
      .updateTable("ticket_decisions")
      .set({ decision: input.decision, reason: null })
      .where("ticket_id", "=", input.ticketId)
      .where("staff_id", "=", input.staffId)
      .execute();
  } else {
    await db.insertInto("ticket_decisions").values({ ticket_id: input.ticketId, staff_id: input.staffId, decision: input.decision }).execute();
  }
  await writeAudit(db, actor, {
    action: `ticket.${input.decision === "approve" ? "approved" : "rejected"}`,
    targetType: "ticket",
    targetId: input.ticketId,
    details: { staff_id: input.staffId, ...(previous ? { changed_from: previous.decision } : {}) },
  });
}

/** The reason staff typed (kept in the database, never in the workflow). */
export async function setDecisionReason(db: DbOrTrx, ticketId: string, staffId: string, reason: string): Promise<void> {
  await db.updateTable("ticket_decisions").set({ reason }).where("ticket_id", "=", ticketId).where("staff_id", "=", staffId).execute();
}

export async function addTicketNote(db: DbOrTrx, ticketId: string, staffId: string, body: string, actor: Actor): Promise<void> {
  await db.insertInto("ticket_notes").values({ ticket_id: ticketId, staff_id: staffId, body }).execute();
  await writeAudit(db, actor, { action: "ticket.note_added", targetType: "ticket", targetId: ticketId });
}

// ---- reads for the pages ----

/** A transfer ticket as its requester may see it; undefined for anyone else (their pages answer 404). */
export async function transferTicketOfRequester(db: DbOrTrx, ticketId: string, userId: string) {
  const ticket = await getTicket(db, ticketId);
  return ticket && ticket.kind === "email_transfer" && ticket.requester_user_id === userId ? ticket : undefined;
}

/** The account's transfer in progress, if any. */
export async function openTransferOf(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("support_tickets")
    .select(["id", "requester_user_id"])
    .where("kind", "=", "email_transfer")
    .where("old_account_id", "=", accountId)
    .where("status", "in", OPEN_STATUSES)
    .orderBy("created_at", "desc")
    .executeTakeFirst();
}

/** The transfers a user asked for, newest first. */
export async function transfersRequestedBy(db: DbOrTrx, userId: string) {
  return db
    .selectFrom("support_tickets")
    .select(["id", "status", "source", "new_address", "created_at", "closed_at"])
    .where("kind", "=", "email_transfer")
    .where("requester_user_id", "=", userId)
    .orderBy("created_at", "desc")
    .limit(50)
    .execute();
}

/** Staff decisions on a ticket, with who took them (a removed staff member shows as unknown). */
export async function listTicketDecisions(db: DbOrTrx, ticketId: string) {
  return db
    .selectFrom("ticket_decisions as d")
    .leftJoin("staff as s", "s.id", "d.staff_id")
    .select(["d.staff_id", "d.decision", "d.reason", "d.created_at", "s.email as staff_email"])
    .where("d.ticket_id", "=", ticketId)
    .orderBy("d.created_at")
    .execute();
}

export async function listTicketNotes(db: DbOrTrx, ticketId: string) {
  return db
    .selectFrom("ticket_notes as n")
    .leftJoin("staff as s", "s.id", "n.staff_id")
    .select(["n.id", "n.body", "n.created_at", "s.email as staff_email"])
    .where("n.ticket_id", "=", ticketId)
    .orderBy("n.id")
    .execute();
}

/** Who asked, as support sees it: the mail's sender (whatever its verdict) or the signed-in requester. */
export async function requesterAddressForStaff(db: DbOrTrx, ticketId: string): Promise<string | null> {
  const row = await db
    .selectFrom("support_tickets")
    .leftJoin("users", "users.id", "support_tickets.requester_user_id")
    .select(["support_tickets.sender_address", "users.email"])
    .where("support_tickets.id", "=", ticketId)
    .executeTakeFirst();
  return row?.sender_address ?? row?.email ?? null;
}

export const QUEUE_PAGE_SIZE = 25;
export type QueueFilter = "unresolved" | "all" | TicketStatus;
/** Whose tickets: "mine" (claimed by the staff member asking), "unclaimed", or "all". */
export type ClaimFilter = "all" | "mine" | "unclaimed";
/** "queue": open first, the longest waiting at the top, then closed ones newest first; "oldest"/"newest": by age alone. */
export type QueueSort = "queue" | "oldest" | "newest";

/** Narrowing and order beyond the status; without them, every claim and the queue's own order. */
export interface QueueOptions {
  claim?: ClaimFilter;
  sort?: QueueSort;
  /** Who asks: "mine" means claimed by them. */
  staffId?: string;
}

/**
 * The support queue, one page. Tickets are sorted and paged on their own
 * table, and only the page's rows are joined to account names, requester
 * addresses and claimants (joining every ticket first made "all" 200 ms at a
 * million accounts). The counts per status are over every ticket, whatever the filter.
 */
export async function listTicketQueue(db: DbOrTrx, filter: QueueFilter, page: number, opts: QueueOptions = {}) {
  const { claim = "all", sort = "queue", staffId } = opts;
  if (claim === "mine" && !staffId) throw new Error("listTicketQueue: claim 'mine' needs the staff id");
  const open = sql<boolean>`status IN (${sql.join([...OPEN_STATUSES])})`;
  const [countRows, tickets] = await Promise.all([
    db
      .selectFrom("support_tickets")
      .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
      .groupBy("status")
      .execute(),
    db
      .selectFrom("support_tickets")
      .select(["id", "kind", "status", "step", "source", "created_at", "old_account_id", "requester_user_id", "sender_address", "claimed_by", "claimed_at"])
      .$if(filter === "unresolved", (qb) => qb.where("status", "in", OPEN_STATUSES))
      .$if(filter !== "unresolved" && filter !== "all", (qb) => qb.where("status", "=", filter as TicketStatus))
      .$if(claim === "mine", (qb) => qb.where("claimed_by", "=", staffId as string))
      .$if(claim === "unclaimed", (qb) => qb.where("claimed_by", "is", null))
      .$if(sort === "queue", (qb) =>
        qb
          .orderBy(sql`CASE WHEN ${open} THEN 0 ELSE 1 END`)
          .orderBy(sql`CASE WHEN ${open} THEN created_at END`, (ob) => ob.asc().nullsLast())
          .orderBy("created_at", "desc"),
      )
      .$if(sort === "oldest", (qb) => qb.orderBy("created_at", "asc"))
      .$if(sort === "newest", (qb) => qb.orderBy("created_at", "desc"))
      .orderBy("id")
      .limit(QUEUE_PAGE_SIZE + 1)
      .offset((page - 1) * QUEUE_PAGE_SIZE)
      .execute(),
  ]);
  const ids = (xs: (string | null)[]) => [...new Set(xs.filter((x): x is string => x !== null))];
  const accountIds = ids(tickets.map((r) => r.old_account_id));
  const userIds = ids(tickets.map((r) => r.requester_user_id));
  const staffIds = ids(tickets.map((r) => r.claimed_by));
  const [accounts, users, staff] = await Promise.all([
    accountIds.length ? db.selectFrom("accounts").select(["id", "name"]).where("id", "in", accountIds).execute() : [],
    userIds.length ? db.selectFrom("users").select(["id", "email"]).where("id", "in", userIds).execute() : [],
    staffIds.length ? db.selectFrom("staff").select(["id", "email"]).where("id", "in", staffIds).execute() : [],
  ]);
  const accountName = new Map(accounts.map((a) => [a.id, a.name]));
  const userEmail = new Map(users.map((u) => [u.id, u.email]));
  const staffEmail = new Map(staff.map((s) => [s.id, s.email]));
  const rows = tickets.map((r) => ({
    id: r.id,
    kind: r.kind,
    status: r.status,
    step: r.step,
    source: r.source,
    created_at: r.created_at,
    old_account_id: r.old_account_id,
    old_account_name: r.old_account_id ? (accountName.get(r.old_account_id) ?? null) : null,
    // Who asked: the mail's sender, or the signed-in requester.
    requester_address: r.sender_address ?? (r.requester_user_id ? (userEmail.get(r.requester_user_id) ?? null) : null),
    claimed_by: r.claimed_by,
    claimed_by_email: r.claimed_by ? (staffEmail.get(r.claimed_by) ?? null) : null,
  }));
  return { countRows, rows };
}

// ---- claims: one staff member works a ticket at a time ----

/** Who has the ticket now (and whether it is still open); undefined when there is no such ticket. */
export async function ticketClaim(db: DbOrTrx, ticketId: string) {
  return db
    .selectFrom("support_tickets")
    .leftJoin("staff", "staff.id", "support_tickets.claimed_by")
    .select(["support_tickets.status", "support_tickets.claimed_by", "support_tickets.claimed_at", "staff.email as claimed_by_email"])
    .where("support_tickets.id", "=", ticketId)
    .executeTakeFirst();
}

/**
 * Claims an open ticket for `staffId`. One conditional UPDATE: with
 * `from: null` only while nobody has it, with `from: <staff id>` (taking over)
 * only while that person still has it. Two agents claiming at the same instant
 * both reach the row; the second waits for the first's row lock, re-reads the
 * condition and matches nothing, so exactly one wins. Returns whether it moved.
 */
export async function setTicketClaim(db: DbOrTrx, input: { ticketId: string; staffId: string; from: string | null }): Promise<boolean> {
  const result = await db
    .updateTable("support_tickets")
    .set({ claimed_by: input.staffId, claimed_at: sql`now()` })
    .where("id", "=", input.ticketId)
    .where("status", "in", OPEN_STATUSES)
    .$if(input.from === null, (qb) => qb.where("claimed_by", "is", null))
    .$if(input.from !== null, (qb) => qb.where("claimed_by", "=", input.from as string))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Gives up `staffId`'s claim; false when they did not (or no longer) have it. */
export async function clearTicketClaim(db: DbOrTrx, input: { ticketId: string; staffId: string }): Promise<boolean> {
  const result = await db
    .updateTable("support_tickets")
    .set({ claimed_by: null, claimed_at: null })
    .where("id", "=", input.ticketId)
    .where("claimed_by", "=", input.staffId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
