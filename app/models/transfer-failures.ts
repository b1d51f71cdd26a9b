/**
 * Why a transfer stopped, in words, from the codes a ticket's failure_reason
 * holds (comma-separated). No `.server`: the ticket pages render it, and the
 * workflow's mail says the same.
 */
const REASONS: Record<string, string> = {
  new_account_deleted: "the account on the new address was deleted",
  new_account_not_active: "the account on the new address was blocked or is no longer active",
  old_account_deleted: "the old account was deleted",
  old_account_not_active: "the old account was blocked",
  old_account_not_blocked_for_transfer: "the old account changed state while it was being moved",
  ledger_refused: "the new account could not take the old account's balance (its credit limit)",
  ticket_incomplete: "the ticket no longer names both accounts",
  workflow_not_started: "we could not start processing this request",
  closed_by_staff: "support closed it by hand after its process stopped",
  transfer_step_failed: "a step failed",
};

/** "the account on the new address was deleted; the old account was blocked" */
export function transferFailureReason(codes: string | null): string {
  if (!codes) return REASONS.transfer_step_failed;
  return codes
    .split(",")
    .filter(Boolean)
    .map((c) => REASONS[c] ?? c.replace(/_/g, " "))
    .join("; ");
}
