/** The settings pages' frame: who is signed in, the account acted on, and the other accounts to switch to. */
import type { Services } from "../context.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { accountsOfUser } from "../models/memberships.server.js";
import { PLAN_LABEL } from "../models/plans.js";

export async function loadSettingsLayout(services: Pick<Services, "db">, who: { userId: string; accountId: string; isStaff: boolean }) {
  const { db } = services;
  const [home, accounts] = await Promise.all([getHomeSummary(db, who.userId, who.accountId), accountsOfUser(db, who.userId)]);
  return {
    // A username/password login has no email: its username names it.
    email: home?.user.email ?? home?.user.name ?? null,
    accountName: home?.account.name ?? "",
    accountId: who.accountId,
    isStaff: who.isStaff,
    // The switcher only when there is somewhere else to go.
    accounts: accounts.length > 1 ? accounts.map((a) => ({ id: a.id, label: `${a.name} (${PLAN_LABEL[a.plan]}, ${a.role})` })) : [],
  };
}
