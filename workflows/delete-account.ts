import { ActivityFailure, ApplicationFailure, CancellationScope, proxyActivities, setHandler } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";
import { nudgeTransfers } from "./nudge-transfers.js";
import { deletionProgressQuery, type DeleteAccountInput, type DeleteAccountResult, type DeletionProgress } from "./shared.js";

/** Database steps: quick, retried with backoff; they only fail for good on a bug. */
const acts = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "1 minute" },
});

/** The mailing-list provider is outside our control: retry without limit, at most every 5 minutes. */
const provider = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "5 minutes" },
});

/** The confirmation must leave before its address is erased; wait for the mail dispatcher, not forever. */
const mailWait = proxyActivities<Activities>({
  startToCloseTimeout: "10 seconds",
  scheduleToCloseTimeout: "30 minutes",
  retry: { initialInterval: "1 second", backoffCoefficient: 1.5, maximumInterval: "30 seconds" },
});

/**
 * GDPR deletion of one account (input: its id only; no address, name or key
 * ever enters this history). Each step is an idempotent activity that records
 * itself once on the account_deletions row, so a retry or a new worker after a
 * crash does nothing twice.
 */
export async function deleteAccount({ accountId }: DeleteAccountInput): Promise<DeleteAccountResult> {
  const progress: DeletionProgress = { step: "starting", listsTotal: 0, listsDone: 0 };
  setHandler(deletionProgressQuery, () => progress);
  try {
    // 1. Keys and sessions again (the request did it; this guards against anything since).
    const { listIds, waitingTransfers } = await acts.beginDeletion(accountId);
    // A transfer from or to this account can no longer go ahead: it re-checks and ends.
    await nudgeTransfers(waitingTransfers);

    // 2. Every list, one activity each, then the contact itself at the provider.
    progress.step = "unsubscribing";
    progress.listsTotal = listIds.length;
    for (const listId of listIds) {
      await provider.unsubscribeAccountFromList({ accountId, listId });
      progress.listsDone += 1;
    }
    progress.step = "erasing_provider_contacts";
    await provider.eraseProviderContacts(accountId);

    // 3. The confirmation, read and addressed inside the activity; it must leave before step 4.
    progress.step = "sending_confirmation";
    await acts.sendDeletionConfirmation(accountId);
    try {
      await mailWait.awaitDeletionConfirmationSent(accountId);
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      await acts.noteDeletionConfirmationUnsent(accountId);
    }

    // 4 + 5. Erase personal data everywhere and write the tombstone, in one transaction.
    progress.step = "erasing_personal_data";
    await acts.eraseAccountPersonalData(accountId);

    // 6. Deleted; audited without personal data.
    progress.step = "finishing";
    await acts.completeDeletion(accountId);
    progress.step = "done";
    return { outcome: "deleted" };
  } catch (err) {
    progress.step = "failed";
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const code = cause instanceof ApplicationFailure && cause.type ? cause.type : "workflow_failed";
    await CancellationScope.nonCancellable(() => acts.failDeletion({ accountId, code }));
    throw err;
  }
}
