import { condition, proxyActivities, setHandler } from "@temporalio/workflow";
import type { Activities } from "../activities/index.js";
import { subscriptionChangedSignal, type ContactErasureInput, type ListMailingInput, type SubscriptionSyncInput } from "./shared.js";

const provider = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "5 minutes" },
});

const contactEraser = proxyActivities<Activities>({
  startToCloseTimeout: "30 seconds",
  scheduleToCloseTimeout: "1 day",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "5 minutes" },
});

const acts = proxyActivities<Activities>({
  startToCloseTimeout: "1 minute",
  retry: { initialInterval: "1 second", backoffCoefficient: 2, maximumInterval: "1 minute" },
});

/**
 * Keeps the provider's copy of one subscription in step with the database.
 * Started with a signal (signalWithStart) on every change: each push sends the
 * state as it is when the activity runs, and a change that arrives meanwhile
 * makes it push once more, so the last change always wins.
 */
export async function syncSubscription({ subscriptionId }: SubscriptionSyncInput): Promise<{ pushes: number }> {
  let pending = false;
  setHandler(subscriptionChangedSignal, () => {
    pending = true;
  });
  await condition(() => pending);
  let pushes = 0;
  while (pending) {
    pending = false;
    await provider.pushSubscription(subscriptionId);
    pushes += 1;
  }
  return { pushes };
}

/** One mail to a list: enqueued in batches, each mail carrying its own signed unsubscribe link. */
export async function listMailing({ mailingId }: ListMailingInput): Promise<{ recipients: number }> {
  let after: string | null = null;
  let recipients = 0;
  do {
    const batch: { enqueued: number; next: string | null } = await acts.enqueueListMailingBatch({ mailingId, after });
    recipients += batch.enqueued;
    after = batch.next;
  } while (after !== null);
  await acts.finishListMailing(mailingId);
  return { recipients };
}

/**
 * The provider forgets a person erased because their last membership ended
 * (docs/decisions/005). Retried until the provider answers; a start whose
 * erasure never committed fails after a day, having sent nothing.
 */
export async function eraseMailingContact({ userId }: ContactErasureInput): Promise<string> {
  return contactEraser.eraseErasedPersonContact(userId);
}
