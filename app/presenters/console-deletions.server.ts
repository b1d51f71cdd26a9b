/** Console → Deletions: one page of account deletions, newest first, with each step the deleteAccount workflow recorded. */
import type { DeletionState } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { listDeletions } from "../models/deletions.server.js";

/** "just now", "5 min ago", "3 h ago", "2 d ago": worked out on the server so both renders agree. */
function ago(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export async function loadDeletionsPage(services: Pick<Services, "db">, status: "all" | DeletionState, page: number) {
  const { rows, hasMore } = await listDeletions(services.db, status, page);
  const now = new Date();
  return {
    filter: status,
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
