/**
 * Block and unblock, as staff ask for them: a row with the reason (kept out of
 * the workflow history), then the workflow that carries it out.
 */
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import { WorkflowIdReusePolicy } from "@temporalio/common";
import type { StatusChangeAction } from "../db/schema.js";
import type { Actor } from "./models/audit.server.js";
import { createStatusChange, recordStatusChangeStep, setStatusChangeWorkflow } from "./models/accounts.server.js";
import type { Services } from "./services.server.js";
import { blockWorkflowId, forAccount, unblockWorkflowId, type StatusChangeInput } from "../workflows/shared.js";

export type StartResult = { ok: true; changeId: string; workflowId: string } | { ok: false; message: string };

export async function requestStatusChange(
  services: Pick<Services, "db" | "temporal" | "config">,
  input: { accountId: string; action: StatusChangeAction; reasonCode: string; reasonText: string; staffId: string },
  actor: Actor,
): Promise<StartResult> {
  const { db, temporal, config } = services;
  // One at a time per account and action: a second request while the first runs is refused before anything is written.
  const inFlight = await db
    .selectFrom("account_status_changes")
    .select("id")
    .where("account_id", "=", input.accountId)
    .where("action", "=", input.action)
    .where("status", "in", ["pending", "running"])
    .executeTakeFirst();
  const workflowIdNow = input.action === "block" ? blockWorkflowId(input.accountId) : unblockWorkflowId(input.accountId);
  // Its row may be finished while its workflow is still closing: ask Temporal too, still before writing.
  const running = inFlight
    ? true
    : await temporal.workflow
        .getHandle(workflowIdNow)
        .describe()
        .then(
          (d) => d.status.name === "RUNNING",
          () => false,
        );
  if (running)
    return { ok: false, message: `${input.action === "block" ? "A block" : "An unblock"} of this account is already running. Wait for it to finish.` };
  const changeId = await createStatusChange(db, input, actor);
  const workflowId = input.action === "block" ? blockWorkflowId(input.accountId) : unblockWorkflowId(input.accountId);
  const args: [StatusChangeInput] = [{ accountId: input.accountId, changeId }];
  try {
    await temporal.workflow.start(input.action === "block" ? "blockAccount" : "unblockAccount", {
      taskQueue: config.temporal.taskQueue,
      workflowId,
      args,
      typedSearchAttributes: forAccount(input.accountId),
      // One block (or unblock) per account at a time; a finished one may run again later.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (err) {
    const message =
      err instanceof WorkflowExecutionAlreadyStartedError
        ? `${input.action === "block" ? "A block" : "An unblock"} of this account is already running. Wait for it to finish.`
        : "The workflow service did not accept the request. Try again in a moment.";
    const code = err instanceof WorkflowExecutionAlreadyStartedError ? "already_running" : "start_failed";
    const step = { step: "not_started", outcome: code, at: new Date().toISOString() };
    await recordStatusChangeStep(db, { changeId, step, status: "failed", error: code }, actor);
    return { ok: false, message };
  }
  await setStatusChangeWorkflow(db, changeId, workflowId);
  return { ok: true, changeId, workflowId };
}
