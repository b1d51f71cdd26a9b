/**
 * Failed key attempts per client address, in a fixed window (20 a minute).
 * Only failures are limited: a request with a valid key is never refused
 * here and never pays for this limiter (no lookup, no write), so one broken
 * client behind a NAT cannot stop its neighbours. Past the limit, a failure
 * from that address is answered 429 with Retry-After instead of 401.
 *
 * Shared by every web process: each failure is counted in PostgreSQL (the
 * rate_limits table, one atomic upsert), so N processes together allow about
 * the limit, not N × it. Once an address is known to be over the limit, this
 * process remembers until when, and answers its further failures without a
 * database write (the count cannot unlock early), which bounds the writes a
 * flood from one address can cause to about limit + one per process.
 */
import type { DbOrTrx } from "../../db/connection.js";
import { take, type LimitRule, type Taken } from "../models/rate-limits.server.js";

export const FAILED_KEYS_PER_ADDRESS: LimitRule = { limit: 20, windowMs: 60_000 };

/** Where failures are counted: PostgreSQL in production, memory in the DB-free unit tests. */
export type FailureCounter = (key: string, rule: LimitRule) => Promise<Taken>;

export const countInDatabase =
  (db: DbOrTrx): FailureCounter =>
  (key, rule) =>
    take(db, key, rule);

/** One process's counts only: for tests that must not touch a database. */
export function countInMemory(now: () => number = Date.now): FailureCounter {
  const windows = new Map<string, { start: number; hits: number }>();
  return async (key, rule) => {
    const t = now();
    let w = windows.get(key);
    if (!w || t - w.start >= rule.windowMs) {
      if (windows.size > 100_000) for (const [k, old] of windows) if (t - old.start >= rule.windowMs) windows.delete(k);
      w = { start: t, hits: 0 };
      windows.set(key, w);
    }
    w.hits++;
    const window = String(w.start);
    return { allowed: w.hits <= rule.limit, hits: w.hits, window, retryAfterMs: Math.max(1000, w.start + rule.windowMs - t) };
  };
}

export class FailedAttempts {
  /** Addresses known to be over the limit, and until when (ms). */
  private readonly lockedUntil = new Map<string, number>();

  private readonly count: FailureCounter;
  private readonly rule: LimitRule;
  private readonly now: () => number;
  private readonly onError: (err: unknown) => void;

  /** Without `count`, failures are counted in this process only (tests without a database). */
  constructor(options: { count?: FailureCounter; rule?: LimitRule; now?: () => number; onError?: (err: unknown) => void } = {}) {
    this.now = options.now ?? Date.now;
    this.count = options.count ?? countInMemory(this.now);
    this.rule = options.rule ?? FAILED_KEYS_PER_ADDRESS;
    this.onError = options.onError ?? (() => {});
  }

  /**
   * Counts one failure from `address`; returns the seconds it must wait (the
   * answer is then 429), or 0 (the answer is 401). If the count cannot be
   * written (PostgreSQL down), the failure is answered 401 uncounted.
   */
  async fail(address: string): Promise<number> {
    const cached = this.cachedWait(address);
    if (cached > 0) return cached;
    let taken: Taken;
    try {
      taken = await this.count(`api-key-ip:${address}`, this.rule);
    } catch (err) {
      this.onError(err);
      return 0;
    }
    if (taken.allowed && taken.hits < this.rule.limit) return 0;
    // At the limit the next failure is refused anyway: remember the lock from now on.
    this.remember(address, this.now() + taken.retryAfterMs);
    return taken.allowed ? 0 : Math.ceil(taken.retryAfterMs / 1000);
  }

  private cachedWait(address: string): number {
    const until = this.lockedUntil.get(address);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) {
      this.lockedUntil.delete(address);
      return 0;
    }
    return Math.ceil(left / 1000);
  }

  private remember(address: string, until: number) {
    if (this.lockedUntil.size > 100_000) {
      const now = this.now();
      for (const [k, u] of this.lockedUntil) if (u <= now) this.lockedUntil.delete(k);
    }
    this.lockedUntil.set(address, until);
  }
}
