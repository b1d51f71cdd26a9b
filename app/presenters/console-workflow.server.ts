/**
 * Console → one workflow: its summary, pending activities, timeline and raw
 * events from Temporal; the workflows around it (parent, children, the ones it
 * signalled, the others about the same account or ticket) with their status;
 * who its input ids are; whether the staff member may act on it; and a link to
 * the same run in the Temporal Web UI when one is configured.
 */
import type { StaffRole } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { auditPeople } from "../models/audit-search.server.js";
import { staffCan } from "../permissions.js";
import { describeWorkflow, workflowsAbout, type TimelineBar, type WorkflowRow, type WorkflowStatusName } from "../temporal/history.server.js";

export type { RawEvent, TimelineBar } from "../temporal/history.server.js";

export type WorkflowPage = { ok: true; page: NonNullable<Awaited<ReturnType<typeof pageOf>>> } | { ok: false; reason: "not_found" | "unavailable" };

/**
 * What a timer is for, by workflow type, where the code gives it no summary: keyed by the activity
 * scheduled just before it (the step it guards), "*" for any. emailTransfer's only timer is the
 * `condition(…, left)` that waits for the new address to confirm (workflows/email-transfer.ts).
 */
const TIMER_NAMES: Record<string, Record<string, string>> = {
  emailTransfer: { "*": "confirmation deadline" },
};

function timerName(type: string, bar: TimelineBar): string {
  const names = TIMER_NAMES[type];
  return bar.summary ?? (bar.after ? names?.[bar.after] : undefined) ?? names?.["*"] ?? (bar.after ? `wait after ${bar.after}` : bar.label);
}

/** A bar's outcome as the workflow list names statuses, for a child that visibility has not listed yet. */
const OUTCOME_STATUS: Record<string, WorkflowStatusName> = {
  completed: "Completed",
  failed: "Failed",
  timed_out: "TimedOut",
  canceled: "Canceled",
  terminated: "Terminated",
  running: "Running",
};

export interface LinkedWorkflow {
  workflowId: string;
  runId: string | null;
  type: string | null;
  status: WorkflowStatusName | null;
  startTime: string | null;
}

async function pageOf(services: Pick<Services, "temporal" | "config" | "db">, target: { workflowId: string; runId?: string }, role: StaffRole) {
  const wf = await describeWorkflow(services, target.workflowId, target.runId);
  if (!wf) return null;
  const { uiUrl, namespace } = services.config.temporal;
  const timeline = wf.timeline.map((bar) => (bar.kind === "timer" ? { ...bar, label: timerName(wf.type, bar) } : bar));

  // One visibility query for every workflow around this one, one database query for who the input ids are.
  const [around, people] = await Promise.all([
    workflowsAbout(services, {
      accountIds: wf.input.accountId ? [wf.input.accountId] : [],
      ticketIds: wf.input.ticketId ? [wf.input.ticketId] : [],
      workflowIds: [...wf.named.map((n) => n.workflowId), ...(wf.parent ? [wf.parent.workflowId] : [])],
    }),
    auditPeople(services.db, [
      { type: "account", id: wf.input.accountId },
      { type: "ticket", id: wf.input.ticketId },
    ]),
  ]);
  // Visibility lists every run; the newest start stands for its workflow id.
  const latest = new Map<string, WorkflowRow>();
  for (const r of around ?? []) {
    const seen = latest.get(r.workflowId);
    if (!seen || (r.startTime ?? "") > (seen.startTime ?? "")) latest.set(r.workflowId, r);
  }
  const linked = (workflowId: string, runId: string | null, type: string | null, fallback: WorkflowStatusName | null = null): LinkedWorkflow => {
    const row = runId ? (around ?? []).find((r) => r.runId === runId) : latest.get(workflowId);
    return { workflowId, runId, type: row?.type ?? type, status: row?.status ?? fallback, startTime: row?.startTime ?? null };
  };
  const childBar = (id: string) => timeline.find((b) => b.child?.workflowId === id);
  const children = wf.named
    .filter((n) => n.how === "child")
    .map((n) => linked(n.workflowId, n.runId, n.type, OUTCOME_STATUS[childBar(n.workflowId)?.outcome ?? ""] ?? null));
  const signalled = wf.named.filter((n) => n.how === "signalled").map((n) => linked(n.workflowId, n.runId, n.type));
  const parent = wf.parent ? linked(wf.parent.workflowId, wf.parent.runId, null) : null;
  const shown = new Set([wf.workflowId, ...wf.named.map((n) => n.workflowId), ...(wf.parent ? [wf.parent.workflowId] : [])]);
  const related = [...latest.values()]
    .filter((r) => !shown.has(r.workflowId))
    .sort((a, b) => (b.startTime ?? "").localeCompare(a.startTime ?? ""))
    .map((r) => linked(r.workflowId, r.runId, r.type));

  const person = (type: string, id: string | null) => (id ? (people[`${type}:${id.toLowerCase()}`] ?? null) : null);
  return {
    wf: { ...wf, timeline },
    parent,
    children,
    signalled,
    related,
    /** False when Temporal did not answer the query for the workflows around this one. */
    aroundKnown: around !== null,
    inputLabels: { account: person("account", wf.input.accountId), ticket: person("ticket", wf.input.ticketId) },
    now: Date.now(),
    canAct: staffCan(role, "act_on_workflows"),
    temporalUi: uiUrl
      ? `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(wf.workflowId)}/${encodeURIComponent(wf.runId)}`
      : null,
  };
}

/** A run id is optional: without one, the workflow's latest run. */
export async function loadWorkflowPage(
  services: Pick<Services, "temporal" | "config" | "db">,
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
