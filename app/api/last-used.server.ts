/**
 * Records when keys were last used without a write per request: each key is
 * written at most once a minute per process, in batches flushed every second.
 */
import type { DbOrTrx } from "../../db/connection.js";
import { touchKeysLastUsed } from "../models/api-keys.server.js";
import type { Logger } from "../logger.server.js";

export const LAST_USED_RESOLUTION_MS = 60_000;

export class LastUsedRecorder {
  private written = new Map<string, number>();
  private pending = new Set<string>();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly db: DbOrTrx,
    private readonly logger: Logger,
    flushEveryMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  touch(keyId: string): void {
    const last = this.written.get(keyId);
    if (last !== undefined && Date.now() - last < LAST_USED_RESOLUTION_MS) return;
    this.written.set(keyId, Date.now());
    this.pending.add(keyId);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    try {
      await touchKeysLastUsed(this.db, ids);
    } catch (err) {
      // A lost stamp is harmless; the next use writes it again.
      for (const id of ids) this.written.delete(id);
      this.logger.warn({ err: err instanceof Error ? err.message : String(err), count: ids.length }, "could not record key use");
    }
    if (this.written.size > 200_000) this.written.clear();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
