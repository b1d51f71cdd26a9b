/** Admins manage who works in the console (/console/staff): one function per change, each in its own transaction. */
import type { StaffRole } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import type { Actor } from "../models/audit.server.js";
import { addStaff, removeStaff, setStaffRole, type StaffChange } from "../models/staff.server.js";

type Db = Pick<Services, "db">;

export async function addStaffMember(services: Db, input: { email: string; role: StaffRole }, actor: Actor): Promise<StaffChange> {
  return services.db.transaction().execute((trx) => addStaff(trx, input.email, input.role, actor));
}

/** Refused for the last admin (someone must be able to manage staff). */
export async function setStaffMemberRole(services: Db, input: { staffId: string; role: StaffRole }, actor: Actor): Promise<StaffChange> {
  return services.db.transaction().execute((trx) => setStaffRole(trx, input.staffId, input.role, actor));
}

/** Their console sessions end with the row; refused for the last admin. */
export async function removeStaffMember(services: Db, input: { staffId: string }, actor: Actor): Promise<StaffChange> {
  return services.db.transaction().execute((trx) => removeStaff(trx, input.staffId, actor));
}
