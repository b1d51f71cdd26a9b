/**
 * The worker process: runs workflows (bundled, deterministic) and activities
 * (all I/O). Stateless; many may poll one task queue (`npm run worker`).
 */
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from "@temporalio/worker";
import { createActivities } from "../activities/index.js";
import { paymentProviderFrom } from "../app/payments/provider.server.js";
import { configOrExit, refuseDevelopmentSecretsOrExit } from "../app/config.server.js";
import { createLogger } from "../app/logger.server.js";
import { temporalConnectionOptions } from "../app/temporal/client.server.js";
import { createDb } from "../db/connection.js";
import { MailDispatcher } from "../app/mail/dispatcher.server.js";
import { MailBodyRetention } from "../app/mail/retention.server.js";
import { createSmtpTransport } from "../app/mail/mailer.server.js";
import { mailingProviderFrom } from "../app/mailing-lists/provider.server.js";
import { KeyExpiryReminders } from "../app/services/key-expiry-reminders.server.js";
import { OutboxGauges } from "../app/metrics/worker-metrics.server.js";
import { startTracing } from "../app/tracing/tracing.server.js";
import { WORKFLOWS_SOURCE } from "./workflow-bundle.js";

const config = configOrExit();
const logger = createLogger(config.logLevel, "worker");
// Outside `npm start` and production, the public built-in secrets are refused unless ALLOW_DEV_SECRETS=1.
refuseDevelopmentSecretsOrExit(config, logger);

if (!config.database.url) {
  logger.fatal("DATABASE_URL is required for `npm run worker` (`npm start` sets it for the embedded database)");
  process.exit(1);
}

// WORKER_METRICS_PORT: the SDK's Prometheus exporter (Core's own listener) serves GET /metrics there: the SDK's
// temporal_* series and ours, recorded through the Runtime's metric meter (app/metrics/worker-metrics.server.ts).
const metricsAddress = config.metrics.workerPort === undefined ? undefined : `${config.metrics.host}:${config.metrics.workerPort}`;
const runtime = Runtime.install({
  logger: {
    log: (level, message, meta) => logger[level === "TRACE" ? "trace" : (level.toLowerCase() as "info")]({ ...meta }, message),
    trace: (m, meta) => logger.trace({ ...meta }, m),
    debug: (m, meta) => logger.debug({ ...meta }, m),
    info: (m, meta) => logger.info({ ...meta }, m),
    warn: (m, meta) => logger.warn({ ...meta }, m),
    error: (m, meta) => logger.error({ ...meta }, m),
  },
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: "WARN" }) },
    // Prometheus's conventions: counters end in _total, durations are in seconds and say so (…_seconds).
    ...(metricsAddress
      ? { metrics: { prometheus: { bindAddress: metricsAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } } }
      : {}),
  },
});
if (metricsAddress) logger.info({ url: `http://${metricsAddress}/metrics` }, "metrics listening");
// OTEL_EXPORTER_OTLP_ENDPOINT: traces through workflows and activities (off by default).
const tracing = await startTracing(config, "worker");

const db = createDb(config.database.url);
const connection = await connectWithRetry();
const worker = await Worker.create({
  connection,
  namespace: config.temporal.namespace,
  taskQueue: config.temporal.taskQueue,
  // WORKFLOW_BUNDLE: the prebuilt bundle (`npm run build`); without it, bundle the source now. Tracing bundles the
  // source too: its workflow interceptor module must be inside the bundle, and the prebuilt one is built without it.
  ...(config.temporal.workflowBundle && !tracing ? { workflowBundle: { codePath: config.temporal.workflowBundle } } : { workflowsPath: WORKFLOWS_SOURCE }),
  ...tracing?.workerOptions,
  // PAYMENT_PROVIDER: Stripe, or the test provider (refused in production by the config).
  activities: createActivities({ db, payments: paymentProviderFrom(config, db), config, mailingProvider: mailingProviderFrom(config) }),
  // Activities are short transactions on a pool of 10 connections: the SDK's default of 100 at once only queues
  // them for a connection while holding memory. With these limits a burst of 200 workflows peaks near 300 MB of
  // RSS instead of over 400 (BENCHMARKS.md); raise them together with the pool for slow outside calls.
  maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
  maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
});
// Outbox mail goes out from here, after commit; without SMTP_URL it stays in the outbox (console → Mail).
const mail = config.smtpUrl
  ? new MailDispatcher({ db, databaseUrl: config.database.url, transport: createSmtpTransport(config.smtpUrl), from: config.mailFrom, logger })
  : null;
await mail?.start();
// Sent mail keeps its body for MAIL_BODY_RETENTION_DAYS, in either delivery mode (hourly; safe in every worker at once).
const retention = new MailBodyRetention({ db, retentionDays: config.mailBodyRetentionDays, logger });
retention.start();
// "Your key expires in 7 days": hourly, first round shortly after start; once per key and person (the outbox's dedupe key), so every worker may run it.
const expiryReminders = new KeyExpiryReminders({ db, config, logger });
expiryReminders.start();
// The outbox's backlog, on the metrics port beside the SDK's series.
const outboxGauges = metricsAddress ? new OutboxGauges({ db, meter: runtime.metricMeter, logger }) : null;
outboxGauges?.start();
logger.info({ taskQueue: config.temporal.taskQueue, mail: mail ? "smtp" : "outbox only", tracing: Boolean(tracing) }, "worker polling");
// Under `npm start` the supervisor holds an IPC channel: if it dies, the worker stops too.
// Unref'd, so the channel alone never keeps a stopped worker alive.
if (process.send) process.on("disconnect", () => worker.shutdown());
process.channel?.unref();
// The SDK stops the worker on SIGINT/SIGTERM and lets running activities finish.
await worker.run();
await mail?.stop();
await retention.stop();
await expiryReminders.stop();
await outboxGauges?.stop();
await tracing?.shutdown().catch(() => {});
await Promise.allSettled([db.destroy(), connection.close()]);
logger.info("worker stopped");

/** Temporal may still be starting (or restarting): try for a while before giving up. */
async function connectWithRetry(): Promise<NativeConnection> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await NativeConnection.connect(temporalConnectionOptions(config));
    } catch (err) {
      if (Date.now() > deadline) throw err;
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, "Temporal not reachable yet; retrying");
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
