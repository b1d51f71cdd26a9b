/**
 * Redaction: how a person's data is found and removed inside text other
 * people wrote, for GDPR erasure (app/models/erasure.server.ts decides *whose*
 * data and *which* rows; this module decides *what* in a text is theirs).
 *
 * Two kinds of marks, two rules:
 * - Unique identifiers (email addresses, provider subjects, picture URLs)
 *   name exactly one person wherever they appear, so they are removed from
 *   every free-text column of the database, as a whole token: `dora@example.com`
 *   goes, `xdora@example.com` or `dora@example.com.au` (other addresses) stay.
 * - A display name is not unique ("Goodwill", "Rose", "Grant" are also
 *   words), so it is removed only from text *about that person* (rows whose
 *   subject is their own account, their user, their tickets, or what they
 *   did), as a whole word written as a name: "Goodwill upgrade" loses the
 *   name, "goodwill grant" (the common noun, in lower case) and "Goodwilling"
 *   keep their words. Elsewhere a name is someone else's business.
 *
 * Also the one sanctioned way to change an audit row or a ledger note, both
 * append-only in the database (migrations 0006 and 0008).
 */
import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/schema.js";

export const ERASED = "[erased]";

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** What may not touch an identifier on either side for it to be the same identifier (address characters). */
const ID_BEFORE = String.raw`(?<![\p{L}\p{N}._%+\-@/])`;
// A trailing full stop ends a sentence; a full stop followed by more of the address makes another address.
const ID_AFTER = String.raw`(?![\p{L}\p{N}_\-@/]|\.[\p{L}\p{N}])`;
const WORD_BEFORE = String.raw`(?<![\p{L}\p{N}_])`;
const WORD_AFTER = String.raw`(?![\p{L}\p{N}_])`;
/** A letter that has an upper-case form other than itself: the common-noun spelling of a name. */
const isLowerCaseLetter = (ch: string) => ch !== ch.toUpperCase();

export interface PersonMarks {
  /** Email addresses, provider subjects, picture URLs: removed from free text everywhere. */
  identifiers: readonly (string | null | undefined)[];
  /** Display names: removed only from text about the person. */
  names: readonly (string | null | undefined)[];
}

export class Redactor {
  private readonly identifiers: string[];
  private readonly idPatterns: RegExp[];
  private readonly names: { spelling: string; pattern: RegExp }[];

  constructor(marks: PersonMarks) {
    // Longest first, so a longer mark containing a shorter one goes whole.
    const clean = (xs: PersonMarks["identifiers"], min: number) =>
      [...new Set(xs.map((x) => x?.trim()).filter((x): x is string => !!x && x.length >= min))].sort((a, b) => b.length - a.length);
    // Shorter "identifiers" would be ordinary tokens (a 2-digit number), not a person.
    this.identifiers = clean(marks.identifiers, 3);
    this.idPatterns = this.identifiers.map((id) => new RegExp(`${ID_BEFORE}${escapeRegExp(id)}${ID_AFTER}`, "giu"));
    this.names = clean(marks.names, 2).map((name) => ({
      spelling: name,
      // Any run of spaces between the parts of a name, as people type them.
      pattern: new RegExp(
        `${WORD_BEFORE}${name
          .split(/\s+/)
          .map(escapeRegExp)
          .join(String.raw`\s+`)}${WORD_AFTER}`,
        "giu",
      ),
    }));
  }

  get hasIdentifiers(): boolean {
    return this.identifiers.length > 0;
  }

  /**
   * ILIKE patterns that every text holding one of the identifiers matches (a
   * cheap first pass in SQL; `text` then decides). For JSON columns the
   * identifiers are matched as they are escaped inside JSON text.
   */
  likePatterns(json = false): string[] {
    return this.identifiers.map((id) => `%${(json ? JSON.stringify(id).slice(1, -1) : id).replace(/[\\%_]/g, "\\$&")}%`);
  }

  /** The text without the person's identifiers, and, when it is about them, without their name. */
  text(value: string, aboutPerson: boolean): string {
    let out = value;
    for (const p of this.idPatterns) out = out.replace(p, ERASED);
    if (aboutPerson) {
      for (const { spelling, pattern } of this.names) {
        // "goodwill" in lower case is the word, unless the person spells their own name that way.
        out = out.replace(pattern, (hit) => (isLowerCaseLetter(hit[0]!) && hit !== spelling ? hit : ERASED));
      }
    }
    return out;
  }

  /** The same for every string inside a JSON value (keys are ours, not free text). */
  json(value: unknown, aboutPerson: boolean): unknown {
    if (typeof value === "string") return this.text(value, aboutPerson);
    if (Array.isArray(value)) return value.map((v) => this.json(v, aboutPerson));
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.json(v, aboutPerson)]));
    return value;
  }
}

/**
 * Replaces `details` of the given rows (and, with `clearIp`, forgets the client
 * address, which is personal data too): the only change the database lets
 * through on audit_log (see migration 0006), for GDPR erasure, where an
 * erased person's data must not survive in the trail while the fact that
 * something happened (who, what, when, to which id) must.
 *
 * It takes a transaction on purpose: SET LOCAL lasts only until that
 * transaction ends, so the permission can never leak to the next user of a
 * pooled connection. It is switched off again right after the update, so
 * nothing else in the caller's transaction runs with it.
 */
export async function redactAuditDetails(
  trx: Transaction<Database>,
  ids: readonly string[],
  replacement: Record<string, unknown>,
  options: { clearIp?: boolean } = {},
): Promise<number> {
  if (ids.length === 0) return 0;
  await sql`SET LOCAL switchboard.audit_redaction = 'on'`.execute(trx);
  const result = await trx
    .updateTable("audit_log")
    .set({ details: JSON.stringify(replacement), ...(options.clearIp ? { ip: null } : {}) })
    .where("id", "in", [...ids])
    .executeTakeFirst();
  await sql`SET LOCAL switchboard.audit_redaction = 'off'`.execute(trx);
  return Number(result.numUpdatedRows);
}

/** Replaces the note of ledger entries: the ledger is append-only, and erasure alone may change a note (migration 0008). */
export async function redactLedgerNotes(trx: Transaction<Database>, notes: readonly { id: string; note: string }[]): Promise<number> {
  if (notes.length === 0) return 0;
  await sql`SET LOCAL switchboard.ledger_redaction = 'on'`.execute(trx);
  for (const n of notes) await sql`UPDATE ledger_entries SET note = ${n.note} WHERE id = ${n.id}`.execute(trx);
  await sql`SET LOCAL switchboard.ledger_redaction = 'off'`.execute(trx);
  return notes.length;
}

/** Whose rows count as "about the person": their own account(s), their user(s), the tickets they are party to. */
export interface About {
  accountIds: readonly string[];
  userIds: readonly string[];
  ticketIds: readonly string[];
}

type Cond = ReturnType<typeof sql<boolean>>;
const anyOf = (column: string, ids: readonly string[]): Cond =>
  ids.length ? sql<boolean>`${sql.ref(column)} = ANY(${sql.val([...ids])}::uuid[])` : sql<boolean>`false`;
const or = (...conds: Cond[]): Cond => sql<boolean>`(${sql.join(conds, sql` OR `)})`;

interface FreeTextColumn {
  table: keyof Database;
  column: string;
  /**
   * text: replace in place; json: every string inside; address: a column that *is* an address, emptied when it holds one;
   * query: a URL query string (a saved console view), whose values are percent-encoded, so they are decoded to be searched.
   */
  kind: "text" | "json" | "address" | "query";
  about: (a: About) => Cond;
  write?: "ledger" | "audit";
}

/**
 * Every column of the database where people (users, staff, or a mail we
 * sent) write free text. A new free-text column belongs here, or erasure
 * misses it (test/erasure-words.test.ts fails on a text column that is in neither list).
 */
const FREE_TEXT: FreeTextColumn[] = [
  { table: "accounts", column: "name", kind: "text", about: (a) => anyOf("id", a.accountIds) },
  { table: "api_keys", column: "name", kind: "text", about: (a) => or(anyOf("account_id", a.accountIds), anyOf("created_by_user_id", a.userIds)) },
  { table: "ledger_entries", column: "note", kind: "text", about: (a) => anyOf("account_id", a.accountIds), write: "ledger" },
  { table: "account_status_changes", column: "reason_text", kind: "text", about: (a) => anyOf("account_id", a.accountIds) },
  { table: "account_status_changes", column: "error", kind: "text", about: (a) => anyOf("account_id", a.accountIds) },
  { table: "account_deletions", column: "reason", kind: "text", about: (a) => anyOf("account_id", a.accountIds) },
  { table: "account_deletions", column: "error", kind: "text", about: (a) => anyOf("account_id", a.accountIds) },
  { table: "support_tickets", column: "sender_address", kind: "address", about: () => sql<boolean>`false` },
  { table: "support_tickets", column: "new_address", kind: "address", about: () => sql<boolean>`false` },
  { table: "support_tickets", column: "failure_reason", kind: "text", about: (a) => anyOf("id", a.ticketIds) },
  { table: "ticket_notes", column: "body", kind: "text", about: (a) => anyOf("ticket_id", a.ticketIds) },
  { table: "ticket_decisions", column: "reason", kind: "text", about: (a) => anyOf("ticket_id", a.ticketIds) },
  { table: "mail_outbox", column: "subject", kind: "text", about: () => sql<boolean>`false` },
  { table: "mail_outbox", column: "text_body", kind: "text", about: () => sql<boolean>`false` },
  { table: "mail_outbox", column: "headers", kind: "json", about: () => sql<boolean>`false` },
  { table: "mail_outbox", column: "last_error", kind: "text", about: () => sql<boolean>`false` },
  { table: "list_mailings", column: "subject", kind: "text", about: () => sql<boolean>`false` },
  { table: "list_mailings", column: "text_body", kind: "text", about: () => sql<boolean>`false` },
  { table: "mailing_lists", column: "name", kind: "text", about: () => sql<boolean>`false` },
  { table: "mailing_lists", column: "description", kind: "text", about: () => sql<boolean>`false` },
  { table: "audit_log", column: "details", kind: "json", write: "audit", about: (a) => auditAbout(a) },
  // Staff name their saved views and save filters that may hold a customer's address (?q=alice%40example.com).
  { table: "saved_views", column: "name", kind: "text", about: () => sql<boolean>`false` },
  { table: "saved_views", column: "query", kind: "query", about: () => sql<boolean>`false` },
];

/** `table.column` of every free-text column erasure searches. */
export const FREE_TEXT_COLUMNS: readonly string[] = FREE_TEXT.map((c) => `${c.table}.${c.column}`);

/**
 * Removes the person's identifiers from every free-text column, and their
 * name from the rows about them. Returns how many values changed, per table.
 * The identifier pass reads each table once (a sequential scan with a cheap
 * ILIKE filter): erasure is rare and runs off the request path or on one
 * person's removal, and an index on every text column would tax every write.
 */
export async function redactFreeText(trx: Transaction<Database>, redactor: Redactor, about: About): Promise<Record<string, number>> {
  const changed: Record<string, number> = {};
  for (const col of FREE_TEXT) {
    const text = col.kind === "json" ? sql`${sql.ref(col.column)}::text` : sql.ref(col.column);
    const aboutCond = col.about(about);
    // An encoded query cannot be searched with ILIKE; saved views are a handful per staff member, so each is decoded here.
    const found = !redactor.hasIdentifiers
      ? sql<boolean>`false`
      : col.kind === "query"
        ? sql<boolean>`true`
        : sql<boolean>`${text} ILIKE ANY(${sql.val(redactor.likePatterns(col.kind === "json"))}::text[])`;
    const { rows } = await sql<{ id: string; value: string; about: boolean }>`
      SELECT id::text AS id, ${text} AS value, ${aboutCond} AS about
      FROM ${sql.table(col.table)}
      WHERE ${sql.ref(col.column)} IS NOT NULL AND (${found} OR ${aboutCond})`.execute(trx);
    const updates: { id: string; value: string | null }[] = [];
    for (const r of rows) {
      if (col.kind === "json") {
        const before = JSON.parse(r.value) as unknown;
        const after = redactor.json(before, r.about);
        if (JSON.stringify(after) !== JSON.stringify(before)) updates.push({ id: r.id, value: JSON.stringify(after) });
      } else if (col.kind === "query") {
        const redacted = new URLSearchParams();
        for (const [k, v] of new URLSearchParams(r.value)) redacted.append(k, redactor.text(v, r.about));
        const after = redacted.toString();
        if (after !== r.value) updates.push({ id: r.id, value: after });
      } else {
        const after = redactor.text(r.value, r.about);
        if (after !== r.value) updates.push({ id: r.id, value: col.kind === "address" ? null : after });
      }
    }
    if (updates.length === 0) continue;
    if (col.write === "ledger") {
      await redactLedgerNotes(
        trx,
        updates.map((u) => ({ id: u.id, note: u.value ?? ERASED })),
      );
    } else if (col.write === "audit") {
      for (const u of updates) await redactAuditDetails(trx, [u.id], JSON.parse(u.value!) as Record<string, unknown>);
    } else {
      const cast = col.kind === "json" ? sql`::jsonb` : sql``;
      for (const u of updates) {
        await sql`UPDATE ${sql.table(col.table)} SET ${sql.ref(col.column)} = ${u.value}${cast} WHERE id = ${u.id}`.execute(trx);
      }
    }
    changed[`${col.table}.${col.column}`] = updates.length;
  }
  return changed;
}

/** audit_log's target_id and actor_id are text (ids of many kinds): compared as text, not cast to uuid. */
function auditAbout(a: About): Cond {
  const texts = (column: string, ids: readonly string[]): Cond =>
    ids.length ? sql<boolean>`${sql.ref(column)} = ANY(${sql.val([...ids])}::text[])` : sql<boolean>`false`;
  return or(
    sql<boolean>`(target_type = 'account' AND ${texts("target_id", a.accountIds)})`,
    sql<boolean>`(target_type = 'user' AND ${texts("target_id", a.userIds)})`,
    sql<boolean>`(target_type = 'ticket' AND ${texts("target_id", a.ticketIds)})`,
    sql<boolean>`(actor_type = 'user' AND ${texts("actor_id", a.userIds)})`,
  );
}
