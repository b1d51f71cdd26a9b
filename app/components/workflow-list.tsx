/**
 * A table of workflows (type, id, status, started, closed, duration): the
 * workflows page uses it, and account and ticket pages can show theirs with it.
 * Plain data in, so it renders the same on server and client.
 */
import { Link } from "@remix-run/react";
import { Badge, EmptyState, When } from "./ui.js";

export interface WorkflowListRow {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startTime: string | null;
  closeTime: string | null;
  durationMs: number | null;
}

/** "850 ms", "12 s", "4 min", "3 h", "2 d": coarse on purpose, a list is for scanning. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "—";
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} d`;
}

/** Temporal's status names ("TimedOut") as the design system's badge classes ("timed_out"). */
export const statusClass = (status: string) => status.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();

export const workflowHref = (row: { workflowId: string; runId?: string }) =>
  `/console/workflows/${encodeURIComponent(row.workflowId)}${row.runId ? `?run=${encodeURIComponent(row.runId)}` : ""}`;

export function WorkflowList({ rows, empty, caption }: { rows: WorkflowListRow[]; empty: React.ReactNode; caption?: string }) {
  if (rows.length === 0) return <EmptyState>{empty}</EmptyState>;
  return (
    <div className="table-wrap">
      <table>
        {caption ? <caption className="sr-only">{caption}</caption> : null}
        <thead>
          <tr>
            <th scope="col">Type</th>
            <th scope="col">Workflow id</th>
            <th scope="col">Status</th>
            <th scope="col">Started</th>
            <th scope="col">Closed</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={`${r.workflowId}/${r.runId}`}>
              <td>{r.type}</td>
              <td>
                <Link to={workflowHref(r)} className="mono">
                  {r.workflowId}
                </Link>
              </td>
              <td>
                <Badge value={statusClass(r.status)} />
              </td>
              <td>
                <When at={r.startTime} />
              </td>
              <td>
                <When at={r.closeTime} />
              </td>
              <td>{formatDuration(r.durationMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
