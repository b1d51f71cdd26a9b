/**
 * Invitations to a GPU Cluster account (platform-facts: invited by email,
 * expire after 7 days, roles admin and member). The link carries a random
 * token stored only as its SHA-256; the invitee accepts by signing in with
 * Google or GitHub as the invited address (the provider lock applies as for
 * anyone). Nobody joins by email domain.
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, InvitedRole, Plan } from "../../db/schema.js";
import { enqueueMail, type DeliveryMode } from "../mail/mailer.server.js";
import { invitationMail } from "../mail/templates/invitations.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { normalizeEmail } from "./email.server.js";
import { getMembershipRole } from "./memberships.server.js";
import { planAllows, plansWith } from "./plans.js";
import { giveBack, take, type LimitRule } from "./rate-limits.server.js";
import { enqueueSecurityMail } from "./security-mail.server.js";

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;
export const INVITATION_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const hashToken = (token: string) => createHash("sha256").update(token).digest();

export type InvitationResult = { ok: true; id: string } | { ok: false; status: 400 | 403 | 404 | 409 | 429; message: string };

/**
 * How many invitation mails (new and resent alike) may go out, counted in
 * PostgreSQL so every web process shares the count: per inviting account an
 * hour, and per recipient a day across all accounts, so no account (nor a few
 * together) can use invitations to mail a stranger over and over.
 */
export interface InvitationLimits {
  perAccountPerHour: number;
  perRecipientPerDay: number;
  /** Keys the recipient's counter: the table never holds an address, only a keyed hash of it. */
  recipientKeySecret: string;
}

export const invitationLimitsFrom = (config: {
  invitationLimits: { perAccountPerHour: number; perRecipientPerDay: number };
  tombstoneSecret: string;
}): InvitationLimits => ({
  ...config.invitationLimits,
  recipientKeySecret: config.tombstoneSecret,
});

const HOUR = 3600_000;
const perAccount = (l: InvitationLimits): LimitRule => ({ limit: l.perAccountPerHour, windowMs: HOUR });
const perRecipient = (l: InvitationLimits): LimitRule => ({ limit: l.perRecipientPerDay, windowMs: 24 * HOUR });
const accountKey = (accountId: string) => `invitations-from:${accountId}`;
const recipientKey = (l: InvitationLimits, email: string) =>
  `invitations-to:${createHmac("sha256", l.recipientKeySecret)
    .update(`rate-limit:invitation-recipient:${normalizeEmail(email)}`)
    .digest("base64url")}`;

const inAbout = (ms: number) => {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 90) return `${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hour${hours === 1 ? "" : "s"}`;
};

/**
 * Reserves one invitation mail (account first, then recipient: one lock order,
 * so two transactions never wait on each other in a circle), or says why not.
 * The reservations live in the caller's transaction: a rollback gives them back.
 */
async function reserveInvitationMail(
  trx: DbOrTrx,
  accountId: string,
  email: string,
  limits: InvitationLimits,
): Promise<Extract<InvitationResult, { ok: false }> | null> {
  const fromAccount = await take(trx, accountKey(accountId), perAccount(limits));
  if (!fromAccount.allowed) {
    return {
      ok: false,
      status: 429,
      message: `This account has sent ${limits.perAccountPerHour} invitations in the last hour, the most allowed. Try again in ${inAbout(fromAccount.retryAfterMs)}.`,
    };
  }
  const toRecipient = await take(trx, recipientKey(limits, email), perRecipient(limits));
  if (!toRecipient.allowed) {
    await giveBack(trx, accountKey(accountId), perAccount(limits));
    return {
      ok: false,
      status: 429,
      message: `${email} has been sent ${limits.perRecipientPerDay} invitation mails in the last day, the most Switchboard sends to one address. Try again in ${inAbout(toRecipient.retryAfterMs)}.`,
    };
  }
  return null;
}

async function releaseInvitationMail(trx: DbOrTrx, accountId: string, email: string, limits: InvitationLimits) {
  await giveBack(trx, accountKey(accountId), perAccount(limits));
  await giveBack(trx, recipientKey(limits, email), perRecipient(limits));
}

async function sendInvitationMail(
  trx: DbOrTrx,
  input: { id: string; accountId: string; email: string; role: InvitedRole; token: string; sentCount: number; publicUrl: string; mode: DeliveryMode },
) {
  const account = await trx.selectFrom("accounts").select("name").where("id", "=", input.accountId).executeTakeFirstOrThrow();
  await enqueueMail(
    trx,
    {
      to: input.email,
      ...invitationMail({ publicUrl: input.publicUrl, accountName: account.name, role: input.role, email: input.email, token: input.token }),
      kind: "invitation",
      dedupeKey: `invitation:${input.id}:${input.sentCount}`,
      related: { type: "account", id: input.accountId },
    },
    input.mode,
  );
}

/** Invites an address (not already a member, no pending invitation) and mails the link. */
export async function createInvitation(
  trx: DbOrTrx,
  input: { accountId: string; email: string; role: InvitedRole; invitedBy: string; publicUrl: string; mode: DeliveryMode; limits: InvitationLimits },
  actor: Actor,
): Promise<InvitationResult> {
  const email = normalizeEmail(input.email);
  const account = await trx.selectFrom("accounts").select(["plan", "status"]).where("id", "=", input.accountId).forUpdate().executeTakeFirst();
  if (!account || account.status !== "active") return { ok: false, status: 409, message: "This account is not active." };
  if (!planAllows(account.plan as Plan, "user_management"))
    return { ok: false, status: 403, message: `User management is available on the ${plansWith("user_management")} plan only.` };
  const member = await trx
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select("users.id")
    .where("memberships.account_id", "=", input.accountId)
    .where("users.email", "=", email)
    .executeTakeFirst();
  if (member) return { ok: false, status: 409, message: `${email} is already a member of this account.` };
  const limited = await reserveInvitationMail(trx, input.accountId, email, input.limits);
  if (limited) return limited;
  const token = randomBytes(32).toString("base64url");
  const row = await trx
    .insertInto("invitations")
    .values({
      account_id: input.accountId,
      email,
      role: input.role,
      token_hash: hashToken(token),
      invited_by: input.invitedBy,
      expires_at: new Date(Date.now() + INVITATION_TTL_MS),
    })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "email"])
        .where(sql<boolean>`accepted_at IS NULL AND revoked_at IS NULL`)
        .doNothing(),
    )
    .returning("id")
    .executeTakeFirst();
  if (!row) {
    await releaseInvitationMail(trx, input.accountId, email, input.limits);
    return { ok: false, status: 409, message: `${email} already has a pending invitation. Resend it from the list instead.` };
  }
  await sendInvitationMail(trx, {
    id: row.id,
    accountId: input.accountId,
    email,
    role: input.role,
    token,
    sentCount: 1,
    publicUrl: input.publicUrl,
    mode: input.mode,
  });
  await writeAudit(trx, actor, {
    action: "invitation.created",
    targetType: "account",
    targetId: input.accountId,
    details: { invitation_id: row.id, role: input.role },
  });
  return { ok: true, id: row.id };
}

/** Sends a pending invitation again with a new link (the old one stops working) and a fresh 7 days. */
export async function resendInvitation(
  trx: DbOrTrx,
  input: { accountId: string; invitationId: string; publicUrl: string; mode: DeliveryMode; limits: InvitationLimits },
  actor: Actor,
): Promise<InvitationResult> {
  const pending = await trx
    .selectFrom("invitations")
    .select("email")
    .where("id", "=", input.invitationId)
    .where("account_id", "=", input.accountId)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .forUpdate()
    .executeTakeFirst();
  if (!pending?.email) return { ok: false, status: 404, message: "That invitation is no longer pending." };
  // Before the new token: a refused resend leaves the link that was sent working.
  const limited = await reserveInvitationMail(trx, input.accountId, pending.email, input.limits);
  if (limited) return limited;
  const token = randomBytes(32).toString("base64url");
  const row = await trx
    .updateTable("invitations")
    .set({ token_hash: hashToken(token), expires_at: new Date(Date.now() + INVITATION_TTL_MS), last_sent_at: sql`now()`, sent_count: sql`sent_count + 1` })
    .where("id", "=", input.invitationId)
    .where("account_id", "=", input.accountId)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .returning(["id", "email", "role", "sent_count"])
    .executeTakeFirst();
  if (!row || !row.email) return { ok: false, status: 404, message: "That invitation is no longer pending." };
  await sendInvitationMail(trx, {
    id: row.id,
    accountId: input.accountId,
    email: row.email,
    role: row.role,
    token,
    sentCount: row.sent_count,
    publicUrl: input.publicUrl,
    mode: input.mode,
  });
  await writeAudit(trx, actor, { action: "invitation.resent", targetType: "account", targetId: input.accountId, details: { invitation_id: row.id } });
  return { ok: true, id: row.id };
}

export async function revokeInvitation(trx: DbOrTrx, accountId: string, invitationId: string, actor: Actor): Promise<InvitationResult> {
  const row = await trx
    .updateTable("invitations")
    .set({ revoked_at: sql`now()` })
    .where("id", "=", invitationId)
    .where("account_id", "=", accountId)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .returning("id")
    .executeTakeFirst();
  if (!row) return { ok: false, status: 404, message: "That invitation is no longer pending." };
  await writeAudit(trx, actor, { action: "invitation.revoked", targetType: "account", targetId: accountId, details: { invitation_id: row.id } });
  return { ok: true, id: row.id };
}

export async function pendingInvitations(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("invitations")
    .select(["id", "email", "role", "created_at", "expires_at", "last_sent_at", "sent_count"])
    .select(sql<boolean>`expires_at < now()`.as("expired"))
    .where("account_id", "=", accountId)
    .where("accepted_at", "is", null)
    .where("revoked_at", "is", null)
    .orderBy("created_at", "desc")
    .execute();
}

export type InvitationLookup =
  | {
      state: "valid" | "expired" | "revoked" | "accepted";
      id: string;
      accountId: string;
      accountName: string;
      email: string;
      role: InvitedRole;
      expiresAt: Date;
    }
  | { state: "not_found" };

export async function findInvitation(db: DbOrTrx, token: string): Promise<InvitationLookup> {
  if (!INVITATION_TOKEN.test(token)) return { state: "not_found" };
  const row = await db
    .selectFrom("invitations")
    .innerJoin("accounts", "accounts.id", "invitations.account_id")
    .select([
      "invitations.id",
      "invitations.account_id",
      "accounts.name",
      "invitations.email",
      "invitations.role",
      "invitations.expires_at",
      "invitations.accepted_at",
      "invitations.revoked_at",
    ])
    .where("invitations.token_hash", "=", hashToken(token))
    .executeTakeFirst();
  if (!row || !row.email) return { state: "not_found" };
  const state = row.accepted_at ? "accepted" : row.revoked_at ? "revoked" : row.expires_at.getTime() < Date.now() ? "expired" : "valid";
  return { state, id: row.id, accountId: row.account_id, accountName: row.name, email: row.email, role: row.role, expiresAt: row.expires_at };
}

/** The signed-in person an invitation is for, or not: their id and (provider-verified) address. */
export async function findInvitee(db: DbOrTrx, userId: string): Promise<{ id: string; email: string | null } | undefined> {
  return db.selectFrom("users").select(["id", "email"]).where("id", "=", userId).executeTakeFirst();
}

/** The inviting account's plan and status: an invitation works only while it is active and has user management. */
export async function invitingAccount(db: DbOrTrx, accountId: string): Promise<{ plan: Plan; status: AccountStatus } | undefined> {
  return db.selectFrom("accounts").select(["plan", "status"]).where("id", "=", accountId).executeTakeFirst();
}

export type AcceptRefusal = "not_found" | "expired" | "revoked" | "accepted" | "wrong_email" | "plan" | "inactive";

export function acceptRefusalMessage(refusal: AcceptRefusal, invitedEmail?: string): string {
  switch (refusal) {
    case "not_found":
      return "This invitation link is not valid. Ask for a new invitation.";
    case "expired":
      return "This invitation has expired (invitations last 7 days). Ask the account's owner or an admin to send it again.";
    case "revoked":
      return "This invitation was withdrawn. Ask the account's owner or an admin if you still need access.";
    case "accepted":
      return "This invitation has already been accepted.";
    case "wrong_email":
      return `This invitation was sent to ${invitedEmail ?? "another address"}. Sign out, then sign in with that address to accept it.`;
    case "plan":
      return "This account's plan no longer includes user management, so the invitation cannot be accepted.";
    case "inactive":
      return "This account is not active, so the invitation cannot be accepted.";
  }
}

/**
 * The signed-in user (whose email the provider verified) joins the account.
 * Locks the invitation row: two accepts at once make one membership.
 */
export async function acceptInvitation(
  trx: DbOrTrx,
  token: string,
  user: { id: string; email: string | null },
  actor: Actor,
  /** Where the owners' and admins' "someone joined" mail goes out; without it none is written. */
  mail?: { mode: DeliveryMode; publicUrl: string },
): Promise<{ ok: true; accountId: string } | { ok: false; refusal: AcceptRefusal; invitedEmail?: string }> {
  if (!INVITATION_TOKEN.test(token)) return { ok: false, refusal: "not_found" };
  const inv = await trx
    .selectFrom("invitations")
    .innerJoin("accounts", "accounts.id", "invitations.account_id")
    .select([
      "invitations.id",
      "invitations.account_id",
      "invitations.email",
      "invitations.role",
      "invitations.expires_at",
      "invitations.accepted_at",
      "invitations.revoked_at",
      "accounts.plan",
      "accounts.status",
    ])
    .where("invitations.token_hash", "=", hashToken(token))
    .forUpdate()
    .executeTakeFirst();
  if (!inv || !inv.email) return { ok: false, refusal: "not_found" };
  if (inv.accepted_at) return { ok: false, refusal: "accepted" };
  if (inv.revoked_at) return { ok: false, refusal: "revoked" };
  if (inv.expires_at.getTime() < Date.now()) return { ok: false, refusal: "expired" };
  if (!user.email || normalizeEmail(user.email) !== inv.email) return { ok: false, refusal: "wrong_email", invitedEmail: inv.email };
  if (inv.status !== "active") return { ok: false, refusal: "inactive" };
  if (!planAllows(inv.plan as Plan, "user_management")) return { ok: false, refusal: "plan" };
  // Written before the membership exists, so that a new admin is not told of their own arrival; someone who is a member already did not join.
  if (mail && !(await getMembershipRole(trx, inv.account_id, user.id))) {
    await enqueueSecurityMail(trx, mail.mode, {
      accountId: inv.account_id,
      event: { kind: "member_added", memberEmail: inv.email, role: inv.role },
      eventId: inv.id,
      actor,
      at: new Date(),
      publicUrl: mail.publicUrl,
    });
  }
  await trx
    .insertInto("memberships")
    .values({ account_id: inv.account_id, user_id: user.id, role: inv.role })
    .onConflict((oc) => oc.columns(["account_id", "user_id"]).doNothing())
    .execute();
  await trx
    .updateTable("invitations")
    .set({ accepted_at: sql`now()`, accepted_user_id: user.id })
    .where("id", "=", inv.id)
    .execute();
  await writeAudit(trx, actor, {
    action: "invitation.accepted",
    targetType: "account",
    targetId: inv.account_id,
    details: { invitation_id: inv.id, user_id: user.id, role: inv.role },
  });
  return { ok: true, accountId: inv.account_id };
}
