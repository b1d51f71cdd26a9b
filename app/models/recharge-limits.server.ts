/** The caps on auto-recharge per recharge and per day: the configured defaults, or what support set for the account. */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";

export interface RechargeLimits {
  perRechargeCents: bigint;
  perDayCents: bigint;
  /** Set by support for this account (false: the configured defaults). */
  custom: boolean;
}

export async function rechargeLimits(db: DbOrTrx, accountId: string, defaults: { perRechargeCents: number; perDayCents: number }): Promise<RechargeLimits> {
  const row = await db
    .selectFrom("billing_limits")
    .select(["max_recharge_cents", "max_daily_recharge_cents"])
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) return { perRechargeCents: BigInt(defaults.perRechargeCents), perDayCents: BigInt(defaults.perDayCents), custom: false };
  return { perRechargeCents: BigInt(row.max_recharge_cents), perDayCents: BigInt(row.max_daily_recharge_cents), custom: true };
}

export async function setRechargeLimits(db: DbOrTrx, accountId: string, limits: { perRechargeCents: bigint; perDayCents: bigint }, staffId: string) {
  const values = {
    max_recharge_cents: limits.perRechargeCents.toString(),
    max_daily_recharge_cents: limits.perDayCents.toString(),
    updated_by_staff_id: staffId,
    updated_at: sql<Date>`now()`,
  };
  await db
    .insertInto("billing_limits")
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column("account_id").doUpdateSet(values))
    .execute();
}
