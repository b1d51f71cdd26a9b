/** What each membership role may do on its account: the one place routes and the API ask. */
import type { MemberRole } from "../../db/schema.js";

export type AccountAction = "view_keys" | "manage_keys" | "view_billing" | "manage_billing";

const ALLOWED: Record<MemberRole, readonly AccountAction[]> = {
  owner: ["view_keys", "manage_keys", "view_billing", "manage_billing"],
  admin: ["view_keys", "manage_keys", "view_billing", "manage_billing"],
  member: ["view_keys", "view_billing"],
};

export function can(role: MemberRole, action: AccountAction): boolean {
  return ALLOWED[role].includes(action);
}
