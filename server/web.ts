/**
 * The web process: Remix behind Express. Stateless; many may run side by side
 * against one PostgreSQL and one Temporal (`npm run web`).
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { Client, Connection } from "@temporalio/client";
import { configOrExit, refuseDevelopmentSecretsOrExit } from "../app/config.server.js";
import { createLogger } from "../app/logger.server.js";
import { createServices } from "../app/context.server.js";
import { temporalConnectionOptions } from "../app/temporal/client.server.js";
import { createDb, poolOf } from "../db/connection.js";
import { startMetricsServer } from "../app/metrics/metrics-server.server.js";
import { createWebMetrics } from "../app/metrics/web-metrics.server.js";
import { startTracing } from "../app/tracing/tracing.server.js";
import { createServer } from "node:http";
import { startApiRuntime } from "../app/api/v1.server.js";
import { createRequestListener } from "./http-app.js";
import { PROJECT_ROOT } from "./project-root.js";

const root = PROJECT_ROOT;
const config = configOrExit();
const logger = createLogger(config.logLevel, "web");
// Outside `npm start` and production, the public built-in secrets are refused unless ALLOW_DEV_SECRETS=1.
refuseDevelopmentSecretsOrExit(config, logger);

if (!config.database.url) {
  logger.fatal("DATABASE_URL is required for `npm run web` (`npm start` sets it for the embedded database)");
  process.exit(1);
}

const build = (await import(pathToFileURL(path.join(root, "build", "index.js")).href)) as ServerBuild;
const db = createDb(config.database.url);
// OTEL_EXPORTER_OTLP_ENDPOINT: the workflows this process starts and signals are traced (off by default).
const tracing = await startTracing(config, "web");
// Lazy: the web starts (and /healthz says "temporal: down") even while Temporal is unreachable.
const connection = Connection.lazy(temporalConnectionOptions(config));
const temporal = new Client({ connection, namespace: config.temporal.namespace, interceptors: tracing?.clientInterceptors });
// METRICS_PORT: Prometheus series on a listener of their own (never the public port); without it nothing is counted.
const metrics = config.metrics.webPort === undefined ? undefined : createWebMetrics({ pool: poolOf(db), feedHealthy: () => api.feed.isHealthy() });
const api = await startApiRuntime({ db, databaseUrl: config.database.url, logger, usageBatch: config.usageBatch, metrics: metrics?.api });
const services = createServices({ config, db, temporal, logger, api });
const server = createServer(createRequestListener(build, services, path.join(root, "public"), metrics?.http));
server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
server.listen(config.port, config.host, () => {
  logger.info({ url: config.publicUrl, port: config.port }, "web listening");
});
server.on("error", (err) => {
  logger.fatal({ err: err.message }, "web could not listen");
  process.exit(1);
});
const metricsServer = metrics
  ? await startMetricsServer({ host: config.metrics.host, port: config.metrics.webPort, registry: metrics.registry, logger }).catch((err: Error) => {
      logger.fatal({ err: err.message }, "metrics could not listen");
      process.exit(1);
    })
  : null;

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  logger.info("web stopping");
  server.close();
  server.closeIdleConnections();
  // The API first: it still posts the debits it holds and the keys' last-used stamps through the pool
  // (with the pool ending beside it, that flush never settled and the process never exited).
  await api.stop().catch(() => {});
  await Promise.allSettled([db.destroy(), connection.close(), metricsServer?.stop(), tracing?.shutdown()]);
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
// Under `npm start` the supervisor holds an IPC channel: if it dies, so do we (no orphan holding the port).
if (process.send) process.on("disconnect", shutdown);
process.channel?.unref();
