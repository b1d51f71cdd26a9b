/**
 * Failed password sign-ins, counted in PostgreSQL so every web process shares
 * the count: per login (account identifier + username, whether or not it
 * exists, so a lockout never tells which usernames are real) and per client
 * address. Too many failures in the window lock the key for a while.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const PER_LOGIN: ThrottleRule = { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };
export const PER_ADDRESS: ThrottleRule = { maxFailures: 30, windowMs: 15 * 60_000, lockMs: 15 * 60_000 };

export const loginKey = (loginId: string, username: string) => `login:${loginId}:${username}`;
export const addressKey = (ip: string | null) => `ip:${ip ?? "unknown"}`;

/** When the key is locked until, or null. */
export async function lockedUntil(db: DbOrTrx, key: string): Promise<Date | null> {
  const row = await db.selectFrom("login_throttle").select("locked_until").where("key", "=", key).where("locked_until", ">", sql<Date>`now()`).executeTakeFirst();
  return row?.locked_until ?? null;
}

/** Counts one failure (a new window when the last one is over); locks at the limit. */
export async function recordFailure(db: DbOrTrx, key: string, rule: ThrottleRule): Promise<void> {
  const window = sql`make_interval(secs => ${rule.windowMs / 1000})`;
  const lock = sql`make_interval(secs => ${rule.lockMs / 1000})`;
  await sql`
    INSERT INTO login_throttle AS t (key, failures, window_started_at, locked_until)
    VALUES (${key}, 1, now(), ${rule.maxFailures <= 1 ? sql`now() + ${lock}` : sql`NULL`})
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.window_started_at < now() - ${window} THEN 1 ELSE t.failures + 1 END,
      window_started_at = CASE WHEN t.window_started_at < now() - ${window} THEN now() ELSE t.window_started_at END,
      locked_until = CASE
        WHEN t.window_started_at >= now() - ${window} AND t.failures + 1 >= ${rule.maxFailures} THEN now() + ${lock}
        ELSE t.locked_until END`.execute(db);
}

export async function clearFailures(db: DbOrTrx, key: string): Promise<void> {
  await db.deleteFrom("login_throttle").where("key", "=", key).execute();
}
