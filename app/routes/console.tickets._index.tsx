import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { SavedViews } from "../components/console/saved-views.js";
import { DataTable, type Column } from "../components/table.js";
import { queueHref } from "../components/tickets/queue-query.js";
import { Alert, Badge, When } from "../components/ui.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import type { Actor } from "../models/audit.server.js";
import { pageTitle } from "../page-title.js";
import {
  CLAIM_FILTERS,
  loadConsoleTicketsPage,
  QUEUE_SORTS,
  TICKET_STATUSES,
  type ClaimFilter,
  type QueueSort,
  type TicketStatus,
} from "../presenters/console-tickets.server.js";
import { runSavedViewForm } from "../services/saved-views.server.js";
import { claimTicket } from "../services/ticket-claims.server.js";
import { isUuid } from "../validation/ids.js";

export const meta: MetaFunction<typeof loader> = () => pageTitle("Tickets", "Console");

/** "unresolved" (every open status, the default) and "all" are groups; anything else is one status. */
type Filter = "unresolved" | "all" | TicketStatus;

/** An empty value is what a bare "?status=" sends: the default, not an error. */
const blankIsDefault = (v: unknown) => (v === "" ? undefined : v);

// Built inside the loader: the lists of values come from a .server module, which the browser build empties.
function querySchema() {
  return z.object({
    status: z.preprocess(
      blankIsDefault,
      z
        .string()
        .refine((v): v is Filter => v === "unresolved" || v === "all" || (TICKET_STATUSES as readonly string[]).includes(v))
        .default("unresolved"),
    ),
    claim: z.preprocess(
      blankIsDefault,
      z
        .string()
        .refine((v): v is ClaimFilter => (CLAIM_FILTERS as readonly string[]).includes(v))
        .default("all"),
    ),
    sort: z.preprocess(
      blankIsDefault,
      z
        .string()
        .refine((v): v is QueueSort => (QUEUE_SORTS as readonly string[]).includes(v))
        .default("queue"),
    ),
    page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1),
  });
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const parsed = querySchema().safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    throw new Response(
      field === "claim"
        ? `Unknown claim filter. Use one of: ${CLAIM_FILTERS.join(", ")}.`
        : field === "sort"
          ? `Unknown order. Use one of: ${QUEUE_SORTS.join(", ")}.`
          : `Unknown ticket filter. Use one of: unresolved, all, ${TICKET_STATUSES.join(", ")}.`,
      { status: 400 },
    );
  }
  const { status, claim, sort, page } = parsed.data;
  return loadConsoleTicketsPage(context.services, { filter: status as Filter, claim: claim as ClaimFilter, sort: sort as QueueSort, page, staff: p.staff });
}

/** Claiming from the queue, and the saved views' forms. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  if (form.get("intent") === "claim") {
    const p = await requireStaff(request, context, "decide_transfers");
    const ticketId = String(form.get("ticket") ?? "");
    if (!isUuid(ticketId)) return data({ form: "claim" as const, ok: false, message: "There is no such ticket." }, { status: 404 });
    const actor: Actor = { type: "staff", id: p.staff.id, ip: context.ip };
    const result = await claimTicket(context.services, { ticketId, staffId: p.staff.id }, actor);
    const status = result.ok ? 200 : result.code === "not_found" ? 404 : 409;
    return data({ form: "claim" as const, ok: result.ok, message: result.message }, { status });
  }
  const p = await requireStaff(request, context);
  const actor: Actor = { type: "staff", id: p.staff.id, ip: context.ip };
  const { outcome, status } = await runSavedViewForm(context.services, { staffId: p.staff.id, list: "tickets", form }, actor);
  return data(outcome, { status });
}

const label = (s: string) => s.replace(/_/g, " ");
const CLAIM_LABELS: Record<ClaimFilter, string> = { all: "Anyone's", mine: "Claimed by me", unclaimed: "Unclaimed" };
const SORT_LABELS: Record<QueueSort, string> = { queue: "Queue (open first, longest waiting at the top)", oldest: "Oldest first", newest: "Newest first" };

type Row = ReturnType<typeof useLoaderData<typeof loader>>["rows"][number];

export default function TicketQueue() {
  const d = useLoaderData<typeof loader>();
  const { filter, claim, sort, page, statuses, openStatuses, counts, unresolved, total, hasMore, rows, canClaim } = d;
  const result = useActionData<typeof action>();
  // As the dashboard does: the queue keeps itself current with JavaScript; without, the Refresh link reloads it.
  useAutoRefresh(10_000);
  const here = { status: filter, claim, sort };
  const chip = (f: string) => (f === filter ? "btn primary" : "btn");
  const filterName = filter === "unresolved" ? "unresolved" : filter === "all" ? "all" : label(filter);
  const claimName = claim === "all" ? "" : claim === "mine" ? ", claimed by me" : ", unclaimed";
  const columns: Column<Row>[] = [
    {
      header: "Ticket",
      cell: (r) => (
        <Link to={`/console/tickets/${r.id}`} className="mono" aria-label={`Ticket ${r.id}`}>
          {r.id.slice(0, 8)}
        </Link>
      ),
    },
    { header: "Status", cell: (r) => <Badge value={r.status} /> },
    { header: "Current step", cell: (r) => label(r.step) },
    {
      header: "Age",
      cell: (r) => (
        <>
          <span title={new Date(r.created_at).toISOString()}>{r.age}</span>
          <div className="muted">
            <When at={r.created_at} />
          </div>
        </>
      ),
    },
    {
      header: "Claimed by",
      cell: (r) =>
        r.claimedByMe ? (
          <strong>you</strong>
        ) : r.claimed_by ? (
          <span>claimed by {r.claimed_by_email ?? "a former staff member"}</span>
        ) : r.open && canClaim ? (
          <Form method="post" className="inline">
            <AuthenticityTokenInput />
            <input type="hidden" name="ticket" value={r.id} />
            <button type="submit" name="intent" value="claim" className="btn" aria-label={`Claim ticket ${r.id.slice(0, 8)}`}>
              Claim
            </button>
          </Form>
        ) : (
          <span className="muted">—</span>
        ),
    },
    {
      header: "Old account",
      cell: (r) => (
        <>
          {r.old_account_id ? (
            <Link to={`/console/accounts/${r.old_account_id}`}>{r.old_account_name ?? r.old_account_id}</Link>
          ) : (
            <span className="muted">no account</span>
          )}
          {r.requester_address ? <div className="muted">{r.requester_address}</div> : null}
        </>
      ),
    },
    { header: "Kind", cell: (r) => `${label(r.kind)} (${r.source})` },
  ];
  return (
    <main className="page">
      <h1>Tickets</h1>
      <nav aria-label="Tickets by status" className="row" style={{ marginBottom: "1rem" }}>
        {/* Each count is a link to that filter (keeping the claim and the order); the one shown now is marked. */}
        <Link to={queueHref({ ...here, status: "unresolved" })} className={chip("unresolved")} aria-current={filter === "unresolved" ? "page" : undefined}>
          Unresolved {unresolved}
        </Link>
        {statuses.map((s) => (
          <Link key={s} to={queueHref({ ...here, status: s })} className={chip(s)} aria-current={filter === s ? "page" : undefined}>
            <Badge value={s} /> {counts[s]}
          </Link>
        ))}
        <Link to={queueHref({ ...here, status: "all" })} className={chip("all")} aria-current={filter === "all" ? "page" : undefined}>
          All {total}
        </Link>
      </nav>
      <Form method="get" className="row" aria-label="Filter tickets">
        {/* Keyed: a client-side navigation to another filter must show it, not keep the old choice. */}
        <div key={`${filter}/${claim}/${sort}`} className="row">
          <div>
            <label htmlFor="status">Show</label>
            <select id="status" name="status" defaultValue={filter}>
              <option value="unresolved">Unresolved ({openStatuses.map(label).join(", ")})</option>
              {statuses.map((s) => (
                <option key={s} value={s}>
                  {label(s)}
                </option>
              ))}
              <option value="all">All tickets</option>
            </select>
          </div>
          <div>
            <label htmlFor="claim">Claimed</label>
            <select id="claim" name="claim" defaultValue={claim}>
              {(Object.keys(CLAIM_LABELS) as ClaimFilter[]).map((c) => (
                <option key={c} value={c}>
                  {CLAIM_LABELS[c]}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="sort">Order</label>
            <select id="sort" name="sort" defaultValue={sort}>
              {(Object.keys(SORT_LABELS) as QueueSort[]).map((s) => (
                <option key={s} value={s}>
                  {SORT_LABELS[s]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <button type="submit" className="btn">
          Filter
        </button>
        <Link to={queueHref({ ...here, page })} className="btn">
          Refresh
        </Link>
      </Form>
      {result && "form" in result && result.form === "claim" ? <Alert kind={result.ok ? "ok" : "error"} lines={[result.message]} /> : null}
      <div style={{ marginTop: "1rem" }}>
        <DataTable
          caption={`Tickets (${filterName}${claimName}), ${sort === "queue" ? "open first, the longest waiting at the top" : sort === "oldest" ? "oldest first" : "newest first"}`}
          columns={columns}
          rows={rows}
          rowKey={(r) => r.id}
          empty={
            page > 1
              ? "No more tickets on this page."
              : claim === "mine"
                ? "You have no claimed tickets here. Claim one from the unclaimed ones."
                : filter === "unresolved" && claim === "all"
                  ? "No ticket is waiting: the queue is empty."
                  : `No ${filter === "all" ? "" : `${filterName} `}tickets${claimName}.`
          }
        />
      </div>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={queueHref({ ...here, page: page - 1 })}>← Previous</Link> : <span />}
        <span className="muted">Page {page}</span>
        {hasMore ? <Link to={queueHref({ ...here, page: page + 1 })}>Next →</Link> : <span />}
      </nav>
      <SavedViews
        noun="tickets"
        views={d.views}
        query={d.query}
        currentHref={queueHref(here)}
        outcome={result && "form" in result && result.form === "saved_view" ? result : null}
      />
    </main>
  );
}
