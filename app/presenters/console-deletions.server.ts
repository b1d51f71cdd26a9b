/**
 * Console → Deletions: one page of account deletions, newest first, with each
 * step the deleteAccount workflow recorded, and this staff member's saved views of the list.
 */
import type { DeletionState } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { listDeletions } from "../models/deletions.server.js";
import { savedViewsOf, viewQueryOf } from "../models/saved-views.server.js";

/** "just now", "5 min ago", "3 h ago", "2 d ago": worked out on the server so both renders agree. */
function ago(from: Date, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 60_000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

export async function loadDeletionsPage(services: Pick<Services, "db">, input: { status: "all" | DeletionState; page: number; staffId: string }) {
  const { status, page, staffId } = input;
  const [{ rows, hasMore }, views] = await Promise.all([
    listDeletions(services.db, status, page),
    savedViewsOf(services.db, staffId, "deletions", "/console/deletions"),
  ]);
  const now = new Date();
  return {
    filter: status,
    page,
    hasMore,
    views,
    /** The filter as a saved view keeps it ("all", the default, is no filter). */
    query: viewQueryOf("deletions", new URLSearchParams(status === "all" ? {} : { status })),
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
