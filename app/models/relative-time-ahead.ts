/** Coarse, human times ahead for lists (client-safe): when a key stops. The past is relative-time.ts. */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

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
