/**
 * The web process's Prometheus registry (prom-client): what `GET /metrics` on
 * the metrics listener answers (app/metrics/metrics-server.server.ts). Its own
 * registry, not prom-client's global one, so that a test or a second app in
 * one process never counts into another's.
 *
 * Labels are a fixed small set each (route groups, status classes, outcomes):
 * nothing from a request (path, id, key, address) ever becomes a label.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ApiMetrics } from "../api/api-metrics.js";
import { routeGroup } from "./route-groups.js";

/** What the request listener reports (server/http-app.ts). */
export interface HttpMetrics {
  /** Call as a request arrives; the answer is counted when its response closes. */
  observe(req: IncomingMessage, res: ServerResponse): void;
}

/** The pg.Pool counters this reads at each scrape (db/connection.ts poolOf). */
export interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface WebMetrics {
  registry: Registry;
  api: ApiMetrics;
  http: HttpMetrics;
}

const statusClass = (res: ServerResponse) => (res.writableFinished ? `${Math.floor(res.statusCode / 100)}xx` : "aborted");

export function createWebMetrics(options: { pool?: PoolCounts; feedHealthy?: () => boolean } = {}): WebMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: "switchboard_http_requests_total",
    help: "HTTP requests answered, by route group and status class (aborted: the client left before the answer was sent).",
    labelNames: ["group", "status"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "switchboard_http_request_duration_seconds",
    help: "From a request's arrival to the end of its answer, by route group (event streams left out: they stay open by design).",
    labelNames: ["group"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const verdictLookups = new Counter({
    name: "switchboard_api_key_verdict_lookups_total",
    help: "API key verdicts asked for on /v1 (each one a cache hit or a database lookup).",
    registers: [registry],
  });
  const verdictHits = new Counter({
    name: "switchboard_api_key_verdict_cache_hits_total",
    help: "API key verdicts answered from this process's cache; the hit ratio is this over switchboard_api_key_verdict_lookups_total.",
    registers: [registry],
  });

  const batchDebits = new Histogram({
    name: "switchboard_usage_batch_debits",
    help: "Usage debits per group-commit batch.",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [registry],
  });
  const batchAccounts = new Histogram({
    name: "switchboard_usage_batch_accounts",
    help: "Distinct accounts charged per group-commit batch.",
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: "switchboard_usage_batch_commit_seconds",
    help: "A usage batch's transaction, from BEGIN to the end of COMMIT (or of the failed attempt).",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const batches = new Counter({
    name: "switchboard_usage_batches_total",
    help: "Usage batch transactions by outcome (failed: the batch was retried debit by debit).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  for (const outcome of ["committed", "failed"] as const) batches.labels(outcome).inc(0);

  const feedLag = new Histogram({
    name: "switchboard_change_feed_lag_seconds",
    help: "How long a change-feed notification takes to reach this process (measured with a heartbeat NOTIFY; see app/api/change-feed.server.ts).",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  if (options.feedHealthy) {
    const feedHealthy = options.feedHealthy;
    new Gauge({
      name: "switchboard_change_feed_up",
      help: "1 while the change feed is listening (the /v1 caches are in use), 0 while it reconnects (every verdict is looked up).",
      registers: [registry],
      collect() {
        this.set(feedHealthy() ? 1 : 0);
      },
    });
  }

  if (options.pool) {
    const pool = options.pool;
    const poolGauge = (name: string, help: string, read: (p: PoolCounts) => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read(pool));
        },
      });
    poolGauge("switchboard_db_pool_connections", "Connections the database pool holds (busy and idle).", (p) => p.totalCount);
    poolGauge("switchboard_db_pool_idle_connections", "Connections in the pool that are idle.", (p) => p.idleCount);
    poolGauge("switchboard_db_pool_waiting_requests", "Queries waiting for a connection because every one is busy.", (p) => p.waitingCount);
  }

  const api: ApiMetrics = {
    usageBatch(o) {
      batchDebits.observe(o.debits);
      batchAccounts.observe(o.accounts);
      batchSeconds.observe(o.seconds);
      batches.labels(o.outcome).inc();
    },
    verdictLookup(hit) {
      verdictLookups.inc();
      if (hit) verdictHits.inc();
    },
    changeFeedLag(seconds) {
      feedLag.observe(seconds);
    },
  };

  // Each label set's child looked up once: labels() hashes its arguments on every call, and this runs per request.
  const requestChildren = new Map<string, Counter.Internal>();
  const latencyChildren = new Map<string, Histogram.Internal<"group">>();
  const countRequest = (group: string, status: string) => {
    const key = `${group} ${status}`;
    let child = requestChildren.get(key);
    if (!child) requestChildren.set(key, (child = requests.labels(group, status)));
    child.inc();
  };
  const timeRequest = (group: string, seconds: number) => {
    let child = latencyChildren.get(group);
    if (!child) latencyChildren.set(group, (child = latency.labels(group)));
    child.observe(seconds);
  };

  const http: HttpMetrics = {
    observe(req, res) {
      const started = process.hrtime.bigint();
      // At arrival: Express rewrites req.url inside mounted middleware (express.static under /build).
      const group = routeGroup(req.url);
      res.once("close", () => {
        countRequest(group, statusClass(res));
        if (!/text\/event-stream/i.test(String(res.getHeader("Content-Type") ?? ""))) timeRequest(group, Number(process.hrtime.bigint() - started) / 1e9);
      });
    },
  };

  return { registry, api, http };
}
