/**
 * The fault run itself, shared by `npm run test:faults` (test/faults/run-faults.ts: the Temporal dev
 * server, one web process, one worker) and `npm run test:cluster` (test/cluster/run-cluster.ts: the
 * real Temporal server on PostgreSQL, two web processes, two workers). See run-faults.ts for what it
 * does and what it checks; the settings below are what the two differ in.
 *
 * Several web processes: every HTTP request of the scenario (usage debits, Stripe's webhooks) goes
 * to the next one in turn, and each must answer 503 while PostgreSQL is down and recover by itself.
 * Several workers: each slot keeps one worker process alive; a random kill picks a slot at random;
 * the kill between a charge and its ledger entry picks the worker that runs that activity (the
 * pending activity's last worker identity, `pid@host`), or every worker when that is unknown.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { Client } from "@temporalio/client";
import { parseConfig } from "../../app/config.server.js";
import { createLogger } from "../../app/logger.server.js";
import type { Db } from "../../db/connection.js";
import { startStripeIdempotencyProxy, type HeldStripeRequest, type StripeIdempotencyProxy } from "../../dev/stripe-idempotency-proxy.js";
import { findOrBuildStripeMock, startStripeMock } from "../../dev/stripe-mock.js";
import { writeWorkflowBundle } from "../../server/workflow-bundle.js";
import { rechargeWorkflowId } from "../../workflows/shared.js";
import {
  Checker,
  checkDeletions,
  checkMail,
  checkRecharges,
  checkTransfers,
  checkWorkflows,
  listRechargeRuns,
  type DuplicateReport,
  type FaultEvent,
} from "./invariants.js";
import {
  cleanup,
  elapsed,
  isCleaning,
  httpStatus,
  log,
  MailSink,
  makeTempDir,
  NAMESPACE,
  onCleanup,
  Postgres,
  safePort,
  seededRandom,
  setLogName,
  setVerbose,
  sleep,
  spawnApp,
  temporalClient,
  type Child,
  type TemporalUnderTest,
} from "./infra.js";
import {
  StripeWebhooks,
  TicketBoard,
  createDeletionCase,
  createRechargeCase,
  createStaff,
  createTransferCase,
  driveDeletion,
  driveRecharge,
  driveTransfer,
  type DeletionCase,
  type Deps,
  type RechargeCase,
  type TransferCase,
} from "./scenario.js";

export interface FaultRunSettings {
  /** In every log line, and the prefix of the environment variables named in messages ("faults" → FAULTS_…). */
  name: string;
  transfers: number;
  deletions: number;
  recharges: number;
  heldKills: number;
  minKills: number;
  seed: number;
  rampSeconds: number;
  drainSeconds: number;
  pgDownSeconds: number;
  temporalDownSeconds: number;
  verbose: boolean;
  allowDocumentedDuplicates: boolean;
  /** Web processes, each on its own port. */
  webs: number;
  /** Worker processes alive at once. */
  workers: number;
  /**
   * The Temporal service of the run (not started yet). `pgReady` resolves once PostgreSQL has
   * started and the app's database is migrated, for a Temporal that keeps its state there too.
   */
  temporal(ctx: { tmp: string; pg: Postgres; pgReady: Promise<unknown> }): Promise<TemporalUnderTest>;
}

/** A worker is SIGKILLed this long (uniform, ms) after it started polling. */
const UPTIME_MS: [number, number] = [200, 2_500];
const TASK_QUEUE = "faults";
const READY_TIMEOUT_MS = 60_000;
const HEALTH_TIMEOUT_MS = 60_000;
/** A safety net: a worker that can no longer start must not keep the run going forever. */
const MAX_FAULT_PHASE_MS = 10 * 60_000;
const PAYMENT_INTENTS = "/v1/payment_intents";

interface ExitRecord {
  pid: number;
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  tail: string;
}

type EventFn = (kind: FaultEvent["kind"], detail: string) => void;

// ---------------------------------------------------------------------------
// The worker supervisor: `slots` workers alive at all times; SIGKILL on demand.

class WorkerSupervisor {
  /** The live worker of each slot. */
  readonly current: Array<Child | null>;
  spawned = 0;
  /** Exits we did not cause. */
  readonly unexpectedExits: ExitRecord[] = [];
  private killing = new Set<number>();
  private stopped = false;
  constructor(
    slots: number,
    private readonly env: Record<string, string>,
    private readonly temporal: Client,
    private readonly event: EventFn,
  ) {
    this.current = Array.from({ length: slots }, () => null);
  }

  spawn(slot: number): Child {
    const child = spawnApp(this.current.length > 1 ? `worker ${slot + 1}` : "worker", "server/worker.ts", this.env);
    this.spawned++;
    this.current[slot] = child;
    void child.exited.then(({ code, signal }) => {
      if (this.killing.delete(child.pid) || this.stopped || isCleaning()) return;
      this.unexpectedExits.push({ pid: child.pid, at: Date.now(), code, signal, tail: child.tail() });
      this.event("crash", `worker ${child.pid} (code ${code}, signal ${signal})`);
      log(`worker ${child.pid} exited by itself (code ${code}, signal ${signal}); restarting it: ${lastError(child.tail())}`);
      // Not in a hot loop: a worker that cannot start (database down) waits a moment.
      if (this.current[slot] === child) setTimeout(() => !this.stopped && this.current[slot] === child && this.spawn(slot), 1_000);
    });
    return child;
  }

  spawnAll() {
    for (let slot = 0; slot < this.current.length; slot++) this.spawn(slot);
  }

  /** The slot whose live worker has this pid. */
  slotOf(pid: number): number | undefined {
    const slot = this.current.findIndex((c) => c?.pid === pid && c.isAlive());
    return slot >= 0 ? slot : undefined;
  }

  /** Resolves true once `child` polls the task queue (its identity is `pid@host`), false if it died or took too long. */
  async waitPolling(child: Child, timeoutMs = READY_TIMEOUT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && child.isAlive()) {
      try {
        const r = await this.temporal.withDeadline(Date.now() + 2_000, () =>
          this.temporal.workflowService.describeTaskQueue({ namespace: NAMESPACE, taskQueue: { name: TASK_QUEUE, kind: 1 }, taskQueueType: 1 }),
        );
        if (r.pollers?.some((p) => p.identity?.startsWith(`${child.pid}@`))) return true;
      } catch {
        // Temporal restarting: keep asking.
      }
      await sleep(200);
    }
    return false;
  }

  /** Every slot's worker polls (false if one died or took too long). */
  async waitAllPolling(timeoutMs = READY_TIMEOUT_MS): Promise<boolean> {
    const live = this.current.filter((c): c is Child => c !== null);
    if (live.length < this.current.length) return false;
    return (await Promise.all(live.map((c) => this.waitPolling(c, timeoutMs)))).every(Boolean);
  }

  async kill(slot: number, why?: string): Promise<void> {
    const child = this.current[slot];
    if (!child || !child.isAlive()) return;
    this.killing.add(child.pid);
    child.process.kill("SIGKILL");
    this.event("kill", `worker ${child.pid}${why ? ` ${why}` : ""}`);
    await child.exited;
    this.spawn(slot); // at once, as a process manager would
  }

  stop() {
    this.stopped = true;
  }
}

// ---------------------------------------------------------------------------
// Kills between a charge and its ledger entry.

/**
 * The proxy holds back the answer of one charge at a time (made at stripe-mock and saved for
 * replay, so "Stripe" has charged); the fault loop SIGKILLs the worker waiting for it. Armed
 * again after each, until `heldKills` or until no recharge is left that has yet to charge.
 */
class HeldCharges {
  /** Charges whose worker was SIGKILLed while their answer was held. */
  readonly killed: HeldStripeRequest[] = [];
  private heldInLogAtArm = -1;
  constructor(
    private readonly proxy: StripeIdempotencyProxy | null,
    private readonly recharges: RechargeCase[],
    private readonly heldKills: number,
  ) {}

  private charges() {
    return this.proxy?.requests({ path: PAYMENT_INTENTS, method: "POST" }) ?? [];
  }

  /** Answers held now (a held answer whose caller died drops out of the list by itself). */
  now(): HeldStripeRequest[] {
    return this.proxy?.held() ?? [];
  }

  /** Another kill is asked for and can still happen: a recharge has yet to charge. */
  wanted(): boolean {
    if (!this.proxy || this.killed.length >= this.heldKills) return false;
    const charged = new Set(this.charges().map((r) => (r.body as { metadata?: { account_id?: string } }).metadata?.account_id));
    return this.recharges.some((rc) => rc.finishedAt === undefined && !charged.has(rc.accountId));
  }

  /** Holds the next charge's answer, unless a hold is still waiting for its charge or an answer is held now. */
  arm(): void {
    if (!this.wanted()) return;
    const inLog = this.charges().filter((r) => r.held).length;
    if (inLog === this.heldInLogAtArm || this.now().length > 0) return;
    this.proxy!.hold({ hold: 1, path: PAYMENT_INTENTS, method: "POST" });
    this.heldInLogAtArm = inLog;
  }

  /** Held answers that ended some other way (the caller's SDK timed out first, or a random kill got there). */
  slipped(): number {
    return this.charges().filter((r) => r.held && !this.killed.some((k) => k.seq === r.seq)).length - this.now().length;
  }
}

/** The pid of the worker running the recharge activity whose charge this is (its `pid@host` identity), if Temporal says. */
async function workerOfCharge(temporal: Client, h: HeldStripeRequest): Promise<number | undefined> {
  const accountId = (h.body as { metadata?: { account_id?: string } }).metadata?.account_id;
  if (!accountId) return undefined;
  try {
    const d = await temporal.withDeadline(Date.now() + 3_000, () => temporal.workflow.getHandle(rechargeWorkflowId(accountId)).describe());
    const identities = (d.raw.pendingActivities ?? []).map((a) => a.lastWorkerIdentity ?? "").filter(Boolean);
    const pids = new Set(identities.map((id) => Number(/^(\d+)@/.exec(id)?.[1])).filter((n) => Number.isInteger(n) && n > 0));
    return pids.size === 1 ? [...pids][0] : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------

async function waitHealth(url: string, want: number, timeoutMs: number): Promise<{ ok: boolean; ms: number; last: string }> {
  const start = Date.now();
  let last = "";
  while (Date.now() - start < timeoutMs) {
    const h = await httpStatus(url, 3_000);
    last = `${h.status} ${h.body}`;
    if (h.status === want) return { ok: true, ms: Date.now() - start, last };
    await sleep(100);
  }
  return { ok: false, ms: Date.now() - start, last };
}

async function outboxBusy(db: Db): Promise<number> {
  const r = await db
    .selectFrom("mail_outbox")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("status", "in", ["pending", "sending"])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** stripe-mock behind the idempotency proxy, both in this run's hands; the app's Stripe settings point at the proxy. */
async function startStripe(): Promise<{ proxy: StripeIdempotencyProxy; env: Record<string, string> }> {
  const binary = await findOrBuildStripeMock({ path: process.env.STRIPE_MOCK_PATH, pathEnv: process.env.PATH, log: (m) => log(m) });
  const mock = await startStripeMock({ binary });
  onCleanup(() => mock.stop());
  const proxy = await startStripeIdempotencyProxy({ target: mock.url });
  onCleanup(() => proxy.stop());
  const env = {
    PAYMENT_PROVIDER: "stripe",
    // stripe-mock takes any sk_test_ followed by letters and digits; the webhook secret is this run's own.
    STRIPE_SECRET_KEY: `sk_test_faults${randomBytes(12).toString("hex")}`,
    STRIPE_WEBHOOK_SECRET: `whsec_faults${randomBytes(16).toString("hex")}`,
    STRIPE_API_BASE: proxy.url,
  };
  log(`stripe-mock on ${mock.url}, the idempotency proxy on ${proxy.url}`);
  return { proxy, env };
}

interface Web {
  name: string;
  child: Child;
  url: string;
  health: string;
  /** Requests of the scenario sent to it. */
  requests: number;
}

async function runFaults(s: FaultRunSettings): Promise<number> {
  const started = Date.now();
  const ENV = s.name.toUpperCase();
  const rnd = seededRandom(s.seed);
  const between = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo));
  const events: FaultEvent[] = [];
  const event: EventFn = (kind, detail) => events.push({ at: Date.now(), kind, detail });

  const tmp = await makeTempDir();
  const mail = new MailSink();
  const smtpUrl = await mail.start();
  const pg = new Postgres(path.join(tmp, "pg"), await safePort());
  const pgReady = pg.create();
  pgReady.catch(() => {}); // awaited below; a Temporal waiting on it must not make it unhandled
  const temporal = await s.temporal({ tmp, pg, pgReady });
  log(
    `seed ${s.seed}: ${s.transfers} transfers, ${s.deletions} deletions, ${s.recharges} recharges (Stripe), at least ${s.minKills} worker kills, one PostgreSQL restart, one restart of ${temporal.title}; ${s.webs} web process(es), ${s.workers} worker(s)`,
  );
  // Workers start from a prebuilt bundle, as in production: 20+ restarts then cost no webpack run each.
  const workflowBundle = path.join(tmp, "workflow-bundle.js");
  const [db, , , stripe] = await Promise.all([
    pgReady,
    temporal.start(),
    writeWorkflowBundle(workflowBundle),
    s.recharges > 0 ? startStripe() : Promise.resolve(null),
  ]);
  const { client } = await temporalClient(temporal.address);
  log(`PostgreSQL on ${pg.port}, ${temporal.title} on ${temporal.address}, SMTP on ${mail.port}`);

  const appEnv = {
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: NAMESPACE,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    WORKFLOW_BUNDLE: workflowBundle,
    SMTP_URL: smtpUrl,
    NODE_ENV: "development",
    LOG_LEVEL: "warn",
    // Throwaway processes on throwaway data: the built-in secrets are fine, and must be asked for.
    ALLOW_DEV_SECRETS: "1",
    // Recharges charge through the Stripe provider (stripe-mock); without them, the test provider.
    ...(stripe?.env ?? {}),
  };
  const webs: Web[] = [];
  for (let i = 0; i < s.webs; i++) {
    const port = await safePort();
    const name = s.webs > 1 ? `web ${i + 1}` : "web";
    const child = spawnApp(name, "server/web.ts", { ...appEnv, PORT: String(port), HOST: "127.0.0.1" });
    webs.push({ name, child, url: `http://127.0.0.1:${port}`, health: `http://127.0.0.1:${port}/healthz`, requests: 0 });
  }
  let nextWeb = 0;
  /** The web process for the next request, in turn. */
  const webUrl = () => {
    const w = webs[nextWeb++ % webs.length];
    w.requests++;
    return w.url;
  };
  const supervisor = new WorkerSupervisor(s.workers, appEnv, client, event);
  supervisor.spawnAll();

  // Fixtures while the webs and the first workers start.
  const config = parseConfig({ ...appEnv, PORT: "3000", HOST: "127.0.0.1" });
  const staffIds = await createStaff(db);
  const transfers: TransferCase[] = [];
  for (let i = 0; i < s.transfers; i++) transfers.push(await createTransferCase(db, i, rnd, config.transfer.secondApproverAboveCents));
  const deletions: DeletionCase[] = [];
  for (let i = 0; i < s.deletions; i++) deletions.push(await createDeletionCase(db, i));
  const recharges: RechargeCase[] = [];
  for (let i = 0; i < s.recharges; i++) recharges.push(await createRechargeCase(db, i, rnd));
  log(
    `fixtures: ${transfers.length * 2} transfer accounts (${transfers.filter((t) => t.approvalsNeeded === 2).length} need two approvers), ${deletions.length} people to delete, ${recharges.length} accounts with a saved card and a recharge rule`,
  );

  for (const w of webs) {
    const up = await waitHealth(w.health, 200, HEALTH_TIMEOUT_MS);
    if (!up.ok) throw new Error(`${w.name} never became healthy (${up.last}). Its output:\n${w.child.tail()}`);
  }
  for (const worker of supervisor.current) {
    if (!(await supervisor.waitPolling(worker!))) throw new Error(`a first worker never polled. Its output:\n${worker!.tail()}`);
  }
  log(`${webs.length > 1 ? `${webs.length} webs` : "web"} and ${s.workers > 1 ? `${s.workers} workers` : "worker"} up`);

  // ---- the run: drivers start over the ramp; faults run beside them
  let deadlineAt = Infinity;
  const board = new TicketBoard(db);
  board.start();
  const webhooks = new StripeWebhooks({ webUrl, secret: config.payments.webhookSecret, requests: (f) => stripe?.proxy.requests(f) ?? [] });
  const deps: Deps = {
    board,
    db,
    temporal: client,
    config,
    logger: createLogger(s.verbose ? "warn" : "silent", s.name),
    mail,
    deadline: () => deadlineAt,
    verbose: s.verbose,
    webUrl,
    stripe: webhooks,
  };
  // The first charge to reach "Stripe" has its answer held, before any driver starts.
  const held = new HeldCharges(stripe?.proxy ?? null, recharges, s.heldKills);
  held.arm();
  const order = [
    ...transfers.map((t) => ({ kind: "transfer" as const, t })),
    ...deletions.map((d) => ({ kind: "deletion" as const, d })),
    ...recharges.map((r) => ({ kind: "recharge" as const, r })),
  ].sort(() => rnd() - 0.5);
  let finished = 0;
  const total = order.length;
  const runs = order.map(async (job, i) => {
    await sleep(total > 1 ? Math.floor((s.rampSeconds * 1000 * i) / (total - 1)) : 0);
    if (job.kind === "transfer") await driveTransfer(deps, job.t, staffIds);
    else if (job.kind === "deletion") await driveDeletion(deps, job.d);
    else await driveRecharge(deps, job.r);
    finished++;
  });
  const inFlight = () => total - finished;

  const pgAt = Math.ceil(s.minKills / 3);
  const temporalAt = Math.ceil((2 * s.minKills) / 3);
  let killsInFlight = 0;
  const faults = { pgRestarts: 0, temporalRestarts: 0 };
  const checker = new Checker();
  const each = <T>(fn: (w: Web) => Promise<T>) => Promise.all(webs.map(fn));

  const restartPostgres = async () => {
    log(`PostgreSQL: stopping (${inFlight()} workflows in flight)`);
    event("pg-stop", "");
    await pg.stop();
    await each(async (w) => {
      const down = await waitHealth(w.health, 503, 30_000);
      checker.check(
        "web answers 503 while the database is down",
        down.ok && /"db":"down"/.test(down.last),
        () => `${w.name}: /healthz answered ${down.last} within ${down.ms} ms of the stop`,
      );
      log(`PostgreSQL down: ${w.name} /healthz ${down.last} after ${down.ms} ms`);
    });
    await sleep(s.pgDownSeconds * 1000);
    await pg.start();
    event("pg-start", "");
    await each(async (w) => {
      const up = await waitHealth(w.health, 200, HEALTH_TIMEOUT_MS);
      checker.check(
        "web recovers by itself after the database restart",
        up.ok,
        () => `${w.name}: /healthz still ${up.last} ${up.ms} ms after PostgreSQL started`,
      );
      log(`PostgreSQL up again: ${w.name} /healthz 200 after ${up.ms} ms`);
    });
    faults.pgRestarts++;
  };

  const restartTemporal = async () => {
    const workers = supervisor.current.filter((c): c is Child => c !== null);
    log(`Temporal: stopping ${temporal.title} (${inFlight()} workflows in flight)`);
    event("temporal-stop", "");
    await temporal.stop();
    await each(async (w) => {
      const down = await waitHealth(w.health, 503, 30_000);
      log(`Temporal down: ${w.name} /healthz ${down.last} after ${down.ms} ms`);
    });
    await sleep(s.temporalDownSeconds * 1000);
    await temporal.start();
    event("temporal-start", "");
    await each(async (w) => {
      const up = await waitHealth(w.health, 200, HEALTH_TIMEOUT_MS);
      checker.check(
        "web recovers by itself after the Temporal restart",
        up.ok,
        () => `${w.name}: /healthz still ${up.last} ${up.ms} ms after Temporal started`,
      );
      log(`Temporal up again: ${w.name} /healthz 200 after ${up.ms} ms`);
    });
    // The same worker processes (those not killed meanwhile) must poll again without a restart.
    await Promise.all(
      workers.map(async (worker) => {
        if (!supervisor.current.includes(worker) || !worker.isAlive()) return;
        const polls = await supervisor.waitPolling(worker, 60_000);
        checker.check(
          "worker reconnects by itself after the Temporal restart",
          polls,
          () => `worker ${worker.pid} did not poll again within 60 s of Temporal's restart`,
        );
        log(`worker ${worker.pid} ${polls ? "polls again" : "did NOT poll again"} after the Temporal restart`);
      }),
    );
    faults.temporalRestarts++;
  };

  // ---- a kill between a charge and its ledger entry: "Stripe" made the PaymentIntent and saved it
  // for replay, its answer is in flight to the worker, and the worker dies. The retried activity
  // must get the same PaymentIntent (same idempotency key), not make a second.
  const earlyWebhooks: Promise<unknown>[] = [];
  let kills = 0;
  /**
   * SIGKILLs the workers of `slots`. A killed one's held answers leave the list once the proxy sees
   * its connection close (waited for after each kill), so an answer held at this moment and no longer
   * held afterwards was the killed worker's own: a kill between its charge and the ledger entry.
   */
  const killWorkers = async (slots: number[], answers: HeldStripeRequest[]): Promise<boolean> => {
    const victims = slots.map((slot) => ({ slot, worker: supervisor.current[slot] })).filter((v) => v.worker?.isAlive());
    if (victims.length === 0) return false;
    const busy = inFlight();
    const why = answers.length ? `between charge and ledger (${answers.map((h) => h.responseId).join(", ")} made, answer in flight)` : undefined;
    await Promise.all(victims.map((v) => supervisor.kill(v.slot, why)));
    kills += victims.length;
    if (busy > 0) killsInFlight += victims.length;
    const uptime = victims.map((v) => `worker ${v.worker!.pid} after ${((Date.now() - v.worker!.startedAt) / 1000).toFixed(1)} s`).join(", ");
    // Their connections died with them: what they were still waiting for is dropped, never answered late.
    const mine = new Set([...answers, ...held.now()].map((h) => h.seq));
    const left = () => held.now().filter((h) => mine.has(h.seq));
    const deadline = Date.now() + 5_000;
    while (left().length > 0 && Date.now() < deadline) await sleep(20);
    const lost = left().length === 0;
    if (answers.length > 0 || !lost) {
      checker.check(
        "a killed worker's charge answer is lost with it",
        lost,
        () => `answers ${left().map((h) => h.seq)} still held 5 s after ${victims.map((v) => `worker ${v.worker!.pid}`).join(", ")} SIGKILLed`,
      );
    }
    if (!lost) stripe?.proxy.release();
    if (answers.length === 0) {
      log(`kill ${kills}: ${uptime} (${busy} workflows in flight)`);
      held.arm();
      return true;
    }
    held.killed.push(...answers);
    log(
      `kill ${kills}: ${uptime}, between the charge and the ledger entry: ${answers.map((h) => `${h.responseId} (${h.idempotencyKey})`).join(", ")} made at Stripe, the answer in flight (${busy} workflows in flight)`,
    );
    // Stripe's event may come before the retried activity has even recorded the PaymentIntent: the first kill's, at once.
    if (held.killed.length === answers.length) {
      for (const h of answers) {
        const intent = StripeWebhooks.intentOf(h);
        const rc = recharges.find((r) => r.accountId === intent?.accountId);
        if (intent && rc) earlyWebhooks.push(webhooks.deliver(deps, rc, intent, "right after the kill, before the retry"));
      }
    }
    held.arm();
    return true;
  };
  /** The kill of the worker that waits for a held answer: the one Temporal names, else all of them. */
  const killHolder = async (): Promise<boolean> => {
    const answers = held.now();
    const all = supervisor.current.map((_, slot) => slot);
    if (answers.length === 0 || all.length === 1) return killWorkers(all, answers);
    const pid = await workerOfCharge(client, answers[0]);
    const slot = pid === undefined ? undefined : supervisor.slotOf(pid);
    return killWorkers(slot === undefined ? all : [slot], answers);
  };
  /** Sleeps `ms`, or less when a charge's answer is held meanwhile. */
  const watchHeld = async (ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until && held.now().length === 0) await sleep(Math.min(25, until - Date.now()));
  };

  // ---- fault loop. Each fault meets workers that are up and polling: the restarts test whether
  // running workers ride them out by themselves, the kills hit one at a random moment of its work.
  const faultsUntil = Date.now() + MAX_FAULT_PHASE_MS;
  while (kills < s.minKills || faults.pgRestarts < 1 || faults.temporalRestarts < 1 || held.wanted() || held.now().length > 0) {
    if (Date.now() > faultsUntil) {
      log(`the fault phase ran over ${MAX_FAULT_PHASE_MS / 60_000} minutes (a worker that never polls?); stopping it`);
      break;
    }
    if (inFlight() === 0) {
      log(`every workflow finished after ${kills} kills: too early for the faults asked for (raise ${ENV}_TRANSFERS/${ENV}_DELETIONS)`);
      break;
    }
    if (held.now().length > 0) {
      // A charge's answer is in flight to a worker. (None alive: it crashed, and its connection closes in a moment.)
      if (!(await killHolder())) await sleep(20);
      continue;
    }
    held.arm();
    const slot = between(0, supervisor.current.length);
    const worker = supervisor.current[slot];
    if (!worker || !(await supervisor.waitPolling(worker))) {
      await sleep(250); // died by itself (the supervisor restarts it) or slow to start
      continue;
    }
    if ((kills >= pgAt && faults.pgRestarts < 1) || (kills >= temporalAt && faults.temporalRestarts < 1)) {
      if (!(await supervisor.waitAllPolling())) {
        await sleep(250);
        continue;
      }
      if (faults.pgRestarts < 1) await restartPostgres();
      else await restartTemporal();
      continue;
    }
    if (kills >= s.minKills) {
      await watchHeld(500); // only the kills between a charge and its ledger entry are still to come
      continue;
    }
    // At a random moment of its work, or at once when a charge's answer is held meanwhile.
    await watchHeld(between(...UPTIME_MS));
    if (held.now().length > 0) continue; // the holder's kill, next round
    if (supervisor.current[slot] !== worker || !worker.isAlive()) continue;
    await killWorkers([slot], []);
  }
  checker.check(
    `at least ${ENV}_MIN_KILLS kills while workflows were in flight`,
    killsInFlight >= s.minKills,
    () => `only ${killsInFlight} of ${s.minKills} kills hit in-flight workflows`,
  );
  checker.check("PostgreSQL restarted once mid-run", faults.pgRestarts === 1, () => `${faults.pgRestarts} PostgreSQL restarts`);
  if (s.recharges > 0 && s.heldKills > 0) {
    checker.check(
      "at least one kill between a charge and its ledger entry",
      held.killed.length >= 1,
      () => `no charge's answer was held when its worker was killed (${held.slipped()} held answers ended otherwise)`,
    );
  }
  checker.check("Temporal restarted once mid-run", faults.temporalRestarts === 1, () => `${faults.temporalRestarts} Temporal restarts`);

  // ---- drain: no more faults; everything has drainSeconds to finish
  deadlineAt = Date.now() + s.drainSeconds * 1000;
  log(`faults done (${kills} kills, ${inFlight()} workflows in flight); waiting up to ${s.drainSeconds} s for the rest`);
  const progress = setInterval(() => log(`${inFlight()} workflows in flight`), 15_000);
  // No more faults: a hold still armed (its charge never came) must not keep an answer back.
  const releaser = stripe ? setInterval(() => stripe.proxy.release(), 100) : undefined;
  await Promise.all(runs);
  await Promise.all(earlyWebhooks);
  clearInterval(releaser);
  // Mail caused by the last steps, and any a killed dispatcher left under its lease.
  while (Date.now() < deadlineAt) {
    const busy = await outboxBusy(db).catch(() => -1);
    if (busy === 0) break;
    await sleep(500);
  }
  clearInterval(progress);
  board.stop();
  const stillQueued = await outboxBusy(db);
  log(`all drivers done; ${stillQueued} mails still pending or sending`);
  supervisor.stop();

  // ---- invariants
  for (const w of webs) checker.check("web never exited", w.child.isAlive(), () => `${w.name} exited. Its output:\n${w.child.tail()}`);
  checker.check(
    `${temporal.title} never exited by itself`,
    temporal.unexpectedExits === 0,
    () => `${temporal.unexpectedExits} exit(s) of ${temporal.title} the script did not cause`,
  );
  // The workers must ride out the restarts by themselves; the supervisor restarting them hides nothing here.
  checker.check(
    "worker never exited except when killed",
    supervisor.unexpectedExits.length === 0,
    () =>
      `${supervisor.unexpectedExits.length} worker exit(s) the script did not cause: ${supervisor.unexpectedExits.map((e) => `pid ${e.pid} at ${new Date(e.at).toISOString().slice(11, 23)} code ${e.code}: ${lastError(e.tail)}`).join("; ")}`,
  );
  if (webs.length > 1 && s.recharges > 0) {
    // Every web took its share of the scenario's HTTP requests (the recharges' debits and webhooks; the
    // transfers and deletions are driven through the app's services in this process).
    for (const w of webs) checker.check("every web process served the scenario", w.requests > 0, () => `${w.name} got none of the ${nextWeb} requests`);
  }
  checkWorkflows(checker, transfers, deletions);
  await checkTransfers(checker, db, transfers);
  await checkDeletions(checker, db, deletions, config.tombstoneSecret);
  const rechargeRuns = await listRechargeRuns(client, recharges);
  await checkRecharges(checker, db, {
    recharges,
    runs: rechargeRuns,
    charges: webhooks.charges(),
    held: held.killed,
    deliveries: webhooks.deliveries,
    mail,
  });
  const expectedMail = [
    ...transfers.flatMap((t) => [
      { to: t.newEmail, subjectStartsWith: "Confirm that this account", what: `transfer #${t.index} confirmation` },
      { to: t.newEmail, subjectStartsWith: "Your Switchboard account received a transfer", what: `transfer #${t.index} completed (new)` },
      { to: t.oldEmail, subjectStartsWith: "Your Switchboard account was moved", what: `transfer #${t.index} completed (old)` },
    ]),
    ...deletions.map((d) => ({ to: d.email, subjectStartsWith: "Your Switchboard account is being deleted", what: `deletion #${d.index} confirmation` })),
  ];
  checker.check("every expected email arrived", stillQueued === 0, () => `${stillQueued} mails still pending or sending at the end`);
  const duplicates = await checkMail(checker, db, mail, expectedMail, events, s.allowDocumentedDuplicates);

  // ---- summary
  const done = (xs: Array<{ result?: { kind: string; value?: unknown } }>, outcome: string) =>
    xs.filter((x) => x.result?.kind === "ok" && (x.result.value as { outcome?: string })?.outcome === outcome).length;
  const durations = [...transfers, ...deletions, ...recharges].filter((x) => x.startedAt && x.finishedAt).map((x) => x.finishedAt! - x.startedAt!);
  const retries = [...transfers, ...deletions, ...recharges].reduce((n, x) => n + x.retries, 0);
  const charges = webhooks.charges();
  const outcomes = new Map<string, number>();
  for (const d of webhooks.deliveries) outcomes.set(d.outcome, (outcomes.get(d.outcome) ?? 0) + 1);
  const rechargeTimes = recharges.filter((x) => x.startedAt && x.finishedAt).map((x) => x.finishedAt! - x.startedAt!);
  const rows: Array<[string, string]> = [
    ["seed", String(s.seed)],
    ["Temporal", `${temporal.title} at ${temporal.address}`],
    ["web processes (scenario requests each)", webs.map((w) => `${w.name} ${w.requests}`).join(", ")],
    ["transfers completed / run", `${done(transfers, "completed")} / ${transfers.length}`],
    ["deletions deleted / run", `${done(deletions, "deleted")} / ${deletions.length}`],
    [
      "recharges settled / run",
      `${done(recharges, "pending") + done(recharges, "recharged")} / ${recharges.length} (${recharges.reduce((n, r) => n + r.nudges, 0)} extra debits because a start was refused; driver p50 / max ${rechargeTimes.length ? `${pct(rechargeTimes, 0.5)} s / ${pct(rechargeTimes, 1)} s` : "-"})`,
    ],
    ["Stripe charges (POST /v1/payment_intents)", `${webhooks.made().length} made, ${charges.filter((r) => r.replayed).length} replayed to retries`],
    [
      "kills between charge and ledger",
      `${held.killed.length} (${held.killed.map((h) => h.responseId).join(", ") || "none"}; ${Math.max(0, held.slipped())} held answers ended otherwise)`,
    ],
    [
      "webhooks delivered",
      `${webhooks.deliveries.length}: ${[...outcomes].map(([k, n]) => `${n}× ${k}`).join(", ") || "-"}; HTTP attempts ${webhooks.deliveries.reduce((n, d) => n + d.attempts, 0)}`,
    ],
    ["worker kills (SIGKILL)", `${kills} (${killsInFlight} with workflows in flight; ${supervisor.spawned} worker processes in all, ${s.workers} at a time)`],
    ["worker exits not caused by us", String(supervisor.unexpectedExits.length)],
    ["PostgreSQL restarts", String(faults.pgRestarts)],
    ["Temporal restarts", String(faults.temporalRestarts)],
    [
      "confirmation tokens from",
      `smtp ${transfers.filter((t) => t.tokenFrom === "smtp").length}, outbox ${transfers.filter((t) => t.tokenFrom === "outbox").length}`,
    ],
    ["mails received", `${mail.received.length} (${new Set(mail.received.map((m) => m.messageId)).size} distinct Message-IDs)`],
    [
      "duplicate mails",
      `${duplicates.length} (${duplicates.filter((d) => d.documentedWindow).length} in the documented window${s.allowDocumentedDuplicates ? ", allowed" : ", counted as violations"})`,
    ],
    ["driver steps retried", String(retries)],
    ["workflow time (driver) p50 / max", durations.length ? `${pct(durations, 0.5)} s / ${pct(durations, 1)} s` : "-"],
    ["invariants checked", String(checker.checked)],
    ["violations", String(checker.violations.length)],
    ["run time", `${((Date.now() - started) / 1000).toFixed(0)} s`],
  ];
  console.log(`\n=== ${s.name === "faults" ? "Fault" : `Fault (${s.name})`} run summary ===`);
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log("\nInvariants:");
  const cw = Math.max(...[...checker.categories.keys()].map((k) => k.length));
  for (const [name, c] of checker.categories)
    console.log(`  ${name.padEnd(cw)}  ${String(c.checked).padStart(5)} checked  ${c.violations ? `${c.violations} VIOLATED` : "ok"}`);
  console.log("\nFault timeline:");
  for (let i = 0; i < events.length; i += 8) {
    console.log(
      `  ${events
        .slice(i, i + 8)
        .map((e) => `${new Date(e.at).toISOString().slice(11, 21)} ${e.kind}`)
        .join(" | ")}`,
    );
  }
  if (supervisor.unexpectedExits.length) {
    console.log("\nWorker exits not caused by the script:");
    for (const e of supervisor.unexpectedExits)
      console.log(`  pid ${e.pid} at ${new Date(e.at).toISOString()}: code ${e.code}, signal ${e.signal}\n${indent(crashReport(e.tail))}`);
  }
  if (duplicates.length) {
    console.log("\nDuplicate mails:");
    for (const d of duplicates) printDuplicate(d);
  }
  if (checker.violations.length) {
    console.log("\nViolations:");
    for (const v of checker.violations.slice(0, 100)) console.log(`  - ${v}`);
    if (checker.violations.length > 100) console.log(`  … and ${checker.violations.length - 100} more`);
  }
  console.log(`\n${checker.violations.length ? "FAILED" : "PASSED"} (${elapsed().trim()})`);
  await db.destroy();
  return checker.violations.length ? 1 : 0;
}

function pct(xs: number[], p: number): string {
  const s = [...xs].sort((a, b) => a - b);
  return (s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] / 1000).toFixed(1);
}
/** Node's report of a crash: from its first line ("node:events:…" / "node:internal/…") on, without the error object's empty fields. */
function crashReport(tail: string): string {
  const lines = tail.split("\n");
  const start = lines.findLastIndex((l) => /^node:\S+:\d+$/.test(l.trim()));
  const body = (start >= 0 ? lines.slice(start) : lines.slice(-20)).filter((l) => !/^\s+\w+: undefined,?$/.test(l));
  return body.slice(0, 24).join("\n");
}
/** The error line of a crashed process's output (pino JSON or a Node stack). */
function lastError(tail: string): string {
  const lines = crashReport(tail).split("\n");
  const err = lines.find((l) => /^(\w*Error|error)(: |\s*\[)/.test(l.trim())) ?? lines.find((l) => /"level":(50|60)/.test(l)) ?? lines[lines.length - 1];
  return err.trim().slice(0, 300);
}
const indent = (s: string) =>
  s
    .split("\n")
    .map((l) => `      ${l}`)
    .join("\n");
function printDuplicate(d: DuplicateReport) {
  const arrivals = d.arrivals.map((a) => new Date(a).toISOString().slice(11, 23)).join(", ");
  console.log(
    `  - ${d.copies}× "${d.subject}" to ${d.to}; Message-ID ${d.messageIds.join(", ")}; arrived ${arrivals}; ${d.documentedWindow ? "documented window" : "NOT the documented window"}: ${d.why}`,
  );
}

/** Runs the fault run as a script: cleans up on success, failure and Ctrl-C, and exits 0 only when every invariant held. */
export async function runFaultsScript(s: FaultRunSettings): Promise<never> {
  setLogName(s.name);
  setVerbose(s.verbose);
  // A bug in this script must not leave PostgreSQL, Temporal or the children running.
  for (const what of ["uncaughtException", "unhandledRejection"] as const) {
    process.on(what, (err) => {
      if (isCleaning()) return; // e.g. a gRPC retry finding its channel closed by the cleanup
      console.error(`\nfault run aborted (${what}): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      void cleanup().finally(() => process.exit(1));
    });
  }
  let code: number;
  try {
    code = await runFaults(s);
  } catch (err) {
    console.error(`\nfault run aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    code = 1;
  } finally {
    await cleanup();
  }
  process.exit(code);
}
