/** Who belongs to an account, and as what; the account switcher; members managed by owners and admins. */
import { can } from "../permissions.js";
import { sql, type Transaction } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { Database, MemberRole, Plan } from "../../db/schema.js";
import { revokeKeysCreatedBy, type MemberKeysRevoked } from "./api-keys.server.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { erasePerson } from "./erasure.server.js";
import { planAllows, plansWith } from "./plans.js";
import { revokeSession } from "./sessions.server.js";

/** The user's role on the account, or null when they are not (or no longer) a member. */
export async function getMembershipRole(db: DbOrTrx, accountId: string, userId: string): Promise<MemberRole | null> {
  const row = await db.selectFrom("memberships").select("role").where("account_id", "=", accountId).where("user_id", "=", userId).executeTakeFirst();
  return row?.role ?? null;
}

// ---- members of an account (user management: gpu_cluster) ----

export async function listMembers(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .leftJoin("password_logins", "password_logins.user_id", "users.id")
    .select(["users.id", "users.email", "users.name", "users.provider", "memberships.role", "memberships.created_at", "password_logins.username"])
    .where("memberships.account_id", "=", accountId)
    .orderBy(sql`CASE memberships.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END`)
    .orderBy("memberships.created_at")
    .execute();
}

/** How the members page and its notices name a person: a password login by its username. */
export function memberLabel(m: { name: string | null; email: string | null; username: string | null }): string {
  if (m.username) return m.username;
  return m.name && m.email ? `${m.name} (${m.email})` : (m.email ?? m.name ?? "this person");
}

/** Every live account the user belongs to, for the account switcher. */
export async function accountsOfUser(db: DbOrTrx, userId: string) {
  return db
    .selectFrom("memberships")
    .innerJoin("accounts", "accounts.id", "memberships.account_id")
    .select(["accounts.id", "accounts.name", "accounts.plan", "memberships.role"])
    .where("memberships.user_id", "=", userId)
    .where("accounts.status", "=", "active")
    .orderBy(sql`CASE memberships.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END`)
    .orderBy("accounts.name")
    .execute();
}

/** Points the session at another account of the same user; false when they are not a member of it. */
export async function switchSessionAccount(db: DbOrTrx, sessionId: string, userId: string, accountId: string, actor: Actor): Promise<boolean> {
  const member = await db
    .selectFrom("memberships")
    .innerJoin("accounts", "accounts.id", "memberships.account_id")
    .select("memberships.role")
    .where("memberships.user_id", "=", userId)
    .where("memberships.account_id", "=", accountId)
    .where("accounts.status", "=", "active")
    .executeTakeFirst();
  if (!member) return false;
  await db.updateTable("sessions").set({ account_id: accountId }).where("id", "=", sessionId).where("user_id", "=", userId).execute();
  await writeAudit(db, actor, { action: "session.account_switched", targetType: "account", targetId: accountId });
  return true;
}

export type MemberChangeRefusal = { ok: false; status: 400 | 403 | 404 | 409; message: string };
export type MemberChangeResult = { ok: true } | MemberChangeRefusal;

const refuse = (status: 400 | 403 | 404 | 409, message: string): MemberChangeRefusal => ({ ok: false, status, message });

/** Who may manage members: owners and admins, on a plan with user management. */
export async function memberManagementRefusal(db: DbOrTrx, accountId: string, actingRole: MemberRole | null): Promise<MemberChangeResult | null> {
  const account = await db.selectFrom("accounts").select("plan").where("id", "=", accountId).executeTakeFirst();
  if (!account || !planAllows(account.plan as Plan, "user_management"))
    return refuse(403, `User management is available on the ${plansWith("user_management")} plan only.`);
  if (!actingRole || !can(actingRole, "manage_members")) return refuse(403, "Only the account's owner and admins manage members.");
  return null;
}

/** Changes a member's role between admin and member; the owner's role changes only by hand-over. */
export async function setMemberRole(trx: DbOrTrx, accountId: string, userId: string, role: "admin" | "member", actor: Actor): Promise<MemberChangeResult> {
  const current = await getMembershipRole(trx, accountId, userId);
  if (!current) return refuse(404, "That person is not a member of this account.");
  if (current === "owner") return refuse(409, "The owner's role cannot be changed. The owner can hand ownership to an admin.");
  if (current === role) return { ok: true };
  await trx.updateTable("memberships").set({ role }).where("account_id", "=", accountId).where("user_id", "=", userId).execute();
  await writeAudit(trx, actor, {
    action: "member.role_changed",
    targetType: "account",
    targetId: accountId,
    details: { user_id: userId, from: current, to: role },
  });
  return { ok: true };
}

export interface MemberRemoved {
  ok: true;
  keys: MemberKeysRevoked;
  sessionsEnded: number;
  /** They belonged to no other account, so their personal data was erased (docs/decisions/005). */
  personErased: boolean;
}

/**
 * Removes a member, or (how = "left") a member leaves on their own. At once,
 * in this transaction: their sessions on the account end, the keys they
 * created on it die (a main key of theirs is replaced), their password login
 * of the account goes, and when it was their last account the person is
 * erased. Audited with the keys it revoked. The owner cannot be removed.
 */
export async function removeMember(
  trx: Transaction<Database>,
  accountId: string,
  userId: string,
  actor: Actor,
  options: { how?: "removed" | "left"; keepSessionId?: string } = {},
): Promise<MemberRemoved | MemberChangeRefusal> {
  const how = options.how ?? "removed";
  // The lock key changes take (api-keys.server.ts): a key being made by this person now waits, then sees them gone.
  await trx.selectFrom("accounts").select("id").where("id", "=", accountId).forUpdate().executeTakeFirst();
  const current = await getMembershipRole(trx, accountId, userId);
  if (!current) return refuse(404, how === "left" ? "You are not a member of this account." : "That person is not a member of this account.");
  if (current === "owner") {
    return refuse(
      409,
      how === "left"
        ? "The owner cannot leave the account. Hand ownership to an admin first."
        : "The owner cannot be removed. Hand ownership to an admin first.",
    );
  }
  const keys = await revokeKeysCreatedBy(trx, accountId, userId, how === "removed" && actor.type === "user" ? actor.id : null);
  await trx.deleteFrom("memberships").where("account_id", "=", accountId).where("user_id", "=", userId).execute();
  // A password login belongs to this account only: without its membership it is gone too.
  await trx.deleteFrom("password_logins").where("user_id", "=", userId).where("account_id", "=", accountId).execute();
  const ended = await trx
    .updateTable("sessions")
    .set({ revoked_at: sql`now()`, revoked_reason: how === "left" ? "left_account" : "removed_from_account" })
    .where("user_id", "=", userId)
    .where("account_id", "=", accountId)
    .where("revoked_at", "is", null)
    .$if(options.keepSessionId !== undefined, (q) => q.where("id", "<>", options.keepSessionId!))
    .executeTakeFirst();
  const remaining = await trx.selectFrom("memberships").select("account_id").where("user_id", "=", userId).executeTakeFirst();
  // Written before the erasure, so that a leaver's own row loses its client address with the rest.
  await writeAudit(trx, actor, {
    action: how === "left" ? "member.left" : "member.removed",
    targetType: "account",
    targetId: accountId,
    details: {
      user_id: userId,
      role: current,
      sessions_ended: Number(ended.numUpdatedRows),
      keys_revoked: keys.revoked.map((k) => ({ key_id: k.id, kind: k.kind, last4: k.last4 })),
      new_main_key_id: keys.newMainKey?.id ?? null,
      person_erased: remaining === undefined,
    },
  });
  const erased = remaining === undefined ? await erasePerson(trx, userId, "last_membership_ended", actor) : { erased: false as const };
  return {
    ok: true,
    keys,
    sessionsEnded: Number(ended.numUpdatedRows) + (erased.erased ? erased.sessionsEnded : 0),
    personErased: erased.erased,
  };
}

/** The owner hands ownership to an admin and becomes an admin. */
export async function handOverOwnership(trx: DbOrTrx, accountId: string, fromUserId: string, toUserId: string, actor: Actor): Promise<MemberChangeResult> {
  const [from, to] = await Promise.all([getMembershipRole(trx, accountId, fromUserId), getMembershipRole(trx, accountId, toUserId)]);
  if (from !== "owner") return refuse(403, "Only the owner can hand over ownership.");
  if (to !== "admin") return refuse(409, "Ownership can only go to an admin of this account. Make them an admin first.");
  // Two steps in one transaction: the partial unique index allows one owner at any moment.
  await trx.updateTable("memberships").set({ role: "admin" }).where("account_id", "=", accountId).where("user_id", "=", fromUserId).execute();
  await trx.updateTable("memberships").set({ role: "owner" }).where("account_id", "=", accountId).where("user_id", "=", toUserId).execute();
  await writeAudit(trx, actor, {
    action: "member.ownership_handed_over",
    targetType: "account",
    targetId: accountId,
    details: { from_user_id: fromUserId, to_user_id: toUserId },
  });
  return { ok: true };
}

/**
 * After leaving an account, the leaver's own session moves to another live
 * account of theirs; with none (they may all be blocked) it ends like the
 * others on the account they left. True when it moved.
 */
export async function moveSessionAfterLeaving(trx: DbOrTrx, sessionId: string, userId: string, leftAccountId: string): Promise<boolean> {
  const next = (await accountsOfUser(trx, userId)).find((a) => a.id !== leftAccountId);
  if (next) await trx.updateTable("sessions").set({ account_id: next.id }).where("id", "=", sessionId).execute();
  else await revokeSession(trx, sessionId, "left_account");
  return next !== undefined;
}

// ---- the members as an account's deletion works through them ----

export async function memberUserIds(db: DbOrTrx, accountId: string): Promise<string[]> {
  return (await db.selectFrom("memberships").select("user_id").where("account_id", "=", accountId).execute()).map((m) => m.user_id);
}

/** The members who still have an address, with it. */
export async function memberAddresses(db: DbOrTrx, accountId: string): Promise<{ id: string; email: string }[]> {
  const users = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["users.id", "users.email"])
    .where("memberships.account_id", "=", accountId)
    .where("users.email", "is not", null)
    .execute();
  return users.map((u) => ({ id: u.id, email: u.email! }));
}
