/**
 * Console → Audit: one page of the trail for a filter, the filter as the form
 * shows it, and the query that carries it to the next page and the export.
 * The filter and the query are the model's (app/models/audit-search.server.ts).
 */
import type { Services } from "../context.server.js";
import { ACTOR_TYPES, auditCsvRows, auditFilterParams, parseAuditQuery, searchAudit, withAuditPeople } from "../models/audit-search.server.js";
import { savedViewsOf } from "../models/saved-views.server.js";

const FIELDS = ["actor_type", "actor_id", "actor_email", "action", "target_type", "target_id", "from", "to"] as const;
/** The filter form's fields as it shows them. */
export type AuditFormValues = Record<(typeof FIELDS)[number], string>;

/** A UTC instant as a datetime-local input shows it (the field has no zone; the label says UTC). */
const localValue = (d: Date | undefined) => {
  if (!d) return "";
  const iso = d.toISOString();
  return d.getUTCMilliseconds() === 0 ? iso.slice(0, 19) : iso.slice(0, 23);
};

/** `ok: false`: the filter is wrong; the page shows it as typed, with the problem, and nothing is queried. */
export async function loadAuditPage(services: Pick<Services, "db">, params: URLSearchParams, staffId: string) {
  const parsed = parseAuditQuery(params);
  const actorTypes = [...ACTOR_TYPES];
  // This staff member's saved filters of the trail (shown with a broken filter too: they are the way back).
  const views = await savedViewsOf(services.db, staffId, "audit", "/console/audit");
  if (!parsed.ok) {
    const values = Object.fromEntries(FIELDS.map((f) => [f, (params.get(f) ?? "").slice(0, 200)])) as AuditFormValues;
    return {
      ok: false as const,
      page: { error: parsed.message, errorField: parsed.field, values, actorTypes, rows: [], nextBefore: null, paged: false, filterQuery: "", views },
    };
  }
  const { filter, before } = parsed;
  const found = await searchAudit(services.db, filter, before);
  // The people of the whole page in one query (not one per row): the trail runs to millions of rows, pages to 50.
  const rows = await withAuditPeople(services.db, found.rows);
  const values: AuditFormValues = {
    actor_type: filter.actorType ?? "",
    actor_id: filter.actorId ?? "",
    actor_email: filter.actorEmail ?? "",
    action: filter.action ?? "",
    target_type: filter.targetType ?? "",
    target_id: filter.targetId ?? "",
    from: localValue(filter.from),
    to: localValue(filter.to),
  };
  return {
    ok: true as const,
    page: {
      error: null,
      errorField: null,
      values,
      actorTypes,
      rows,
      nextBefore: found.nextBefore,
      paged: before !== undefined,
      filterQuery: auditFilterParams(filter).toString(),
      views,
    },
  };
}

/** The export of the audit page's filter: CSV text chunks, header first; or the filter's problem. */
export function auditCsvExport(services: Pick<Services, "db">, params: URLSearchParams) {
  const parsed = parseAuditQuery(params);
  if (!parsed.ok) return { ok: false as const, message: parsed.message };
  return { ok: true as const, chunks: auditCsvRows(services.db, parsed.filter) };
}
