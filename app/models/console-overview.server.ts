import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus } from "../../db/schema.js";

/** The dashboard's numbers: what an on-call person looks at first. */
export async function getConsoleOverview(db: DbOrTrx) {
  const counts = await db
    .selectFrom("accounts")
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .groupBy("status")
    .execute();
  const recentChanges = await db
    .selectFrom("account_status_changes")
    .innerJoin("accounts", "accounts.id", "account_status_changes.account_id")
    .select([
      "account_status_changes.id",
      "account_status_changes.action",
      "account_status_changes.status",
      "account_status_changes.created_at",
      "account_status_changes.account_id",
      "accounts.name as account_name",
    ])
    .orderBy("account_status_changes.created_at", "desc")
    .limit(10)
    .execute();
  const accountsByStatus: Partial<Record<AccountStatus, number>> = {};
  for (const c of counts) accountsByStatus[c.status] = Number(c.n);
  return { accountsByStatus, recentChanges };
}
