/**
 * Names and types shared by workflows and their callers (web, tests). Inputs
 * carry ids only: never an email, a name or a key, so histories hold no PII.
 */
import { defineQuery } from "@temporalio/workflow";

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
  | { outcome: "not_needed" }
  | { outcome: "recharged"; amountCents: string }
  | { outcome: "declined"; code: string };

export const rechargeWorkflowId = (accountId: string) => `recharge:${accountId}`;
