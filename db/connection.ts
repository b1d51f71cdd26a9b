import { Kysely, PostgresDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;
/** Repository functions take either the pool or an open transaction first. */
export type DbOrTrx = Kysely<Database> | Transaction<Database>;

/**
 * Runs `fn` in the caller's transaction when it is one, else in a new one: a model
 * step that must be atomic works alone and inside a larger intent alike.
 */
export function inTransaction<T>(db: DbOrTrx, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Database>) : db.transaction().execute(fn);
}

// Return int8 (bigint) columns as strings; money and ids are never squeezed through a float.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v);

const pools = new WeakMap<Db, pg.Pool>();
/** The pg pool behind a Db made by createDb, for its usage gauges (totalCount, idleCount, waitingCount). */
export function poolOf(db: Db): pg.Pool | undefined {
  return pools.get(db);
}

export function createDb(connectionString: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({ connectionString, max: options.max ?? 10 });
  // A dropped connection (database restart) must not crash the process; the pool reconnects.
  pool.on("error", () => {});
  // The same for a client checked out (in a transaction) when the server goes away: its query fails, the process lives.
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  pools.set(db, pool);
  return db;
}

/** True when PostgreSQL answers a query (the health check). */
export async function databaseAnswers(db: Db): Promise<boolean> {
  return sql`SELECT 1`.execute(db).then(
    () => true,
    () => false,
  );
}
