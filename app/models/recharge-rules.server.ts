/**
 * The auto-recharge rule: when a debit leaves the balance below the threshold,
 * or the rule is saved while it already is (saveRechargeRuleAndCheck in
 * app/recharge.server.ts), the `recharge` workflow brings it up to the target
 * through the payment provider. A decline pauses the rule until the owner
 * saves it again.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import { writeAudit, type Actor } from "./audit.server.js";

export async function getRechargeRule(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("recharge_rules")
    .select(["enabled", "threshold_cents", "target_cents", "payment_method", "paused_reason", "last_outcome", "last_outcome_at", "updated_at"])
    .where("account_id", "=", accountId)
    .executeTakeFirst();
}

/** Saving the rule (re)arms it: a paused rule resumes. */
export async function saveRechargeRule(
  db: DbOrTrx,
  accountId: string,
  rule: { enabled: boolean; thresholdCents: bigint; targetCents: bigint; paymentMethod: string },
  actor: Actor,
): Promise<void> {
  const values = {
    enabled: rule.enabled,
    threshold_cents: rule.thresholdCents.toString(),
    target_cents: rule.targetCents.toString(),
    payment_method: rule.paymentMethod,
    paused_reason: null,
    updated_at: sql<Date>`now()`,
  };
  await db
    .insertInto("recharge_rules")
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column("account_id").doUpdateSet(values))
    .execute();
  await writeAudit(db, actor, {
    action: "billing.recharge_rule_saved",
    targetType: "account",
    targetId: accountId,
    details: { enabled: rule.enabled, threshold_cents: values.threshold_cents, target_cents: values.target_cents },
  });
}

export async function recordRechargeOutcome(db: DbOrTrx, accountId: string, outcome: string, pauseReason: string | null): Promise<void> {
  await db
    .updateTable("recharge_rules")
    .set({
      last_outcome: outcome,
      last_outcome_at: sql`now()`,
      ...(pauseReason ? { paused_reason: pauseReason } : {}),
    })
    .where("account_id", "=", accountId)
    .execute();
}

/** Clears a pause (a new card was saved); true when the rule was paused and enabled. */
export async function resumeRechargeRule(db: DbOrTrx, accountId: string): Promise<boolean> {
  const row = await db
    .updateTable("recharge_rules")
    .set({ paused_reason: null, updated_at: sql`now()` })
    .where("account_id", "=", accountId)
    .where("paused_reason", "is not", null)
    .where("enabled", "=", true)
    .returning("account_id")
    .executeTakeFirst();
  return row !== undefined;
}

/** An email transfer moves the rule: the new account gets the old one's (replacing its own), the old one's is turned off. */
export async function moveRechargeRule(db: DbOrTrx, fromAccountId: string, toAccountId: string): Promise<void> {
  const rule = await db.selectFrom("recharge_rules").selectAll().where("account_id", "=", fromAccountId).executeTakeFirst();
  if (!rule) return;
  const { account_id: _drop, ...copy } = rule;
  await db
    .insertInto("recharge_rules")
    .values({ ...copy, account_id: toAccountId })
    .onConflict((oc) => oc.column("account_id").doUpdateSet(copy))
    .execute();
  await db.updateTable("recharge_rules").set({ enabled: false }).where("account_id", "=", fromAccountId).execute();
}
