/** `npm run db:migrate`: brings the schema up to date (a release step in production). */
import { configOrExit } from "../app/config.server.js";
import { createLogger } from "../app/logger.server.js";
import { createDb } from "../db/connection.js";
import { migrateToLatest } from "../db/migrate.js";
import { openDatabase } from "../server/database-bootstrap.js";

const config = configOrExit();
const logger = createLogger(config.logLevel, "migrate");
const database = await openDatabase(config, () => {});
const db = createDb(database.url, { max: 1 });
try {
  const applied = await migrateToLatest(db);
  logger.info({ applied }, applied.length ? "migrations applied" : "schema already up to date");
} finally {
  await db.destroy();
  await database.stop();
}
