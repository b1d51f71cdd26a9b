/**
 * A checksum of every application table, per table: md5 over the rows' text,
 * ordered, so "nothing changed" is one comparison and "what changed" names the
 * tables. Some changes are by design even for a refused request, and are left
 * out (documented here, the one place that decides):
 *
 * - audit_log rows recording a refusal: console.access_refused and
 *   console.role_refused (a customer or a role knocking on the console) and
 *   auth.sign_in_refused (a failed sign-in). Every other audit row counts: the
 *   trail is append-only, so a new row means something was done.
 * - sessions.last_seen_at: every request with a live session touches it.
 * - api_keys.last_used_at: a key that authenticated is stamped (in batches, a
 *   second later) even when the request is then refused for its body.
 * - rate_limits: attempts are counted (password sign-ins, failed API keys,
 *   invitation mails), refused ones too; that is its purpose.
 */
import { sql } from "kysely";
import type { Db } from "../../../db/connection.js";

export const REFUSAL_AUDIT_ACTIONS = ["console.access_refused", "console.role_refused", "auth.sign_in_refused"] as const;
const EXCLUDED_TABLES = new Set(["rate_limits"]);
const EXCLUDED_COLUMNS: Record<string, string[]> = { sessions: ["last_seen_at"], api_keys: ["last_used_at"] };

export type Checksums = Map<string, string>;

let cachedQuery: { db: Db; text: string } | undefined;

async function checksumQuery(db: Db): Promise<string> {
  if (cachedQuery?.db === db) return cachedQuery.text;
  const { rows } = await sql<{ table_name: string; columns: string[] }>`
    SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position) AS columns
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
    WHERE c.table_schema = 'public' AND c.table_name NOT LIKE 'kysely_migration%'
    GROUP BY c.table_name
    ORDER BY c.table_name`.execute(db);
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const parts = rows
    .filter((r) => !EXCLUDED_TABLES.has(r.table_name))
    .map((r) => {
      const columns = r.columns.filter((c) => !(EXCLUDED_COLUMNS[r.table_name] ?? []).includes(c));
      const where = r.table_name === "audit_log" ? ` WHERE action NOT IN (${REFUSAL_AUDIT_ACTIONS.map(literal).join(", ")})` : "";
      const row = `ROW(${columns.map(quote).join(", ")})::text`;
      return `SELECT ${literal(r.table_name)} AS t, md5(coalesce(string_agg(${row}, E'\\n' ORDER BY ${row}), '')) AS sum FROM public.${quote(r.table_name)}${where}`;
    });
  cachedQuery = { db, text: parts.join("\nUNION ALL\n") };
  return cachedQuery.text;
}

export async function tableChecksums(db: Db): Promise<Checksums> {
  const { rows } = await sql.raw<{ t: string; sum: string }>(await checksumQuery(db)).execute(db);
  return new Map(rows.map((r) => [r.t, r.sum]));
}

/** The tables whose checksum differs. */
export function changedTables(before: Checksums, after: Checksums): string[] {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}
