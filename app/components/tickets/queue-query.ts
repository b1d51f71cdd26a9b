/**
 * The ticket queue's query string: status, claim, sort and page, with the
 * defaults left out (so "/console/tickets?status=completed" stays that short).
 * Shared by the presenter (what a saved view keeps) and the page (every chip,
 * sort link and pager link keeps the other choices). Browser-safe.
 */
import type { TicketStatus } from "../../../db/schema.js";

export type QueueStatusFilter = "unresolved" | "all" | TicketStatus;
export type QueueClaim = "all" | "mine" | "unclaimed";
export type QueueOrder = "queue" | "oldest" | "newest";

export function queueQuery(q: { status: QueueStatusFilter; claim: QueueClaim; sort: QueueOrder; page?: number }): URLSearchParams {
  const params = new URLSearchParams();
  if (q.status !== "unresolved") params.set("status", q.status);
  if (q.claim !== "all") params.set("claim", q.claim);
  if (q.sort !== "queue") params.set("sort", q.sort);
  if (q.page && q.page > 1) params.set("page", String(q.page));
  return params;
}

/** The queue's link for these choices. */
export const queueHref = (q: Parameters<typeof queueQuery>[0]) => {
  const s = queueQuery(q).toString();
  return s ? `/console/tickets?${s}` : "/console/tickets";
};
