/** Console roles (client-safe): support acts on accounts and tickets, operators on workflows, admins on everything. */
import type { StaffRole } from "../../db/schema.js";

export const STAFF_ROLES = ["support", "operator", "admin"] as const satisfies readonly StaffRole[];
