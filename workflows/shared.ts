/**
 * Names and types shared by workflows and their callers (web, tests). Inputs
 * carry ids only: never an email, a name or a key, so histories hold no PII.
 */
import { defineSearchAttributeKey, SearchAttributeType } from "@temporalio/common";
import { defineQuery, defineSignal, defineUpdate } from "@temporalio/workflow";

export interface StatusChangeInput {
  accountId: string;
  /** Row in account_status_changes holding the reason and requester. */
  changeId: string;
}

export interface StatusChangeResult {
  outcome: "blocked" | "unblocked" | "already_blocked" | "already_active";
  sessionsEnded: number;
}

export interface StatusChangeProgress {
  step: "starting" | "changing_status" | "revoking_keys" | "ending_sessions" | "finishing" | "done" | "failed";
}

export const statusChangeProgressQuery = defineQuery<StatusChangeProgress>("status");

export const blockWorkflowId = (accountId: string) => `block-account:${accountId}`;
export const unblockWorkflowId = (accountId: string) => `unblock-account:${accountId}`;

export interface RechargeInput {
  accountId: string;
}

export type RechargeResult =
  { outcome: "not_needed" } | { outcome: "recharged" | "pending"; amountCents: string } | { outcome: "declined" | "requires_action"; code: string };

export const rechargeWorkflowId = (accountId: string) => `recharge:${accountId}`;

// ---- email transfer ----

export interface TransferInput {
  ticketId: string;
  /** How long the new address has to confirm (a duration, never an address). */
  confirmWithinMs: number;
  /** Above this old balance, two different staff must approve. */
  secondApproverAboveCents: string;
}

export type TransferStep =
  | "verifying"
  | "awaiting_confirmation"
  | "awaiting_approval"
  | "blocking_old_account"
  | "migrating"
  | "notifying"
  | "completed"
  | "rejected"
  | "expired"
  | "compensating"
  | "withdrawn"
  | "cancelled"
  | "failed";

export interface TransferStatus {
  step: TransferStep;
  failedChecks: string[];
  approvals: number;
  approvalsNeeded: number;
}

export type TransferResult = { outcome: "completed" | "rejected" | "expired" | "withdrawn" | "failed" };

/**
 * How many different staff must approve: two when the old account's balance is
 * above the threshold. Pure, so the workflow (from the balance at verification)
 * and the console (from the balance now, when the workflow does not answer) agree.
 */
export function approvalsNeededFor(oldBalanceCents: string | bigint, secondApproverAboveCents: string | number | bigint): 1 | 2 {
  return BigInt(oldBalanceCents) > BigInt(secondApproverAboveCents) ? 2 : 1;
}

/** Staff decisions carry ids and a role only; reasons stay in the database. */
export interface TransferDecision {
  staffId: string;
  role: "support" | "operator" | "admin";
}

export const transferStatusQuery = defineQuery<TransferStatus>("status");
export const confirmTransferSignal = defineSignal("confirmTransfer");
export const approveTransferUpdate = defineUpdate<TransferStatus, [TransferDecision]>("approve");
export const rejectTransferUpdate = defineUpdate<TransferStatus, [TransferDecision]>("reject");
/** The requester takes the request back (the web checks who asks; the workflow checks it is not too late). */
export const withdrawTransferUpdate = defineUpdate<TransferStatus>("withdraw");
/**
 * "One of the two accounts changed" (deleted, blocked): a nudge without data.
 * The workflow re-reads both accounts from the database and ends the transfer
 * if it can no longer go ahead; a stale or duplicate nudge changes nothing.
 */
export const transferPartiesChangedSignal = defineSignal("partiesChanged");

export const transferWorkflowId = (ticketId: string) => `transfer:${ticketId}`;

// ---- search attributes: "all workflows for account X" is one visibility query ----
// Registered on the dev server by `npm start` and the tests; a production cluster
// needs them added once (see README).
export const accountIdAttribute = defineSearchAttributeKey("AccountId", SearchAttributeType.KEYWORD);
export const ticketIdAttribute = defineSearchAttributeKey("TicketId", SearchAttributeType.KEYWORD);
export const forAccount = (accountId: string) => [{ key: accountIdAttribute, value: accountId }];

// ---- mailing lists ----

/** Mirrors one subscription's current state to the mailing-list provider. */
export interface SubscriptionSyncInput {
  subscriptionId: string;
}
/** Sent (with start) on every change: the running sync pushes once more. */
export const subscriptionChangedSignal = defineSignal("subscriptionChanged");
export const subscriptionSyncWorkflowId = (subscriptionId: string) => `mailing-sync:${subscriptionId}`;

export interface ListMailingInput {
  mailingId: string;
}
export const listMailingWorkflowId = (mailingId: string) => `list-mailing:${mailingId}`;

/** The provider forgets the contact of a person erased when their last membership ended (ids only). */
export interface ContactErasureInput {
  userId: string;
}
export const contactErasureWorkflowId = (userId: string) => `erase-contact:${userId}`;

// ---- GDPR deletion ----

export interface DeleteAccountInput {
  accountId: string;
}

export type DeletionStep =
  "starting" | "unsubscribing" | "erasing_provider_contacts" | "sending_confirmation" | "erasing_personal_data" | "finishing" | "done" | "failed";

export interface DeletionProgress {
  step: DeletionStep;
  listsTotal: number;
  listsDone: number;
}

export type DeleteAccountResult = { outcome: "deleted" };

export const deletionProgressQuery = defineQuery<DeletionProgress>("status");
export const deleteWorkflowId = (accountId: string) => `delete:${accountId}`;
