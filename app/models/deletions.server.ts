/**
 * Account deletion requests (GDPR Art. 17): who may ask, what happens at once
 * in the request, and the record of each step the deleteAccount workflow takes.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { DeletionState, StatusChangeStep } from "../../db/schema.js";
import { revokeAccountKeys } from "./api-keys.server.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { normalizeEmail } from "./email.server.js";
import { revokeAccountSessions } from "./sessions.server.js";
import { movingTransferOf } from "./tickets.server.js";
import { deletionRefusalMessage, RECENT_SIGN_IN_MS, type DeletionRefusal } from "./deletion-refusals.js";

// Client-safe (the delete page's component shows the words); kept importable from here for the server code.
export { deletionRefusalMessage, RECENT_SIGN_IN_MS, type DeletionRefusal };
export const DELETION_REASON_MAX = 1000;

/** Checks on the typed confirmation, before anything is locked. */
export function checkSelfServiceConfirmation(input: { typedEmail: string; userEmail: string | null; signedInAt: Date; now?: Date }): DeletionRefusal | null {
  const typed = input.typedEmail.trim();
  if (!typed) return "email_missing";
  if (!input.userEmail || normalizeEmail(typed) !== normalizeEmail(input.userEmail)) return "email_mismatch";
  if ((input.now ?? new Date()).getTime() - input.signedInAt.getTime() > RECENT_SIGN_IN_MS) return "stale_sign_in";
  return null;
}

export interface DeletionRequest {
  accountId: string;
  source: "self" | "support";
  userId: string | null;
  staffId: string | null;
  reason: string;
}

/**
 * Takes effect at once, in the caller's transaction: the account is locked and
 * marked "deleting", its keys are revoked and every session of its users ends,
 * so nothing works for it any more. Refused (nothing changed) for a non-owner,
 * a sole owner with other members, or an account that is not active.
 */
export async function requestAccountDeletion(
  trx: DbOrTrx,
  req: DeletionRequest,
  actor: Actor,
): Promise<{ ok: true; deletionId: string } | { ok: false; refusal: DeletionRefusal }> {
  const account = await trx.selectFrom("accounts").select(["status"]).where("id", "=", req.accountId).forUpdate().executeTakeFirst();
  if (!account) return { ok: false, refusal: "not_active" };
  // A deletion whose workflow failed leaves the account "deleting"; support may start it again.
  const restart = account.status === "deleting" && req.source === "support" && !(await liveDeletionOf(trx, req.accountId));
  if (account.status === "deleting" && !restart) return { ok: false, refusal: "already_deleting" };
  if (account.status !== "active" && !restart) return { ok: false, refusal: "not_active" };

  const members = await trx.selectFrom("memberships").select(["user_id", "role"]).where("account_id", "=", req.accountId).execute();
  if (req.userId && members.find((m) => m.user_id === req.userId)?.role !== "owner") return { ok: false, refusal: "not_owner" };
  if (members.length > 1) return { ok: false, refusal: "has_members" };
  // A transfer still waiting on people ends when either of its accounts goes (the workflow tells it);
  // only one that is moving credits right now makes the deletion wait.
  if (await movingTransferOf(trx, req.accountId)) return { ok: false, refusal: "transfer_open" };

  const row = await trx
    .insertInto("account_deletions")
    .values({
      account_id: req.accountId,
      source: req.source,
      requested_by_user_id: req.userId,
      requested_by_staff_id: req.staffId,
      reason: req.reason,
      steps: JSON.stringify([step("requested", req.source)]),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await trx.updateTable("accounts").set({ status: "deleting" }).where("id", "=", req.accountId).execute();
  const keys = await revokeAccountKeys(trx, req.accountId, "account_deleted");
  const sessions = await revokeAccountSessions(trx, req.accountId, "account_deleted");
  // The reason stays in account_deletions (staff read it there); the audit row holds codes and counts only.
  await writeAudit(trx, actor, {
    action: "account.deletion_requested",
    targetType: "account",
    targetId: req.accountId,
    details: { deletion_id: row.id, source: req.source, keys_revoked: keys, sessions_ended: sessions },
  });
  return { ok: true, deletionId: row.id };
}

/** A step record, as account_status_changes and account_deletions keep them. */
export const step = (name: string, outcome: string): StatusChangeStep => ({ step: name, outcome, at: new Date().toISOString() });

/** The deletion the workflow for this account carries out (the one that has not failed). */
export async function liveDeletionOf(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("account_deletions")
    .select(["id", "status", "steps"])
    .where("account_id", "=", accountId)
    .where("status", "<>", "failed")
    .executeTakeFirst();
}

export async function setDeletionWorkflow(db: DbOrTrx, deletionId: string, workflowId: string): Promise<void> {
  await db.updateTable("account_deletions").set({ workflow_id: workflowId }).where("id", "=", deletionId).execute();
}

/**
 * Appends a step once (by name) and audits it in the same transaction, so a
 * retried activity records nothing twice. Returns false when the step was
 * already recorded (the caller's work was done by an earlier attempt).
 */
export async function recordDeletionStep(
  db: DbOrTrx,
  input: { accountId: string; step: StatusChangeStep; status?: Exclude<DeletionState, "pending">; error?: string },
  actor: Actor,
): Promise<boolean> {
  const { accountId, step: s, status, error } = input;
  const row = await db
    .updateTable("account_deletions")
    .set({
      steps: sql`steps || ${JSON.stringify([s])}::jsonb`,
      ...(status ? { status } : {}),
      ...(status === "completed" || status === "failed" ? { completed_at: sql`now()` } : {}),
      ...(error !== undefined ? { error } : {}),
    })
    .where("account_id", "=", accountId)
    .where("status", "in", ["pending", "running"])
    .where(sql<boolean>`NOT steps @> ${JSON.stringify([{ step: s.step }])}::jsonb`)
    .returning("id")
    .executeTakeFirst();
  if (!row) return false;
  await writeAudit(db, actor, {
    action: "account.deletion_step",
    targetType: "account",
    targetId: accountId,
    details: { deletion_id: row.id, step: s.step, outcome: s.outcome },
  });
  return true;
}

export const DELETIONS_PAGE_SIZE = 25;

/** The console's deletions: newest first, with each step's outcome. */
export async function listDeletions(db: DbOrTrx, filter: "all" | DeletionState, page: number) {
  const rows = await db
    .selectFrom("account_deletions as d")
    .leftJoin("staff", "staff.id", "d.requested_by_staff_id")
    .select([
      "d.id",
      "d.account_id",
      "d.source",
      "d.reason",
      "d.status",
      "d.steps",
      "d.error",
      "d.workflow_id",
      "d.created_at",
      "d.completed_at",
      "staff.email as staff_email",
    ])
    .$if(filter !== "all", (q) => q.where("d.status", "=", filter as DeletionState))
    .orderBy("d.created_at", "desc")
    .orderBy("d.id", "desc")
    .limit(DELETIONS_PAGE_SIZE + 1)
    .offset((page - 1) * DELETIONS_PAGE_SIZE)
    .execute();
  return { rows: rows.slice(0, DELETIONS_PAGE_SIZE), hasMore: rows.length > DELETIONS_PAGE_SIZE };
}

export async function deletionsOfAccount(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("account_deletions")
    .select(["id", "source", "reason", "status", "steps", "error", "workflow_id", "created_at", "completed_at"])
    .where("account_id", "=", accountId)
    .orderBy("created_at", "desc")
    .execute();
}

/** The workflow took the deletion up: pending → running, once. */
export async function markDeletionRunning(db: DbOrTrx, accountId: string): Promise<void> {
  await db.updateTable("account_deletions").set({ status: "running" }).where("account_id", "=", accountId).where("status", "=", "pending").execute();
}
