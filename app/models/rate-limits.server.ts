/**
 * Limits that every web process shares, counted in PostgreSQL (table
 * rate_limits): password sign-in attempts per login and per address,
 * invitation mails per account and per recipient, failed API keys per address.
 *
 * One operation does the counting: `take` reserves one attempt with a single
 * INSERT … ON CONFLICT DO UPDATE … RETURNING, so concurrent requests are
 * ordered by the row lock and each learns its own number. The caller does the
 * costly or risky work (argon2, a mail) only when its number is within the
 * limit: a burst cannot slip N requests through between a read and a write.
 *
 * A key's row holds a fixed window: `hits` attempts since `window_started_at`.
 * The attempt that reaches the limit sets `locked_until` (now + lockMs, or the
 * window's end when the rule has no lockMs); until then every further attempt
 * is refused. When the lock (or an unlocked window) is over, the next attempt
 * starts a fresh window.
 */
import { sql, type RawBuilder } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";

export interface LimitRule {
  /** Attempts allowed per window; the one after is refused. */
  limit: number;
  windowMs: number;
  /** How long the key stays locked once the limit is reached; unset: until the window ends. */
  lockMs?: number;
}

export interface Taken {
  /** Whether this attempt may go ahead (its number is within the limit). */
  allowed: boolean;
  /** This attempt's number in its window. */
  hits: number;
  /** Which window (for forgiveThrough). */
  window: string;
  /** Until the key's lock ends (or, unlocked, its window): the Retry-After of a refusal. */
  retryAfterMs: number;
}

/** A window's start as exact microseconds since the epoch (a JS Date would drop the microseconds). */
const windowId = sql<string>`(floor(extract(epoch FROM window_started_at) * 1000000))::bigint::text`;

/** Hits never grow past this (a key hammered for years must not overflow int). */
const HITS_CAP = 1_000_000_000;
/** About one take in this many also deletes a batch of expired rows. */
const SWEEP_ONE_IN = 256;

const seconds = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

/** Reserves one attempt for `key`; `allowed` says whether this attempt may go ahead. */
export async function take(db: DbOrTrx, key: string, rule: LimitRule): Promise<Taken> {
  const window = seconds(rule.windowMs);
  const lockFrom = (windowStart: RawBuilder<unknown>) => (rule.lockMs === undefined ? sql`${windowStart} + ${window}` : sql`now() + ${seconds(rule.lockMs)}`);
  const firstLock = rule.limit <= 1 ? lockFrom(sql`now()`) : sql`NULL::timestamptz`;
  // A fresh window when the lock is over, or the window ran out without a lock.
  const fresh = sql`(t.locked_until <= now() OR (t.locked_until IS NULL AND t.window_started_at <= now() - ${window}))`;
  // An upper bound of when the row stops mattering (the window or the lock, whichever ends later).
  const expires = sql`now() + ${seconds(Math.max(rule.windowMs, rule.lockMs ?? 0))}`;
  const { rows } = await sql<{ hits: number; window_id: string; retry_ms: number | string }>`
    INSERT INTO rate_limits AS t (key, hits, window_started_at, locked_until, expires_at)
    VALUES (${key}, 1, now(), ${firstLock}, ${expires})
    ON CONFLICT (key) DO UPDATE SET
      hits = CASE WHEN ${fresh} THEN 1 ELSE LEAST(t.hits + 1, ${HITS_CAP}) END,
      window_started_at = CASE WHEN ${fresh} THEN now() ELSE t.window_started_at END,
      locked_until = CASE
        WHEN ${fresh} THEN ${firstLock}
        WHEN t.locked_until IS NULL AND t.hits + 1 >= ${rule.limit} THEN ${lockFrom(sql`t.window_started_at`)}
        ELSE t.locked_until END,
      expires_at = ${expires}
    RETURNING hits, ${windowId} AS window_id,
      ceil(GREATEST(0, extract(epoch FROM COALESCE(locked_until, window_started_at + ${window}) - now())) * 1000) AS retry_ms`.execute(db);
  const row = rows[0]!;
  if (!db.isTransaction && Math.random() * SWEEP_ONE_IN < 1) void sweepExpired(db).catch(() => {});
  return { allowed: row.hits <= rule.limit, hits: row.hits, window: row.window_id, retryAfterMs: Math.max(1000, Number(row.retry_ms)) };
}

/**
 * Gives one reserved attempt back (it turned out not to count: a correct
 * password from a shared address, a mail that was not sent). Lifts the lock
 * when the count falls below the limit again.
 */
export async function giveBack(db: DbOrTrx, key: string, rule: LimitRule): Promise<void> {
  await sql`
    UPDATE rate_limits SET
      hits = hits - 1,
      locked_until = CASE WHEN hits - 1 < ${rule.limit} THEN NULL ELSE locked_until END
    WHERE key = ${key} AND hits > 0`.execute(db);
}

/**
 * Forgives an attempt that succeeded and every attempt counted before it in
 * the same window (a correct password after a typo), but not those reserved
 * after it: a burst of guesses around someone's sign-in keeps its count.
 */
export async function forgiveThrough(db: DbOrTrx, key: string, rule: LimitRule, taken: Taken): Promise<void> {
  const left = sql`GREATEST(hits - ${taken.hits}, 0)`;
  await sql`
    UPDATE rate_limits SET
      hits = ${left},
      locked_until = CASE WHEN ${left} < ${rule.limit} THEN NULL ELSE locked_until END
    WHERE key = ${key} AND ${windowId} = ${taken.window}`.execute(db);
}

/** Deletes up to `batch` rows whose window and lock are over; returns how many. */
export async function sweepExpired(db: DbOrTrx, batch = 1000): Promise<number> {
  const { numAffectedRows } = await sql`
    DELETE FROM rate_limits WHERE key IN (SELECT key FROM rate_limits WHERE expires_at < now() LIMIT ${batch})`.execute(db);
  return Number(numAffectedRows ?? 0);
}
