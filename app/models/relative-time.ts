/** Coarse, human times for lists (client-safe): how long ago a key was used, and when one stops. */

const DAY_MS = 86_400_000;

/** "never", "today", "yesterday", "3 days ago", or the date: how recently a key was used, coarsely on purpose. */
export function coarseLastUsed(at: Date | string | null, now: Date): string {
  if (!at) return "never";
  const when = new Date(at);
  const days = Math.floor((now.getTime() - when.getTime()) / DAY_MS);
  if (days <= 0) return "today";
  if (days === 1) return "yesterday";
  if (days < 30) return `${days} days ago`;
  return when.toISOString().slice(0, 10);
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/**
 * "in 5 minutes", "in 23 hours", "in 30 days": rounded to the nearest unit, so
 * a key made to last 30 days reads "in 30 days" and not "in 29 days" a moment
 * later; hours up to two days, days after. "now" once it is past.
 */
export function coarseFromNow(at: Date | string, now: Date): string {
  const ms = new Date(at).getTime() - now.getTime();
  if (ms <= 0) return "now";
  if (ms < MINUTE_MS) return "in less than a minute";
  // Each unit while its rounded count stays below the next unit (59.6 minutes is "in 1 hour", not "in 60 minutes").
  const minutes = Math.round(ms / MINUTE_MS);
  if (minutes < 60) return `in ${plural(minutes, "minute")}`;
  const hours = Math.round(ms / HOUR_MS);
  if (hours < 48) return `in ${plural(hours, "hour")}`;
  return `in ${plural(Math.round(ms / DAY_MS), "day")}`;
}

/** "2026-12-09 14:05 UTC", as <When> shows an instant. */
export const utcMinute = (at: Date | string) => `${new Date(at).toISOString().slice(0, 16).replace("T", " ")} UTC`;
