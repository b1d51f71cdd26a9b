/** The console's frame around every page: who is signed in, and which links their role gets. */
import type { StaffRole } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { getStaffMember } from "../models/staff.server.js";

export async function loadConsoleLayout(services: Pick<Services, "db">, staff: { id: string; role: StaffRole }) {
  const me = await getStaffMember(services.db, staff.id);
  return { role: staff.role, email: me?.email ?? "" };
}
