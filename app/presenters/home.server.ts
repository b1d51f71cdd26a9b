/** The home page of a signed-in person: the account they act on, its credits, and who they are (app/models/home.server.ts reads it). */
import type { Services } from "../context.server.js";
import { getHomeSummary } from "../models/home.server.js";

export async function loadHomePage(services: Pick<Services, "db">, who: { userId: string; accountId: string; isStaff: boolean }, query: URLSearchParams) {
  const home = await getHomeSummary(services.db, who.userId, who.accountId);
  const rebound = query.get("rebound");
  return {
    home,
    isStaff: who.isStaff,
    // Set by the sign-in that re-bound a former LinkedIn account.
    rebound: rebound === "google" || rebound === "github" ? rebound : null,
    passwordChanged: query.get("password") === "changed",
  };
}
