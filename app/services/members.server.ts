/**
 * Settings → Members, one function per intent: invitations, roles, the
 * hand-over of ownership, removal and leaving, password logins. Each owns its
 * transaction and answers in the words the page shows (a refusal with its
 * status); the route has already checked who may ask (manageRefusal).
 *
 * Ending a membership (a removal, or the person leaving) is one intent. The
 * model does the removal (app/models/memberships.server.ts) and commits it;
 * when that erased the person and a mailing-list provider mirrors the lists,
 * the provider must forget their contact too, which takes a workflow
 * (app/temporal/start.server.ts). Should Temporal refuse, the removal stands
 * and the refused erasure is on record in the audit log for staff.
 */
import type { Transaction } from "kysely";
import type { Database, InvitedRole, MemberRole } from "../../db/schema.js";
import { deliveryMode } from "../mail/mailer.server.js";
import type { MemberKeysRevoked } from "../models/api-keys.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { createInvitation, invitationLimitsFrom, resendInvitation, revokeInvitation } from "../models/invitations.server.js";
import {
  handOverOwnership,
  listMembers,
  memberLabel,
  memberManagementRefusal,
  moveSessionAfterLeaving,
  removeMember,
  setMemberRole,
  type MemberChangeRefusal,
  type MemberRemoved,
} from "../models/memberships.server.js";
import { createPasswordLogin, listPasswordLogins, passwordLoginSettings, resetPasswordLogin } from "../models/password-logins.server.js";
import { enqueueSecurityMail, memberInWords } from "../models/security-mail.server.js";
import { planAllows, plansWith } from "../models/plans.js";
import { can } from "../permissions.js";
import type { Services } from "../context.server.js";
import { commitThenStart, workflowRun } from "../temporal/start.server.js";
import { eraseMailingContact } from "../../workflows/mailing.js";
import { contactErasureWorkflowId } from "../../workflows/shared.js";

export type EndMembershipResult = MemberRemoved | MemberChangeRefusal | { ok: false; status: 503; message: string };

export async function endMembership(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { accountId: string; userId: string; how?: "removed" | "left"; keepSessionId?: string },
  actor: Actor,
  /** More of the same intent, in the same transaction (leaving moves the session to another account). */
  also?: (trx: Transaction<Database>, removed: MemberRemoved) => Promise<void>,
): Promise<EndMembershipResult> {
  const { config, logger } = services;
  const workflowId = contactErasureWorkflowId(input.userId);
  try {
    const result = await commitThenStart(services, {
      commit: async (trx): Promise<MemberRemoved | MemberChangeRefusal> => {
        const member = await memberInWords(trx, input.accountId, input.userId);
        const removed = await removeMember(trx, input.accountId, input.userId, actor, { how: input.how, keepSessionId: input.keepSessionId });
        if (!removed.ok) return removed;
        if (member) {
          // A person erased by this removal is not named in mail written after the erasure (docs/decisions/005):
          // the mail says what became of them instead.
          const erased = removed.personErased;
          const themselves = actor.type === "user" && actor.id === input.userId;
          // After the removal: the person who left is no longer among the owners and admins told.
          await enqueueSecurityMail(trx, deliveryMode(config), {
            accountId: input.accountId,
            event: {
              kind: "member_removed",
              memberEmail: erased ? "Someone who belonged to no other Switchboard account (so their personal data is erased with this)" : member.words,
            },
            eventId: `${input.userId}:${member.since.toISOString()}`,
            actor,
            actorWords: themselves ? (erased ? "the member themselves" : `${member.words}, themselves`) : undefined,
            at: new Date(),
            publicUrl: config.publicUrl,
          });
        }
        if (also) await also(trx, removed);
        return removed;
      },
      workflow: (removed) =>
        removed.personErased && config.mailingProvider
          ? workflowRun(eraseMailingContact, { workflowId, args: [{ userId: input.userId }], accountId: input.accountId, policy: "one_at_a_time" })
          : null,
      // The workflow id is the person's; nothing to link on a row.
      link: async () => {},
      notStarted: (db, _c, outcome) =>
        writeAudit(db, actor, {
          action: "mailing.contact_erasure_not_started",
          targetType: "user",
          targetId: input.userId,
          details: { reason: outcome.reason },
        }),
    });
    if (!result.ok) return result;
    const { start: _, ...removed } = result;
    return removed;
  } catch (err) {
    logger.error({ err: (err as Error).name, accountId: input.accountId }, "membership not ended");
    return { ok: false, status: 503, message: "That could not be done just now; nothing was changed. Try again in a moment." };
  }
}

export type MembersRefusal = { ok: false; status: number; message: string; field?: "username" };
/** What an intent did, in the words the page shows; a new main key or one-time password is shown once. */
export type MembersOutcome =
  | { ok: true; notice?: string; revealed?: { username: string; password: string; reset: boolean }; newMainKey?: { display: string; plaintext: string } | null }
  | MembersRefusal;

const refuse = (status: number, message: string): MembersRefusal => ({ ok: false, status, message });

type MemberServices = Pick<Services, "db" | "temporal" | "config" | "logger" | "api">;

/** Whether this role may manage the account's members or password logins on its plan; null when it may. */
export async function manageRefusal(
  services: Pick<Services, "db">,
  accountId: string,
  role: MemberRole,
  area: "members" | "password_logins",
): Promise<MembersRefusal | null> {
  if (area === "members") {
    const refusal = await memberManagementRefusal(services.db, accountId, role);
    return refusal && !refusal.ok ? refusal : null;
  }
  const { plan } = await passwordLoginSettings(services.db, accountId);
  if (!planAllows(plan, "password_logins")) return refuse(403, `Username/password logins are available on the ${plansWith("password_logins")} plans.`);
  if (!can(role, "manage_members")) return refuse(403, "Only the account's owner and admins manage password logins.");
  return null;
}

async function labelOf(services: Pick<Services, "db">, accountId: string, userId: string): Promise<string> {
  const m = (await listMembers(services.db, accountId)).find((x) => x.id === userId);
  return m ? memberLabel(m) : "that person";
}

const mailing = (config: Services["config"]) => ({ publicUrl: config.publicUrl, mode: deliveryMode(config), limits: invitationLimitsFrom(config) });

export async function inviteMember(
  services: Pick<Services, "db" | "config">,
  input: { accountId: string; email: string; role: InvitedRole; invitedBy: string },
  actor: Actor,
): Promise<MembersOutcome> {
  const created = await services.db.transaction().execute((trx) => createInvitation(trx, { ...input, ...mailing(services.config) }, actor));
  if (!created.ok) return created;
  return { ok: true, notice: `Invitation sent to ${input.email.toLowerCase()} as ${input.role}. The link works for 7 days.` };
}

export async function resendMemberInvitation(
  services: Pick<Services, "db" | "config">,
  input: { accountId: string; invitationId: string },
  actor: Actor,
): Promise<MembersOutcome> {
  const sent = await services.db.transaction().execute((trx) => resendInvitation(trx, { ...input, ...mailing(services.config) }, actor));
  if (!sent.ok) return sent;
  return { ok: true, notice: "Invitation sent again with a new link, valid for 7 days. The previous link no longer works." };
}

export async function revokeMemberInvitation(
  services: Pick<Services, "db">,
  input: { accountId: string; invitationId: string },
  actor: Actor,
): Promise<MembersOutcome> {
  const revoked = await services.db.transaction().execute((trx) => revokeInvitation(trx, input.accountId, input.invitationId, actor));
  if (!revoked.ok) return revoked;
  return { ok: true, notice: "Invitation revoked. Its link no longer works." };
}

export async function changeMemberRole(
  services: Pick<Services, "db">,
  input: { accountId: string; userId: string; role: "admin" | "member" },
  actor: Actor,
): Promise<MembersOutcome> {
  const label = await labelOf(services, input.accountId, input.userId);
  const changed = await services.db.transaction().execute((trx) => setMemberRole(trx, input.accountId, input.userId, input.role, actor));
  if (!changed.ok) return changed;
  return { ok: true, notice: `${label} is now ${input.role === "admin" ? "an admin" : "a member"}.` };
}

export async function handOverAccount(
  services: Pick<Services, "db">,
  input: { accountId: string; fromUserId: string; toUserId: string },
  actor: Actor,
): Promise<MembersOutcome> {
  const label = await labelOf(services, input.accountId, input.toUserId);
  const handed = await services.db.transaction().execute((trx) => handOverOwnership(trx, input.accountId, input.fromUserId, input.toUserId, actor));
  if (!handed.ok) return handed;
  return { ok: true, notice: `${label} is now the owner of this account. You are an admin.` };
}

/** Removes someone else; their sessions on the account end and the keys they made die at once. */
export async function removeFromAccount(
  services: MemberServices,
  input: { accountId: string; userId: string; removedBy: string },
  actor: Actor,
): Promise<MembersOutcome> {
  if (input.userId === input.removedBy) return refuse(409, "You cannot remove yourself. Ask the owner or another admin to remove you.");
  const label = await labelOf(services, input.accountId, input.userId);
  const removed = await endMembership(services, { accountId: input.accountId, userId: input.userId }, actor);
  if (!removed.ok) return removed;
  forgetRevokedKeys(services, input.accountId, removed.keys);
  return {
    ok: true,
    notice: `${label} was removed from this account. Their sessions on it have ended. ${keysNotice(removed.keys.revoked, "their")}`,
    newMainKey: mainKeyShown(removed.keys.newMainKey),
  };
}

export type LeaveOutcome = { ok: true; then: "erased" | "signed_out" | "moved" } | MembersRefusal;

/**
 * Leaving: anyone but the owner. With other accounts the session moves to one
 * of them; with none, the person is erased and signed out.
 */
export async function leaveAccount(
  services: MemberServices,
  input: { accountId: string; userId: string; sessionId: string },
  actor: Actor,
): Promise<LeaveOutcome> {
  let moved = false;
  const left = await endMembership(
    services,
    { accountId: input.accountId, userId: input.userId, how: "left", keepSessionId: input.sessionId },
    actor,
    async (trx, removed) => {
      if (!removed.personErased) moved = await moveSessionAfterLeaving(trx, input.sessionId, input.userId, input.accountId);
    },
  );
  if (!left.ok) return left;
  forgetRevokedKeys(services, input.accountId, left.keys);
  return { ok: true, then: left.personErased ? "erased" : moved ? "moved" : "signed_out" };
}

export async function createLogin(
  services: Pick<Services, "db" | "config">,
  input: { accountId: string; username: string; createdBy: string },
  actor: Actor,
): Promise<MembersOutcome> {
  const { config } = services;
  const created = await services.db.transaction().execute(async (trx) => {
    const login = await createPasswordLogin(trx, input, actor);
    if (login.ok) {
      await enqueueSecurityMail(trx, deliveryMode(config), {
        accountId: input.accountId,
        event: { kind: "password_login_created", username: login.username },
        eventId: login.userId,
        actor,
        at: new Date(),
        publicUrl: config.publicUrl,
      });
    }
    return login;
  });
  // A username the model refuses is the field's error; anything else is the page's.
  if (!created.ok) return created.status === 400 ? { ...created, field: "username" } : created;
  return { ok: true, revealed: { username: created.username, password: created.initialPassword, reset: false } };
}

export async function resetLogin(services: Pick<Services, "db">, input: { accountId: string; userId: string }, actor: Actor): Promise<MembersOutcome> {
  const reset = await services.db.transaction().execute((trx) => resetPasswordLogin(trx, input.accountId, input.userId, actor));
  if (!reset.ok) return reset;
  return { ok: true, revealed: { username: reset.username, password: reset.initialPassword, reset: true } };
}

export async function removeLogin(services: MemberServices, input: { accountId: string; userId: string }, actor: Actor): Promise<MembersOutcome> {
  const login = (await listPasswordLogins(services.db, input.accountId)).find((l) => l.user_id === input.userId);
  if (!login) return refuse(404, "No such login on this account.");
  const removed = await endMembership(services, { accountId: input.accountId, userId: login.user_id }, actor);
  if (!removed.ok) return removed;
  forgetRevokedKeys(services, input.accountId, removed.keys);
  return {
    ok: true,
    notice: `The login ${login.username} was removed. It can no longer sign in, and its sessions have ended. ${keysNotice(removed.keys.revoked, "its")}`,
    newMainKey: mainKeyShown(removed.keys.newMainKey),
  };
}

/** This process forgets the dead keys' verdicts now; the others on the database notification. */
function forgetRevokedKeys(services: Pick<Services, "api">, accountId: string, keys: MemberKeysRevoked) {
  if (keys.revoked.length) services.api.verifier.forgetAccount(accountId);
}

function keysNotice(keys: MemberKeysRevoked["revoked"], whose: "their" | "its"): string {
  if (keys.length === 0) return `No API keys were made by ${whose === "its" ? "it" : "them"}.`;
  const list = keys.map((k) => `“${k.name}” (${k.prefix}…${k.last4})`).join(", ");
  const Whose = whose === "its" ? "Its" : "Their";
  return `${keys.length === 1 ? `${Whose} key` : `${Whose} ${keys.length} keys`} stopped working: ${list}.`;
}

const mainKeyShown = (k: MemberKeysRevoked["newMainKey"]) => (k ? { plaintext: k.plaintext, display: `${k.prefix}…${k.last4}` } : null);
