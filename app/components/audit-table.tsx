/** Audit rows as the console shows them, wherever they appear (account, ticket…). */
import { Link } from "@remix-run/react";
import { EmptyState, When } from "./ui.js";

/** Who or what a row names, resolved by the page's presenter (app/models/audit-search.server.ts auditPeople). */
export interface AuditPersonView {
  label: string;
  detail: string | null;
  href: string | null;
}

export interface AuditTableRow {
  id: string;
  at: string | Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  details: unknown;
  target_type?: string | null;
  target_id?: string | null;
  /** Absent or null: shown by type and id, as stored. */
  actor?: AuditPersonView | null;
  target?: AuditPersonView | null;
}

/** Longer than this (or nested), details also get a pretty-printed view to open. */
const LONG_DETAILS = 80;

/** What the actor or target is: a named link with its id one click away, or the type and raw id when nothing was resolved. */
function Named({
  type,
  id,
  person,
  href,
}: {
  type: string | null | undefined;
  id: string | null | undefined;
  person?: AuditPersonView | null;
  href?: string | null;
}) {
  if (!type) return <span className="muted">—</span>;
  if (!person) {
    return (
      <>
        {type}
        {id ? <div className="muted mono audit-id">{href ? <Link to={href}>{id}</Link> : id}</div> : null}
      </>
    );
  }
  return (
    <>
      <span className="muted">{type}</span>{" "}
      {person.href ? (
        <Link to={person.href} title={id ?? undefined}>
          {person.label}
        </Link>
      ) : (
        <span title={id ?? undefined}>{person.label}</span>
      )}
      {person.detail ? <div className="muted">{person.detail}</div> : null}
      {id ? (
        <details className="audit-id">
          <summary>id</summary>
          <code className="mono">{id}</code>
        </details>
      ) : null}
    </>
  );
}

function Details({ details }: { details: unknown }) {
  const compact = JSON.stringify(details);
  const nested = details !== null && typeof details === "object" && Object.values(details).some((v) => v !== null && typeof v === "object");
  return (
    <>
      <code className="mono audit-details">{compact}</code>
      {compact.length > LONG_DETAILS || nested ? (
        <details className="audit-pretty">
          <summary>Pretty-printed</summary>
          <pre>{JSON.stringify(details, null, 2)}</pre>
        </details>
      ) : null}
    </>
  );
}

/** A workflow actor or target is one click from its page even without a lookup. */
const workflowHref = (type: string | null | undefined, id: string | null | undefined) =>
  type === "workflow" && id ? `/console/workflows/${encodeURIComponent(id)}` : null;

/**
 * `showTarget` adds a Target column: the account and ticket pages leave it out
 * (every row there is about that one account or ticket), the audit page needs it.
 * The table scrolls inside its own focusable, labelled region (axe: scrollable-region-focusable).
 */
export function AuditTable({
  rows,
  empty,
  showTarget = false,
  caption = "Audit trail",
}: {
  rows: AuditTableRow[];
  empty: string;
  showTarget?: boolean;
  caption?: string;
}) {
  if (rows.length === 0) return <EmptyState>{empty}</EmptyState>;
  return (
    <div className="table-scroll audit-table" role="region" aria-label={caption} tabIndex={0}>
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            {showTarget ? <th scope="col">Target</th> : null}
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((a) => (
            <tr key={a.id}>
              <td>
                <When at={a.at} />
              </td>
              <td>
                <Named type={a.actor_type} id={a.actor_id} person={a.actor} href={workflowHref(a.actor_type, a.actor_id)} />
              </td>
              <td>{a.action}</td>
              {showTarget ? (
                <td>
                  <Named type={a.target_type} id={a.target_id} person={a.target} href={workflowHref(a.target_type, a.target_id)} />
                </td>
              ) : null}
              <td>
                <Details details={a.details} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
