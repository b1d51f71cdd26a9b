import { data, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireStaff } from "../auth/session.server.js";
import { AuditTable } from "../components/audit-table.js";
import { SavedViews } from "../components/console/saved-views.js";
import { Alert } from "../components/ui.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import { pageTitle } from "../page-title.js";
import { loadAuditPage, type AuditFormValues } from "../presenters/audit-search.server.js";
import { runSavedViewForm } from "../services/saved-views.server.js";

export const meta: MetaFunction<typeof loader> = () => pageTitle("Audit", "Console");

/** The newest page follows the trail as it grows; older pages are history and stay still. */
const REFRESH_MS = 10_000;

// Every staff role reads the trail (requireStaff's default): support looks up what happened to an account, operators and admins audit.
export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const found = await loadAuditPage(context.services, new URL(request.url).searchParams, p.staff.id);
  return found.ok ? found.page : data(found.page, { status: 400 });
}

/** The saved views' forms (save the filter shown, delete a view). */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context);
  const { outcome, status } = await runSavedViewForm(
    context.services,
    { staffId: p.staff.id, list: "audit", form },
    { type: "staff", id: p.staff.id, ip: context.ip },
  );
  return data(outcome, { status });
}

export default function AuditPage() {
  const { error, errorField, values, actorTypes, rows, nextBefore, paged, filterQuery, views } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>() ?? null;
  useAutoRefresh(REFRESH_MS, !paged && !error);
  const field = (name: keyof AuditFormValues, label: string, props: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <input
        id={name}
        name={name}
        defaultValue={values[name]}
        aria-invalid={errorField === name ? true : undefined}
        aria-describedby={errorField === name ? "filter-error" : undefined}
        {...props}
      />
    </div>
  );
  const withQuery = (extra: Record<string, string> = {}) => {
    const p = new URLSearchParams(filterQuery);
    for (const [k, v] of Object.entries(extra)) p.set(k, v);
    const s = p.toString();
    return s ? `?${s}` : "";
  };
  return (
    <main className="page">
      <h1>Audit</h1>
      <p className="muted">Every change a person or a workflow made, newest first. The trail is append-only: the database refuses to change or remove a row.</p>
      {/* key: other values remount the form, so defaultValues follow the URL after client-side navigation. */}
      <Form method="get" className="row" role="search" aria-label="Filter the audit trail" key={JSON.stringify(values)}>
        <div className="field">
          <label htmlFor="actor_type">Actor type</label>
          <select
            id="actor_type"
            name="actor_type"
            defaultValue={values.actor_type}
            aria-invalid={errorField === "actor_type" ? true : undefined}
            aria-describedby={errorField === "actor_type" ? "filter-error" : undefined}
          >
            <option value="">any</option>
            {actorTypes.map((t) => (
              <option key={t} value={t}>
                {t.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </div>
        {field("actor_email", "Actor email", { type: "email", placeholder: "alice@example.com", autoComplete: "off" })}
        {field("actor_id", "Actor id")}
        {field("action", "Action (exact, or prefix*)", { placeholder: "account.*" })}
        {field("target_type", "Target type", { placeholder: "account" })}
        {field("target_id", "Target id")}
        {field("from", "From (UTC)", { type: "datetime-local", step: 1 })}
        {field("to", "To (UTC, not included)", { type: "datetime-local", step: 1 })}
        <div className="field">
          <button type="submit" className="btn primary">
            Filter
          </button>
        </div>
        <div className="field">
          <Link to="/console/audit" className="btn">
            Clear
          </Link>
        </div>
      </Form>
      {error ? (
        <div id="filter-error">
          <Alert kind="error" lines={[error]} />
        </div>
      ) : (
        <>
          <p>
            {/* A download, not a page: the browser must fetch it itself, not the client router. */}
            <a href={`/console/audit/csv${withQuery()}`} download>
              Export CSV
            </a>{" "}
            <span className="muted">(every row of this filter)</span>
          </p>
          <AuditTable rows={rows} empty={filterQuery ? "No audit rows match this filter." : "No audit rows yet."} showTarget />
          <nav className="pager" aria-label="Pages">
            {paged ? <Link to={`/console/audit${withQuery()}`}>← Newest</Link> : <span />}
            {nextBefore ? <Link to={withQuery({ before: nextBefore })}>Older →</Link> : <span />}
          </nav>
        </>
      )}
      <SavedViews
        noun="audit filters"
        views={views}
        query={filterQuery}
        currentHref={filterQuery ? `/console/audit?${filterQuery}` : "/console/audit"}
        outcome={outcome}
      />
    </main>
  );
}
