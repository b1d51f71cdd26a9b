/**
 * The reminder that an additional API key is about to expire (issue 16, §3):
 * sent once per key to each owner and admin, about 7 days before. It names the
 * key by its name and display form (never the secret), says when it stops
 * (UTC) and what to do: make a replacement and switch to it before then.
 */
import type { MailWords } from "./mail-words.js";

const DAY_MS = 86_400_000;

/** "2026-12-15 14:05 UTC": no time zone or day/month order to guess. */
const utcMinute = (at: Date) => `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** "in 6 days", "in 1 day", "within a day": the date itself is exact, this is for reading at a glance. */
function fromNow(expiresAt: Date, now: Date): string {
  const days = Math.round((expiresAt.getTime() - now.getTime()) / DAY_MS);
  if (days < 1) return "within a day";
  return `in ${days} day${days === 1 ? "" : "s"}`;
}

export function keyExpiryMail(input: {
  key: { name: string; display: string };
  /** The account's name, as its people chose it. */
  accountName: string;
  expiresAt: Date;
  now: Date;
  publicUrl: string;
}): MailWords {
  const { key, expiresAt, now } = input;
  const keysUrl = `${input.publicUrl}/settings/api-keys`;
  return {
    // Not the key's name: text the account's people chose, and a subject is what a mailbox shows first.
    subject: `An API key of your Switchboard account expires on ${expiresAt.toISOString().slice(0, 10)}`,
    text:
      `The API key “${key.name}” (${key.display}) of the account "${input.accountName}" expires on ${utcMinute(expiresAt)}, ${fromNow(expiresAt, now)}. ` +
      `From then on, requests made with it are refused (401 expired_api_key).\n\n` +
      `If something still uses this key, create a replacement key in Settings → API keys, switch to it before then, and delete this one:\n${keysUrl}\n\n` +
      "If nothing uses it any more, there is nothing to do: it stops by itself.\n\n" +
      "This is the only reminder about this key.",
  };
}
