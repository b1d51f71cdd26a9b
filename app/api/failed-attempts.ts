/**
 * Failed key attempts per client address, in a fixed window. Past the limit the
 * address gets 429 with Retry-After until the window ends: guessing keys costs
 * time. Per process: N web processes allow N × the limit, still far below any
 * useful guessing rate for 258-bit keys.
 */
export class FailedAttempts {
  private windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limit = 20,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait, or 0 when the address may try. */
  retryAfter(address: string): number {
    const w = this.windows.get(address);
    if (!w) return 0;
    const elapsed = this.now() - w.start;
    if (elapsed >= this.windowMs) {
      this.windows.delete(address);
      return 0;
    }
    return w.failures >= this.limit ? Math.ceil((this.windowMs - elapsed) / 1000) : 0;
  }

  fail(address: string): void {
    const now = this.now();
    const w = this.windows.get(address);
    if (!w || now - w.start >= this.windowMs) {
      if (this.windows.size > 100_000) this.sweep(now);
      this.windows.set(address, { start: now, failures: 1 });
    } else {
      w.failures++;
    }
  }

  private sweep(now: number) {
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}
