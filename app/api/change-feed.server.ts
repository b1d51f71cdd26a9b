/**
 * LISTEN for the notifications the database triggers send when a key or an
 * account changes (db/migrations/..._keys_and_credits.ts), on one dedicated
 * connection per process. While the connection is down the caches are reset
 * and told not to store; after a reconnect they start empty.
 */
import pg from "pg";
import type { Logger } from "../logger.server.js";

export type Channel = "api_key_changed" | "account_changed";

export class ChangeFeed {
  private client: pg.Client | null = null;
  private healthy = false;
  private stopped = false;
  private retryMs = 100;
  private handlers = new Map<Channel, ((payload: string) => void)[]>();
  private resetHandlers: (() => void)[] = [];

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
  ) {}

  on(channel: Channel, handler: (payload: string) => void): void {
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler]);
  }

  onReset(handler: () => void): void {
    this.resetHandlers.push(handler);
  }

  isHealthy = (): boolean => this.healthy;

  async start(): Promise<void> {
    await this.connect();
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
      for (const h of this.handlers.get(msg.channel as Channel) ?? []) h(msg.payload ?? "");
    });
    client.on("error", lost);
    client.on("end", () => lost());
    try {
      await client.connect();
      for (const channel of ["api_key_changed", "account_changed"] as const) await client.query(`LISTEN ${channel}`);
      if (gone) return;
      this.client = client;
      this.retryMs = 100;
      this.reset(); // anything cached while we were deaf is suspect
      this.healthy = true;
    } catch (err) {
      lost(err);
      await client.end().catch(() => {});
    }
  }

  private lost(err?: unknown) {
    if (this.healthy) this.logger.warn({ err: err instanceof Error ? err.message : undefined }, "change feed lost; caches off until it reconnects");
    this.healthy = false;
    this.client = null;
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
    await this.client?.end().catch(() => {});
  }
}
