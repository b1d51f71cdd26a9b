/**
 * Carries a freshly created secret (a new account's main API key) across one
 * redirect to the page that shows it, without storing it anywhere: an
 * AES-256-GCM encrypted, httpOnly cookie scoped to that page, five minutes
 * long, cleared by the page that reads it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const COOKIE = "sb_reveal";
const PATH = "/settings/api-keys";

function keyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "switchboard", "reveal-once-cookie", 32));
}

export function revealCookie(secret: string, value: string, secure: boolean): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyFrom(secret), iv);
  const sealed = Buffer.concat([iv, cipher.update(value, "utf8"), cipher.final(), cipher.getAuthTag()]).toString("base64url");
  return `${COOKIE}=${sealed}; Path=${PATH}; HttpOnly; SameSite=Lax; Max-Age=300${secure ? "; Secure" : ""}`;
}

export const clearRevealCookie = (secure: boolean) => `${COOKIE}=; Path=${PATH}; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;

/** The value, or null when absent, expired, tampered with or sealed under another secret. */
export function readRevealCookie(secrets: string[], cookieHeader: string | null): string | null {
  const match = new RegExp(`(?:^|;\\s*)${COOKIE}=([A-Za-z0-9_-]+)`).exec(cookieHeader ?? "");
  if (!match) return null;
  const raw = Buffer.from(match[1], "base64url");
  if (raw.length < 12 + 16 + 1) return null;
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", keyFrom(secret), raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString("utf8");
    } catch {
      // try the next (older) secret
    }
  }
  return null;
}
