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
 *
 * Versioned keys (account rows carry a row_version that every UPDATE bumps,
 * and their notification says which version it announces): a notification
 * of a version the entry already holds, or an older one, keeps the entry —
 * else the notification of this process's own write would drop what the
 * write just put in, and under a steady stream of writes every read would go
 * to the database. A load or write stores its value only if it is at least
 * as new as every version announced while it was in flight. A notification
 * without a version drops the entry, as before.
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
  private entries = new Map<string, { value: V; expires: number; version: bigint | null }>();
  /** Per key with loads in flight: `version` counts unversioned notifications (each voids them), `announced` the newest versioned one. */
  private inflight = new Map<string, { loads: number; version: number; announced: bigint | null }>();
  /** Per key with a write of this process open: unversioned notifications seen, the newest version announced, the newest commit applied. */
  private writes = new Map<string, { notified: number; announced: bigint | null; applied: bigint | null; open: number }>();
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

  /**
   * Loads through `loader` and caches the value for `ttlMs(value)` unless it was invalidated meanwhile
   * (for a versioned key: unless a newer version than the one loaded, `versionOf(value)`, was announced meanwhile).
   */
  async load(key: string, ttlMs: (value: V) => number, loader: () => Promise<V>, versionOf?: (value: V) => bigint | null): Promise<V> {
    const track = this.inflight.get(key) ?? { loads: 0, version: 0, announced: null };
    track.loads++;
    this.inflight.set(key, track);
    const version = track.version;
    const epoch = this.epoch;
    try {
      const value = await loader();
      const loaded = versionOf?.(value) ?? null;
      const current = track.announced === null || (loaded !== null && loaded >= track.announced);
      if (track.version === version && current && this.epoch === epoch && this.options.isFeedHealthy()) this.set(key, value, ttlMs(value), loaded);
      return value;
    } finally {
      if (--track.loads === 0) this.inflight.delete(key);
    }
  }

  private set(key: string, value: V, ttlMs: number, version: bigint | null) {
    if (this.entries.size >= this.options.maxEntries) {
      // Map keeps insertion order: drop the oldest tenth.
      let drop = Math.ceil(this.options.maxEntries / 10);
      for (const k of this.entries.keys()) {
        this.entries.delete(k);
        if (--drop === 0) break;
      }
    }
    this.entries.set(key, { value, expires: this.now() + ttlMs, version });
  }

  /** A notification for `key`; `version` (when the key is versioned) is the version it announces. */
  invalidate(key: string, version?: bigint): void {
    const track = this.inflight.get(key);
    const write = this.writes.get(key);
    if (version === undefined) {
      this.entries.delete(key);
      if (track) track.version++;
      if (write) write.notified++;
      return;
    }
    const held = this.entries.get(key)?.version ?? null;
    if (held === null || held < version) this.entries.delete(key);
    if (track && (track.announced === null || track.announced < version)) track.announced = version;
    if (write && (write.announced === null || write.announced < version)) write.announced = version;
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
    const write = this.writes.get(key) ?? { notified: 0, announced: null, applied: null, open: 0 };
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
        const held = this.entries.get(key)?.version ?? null;
        if (held !== null && held >= version) return; // a load since read this commit, or a later one
        const newest = write.announced === null || version >= write.announced;
        if (write.notified === notified && newest && this.epoch === epoch && this.options.isFeedHealthy()) this.set(key, value, ttlMs, version);
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
