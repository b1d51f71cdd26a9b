/**
 * Console → one workflow: its summary, pending activities, timeline and raw
 * events from Temporal, whether the staff member may act on it, and a link to
 * the same run in the Temporal Web UI when one is configured.
 */
import type { StaffRole } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { staffCan } from "../permissions.js";
import { describeWorkflow } from "../temporal/history.server.js";

export type { RawEvent, TimelineBar } from "../temporal/history.server.js";

export type WorkflowPage = { ok: true; page: NonNullable<Awaited<ReturnType<typeof pageOf>>> } | { ok: false; reason: "not_found" | "unavailable" };

async function pageOf(services: Pick<Services, "temporal" | "config">, target: { workflowId: string; runId?: string }, role: StaffRole) {
  const wf = await describeWorkflow(services, target.workflowId, target.runId);
  if (!wf) return null;
  const { uiUrl, namespace } = services.config.temporal;
  return {
    wf,
    now: Date.now(),
    canAct: staffCan(role, "act_on_workflows"),
    temporalUi: uiUrl
      ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(wf.workflowId)}/${encodeURIComponent(wf.runId)}`
      : null,
  };
}

/** A run id is optional: without one, the workflow's latest run. */
export async function loadWorkflowPage(
  services: Pick<Services, "temporal" | "config">,
  target: { workflowId: string; runId?: string },
  role: StaffRole,
): Promise<WorkflowPage> {
  let page;
  try {
    page = await pageOf(services, target, role);
  } catch {
    return { ok: false, reason: "unavailable" };
  }
  return page ? { ok: true, page } : { ok: false, reason: "not_found" };
}
