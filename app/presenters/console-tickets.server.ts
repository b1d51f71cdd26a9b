/** The console's ticket queue (/console/tickets): counts per status and one page of tickets, open ones first. */
import type { TicketStatus } from "../../db/schema.js";

/** The page names statuses by this type (routes take their types from their presenter). */
export type { TicketStatus };
import type { Services } from "../context.server.js";
import { FINAL_STATUSES, listTicketQueue, OPEN_STATUSES, QUEUE_PAGE_SIZE, type QueueFilter } from "../models/tickets.server.js";

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

export async function loadConsoleTicketsPage(services: Pick<Services, "db">, input: { filter: QueueFilter; page: number }) {
  const { filter, page } = input;
  const statuses = [...TICKET_STATUSES];
  const { countRows, rows } = await listTicketQueue(services.db, filter, page);
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<TicketStatus, number>;
  for (const c of countRows) counts[c.status] = Number(c.n);
  const now = new Date();
  return {
    filter,
    page,
    statuses,
    openStatuses: [...OPEN_STATUSES],
    counts,
    unresolved: OPEN_STATUSES.reduce((n, s) => n + counts[s], 0),
    total: statuses.reduce((n, s) => n + counts[s], 0),
    hasMore: rows.length > QUEUE_PAGE_SIZE,
    // Ages are worked out here, so server and browser render the same text.
    rows: rows.slice(0, QUEUE_PAGE_SIZE).map((r) => ({ ...r, age: age(r.created_at, now) })),
  };
}
