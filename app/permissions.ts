/**
 * Who may do what: the one table. Customer roles act on their own account;
 * staff roles act in the console. Routes ask through requireStaff(…, "action") /
 * can(role, "action"), services and the workflows' update validators read the
 * same table. Pure data (no .server): the workflow bundle and components read it too.
 */
import type { MemberRole, StaffRole } from "../db/schema.js";

export const STAFF_ROLES = ["support", "operator", "admin"] as const satisfies readonly StaffRole[];

/** What a member of an account may do on it. */
const CUSTOMER = {
  view_keys: ["owner", "admin", "member"],
  manage_keys: ["owner", "admin"],
  view_billing: ["owner", "admin", "member"],
  manage_billing: ["owner", "admin"],
  /** Invite, remove, change roles, password logins. */
  manage_members: ["owner", "admin"],
} as const satisfies Record<string, readonly MemberRole[]>;

/** What staff may do in the console. Every console page may be read by every staff role. */
const STAFF = {
  view_console: STAFF_ROLES,
  /** Block, unblock, plan, credits, deletion of an account. */
  act_on_accounts: ["support", "admin"],
  /** Approve, reject, close transfer tickets (the transfer workflow's validator checks it too). */
  decide_transfers: ["support", "admin"],
  /** Cancel, terminate, retry workflows. */
  act_on_workflows: ["operator", "admin"],
  send_list_mail: ["admin"],
  manage_staff: ["admin"],
} as const satisfies Record<string, readonly StaffRole[]>;

export type AccountAction = keyof typeof CUSTOMER;
export type StaffAction = keyof typeof STAFF;

export function can(role: MemberRole, action: AccountAction): boolean {
  return (CUSTOMER[action] as readonly MemberRole[]).includes(role);
}

export function staffCan(role: StaffRole, action: StaffAction): boolean {
  return (STAFF[action] as readonly StaffRole[]).includes(role);
}

/** The roles that may take a staff action (for "This needs the … role" messages). */
export function staffRolesFor(action: StaffAction): readonly StaffRole[] {
  return STAFF[action];
}
