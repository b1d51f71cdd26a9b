/**
 * The public keys that sign GitHub's secret scanning reports, fetched from
 * SECRET_SCANNING_KEYS_URL (GitHub's `/meta/public_keys/secret_scanning`, or
 * the local stand-in's, same shape) and kept in memory per process.
 *
 * A report names its key; an id we do not hold makes us fetch the list again,
 * since GitHub rotates keys. But the id is the sender's word, before anything
 * is verified: anyone can send random ids, so the list is fetched at most once
 * per minute whatever arrives (a burst waits on the one fetch in flight), and
 * an id still unknown after a fetch that recent is refused. A fetch that fails
 * keeps the keys we had; only while we hold no recent list is an unknown id
 * "unavailable" rather than refused, so that GitHub delivers the report again.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { z } from "zod";

export const KEYS_FETCH_TIMEOUT_MS = 5_000;
export const MIN_REFRESH_INTERVAL_MS = 60_000;
/** GitHub's list holds a handful of keys (a few KB); anything past this is not it. */
const MAX_LIST_BYTES = 256 * 1024;

const KeyList = z.object({
  public_keys: z
    .array(z.object({ key_identifier: z.string().min(1).max(200), key: z.string().min(1).max(10_000), is_current: z.boolean().optional() }))
    .max(100),
});

export type KeyLookup = { ok: true; key: KeyObject } | { ok: false; reason: "unknown_key" | "unavailable" };

/** An ECDSA P-256 public key from PEM, or null (GitHub's are all P-256; anything else cannot have signed a report). */
export function p256PublicKey(pem: string): KeyObject | null {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1" ? key : null;
  } catch {
    return null;
  }
}

export class PublicKeys {
  private keys = new Map<string, KeyObject>();
  private lastAttemptAt = -Infinity;
  private lastAttemptOk = false;
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly url: string,
    private readonly deps: { fetch?: typeof fetch; now?: () => number; timeoutMs?: number; onFetchFailed?: (why: string) => void } = {},
  ) {}

  /** The key a report says signed it: from memory, or after one (rate-limited) fetch of the list. */
  async find(keyId: string): Promise<KeyLookup> {
    const held = this.keys.get(keyId);
    if (held) return { ok: true, key: held };
    const now = this.deps.now ?? Date.now;
    if (this.inFlight) await this.inFlight;
    else if (now() - this.lastAttemptAt >= MIN_REFRESH_INTERVAL_MS) await this.refresh();
    const fetched = this.keys.get(keyId);
    if (fetched) return { ok: true, key: fetched };
    return { ok: false, reason: this.lastAttemptOk ? "unknown_key" : "unavailable" };
  }

  /** One fetch at a time; concurrent callers share it. */
  refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async load(): Promise<void> {
    const now = this.deps.now ?? Date.now;
    this.lastAttemptAt = now();
    try {
      const res = await (this.deps.fetch ?? fetch)(this.url, {
        headers: { Accept: "application/json", "User-Agent": "Switchboard secret-scanning" },
        signal: AbortSignal.timeout(this.deps.timeoutMs ?? KEYS_FETCH_TIMEOUT_MS),
        redirect: "error",
      });
      if (!res.ok) throw new Error(`status ${res.status}`);
      if (Number(res.headers.get("Content-Length") ?? 0) > MAX_LIST_BYTES) throw new Error("list too large");
      const text = await res.text();
      if (text.length > MAX_LIST_BYTES) throw new Error("list too large");
      const parsed = KeyList.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error("not a key list");
      const keys = new Map<string, KeyObject>();
      for (const k of parsed.data.public_keys) {
        const key = p256PublicKey(k.key);
        if (key) keys.set(k.key_identifier, key);
      }
      // Replaced, not merged: a key GitHub withdrew stops verifying here too.
      this.keys = keys;
      this.lastAttemptOk = true;
    } catch (err) {
      // The keys we had stay: a failed fetch must not stop reports signed with a key we know.
      this.lastAttemptOk = false;
      this.deps.onFetchFailed?.(err instanceof Error ? err.message : String(err));
    }
  }
}

// One list per keys URL and process: every request of this web process shares it (and its rate limit).
const byUrl = new Map<string, PublicKeys>();

export function publicKeysFor(url: string, onFetchFailed?: (why: string) => void): PublicKeys {
  let keys = byUrl.get(url);
  if (!keys) {
    keys = new PublicKeys(url, { onFetchFailed });
    byUrl.set(url, keys);
  }
  return keys;
}
