/**
 * What an operator scrapes: a real web process with METRICS_PORT and a real
 * worker with WORKER_METRICS_PORT (and OTLP traces sent to a collector this
 * test plays), on the run's PostgreSQL and Temporal. Each series that matters
 * must move when its work happens; /metrics is never on the public port; and
 * without the ports set, nothing listens but the public port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { enqueueMail } from "../app/mail/mailer.server.js";
import { createStatusChange } from "../app/models/accounts.server.js";
import { freePort } from "../dev/temporal-dev-server.js";
import { blockAccount } from "../workflows/block-account.js";
import { blockWorkflowId } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { useSuite } from "./helpers/suite.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const t = useSuite();
const taskQueue = `metrics-${randomUUID()}`;
const children: { child: ChildProcess; output: string[] }[] = [];

const processEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  NODE_ENV: "test",
  LOG_LEVEL: "info",
  DATABASE_URL: t.databaseUrl,
  TEMPORAL_ADDRESS: inject("temporalAddress"),
  TEMPORAL_TASK_QUEUE: taskQueue,
  SESSION_SECRET: "metrics-test-session-secret-0123456789abcdef",
  TOMBSTONE_SECRET: "metrics-test-tombstone-secret-0123456789abcdef",
  LIST_UNSUBSCRIBE_SECRET: "metrics-test-unsubscribe-secret-0123456789abcdef",
  STRIPE_WEBHOOK_SECRET: "whsec_metrics_test_webhook_secret_0123456789",
  ...extra,
});

function spawnServer(script: string, env: NodeJS.ProcessEnv) {
  const output: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (c) => output.push(String(c)));
  child.stderr?.on("data", (c) => output.push(String(c)));
  const proc = { child, output };
  children.push(proc);
  return proc;
}

/** Polls until `ready` says yes (hooks cannot use expect.poll); fails with the process's output. */
async function until(ready: () => Promise<boolean> | boolean, proc: { output: string[] }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`not ready in ${timeoutMs} ms:\n${proc.output.join("")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startWeb(extra: Record<string, string>) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnServer("server/web.ts", processEnv({ HOST: "127.0.0.1", PORT: String(port), PUBLIC_URL: url, ...extra }));
  await until(async () => (await fetch(`${url}/healthz`).catch(() => null))?.status === 200, proc, 60_000);
  return { ...proc, url, port };
}

const polling = (proc: { output: string[] }) => until(() => proc.output.join("").includes('"msg":"worker polling"'), proc, 90_000);

/** The TCP ports a process listens on, from /proc: its socket inodes matched against the kernel's listening sockets. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port (hex), f[3] state (0A = LISTEN), f[9] inode
      if (f.length > 9 && f[3] === "0A" && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(":")[1]!, 16));
    }
  }
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** The sum of a series' samples whose labels include `labels` (0 when there are none: not yet counted). */
function value(scrape: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of scrape.split("\n")) {
    if (line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
  }
  return sum;
}

const scrape = async (url: string) => {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.text();
};

/** An OTLP/HTTP collector stand-in: keeps what is posted to /v1/traces. */
let collector: Server;
let collectorUrl: string;
const exports: string[] = [];

let web: Awaited<ReturnType<typeof startWeb>>;
let webMetrics: string;
let worker: ReturnType<typeof spawnServer>;
let workerMetrics: string;

beforeAll(async () => {
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "POST" && req.url === "/v1/traces") exports.push(Buffer.concat(chunks).toString("utf8"));
      res.writeHead(200, { "Content-Type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => collector.listen(0, "127.0.0.1", r));
  collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;

  const [metricsPort, workerMetricsPort] = [await freePort(), await freePort()];
  webMetrics = `http://127.0.0.1:${metricsPort}/metrics`;
  workerMetrics = `http://127.0.0.1:${workerMetricsPort}/metrics`;
  web = await startWeb({ METRICS_PORT: String(metricsPort), OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl });
  // No SMTP_URL: outbox mail stays pending, as behind an SMTP server that is down.
  worker = spawnServer("server/worker.ts", processEnv({ WORKER_METRICS_PORT: String(workerMetricsPort), OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl }));
  await polling(worker);
});

afterAll(async () => {
  for (const { child } of children) child.kill("SIGTERM");
  await Promise.all(children.map(({ child }) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)))));
  await new Promise((r) => collector?.close(r));
});

const v1 = (path: string, key: string, body?: unknown) =>
  fetch(`${web.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("web: GET /metrics on METRICS_PORT", () => {
  it("is not on the public port", async () => {
    const res = await fetch(`${web.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("switchboard_http_requests_total");
    expect(listeningPorts(web.child.pid!)).toEqual([web.port, Number(new URL(webMetrics).port)].sort((a, b) => a - b));
  });

  it("counts /v1 requests by route group and a repeated key as verdict-cache hits", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    const before = await scrape(webMetrics);
    for (let i = 0; i < 3; i++) expect((await v1("/v1/account", a.key)).status).toBe(200);
    await fetch(`${web.url}/login`);
    const after = await scrape(webMetrics);

    const requests = (s: string, group: string, status: string) => value(s, "switchboard_http_requests_total", { group, status });
    expect(requests(after, "v1_account", "2xx") - requests(before, "v1_account", "2xx")).toBe(3);
    expect(requests(after, "auth", "2xx") - requests(before, "auth", "2xx")).toBe(1);
    expect(value(after, "switchboard_http_request_duration_seconds_count", { group: "v1_account" })).toBeGreaterThanOrEqual(3);
    const lookups = value(after, "switchboard_api_key_verdict_lookups_total") - value(before, "switchboard_api_key_verdict_lookups_total");
    const hits = value(after, "switchboard_api_key_verdict_cache_hits_total") - value(before, "switchboard_api_key_verdict_cache_hits_total");
    expect(lookups).toBe(3);
    expect(hits, "the first use looks the key up, the next two are answered from the cache").toBe(2);
    // Labels are groups, never paths, ids or keys.
    expect(after).not.toContain(a.accountId);
    expect(after).not.toContain(a.key.slice(0, 12));
    expect(after).not.toMatch(/group="\//);
  });

  it("shows usage debits going through group-commit batches", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    const before = await scrape(webMetrics);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => v1("/v1/usage", a.key, { amount_cents: 1, idempotency_key: randomUUID() }).then((r) => r.status)),
    );
    expect(answers.every((s) => s === 200 || s === 201)).toBe(true);
    const after = await scrape(webMetrics);
    const delta = (name: string, labels?: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
    expect(delta("switchboard_usage_batch_debits_sum"), "every debit was in exactly one batch").toBe(20);
    const batches = delta("switchboard_usage_batches_total", { outcome: "committed" });
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(20);
    expect(delta("switchboard_usage_batch_commit_seconds_count")).toBe(batches);
    expect(delta("switchboard_usage_batch_commit_seconds_sum")).toBeGreaterThan(0);
    expect(delta("switchboard_http_requests_total", { group: "v1_usage" })).toBe(20);
  });

  it("measures the change feed's lag, and reports the pool and the process", async () => {
    // The feed's first heartbeat goes out as it connects.
    await expect.poll(async () => value(await scrape(webMetrics), "switchboard_change_feed_lag_seconds_count"), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const s = await scrape(webMetrics);
    const lag = value(s, "switchboard_change_feed_lag_seconds_sum") / value(s, "switchboard_change_feed_lag_seconds_count");
    expect(lag).toBeGreaterThan(0);
    expect(lag).toBeLessThan(5);
    expect(value(s, "switchboard_change_feed_up")).toBe(1);
    expect(value(s, "switchboard_db_pool_connections")).toBeGreaterThanOrEqual(1);
    expect(s).toMatch(/^switchboard_db_pool_waiting_requests \d+$/m);
    expect(value(s, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(value(s, "nodejs_eventloop_lag_p99_seconds")).toBeGreaterThan(0);
  });
});

describe("worker: GET /metrics on WORKER_METRICS_PORT", () => {
  it("moves the SDK's workflow series when a workflow runs, and traces it over OTLP", async () => {
    const a = await accountWithKey(t.db);
    const before = await scrape(workerMetrics);
    const changeId = await createStatusChange(
      t.db,
      { accountId: a.accountId, action: "block", reasonCode: "abuse", reasonText: "metrics test", staffId: null },
      { type: "system", id: null },
    );
    const result = await t.temporal.client.workflow.execute(blockAccount, {
      taskQueue,
      workflowId: blockWorkflowId(a.accountId),
      args: [{ accountId: a.accountId, changeId }],
    });
    expect(result.outcome).toBe("blocked");
    const completed = (s: string) => value(s, "temporal_workflow_completed_total", { workflow_type: "blockAccount" });
    await expect.poll(async () => completed(await scrape(workerMetrics)) - completed(before), { timeout: 10_000 }).toBe(1);
    const after = await scrape(workerMetrics);
    expect(value(after, "temporal_activity_execution_latency_seconds_count", { activity_type: "setAccountBlocked" })).toBeGreaterThanOrEqual(1);
    expect(value(after, "temporal_workflow_task_schedule_to_start_latency_seconds_count")).toBeGreaterThan(
      value(before, "temporal_workflow_task_schedule_to_start_latency_seconds_count"),
    );
    expect(after).not.toContain(a.accountId);

    // The worker's spans reach the collector (batched: within seconds).
    await expect.poll(() => exports.some((e) => e.includes("RunWorkflow:blockAccount")), { timeout: 20_000 }).toBe(true);
    expect(exports.some((e) => e.includes("RunActivity:setAccountBlocked"))).toBe(true);
  });

  it("counts workflow task failures (the first alert in docs/operations.md)", async () => {
    const failures = async () => value(await scrape(workerMetrics), "temporal_workflow_task_execution_failed_total");
    const before = await failures();
    // A type no worker registered: each workflow task fails, and is retried, until terminated.
    const handle = await t.temporal.client.workflow.start("noSuchWorkflow", { taskQueue, workflowId: `metrics-no-such-${randomUUID()}`, args: [] });
    try {
      await expect.poll(failures, { timeout: 15_000, interval: 200 }).toBeGreaterThan(before);
    } finally {
      await handle.terminate("metrics test");
    }
  });

  it("reports the outbox's undelivered mail and how old the oldest is", async () => {
    const gauge = async () => {
      const s = await scrape(workerMetrics);
      return { undelivered: value(s, "switchboard_mail_outbox_undelivered"), age: value(s, "switchboard_mail_outbox_oldest_undelivered_age_seconds") };
    };
    expect((await gauge()).undelivered).toBe(0);
    const { id } = await enqueueMail(
      t.db,
      { to: "someone@example.com", subject: "Hello", text: "Hi", kind: "test", dedupeKey: `metrics-test:${randomUUID()}` },
      "smtp",
    );
    await t.db
      .updateTable("mail_outbox")
      .set({ created_at: new Date(Date.now() - 120_000) })
      .where("id", "=", id)
      .execute();
    await expect.poll(gauge, { timeout: 15_000, interval: 250 }).toMatchObject({ undelivered: 1 });
    expect((await gauge()).age).toBeGreaterThanOrEqual(120);
    expect(await scrape(workerMetrics)).not.toContain("someone@example.com");
  });
});

describe("without METRICS_PORT and WORKER_METRICS_PORT", () => {
  it("nothing listens but the public port", async () => {
    const plain = await startWeb({});
    expect(listeningPorts(plain.child.pid!)).toEqual([plain.port]);
    const bundle = path.join(root, "build", "workflow-bundle.js");
    const quiet = spawnServer("server/worker.ts", processEnv(existsSync(bundle) ? { WORKFLOW_BUNDLE: bundle } : {}));
    await polling(quiet);
    expect(listeningPorts(quiet.child.pid!)).toEqual([]);
  });
});
