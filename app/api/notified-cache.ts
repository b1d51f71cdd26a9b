/**
 * A TTL cache whose entries are also dropped by notifications. A load that was
 * in flight when its key was invalidated is not stored (it may have read the
 * old row), and nothing is stored while the notification feed is down: then a
 * missed notification cannot leave a stale entry behind. The TTL is the safety
 * net for what no notification can cover.
 */
export class NotifiedCache<V> {
  private entries = new Map<string, { value: V; expires: number }>();
  private inflight = new Map<string, { loads: number; version: number }>();
  private epoch = 0;

  constructor(
    private readonly options: { maxEntries: number; isFeedHealthy: () => boolean; now?: () => number },
  ) {}

  private now() {
    return this.options.now?.() ?? Date.now();
  }

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.value;
  }

  /** Loads through `loader` and caches the value for `ttlMs(value)` unless it was invalidated meanwhile. */
  async load(key: string, ttlMs: (value: V) => number, loader: () => Promise<V>): Promise<V> {
    const track = this.inflight.get(key) ?? { loads: 0, version: 0 };
    track.loads++;
    this.inflight.set(key, track);
    const version = track.version;
    const epoch = this.epoch;
    try {
      const value = await loader();
      if (track.version === version && this.epoch === epoch && this.options.isFeedHealthy()) this.set(key, value, ttlMs(value));
      return value;
    } finally {
      if (--track.loads === 0) this.inflight.delete(key);
    }
  }

  private set(key: string, value: V, ttlMs: number) {
    if (this.entries.size >= this.options.maxEntries) {
      // Map keeps insertion order: drop the oldest tenth.
      let drop = Math.ceil(this.options.maxEntries / 10);
      for (const k of this.entries.keys()) {
        this.entries.delete(k);
        if (--drop === 0) break;
      }
    }
    this.entries.set(key, { value, expires: this.now() + ttlMs });
  }

  invalidate(key: string): void {
    this.entries.delete(key);
    const track = this.inflight.get(key);
    if (track) track.version++;
  }

  /** Drops every entry whose value matches, and voids every load in flight (it might match too). */
  invalidateWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
    for (const track of this.inflight.values()) track.version++;
  }

  /** Everything goes: the feed reconnected, or was lost. */
  reset(): void {
    this.entries.clear();
    this.epoch++;
  }
}
