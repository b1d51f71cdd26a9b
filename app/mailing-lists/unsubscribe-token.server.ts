/**
 * Signed one-click unsubscribe tokens (RFC 8058). A token names one
 * subscription and carries an HMAC over it, so it works without a session,
 * can unsubscribe nothing else, and cannot be forged or altered. The first
 * secret signs; every secret verifies (rotation without breaking sent mail).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { isUuid } from "../validation/ids.js";

const VERSION = "v1";

const mac = (secret: string, subscriptionId: string) =>
  createHmac("sha256", secret).update(`list-unsubscribe:${VERSION}:${subscriptionId}`).digest().subarray(0, 24);

export function signUnsubscribeToken(secrets: readonly string[], subscriptionId: string): string {
  const [current] = secrets;
  if (!current) throw new Error("no unsubscribe secret configured");
  return `${VERSION}.${subscriptionId}.${mac(current, subscriptionId).toString("base64url")}`;
}

/** The subscription id a token names, or null when it is malformed or its signature does not match. */
export function verifyUnsubscribeToken(secrets: readonly string[], token: string): string | null {
  if (token.length > 200) return null;
  const [version, subscriptionId, signature, ...rest] = token.split(".");
  if (version !== VERSION || !subscriptionId || !signature || rest.length > 0 || !isUuid(subscriptionId) || subscriptionId !== subscriptionId.toLowerCase())
    return null;
  if (!/^[A-Za-z0-9_-]{32}$/.test(signature)) return null;
  const given = Buffer.from(signature, "base64url");
  return secrets.some((s) => timingSafeEqual(mac(s, subscriptionId), given)) ? subscriptionId : null;
}
