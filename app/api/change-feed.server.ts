/**
 * LISTEN for the notifications the database triggers send when a key or an
 * account changes (db/migrations/..._keys_and_credits.ts), on one dedicated
 * connection per process. While the connection is down the caches are reset
 * and told not to store; after a reconnect they start empty.
 *
 * Lag: a trigger's NOTIFY carries no time, so the feed measures itself with a
 * heartbeat. Every HEARTBEAT_MS it commits a NOTIFY of its own through the
 * pool (another backend, as a real change is) on a channel only this process
 * listens to, and times it by this process's clock from the moment it has a
 * connection until it arrives on the feed connection: the path a change's
 * notification takes (commit → the listening backend → this socket → this
 * event loop), plus the one-way trip of the query. A heartbeat not heard by
 * the next one counts as lagging by at least that interval.
 */
import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import type { Db } from "../../db/connection.js";
import type { Logger } from "../logger.server.js";
import { NO_API_METRICS, type ApiMetrics } from "./api-metrics.js";

export const HEARTBEAT_MS = 10_000;

export type Channel = "api_key_changed" | "account_changed";

export class ChangeFeed {
  private client: pg.Client | null = null;
  private healthy = false;
  private stopped = false;
  private retryMs = 100;
  private handlers = new Map<Channel, ((payload: string) => void)[]>();
  private resetHandlers: (() => void)[] = [];
  private readonly heartbeatChannel = `change_feed_heartbeat_${randomBytes(8).toString("hex")}`;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatSeq = 0;
  /** Heartbeats sent and not yet heard: sequence → process.hrtime at sending. */
  private heartbeats = new Map<string, bigint>();
  private readonly metrics: ApiMetrics;

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
    /** `db`: where the heartbeat is sent from (without it, no lag is measured). */
    private readonly options: { db?: Db; metrics?: ApiMetrics; heartbeatMs?: number } = {},
  ) {
    this.metrics = options.metrics ?? NO_API_METRICS;
  }

  on(channel: Channel, handler: (payload: string) => void): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  onReset(handler: () => void): void {
    this.resetHandlers.push(handler);
  }

  isHealthy = (): boolean => this.healthy;

  async start(): Promise<void> {
    await this.connect();
    if (this.options.db) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatMs ?? HEARTBEAT_MS);
      this.heartbeatTimer.unref();
    }
  }

  private heartbeat(): void {
    const db = this.options.db;
    if (!db || !this.healthy || this.stopped) return;
    const now = process.hrtime.bigint();
    // Still unheard from the last round: late by at least its age (a late arrival is then ignored).
    for (const [seq, sentAt] of this.heartbeats) {
      this.metrics.changeFeedLag(Number(now - sentAt) / 1e9);
      this.heartbeats.delete(seq);
    }
    const seq = String(++this.heartbeatSeq);
    db.connection()
      .execute(async (conn) => {
        // Timed from when a connection is in hand: a wait for the pool is not the feed's lag.
        this.heartbeats.set(seq, process.hrtime.bigint());
        await sql`SELECT pg_notify(${this.heartbeatChannel}, ${seq})`.execute(conn);
      })
      .catch(() => this.heartbeats.delete(seq));
  }

  private heard(seq: string): void {
    const sentAt = this.heartbeats.get(seq);
    if (sentAt === undefined) return;
    this.heartbeats.delete(seq);
    this.metrics.changeFeedLag(Number(process.hrtime.bigint() - sentAt) / 1e9);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.connectionString });
    let gone = false;
    // error and end may both fire, and a failed connect fires them too: act once per connection.
    const lost = (err?: unknown) => {
      if (gone) return;
      gone = true;
      this.lost(err);
    };
    client.on("notification", (msg) => {
      if (msg.channel === this.heartbeatChannel) return this.heard(msg.payload ?? "");
      for (const h of this.handlers.get(msg.channel as Channel) ?? []) h(msg.payload ?? "");
    });
    client.on("error", lost);
    client.on("end", () => lost());
    try {
      await client.connect();
      for (const channel of ["api_key_changed", "account_changed"] as const) await client.query(`LISTEN ${channel}`);
      if (this.options.db) await client.query(`LISTEN ${this.heartbeatChannel}`);
      if (gone) return;
      this.client = client;
      this.retryMs = 100;
      this.reset(); // anything cached while we were deaf is suspect
      this.healthy = true;
      this.heartbeat(); // a first measure at once, not HEARTBEAT_MS later
    } catch (err) {
      lost(err);
      await client.end().catch(() => {});
    }
  }

  private lost(err?: unknown) {
    if (this.healthy) this.logger.warn({ err: err instanceof Error ? err.message : undefined }, "change feed lost; caches off until it reconnects");
    this.healthy = false;
    this.client = null;
    this.heartbeats.clear(); // sent to a listener that is gone: they say nothing about the next one
    this.reset();
    if (this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 5000);
    setTimeout(() => void this.connect(), delay).unref();
  }

  private reset() {
    for (const h of this.resetHandlers) h();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.healthy = false;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.client?.end().catch(() => {});
  }
}
