/**
 * The one home of the API key format: `tgp_v1_` then 43 URL-safe characters
 * (like the platform's real keys, so secret scanners find ours). Since key
 * checksums, the 43 are 37 random characters from a CSPRNG and 6 base62 digits
 * of the CRC32 of the first 44 characters (the scheme GitHub uses for its own
 * tokens): a scanner, or this app, tells a real key from a look-alike or a
 * typo without a database query. Keys issued before carry no checksum; they
 * are recognised by shape only (see KeyVerifier for how long that lasts).
 * Keys are stored only as SHA-256: right for high-entropy secrets, and a
 * lookup by hash never compares the secret itself.
 */
import { createHash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

export const KEY_PREFIX = "tgp_v1_";
const BODY_LENGTH = 43;
const RANDOM_LENGTH = 37;
const CHECKSUM_LENGTH = BODY_LENGTH - RANDOM_LENGTH;
export const KEY_LENGTH = KEY_PREFIX.length + BODY_LENGTH;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BODY = /^[A-Za-z0-9_-]+$/;

/** The pattern a secret scanner registers (docs/operations.md): a checksummed key, whole. */
export const CHECKSUMMED_KEY_PATTERN = "tgp_v1_[A-Za-z0-9_-]{37}[0-9A-Za-z]{6}";

/** CRC32 as 6 base62 digits, big-endian, zero-padded (62^6 > 2^32, so 6 always suffice). */
export function keyChecksum(first44: string): string {
  let n = crc32(first44);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** 37 characters, 6 random bits each (256 is a multiple of 64, so `byte & 63` is uniform), then the checksum. */
export function generateApiKey(): string {
  const bytes = randomBytes(RANDOM_LENGTH);
  let body = "";
  for (const b of bytes) body += ALPHABET[b & 63];
  const first44 = KEY_PREFIX + body;
  return first44 + keyChecksum(first44);
}

/** Cheap shape check: a string that fails it never reaches the cache or the database. */
export function isWellFormedApiKey(candidate: string): boolean {
  return candidate.length === KEY_LENGTH && candidate.startsWith(KEY_PREFIX) && BODY.test(candidate.slice(KEY_PREFIX.length));
}

/** A well-formed key whose last 6 characters are the checksum of the rest. */
export function hasValidChecksum(candidate: string): boolean {
  if (!isWellFormedApiKey(candidate)) return false;
  const split = KEY_LENGTH - CHECKSUM_LENGTH;
  return keyChecksum(candidate.slice(0, split)) === candidate.slice(split);
}

export function hashApiKey(key: string): Buffer {
  return createHash("sha256").update(key).digest();
}

/** What may be shown after creation: the prefix with four characters, and the last four. */
export function apiKeyDisplayParts(key: string): { prefix: string; last4: string } {
  return { prefix: key.slice(0, KEY_PREFIX.length + 4), last4: key.slice(-4) };
}

export type BearerParse = { kind: "missing" } | { kind: "malformed" } | { kind: "key"; key: string };

/** Reads `Authorization: Bearer <key>`; never echoes what it was given. */
export function parseBearer(header: string | undefined): BearerParse {
  if (!header) return { kind: "missing" };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) return { kind: "malformed" };
  return isWellFormedApiKey(match[1]) ? { kind: "key", key: match[1] } : { kind: "malformed" };
}
