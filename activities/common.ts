/** What activities share: who they act as in the audit trail. */
import { Context } from "@temporalio/activity";
import { workflowActor } from "../app/models/audit.server.js";

/** Audit rows written by an activity name the workflow that ran it. */
export function actor() {
  // Activities here always run for a workflow; the fallback only keeps the audit row valid.
  return workflowActor(Context.current().info.workflowExecution?.workflowId ?? "unknown-workflow");
}

/** A step record (account_status_changes, account_deletions): one helper, kept with the deletion model. */
export { step } from "../app/models/deletions.server.js";
