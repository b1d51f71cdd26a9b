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
import { csvLine } from "../csv.js";

export const AUDIT_PAGE_SIZE = 50;
export const AUDIT_EXPORT_BATCH = 1000;

export interface AuditFilter {
  actorType?: ActorType;
  actorId?: string;
  /** The staff member or user with this address (exact, any case): resolved to their ids before the trail is read. */
  actorEmail?: string;
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
    actor_email: z.preprocess(
      blank,
      z
        .string()
        .max(320, "Actor email: 320 characters at most.")
        .regex(/^[^\s@]+@[^\s@]+$/, "Actor email: an address like alice@example.com.")
        .superRefine(storableText("Actor email"))
        .optional(),
    ),
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
    filter: {
      actorType: q.actor_type,
      actorId: q.actor_id,
      actorEmail: q.actor_email,
      action: q.action,
      targetType: q.target_type,
      targetId: q.target_id,
      from: q.from,
      to: q.to,
    },
  };
}

/** The filter back as query parameters (links keep it across pages and into the export). */
export function auditFilterParams(f: AuditFilter): URLSearchParams {
  const p = new URLSearchParams();
  if (f.actorType) p.set("actor_type", f.actorType);
  if (f.actorId) p.set("actor_id", f.actorId);
  if (f.actorEmail) p.set("actor_email", f.actorEmail);
  if (f.action) p.set("action", f.action);
  if (f.targetType) p.set("target_type", f.targetType);
  if (f.targetId) p.set("target_id", f.targetId);
  if (f.from) p.set("from", f.from.toISOString());
  if (f.to) p.set("to", f.to.toISOString());
  return p;
}

/** LIKE treats `%`, `_` and the escape character as patterns; actions are full of `_`. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** The (actor type, actor id) pairs an address names: a staff member, a user, or both; [] when nobody has it. */
type ActorKeys = { type: ActorType; id: string }[];

async function actorsByEmail(db: DbOrTrx, email: string): Promise<ActorKeys> {
  // Users' addresses are stored normalized (lower-case); staff's are compared case-blind. Both tables are indexed by address.
  const rows = await db
    .selectFrom("staff")
    .select([sql<ActorType>`'staff'`.as("type"), sql<string>`id::text`.as("id")])
    .where(sql<boolean>`lower(email) = lower(${email})`)
    .unionAll(
      db
        .selectFrom("users")
        .select([sql<ActorType>`'user'`.as("type"), sql<string>`id::text`.as("id")])
        .where("email", "=", email.toLowerCase()),
    )
    .execute();
  return rows;
}

/** The filter ready to query: an actor address becomes the ids it names (looked up once per page or export). */
async function resolveFilter(db: DbOrTrx, f: AuditFilter): Promise<{ filter: AuditFilter; actors?: ActorKeys }> {
  return f.actorEmail ? { filter: f, actors: await actorsByEmail(db, f.actorEmail) } : { filter: f };
}

function applyFilter<O>(qb: SelectQueryBuilder<Database, "audit_log", O>, { filter: f, actors }: { filter: AuditFilter; actors?: ActorKeys }) {
  let q = qb;
  if (actors) {
    // One (type, id) pair per match, so each is an equality on audit_log_actor (actor_type, actor_id, id DESC).
    q =
      actors.length === 0
        ? q.where(sql<boolean>`false`)
        : q.where((eb) => eb.or(actors.map((a) => eb.and([eb("actor_type", "=", a.type), eb("actor_id", "=", a.id)]))));
  }
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
  const rows = await applyFilter(db.selectFrom("audit_log").selectAll(), await resolveFilter(db, filter))
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
  const resolved = await resolveFilter(db, filter);
  for (;;) {
    const batch = await applyFilter(db.selectFrom("audit_log").selectAll(), resolved)
      .$if(before !== undefined, (q) => q.where("id", "<", before!))
      .orderBy("id", "desc")
      .limit(batchSize)
      .execute();
    if (batch.length > 0) yield batch;
    if (batch.length < batchSize) return;
    before = batch[batch.length - 1].id;
  }
}

// ---- who and what a row names ----

/** A person or thing an audit row names, as the console shows it: a label, where it links, and its address when it has one. */
export interface AuditPerson {
  label: string;
  /** A second, quieter line (an account's name, a ticket's status, a key's account). */
  detail: string | null;
  href: string | null;
  /** The address of the staff member, user, or (for an account, a key, a ticket) the owner or new address. */
  email: string | null;
}

/** Looked up by `${type}:${id}`, type being the row's actor_type or target_type. */
export type AuditPeople = Record<string, AuditPerson>;
export const personKey = (type: string | null | undefined, id: string | null | undefined) => `${type ?? ""}:${(id ?? "").toLowerCase()}`;

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOLVED = ["staff", "user", "account", "ticket", "api_key"] as const;
type Resolved = (typeof RESOLVED)[number];
const resolvable = (t: string | null): t is Resolved => (RESOLVED as readonly string[]).includes(t ?? "");

const audits = (email: string) => `/console/audit?${new URLSearchParams({ actor_email: email })}`;

/**
 * The people and things a page (or an export batch) of rows names, in ONE query
 * whatever the number of rows: each table is read by primary key for the ids of
 * its kind. Ids that are not UUIDs (old or hand-written rows) are left as they are.
 */
export async function auditPeople(db: DbOrTrx, refs: readonly { type: string | null | undefined; id: string | null | undefined }[]): Promise<AuditPeople> {
  const ids: Record<Resolved, Set<string>> = { staff: new Set(), user: new Set(), account: new Set(), ticket: new Set(), api_key: new Set() };
  for (const r of refs) if (resolvable(r.type ?? null) && r.id && UUID_SHAPE.test(r.id)) ids[r.type as Resolved].add(r.id.toLowerCase());
  if (RESOLVED.every((k) => ids[k].size === 0)) return {};
  const list = (k: Resolved) => sql`${[...ids[k]]}::uuid[]`;
  // An account's owner, for accounts and keys: memberships_one_owner (account_id) WHERE role = 'owner'.
  const owner = (account: ReturnType<typeof sql.ref>) =>
    sql<string | null>`(SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = ${account} AND m.role = 'owner')`;
  const { rows } = await sql<{ kind: Resolved; id: string; email: string | null; name: string | null; account_id: string | null }>`
    SELECT 'staff' AS kind, s.id::text AS id, s.email, s.role AS name, NULL::text AS account_id FROM staff s WHERE s.id = ANY(${list("staff")})
    UNION ALL
    SELECT 'user', u.id::text, u.email, u.name,
      (SELECT m.account_id::text FROM memberships m WHERE m.user_id = u.id ORDER BY (m.role = 'owner') DESC, m.created_at LIMIT 1)
    FROM users u WHERE u.id = ANY(${list("user")})
    UNION ALL
    SELECT 'account', a.id::text, ${owner(sql.ref("a.id"))}, a.name, a.id::text FROM accounts a WHERE a.id = ANY(${list("account")})
    UNION ALL
    SELECT 'ticket', t.id::text, t.new_address, t.status, NULL FROM support_tickets t WHERE t.id = ANY(${list("ticket")})
    UNION ALL
    SELECT 'api_key', k.id::text, ${owner(sql.ref("k.account_id"))}, k.prefix || '…' || k.last4 || ' (' || k.name || ')', k.account_id::text
    FROM api_keys k WHERE k.id = ANY(${list("api_key")})
  `.execute(db);
  const people: AuditPeople = {};
  for (const r of rows) {
    const accountHref = r.account_id ? `/console/accounts/${r.account_id}` : null;
    const person: AuditPerson =
      r.kind === "staff"
        ? { label: r.email ?? "staff", detail: r.name, href: r.email ? audits(r.email) : null, email: r.email }
        : r.kind === "user"
          ? { label: r.email ?? r.name ?? "erased user", detail: r.email && r.name ? r.name : null, href: accountHref, email: r.email }
          : r.kind === "account"
            ? { label: r.email ?? r.name ?? "account", detail: r.email ? r.name : null, href: accountHref, email: r.email }
            : r.kind === "ticket"
              ? {
                  label: `Ticket ${r.id.slice(0, 8)}…`,
                  detail: [r.name, r.email ? `to ${r.email}` : null].filter(Boolean).join(" · "),
                  href: `/console/tickets/${r.id}`,
                  email: r.email,
                }
              : { label: `Key ${r.name ?? ""}`.trim(), detail: r.email ? `account of ${r.email}` : null, href: accountHref, email: r.email };
    people[personKey(r.kind, r.id)] = person;
  }
  return people;
}

/** The people of a set of audit rows, actors and targets together. */
export const auditRowPeople = (db: DbOrTrx, rows: readonly AuditRow[]) =>
  auditPeople(
    db,
    rows.flatMap((r) => [
      { type: r.actor_type, id: r.actor_id },
      { type: r.target_type, id: r.target_id },
    ]),
  );

/** Audit rows with the people they name attached (actor and target), for any page that lists them. */
export async function withAuditPeople<R extends AuditRow>(db: DbOrTrx, rows: readonly R[]) {
  const people = await auditRowPeople(db, rows);
  return rows.map((r) => ({
    ...r,
    actor: people[personKey(r.actor_type, r.actor_id)] ?? null,
    target: people[personKey(r.target_type, r.target_id)] ?? null,
  }));
}

// ---- the export ----

/** The columns of the page, and after them the people they name (so a script reading by position still finds the first nine). */
export const AUDIT_CSV_HEADER = [
  "id",
  "at",
  "actor_type",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "ip",
  "details",
  "actor_email",
  "target_label",
] as const;

export function auditCsvLine(r: AuditRow, people: AuditPeople = {}): string {
  const at = r.at instanceof Date ? r.at.toISOString() : String(r.at);
  const actor = people[personKey(r.actor_type, r.actor_id)];
  const target = people[personKey(r.target_type, r.target_id)];
  const targetLabel = target ? [target.label, target.detail].filter(Boolean).join(" · ") : null;
  return csvLine([
    r.id,
    at,
    r.actor_type,
    r.actor_id,
    r.action,
    r.target_type,
    r.target_id,
    r.ip,
    JSON.stringify(r.details),
    actor?.email ?? null,
    targetLabel,
  ]);
}

/** The export as CSV text chunks (RFC 4180 line ends): the header, then one chunk per batch. */
export async function* auditCsvRows(db: Db, filter: AuditFilter): AsyncGenerator<string> {
  yield AUDIT_CSV_HEADER.join(",") + "\r\n";
  for await (const batch of auditBatches(db, filter)) {
    // One lookup per 1000-row batch, not per row.
    const people = await auditRowPeople(db, batch);
    yield batch.map((r) => auditCsvLine(r, people)).join("");
  }
}
