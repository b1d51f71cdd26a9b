import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus } from "../../db/schema.js";

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
  completed: number;
}

/** Transfers completed per day over the last `days` days (UTC, every day present). */
export async function getDailyCompletions(db: DbOrTrx, days = 30): Promise<DailyPoint[]> {
  const { rows } = await sql<{ day: string; completed: string }>`
    SELECT to_char(d.day, 'YYYY-MM-DD') AS day, count(t.id)::text AS completed
    FROM generate_series((now() AT TIME ZONE 'UTC')::date - ${days - 1}::int, (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)
    LEFT JOIN support_tickets t
      ON t.status = 'completed' AND (t.closed_at AT TIME ZONE 'UTC')::date = d.day
    GROUP BY d.day ORDER BY d.day`.execute(db);
  return rows.map((r) => ({ day: r.day, completed: Number(r.completed) }));
}

/** Median minutes from request to completion of the transfers completed in the last `days` days. */
export async function getMedianCompletionMinutes(db: DbOrTrx, days = 30): Promise<number | null> {
  const { rows } = await sql<{ minutes: number | null }>`
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at) / 60) AS minutes
    FROM support_tickets
    WHERE status = 'completed' AND closed_at >= now() - make_interval(days => ${days})`.execute(db);
  return rows[0]?.minutes === null || rows[0]?.minutes === undefined ? null : Math.round(rows[0].minutes);
}
