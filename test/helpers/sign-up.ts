/** A newcomer signs up as people do: "Sign in with Google" at the OAuth stand-in creates the user and the account they own. */
import type { Db } from "../../db/connection.js";
import { UserAgent } from "./user-agent.js";

export async function signUpOwner(appUrl: string, db: Db, email: string, name?: string) {
  const ua = new UserAgent(appUrl);
  const landed = await ua.signIn("google", { email, name });
  const row = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["memberships.account_id as accountId", "users.id as userId"])
    .where("users.email", "=", email)
    .where("memberships.role", "=", "owner")
    .executeTakeFirstOrThrow();
  return { ua, landed, ...row };
}
