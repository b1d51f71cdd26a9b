import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { SavedViews } from "../components/console/saved-views.js";
import { DataTable, type Column } from "../components/table.js";
import { Badge, When } from "../components/ui.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import type { AccountListRow } from "../models/accounts.server.js";
import { pageTitle } from "../page-title.js";
import { loadConsoleAccountsPage } from "../presenters/console-accounts.server.js";
import { runSavedViewForm } from "../services/saved-views.server.js";

export const meta: MetaFunction<typeof loader> = () => pageTitle("Accounts", "Console");

const Query = z.object({
  q: z.string().max(200).default(""),
  page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const parsed = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw new Response("The search is too long (200 characters at most).", { status: 400 });
  return loadConsoleAccountsPage(context.services, { ...parsed.data, staffId: p.staff.id });
}

/** The saved views' forms (save the search shown, delete a view). */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context);
  const { outcome, status } = await runSavedViewForm(
    context.services,
    { staffId: p.staff.id, list: "accounts", form },
    { type: "staff", id: p.staff.id, ip: context.ip },
  );
  return data(outcome, { status });
}

const COLUMNS: readonly Column<AccountListRow>[] = [
  {
    header: "Account",
    cell: (r) => (
      <>
        <Link to={`/console/accounts/${r.id}`}>{r.name}</Link>
        <div className="muted mono">{r.id}</div>
      </>
    ),
  },
  { header: "Owner", cell: (r) => r.owner_email ?? "—" },
  { header: "Signs in with", cell: (r) => r.owner_provider ?? "—" },
  { header: "Plan", cell: (r) => r.plan.replace("_", " ") },
  { header: "Status", cell: (r) => <Badge value={r.status} /> },
  { header: "Created", cell: (r) => <When at={r.created_at} /> },
];

export default function AccountsList() {
  const { q, page, rows, hasMore, views } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() ?? null;
  // As the dashboard does: new accounts and status changes appear while the page is open (JavaScript); without it, Refresh.
  useAutoRefresh(10_000);
  const query = q.trim() ? new URLSearchParams({ q: q.trim() }).toString() : "";
  const pageLink = (p: number) => `?${new URLSearchParams({ q, page: String(p) })}`;
  return (
    <main className="page">
      <h1>Accounts</h1>
      <Form method="get" className="row" role="search">
        <div className="grow">
          <label htmlFor="q">Search by email (any part) or account id</label>
          <input id="q" name="q" type="search" defaultValue={q} placeholder="alice@ or 6f1c…" />
        </div>
        <button type="submit" className="btn primary">
          Search
        </button>
        <Link to={pageLink(page)} className="btn">
          Refresh
        </Link>
      </Form>
      <div style={{ marginTop: "1rem" }}>
        <DataTable
          caption="Accounts, newest first"
          columns={COLUMNS}
          rows={rows}
          rowKey={(r) => r.id}
          empty={q ? `No account matches “${q}”.` : "No accounts yet."}
        />
      </div>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={pageLink(page - 1)}>← Previous</Link> : <span />}
        <span className="muted">Page {page}</span>
        {hasMore ? <Link to={pageLink(page + 1)}>Next →</Link> : <span />}
      </nav>
      <SavedViews noun="accounts" views={views} query={query} currentHref={query ? `/console/accounts?${query}` : "/console/accounts"} outcome={outcome} />
    </main>
  );
}
