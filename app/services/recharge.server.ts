/**
 * Auto-recharge from the web side: starting the `recharge` workflow (at most one
 * runs per account, its id says so), and saving a rule, which checks the
 * balance at once: a rule saved while the balance is already below its
 * threshold must not wait for the next debit to push it further down.
 */
import type { Logger } from "../logger.server.js";
import type { Actor } from "../models/audit.server.js";
import { getBalance } from "../models/ledger.server.js";
import { getAccountStatus } from "../models/accounts.server.js";
import { formatCents } from "../models/money.js";
import { currentCard } from "../models/billing-customers.server.js";
import { rechargeLimits } from "../models/recharge-limits.server.js";
import { getRechargeRule, saveRechargeRule } from "../models/recharge-rules.server.js";
import { SAVED_CARD, TEST_PAYMENT_METHODS } from "../payments/payment-provider.js";
import type { Services } from "../context.server.js";
import { startWorkflow, type StartDeps } from "../temporal/start.server.js";
import { recharge } from "../../workflows/recharge.js";
import { rechargeWorkflowId } from "../../workflows/shared.js";

/** True when a recharge is running for the account now (started here, or already running: it covers this debit too). */
export async function startRecharge(services: StartDeps & { logger: Logger }, accountId: string): Promise<boolean> {
  const start = await startWorkflow(services, {
    workflow: recharge,
    workflowId: rechargeWorkflowId(accountId),
    args: [{ accountId }],
    accountId,
    policy: "join_running",
  });
  // Not started: the next debit below the threshold tries again; the debit itself stands.
  if (!start.started) services.logger.warn({ accountId, err: start.error }, "could not start recharge");
  return start.started;
}

/** The rule cannot be saved as it is: which field, and why (shown beside it). */
export interface RefusedRule {
  refused: { field: "targetDollars" | "paymentMethod"; message: string };
}

export interface SavedRule {
  /** The rule was paused (a declined card) and saving it enabled resumed it. */
  resumed: boolean;
  /** The balance was below the new threshold: "started" = a top-up is on its way; "not_started" = Temporal refused, the next debit tries again. */
  recharge: "not_due" | "started" | "not_started";
}

/**
 * Saves the rule (and its audit row) in one transaction, then checks the
 * balance against it. The check runs after the commit: a debit committed
 * before it is seen here, and a debit that starts after the commit reads the
 * new rule itself (postLedgerEntry) and starts the recharge. Only a debit
 * already in flight at that instant can slip between the two; the next debit
 * then starts it. The start is the debit path's own (same workflow id), so a
 * save during a running recharge, or a debit at the same moment, never starts
 * a second one.
 */
export async function saveRechargeRuleAndCheck(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  accountId: string,
  rule: { enabled: boolean; thresholdCents: bigint; targetCents: bigint; paymentMethod: string },
  actor: Actor,
): Promise<SavedRule | RefusedRule> {
  const { db } = services;
  const refusal = await ruleRefusal(services, accountId, rule);
  if (refusal) return { refused: refusal };
  const before = await db.transaction().execute(async (trx) => {
    const previous = await getRechargeRule(trx, accountId);
    await saveRechargeRule(trx, accountId, rule, actor);
    return previous;
  });
  const resumed = before?.paused_reason != null && rule.enabled;
  if (!rule.enabled) return { resumed, recharge: "not_due" };
  return { resumed, recharge: await checkRechargeDue(services, accountId) };
}

/**
 * Starts a top-up when the saved, active rule calls for one now (a rule just
 * saved, or resumed by a new card). The workflow refuses the same cases
 * (planRecharge); checking here too keeps the page from promising a top-up.
 */
export async function checkRechargeDue(services: StartDeps & Pick<Services, "db" | "logger">, accountId: string): Promise<SavedRule["recharge"]> {
  const { db } = services;
  const [rule, balance, account] = await Promise.all([getRechargeRule(db, accountId), getBalance(db, accountId), getAccountStatus(db, accountId)]);
  if (!rule?.enabled || rule.paused_reason || !balance || account !== "active" || BigInt(balance.balance_cents) >= BigInt(rule.threshold_cents)) {
    return "not_due";
  }
  return (await startRecharge(services, accountId)) ? "started" : "not_started";
}

/**
 * What stops a rule from being saved: a top-up bigger than the account's caps
 * (per recharge, per day; issue 18), or a payment method it cannot charge.
 * A disabled rule is only checked for its method being one this deployment knows.
 */
async function ruleRefusal(
  services: Pick<Services, "db" | "config">,
  accountId: string,
  rule: { enabled: boolean; thresholdCents: bigint; targetCents: bigint; paymentMethod: string },
): Promise<RefusedRule["refused"] | null> {
  const { db, config } = services;
  const testMethod = config.payments.provider === "test" && rule.paymentMethod in TEST_PAYMENT_METHODS;
  if (rule.paymentMethod !== SAVED_CARD && !testMethod) return { field: "paymentMethod", message: "Choose one of the listed payment methods." };
  if (!rule.enabled) return null;
  if (rule.paymentMethod === SAVED_CARD && !(await currentCard(db, accountId))) {
    return { field: "paymentMethod", message: "Save a card first: auto-recharge charges the saved card." };
  }
  const limits = await rechargeLimits(db, accountId, config.payments.rechargeLimits);
  // A top-up starts just below the threshold and brings the balance to the target.
  const topUp = rule.targetCents - rule.thresholdCents;
  const cap =
    limits.perRechargeCents < limits.perDayCents ? { cents: limits.perRechargeCents, per: "per recharge" } : { cents: limits.perDayCents, per: "per day" };
  if (topUp > cap.cents) {
    return {
      field: "targetDollars",
      message:
        `Each top-up would be about ${formatCents(topUp)}, more than this account's limit of ${formatCents(cap.cents)} ${cap.per}. ` +
        "Lower the target or raise the threshold; support can raise the limit if you need more.",
    };
  }
  return null;
}
