/**
 * A person ending their own sessions or pointing one at another of their
 * accounts; each change and its audit row commit together. (Staff ending an
 * account's sessions is app/services/sessions.server.ts.)
 */
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { switchSessionAccount } from "../models/memberships.server.js";
import { listUserSessions, revokeSession, revokeUserSessions } from "../models/sessions.server.js";

type Db = Pick<Services, "db">;

/** The sign-out button: this session ends (a person's or staff's). */
export async function signOut(services: Db, sessionId: string, actor: Actor): Promise<void> {
  await services.db.transaction().execute(async (trx) => {
    await revokeSession(trx, sessionId, "signed_out");
    await writeAudit(trx, actor, { action: "auth.sign_out", targetType: "session", targetId: sessionId });
  });
}

/** "Sign out everywhere": every session of the person ends, this one included. */
export async function endAllSessions(services: Db, userId: string, actor: Actor): Promise<void> {
  await services.db.transaction().execute(async (trx) => {
    const ended = await revokeUserSessions(trx, userId, "signed_out_everywhere");
    await writeAudit(trx, actor, { action: "auth.sign_out_everywhere", targetType: "user", targetId: userId, details: { count: ended } });
  });
}

/** Ends one of the person's own sessions; false when it is not theirs, or not live (nothing changes). */
export async function endOwnSession(services: Db, userId: string, sessionId: string, actor: Actor): Promise<boolean> {
  return services.db.transaction().execute(async (trx) => {
    // Only the person's own sessions: the list is theirs, an id from elsewhere is refused.
    const own = (await listUserSessions(trx, userId)).some((s) => s.id === sessionId);
    if (!own) return false;
    await revokeSession(trx, sessionId, "signed_out_remotely");
    await writeAudit(trx, actor, { action: "auth.session_ended", targetType: "session", targetId: sessionId });
    return true;
  });
}

/** Points the session at another account of the person; false when they are not a member of it. */
export function switchAccount(services: Db, who: { sessionId: string; userId: string }, accountId: string, actor: Actor): Promise<boolean> {
  return switchSessionAccount(services.db, who.sessionId, who.userId, accountId, actor);
}
