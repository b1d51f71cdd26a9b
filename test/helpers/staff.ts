/** Staff for console tests: one of each role, a signed-in agent for a role or an address, and a staff member's id. */
import type { Db } from "../../db/connection.js";
import type { StaffRole } from "../../db/schema.js";
import { UserAgent } from "./user-agent.js";

/** The address seedStaffOfEachRole gives the staff member of `role`. */
export const staffEmail = (role: StaffRole) => `${role}@switchboard.test`;

export async function seedStaffOfEachRole(db: Db): Promise<void> {
  const roles: StaffRole[] = ["support", "operator", "admin"];
  await db
    .insertInto("staff")
    .values(roles.map((role) => ({ email: staffEmail(role), role })))
    .execute();
}

/** The one seeded by seedStaffOfEachRole for `role`, signed in. */
export async function staffAgent(appUrl: string, role: StaffRole): Promise<UserAgent> {
  return staffAgentByEmail(appUrl, staffEmail(role));
}

/** Any staff member, signed in (with GitHub: staff sign in with either provider). */
export async function staffAgentByEmail(appUrl: string, email: string): Promise<UserAgent> {
  const ua = new UserAgent(appUrl);
  await ua.signIn("github", { email });
  return ua;
}

export async function staffIdByEmail(db: Db, email: string): Promise<string> {
  return (await db.selectFrom("staff").select("id").where("email", "=", email).executeTakeFirstOrThrow()).id;
}
