/** Operators act on a running workflow from the console: cancel, terminate, retry now; each audited with who did it. */
import { WorkflowNotFoundError } from "@temporalio/client";
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { runStatus } from "../temporal/history.server.js";

export type WorkflowAction = "cancel" | "terminate" | "retry";
export type ActResult = { ok: true; message: string } | { ok: false; message: string; status: number };

const ACTION_AUDIT: Record<WorkflowAction, string> = {
  cancel: "workflow.cancel_requested",
  terminate: "workflow.terminated",
  retry: "workflow.retry_requested",
};

/**
 * Cancel, terminate or "retry now" a running workflow, audited with the staff member's identity.
 *
 * "Retry now" resets the activities that are backing off between attempts (ResetActivity, offered by
 * the server since 1.27 and enabled on the 1.29 dev server): each starts its next attempt at once,
 * with the same input and inside the same workflow run. Nothing is replayed and no step the workflow
 * already took runs again, so it is as safe as the ordinary retry the server would have made a few
 * seconds later. (Attempt counting starts over, which gives the activity its full retry budget again.)
 * A workflow reset (ResetWorkflowExecution to the last workflow task) was rejected: it starts a new run,
 * re-executes every activity after the reset point, and `recharge` keys its charge on the run id, so a
 * reset could charge a card twice. When no activity is waiting for its next attempt there is nothing
 * to retry, and the request is refused rather than turned into something heavier.
 *
 * Reasons stay in Switchboard's audit log: Temporal gets a fixed text, so a history never holds words
 * an operator typed (they may name a person).
 */
export async function actOnWorkflow(
  services: Pick<Services, "temporal" | "config" | "db">,
  target: { workflowId: string; runId: string },
  action: WorkflowAction,
  reason: string,
  actor: Actor & { id: string },
): Promise<ActResult> {
  const { temporal, config, db } = services;
  const handle = temporal.workflow.getHandle(target.workflowId, target.runId);
  const identity = `switchboard-console:${actor.id}`;
  let details: Record<string, unknown> = { run_id: target.runId, reason };
  try {
    const run = await runStatus(services, target);
    if (run.status !== "Running") {
      return { ok: false, status: 409, message: `This workflow is ${run.status.toLowerCase()}: there is nothing to ${action}.` };
    }
    if (action === "cancel") {
      await handle.cancel();
    } else if (action === "terminate") {
      await handle.terminate(`Terminated from the Switchboard console by staff ${actor.id}; the reason is in Switchboard's audit log.`);
    } else {
      // Only activities between attempts: one running now is already being retried (or is on its first try).
      const waiting = run.pendingActivities.filter((a) => a.state === 1 && (a.attempt ?? 1) > 1);
      if (waiting.length === 0) {
        return { ok: false, status: 409, message: "No activity of this workflow is waiting for its next attempt, so there is nothing to retry now." };
      }
      for (const a of waiting) {
        await temporal.workflowService.resetActivity({
          namespace: config.temporal.namespace,
          execution: { workflowId: target.workflowId, runId: target.runId },
          identity,
          id: a.activityId ?? "",
        });
      }
      details = { ...details, activities: waiting.map((a) => ({ id: a.activityId, type: a.activityType?.name, attempt: a.attempt })) };
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { ok: false, status: 404, message: "This workflow no longer exists." };
    return { ok: false, status: 502, message: "The workflow service did not carry it out. Reload the page and try again." };
  }
  await writeAudit(db, actor, { action: ACTION_AUDIT[action], targetType: "workflow", targetId: target.workflowId, details });
  const message =
    action === "cancel"
      ? "Cancellation requested. The workflow runs its clean-up and stops."
      : action === "terminate"
        ? "Terminated. The workflow stopped at once; no clean-up ran."
        : "Retrying now: the waiting activities start their next attempt.";
  return { ok: true, message };
}
