import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { SavedViews } from "../components/console/saved-views.js";
import { Alert } from "../components/ui.js";
import { WorkflowList } from "../components/workflow-list.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import { pageTitle } from "../page-title.js";
import { loadWorkflowsPage } from "../presenters/console-workflows.server.js";
import { runSavedViewForm } from "../services/saved-views.server.js";

export const meta: MetaFunction<typeof loader> = () => pageTitle("Workflows", "Console");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const found = await loadWorkflowsPage(context.services, new URL(request.url).searchParams, p.staff.id);
  if (!found.ok) throw new Response(found.message, { status: 400 });
  return found.page;
}

/** The saved views' forms (save the filters shown, delete a view). */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context);
  const { outcome, status } = await runSavedViewForm(
    context.services,
    { staffId: p.staff.id, list: "workflows", form },
    { type: "staff", id: p.staff.id, ip: context.ip },
  );
  return data(outcome, { status });
}

export default function Workflows() {
  const { values, filtered, types, statuses, rows, error, next, first, paged, views, query } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() ?? null;
  // As the dashboard does: new and finished workflows appear while the page is open (JavaScript); without it, Refresh.
  useAutoRefresh(10_000);
  return (
    <main className="page">
      <h1>Workflows</h1>
      <Form method="get" className="card" aria-labelledby="filter-h">
        <h2 id="filter-h" className="sr-only">
          Filter workflows
        </h2>
        {/* Keyed on the query: a client-side navigation shows the filter it arrived with. */}
        <div className="grid" key={JSON.stringify(values)}>
          <div className="field">
            <label htmlFor="wf-type">Type</label>
            <select id="wf-type" name="type" defaultValue={values.type}>
              <option value="">Any type</option>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="wf-status">Status</label>
            <select id="wf-status" name="status" defaultValue={values.status}>
              <option value="">Any status</option>
              {statuses.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="wf-from">Started from (UTC)</label>
            <input id="wf-from" name="from" type="datetime-local" defaultValue={values.from} />
          </div>
          <div className="field">
            <label htmlFor="wf-to">Started until (UTC)</label>
            <input id="wf-to" name="to" type="datetime-local" defaultValue={values.to} />
          </div>
          <div className="field">
            <label htmlFor="wf-account">Account id</label>
            <input id="wf-account" name="account" type="text" inputMode="text" spellCheck={false} placeholder="UUID" defaultValue={values.account} />
          </div>
          <div className="field">
            <label htmlFor="wf-ticket">Ticket id</label>
            <input id="wf-ticket" name="ticket" type="text" spellCheck={false} placeholder="UUID" defaultValue={values.ticket} />
          </div>
        </div>
        <div className="row">
          <button type="submit" className="btn primary">
            Filter
          </button>
          {filtered ? (
            <Link to="/console/workflows" className="btn">
              Clear
            </Link>
          ) : null}
          <Link to={first} className="btn">
            Refresh
          </Link>
        </div>
      </Form>
      {error ? <Alert kind="error" lines={[error]} /> : null}
      <WorkflowList
        rows={rows}
        caption="Workflows, newest first"
        empty={
          error
            ? "No workflows to show while the workflow service is unreachable."
            : paged
              ? "No more workflows."
              : filtered
                ? "No workflow matches this filter. Workflows that just started can take a second to appear."
                : "No workflows yet. They appear here once someone blocks an account, starts a transfer or a recharge runs."
        }
      />
      <nav className="pager" aria-label="Pages">
        {paged ? <Link to={first}>← First page</Link> : <span />}
        {next ? <Link to={next}>Next page →</Link> : <span />}
      </nav>
      <SavedViews noun="workflows" views={views} query={query} currentHref={query ? `/console/workflows?${query}` : "/console/workflows"} outcome={outcome} />
    </main>
  );
}
