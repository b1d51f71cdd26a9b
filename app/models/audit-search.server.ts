/**
 * Reading the audit trail for the console: the filtered, keyset-paged list and
 * the CSV export over every matching row. Writing rows lives in
 * audit.server.ts; the one sanctioned change to a row (GDPR redaction of
 * `details`) in redaction.server.ts.
 */
import { sql, type SelectQueryBuilder } from "kysely";
import { z } from "zod";
import type { Db, DbOrTrx } from "../../db/connection.js";
import type { ActorType, AuditRow, Database } from "../../db/schema.js";
import { parseUtc } from "../validation/dates.js";
import { storableText } from "../validation/text.js";

export const AUDIT_PAGE_SIZE = 50;
export const AUDIT_EXPORT_BATCH = 1000;

export interface AuditFilter {
  actorType?: ActorType;
  actorId?: string;
  /** Exact action, or a prefix ending in `*` (`account.*`); a lone `*` matches all. */
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive lower bound on `at`. */
  from?: Date;
  /** Exclusive upper bound on `at`: `to` of one range is `from` of the next. */
  to?: Date;
}

export interface AuditPage {
  rows: AuditRow[];
  /** The cursor of the next (older) page, or null on the last page. */
  nextBefore: string | null;
}

export const ACTOR_TYPES = ["user", "staff", "system", "workflow", "anonymous", "api_key"] as const satisfies readonly ActorType[];

/** Filters and links name their times through the console's one date reader. */
export { parseUtc };

// A bare "?field=" is what an empty form field sends: no filter, not an error.
const blank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : typeof v === "string" ? v.trim() : v);
const text = (label: string, max: number) =>
  z.preprocess(
    blank,
    z
      .string()
      .max(max, `${label}: ${max} characters at most.`)
      // NUL would fail the query in PostgreSQL; a lone surrogate would be searched for as U+FFFD.
      .superRefine(storableText(label))
      .optional(),
  );
const when = (label: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .max(40, `${label}: not a date and time. Use YYYY-MM-DD or YYYY-MM-DDTHH:MM, in UTC.`)
      .transform((v, ctx) => {
        const d = parseUtc(v);
        if (!d) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${label}: “${v}” is not a date and time. Use YYYY-MM-DD or YYYY-MM-DDTHH:MM, in UTC.` });
        return d ?? z.NEVER;
      })
      .optional(),
  );

/** The audit page's and the export's query string: the filter, and the page cursor. */
export const AuditQuery = z
  .object({
    actor_type: z.preprocess(blank, z.enum(ACTOR_TYPES, { message: `Actor type: one of ${ACTOR_TYPES.join(", ")}.` }).optional()),
    actor_id: text("Actor id", 200),
    action: z.preprocess(
      blank,
      z
        .string()
        .max(100, "Action: 100 characters at most.")
        .regex(/^[^*]*\*?$/, "Action: an exact action, or a prefix ending in * (e.g. account.*); * only at the end.")
        .superRefine(storableText("Action"))
        .optional(),
    ),
    target_type: text("Target type", 50),
    target_id: text("Target id", 200),
    from: when("From"),
    to: when("To"),
    // Ids are bigserial: digits only, which is all a page link ever carries.
    before: z.preprocess(
      blank,
      z
        .string()
        .regex(/^\d{1,18}$/, "That page link is broken: go back to the newest page.")
        .optional(),
    ),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: "To: must be later than From.", path: ["to"] });

export type AuditQuery = z.infer<typeof AuditQuery>;

export type ParsedAuditQuery = { ok: true; filter: AuditFilter; before?: string } | { ok: false; field: string; message: string };

/** Query string → filter, or the first problem worded for a person, naming the field. */
export function parseAuditQuery(params: URLSearchParams): ParsedAuditQuery {
  const parsed = AuditQuery.safeParse(Object.fromEntries(params));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, field: String(issue.path[0] ?? ""), message: issue.message };
  }
  const q = parsed.data;
  return {
    ok: true,
    before: q.before,
    filter: { actorType: q.actor_type, actorId: q.actor_id, action: q.action, targetType: q.target_type, targetId: q.target_id, from: q.from, to: q.to },
  };
}

/** The filter back as query parameters (links keep it across pages and into the export). */
export function auditFilterParams(f: AuditFilter): URLSearchParams {
  const p = new URLSearchParams();
  if (f.actorType) p.set("actor_type", f.actorType);
  if (f.actorId) p.set("actor_id", f.actorId);
  if (f.action) p.set("action", f.action);
  if (f.targetType) p.set("target_type", f.targetType);
  if (f.targetId) p.set("target_id", f.targetId);
  if (f.from) p.set("from", f.from.toISOString());
  if (f.to) p.set("to", f.to.toISOString());
  return p;
}

/** LIKE treats `%`, `_` and the escape character as patterns; actions are full of `_`. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function applyFilter<O>(qb: SelectQueryBuilder<Database, "audit_log", O>, f: AuditFilter) {
  let q = qb;
  if (f.actorType) q = q.where("actor_type", "=", f.actorType);
  if (f.actorId) q = q.where("actor_id", "=", f.actorId);
  if (f.action && f.action !== "*") {
    q = f.action.endsWith("*") ? q.where(sql<boolean>`action LIKE ${likePrefix(f.action.slice(0, -1))} ESCAPE '\\'`) : q.where("action", "=", f.action);
  }
  if (f.targetType) q = q.where("target_type", "=", f.targetType);
  if (f.targetId) q = q.where("target_id", "=", f.targetId);
  if (f.from) q = q.where("at", ">=", f.from);
  if (f.to) q = q.where("at", "<", f.to);
  return q;
}

/** One page of the filter, newest first; `before` is the id the previous page handed out. */
export async function searchAudit(db: DbOrTrx, filter: AuditFilter, before?: string): Promise<AuditPage> {
  const rows = await applyFilter(db.selectFrom("audit_log").selectAll(), filter)
    .$if(before !== undefined, (q) => q.where("id", "<", before!))
    .orderBy("id", "desc")
    .limit(AUDIT_PAGE_SIZE + 1)
    .execute();
  const page = rows.slice(0, AUDIT_PAGE_SIZE);
  return { rows: page, nextBefore: rows.length > AUDIT_PAGE_SIZE ? page[page.length - 1].id : null };
}

/**
 * Every row of the filter, newest first, in keyset batches: memory stays flat
 * however long the trail is, and no query holds a transaction open while a
 * slow client downloads. Rows written after the export started have higher ids
 * than the first batch and are not included, so the export is one consistent cut.
 */
export async function* auditBatches(db: DbOrTrx, filter: AuditFilter, batchSize = AUDIT_EXPORT_BATCH): AsyncGenerator<AuditRow[]> {
  let before: string | undefined;
  for (;;) {
    const batch = await applyFilter(db.selectFrom("audit_log").selectAll(), filter)
      .$if(before !== undefined, (q) => q.where("id", "<", before!))
      .orderBy("id", "desc")
      .limit(batchSize)
      .execute();
    if (batch.length > 0) yield batch;
    if (batch.length < batchSize) return;
    before = batch[batch.length - 1].id;
  }
}

export const AUDIT_CSV_HEADER = ["id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "ip", "details"] as const;

/**
 * One CSV cell. A cell a spreadsheet would read as a formula (=, +, -, @, and
 * the tab/CR that OWASP lists too) gets a leading `'`: actions, ids and details
 * partly come from people and must not run in the reader's spreadsheet.
 */
export function csvCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return "";
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function auditCsvLine(r: AuditRow): string {
  const at = r.at instanceof Date ? r.at.toISOString() : String(r.at);
  return [r.id, at, r.actor_type, r.actor_id, r.action, r.target_type, r.target_id, r.ip, JSON.stringify(r.details)].map(csvCell).join(",") + "\r\n";
}

/** The export as CSV text chunks (RFC 4180 line ends): the header, then one chunk per batch. */
export async function* auditCsvRows(db: Db, filter: AuditFilter): AsyncGenerator<string> {
  yield AUDIT_CSV_HEADER.join(",") + "\r\n";
  for await (const batch of auditBatches(db, filter)) yield batch.map(auditCsvLine).join("");
}
