/**
 * Sign-in sessions, kept in PostgreSQL so they can be listed and revoked. The
 * cookie holds a 256-bit random token; the table holds only its SHA-256.
 */
import { createHash, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, StaffRole } from "../../db/schema.js";

export const SESSION_TOUCH_INTERVAL_MS = 60_000;

export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSessionToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

export async function createSession(
  db: DbOrTrx,
  input: {
    userId: string | null;
    accountId: string | null;
    staffId: string | null;
    provider: string;
    ttlHours: number;
    ip: string | null;
    userAgent: string | null;
    /** A first sign-in with a one-time password: this session may only set a new one. */
    passwordChangeRequired?: boolean;
  },
): Promise<{ token: string; sessionId: string; expiresAt: Date }> {
  const token = newSessionToken();
  const expiresAt = new Date(Date.now() + input.ttlHours * 3600_000);
  const { id } = await db
    .insertInto("sessions")
    .values({
      token_hash: hashSessionToken(token),
      user_id: input.userId,
      account_id: input.accountId,
      staff_id: input.staffId,
      provider: input.provider,
      expires_at: expiresAt,
      ip: input.ip,
      user_agent: input.userAgent?.slice(0, 400) ?? null,
      password_change_required: input.passwordChangeRequired ?? false,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { token, sessionId: id, expiresAt };
}

export interface ActiveSession {
  id: string;
  userId: string | null;
  accountId: string | null;
  staffId: string | null;
  staffRole: StaffRole | null;
  accountStatus: AccountStatus | null;
  accountTransferred: boolean;
  lastSeenAt: Date;
  /** When this session was made, i.e. the sign-in behind it (every sign-in makes a new session). */
  signedInAt: Date;
  /** How that sign-in happened: "google", "github" or "password". */
  provider: string;
  passwordChangeRequired: boolean;
  /** Set when the session was ended (sign-out, block, staff action); the caller tells the person. */
  revokedReason: string | null;
}

/** The unexpired session behind a token, live or revoked. */
export async function findSessionByToken(db: DbOrTrx, token: string): Promise<ActiveSession | null> {
  const row = await db
    .selectFrom("sessions")
    .leftJoin("accounts", "accounts.id", "sessions.account_id")
    .leftJoin("staff", "staff.id", "sessions.staff_id")
    .select([
      "sessions.id",
      "sessions.user_id",
      "sessions.account_id",
      "sessions.staff_id",
      "sessions.last_seen_at",
      "sessions.created_at",
      "sessions.provider",
      "staff.role as staff_role",
      "accounts.status as account_status",
      "accounts.transferred_to_account_id",
      "sessions.revoked_reason",
      "sessions.revoked_at",
      "sessions.password_change_required",
    ])
    .where("sessions.token_hash", "=", hashSessionToken(token))
    .where("sessions.expires_at", ">", sql<Date>`now()`)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    accountId: row.account_id,
    staffId: row.staff_id,
    staffRole: row.staff_role,
    accountStatus: row.account_status,
    accountTransferred: row.transferred_to_account_id !== null,
    lastSeenAt: row.last_seen_at,
    signedInAt: row.created_at,
    provider: row.provider,
    passwordChangeRequired: row.password_change_required,
    revokedReason: row.revoked_at ? (row.revoked_reason ?? "revoked") : null,
  };
}

/**
 * Coalesced: at most one write per session per interval, not one per request
 * (the idle timeout is measured from last_seen_at, so it is exact to a minute).
 */
export async function touchSession(db: DbOrTrx, session: ActiveSession): Promise<void> {
  if (Date.now() - session.lastSeenAt.getTime() < SESSION_TOUCH_INTERVAL_MS) return;
  await db
    .updateTable("sessions")
    .set({ last_seen_at: sql`now()` })
    .where("id", "=", session.id)
    .execute();
}

/** Ends one session; true when this call ended it (false: it had ended already). */
export async function revokeSession(db: DbOrTrx, sessionId: string, reason: string): Promise<boolean> {
  const result = await db
    .updateTable("sessions")
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where("id", "=", sessionId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Ends every live session of a user; returns how many ended. */
export async function revokeUserSessions(db: DbOrTrx, userId: string, reason: string, exceptSessionId?: string): Promise<number> {
  const result = await db
    .updateTable("sessions")
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .$if(exceptSessionId !== undefined, (q) => q.where("id", "!=", exceptSessionId!))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Ends every live session of every user of an account (sessions on other accounts stay). */
export async function revokeAccountSessions(db: DbOrTrx, accountId: string, reason: string): Promise<number> {
  const result = await db
    .updateTable("sessions")
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where("revoked_at", "is", null)
    .where((eb) =>
      eb.or([eb("account_id", "=", accountId), eb("user_id", "in", eb.selectFrom("memberships").select("user_id").where("account_id", "=", accountId))]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listUserSessions(db: DbOrTrx, userId: string) {
  return db
    .selectFrom("sessions")
    .select(["id", "provider", "created_at", "last_seen_at", "expires_at", "ip", "user_agent"])
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", sql<Date>`now()`)
    .orderBy("last_seen_at", "desc")
    .execute();
}

/** Who a session signed in as and when: what a confirmation that needs a recent sign-in checks. */
export async function sessionSignInOf(db: DbOrTrx, sessionId: string) {
  return db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select(["sessions.created_at as signedInAt", "users.email", "users.provider"])
    .where("sessions.id", "=", sessionId)
    .executeTakeFirstOrThrow();
}
