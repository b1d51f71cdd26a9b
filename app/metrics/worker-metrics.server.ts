/**
 * The worker's own series, beside the Temporal SDK's: the mail outbox's
 * backlog. The SDK's Prometheus exporter (Core, in Rust) owns the worker's
 * metrics port and serves only what is recorded through the Runtime's metric
 * meter, so these gauges are recorded there (Runtime.metricMeter) and appear
 * on the same `GET /metrics` as temporal_*: one port, one scrape per worker.
 *
 * Sampled every few seconds with one query (app/models/outbox-stats.server.ts).
 * Every worker reports the same numbers (they read one table): aggregate with
 * max(), not sum().
 */
import type { MetricGauge, MetricMeter } from "@temporalio/common";
import type { Db } from "../../db/connection.js";
import type { Logger } from "../logger.server.js";
import { outboxBacklog } from "../models/outbox-stats.server.js";

export const OUTBOX_SAMPLE_MS = 5_000;

export class OutboxGauges {
  private readonly undelivered: MetricGauge;
  private readonly oldestAge: MetricGauge;
  private timer: NodeJS.Timeout | null = null;
  private sampling: Promise<void> | null = null;
  private failing = false;

  constructor(private readonly deps: { db: Db; meter: MetricMeter; logger: Logger; intervalMs?: number }) {
    this.undelivered = deps.meter.createGauge("switchboard_mail_outbox_undelivered", "int", "", "Outbox mail not yet delivered (pending or being sent).");
    this.oldestAge = deps.meter.createGauge(
      "switchboard_mail_outbox_oldest_undelivered_age_seconds",
      "float",
      "s",
      "Seconds since the oldest undelivered outbox mail was written (0: none waiting).",
    );
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.deps.intervalMs ?? OUTBOX_SAMPLE_MS);
    this.timer.unref();
  }

  private sample(): void {
    if (this.sampling) return;
    this.sampling = outboxBacklog(this.deps.db)
      .then((b) => {
        this.undelivered.set(b.undelivered);
        this.oldestAge.set(b.oldestAgeSeconds);
        this.failing = false;
      })
      // The gauges keep their last value while the database is away; said once, not every 5 s.
      .catch((err: unknown) => {
        if (!this.failing) this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "outbox backlog could not be read");
        this.failing = true;
      })
      .finally(() => {
        this.sampling = null;
      });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sampling;
  }
}
