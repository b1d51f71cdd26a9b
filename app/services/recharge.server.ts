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
import { getRechargeRule, saveRechargeRule } from "../models/recharge-rules.server.js";
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
): Promise<SavedRule> {
  const { db } = services;
  const before = await db.transaction().execute(async (trx) => {
    const previous = await getRechargeRule(trx, accountId);
    await saveRechargeRule(trx, accountId, rule, actor);
    return previous;
  });
  const resumed = before?.paused_reason != null && rule.enabled;
  if (!rule.enabled) return { resumed, recharge: "not_due" };
  const [balance, account] = await Promise.all([getBalance(db, accountId), getAccountStatus(db, accountId)]);
  // The workflow refuses the same cases (planRecharge); checking here too keeps the page from promising a top-up.
  if (!balance || account !== "active" || BigInt(balance.balance_cents) >= rule.thresholdCents) return { resumed, recharge: "not_due" };
  const started = await startRecharge(services, accountId);
  return { resumed, recharge: started ? "started" : "not_started" };
}
