/**
 * What every journey needs from the app `npm start` brought up: its URL, its
 * database, its Temporal, a clean demo state before each journey, and a
 * watched Chromium page that keeps a screenshot when a journey fails.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Client, Connection } from "@temporalio/client";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, inject } from "vitest";
import { parseConfig } from "../../../app/config.server.js";
import { createDb, type Db } from "../../../db/connection.js";
import { seedDemoData } from "../../../db/demo-seed.js";
import { screenshot, watchPage } from "../../helpers/browser.js";
import { chromiumPath, launchChromium } from "../../helpers/chromium.js";
import { truncateAll } from "../../helpers/database.js";

export interface Newcomer {
  url: string;
  db: Db;
  temporal: Client;
  browser: Browser;
  /** The secrets the app's web process runs with (from DATA_DIR/secrets.json). */
  config: ReturnType<typeof parseConfig>;
}

export { chromiumPath };

/**
 * Registers the hooks of a journey file: connect once, and before each journey
 * bring the app back to its freshly seeded demo state (running workflows
 * terminated, every table emptied, the demo data seeded again).
 */
export function useNewcomerApp(): Newcomer {
  let state: Newcomer | undefined;
  let connection: Connection | undefined;
  beforeAll(async () => {
    if (!chromiumPath) return;
    const url = inject("appUrl");
    const secrets = JSON.parse(readFileSync(path.join(inject("appDataDir"), "secrets.json"), "utf8")) as Record<string, string>;
    connection = await Connection.connect({ address: inject("appTemporalAddress") });
    state = {
      url,
      db: createDb(inject("appDatabaseUrl"), { max: 2 }),
      temporal: new Client({ connection }),
      browser: await launchChromium(),
      config: parseConfig({ ...secrets, PUBLIC_URL: url }),
    };
  });
  beforeEach(async () => {
    if (state) await resetToDemo(state);
  });
  afterAll(async () => {
    await state?.browser.close();
    await state?.db.destroy();
    await connection?.close();
  });
  return new Proxy({} as Newcomer, {
    get: (_t, key) => {
      if (!state) throw new Error("the newcomer app is not connected (no Chromium?)");
      return state[key as keyof Newcomer];
    },
  });
}

async function resetToDemo(s: Newcomer): Promise<void> {
  // Workflows left running by an earlier journey would act on rows that are about to go.
  for await (const w of s.temporal.workflow.list({ query: "ExecutionStatus = 'Running'" })) {
    await s.temporal.workflow
      .getHandle(w.workflowId, w.runId)
      .terminate("journey reset")
      .catch(() => {});
  }
  await truncateAll(s.db);
  await seedDemoData(s.db, s.config);
}

/**
 * A fresh browser context and page, watched for console errors, failed
 * requests and Content-Security-Policy violations (Chromium logs most as
 * console errors; the securitypolicyviolation event catches every one, on
 * every page of the context).
 */
export async function openPage(s: Newcomer, options: Parameters<typeof watchPage>[1] & { contextOptions?: Parameters<Browser["newContext"]>[0] } = {}) {
  const context: BrowserContext = await s.browser.newContext(options.contextOptions);
  let problems: string[] = [];
  await context.exposeBinding("__journeyCspViolation", (_source, text: string) => void problems.push(`CSP violation: ${text}`));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      const report = (window as unknown as { __journeyCspViolation: (text: string) => void }).__journeyCspViolation;
      void report(`${e.effectiveDirective} refused ${e.blockedURI || "(inline)"} on ${location.pathname}`);
    });
  });
  const page: Page = await context.newPage();
  problems = watchPage(page, options);
  return { context, page, problems };
}

/** How many CSP reports the app's web process has logged (POST /csp-report, app/routes/csp-report.ts). */
function cspReportsLogged(): number {
  try {
    const log = readFileSync(path.join(inject("appDataDir"), "logs", "web.log"), "utf8");
    return log.split("\n").filter((line) => line.includes('"msg":"csp violation reported"')).length;
  } catch {
    return 0;
  }
}

/**
 * Runs a journey's steps; on failure keeps a screenshot of every page and
 * names the page problems seen (a CSP report the web process received during
 * the journey is one); always closes the contexts.
 */
export async function journey(name: string, pages: { context: BrowserContext; page: Page; problems: string[] }[], steps: () => Promise<void>): Promise<void> {
  const reportsBefore = cspReportsLogged();
  try {
    await steps();
    const reports = cspReportsLogged() - reportsBefore;
    const problems = [
      ...pages.flatMap((p) => p.problems),
      ...(reports > 0 ? [`the web process received ${reports} CSP violation report(s) (see its log)`] : []),
    ];
    if (problems.length) throw new Error(`page problems:\n${problems.join("\n")}`);
  } catch (err) {
    await Promise.all(pages.map((p, i) => screenshot(p.page, `${name}-${i}`).catch(() => {})));
    throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${pages.flatMap((p) => p.problems).join("\n") || "none"}`, {
      cause: err,
    });
  } finally {
    await Promise.all(pages.map((p) => p.context.close()));
  }
}
