/** Staff for console tests: one of each role, and a signed-in agent for a role. */
import type { Db } from "../../db/connection.js";
import type { StaffRole } from "../../db/schema.js";
import { UserAgent } from "./user-agent.js";

export async function seedStaffOfEachRole(db: Db): Promise<void> {
  await db
    .insertInto("staff")
    .values([
      { email: "support@switchboard.test", role: "support" },
      { email: "operator@switchboard.test", role: "operator" },
      { email: "admin@switchboard.test", role: "admin" },
    ])
    .execute();
}

export async function staffAgent(appUrl: string, role: StaffRole): Promise<UserAgent> {
  const ua = new UserAgent(appUrl);
  await ua.signIn("github", { email: `${role}@switchboard.test` });
  return ua;
}
