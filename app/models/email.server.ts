/** Email normalization and the tombstone of a deleted account's address. */
import { createHmac } from "node:crypto";
import { z } from "zod";
import type { DbOrTrx } from "../../db/connection.js";

export const EmailSchema = z.string().trim().toLowerCase().email().max(320);

/** Lower-cased and trimmed: providers treat addresses case-insensitively, so do we. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** "alice@example.com" → "a…@example.com": enough to recognise one's own address, not to learn someone else's. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "…";
  return `${email.slice(0, 1)}…${email.slice(at)}`;
}

/** Keyed hash of a normalized email: lets sign-up refuse it without keeping the address. */
export function emailTombstoneHmac(secret: string, email: string): Buffer {
  return createHmac("sha256", secret).update(normalizeEmail(email)).digest();
}

export async function isEmailTombstoned(db: DbOrTrx, secret: string, email: string): Promise<boolean> {
  const row = await db.selectFrom("email_tombstones").select("created_at").where("email_hmac", "=", emailTombstoneHmac(secret, email)).executeTakeFirst();
  return row !== undefined;
}

export async function writeEmailTombstone(db: DbOrTrx, secret: string, email: string): Promise<void> {
  await db
    .insertInto("email_tombstones")
    .values({ email_hmac: emailTombstoneHmac(secret, email) })
    .onConflict((oc) => oc.column("email_hmac").doNothing())
    .execute();
}
