/**
 * Where personal data could hide, as searchable text: a plain-text dump of
 * every table, and a workflow history with its payload bytes decoded (a plain
 * JSON.stringify of a history shows bytes as numbers and would find nothing).
 */
import { sql } from "kysely";
import type { WorkflowHandle } from "@temporalio/client";
import type { Db } from "../../db/connection.js";

/** Every row of every application table, one line per row (PostgreSQL's row-to-text). */
export async function databaseText(db: Db): Promise<string> {
  const { rows: tables } = await sql<{ name: string }>`
    SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`.execute(db);
  const parts: string[] = [];
  for (const { name } of tables) {
    const { rows } = await sql<{ line: string }>`SELECT t::text AS line FROM ${sql.raw(name)} t`.execute(db);
    parts.push(`-- ${name}`, ...rows.map((r) => r.line));
  }
  return parts.join("\n");
}

/** A history as JSON, every byte array also decoded as UTF-8 (payloads are JSON bytes). */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  return JSON.stringify(history, (_key, value) => (value instanceof Uint8Array ? Buffer.from(value).toString("utf8") : value));
}
