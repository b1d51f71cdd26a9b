/** Settings → Profile: the person as their sign-in provider gave them, and when the account was created. */
import type { Services } from "../context.server.js";
import { getHomeSummary } from "../models/home.server.js";

/** null: the person is not a member of the account (any more). */
export async function loadProfilePage(services: Pick<Services, "db">, who: { userId: string; accountId: string }) {
  const home = await getHomeSummary(services.db, who.userId, who.accountId);
  return home ? { user: home.user, account: home.account } : null;
}
