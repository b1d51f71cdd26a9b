/**
 * The console's ticket queue (/console/tickets): counts per status, one page
 * of tickets (by status, claim and age), who has each one, and this staff
 * member's saved views of the queue.
 */
import type { StaffRole, TicketStatus } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { savedViewsOf, viewQueryOf } from "../models/saved-views.server.js";
import {
  FINAL_STATUSES,
  listTicketQueue,
  OPEN_STATUSES,
  QUEUE_PAGE_SIZE,
  type ClaimFilter,
  type QueueFilter,
  type QueueSort,
} from "../models/tickets.server.js";
import { queueQuery } from "../components/tickets/queue-query.js";
import { staffCan } from "../permissions.js";

/** The page names statuses, claims and sorts by these types (routes take their types from their presenter). */
export type { ClaimFilter, QueueSort, TicketStatus };
export const CLAIM_FILTERS: readonly ClaimFilter[] = ["all", "mine", "unclaimed"];
export const QUEUE_SORTS: readonly QueueSort[] = ["queue", "oldest", "newest"];

/** Every status, open ones first: the filters the queue offers besides "unresolved" and "all". */
export const TICKET_STATUSES: readonly TicketStatus[] = [...OPEN_STATUSES, ...FINAL_STATUSES];

/** "5 min", "3 h", "2 d": how long a ticket has been in the queue, coarse on purpose. */
function age(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

export async function loadConsoleTicketsPage(
  services: Pick<Services, "db">,
  input: { filter: QueueFilter; claim: ClaimFilter; sort: QueueSort; page: number; staff: { id: string; role: StaffRole } },
) {
  const { filter, claim, sort, page, staff } = input;
  const statuses = [...TICKET_STATUSES];
  // The filters as a query string, defaults left out: what "Save view" keeps, and how a saved view is recognised.
  const query = viewQueryOf("tickets", queueQuery({ status: filter, claim, sort }));
  const [{ countRows, rows }, views] = await Promise.all([
    listTicketQueue(services.db, filter, page, { claim, sort, staffId: staff.id }),
    savedViewsOf(services.db, staff.id, "tickets", "/console/tickets"),
  ]);
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<TicketStatus, number>;
  for (const c of countRows) counts[c.status] = Number(c.n);
  const now = new Date();
  return {
    filter,
    claim,
    sort,
    page,
    query,
    views,
    canClaim: staffCan(staff.role, "decide_transfers"),
    statuses,
    openStatuses: [...OPEN_STATUSES],
    counts,
    unresolved: OPEN_STATUSES.reduce((n, s) => n + counts[s], 0),
    total: statuses.reduce((n, s) => n + counts[s], 0),
    hasMore: rows.length > QUEUE_PAGE_SIZE,
    // Ages are worked out here, so server and browser render the same text.
    rows: rows.slice(0, QUEUE_PAGE_SIZE).map((r) => ({
      ...r,
      age: age(r.created_at, now),
      open: OPEN_STATUSES.includes(r.status),
      claimedByMe: r.claimed_by === staff.id,
    })),
  };
}
