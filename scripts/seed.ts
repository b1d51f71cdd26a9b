/** `npm run seed`: adds the demo accounts and staff (idempotent), plus STAFF_ADMINS. */
import { configOrExit, parseConfig } from "../app/config.server.js";
import { createLogger } from "../app/logger.server.js";
import { seedStaffAdmins } from "../app/models/staff.server.js";
import { createDb } from "../db/connection.js";
import { seedDemoData } from "../db/demo-seed.js";
import { migrateToLatest } from "../db/migrate.js";
import { openDatabase } from "../server/database-bootstrap.js";
import { developmentSecrets } from "../server/development-secrets.js";

const config = configOrExit();
const logger = createLogger(config.logLevel, "seed");
const database = await openDatabase(config, () => {});
const db = createDb(database.url, { max: 1 });
try {
  await migrateToLatest(db);
  // Unsubscribe links in the demo mail are signed with the secret `npm start` gives the web process.
  const secrets = config.isProduction ? {} : developmentSecrets(config);
  const { created } = await seedDemoData(db, parseConfig({ ...process.env, ...secrets }));
  await seedStaffAdmins(db, config.staffAdmins);
  logger.info({ created }, "demo data seeded");
} finally {
  await db.destroy();
  await database.stop();
}
