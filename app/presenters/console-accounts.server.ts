/** The console's accounts list: one page of the search, and the staff member's saved views of it. */
import type { Services } from "../context.server.js";
import { searchAccounts } from "../models/accounts.server.js";
import { savedViewsOf } from "../models/saved-views.server.js";

export async function loadConsoleAccountsPage(services: Pick<Services, "db">, input: { q: string; page: number; staffId: string }) {
  const [result, views] = await Promise.all([
    searchAccounts(services.db, input.q, input.page),
    savedViewsOf(services.db, input.staffId, "accounts", "/console/accounts"),
  ]);
  return { q: input.q, page: input.page, ...result, views };
}
