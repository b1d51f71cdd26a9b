/**
 * The usual setup of an integration test file, registered as vitest hooks: a
 * fresh database, the run's Temporal server, and (optionally) the web app.
 */
import { afterAll, beforeAll } from "vitest";
import type { Db } from "../../db/connection.js";
import { startTestApp, type TestApp } from "./app.js";
import { freshDatabase, type FreshDatabase } from "./database.js";
import { temporalTestEnv, type TemporalTestEnv } from "./temporal.js";

export interface Suite {
  db: Db;
  databaseUrl: string;
  temporal: TemporalTestEnv;
  app: TestApp;
}

export function useSuite(options: { app?: boolean; when?: boolean; appEnv?: Record<string, string> } = {}): Suite {
  let fresh: FreshDatabase | undefined;
  let temporal: TemporalTestEnv | undefined;
  let app: TestApp | undefined;
  beforeAll(async () => {
    if (options.when === false) return;
    fresh = await freshDatabase();
    temporal = await temporalTestEnv();
    if (options.app)
      app = await startTestApp({ db: fresh.db, databaseUrl: fresh.url, temporal: temporal.client, taskQueue: temporal.taskQueue, env: options.appEnv });
  });
  afterAll(async () => {
    await app?.stop();
    await temporal?.close();
    await fresh?.destroy();
  });
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not set up (useSuite options, or used outside a test)`);
    return v;
  };
  return {
    get db() {
      return need(fresh, "the database").db;
    },
    get databaseUrl() {
      return need(fresh, "the database").url;
    },
    get temporal() {
      return need(temporal, "Temporal");
    },
    get app() {
      return need(app, "the app");
    },
  };
}
