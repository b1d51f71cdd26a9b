/**
 * The real web app for a test file: the Remix build behind Express on a free
 * port, its own database, the run's Temporal server, and the local OAuth
 * and checkout stand-ins (the test payment provider's Checkout page). Needs `remix build` first (npm test does it).
 */
import type { Server } from "node:http";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { parseConfig, type Config } from "../../app/config.server.js";
import { createLogger } from "../../app/logger.server.js";
import { createServices, type Services } from "../../app/context.server.js";
import type { Db } from "../../db/connection.js";
import { startLocalCheckout, type LocalCheckout } from "../../dev/local-checkout-server.js";
import { startLocalOAuthServer, type LocalIdentity, type LocalOAuthServer } from "../../dev/local-oauth-server.js";
import { freePort } from "../../dev/temporal-dev-server.js";
import { createServer } from "node:http";
import { startApiRuntime } from "../../app/api/v1.server.js";
import { createRequestListener } from "../../server/http-app.js";
import type { Client } from "@temporalio/client";

import { TEST_TOMBSTONE_SECRET } from "./test-secrets.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface TestApp {
  url: string;
  services: Services;
  config: Config;
  oauth: LocalOAuthServer;
  /** The test provider's Checkout page, sending its signed webhooks to this app. */
  checkout: LocalCheckout;
  stop(): Promise<void>;
}

export { TEST_TOMBSTONE_SECRET };
/** The webhook secret of a test app (the local checkout signs with it; tests that post events sign with it too). */
export const TEST_WEBHOOK_SECRET = "whsec_test_app_webhook_secret_0123456789abcdef";

export async function startTestApp(deps: {
  db: Db;
  /** The database's URL, for the API's change feed (LISTEN). */
  databaseUrl: string;
  temporal: Client;
  taskQueue: string;
  demoIdentities?: LocalIdentity[];
  env?: Record<string, string>;
}): Promise<TestApp> {
  const oauth = await startLocalOAuthServer({ port: 0, demoIdentities: deps.demoIdentities ?? [] });
  const port = await freePort();
  const webhookSecret = deps.env?.STRIPE_WEBHOOK_SECRET ?? TEST_WEBHOOK_SECRET;
  const checkout = await startLocalCheckout({ port: 0, webhookUrl: `http://127.0.0.1:${port}/hooks/stripe`, webhookSecret });
  const config = parseConfig({
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    PORT: String(port),
    HOST: "127.0.0.1",
    DATABASE_URL: "postgres://unused-by-tests/db", // the test hands its own pool to the services
    TEMPORAL_TASK_QUEUE: deps.taskQueue,
    LOCAL_OAUTH_URL: oauth.url,
    SESSION_SECRET: "test-session-secret-test-session-secret-0123",
    TOMBSTONE_SECRET: TEST_TOMBSTONE_SECRET,
    STRIPE_WEBHOOK_SECRET: webhookSecret,
    LOCAL_CHECKOUT_URL: checkout.url,
    ...deps.env,
  });
  const logger = createLogger("silent", "test-web");
  const api = await startApiRuntime({ db: deps.db, databaseUrl: deps.databaseUrl, logger, usageBatch: config.usageBatch });
  const services = createServices({ config, db: deps.db, temporal: deps.temporal, logger, api });
  const build = (await import(pathToFileURL(path.join(root, "build", "index.js")).href)) as ServerBuild;
  const server: Server = createServer(createRequestListener(build, services, path.join(root, "public")));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    config,
    oauth,
    checkout,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await api.stop();
      await oauth.stop();
      await checkout.stop();
    },
  };
}
