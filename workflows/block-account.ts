import { ApplicationFailure, CancellationScope, proxyActivities, setHandler } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";
import { nudgeTransfers } from "./nudge-transfers.js";
import { statusChangeProgressQuery, type StatusChangeInput, type StatusChangeProgress, type StatusChangeResult } from "./shared.js";

const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "30 seconds", maximumAttempts: 10 },
});

/**
 * Blocks an account: status flips to blocked (every session dies with it, since
 * each request checks the status), then every session is revoked explicitly.
 * Each activity is idempotent, so a retry or a replay after a crash does nothing twice.
 */
export async function blockAccount(input: StatusChangeInput): Promise<StatusChangeResult> {
  const progress: StatusChangeProgress = { step: "starting" };
  setHandler(statusChangeProgressQuery, () => progress);
  try {
    await acts.markStatusChangeRunning(input.changeId);
    progress.step = "changing_status";
    const { changed, waitingTransfers } = await acts.setAccountBlocked(input);
    // A transfer waiting on this account can no longer go ahead: it re-checks and ends.
    await nudgeTransfers(waitingTransfers);
    progress.step = "revoking_keys";
    await acts.revokeAccountKeys(input);
    progress.step = "ending_sessions";
    const sessionsEnded = await acts.endAccountSessions(input);
    progress.step = "finishing";
    const outcome = changed ? "blocked" : "already_blocked";
    await acts.completeStatusChange({ changeId: input.changeId, outcome });
    progress.step = "done";
    return { outcome, sessionsEnded };
  } catch (err) {
    progress.step = "failed";
    await recordFailure(input.changeId, err);
    throw err;
  }
}

/** Unblocks an account. Sessions that were ended stay ended: the user signs in again. */
export async function unblockAccount(input: StatusChangeInput): Promise<StatusChangeResult> {
  const progress: StatusChangeProgress = { step: "starting" };
  setHandler(statusChangeProgressQuery, () => progress);
  try {
    await acts.markStatusChangeRunning(input.changeId);
    progress.step = "changing_status";
    const { changed } = await acts.setAccountUnblocked(input);
    progress.step = "finishing";
    const outcome = changed ? "unblocked" : "already_active";
    await acts.completeStatusChange({ changeId: input.changeId, outcome });
    progress.step = "done";
    return { outcome, sessionsEnded: 0 };
  } catch (err) {
    progress.step = "failed";
    await recordFailure(input.changeId, err);
    throw err;
  }
}

/** Runs even when the workflow is being cancelled, so the request row never stays "running". */
function recordFailure(changeId: string, err: unknown): Promise<void> {
  const code = err instanceof ApplicationFailure && err.type ? err.type : "workflow_failed";
  return CancellationScope.nonCancellable(() => acts.failStatusChange({ changeId, code }));
}
