/**
 * Block and unblock, as staff ask for them: a row with the reason (kept out of
 * the workflow history) is committed, then the workflow that carries it out
 * starts (app/temporal/start.server.ts); a refused start is recorded on the row.
 */
import type { StatusChangeAction } from "../../db/schema.js";
import type { Actor } from "../models/audit.server.js";
import { createStatusChange, getAccountStatus, inFlightStatusChange, recordStatusChangeStep, setStatusChangeWorkflow } from "../models/accounts.server.js";
import type { Services } from "../context.server.js";
import { commitThenStart, workflowRun } from "../temporal/start.server.js";
import { workflowIsRunning } from "../temporal/history.server.js";
import { blockAccount, unblockAccount } from "../../workflows/block-account.js";
import { blockWorkflowId, unblockWorkflowId } from "../../workflows/shared.js";

export type StartResult = { ok: true; changeId: string; workflowId: string } | { ok: false; message: string };

export async function requestStatusChange(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { accountId: string; action: StatusChangeAction; reasonCode: string; reasonText: string; staffId: string },
  actor: Actor,
): Promise<StartResult> {
  const { db } = services;
  const block = input.action === "block";
  const workflowId = block ? blockWorkflowId(input.accountId) : unblockWorkflowId(input.accountId);
  const alreadyRunning = `${block ? "A block" : "An unblock"} of this account is already running. Wait for it to finish.`;
  // One at a time per account and action: a second request while the first runs is refused before anything is written.
  // Its row may be finished while its workflow is still closing: ask Temporal too, still before writing.
  if ((await inFlightStatusChange(db, input.accountId, input.action)) || (await workflowIsRunning(services, workflowId))) {
    return { ok: false, message: alreadyRunning };
  }
  const result = await commitThenStart(services, {
    commit: async (trx) => ({ ok: true as const, changeId: await createStatusChange(trx, input, actor) }),
    workflow: (c) =>
      workflowRun(block ? blockAccount : unblockAccount, {
        workflowId,
        args: [{ accountId: input.accountId, changeId: c.changeId }],
        accountId: input.accountId,
        policy: "one_at_a_time",
      }),
    link: (db, c) => setStatusChangeWorkflow(db, c.changeId, workflowId),
    notStarted: async (db, c, outcome) => {
      const code = outcome.reason === "already_running" ? "already_running" : "start_failed";
      const step = { step: "not_started", outcome: code, at: new Date().toISOString() };
      await recordStatusChangeStep(db, { changeId: c.changeId, step, status: "failed", error: code }, actor);
    },
  });
  if (!result.start?.started) {
    return {
      ok: false,
      message: result.start?.reason === "already_running" ? alreadyRunning : "The workflow service did not accept the request. Try again in a moment.",
    };
  }
  return { ok: true, changeId: result.changeId, workflowId };
}

/**
 * Block or unblock as the console asks: only an active account can be blocked
 * and only a blocked one unblocked; anything else is refused before anything
 * is written. (The workflows themselves accept a repeat: "already blocked".)
 */
export async function requestStatusChangeByStaff(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { accountId: string; action: StatusChangeAction; reasonCode: string; reasonText: string; staffId: string },
  actor: Actor,
): Promise<StartResult> {
  const status = await getAccountStatus(services.db, input.accountId);
  if (input.action === "block" && status !== "active") {
    return { ok: false, message: `This account is ${status}; only an active account can be blocked.` };
  }
  if (input.action === "unblock" && status !== "blocked") {
    return { ok: false, message: `This account is ${status}; only a blocked account can be unblocked.` };
  }
  return requestStatusChange(services, input, actor);
}
