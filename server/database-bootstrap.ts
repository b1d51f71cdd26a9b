/** The database a command works on: DATABASE_URL, or the embedded server under DATA_DIR. */
import path from "node:path";
import type { Config } from "../app/config.server.js";
import { ensureDatabase, startEmbeddedPostgres } from "../db/embedded-postgres.js";

export const EMBEDDED_DATABASE = "switchboard";

export async function openDatabase(
  config: Config,
  onLog: (line: string) => void,
): Promise<{ url: string; embedded: boolean; stop(): Promise<void> }> {
  if (config.database.url) return { url: config.database.url, embedded: false, stop: async () => {} };
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(config.dataDir, "postgres"),
    port: config.database.embeddedPort,
    onLog,
  });
  await ensureDatabase(pg.serverUrl, EMBEDDED_DATABASE);
  return { url: pg.urlFor(EMBEDDED_DATABASE), embedded: true, stop: () => pg.stop() };
}
