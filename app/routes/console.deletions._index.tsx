/**
 * /console/deletions: every account deletion (self-service or by support),
 * newest first, filtered by status, with each step the deleteAccount workflow
 * recorded. For every staff role: watching only; deletions are started on the
 * account page.
 */
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireStaff } from "../auth/session.server.js";
import { Badge, EmptyState, When } from "../components/ui.js";
import { workflowHref } from "../components/workflow-list.js";
import { listDeletions } from "../models/deletions.server.js";

export const meta: MetaFunction = () => [{ title: "Deletions · Console" }];

const FILTERS = ["all", "pending", "running", "completed", "failed"] as const;
type Filter = (typeof FILTERS)[number];

const Query = z.object({
  // A bare "?status=" is the default, not an error.
  status: z.preprocess((v) => (v === "" ? undefined : v), z.enum(FILTERS).default("all")),
  page: z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().min(1).max(10_000).default(1)),
});

/** "just now", "5 min ago", "3 h ago", "2 d ago": worked out on the server so both renders agree. */
function ago(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
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
  const { rows, hasMore } = await listDeletions(context.services.db, status, page);
  const now = new Date();
  return {
    filter: status as Filter,
    page,
    hasMore,
    rows: rows.map((r) => ({
      id: r.id,
      accountId: r.account_id,
      source: r.source,
      staffEmail: r.staff_email,
      status: r.status,
      steps: r.steps,
      error: r.error,
      workflowId: r.workflow_id,
      createdAt: r.created_at,
      ago: ago(new Date(r.created_at), now),
    })),
  };
}

export default function DeletionsPage() {
  const { filter, page, hasMore, rows } = useLoaderData<typeof loader>();
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
      </nav>
      <div className="table-wrap">
        {rows.length === 0 ? (
          <EmptyState>
            {page > 1 ? "No more deletions on this page." : filter === "all" ? "No account has been deleted yet." : `No ${filter} deletions.`}
          </EmptyState>
        ) : (
          <table>
            <caption className="sr-only">Account deletions, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Requested</th>
                <th scope="col">Account</th>
                <th scope="col">Source</th>
                <th scope="col">Status</th>
                <th scope="col">Steps</th>
                <th scope="col">Error</th>
                <th scope="col">Workflow</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>
                    <When at={r.createdAt} />
                    <br />
                    <span className="muted">{r.ago}</span>
                  </td>
                  <td>
                    <Link to={`/console/accounts/${r.accountId}`} className="mono">
                      {r.accountId}
                    </Link>
                  </td>
                  <td>{r.source === "self" ? "self-service" : `support (${r.staffEmail ?? "staff removed"})`}</td>
                  <td>
                    <Badge value={r.status} />
                  </td>
                  <td>
                    <ul className="chips" aria-label="Steps">
                      {r.steps.map((s) => (
                        <li key={s.step} className={s.step === "failed" ? "failed" : undefined}>
                          {`${s.step.replace(/_/g, " ")}: ${s.outcome}`}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>{r.error ? <code className="field-error">{r.error}</code> : <span className="muted">—</span>}</td>
                  <td>{r.workflowId ? <Link to={workflowHref({ workflowId: r.workflowId })}>history</Link> : <span className="muted">—</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={link(filter, page - 1)}>← Newer</Link> : <span />}
        {hasMore ? <Link to={link(filter, page + 1)}>Older →</Link> : <span />}
      </nav>
    </main>
  );
}
