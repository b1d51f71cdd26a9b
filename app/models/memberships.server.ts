/** Who belongs to an account, and as what. */
import type { DbOrTrx } from "../../db/connection.js";
import type { MemberRole } from "../../db/schema.js";

/** The user's role on the account, or null when they are not (or no longer) a member. */
export async function getMembershipRole(db: DbOrTrx, accountId: string, userId: string): Promise<MemberRole | null> {
  const row = await db
    .selectFrom("memberships")
    .select("role")
    .where("account_id", "=", accountId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.role ?? null;
}
