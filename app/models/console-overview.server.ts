import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus } from "../../db/schema.js";
import { LIVE_LEGACY_KEY } from "./api-keys.server.js";

/** The dashboard's numbers: what an on-call person looks at first. */
export async function getConsoleOverview(db: DbOrTrx) {
  const counts = await db
    .selectFrom("accounts")
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .groupBy("status")
    .execute();
  const recentChanges = await db
    .selectFrom("account_status_changes")
    .innerJoin("accounts", "accounts.id", "account_status_changes.account_id")
    .select([
      "account_status_changes.id",
      "account_status_changes.action",
      "account_status_changes.status",
      "account_status_changes.created_at",
      "account_status_changes.account_id",
      "accounts.name as account_name",
    ])
    .orderBy("account_status_changes.created_at", "desc")
    .limit(10)
    .execute();
  const accountsByStatus: Partial<Record<AccountStatus, number>> = {};
  for (const c of counts) accountsByStatus[c.status] = Number(c.n);
  return { accountsByStatus, recentChanges };
}

/** Open tickets per status, and the one waiting longest. */
export async function getTicketOverview(db: DbOrTrx) {
  const byStatus = await db
    .selectFrom("support_tickets")
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .where("closed_at", "is", null)
    .groupBy("status")
    .execute();
  const oldest = await db
    .selectFrom("support_tickets")
    .select(["id", "status", "step", "created_at"])
    .where("closed_at", "is", null)
    .orderBy("created_at")
    .limit(1)
    .executeTakeFirst();
  return { openByStatus: Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])) as Record<string, number>, oldest: oldest ?? null };
}

export interface DailyPoint {
  day: string; // YYYY-MM-DD, UTC
  /** Email transfers completed that day. */
  completed: number;
  /** Account deletions completed that day. */
  deletions: number;
}

/**
 * Transfers and deletions completed per day over the last `days` days (UTC,
 * every day present). Each table is read once for the window only (closed_at /
 * completed_at from the window's first UTC midnight), then counted per day.
 */
export async function getDailyCompletions(db: DbOrTrx, days = 30): Promise<DailyPoint[]> {
  const { rows } = await sql<{ day: string; completed: string; deletions: string }>`
    WITH bounds AS (
      SELECT (now() AT TIME ZONE 'UTC')::date - ${days - 1}::int AS first_day,
             (((now() AT TIME ZONE 'UTC')::date - ${days - 1}::int)::timestamp AT TIME ZONE 'UTC') AS since
    ),
    transfers AS (
      SELECT (t.closed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
      FROM support_tickets t, bounds b
      WHERE t.status = 'completed' AND t.closed_at >= b.since
      GROUP BY 1
    ),
    deletions AS (
      SELECT (d.completed_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
      FROM account_deletions d, bounds b
      WHERE d.status = 'completed' AND d.completed_at >= b.since
      GROUP BY 1
    )
    SELECT to_char(s.day, 'YYYY-MM-DD') AS day, coalesce(tr.n, 0)::text AS completed, coalesce(de.n, 0)::text AS deletions
    FROM bounds b
    CROSS JOIN LATERAL generate_series(b.first_day, (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS s(day)
    LEFT JOIN transfers tr ON tr.day = s.day::date
    LEFT JOIN deletions de ON de.day = s.day::date
    ORDER BY s.day`.execute(db);
  return rows.map((r) => ({ day: r.day, completed: Number(r.completed), deletions: Number(r.deletions) }));
}

export interface DeletionOverview {
  pending: number;
  running: number;
  /** Deletions that finished (status completed) in the last `days` days. */
  completedRecently: number;
}

/**
 * The dashboard's deletion numbers, from account_deletions: in progress
 * (pending, running) and completed in the last `days` days. Two queries, each
 * shaped for a partial index (status IN ('pending','running'); completed_at
 * WHERE status = 'completed'), so neither has to read every deletion ever made.
 */
export async function getDeletionOverview(db: DbOrTrx, days = 30): Promise<DeletionOverview> {
  const [live, completed] = await Promise.all([
    db
      .selectFrom("account_deletions")
      .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
      .where("status", "in", ["pending", "running"])
      .groupBy("status")
      .execute(),
    db
      .selectFrom("account_deletions")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("status", "=", "completed")
      .where("completed_at", ">=", sql<Date>`now() - make_interval(days => ${days})`)
      .executeTakeFirstOrThrow(),
  ]);
  const count = (status: string) => Number(live.find((r) => r.status === status)?.n ?? 0);
  return { pending: count("pending"), running: count("running"), completedRecently: Number(completed.n) };
}

/** Median minutes from request to completion of the transfers completed in the last `days` days. */
export async function getMedianCompletionMinutes(db: DbOrTrx, days = 30): Promise<number | null> {
  const { rows } = await sql<{ minutes: number | null }>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at) / 60) AS minutes
    FROM support_tickets
    WHERE status = 'completed' AND closed_at >= now() - make_interval(days => ${days})`.execute(db);
  return rows[0]?.minutes === null || rows[0]?.minutes === undefined ? null : Math.round(rows[0].minutes);
}

/** Accounts with open billing flags (a refund the credit limit refused), for support to settle; the oldest first. */
export async function getFlaggedAccounts(db: DbOrTrx, limit = 5) {
  const rows = await db
    .selectFrom("billing_flags")
    .innerJoin("accounts", "accounts.id", "billing_flags.account_id")
    .select(["accounts.id", "accounts.name", (eb) => eb.fn.min("billing_flags.created_at").as("since")])
    .where("billing_flags.resolved_at", "is", null)
    .groupBy(["accounts.id", "accounts.name"])
    .orderBy("since")
    .limit(limit + 1)
    .execute();
  const total = await db
    .selectFrom("billing_flags")
    .select((eb) => eb.fn.count<string>("account_id").distinct().as("n"))
    .where("resolved_at", "is", null)
    .executeTakeFirstOrThrow();
  return { count: Number(total.n), accounts: rows.slice(0, limit).map((r) => ({ id: r.id, name: r.name })) };
}

/** Keys revoked because a secret scanner found them public, in the last `days` days (the dashboard's count; the trail names each). */
export async function countLeakedKeysRevoked(db: DbOrTrx, days = 30): Promise<number> {
  const row = await db
    .selectFrom("api_keys")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("revoked_reason", "=", "leaked")
    .where("revoked_at", ">=", sql<Date>`now() - make_interval(days => ${days})`)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export const LEGACY_KEY_ACCOUNTS_PAGE_SIZE = 25;

/**
 * The accounts that still hold a live key from before checksums (the same
 * keys countActiveLegacyKeys counts), so support can nudge their owners to
 * roll them: the most recently used first (those keys are in use, and /v1
 * keeps looking up mistyped keys until the last one goes), then the oldest.
 */
export async function listAccountsWithLegacyKeys(db: DbOrTrx, page: number) {
  const rows = await db
    .selectFrom("api_keys")
    .innerJoin("accounts", "accounts.id", "api_keys.account_id")
    .leftJoin("memberships as owner_m", (j) => j.onRef("owner_m.account_id", "=", "accounts.id").on("owner_m.role", "=", "owner"))
    .leftJoin("users as owner", "owner.id", "owner_m.user_id")
    .select([
      "accounts.id",
      "accounts.name",
      "accounts.plan",
      "owner.email as owner_email",
      (eb) => eb.fn.countAll<string>().as("keys"),
      (eb) => eb.fn.max("api_keys.last_used_at").as("last_used_at"),
      (eb) => eb.fn.min("api_keys.created_at").as("oldest_created_at"),
    ])
    .where(LIVE_LEGACY_KEY)
    .groupBy(["accounts.id", "accounts.name", "accounts.plan", "owner.email"])
    .orderBy(sql`max(api_keys.last_used_at) DESC NULLS LAST`)
    .orderBy(sql`min(api_keys.created_at)`)
    .orderBy("accounts.id")
    .limit(LEGACY_KEY_ACCOUNTS_PAGE_SIZE + 1)
    .offset((page - 1) * LEGACY_KEY_ACCOUNTS_PAGE_SIZE)
    .execute();
  return {
    rows: rows.slice(0, LEGACY_KEY_ACCOUNTS_PAGE_SIZE).map((r) => ({
      id: r.id,
      name: r.name,
      plan: r.plan,
      ownerEmail: r.owner_email,
      keys: Number(r.keys),
      lastUsedAt: r.last_used_at,
      oldestCreatedAt: r.oldest_created_at,
    })),
    hasMore: rows.length > LEGACY_KEY_ACCOUNTS_PAGE_SIZE,
  };
}
