/**
 * Key → account, on the hot path of every API call. Verdicts are cached by key
 * hash (the cache never holds a key): valid and revoked ones for up to 10 s,
 * unknown ones for 2 s; a revocation anywhere drops the entry at once through
 * the change feed. An expiry (a chosen one, or a rolled main key's end of
 * grace) travels with the verdict and is checked against the clock on every
 * request, so no process lets a key through after its end, cached or not.
 * Lookups are by SHA-256, so no secret is ever compared.
 *
 * A key whose checksum is wrong is refused without a lookup — once no live key
 * from before checksums remains (LegacyKeys); until then it is looked up as
 * every key was before.
 */
import type { DbOrTrx } from "../../db/connection.js";
import { hasValidChecksum, hashApiKey } from "../models/api-key-format.server.js";
import { anyActiveLegacyKey, findKeyByHash } from "../models/api-keys.server.js";
import { NO_API_METRICS, type ApiMetrics } from "./api-metrics.js";
import { NotifiedCache } from "./notified-cache.js";

export type KeyVerdict =
  | { ok: true; keyId: string; accountId: string; /** epoch ms; null: never */ expiresAt: number | null }
  | { ok: false; reason: "invalid" | "revoked" | "leaked" }
  | { ok: false; reason: "expired"; expiredAt: string };

export const KEY_TTL_MS = 10_000;
export const UNKNOWN_KEY_TTL_MS = 2_000;
/** While legacy keys remain, how often to ask whether the last one went. */
export const LEGACY_RECHECK_MS = 30_000;

/**
 * Whether any live key predates checksums. Asked at start and every 30 s while
 * the answer is yes; once it is no it stays no, since every key issued now has
 * a checksum. Until the first answer, legacy keys are assumed to exist.
 */
export class LegacyKeys {
  private mayExist = true;
  private checkedAt = 0;
  private checking: Promise<void> | null = null;

  constructor(
    private readonly db: DbOrTrx,
    private readonly now: () => number = Date.now,
  ) {}

  /** True while a key without a checksum may still be someone's live key. */
  remain(): boolean {
    if (this.mayExist && this.now() - this.checkedAt >= LEGACY_RECHECK_MS && !this.checking) void this.refresh();
    return this.mayExist;
  }

  refresh(): Promise<void> {
    this.checking ??= anyActiveLegacyKey(this.db)
      .then((any) => {
        this.mayExist = any;
        this.checkedAt = this.now();
      })
      // An unanswered question leaves the safe answer (look keys up); the next request asks again.
      .catch(() => {})
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }
}

export class KeyVerifier {
  readonly cache: NotifiedCache<KeyVerdict>;
  readonly legacy: LegacyKeys;

  constructor(
    private readonly db: DbOrTrx,
    isFeedHealthy: () => boolean,
    private readonly now: () => number = Date.now,
    /** Told of each verdict: from the cache (hit) or looked up. */
    private readonly metrics: ApiMetrics = NO_API_METRICS,
  ) {
    this.cache = new NotifiedCache<KeyVerdict>({ maxEntries: 100_000, isFeedHealthy, now });
    this.legacy = new LegacyKeys(db, now);
  }

  /** `key` must already have passed isWellFormedApiKey. */
  async verify(key: string): Promise<KeyVerdict> {
    if (!hasValidChecksum(key) && !this.legacy.remain()) return { ok: false, reason: "invalid" };
    const hash = hashApiKey(key);
    const id = hash.toString("hex");
    const cached = this.cache.get(id);
    this.metrics.verdictLookup(cached !== undefined);
    const verdict =
      cached ??
      (await this.cache.load(
        id,
        // Unknown keys are re-checked soon: a key created a moment ago must start working.
        (v) => (!v.ok && v.reason === "invalid" ? UNKNOWN_KEY_TTL_MS : KEY_TTL_MS),
        async (): Promise<KeyVerdict> => {
          const record = await findKeyByHash(this.db, hash);
          if (!record) return { ok: false, reason: "invalid" };
          if (!record.active) return { ok: false, reason: record.revokedReason === "leaked" ? "leaked" : "revoked" };
          return { ok: true, keyId: record.keyId, accountId: record.accountId, expiresAt: record.expiresAt?.getTime() ?? null };
        },
      ));
    if (verdict.ok && verdict.expiresAt !== null && verdict.expiresAt <= this.now()) {
      return { ok: false, reason: "expired", expiredAt: new Date(verdict.expiresAt).toISOString() };
    }
    return verdict;
  }

  /**
   * After this process changed an account's keys (regenerate, delete): its own
   * cached verdicts go at once, without waiting for the notification.
   */
  forgetAccount(accountId: string): void {
    this.cache.invalidateWhere((v) => v.ok && v.accountId === accountId);
  }

  /** From the change feed: the key with this hash (hex) changed status. */
  invalidate(hashHex: string): void {
    this.cache.invalidate(hashHex);
  }
}
