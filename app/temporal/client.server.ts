/** How web and worker reach Temporal: the dev server locally, a cluster or Temporal Cloud in production. */
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
