import { proxyActivities } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";

export interface LeakedKeyInput {
  /** The key revoked as leaked: its id only (never the key, nor where it was found: the activity reads that). */
  keyId: string;
}

export interface LeakedKeyResult {
  /** Mails enqueued by this run (0 when a retry found them enqueued already, or nobody is left to tell). */
  mailed: number;
}

/** One run per key ever (the start's "once" policy): a redelivered report starts nothing. */
export const leakedKeyWorkflowId = (keyId: string) => `leaked-key:${keyId}`;

// A security mail must go out even after a long database outage: retried for a day, then the run fails (the console lists it).
const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  scheduleToCloseTimeout: "1 day",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "5 minutes" },
});

/**
 * After a secret scanner reported a key of ours public: the key is already
 * dead (the hook revoked and audited it in one transaction, before starting
 * this), and its account's owners and admins are told, once, in one
 * transaction with per-person dedupe keys, so a retried activity or a crash
 * between steps mails nobody twice.
 */
export async function leakedKey({ keyId }: LeakedKeyInput): Promise<LeakedKeyResult> {
  const mailed = await acts.mailLeakedKeyOwners(keyId);
  return { mailed };
}
