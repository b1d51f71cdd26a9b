/**
 * Username/password logins, as the person who holds one uses them: signing in
 * (every answer but a malformed form is audited: the reason only, since the
 * typed identifier and username may be personal data) and changing the
 * password (which ends the login's other sessions in the same transaction).
 */
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { changePassword, checkPasswordSignIn, type PasswordSignIn } from "../models/password-logins.server.js";
import { revokeUserSessions } from "../models/sessions.server.js";

type Db = Pick<Services, "db">;

export async function signInWithPassword(
  services: Db,
  input: { loginId: string; username: string; password: string },
  ip: string | null,
): Promise<PasswordSignIn> {
  const { db } = services;
  const outcome = await checkPasswordSignIn(db, { ...input, ip });
  if (!outcome.ok) {
    await writeAudit(db, { type: "anonymous", id: null, ip }, { action: "auth.sign_in_refused", details: { provider: "password", reason: outcome.reason } });
    return outcome;
  }
  await writeAudit(
    db,
    { type: "user", id: outcome.userId, ip },
    {
      action: "auth.sign_in",
      targetType: "account",
      targetId: outcome.accountId,
      details: { provider: "password", password_change_required: outcome.mustChange },
    },
  );
  return outcome;
}

/** Sets a new password; every other session of the login ends with it (`keepSessionId` is replaced by the caller). */
export function changeOwnPassword(services: Db, who: { userId: string; keepSessionId: string }, input: { current: string; next: string }, actor: Actor) {
  return services.db.transaction().execute(async (trx) => {
    const result = await changePassword(trx, who.userId, input, actor);
    if (result.ok) await revokeUserSessions(trx, who.userId, "password_changed", who.keepSessionId);
    return result;
  });
}
