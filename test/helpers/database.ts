/**
 * A private, migrated database per test file: a clone of the template the
 * global setup migrated once, so tests never see each other's rows and never
 * pay for migrations again. Call once per file in `beforeAll`.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { inject } from "vitest";
import { createDb, type Db } from "../../db/connection.js";
import { ensureDatabase } from "../../db/embedded-postgres.js";
import type {} from "../setup/global-setup.js"; // ProvidedContext typing for inject()

export interface FreshDatabase {
  url: string;
  db: Db;
  /** Closes the pool and drops the database. */
  destroy(): Promise<void>;
}

function urlWithDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function freshDatabase(): Promise<FreshDatabase> {
  const serverUrl = inject("pgServerUrl");
  const template = inject("pgTemplate");
  // Unique across parallel forks and repeated calls; PostgreSQL folds unquoted names, so keep it lower-case.
  const name = `test_${randomUUID().replace(/-/g, "").slice(0, 20)}`;
  await ensureDatabase(serverUrl, name, template);
  const url = urlWithDatabase(serverUrl, name);
  const db = createDb(url, { max: 5 });
  let destroyed = false;
  return {
    url,
    db,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await db.destroy();
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        // FORCE: a connection a test leaked (its own pg.Client) must not keep the database alive.
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Rows the migrations seed (the mailing lists): data the app needs, kept across tests. */
const REFERENCE_TABLES = ["mailing_lists"];

/** Empties every application table (not the migration bookkeeping, nor reference data): a clean slate per test. */
export async function truncateAll(db: Db): Promise<void> {
  const { rows } = await sql<{ name: string }>`
    SELECT quote_ident(tablename) AS name FROM pg_tables
    WHERE schemaname = 'public' AND tablename NOT LIKE 'kysely_migration%' AND tablename NOT IN (${sql.join(REFERENCE_TABLES)})`.execute(db);
  await sql.raw(`TRUNCATE ${rows.map((r) => r.name).join(", ")} CASCADE`).execute(db);
}
