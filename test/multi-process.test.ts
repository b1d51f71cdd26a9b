/**
 * More than one machine, in miniature: two real web processes and two real
 * workers on one database, one Temporal and one task queue. A key regenerated
 * through one web process is refused by the other within a second (the change
 * feed), though the other had it cached as valid; workflows started from
 * either web process complete, on both workers; a worker SIGKILLed with work
 * in flight loses nothing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startLocalOAuthServer, type LocalOAuthServer } from "../dev/local-oauth-server.js";
import { freePort } from "../dev/temporal-dev-server.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent } from "./helpers/user-agent.js";
import { deleteWorkflowId } from "../workflows/shared.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const t = useSuite();
let oauth: LocalOAuthServer;
const webs: { url: string; child: ChildProcess; output: string[] }[] = [];
const workers: { child: ChildProcess; output: string[] }[] = [];
const taskQueue = `multi-process-${randomUUID()}`;
const processEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  NODE_ENV: "test",
  LOG_LEVEL: "warn",
  DATABASE_URL: t.databaseUrl,
  TEMPORAL_ADDRESS: inject("temporalAddress"),
  TEMPORAL_TASK_QUEUE: taskQueue,
  SESSION_SECRET: "multi-process-test-session-secret-0123456789",
  TOMBSTONE_SECRET: "multi-process-test-tombstone-secret-0123456789",
  LIST_UNSUBSCRIBE_SECRET: "multi-process-test-unsubscribe-secret-0123456789",
  STRIPE_WEBHOOK_SECRET: "whsec_multi-process_test_webhook_secret_0123456789",
});

function startWorker(): (typeof workers)[number] {
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", "server/worker.ts"], { cwd: root, env: processEnv(), stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (c) => output.push(String(c)));
  child.stderr?.on("data", (c) => output.push(String(c)));
  const worker = { child, output };
  workers.push(worker);
  return worker;
}

async function startWeb(): Promise<(typeof webs)[number]> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", "server/web.ts"], {
    cwd: root,
    env: { ...processEnv(), HOST: "127.0.0.1", PORT: String(port), PUBLIC_URL: url, LOCAL_OAUTH_URL: oauth.url },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (c) => output.push(String(c)));
  child.stderr?.on("data", (c) => output.push(String(c)));
  const web = { url, child, output };
  webs.push(web);
  await expect.poll(async () => (await fetch(`${url}/healthz`).catch(() => null))?.status, { timeout: 30_000, interval: 100 }).toBe(200);
  return web;
}

beforeAll(async () => {
  oauth = await startLocalOAuthServer({ port: 0, demoIdentities: [] });
});
afterAll(async () => {
  const all = [...webs, ...workers].map((p) => p.child);
  for (const c of all) c.kill("SIGTERM");
  await Promise.all(all.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once("exit", r)))));
  await oauth?.stop();
});

const status = async (web: { url: string }, key: string) => (await fetch(`${web.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } })).status;

describe("revocation across web processes", () => {
  it("a key regenerated through web A gets 401 from web B within a second", async () => {
    const [a, b] = await Promise.all([startWeb(), startWeb()]);
    const person = new UserAgent(a.url);
    const welcome = await person.signIn("github", { email: "two-procs@example.com" });
    const oldKey = /tgp_v1_[A-Za-z0-9_-]{43}/.exec(welcome.body)?.[0];
    expect(oldKey, "the welcome page shows the new account's main key").toBeDefined();
    // Both processes now hold the key as valid in their caches.
    expect(await status(a, oldKey!)).toBe(200);
    expect(await status(b, oldKey!)).toBe(200);

    const regenerated = await person.submit("/settings/api-keys", "/settings/api-keys", { intent: "regenerate" });
    const revokedAt = Date.now();
    const newKey = /tgp_v1_[A-Za-z0-9_-]{43}/.exec(regenerated.body)?.[0];
    expect(newKey).toBeDefined();
    expect(newKey).not.toBe(oldKey);

    expect(await status(a, oldKey!)).toBe(401); // the process that revoked: at once
    await expect.poll(() => status(b, oldKey!), { timeout: 1000, interval: 5 }).toBe(401);
    const elapsed = Date.now() - revokedAt;
    expect(elapsed).toBeLessThan(1000);
    expect(await status(b, newKey!)).toBe(200);
    expect(webs.flatMap((w) => w.output).join("")).not.toContain("two-procs@example.com");
  });
});

/** Signs a new person up on `web` and asks for their deletion there; returns their account id. */
async function deletionThrough(web: { url: string }, email: string): Promise<string> {
  const person = new UserAgent(web.url);
  await person.signIn("google", { email });
  const asked = await person.submit("/settings/delete-account", "/settings/delete-account", { email });
  expect(asked.status, `deletion request on ${web.url}`).toBe(302);
  const row = await t.db
    .selectFrom("account_deletions")
    .select("account_id")
    .where("source", "=", "self")
    .orderBy("created_at", "desc")
    .executeTakeFirstOrThrow();
  return row.account_id;
}

/** The workers (by identity, "pid@host") that ran a workflow's tasks. */
async function workerIdentities(workflowId: string): Promise<Set<string>> {
  const history = await t.temporal.client.workflow.getHandle(workflowId).fetchHistory();
  const ids = new Set<string>();
  for (const e of history.events ?? []) {
    const identity = e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
    if (identity) ids.add(identity);
  }
  return ids;
}

describe("two web processes and two workers", () => {
  it("workflows started from either web process complete, on either worker; killing a worker mid-run loses nothing", { timeout: 150_000 }, async () => {
    const [a, b] = webs.length >= 2 ? webs : await Promise.all([startWeb(), startWeb()]);
    const first = startWorker();
    const second = startWorker();

    // Ten deletions, alternating between the two web processes, one after another (each reads its own request row).
    const accounts: string[] = [];
    for (let i = 0; i < 10; i++) accounts.push(await deletionThrough(i % 2 === 0 ? a! : b!, `multi-${i}@example.com`));
    const results = await Promise.all(accounts.map((id) => t.temporal.client.workflow.getHandle(deleteWorkflowId(id)).result()));
    expect(results.every((r) => r.outcome === "deleted")).toBe(true);
    const identities = new Set<string>();
    for (const id of accounts) for (const w of await workerIdentities(deleteWorkflowId(id))) identities.add(w);
    const pids = new Set([...identities].map((i) => i.split("@")[0]));
    expect(pids, "both workers took part").toEqual(new Set([String(first.child.pid), String(second.child.pid)]));

    // Now kill one worker while it holds work in flight: the other finishes everything, each step once.
    // The second worker is paused while the first takes the new work, so the kill surely lands mid-run.
    second.child.kill("SIGSTOP");
    const more: string[] = [];
    for (let i = 10; i < 20; i++) more.push(await deletionThrough(i % 2 === 0 ? a! : b!, `multi-${i}@example.com`));
    await expect
      .poll(
        async () => (await t.db.selectFrom("account_deletions").select("id").where("account_id", "in", more).where("status", "=", "running").execute()).length,
        { timeout: 30_000, interval: 50 },
      )
      .toBeGreaterThan(0);
    first.child.kill("SIGKILL");
    second.child.kill("SIGCONT");
    const after = await Promise.all(more.map((id) => t.temporal.client.workflow.getHandle(deleteWorkflowId(id)).result()));
    expect(after.every((r) => r.outcome === "deleted")).toBe(true);
    for (const id of more) {
      const row = await t.db.selectFrom("account_deletions").select(["status", "steps"]).where("account_id", "=", id).executeTakeFirstOrThrow();
      expect(row.status).toBe("completed");
      const names = row.steps.map((s) => s.step);
      expect(new Set(names).size, "each step recorded once").toBe(names.length);
    }
    expect([...webs, ...workers].flatMap((p) => p.output).join("")).not.toMatch(/multi-\d+@example\.com/);
  });
});
