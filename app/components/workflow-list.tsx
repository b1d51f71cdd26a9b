/**
 * A table of workflows (type, id, status, started, closed, duration): the
 * workflows page uses it, and account and ticket pages can show theirs with it.
 * Plain data in, so it renders the same on server and client.
 */
import { Link } from "@remix-run/react";
import { DataTable, type Column } from "./table.js";
import { Badge, When } from "./ui.js";

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

const COLUMNS: readonly Column<WorkflowListRow>[] = [
  { header: "Type", cell: (r) => r.type },
  {
    header: "Workflow id",
    cell: (r) => (
      <Link to={workflowHref(r)} className="mono">
        {r.workflowId}
      </Link>
    ),
  },
  { header: "Status", cell: (r) => <Badge value={statusClass(r.status)} /> },
  { header: "Started", cell: (r) => <When at={r.startTime} /> },
  { header: "Closed", cell: (r) => <When at={r.closeTime} /> },
  { header: "Duration", cell: (r) => formatDuration(r.durationMs) },
];

/** In a DataTable: a narrow screen scrolls the table inside its own focusable region, not the page. */
export function WorkflowList({ rows, empty, caption = "Workflows" }: { rows: WorkflowListRow[]; empty: React.ReactNode; caption?: string }) {
  return <DataTable caption={caption} columns={COLUMNS} rows={rows} rowKey={(r) => `${r.workflowId}/${r.runId}`} empty={empty} />;
}
