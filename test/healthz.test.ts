import { Client, Connection } from "@temporalio/client";
import { describe, expect, it } from "vitest";
import { freePort } from "../dev/temporal-dev-server.js";
import { startTestApp } from "./helpers/app.js";
import { freshDatabase } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();

describe("GET /healthz", () => {
  it("answers 200 when PostgreSQL and Temporal are up", async () => {
    const app = await startTestApp({ db: t.db, databaseUrl: t.databaseUrl, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue });
    try {
      const res = await fetch(`${app.url}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ ok: true, db: "up", temporal: "up" });
    } finally {
      await app.stop();
    }
  });

  it("answers 503 naming Temporal when it cannot be reached", async () => {
    const deadPort = await freePort();
    const connection = Connection.lazy({ address: `127.0.0.1:${deadPort}`, connectTimeout: 500 });
    const app = await startTestApp({ db: t.db, databaseUrl: t.databaseUrl, temporal: new Client({ connection }), taskQueue: "none" });
    try {
      const res = await fetch(`${app.url}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ok: false, db: "up", temporal: "down" });
    } finally {
      await app.stop();
    }
  });

  it("answers 503 naming the database when it is gone", async () => {
    const doomed = await freshDatabase();
    const app = await startTestApp({ db: doomed.db, databaseUrl: doomed.url, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue });
    try {
      await doomed.destroy(); // closes the pool and drops the database
      const res = await fetch(`${app.url}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ ok: false, db: "down", temporal: "up" });
    } finally {
      await app.stop();
    }
  });
});
