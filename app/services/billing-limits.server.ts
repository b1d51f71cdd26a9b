/**
 * Support's billing writes on the console account page (issue 18): the caps on
 * auto-recharge (per recharge and per day, the recharge workflow cuts every
 * top-up to them) and resolving a billing flag. Each change and its audit row
 * commit together.
 */
import { z } from "zod";
import type { Services } from "../context.server.js";
import { lockAccountsInIdOrder } from "../models/accounts.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { formatCents, parseDollarsToCents } from "../models/money.js";
import { resolveBillingFlag } from "../models/billing-flags.server.js";
import { rechargeLimits, setRechargeLimits } from "../models/recharge-limits.server.js";
import { CAP_MAX_CENTS, CAP_MIN_CENTS } from "../presenters/console-account-payments.server.js";

const dollars = z.string().transform((s, ctx) => {
  const cents = s.length > 20 ? null : parseDollarsToCents(s);
  const problem =
    cents === null
      ? "Enter an amount in dollars, like 1000 or 250.50."
      : cents < CAP_MIN_CENTS
        ? `At least ${formatCents(CAP_MIN_CENTS)}.`
        : cents > CAP_MAX_CENTS
          ? `At most ${formatCents(CAP_MAX_CENTS)}.`
          : null;
  if (cents === null || problem !== null) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem ?? "" });
    return z.NEVER;
  }
  return cents;
});

/** The console's "Recharge caps" form, in dollars; out come cents. A recharge can never be above what a day allows. */
export const RechargeLimitsForm = z
  .object({ perRechargeDollars: dollars, perDayDollars: dollars })
  .superRefine((v, ctx) => {
    if (v.perRechargeDollars > v.perDayDollars) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["perRechargeDollars"],
        message: `The cap per recharge cannot be above the cap per day (${formatCents(v.perDayDollars)}).`,
      });
    }
  })
  .transform((v) => ({ perRechargeCents: v.perRechargeDollars, perDayCents: v.perDayDollars }));

export type StaffActor = Actor & { type: "staff"; id: string };

/**
 * Sets the account's caps (support's own, replacing the defaults) and audits
 * `billing.limits_changed` with before and after. The account row is locked
 * first, so two people changing the caps at once each record the "before"
 * the other left.
 */
export async function setAccountRechargeLimits(
  services: Pick<Services, "db" | "config">,
  accountId: string,
  limits: { perRechargeCents: bigint; perDayCents: bigint },
  actor: StaffActor,
): Promise<{ changed: boolean; notice: string }> {
  const { db, config } = services;
  const words = `${formatCents(limits.perRechargeCents)} per recharge, ${formatCents(limits.perDayCents)} per day`;
  return db.transaction().execute(async (trx) => {
    await lockAccountsInIdOrder(trx, [accountId]);
    const before = await rechargeLimits(trx, accountId, config.payments.rechargeLimits);
    if (before.custom && before.perRechargeCents === limits.perRechargeCents && before.perDayCents === limits.perDayCents) {
      return { changed: false, notice: `The caps are already ${words}; nothing changed.` };
    }
    await setRechargeLimits(trx, accountId, limits, actor.id);
    await writeAudit(trx, actor, {
      action: "billing.limits_changed",
      targetType: "account",
      targetId: accountId,
      details: {
        before: { per_recharge_cents: before.perRechargeCents.toString(), per_day_cents: before.perDayCents.toString(), default: !before.custom },
        after: { per_recharge_cents: limits.perRechargeCents.toString(), per_day_cents: limits.perDayCents.toString(), default: false },
      },
    });
    const was = `${formatCents(before.perRechargeCents)} / ${formatCents(before.perDayCents)}${before.custom ? "" : ", the defaults"}`;
    return { changed: true, notice: `Auto-recharge caps set to ${words} (were ${was}).` };
  });
}

/** Marks an open flag of this account resolved and audits `billing.flag_resolved`; false when it is not open (already resolved, or another account's). */
export async function resolveAccountBillingFlag(services: Pick<Services, "db">, accountId: string, flagId: string, actor: StaffActor): Promise<boolean> {
  return services.db.transaction().execute(async (trx) => {
    const resolved = await resolveBillingFlag(trx, accountId, flagId, actor.id);
    if (resolved) await writeAudit(trx, actor, { action: "billing.flag_resolved", targetType: "account", targetId: accountId, details: { flag_id: flagId } });
    return resolved;
  });
}
