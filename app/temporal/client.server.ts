/** How web and worker reach Temporal: the dev server locally, a cluster or Temporal Cloud in production. */
import type { Client } from "@temporalio/client";
import type { Config } from "../config.server.js";

export function temporalConnectionOptions(config: Config) {
  const address = config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`;
  return {
    address,
    // Temporal Cloud takes an API key over TLS; a self-hosted cluster may use TLS alone.
    ...(config.temporal.tls || config.temporal.apiKey ? { tls: true as const } : {}),
    ...(config.temporal.apiKey ? { apiKey: config.temporal.apiKey } : {}),
  };
}

/** True when the Temporal frontend answers (the health check). */
export async function temporalAnswers(temporal: Client): Promise<boolean> {
  return temporal.workflowService.getSystemInfo({}).then(
    () => true,
    () => false,
  );
}
