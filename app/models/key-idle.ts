/**
 * "Idle" keys (issue 16, §3): a live key nobody has used for more than 90
 * days (or, never used, made that long ago) is marked so its owner can delete
 * it, and support can see it. Pure, so pages and presenters share one rule.
 */
export const KEY_IDLE_DAYS = 90;

export function isIdleKey(key: { lastUsedAt: Date | null; createdAt: Date }, now: Date): boolean {
  const since = key.lastUsedAt ?? key.createdAt;
  return now.getTime() - since.getTime() > KEY_IDLE_DAYS * 86_400_000;
}
