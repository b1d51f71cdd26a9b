/**
 * The one home of the API key format: `tgp_v1_` then 43 URL-safe characters
 * from a CSPRNG (like the platform's real keys, so secret scanners find ours).
 * Keys are stored only as SHA-256: right for high-entropy secrets, and a
 * lookup by hash never compares the secret itself.
 */
import { createHash, randomBytes } from "node:crypto";

export const KEY_PREFIX = "tgp_v1_";
const BODY_LENGTH = 43;
export const KEY_LENGTH = KEY_PREFIX.length + BODY_LENGTH;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BODY = /^[A-Za-z0-9_-]+$/;

/** 43 characters, 6 random bits each (256 is a multiple of 64, so `byte & 63` is uniform). */
export function generateApiKey(): string {
  const bytes = randomBytes(BODY_LENGTH);
  let body = "";
  for (const b of bytes) body += ALPHABET[b & 63];
  return KEY_PREFIX + body;
}

/** Cheap shape check: a string that fails it never reaches the cache or the database. */
export function isWellFormedApiKey(candidate: string): boolean {
  return candidate.length === KEY_LENGTH && candidate.startsWith(KEY_PREFIX) && BODY.test(candidate.slice(KEY_PREFIX.length));
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
