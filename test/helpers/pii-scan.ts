/**
 * Where personal data could hide, as searchable text: a plain-text dump of
 * every table, and a workflow history with its payload bytes decoded (a plain
 * JSON.stringify of a history shows payload bytes as base64 and would find nothing).
 */
import { sql } from "kysely";
import type { WorkflowHandle } from "@temporalio/client";
import type { temporal } from "@temporalio/proto";
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

/** A history as JSON, every byte array decoded as UTF-8 (payloads are JSON bytes). */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  return recordedHistoryText(await handle.fetchHistory());
}

/** The same for a history already fetched, or read from a recording (test/fixtures/histories). */
export function recordedHistoryText(history: temporal.api.history.v1.IHistory): string {
  return JSON.stringify(decodedBytes(history));
}

/**
 * A plain copy with byte arrays as UTF-8 text. Done before JSON.stringify, not
 * in a replacer: the history's protobuf messages have a toJSON that turns bytes
 * into base64 before a replacer ever sees them, so a marker would stay hidden.
 */
function decodedBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString("utf8");
  if (Array.isArray(value)) return value.map(decodedBytes);
  if (value === null || typeof value !== "object") return value;
  if (isLong(value)) return value.toString();
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodedBytes(v)]));
}

/** protobufjs's 64-bit integers (the `long` package), without depending on it. */
const isLong = (v: object): v is { toString(): string } => "low" in v && "high" in v && "unsigned" in v;
