/** Accounts as support staff see them: search, detail, and the status changes workflows make. */
import { sql } from "kysely";
import { inTransaction, type DbOrTrx } from "../../db/connection.js";
import { isUuid } from "../validation/ids.js";
import type { AccountStatus, Plan, StatusChange, StatusChangeAction, StatusChangeStep } from "../../db/schema.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { revokeAccountSessions } from "./sessions.server.js";

export const ACCOUNTS_PAGE_SIZE = 25;

export interface AccountListRow {
  id: string;
  name: string;
  plan: Plan;
  status: AccountStatus;
  created_at: Date;
  owner_email: string | null;
  owner_provider: string | null;
}

/** A block (or unblock) of this account that has not finished yet, if any. */
export async function inFlightStatusChange(db: DbOrTrx, accountId: string, action: StatusChangeAction) {
  return db
    .selectFrom("account_status_changes")
    .select("id")
    .where("account_id", "=", accountId)
    .where("action", "=", action)
    .where("status", "in", ["pending", "running"])
    .executeTakeFirst();
}

/** Search by account id (exact) or by any member's email (substring); newest first, paged. */
export async function searchAccounts(db: DbOrTrx, query: string, page: number): Promise<{ rows: AccountListRow[]; hasMore: boolean }> {
  const q = query.trim().toLowerCase();
  const rows = await db
    .selectFrom("accounts")
    .leftJoin("memberships as owner_m", (j) => j.onRef("owner_m.account_id", "=", "accounts.id").on("owner_m.role", "=", "owner"))
    .leftJoin("users as owner", "owner.id", "owner_m.user_id")
    .select([
      "accounts.id",
      "accounts.name",
      "accounts.plan",
      "accounts.status",
      "accounts.created_at",
      "owner.email as owner_email",
      "owner.provider as owner_provider",
    ])
    .$if(q !== "", (qb) =>
      qb.where((eb) => {
        const byEmail = eb.exists(
          eb
            .selectFrom("memberships as m")
            .innerJoin("users as u", "u.id", "m.user_id")
            .select(sql`1`.as("one"))
            .whereRef("m.account_id", "=", "accounts.id")
            .where("u.email", "like", `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`),
        );
        return isUuid(q) ? eb.or([eb("accounts.id", "=", q), byEmail]) : byEmail;
      }),
    )
    .orderBy("accounts.created_at", "desc")
    .orderBy("accounts.id", "desc")
    .limit(ACCOUNTS_PAGE_SIZE + 1)
    .offset((page - 1) * ACCOUNTS_PAGE_SIZE)
    .execute();
  return { rows: rows.slice(0, ACCOUNTS_PAGE_SIZE), hasMore: rows.length > ACCOUNTS_PAGE_SIZE };
}

/** The account's status, or null when there is no such account. */
export async function getAccountStatus(db: DbOrTrx, id: string): Promise<AccountStatus | null> {
  const row = await db.selectFrom("accounts").select("status").where("id", "=", id).executeTakeFirst();
  return row?.status ?? null;
}

export async function getAccount(db: DbOrTrx, id: string) {
  if (!isUuid(id)) return undefined;
  return db
    .selectFrom("accounts")
    .select(["id", "name", "plan", "status", "blocked_reason_code", "blocked_at", "transferred_to_account_id", "created_at"])
    .where("id", "=", id)
    .executeTakeFirst();
}

export async function getAccountMembers(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["users.id", "users.email", "users.name", "users.provider", "memberships.role", "memberships.created_at"])
    .where("memberships.account_id", "=", accountId)
    .orderBy(sql`CASE memberships.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END`)
    .execute();
}

export async function countActiveAccountSessions(db: DbOrTrx, accountId: string): Promise<number> {
  const row = await db
    .selectFrom("sessions")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("revoked_at", "is", null)
    .where("expires_at", ">", sql<Date>`now()`)
    .where("user_id", "in", (eb) => eb.selectFrom("memberships").select("user_id").where("account_id", "=", accountId))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---- status changes (block / unblock), carried out by workflows ----

export async function createStatusChange(
  db: DbOrTrx,
  input: {
    accountId: string;
    action: StatusChangeAction;
    reasonCode: string;
    reasonText: string;
    staffId: string | null;
    /** A block made by an email transfer: where everything went. */
    transferToAccountId?: string | null;
  },
  actor: Actor,
): Promise<string> {
  const { id } = await db
    .insertInto("account_status_changes")
    .values({
      account_id: input.accountId,
      action: input.action,
      reason_code: input.reasonCode,
      reason_text: input.reasonText,
      requested_by: input.staffId,
      transfer_to_account_id: input.transferToAccountId ?? null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await writeAudit(db, actor, {
    action: `account.${input.action}_requested`,
    targetType: "account",
    targetId: input.accountId,
    details: { change_id: id, reason_code: input.reasonCode },
  });
  return id;
}

export async function setStatusChangeWorkflow(db: DbOrTrx, changeId: string, workflowId: string): Promise<void> {
  await db.updateTable("account_status_changes").set({ workflow_id: workflowId }).where("id", "=", changeId).execute();
}

export async function getStatusChange(db: DbOrTrx, changeId: string): Promise<StatusChange | undefined> {
  return db.selectFrom("account_status_changes").selectAll().where("id", "=", changeId).executeTakeFirst();
}

export async function listStatusChanges(db: DbOrTrx, accountId: string, limit = 10) {
  return db
    .selectFrom("account_status_changes")
    .leftJoin("staff", "staff.id", "account_status_changes.requested_by")
    .select([
      "account_status_changes.id",
      "account_status_changes.action",
      "account_status_changes.reason_code",
      "account_status_changes.reason_text",
      "account_status_changes.status",
      "account_status_changes.steps",
      "account_status_changes.error",
      "account_status_changes.workflow_id",
      "account_status_changes.created_at",
      "account_status_changes.completed_at",
      "staff.email as requested_by_email",
    ])
    .where("account_status_changes.account_id", "=", accountId)
    .orderBy("account_status_changes.created_at", "desc")
    .limit(limit)
    .execute();
}

/**
 * Appends a step once (by name) and audits it in the same transaction; a
 * retried activity records and audits nothing twice. `status` moves
 * pending → running → completed/failed and never back.
 */
export async function recordStatusChangeStep(
  db: DbOrTrx,
  input: { changeId: string; step: StatusChangeStep; status?: "running" | "completed" | "failed"; error?: string },
  actor: Actor,
): Promise<void> {
  const { changeId, step, status, error } = input;
  const run = async (trx: DbOrTrx) => {
    const row = await trx
      .updateTable("account_status_changes")
      .set({
        steps: sql`steps || ${JSON.stringify([step])}::jsonb`,
        ...(status ? { status } : {}),
        ...(status === "completed" || status === "failed" ? { completed_at: sql`now()` } : {}),
        ...(error !== undefined ? { error } : {}),
      })
      .where("id", "=", changeId)
      .where("status", "in", status === "running" ? ["pending"] : ["pending", "running"])
      .where(sql<boolean>`NOT steps @> ${JSON.stringify([{ step: step.step }])}::jsonb`)
      .returning(["account_id", "action"])
      .executeTakeFirst();
    if (row) {
      await writeAudit(trx, actor, {
        action: `account.${row.action}_step`,
        targetType: "account",
        targetId: row.account_id,
        details: { change_id: changeId, step: step.step, outcome: step.outcome },
      });
    }
  };
  await inTransaction(db, run);
}

/**
 * Blocks an account (idempotent: a second call changes nothing and says so).
 * Sessions die with the status flip, since every request checks the account's status;
 * the sessions are revoked explicitly by the next step too.
 */
export async function blockAccount(
  db: DbOrTrx,
  accountId: string,
  reasonCode: string,
  actor: Actor,
  transferredTo: string | null = null,
): Promise<{ changed: boolean }> {
  const result = await db
    .updateTable("accounts")
    .set({
      status: "blocked",
      blocked_reason_code: reasonCode,
      blocked_at: sql`now()`,
      transferred_to_account_id: transferredTo,
    })
    .where("id", "=", accountId)
    .where("status", "=", "active")
    .executeTakeFirst();
  const changed = Number(result.numUpdatedRows) > 0;
  if (changed) {
    await writeAudit(db, actor, {
      action: "account.blocked",
      targetType: "account",
      targetId: accountId,
      details: { reason_code: reasonCode },
    });
  }
  return { changed };
}

export async function unblockAccount(db: DbOrTrx, accountId: string, actor: Actor): Promise<{ changed: boolean }> {
  const result = await db
    .updateTable("accounts")
    .set({ status: "active", blocked_reason_code: null, blocked_at: null, transferred_to_account_id: null })
    .where("id", "=", accountId)
    .where("status", "=", "blocked")
    .executeTakeFirst();
  const changed = Number(result.numUpdatedRows) > 0;
  if (changed) {
    await writeAudit(db, actor, { action: "account.unblocked", targetType: "account", targetId: accountId });
  }
  return { changed };
}

export async function endAccountSessions(db: DbOrTrx, accountId: string, reason: string, actor: Actor): Promise<number> {
  const ended = await revokeAccountSessions(db, accountId, reason);
  await writeAudit(db, actor, {
    action: "account.sessions_ended",
    targetType: "account",
    targetId: accountId,
    details: { count: ended, reason },
  });
  return ended;
}

/** Whether password logins are on for the account, and the identifier people sign in with. */
export async function getPasswordLoginAccess(db: DbOrTrx, accountId: string) {
  return db.selectFrom("accounts").select(["password_logins_enabled", "login_id"]).where("id", "=", accountId).executeTakeFirstOrThrow();
}

// ---- the account row as the workflows' steps read and write it ----

/** Locks the accounts' rows, always in id order: two transactions locking the same pair never deadlock. */
export async function lockAccountsInIdOrder(db: DbOrTrx, accountIds: string[]): Promise<void> {
  await db.selectFrom("accounts").select("id").where("id", "in", accountIds).orderBy("id").forUpdate().execute();
}

/** Who blocked the account and why: enough to tell whose block it is. `lock` holds the row until the caller's transaction ends. */
export async function accountBlockState(db: DbOrTrx, accountId: string, opts: { lock?: boolean } = {}) {
  return db
    .selectFrom("accounts")
    .select(["status", "blocked_reason_code", "transferred_to_account_id"])
    .where("id", "=", accountId)
    .$if(opts.lock === true, (q) => q.forUpdate())
    .executeTakeFirst();
}

/** Balance and status, as the recharge workflow decides on them. */
export async function accountBalanceAndStatus(db: DbOrTrx, accountId: string) {
  return db.selectFrom("accounts").select(["balance_cents", "status"]).where("id", "=", accountId).executeTakeFirst();
}

/** Balance and plan, as an email transfer moves them. */
export async function accountBalanceAndPlan(db: DbOrTrx, accountId: string) {
  return db.selectFrom("accounts").select(["balance_cents", "plan"]).where("id", "=", accountId).executeTakeFirstOrThrow();
}

/** The plan an email transfer carries over: the receiving account takes what the old one had, nothing else to undo. */
export async function setTransferredPlan(db: DbOrTrx, accountId: string, plan: Plan): Promise<void> {
  await db.updateTable("accounts").set({ plan }).where("id", "=", accountId).execute();
}

/** A deletion's last step: deleting → deleted, once. True when this call changed it. */
export async function markAccountDeleted(db: DbOrTrx, accountId: string): Promise<boolean> {
  const changed = await db.updateTable("accounts").set({ status: "deleted" }).where("id", "=", accountId).where("status", "=", "deleting").executeTakeFirst();
  return Number(changed.numUpdatedRows) > 0;
}

/**
 * The block or unblock request an email transfer made for this account (its
 * reason_text names the ticket), so that a retried step finds it rather than
 * making a second. A block is matched on its reason code too.
 */
export async function transferStatusChangeOf(
  db: DbOrTrx,
  input: { accountId: string; action: StatusChangeAction; ticketId: string; reasonCode?: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom("account_status_changes")
    .select("id")
    .where("account_id", "=", input.accountId)
    .where("action", "=", input.action)
    .$if(input.reasonCode !== undefined, (q) => q.where("reason_code", "=", input.reasonCode!))
    .where("reason_text", "=", `ticket:${input.ticketId}`)
    .executeTakeFirst();
  return row?.id;
}
