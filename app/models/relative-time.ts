/** Coarse, human times for lists (client-safe). */

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
