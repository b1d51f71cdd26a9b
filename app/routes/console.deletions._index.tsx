/**
 * /console/deletions: every account deletion (self-service or by support),
 * newest first, filtered by status, with each step the deleteAccount workflow
 * recorded. For every staff role: watching only; deletions are started on the
 * account page.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { SavedViews } from "../components/console/saved-views.js";
import { DataTable } from "../components/table.js";
import { Badge, When } from "../components/ui.js";
import { workflowHref } from "../components/workflow-list.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import { pageTitle } from "../page-title.js";
import { loadDeletionsPage } from "../presenters/console-deletions.server.js";
import { runSavedViewForm } from "../services/saved-views.server.js";

export const meta: MetaFunction<typeof loader> = () => pageTitle("Deletions", "Console");

const FILTERS = ["all", "pending", "running", "completed", "failed"] as const;
type Filter = (typeof FILTERS)[number];

const Query = z.object({
  // A bare "?status=" is the default, not an error.
  status: z.preprocess((v) => (v === "" ? undefined : v), z.enum(FILTERS).default("all")),
  page: z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().min(1).max(10_000).default(1)),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const params = new URL(request.url).searchParams;
  const parsed = Query.safeParse({ status: params.get("status") ?? undefined, page: params.get("page") ?? undefined });
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    throw new Response(
      field === "page"
        ? "That page number is not valid: use a whole number from 1. Go back to the first page."
        : `Unknown deletion filter. Use one of: ${FILTERS.join(", ")}.`,
      { status: 400 },
    );
  }
  const { status, page } = parsed.data;
  return loadDeletionsPage(context.services, { status, page, staffId: p.staff.id });
}

/** The saved views' forms (save the filter shown, delete a view). */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context);
  const { outcome, status } = await runSavedViewForm(
    context.services,
    { staffId: p.staff.id, list: "deletions", form },
    { type: "staff", id: p.staff.id, ip: context.ip },
  );
  return data(outcome, { status });
}

export default function DeletionsPage() {
  const { filter, page, hasMore, rows, views, query } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() ?? null;
  // As the dashboard does: each deletion's steps move on while the page is open (JavaScript); without it, Refresh.
  useAutoRefresh(10_000);
  const link = (f: Filter, p = 1) => `?${new URLSearchParams({ status: f, ...(p > 1 ? { page: String(p) } : {}) })}`;
  return (
    <main className="page">
      <h1>Deletions</h1>
      <p className="muted">
        Account deletions asked for by the person (in Settings) or started by support on their request. Start one from the account's page.
      </p>
      <nav aria-label="Deletions by status" className="row" style={{ marginBottom: "1rem" }}>
        {FILTERS.map((f) => (
          <Link key={f} to={link(f)} className={f === filter ? "btn primary" : "btn"} aria-current={f === filter ? "page" : undefined}>
            {f === "all" ? "All" : <Badge value={f} />}
          </Link>
        ))}
        <Link to={link(filter, page)} className="btn">
          Refresh
        </Link>
      </nav>
      <DataTable
        caption="Account deletions, newest first"
        rows={rows}
        rowKey={(r) => r.id}
        empty={page > 1 ? "No more deletions on this page." : filter === "all" ? "No account has been deleted yet." : `No ${filter} deletions.`}
        columns={[
          {
            header: "Requested",
            cell: (r) => (
              <>
                <When at={r.createdAt} />
                <br />
                <span className="muted">{r.ago}</span>
              </>
            ),
          },
          {
            header: "Account",
            cell: (r) => (
              <Link to={`/console/accounts/${r.accountId}`} className="mono">
                {r.accountId}
              </Link>
            ),
          },
          { header: "Source", cell: (r) => (r.source === "self" ? "self-service" : `support (${r.staffEmail ?? "staff removed"})`) },
          { header: "Status", cell: (r) => <Badge value={r.status} /> },
          {
            header: "Steps",
            cell: (r) => (
              <ul className="chips" aria-label="Steps">
                {r.steps.map((s) => (
                  <li key={s.step} className={s.step === "failed" ? "failed" : undefined}>
                    {`${s.step.replace(/_/g, " ")}: ${s.outcome}`}
                  </li>
                ))}
              </ul>
            ),
          },
          { header: "Error", cell: (r) => (r.error ? <code className="field-error">{r.error}</code> : <span className="muted">—</span>) },
          {
            header: "Workflow",
            cell: (r) => (r.workflowId ? <Link to={workflowHref({ workflowId: r.workflowId })}>history</Link> : <span className="muted">—</span>),
          },
        ]}
      />
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={link(filter, page - 1)}>← Newer</Link> : <span />}
        {hasMore ? <Link to={link(filter, page + 1)}>Older →</Link> : <span />}
      </nav>
      <SavedViews noun="deletions" views={views} query={query} currentHref={query ? `/console/deletions?${query}` : "/console/deletions"} outcome={outcome} />
    </main>
  );
}
