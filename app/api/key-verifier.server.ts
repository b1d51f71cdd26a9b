/**
 * Key → account, on the hot path of every API call. Verdicts are cached by key
 * hash (the cache never holds a key): valid and revoked ones for up to 10 s,
 * unknown ones for 2 s; a revocation anywhere drops the entry at once through
 * the change feed. Lookups are by SHA-256, so no secret is ever compared.
 */
import type { DbOrTrx } from "../../db/connection.js";
import { hashApiKey } from "../models/api-key-format.server.js";
import { findKeyByHash } from "../models/api-keys.server.js";
import { NotifiedCache } from "./notified-cache.js";

export type KeyVerdict = { ok: true; keyId: string; accountId: string } | { ok: false; reason: "invalid" | "revoked" };

export const KEY_TTL_MS = 10_000;
export const UNKNOWN_KEY_TTL_MS = 2_000;

export class KeyVerifier {
  readonly cache: NotifiedCache<KeyVerdict>;

  constructor(
    private readonly db: DbOrTrx,
    isFeedHealthy: () => boolean,
  ) {
    this.cache = new NotifiedCache<KeyVerdict>({ maxEntries: 100_000, isFeedHealthy });
  }

  /** `key` must already have passed isWellFormedApiKey. */
  async verify(key: string): Promise<KeyVerdict> {
    const hash = hashApiKey(key);
    const id = hash.toString("hex");
    const cached = this.cache.get(id);
    if (cached) return cached;
    return this.cache.load(
      id,
      // Unknown keys are re-checked soon: a key created a moment ago must start working.
      (v) => (!v.ok && v.reason === "invalid" ? UNKNOWN_KEY_TTL_MS : KEY_TTL_MS),
      async () => {
        const record = await findKeyByHash(this.db, hash);
        if (!record) return { ok: false, reason: "invalid" };
        return record.active ? { ok: true, keyId: record.keyId, accountId: record.accountId } : { ok: false, reason: "revoked" };
      },
    );
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
