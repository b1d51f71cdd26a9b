/**
 * Who may do what: the one place to ask. Customer roles act on their own
 * account (the table below); staff roles act in the console (their table is
 * workflows/staff-permissions.ts, because the transfer workflow's update
 * validator reads it too, and workflows import only their own definitions).
 * Routes ask through requireStaff(…, "action") / can(role, "action"); services
 * read the same tables. Pure data (no .server): components may import it.
 */
import type { MemberRole } from "../db/schema.js";

export { STAFF_ROLES, staffCan, staffRolesFor, type StaffAction } from "../workflows/staff-permissions.js";

/** What a member of an account may do on it. */
const CUSTOMER = {
  view_keys: ["owner", "admin", "member"],
  manage_keys: ["owner", "admin"],
  view_billing: ["owner", "admin", "member"],
  manage_billing: ["owner", "admin"],
  /** Invite, remove, change roles, password logins. */
  manage_members: ["owner", "admin"],
} as const satisfies Record<string, readonly MemberRole[]>;

export type AccountAction = keyof typeof CUSTOMER;

export function can(role: MemberRole, action: AccountAction): boolean {
  return (CUSTOMER[action] as readonly MemberRole[]).includes(role);
}
