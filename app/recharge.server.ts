/**
 * Auto-recharge from the web side: starting the `recharge` workflow (at most one
 * runs per account, its id says so), and saving a rule, which checks the
 * balance at once: a rule saved while the balance is already below its
 * threshold must not wait for the next debit to push it further down.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from "@temporalio/client";
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from "@temporalio/common";
import { forAccount, rechargeWorkflowId, type RechargeInput } from "../workflows/shared.js";
import type { Logger } from "./logger.server.js";
import type { Actor } from "./models/audit.server.js";
import { getBalance } from "./models/ledger.server.js";
import { getRechargeRule, saveRechargeRule } from "./models/recharge-rules.server.js";
import type { Services } from "./services.server.js";

/** True when a recharge is running for the account now (started here, or already running). */
export async function startRecharge(temporal: Client, taskQueue: string, accountId: string, logger: Logger): Promise<boolean> {
  const args: [RechargeInput] = [{ accountId }];
  try {
    await temporal.workflow.start("recharge", {
      taskQueue,
      workflowId: rechargeWorkflowId(accountId),
      args,
      typedSearchAttributes: forAccount(accountId),
      // A recharge already running covers this debit too.
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return true;
    // The next debit below the threshold tries again; the debit itself stands.
    logger.warn({ accountId, err: err instanceof Error ? err.message : String(err) }, "could not start recharge");
    return false;
  }
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
  const { db, temporal, config, logger } = services;
  const before = await db.transaction().execute(async (trx) => {
    const previous = await getRechargeRule(trx, accountId);
    await saveRechargeRule(trx, accountId, rule, actor);
    return previous;
  });
  const resumed = before?.paused_reason != null && rule.enabled;
  if (!rule.enabled) return { resumed, recharge: "not_due" };
  const [balance, account] = await Promise.all([
    getBalance(db, accountId),
    db.selectFrom("accounts").select("status").where("id", "=", accountId).executeTakeFirst(),
  ]);
  // The workflow refuses the same cases (planRecharge); checking here too keeps the page from promising a top-up.
  if (!balance || account?.status !== "active" || BigInt(balance.balance_cents) >= rule.thresholdCents) return { resumed, recharge: "not_due" };
  const started = await startRecharge(temporal, config.temporal.taskQueue, accountId, logger);
  return { resumed, recharge: started ? "started" : "not_started" };
}
