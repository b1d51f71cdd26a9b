/** Staff end every session of an account's users at once (the account stays as it is). */
import type { Services } from "../context.server.js";
import { endAccountSessions } from "../models/accounts.server.js";
import type { Actor } from "../models/audit.server.js";

/** The sessions revoked and their audit row commit together; returns how many were ended. */
export async function endSessionsOfAccount(services: Pick<Services, "db">, accountId: string, actor: Actor): Promise<number> {
  return services.db.transaction().execute((trx) => endAccountSessions(trx, accountId, "ended_by_staff", actor));
}
