/**
 * Console → Workflows: one page of the visibility list for a filter, the
 * filter as it was typed (for the form), and the links to the next and first
 * page. The filter is validated here (WorkflowFilter): nothing typed reaches
 * the visibility query unchecked. With it, this staff member's saved views of the list.
 */
import type { Services } from "../context.server.js";
import { savedViewsOf, viewQueryOf } from "../models/saved-views.server.js";
import { listWorkflows, WORKFLOW_STATUSES, WORKFLOW_TYPES, WorkflowFilter } from "../temporal/history.server.js";

const FIELDS = ["type", "status", "from", "to", "account", "ticket"] as const;

/** `ok: false`: the filter or page link is wrong, and `message` says how (a 400). */
export async function loadWorkflowsPage(services: Pick<Services, "db" | "temporal" | "config">, params: URLSearchParams, staffId: string) {
  const parsed = WorkflowFilter.safeParse(Object.fromEntries(params));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "filter");
    return { ok: false as const, message: `Bad ${field}: ${issue?.message ?? "not a valid value"} Fix the filter and try again.` };
  }
  const filter = parsed.data;
  if (filter.from && filter.to && filter.from > filter.to) {
    return { ok: false as const, message: "Bad time range: 'from' is after 'to'. Fix the filter and try again." };
  }
  const [result, views] = await Promise.all([listWorkflows(services, filter), savedViewsOf(services.db, staffId, "workflows", "/console/workflows")]);
  if (!result.ok && result.badPage) return { ok: false as const, message: result.message };
  // The form shows what was asked, as typed; the query was built from the validated values only.
  const values = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ""])) as Record<(typeof FIELDS)[number], string>;
  const filtered = FIELDS.some((f) => values[f] !== "");
  const kept = Object.fromEntries(FIELDS.filter((f) => values[f]).map((f) => [f, values[f]]));
  const next = result.ok && result.nextPageToken ? `?${new URLSearchParams({ ...kept, page: result.nextPageToken })}` : null;
  const first = `?${new URLSearchParams(kept)}`;
  return {
    ok: true as const,
    page: {
      values,
      filtered,
      types: [...WORKFLOW_TYPES],
      statuses: [...WORKFLOW_STATUSES],
      rows: result.ok ? result.rows : [],
      error: result.ok ? null : result.message,
      next,
      first,
      paged: Boolean(filter.page),
      views,
      /** The filters as a saved view keeps them (no page). */
      query: viewQueryOf("workflows", params),
    },
  };
}
