/**
 * What staff may do in the console, by role. It lives beside the workflows
 * because the transfer's update validator checks it too, and workflows import
 * only their own definitions; the app reads it through app/permissions.ts.
 * Pure data: the browser bundle and the workflow bundle both load it.
 */
import type { StaffRole } from "../db/schema.js";

export const STAFF_ROLES = ["support", "operator", "admin"] as const satisfies readonly StaffRole[];

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

export type StaffAction = keyof typeof STAFF;

export function staffCan(role: StaffRole, action: StaffAction): boolean {
  return (STAFF[action] as readonly StaffRole[]).includes(role);
}

/** The roles that may take a staff action (for "This needs the … role" messages). */
export function staffRolesFor(action: StaffAction): readonly StaffRole[] {
  return STAFF[action];
}
