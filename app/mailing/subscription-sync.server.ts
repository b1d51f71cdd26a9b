/**
 * After a subscription changes in the database (the list), its mirror at the
 * provider is brought in step by a syncSubscription workflow. Without a
 * provider there is nothing to mirror.
 */
import type { Services } from "../services.server.js";
import { subscriptionChangedSignal, subscriptionSyncWorkflowId, type SubscriptionSyncInput } from "../../workflows/shared.js";

export async function mirrorSubscriptions(services: Pick<Services, "temporal" | "config" | "logger">, subscriptionIds: readonly string[]): Promise<void> {
  const { temporal, config, logger } = services;
  if (!config.mailingProvider) return;
  for (const subscriptionId of subscriptionIds) {
    const args: [SubscriptionSyncInput] = [{ subscriptionId }];
    try {
      await temporal.workflow.signalWithStart("syncSubscription", {
        taskQueue: config.temporal.taskQueue,
        workflowId: subscriptionSyncWorkflowId(subscriptionId),
        args,
        signal: subscriptionChangedSignal,
        signalArgs: [],
      });
    } catch (err) {
      // The database already holds the change (and list mail follows the database);
      // the row's provider_synced_at < changed_at shows the mirror is behind.
      logger.warn({ err: (err as Error).name, subscriptionId }, "provider sync not started");
    }
  }
}
