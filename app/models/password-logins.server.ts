/**
 * Username/password logins for Scale and Enterprise accounts (authentication.md:
 * "so that multiple individuals work from the same account"). Support turns
 * them on per account; the owner or an admin then creates logins, each a user
 * (provider 'password') who is a member of that one account, with a one-time
 * initial password that must be changed at first sign-in.
 */
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { Plan } from "../../db/schema.js";
import { dummyHash, hashPassword, initialPassword, newPasswordProblem, verifyPassword } from "../auth/passwords.server.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { forgiveThrough, giveBack, take, type LimitRule } from "./rate-limits.server.js";
import { planAllows, plansWith } from "./plans.js";

/**
 * Sign-in attempts, counted in PostgreSQL so every web process shares them:
 * per login (account identifier + username, whether or not it exists, so a
 * lockout never tells which usernames are real) and per client address.
 */
export const PER_LOGIN: LimitRule = { limit: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const PER_ADDRESS: LimitRule = { limit: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const loginKey = (loginId: string, username: string) => `login:${loginId}:${username}`;
export const addressKey = (ip: string | null) => `ip:${ip ?? "unknown"}`;

export const USERNAME = /^[a-z0-9][a-z0-9._-]{1,39}$/;
export const LOGIN_ID = /^[a-z0-9][a-z0-9-]{2,39}$/;

type Refused = { ok: false; status: 400 | 403 | 404 | 409; message: string };

/** A readable, unique account identifier for /login/password, e.g. "acme-research-k3f9". */
function newLoginId(accountName: string): string {
  const base =
    accountName
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 30) || "account";
  const suffix = randomBytes(3).toString("hex").slice(0, 4);
  return `${/^[a-z0-9]/.test(base) ? base : `a${base}`}-${suffix}`;
}

/** Support turns password logins on or off (audited). Off ends every password session of the account at once. */
export async function setPasswordLogins(
  trx: DbOrTrx,
  accountId: string,
  enabled: boolean,
  actor: Actor,
): Promise<{ ok: true; loginId: string | null; sessionsEnded: number } | Refused> {
  const account = await trx
    .selectFrom("accounts")
    .select(["plan", "name", "login_id", "password_logins_enabled"])
    .where("id", "=", accountId)
    .forUpdate()
    .executeTakeFirst();
  if (!account) return { ok: false, status: 404, message: "No such account." };
  if (enabled && !planAllows(account.plan, "password_logins")) {
    return { ok: false, status: 409, message: `Password logins are available on the ${plansWith("password_logins")} plans; this account is on another plan.` };
  }
  let loginId = account.login_id;
  if (enabled && !loginId) {
    for (let attempt = 0; !loginId && attempt < 5; attempt++) {
      const candidate = newLoginId(account.name);
      const taken = await trx.selectFrom("accounts").select("id").where("login_id", "=", candidate).executeTakeFirst();
      if (!taken) loginId = candidate;
    }
    if (!loginId) throw new Error("could not find a free account identifier");
  }
  await trx.updateTable("accounts").set({ password_logins_enabled: enabled, login_id: loginId }).where("id", "=", accountId).execute();
  const sessionsEnded = enabled ? 0 : await endPasswordSessions(trx, accountId, "password_logins_disabled");
  if (account.password_logins_enabled !== enabled) {
    await writeAudit(trx, actor, {
      action: enabled ? "account.password_logins_enabled" : "account.password_logins_disabled",
      targetType: "account",
      targetId: accountId,
      details: { sessions_ended: sessionsEnded },
    });
  }
  return { ok: true, loginId, sessionsEnded };
}

export async function endPasswordSessions(trx: DbOrTrx, accountId: string, reason: string): Promise<number> {
  const result = await trx
    .updateTable("sessions")
    .set({ revoked_at: sql`now()`, revoked_reason: reason })
    .where("account_id", "=", accountId)
    .where("provider", "=", "password")
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function listPasswordLogins(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("password_logins")
    .select(["user_id", "username", "must_change", "created_at", "password_changed_at"])
    .where("account_id", "=", accountId)
    .orderBy("username")
    .execute();
}

/** The account's plan and whether support turned password logins on, with the identifier people sign in with. */
export async function passwordLoginSettings(db: DbOrTrx, accountId: string): Promise<{ plan: Plan; enabled: boolean; loginId: string | null }> {
  const account = await db.selectFrom("accounts").select(["plan", "password_logins_enabled", "login_id"]).where("id", "=", accountId).executeTakeFirstOrThrow();
  return { plan: account.plan, enabled: account.password_logins_enabled, loginId: account.login_id };
}

/** Why the account cannot have password logins made right now, or null. */
async function loginsRefusal(trx: DbOrTrx, accountId: string): Promise<Refused | null> {
  const account = await trx.selectFrom("accounts").select(["plan", "password_logins_enabled", "status"]).where("id", "=", accountId).executeTakeFirst();
  if (!account || account.status !== "active") return { ok: false, status: 409, message: "This account is not active." };
  if (!planAllows(account.plan as Plan, "password_logins"))
    return { ok: false, status: 403, message: `Password logins are available on the ${plansWith("password_logins")} plans.` };
  if (!account.password_logins_enabled)
    return { ok: false, status: 403, message: "Password logins are not turned on for this account. Ask support to turn them on." };
  return null;
}

/** Creates a login with a one-time initial password (returned once, stored only as an argon2id hash). */
export async function createPasswordLogin(
  trx: DbOrTrx,
  input: { accountId: string; username: string; createdBy: string },
  actor: Actor,
): Promise<{ ok: true; userId: string; username: string; initialPassword: string } | Refused> {
  const refusal = await loginsRefusal(trx, input.accountId);
  if (refusal) return refusal;
  const username = input.username.trim().toLowerCase();
  if (!USERNAME.test(username)) {
    return {
      ok: false,
      status: 400,
      message: "A username is 2 to 40 characters: lower-case letters, digits, dots, dashes and underscores, starting with a letter or digit.",
    };
  }
  const password = initialPassword();
  const { id: userId } = await trx.insertInto("users").values({ email: null, name: username, provider: "password" }).returning("id").executeTakeFirstOrThrow();
  const inserted = await trx
    .insertInto("password_logins")
    .values({ user_id: userId, account_id: input.accountId, username, password_hash: await hashPassword(password), created_by: input.createdBy })
    .onConflict((oc) => oc.columns(["account_id", "username"]).doNothing())
    .returning("user_id")
    .executeTakeFirst();
  if (!inserted) {
    await trx.deleteFrom("users").where("id", "=", userId).execute();
    return { ok: false, status: 409, message: `The username ${username} is taken on this account. Choose another.` };
  }
  await trx.insertInto("memberships").values({ account_id: input.accountId, user_id: userId, role: "member" }).execute();
  await writeAudit(trx, actor, { action: "password_login.created", targetType: "account", targetId: input.accountId, details: { user_id: userId } });
  return { ok: true, userId, username, initialPassword: password };
}

/** A new one-time password for a login (the person forgot theirs); their sessions end. */
export async function resetPasswordLogin(
  trx: DbOrTrx,
  accountId: string,
  userId: string,
  actor: Actor,
): Promise<{ ok: true; username: string; initialPassword: string } | Refused> {
  const refusal = await loginsRefusal(trx, accountId);
  if (refusal) return refusal;
  const password = initialPassword();
  const row = await trx
    .updateTable("password_logins")
    .set({ password_hash: await hashPassword(password), must_change: true })
    .where("account_id", "=", accountId)
    .where("user_id", "=", userId)
    .returning("username")
    .executeTakeFirst();
  if (!row) return { ok: false, status: 404, message: "No such login on this account." };
  await trx
    .updateTable("sessions")
    .set({ revoked_at: sql`now()`, revoked_reason: "password_reset" })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .execute();
  await writeAudit(trx, actor, { action: "password_login.reset", targetType: "account", targetId: accountId, details: { user_id: userId } });
  return { ok: true, username: row.username, initialPassword: password };
}

export type PasswordSignIn =
  | { ok: true; userId: string; accountId: string; mustChange: boolean }
  | { ok: false; reason: "invalid" | "locked" | "disabled" | "blocked" | "deleted"; retryAfterMinutes?: number };

export function passwordSignInMessage(reason: Exclude<PasswordSignIn, { ok: true }>["reason"], retryAfterMinutes = 15): string {
  switch (reason) {
    case "invalid":
      return "The account identifier, username or password is not right. Check them and try again.";
    case "locked":
      return `Too many failed attempts. For your security, sign-in is paused: try again in ${retryAfterMinutes} minute${retryAfterMinutes === 1 ? "" : "s"}, or ask the account's owner to reset your password.`;
    case "disabled":
      return "Password logins are turned off for this account. Ask the account's owner or Switchboard support.";
    case "blocked":
      return "This account is blocked. If you think this is a mistake, contact support.";
    case "deleted":
      return "This account has been deleted.";
  }
}

/**
 * Checks a password sign-in. Whether or not the login exists, the same
 * argon2 work is done and the same answer given, and the same throttle keys
 * count the attempt, so neither timing nor lockouts reveal a username.
 *
 * The attempt is reserved before anything is verified (one atomic upsert per
 * key): only attempts numbered within the limit reach argon2, so a burst of
 * concurrent guesses gets no more evaluations than a sequence would, and a
 * locked login costs no argon2 work. A correct password forgives its own
 * attempt and those counted before it on the login (not ones reserved after
 * it), and only its own attempt on the address, which others share.
 * `verify` is replaceable so a test can count the argon2 evaluations.
 */
export async function checkPasswordSignIn(
  db: DbOrTrx,
  input: { loginId: string; username: string; password: string; ip: string | null },
  verify: (storedHash: string, password: string) => Promise<boolean> = verifyPassword,
): Promise<PasswordSignIn> {
  const loginId = input.loginId.trim().toLowerCase().slice(0, 60);
  const username = input.username.trim().toLowerCase().slice(0, 60);
  const perLoginKey = loginKey(loginId, username);
  const perAddressKey = addressKey(input.ip);
  const [perLogin, perAddress] = await Promise.all([take(db, perLoginKey, PER_LOGIN), take(db, perAddressKey, PER_ADDRESS)]);
  if (!perLogin.allowed || !perAddress.allowed) {
    const waitMs = Math.max(perLogin.allowed ? 0 : perLogin.retryAfterMs, perAddress.allowed ? 0 : perAddress.retryAfterMs);
    return { ok: false, reason: "locked", retryAfterMinutes: Math.max(1, Math.ceil(waitMs / 60_000)) };
  }
  const row =
    LOGIN_ID.test(loginId) && USERNAME.test(username)
      ? await db
          .selectFrom("password_logins")
          .innerJoin("accounts", "accounts.id", "password_logins.account_id")
          .select([
            "password_logins.user_id",
            "password_logins.account_id",
            "password_logins.password_hash",
            "password_logins.must_change",
            "accounts.status",
            "accounts.plan",
            "accounts.password_logins_enabled",
          ])
          .where("accounts.login_id", "=", loginId)
          .where("password_logins.username", "=", username)
          .executeTakeFirst()
      : undefined;
  const matches = await verify(row?.password_hash ?? (await dummyHash()), input.password.slice(0, 1024));
  // A failure is already counted: its reservation is the count.
  if (!row || !matches) return { ok: false, reason: "invalid" };
  await Promise.all([forgiveThrough(db, perLoginKey, PER_LOGIN, perLogin), giveBack(db, perAddressKey, PER_ADDRESS)]);
  if (!row.password_logins_enabled || !planAllows(row.plan, "password_logins")) return { ok: false, reason: "disabled" };
  if (row.status === "blocked") return { ok: false, reason: "blocked" };
  if (row.status !== "active") return { ok: false, reason: "deleted" };
  return { ok: true, userId: row.user_id, accountId: row.account_id, mustChange: row.must_change };
}

/** Sets a new password (the forced change at first sign-in, or any later change). */
export async function changePassword(
  trx: DbOrTrx,
  userId: string,
  input: { current: string; next: string },
  actor: Actor,
): Promise<{ ok: true } | { ok: false; field: "current" | "next"; message: string }> {
  const row = await trx
    .selectFrom("password_logins")
    .select(["password_hash", "username", "account_id"])
    .where("user_id", "=", userId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return { ok: false, field: "current", message: "This sign-in has no password." };
  if (!(await verifyPassword(row.password_hash, input.current.slice(0, 1024))))
    return { ok: false, field: "current", message: "The current password is not right." };
  const problem = newPasswordProblem(input.next, { username: row.username });
  if (problem) return { ok: false, field: "next", message: problem };
  if (input.next === input.current) return { ok: false, field: "next", message: "Choose a password different from the current one." };
  await trx
    .updateTable("password_logins")
    .set({ password_hash: await hashPassword(input.next), must_change: false, password_changed_at: sql`now()` })
    .where("user_id", "=", userId)
    .execute();
  await writeAudit(trx, actor, { action: "password_login.password_changed", targetType: "account", targetId: row.account_id, details: { user_id: userId } });
  return { ok: true };
}

/** The person's password login on this account (its username and the account's name), or null when they sign in otherwise. */
export async function passwordLoginOf(db: DbOrTrx, userId: string, accountId: string) {
  const row = await db
    .selectFrom("password_logins")
    .innerJoin("accounts", "accounts.id", "password_logins.account_id")
    .select(["password_logins.username", "accounts.name as accountName"])
    .where("password_logins.user_id", "=", userId)
    .where("password_logins.account_id", "=", accountId)
    .executeTakeFirst();
  return row ?? null;
}
