import type { DbOrTrx } from "../../db/connection.js";

/** What the signed-in home page shows: the person and the account they act on. */
export async function getHomeSummary(db: DbOrTrx, userId: string, accountId: string) {
  const row = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .innerJoin("accounts", "accounts.id", "memberships.account_id")
    .select([
      "users.email",
      "users.name",
      "users.provider",
      "memberships.role",
      "accounts.id as account_id",
      "accounts.name as account_name",
      "accounts.plan",
      "accounts.status",
      "accounts.created_at",
      "accounts.balance_cents",
      "accounts.credit_limit_cents",
    ])
    .where("memberships.user_id", "=", userId)
    .where("memberships.account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    user: { email: row.email, name: row.name, provider: row.provider },
    role: row.role,
    account: {
      id: row.account_id,
      name: row.account_name,
      plan: row.plan,
      status: row.status,
      created_at: row.created_at,
      balance_cents: row.balance_cents,
      credit_limit_cents: row.credit_limit_cents,
    },
  };
}
