/**
 * Once per `vitest run`: one embedded PostgreSQL with a migrated template
 * database, and one in-memory Temporal dev server. Test files clone the
 * template (test/helpers/database.ts) and use unique task queues
 * (test/helpers/temporal.ts), so they can run in parallel against both.
 * Also stripe-mock behind the idempotency proxy, for the Stripe provider's
 * tests (test/helpers/stripe.ts scopes each file by its own secret key).
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { config } from "../../app/config.server.js";
import { createDb } from "../../db/connection.js";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../db/embedded-postgres.js";
import { migrateToLatest } from "../../db/migrate.js";
import { findOrBuildTemporalCli } from "../../dev/temporal-cli.js";
import { freePort, startTemporalDevServer, type TemporalDevServer } from "../../dev/temporal-dev-server.js";
import { findOrBuildStripeMock, startStripeMock, type StripeMock } from "../../dev/stripe-mock.js";
import { startStripeIdempotencyProxy, type StripeIdempotencyProxy } from "../../dev/stripe-idempotency-proxy.js";
import { keepFailingExitCode } from "./keep-exit-code.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the test cluster's `postgres` database (swap the path for another database). */
    pgServerUrl: string;
    /** Migrated database to clone with CREATE DATABASE ... TEMPLATE. */
    pgTemplate: string;
    /** "127.0.0.1:PORT" of the Temporal dev server, namespace "default". */
    temporalAddress: string;
    /** "http://127.0.0.1:PORT" of the idempotency proxy in front of stripe-mock: STRIPE_API_BASE for tests. */
    stripeApiBase: string;
    /** stripe-mock itself, without the proxy (for the proxy's own tests). */
    stripeMockUrl: string;
  }
}

export const TEMPLATE_DATABASE = "template_switchboard";

/** Kysely's FileMigrationProvider imports migrations with Node's own import(), which cannot load .ts on Node 20. */
async function withTsLoader<T>(fn: () => Promise<T>): Promise<T> {
  const { register } = await import("tsx/esm/api");
  const unregister = register();
  try {
    return await fn();
  } finally {
    await unregister();
  }
}

async function pgPort(): Promise<number> {
  // The OS hands out ephemeral ports (well above 5432), but the rule is absolute, so check.
  for (;;) {
    const port = await freePort();
    if (port !== 5432) return port;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  keepFailingExitCode();
  const cfg = config();
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "switchboard-test-"));
  // As root, embedded-postgres runs PostgreSQL as a `postgres` system user and chowns only the
  // data dir itself; mkdtemp's 0700 would stop that user from reaching it.
  await fs.chmod(tmp, 0o755);

  const logs: string[] = [];
  const remember = (source: string) => (line: string) => {
    logs.push(`[${source}] ${line.trimEnd()}`);
    if (logs.length > 200) logs.shift();
  };

  let pg: EmbeddedPostgresHandle | undefined;
  let temporal: TemporalDevServer | undefined;
  let stripeMock: StripeMock | undefined;
  let stripeProxy: StripeIdempotencyProxy | undefined;
  const teardown = async () => {
    // Each step runs even if an earlier one fails, so nothing is left running.
    const errors: unknown[] = [];
    await temporal?.stop().catch((e) => errors.push(e));
    await stripeProxy?.stop().catch((e) => errors.push(e));
    await stripeMock?.stop().catch((e) => errors.push(e));
    await pg?.stop().catch((e) => errors.push(e));
    await fs.rm(tmp, { recursive: true, force: true }).catch((e) => errors.push(e));
    if (errors.length) throw new AggregateError(errors, "Test global teardown failed");
  };

  try {
    // PostgreSQL and Temporal start side by side; both take a few seconds.
    const startPg = (async () => {
      pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: await pgPort(), onLog: remember("postgres"), throwaway: true });
      await ensureDatabase(pg.serverUrl, TEMPLATE_DATABASE);
      const templateDb = createDb(pg.urlFor(TEMPLATE_DATABASE), { max: 1 });
      try {
        await withTsLoader(() => migrateToLatest(templateDb));
      } finally {
        // A template database must have no open connections, or CREATE DATABASE ... TEMPLATE fails.
        await templateDb.destroy();
      }
    })();
    const startTemporal = (async () => {
      const cliPath = await findOrBuildTemporalCli({
        cliPath: cfg.temporal.cliPath,
        pathEnv: cfg.systemPath,
        log: remember("temporal-cli"),
      });
      temporal = await startTemporalDevServer({
        cliPath,
        port: 0,
        namespace: "default",
        searchAttributes: { AccountId: "Keyword", TicketId: "Keyword" },
        onLog: remember("temporal"),
        // Mid-run, nothing else would say why every Temporal test suddenly gets "connection refused".
        onUnexpectedExit: ({ code, signal, recentOutput }) =>
          process.stderr.write(
            `\n[test harness] The Temporal dev server exited during the run (code ${code}, signal ${signal}); ` +
              `tests that use Temporal will fail.${signal === "SIGTERM" ? " SIGTERM came from outside this run: something else killed it." : ""}\n` +
              `${recentOutput}\n`,
          ),
      });
    })();
    const startStripe = (async () => {
      const binary = await findOrBuildStripeMock({
        // Test harness, like test/helpers/chromium.ts: read here rather than in the app's config.
        path: process.env.STRIPE_MOCK_PATH || undefined,
        pathEnv: cfg.systemPath,
        log: remember("stripe-mock"),
      });
      stripeMock = await startStripeMock({ binary, onLog: remember("stripe-mock") });
      stripeProxy = await startStripeIdempotencyProxy({ target: stripeMock.url });
    })();
    const results = await Promise.allSettled([startPg, startTemporal, startStripe]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed.length) {
      throw new AggregateError(
        failed.map((f) => f.reason),
        `Test global setup failed: ${failed.map((f) => String(f.reason?.message ?? f.reason)).join("; ")}\n` + `Recent server output:\n${logs.join("\n")}`,
      );
    }
  } catch (err) {
    await teardown().catch(() => {});
    throw err;
  }

  project.provide("pgServerUrl", pg!.serverUrl);
  project.provide("pgTemplate", TEMPLATE_DATABASE);
  project.provide("temporalAddress", temporal!.address);
  project.provide("stripeApiBase", stripeProxy!.url);
  project.provide("stripeMockUrl", stripeMock!.url);
  return teardown;
}
