/**
 * What the person who opened an invitation link does with it: join (accept and
 * point this session at the account, together), switch to an account they
 * already belong to, or sign out to come back as the invited address.
 */
import type { Principal } from "../auth/session.server.js";
import type { Services } from "../context.server.js";
import { deliveryMode } from "../mail/mailer.server.js";
import type { Actor } from "../models/audit.server.js";
import { acceptInvitation, findInvitee, type AcceptRefusal } from "../models/invitations.server.js";
import { switchSessionAccount } from "../models/memberships.server.js";
import { signOut } from "./customer-sessions.server.js";

export async function joinInvitedAccount(
  services: Pick<Services, "db" | "config">,
  input: { token: string; userId: string; sessionId: string },
  actor: Actor,
): Promise<{ ok: true } | { ok: false; refusal: AcceptRefusal }> {
  const { db } = services;
  const user = await findInvitee(db, input.userId);
  if (!user) throw new Error("the signed-in user is gone");
  // Either both happen or neither: a membership this session does not act on, or a session on an account it may not use, would mislead.
  return db.transaction().execute(async (trx) => {
    const result = await acceptInvitation(trx, input.token, user, actor, { mode: deliveryMode(services.config), publicUrl: services.config.publicUrl });
    if (!result.ok) return { ok: false, refusal: result.refusal };
    await switchSessionAccount(trx, input.sessionId, input.userId, result.accountId, actor);
    return { ok: true };
  });
}

/** Already a member (joined at sign-in, say) while this session acts on another account: it moves over. */
export async function switchToInvitedAccount(
  services: Pick<Services, "db">,
  input: { sessionId: string; userId: string; accountId: string },
  actor: Actor,
): Promise<void> {
  await switchSessionAccount(services.db, input.sessionId, input.userId, input.accountId, actor);
}

/** Signed in as another address: this session ends (audited), so the invited address can sign in. */
export async function signOutForInvitation(services: Pick<Services, "db">, principal: Principal | null, ip: string | null): Promise<void> {
  if (!principal) return;
  const actor: Actor = principal.userId ? { type: "user", id: principal.userId, ip } : { type: "staff", id: principal.staff?.id ?? null, ip };
  await signOut(services, principal.sessionId, actor);
}
