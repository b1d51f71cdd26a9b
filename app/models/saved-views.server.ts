/**
 * Saved views: a staff member's named filters for one console list, kept as
 * the list's query string. Every query here is scoped by the staff member's
 * id, so nobody reads, opens or deletes another's views.
 */
import type { DbOrTrx } from "../../db/connection.js";
import type { SavedViewList } from "../../db/schema.js";

/** The query parameters each list's filters and sort live in; a saved view keeps these and nothing else (never a page). */
export const SAVED_VIEW_PARAMS: Record<SavedViewList, readonly string[]> = {
  tickets: ["status", "claim", "sort"],
  workflows: ["type", "status", "from", "to", "account", "ticket"],
  accounts: ["q"],
  deletions: ["status"],
  // The audit filter's fields (AuditQuery in audit-search.server.ts); never its page cursor.
  audit: ["actor_type", "actor_id", "actor_email", "action", "target_type", "target_id", "from", "to"],
};

const MAX_VALUE = 200;

/** The list's own filter parameters from a query string, in a fixed order, empty ones left out: what a view saves. */
export function viewQueryOf(list: SavedViewList, query: string | URLSearchParams): string {
  const given = typeof query === "string" ? new URLSearchParams(query.startsWith("?") ? query.slice(1) : query) : query;
  const kept = new URLSearchParams();
  for (const key of SAVED_VIEW_PARAMS[list]) {
    const value = given.get(key)?.trim();
    if (value) kept.set(key, value.slice(0, MAX_VALUE));
  }
  return kept.toString();
}

/** More than anyone scans in a list of views; the table refuses none, the service refuses the next. */
export const MAX_SAVED_VIEWS_PER_LIST = 50;

export async function listSavedViews(db: DbOrTrx, staffId: string, list: SavedViewList) {
  return db
    .selectFrom("saved_views")
    .select(["id", "name", "query"])
    .where("staff_id", "=", staffId)
    .where("list", "=", list)
    .orderBy("name")
    .orderBy("id")
    .limit(MAX_SAVED_VIEWS_PER_LIST)
    .execute();
}

export async function countSavedViews(db: DbOrTrx, staffId: string, list: SavedViewList): Promise<number> {
  const row = await db
    .selectFrom("saved_views")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("staff_id", "=", staffId)
    .where("list", "=", list)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The new view's id, or null when this person already has a view of that name on that list (the unique key decides, not a prior read). */
export async function insertSavedView(db: DbOrTrx, input: { staffId: string; list: SavedViewList; name: string; query: string }): Promise<string | null> {
  const row = await db
    .insertInto("saved_views")
    .values({ staff_id: input.staffId, list: input.list, name: input.name, query: input.query })
    .onConflict((oc) => oc.columns(["staff_id", "list", "name"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  return row?.id ?? null;
}

/** Deletes one of this person's views; the deleted view's name, or null when it is not theirs (or gone). */
export async function deleteSavedView(db: DbOrTrx, input: { staffId: string; list: SavedViewList; id: string }): Promise<string | null> {
  const row = await db
    .deleteFrom("saved_views")
    .where("id", "=", input.id)
    .where("staff_id", "=", input.staffId)
    .where("list", "=", input.list)
    .returning("name")
    .executeTakeFirst();
  return row?.name ?? null;
}

/** This person's views of a list, each with the link that opens it (the list's path and the saved query). */
export async function savedViewsOf(db: DbOrTrx, staffId: string, list: SavedViewList, path: string) {
  const views = await listSavedViews(db, staffId, list);
  return views.map((v) => ({ id: v.id, name: v.name, href: v.query ? `${path}?${v.query}` : path }));
}

export type SavedViewLink = Awaited<ReturnType<typeof savedViewsOf>>[number];
