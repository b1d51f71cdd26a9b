/**
 * A TTL cache whose entries are also dropped by notifications. A load that was
 * in flight when its key was invalidated is not stored (it may have read the
 * old row), and nothing is stored while the notification feed is down: then a
 * missed notification cannot leave a stale entry behind. The TTL is the safety
 * net for what no notification can cover.
 *
 * A write this process makes itself (beginWrite → committed) goes into the
 * cache at once, so the process reads its own writes without waiting for the
 * notification: see beginWrite for why that never goes back in time.
 */
export interface WriteTicket<V> {
  /** The write committed: `value` is the row as committed, `version` orders this key's commits (higher = later). */
  committed(value: V, version: bigint, ttlMs: number): void;
  /** The write changed nothing. */
  unchanged(): void;
  /** The write may or may not have committed (it failed midway): drop what is cached. */
  unknown(): void;
}

export class NotifiedCache<V> {
  private entries = new Map<string, { value: V; expires: number }>();
  private inflight = new Map<string, { loads: number; version: number }>();
  /** Per key with a write of this process open: notifications seen, and the newest commit applied. */
  private writes = new Map<string, { notified: number; applied: bigint | null; open: number }>();
  private epoch = 0;

  constructor(private readonly options: { maxEntries: number; isFeedHealthy: () => boolean; now?: () => number }) {}

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
    const write = this.writes.get(key);
    if (write) write.notified++;
  }

  /** Drops every entry whose value matches, and voids every load and write in flight (they might match too). */
  invalidateWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (matches(entry.value)) this.entries.delete(key);
    for (const track of this.inflight.values()) track.version++;
    for (const write of this.writes.values()) write.notified++;
  }

  /**
   * Call before this process writes the row behind `key`, and settle the ticket
   * once the write is over. A committed value is stored only if it cannot be
   * older than what the cache should show:
   * - a notification that arrived since the ticket was taken may be for a
   *   later commit (another process, or a change the value does not know of),
   *   so then the entry is dropped instead and the next read loads the row;
   * - two writes of this process may finish in either order: a commit whose
   *   version is not above the newest one applied is ignored;
   * - loads in flight may have read the row before this commit: they are voided.
   * The notification of the write itself still drops the entry when it comes;
   * until then, reads here see the write.
   */
  beginWrite(key: string): WriteTicket<V> {
    const write = this.writes.get(key) ?? { notified: 0, applied: null, open: 0 };
    write.open++;
    this.writes.set(key, write);
    const notified = write.notified;
    const epoch = this.epoch;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      if (--write.open === 0) this.writes.delete(key);
      return true;
    };
    return {
      committed: (value, version, ttlMs) => {
        if (!close()) return;
        if (write.applied !== null && version <= write.applied) return; // a later commit of ours is in already
        write.applied = version;
        const track = this.inflight.get(key);
        if (track) track.version++;
        if (write.notified === notified && this.epoch === epoch && this.options.isFeedHealthy()) this.set(key, value, ttlMs);
        else this.entries.delete(key);
      },
      unchanged: () => {
        close();
      },
      unknown: () => {
        if (!close()) return;
        write.notified++; // it may have committed after a write still open: that one must not store either
        this.entries.delete(key);
        const track = this.inflight.get(key);
        if (track) track.version++;
      },
    };
  }

  /** Everything goes: the feed reconnected, or was lost. */
  reset(): void {
    this.entries.clear();
    this.epoch++;
  }
}
