import { getExternalWorkflowHandle } from "@temporalio/workflow";
import { transferPartiesChangedSignal, transferWorkflowId } from "./shared.js";

/**
 * Tells each waiting transfer that one of its accounts changed. A transfer
 * whose workflow is gone (closed, or never started) has nothing to hear: that
 * is not an error here.
 */
export async function nudgeTransfers(ticketIds: readonly string[] | undefined): Promise<void> {
  // Histories recorded before the activity returned these ids replay with none.
  await Promise.allSettled((ticketIds ?? []).map((id) => getExternalWorkflowHandle(transferWorkflowId(id)).signal(transferPartiesChangedSignal)));
}
