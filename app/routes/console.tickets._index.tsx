import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireStaff } from "../auth/session.server.js";
import { Badge, EmptyState, When } from "../components/ui.js";
import { loadConsoleTicketsPage, TICKET_STATUSES, type TicketStatus } from "../presenters/console-tickets.server.js";

export const meta: MetaFunction = () => [{ title: "Tickets · Console" }];

/** "unresolved" (every open status, the default) and "all" are groups; anything else is one status. */
type Filter = "unresolved" | "all" | TicketStatus;

// Built inside the loader: the status lists come from a .server module, which the browser build empties.
function querySchema(statuses: readonly TicketStatus[]) {
  return z.object({
    // An empty value is what a bare "?status=" sends: the default, not an error.
    status: z.preprocess(
      (v) => (v === "" ? undefined : v),
      z
        .string()
        .refine((v): v is Filter => v === "unresolved" || v === "all" || (statuses as readonly string[]).includes(v))
        .default("unresolved"),
    ),
    page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1),
  });
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  const parsed = querySchema(TICKET_STATUSES).safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) {
    throw new Response(`Unknown ticket filter. Use one of: unresolved, all, ${TICKET_STATUSES.join(", ")}.`, { status: 400 });
  }
  return loadConsoleTicketsPage(context.services, { filter: parsed.data.status as Filter, page: parsed.data.page });
}

const label = (s: string) => s.replace(/_/g, " ");

export default function TicketQueue() {
  const { filter, page, statuses, openStatuses, counts, unresolved, total, hasMore, rows } = useLoaderData<typeof loader>();
  const pageLink = (p: number) => `?${new URLSearchParams({ status: filter, page: String(p) })}`;
  const chip = (f: string) => (f === filter ? "btn primary" : "btn");
  const filterName = filter === "unresolved" ? "unresolved" : filter === "all" ? "all" : label(filter);
  return (
    <main className="page">
      <h1>Tickets</h1>
      <nav aria-label="Tickets by status" className="row" style={{ marginBottom: "1rem" }}>
        {/* Each count is a link to that filter; the one shown now is marked. */}
        <Link to="?status=unresolved" className={chip("unresolved")} aria-current={filter === "unresolved" ? "page" : undefined}>
          Unresolved {unresolved}
        </Link>
        {statuses.map((s) => (
          <Link key={s} to={`?status=${s}`} className={chip(s)} aria-current={filter === s ? "page" : undefined}>
            <Badge value={s} /> {counts[s]}
          </Link>
        ))}
        <Link to="?status=all" className={chip("all")} aria-current={filter === "all" ? "page" : undefined}>
          All {total}
        </Link>
      </nav>
      <Form method="get" className="row">
        <div>
          <label htmlFor="status">Show</label>
          {/* Keyed: a client-side navigation to another filter must show it, not keep the old choice. */}
          <select key={filter} id="status" name="status" defaultValue={filter}>
            <option value="unresolved">Unresolved ({openStatuses.map(label).join(", ")})</option>
            {statuses.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
            <option value="all">All tickets</option>
          </select>
        </div>
        <button type="submit" className="btn">
          Filter
        </button>
      </Form>
      <div className="table-wrap" style={{ marginTop: "1rem" }}>
        {rows.length === 0 ? (
          <EmptyState>
            {page > 1
              ? "No more tickets on this page."
              : filter === "unresolved"
                ? "No ticket is waiting: the queue is empty."
                : `No ${filter === "all" ? "" : `${filterName} `}tickets.`}
          </EmptyState>
        ) : (
          <table>
            <caption className="sr-only">Tickets ({filterName}), open first, the longest waiting at the top</caption>
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Current step</th>
                <th scope="col">Age</th>
                <th scope="col">Source</th>
                <th scope="col">Old account</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/console/tickets/${r.id}`} className="mono" aria-label={`Ticket ${r.id}`}>
                      {r.id.slice(0, 8)}
                    </Link>
                  </td>
                  <td>{label(r.kind)}</td>
                  <td>
                    <Badge value={r.status} />
                  </td>
                  <td>{label(r.step)}</td>
                  <td>
                    <span title={new Date(r.created_at).toISOString()}>{r.age}</span>
                    <div className="muted">
                      <When at={r.created_at} />
                    </div>
                  </td>
                  <td>{r.source}</td>
                  <td>
                    {r.old_account_id ? (
                      <Link to={`/console/accounts/${r.old_account_id}`}>{r.old_account_name ?? r.old_account_id}</Link>
                    ) : (
                      <span className="muted">no account</span>
                    )}
                    {r.requester_address ? <div className="muted">{r.requester_address}</div> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={pageLink(page - 1)}>← Previous</Link> : <span />}
        <span className="muted">Page {page}</span>
        {hasMore ? <Link to={pageLink(page + 1)}>Next →</Link> : <span />}
      </nav>
    </main>
  );
}
