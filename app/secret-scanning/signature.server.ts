/**
 * GitHub's report signature: `Github-Public-Key-Signature` is the base64 of a
 * DER-encoded ECDSA P-256 signature (SHA-256) over the body's exact bytes,
 * by the key `Github-Public-Key-Identifier` names. Over bytes, not over
 * re-encoded JSON: parsing and writing the body again could change it.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";

/** A DER ECDSA P-256 signature is at most 72 bytes (96 base64 characters); a longer header is not one. */
const SIGNATURE = /^[A-Za-z0-9+/]{8,120}={0,2}$/;
/** GitHub's identifiers are 64 hex digits; this admits other stand-ins' ids but nothing that is not a plain token. */
const KEY_IDENTIFIER = /^[A-Za-z0-9_.:-]{1,200}$/;

export const isKeyIdentifier = (s: string): boolean => KEY_IDENTIFIER.test(s);

/** The signature's bytes, or null when the header is not base64 of a plausible length. */
export function decodeSignature(header: string): Buffer | null {
  const trimmed = header.trim();
  return SIGNATURE.test(trimmed) ? Buffer.from(trimmed, "base64") : null;
}

/** `key`: a public key, or its PEM (GitHub's list gives PEM). */
export function verifyReportSignature(body: Uint8Array, signature: Buffer, key: KeyObject | string): boolean {
  try {
    const keyObject = typeof key === "string" ? createPublicKey(key) : key;
    return verify("sha256", body, { key: keyObject, dsaEncoding: "der" }, signature);
  } catch {
    // A malformed DER structure may throw rather than answer false; either way it is not a signature.
    return false;
  }
}
