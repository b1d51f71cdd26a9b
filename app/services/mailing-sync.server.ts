/**
 * After a subscription changes in the database (the list), its mirror at the
 * provider is brought in step by a syncSubscription workflow, started with a
 * signal so a running sync pushes once more. Without a provider there is
 * nothing to mirror.
 */
import type { Services } from "../context.server.js";
import { startWorkflow } from "../temporal/start.server.js";
import { syncSubscription } from "../../workflows/mailing.js";
import { subscriptionChangedSignal, subscriptionSyncWorkflowId } from "../../workflows/shared.js";

export async function mirrorSubscriptions(services: Pick<Services, "temporal" | "config" | "logger">, subscriptionIds: readonly string[]): Promise<void> {
  const { config, logger } = services;
  if (!config.mailingProvider) return;
  for (const subscriptionId of subscriptionIds) {
    const start = await startWorkflow(services, {
      workflow: syncSubscription,
      workflowId: subscriptionSyncWorkflowId(subscriptionId),
      args: [{ subscriptionId }],
      signal: subscriptionChangedSignal,
      policy: "one_at_a_time",
    });
    // The database already holds the change (and list mail follows the database);
    // the row's provider_synced_at < changed_at shows the mirror is behind.
    if (!start.started) logger.warn({ err: start.error, subscriptionId }, "provider sync not started");
  }
}
