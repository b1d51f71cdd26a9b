/**
 * How the inbound-mail service signs a POST /hooks/inbound-email (README,
 * "Inbound mail"): HMAC-SHA256 over "<timestamp>.<raw body>", the timestamp in
 * its own header. One definition for every test, fuzz run and bench.
 */
import { createHmac } from "node:crypto";

export const TIMESTAMP_HEADER = "X-Switchboard-Timestamp";
export const SIGNATURE_HEADER = "X-Switchboard-Signature";

/** Unix seconds now (the value a sender would sign). */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The hex HMAC a sender computes for `timestamp` and `body`. */
export function inboundSignature(secret: string, timestamp: number | string, body: string | Uint8Array): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

/** Both headers of a correctly signed request, signed at `timestamp` (default now). */
export function signedInboundHeaders(secret: string, body: string | Uint8Array, timestamp: number = nowSeconds()): Record<string, string> {
  return { [TIMESTAMP_HEADER]: String(timestamp), [SIGNATURE_HEADER]: `sha256=${inboundSignature(secret, timestamp, body)}` };
}
