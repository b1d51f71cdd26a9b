/** Audit rows as the console shows them, wherever they appear (account, ticket…). */
import { EmptyState, When } from "./ui.js";

export interface AuditTableRow {
  id: string;
  at: string | Date;
  actor_type: string;
  actor_id: string | null;
  action: string;
  details: unknown;
  target_type?: string | null;
  target_id?: string | null;
}

/**
 * `showTarget` adds a Target column: the account and ticket pages leave it out
 * (every row there is about that one account or ticket), the audit page needs it.
 */
export function AuditTable({ rows, empty, showTarget = false }: { rows: AuditTableRow[]; empty: string; showTarget?: boolean }) {
  if (rows.length === 0) return <EmptyState>{empty}</EmptyState>;
  return (
    <div className="table-wrap">
      <table>
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
                {a.actor_type}
                {a.actor_id ? <div className="muted mono">{a.actor_id}</div> : null}
              </td>
              <td>{a.action}</td>
              {showTarget ? (
                <td>
                  {a.target_type ?? <span className="muted">—</span>}
                  {a.target_id ? <div className="muted mono">{a.target_id}</div> : null}
                </td>
              ) : null}
              <td className="mono">{JSON.stringify(a.details)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
