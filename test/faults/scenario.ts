/**
 * What a fault run does to the app, the way people and staff do it: email
 * transfers (ticket → workflow → the new address confirms from its mail →
 * staff approve through the workflow update), self-service deletions, and
 * auto-recharges (a debit through POST /v1/usage takes a saved card's account
 * below its rule's threshold → the recharge workflow charges the card at
 * "Stripe" → Stripe's signed payment_intent.succeeded webhook credits it). Each
 * driver keeps trying through crashes and restarts until its workflow
 * finishes or the run's deadline passes, and never does a non-idempotent step
 * twice (an ambiguous commit is looked up before it is retried).
 */
import { randomBytes } from "node:crypto";
import { ActivityFailure, TimeoutFailure, WorkflowFailedError, WorkflowNotFoundError, type Client } from "@temporalio/client";
import type { Config } from "../../app/config.server.js";
import { startDeletion } from "../../app/services/deletion.server.js";
import type { Logger } from "../../app/logger.server.js";
import { postLedgerEntry } from "../../app/models/ledger.server.js";
import { setUserSubscriptions } from "../../app/models/mailing.server.js";
import { createSession } from "../../app/models/sessions.server.js";
import { createWebTransferTicket, markConfirmed } from "../../app/models/tickets.server.js";
import { replaceCard, saveBillingCustomer } from "../../app/models/billing-customers.server.js";
import { saveRechargeRule } from "../../app/models/recharge-rules.server.js";
import { SAVED_CARD } from "../../app/payments/payment-provider.js";
import type { HeldStripeRequest, RecordedStripeRequest } from "../../dev/stripe-idempotency-proxy.js";
import { decideTransfer, signalTransferConfirmed, startTransferWorkflow } from "../../app/services/transfer.server.js";
import type { Db } from "../../db/connection.js";
import { deleteWorkflowId, rechargeWorkflowId } from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { paymentIntentEvent, randomId, signedWebhook } from "../helpers/stripe-events.js";
import { log, sleep, type MailSink } from "./infra.js";

/**
 * Every open ticket's status in one query per tick, shared by all transfer drivers (a hundred
 * drivers each polling would load the 2-CPU machine the faults run on, and slow the worker down).
 */
export class TicketBoard {
  private readonly watched = new Set<string>();
  private readonly rows = new Map<string, { status: string; confirmed: boolean }>();
  private timer: NodeJS.Timeout | undefined;
  constructor(private readonly db: Db) {}
  start(intervalMs = 500) {
    const tick = async () => {
      if (this.watched.size) {
        try {
          const rows = await this.db
            .selectFrom("support_tickets")
            .select(["id", "status", "confirmed_at"])
            .where("id", "in", [...this.watched])
            .execute();
          for (const r of rows) this.rows.set(r.id, { status: r.status, confirmed: r.confirmed_at !== null });
        } catch {
          // PostgreSQL restarting: the drivers keep the last view for a moment.
        }
      }
      this.timer = setTimeout(tick, intervalMs);
    };
    void tick();
  }
  stop() {
    clearTimeout(this.timer);
  }
  watch(ticketId: string) {
    this.watched.add(ticketId);
  }
  unwatch(ticketId: string) {
    this.watched.delete(ticketId);
  }
  get(ticketId: string) {
    return this.rows.get(ticketId);
  }
}

export interface Deps {
  board: TicketBoard;
  db: Db;
  temporal: Client;
  config: Config;
  logger: Logger;
  mail: MailSink;
  /** Past this, drivers give up (Infinity while faults are still being injected). */
  deadline: () => number;
  verbose: boolean;
  /** A web process for the next request ("http://127.0.0.1:PORT"; round robin when there are several): the API and Stripe's webhook endpoint. */
  webUrl: () => string;
  /** "Stripe": what the app asked of it (the proxy's log) and its webhooks. */
  stripe: StripeWebhooks;
}

export interface TransferCase {
  index: number;
  oldAccountId: string;
  oldUserId: string;
  oldEmail: string;
  newAccountId: string;
  newEmail: string;
  oldBalanceBefore: bigint;
  newBalanceBefore: bigint;
  approvalsNeeded: number;
  ticketId?: string;
  workflowId?: string;
  tokenFrom?: "smtp" | "outbox";
  result?: WorkflowOutcome;
  startedAt?: number;
  finishedAt?: number;
  /** Retries of driver steps (a step that failed on a fault and was tried again). */
  retries: number;
}

export interface DeletionCase {
  index: number;
  accountId: string;
  userId: string;
  email: string;
  name: string;
  /** A token only this person carries (in name and email): its absence is easy to check. */
  marker: string;
  identitySubject: string;
  workflowId?: string;
  result?: WorkflowOutcome;
  startedAt?: number;
  finishedAt?: number;
  retries: number;
}

export type WorkflowOutcome = { kind: "ok"; value: unknown } | { kind: "failed"; message: string } | { kind: "timeout"; message: string };

const hex = (n: number) => randomBytes(n).toString("hex");

// ---------------------------------------------------------------------------
// Fixtures

export async function createStaff(db: Db): Promise<string[]> {
  const rows = await db
    .insertInto("staff")
    .values([
      { email: `faults-approver-a-${hex(3)}@switchboard.test`, role: "support" },
      { email: `faults-approver-b-${hex(3)}@switchboard.test`, role: "admin" },
    ])
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

export async function createTransferCase(db: Db, index: number, rnd: () => number, secondApproverAboveCents: number): Promise<TransferCase> {
  // One in five needs two approvers (balance above the threshold); the rest stay below it.
  const big = rnd() < 0.2;
  const oldBalance = big
    ? BigInt(secondApproverAboveCents + 1 + Math.floor(rnd() * 150_000))
    : BigInt(1_000 + Math.floor(rnd() * (secondApproverAboveCents - 1_000)));
  const newBalance = rnd() < 0.3 ? 0n : BigInt(1 + Math.floor(rnd() * 5_000));
  const tag = `${index}-${hex(4)}`;
  const oldEmail = `faults-old-${tag}@example.com`;
  const newEmail = `faults-new-${tag}@example.com`;
  const old = await accountWithKey(db, { balanceCents: oldBalance, email: oldEmail });
  const fresh = await accountWithKey(db, { balanceCents: newBalance, email: newEmail });
  return {
    index,
    oldAccountId: old.accountId,
    oldUserId: old.userId,
    oldEmail,
    newAccountId: fresh.accountId,
    newEmail,
    oldBalanceBefore: oldBalance,
    newBalanceBefore: newBalance,
    approvalsNeeded: oldBalance > BigInt(secondApproverAboveCents) ? 2 : 1,
    retries: 0,
  };
}

/** A person with a bit of everything erasure must reach: identity, session, subscriptions, credit with a note naming them. */
export async function createDeletionCase(db: Db, index: number): Promise<DeletionCase> {
  const marker = `zq${hex(5)}`;
  const email = `faults-del-${marker}@example.com`;
  const name = `Delia Faultperson ${marker}`;
  const identitySubject = `faults-subject-${marker}`;
  const a = await accountWithKey(db, { balanceCents: 2_500n, email });
  await db.updateTable("users").set({ name }).where("id", "=", a.userId).execute();
  await db.insertInto("identities").values({ user_id: a.userId, provider: "google", subject: identitySubject, email, email_verified: true }).execute();
  await createSession(db, {
    userId: a.userId,
    accountId: a.accountId,
    staffId: null,
    provider: "google",
    ttlHours: 24,
    ip: "203.0.113.9",
    userAgent: "faults",
  });
  const lists = (await db.selectFrom("mailing_lists").select("id").orderBy("id").execute()).map((l) => l.id).slice(0, 2);
  await setUserSubscriptions(db, a.userId, new Set(lists), { type: "user", id: a.userId });
  await postLedgerEntry(db, {
    accountId: a.accountId,
    amountCents: 500n,
    kind: "grant",
    idempotencyKey: "faults:note",
    actor: { type: "system", id: null },
    note: `welcome credit for ${name}`,
  });
  return { index, accountId: a.accountId, userId: a.userId, email, name, marker, identitySubject, retries: 0 };
}

// ---------------------------------------------------------------------------
// Helpers

const CONFIRM_LINK = /confirm-transfer\/([A-Za-z0-9_-]{43})/;
const POLL_MS = 500;
/** How long a confirmation may take to arrive by SMTP before the driver reads it from the outbox. */
const SMTP_TOKEN_WAIT_MS = 20_000;

class DeadlinePassed extends Error {}

function checkDeadline(deps: Deps) {
  if (Date.now() > deps.deadline()) throw new DeadlinePassed("deadline passed");
}

/** Runs `fn` until it succeeds; every failure (database or Temporal down) is retried after a pause. */
async function retrying<T>(deps: Deps, c: { retries: number }, what: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    checkDeadline(deps);
    try {
      return await fn();
    } catch (err) {
      c.retries++;
      if (deps.verbose) log(`${what}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)} (retrying)`);
      await sleep(POLL_MS * 2);
    }
  }
}

/** The workflow's result, following its runs, through Temporal restarts. */
async function awaitResult(deps: Deps, c: { retries: number }, workflowId: string): Promise<WorkflowOutcome> {
  const handle = deps.temporal.workflow.getHandle(workflowId);
  for (;;) {
    const deadline = deps.deadline();
    if (Date.now() > deadline) return { kind: "timeout", message: `no result by the deadline` };
    try {
      // A finite gRPC deadline per attempt, so a restart of the server or the deadline moving in is noticed.
      const until = Math.min(deadline, Date.now() + 30_000);
      const value = await deps.temporal.withDeadline(until, () => handle.result());
      return { kind: "ok", value };
    } catch (err) {
      if (err instanceof WorkflowFailedError) return { kind: "failed", message: failureChain(err) };
      if (!(err instanceof WorkflowNotFoundError)) c.retries++;
      await sleep(POLL_MS);
    }
  }
}

/** "Workflow execution failed ← activity beginDeletion (attempt cap reached) ← Activity task timed out (START_TO_CLOSE)". */
function failureChain(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 5; e = e.cause) {
    if (e instanceof ActivityFailure) parts.push(`activity ${e.activityType} (retry state ${e.retryState ?? "?"})`);
    else if (e instanceof TimeoutFailure) parts.push(`${e.message} (${e.timeoutType ?? "?"})`);
    else parts.push(e.message);
  }
  return parts.join(" ← ");
}

const outcome = (e: unknown): WorkflowOutcome =>
  e instanceof DeadlinePassed
    ? { kind: "timeout", message: "deadline passed while driving" }
    : { kind: "failed", message: e instanceof Error ? e.message : String(e) };

// ---------------------------------------------------------------------------
// Transfers

async function ensureTicket(deps: Deps, tr: TransferCase): Promise<string> {
  return retrying(deps, tr, `transfer ${tr.index}: ticket`, async () => {
    // An insert whose commit was lost in a restart may have happened: look before inserting again.
    const existing = await deps.db.selectFrom("support_tickets").select("id").where("old_account_id", "=", tr.oldAccountId).executeTakeFirst();
    if (existing) return existing.id;
    return createWebTransferTicket(
      deps.db,
      { requesterUserId: tr.oldUserId, oldAccountId: tr.oldAccountId, newAddress: tr.newEmail },
      { type: "user", id: tr.oldUserId },
    );
  });
}

async function ensureTransferStarted(deps: Deps, tr: TransferCase, ticketId: string): Promise<string> {
  return retrying(deps, tr, `transfer ${tr.index}: start`, async () => {
    // A retry after a lost answer links the run the earlier attempt started.
    return await startTransferWorkflow(deps, ticketId);
  });
}

async function confirmationToken(deps: Deps, tr: TransferCase, ticketId: string, waitingSince: number): Promise<string | null> {
  const mail = deps.mail.to(tr.newEmail).find((m) => CONFIRM_LINK.test(m.text));
  if (mail) {
    tr.tokenFrom = "smtp";
    return CONFIRM_LINK.exec(mail.text)![1];
  }
  if (Date.now() - waitingSince < SMTP_TOKEN_WAIT_MS) return null;
  // The dispatcher that claimed it was killed mid-send: its lease keeps the mail back for a while.
  const row = await deps.db
    .selectFrom("mail_outbox")
    .select("text_body")
    .where("related_type", "=", "ticket")
    .where("related_id", "=", ticketId)
    .where("kind", "=", "transfer_confirmation")
    .executeTakeFirst();
  const m = row && CONFIRM_LINK.exec(row.text_body);
  if (!m) return null;
  tr.tokenFrom = "outbox";
  return m[1];
}

export async function driveTransfer(deps: Deps, tr: TransferCase, staffIds: string[]): Promise<void> {
  tr.startedAt = Date.now();
  try {
    const ticketId = await ensureTicket(deps, tr);
    tr.ticketId = ticketId;
    tr.workflowId = await ensureTransferStarted(deps, tr, ticketId);

    let confirmedAndSignalled = false;
    let waitingSince: number | null = null;
    const approvedBy = new Set<string>();
    deps.board.watch(ticketId);
    for (;;) {
      checkDeadline(deps);
      const ticket = deps.board.get(ticketId);
      if (!ticket) {
        await sleep(POLL_MS);
        continue;
      }
      if (["completed", "rejected", "expired", "failed"].includes(ticket.status)) break;

      try {
        if (!confirmedAndSignalled && ticket.status === "awaiting_confirmation") {
          waitingSince ??= Date.now();
          if (!ticket.confirmed) {
            const token = await confirmationToken(deps, tr, ticketId, waitingSince);
            // Recorded once (a repeat after a lost answer changes nothing); the board shows it next tick.
            if (token) await markConfirmed(deps.db, ticketId, token, { type: "user", id: null });
          } else {
            // Recorded; the workflow hears it by signal (re-sent until Temporal takes it).
            await signalTransferConfirmed(deps, ticketId);
            confirmedAndSignalled = true;
            continue;
          }
        }
        if (!confirmedAndSignalled && ticket.confirmed && ticket.status !== "awaiting_confirmation") confirmedAndSignalled = true;
        if (ticket.status === "awaiting_approval" && approvedBy.size < tr.approvalsNeeded) {
          const staffId = staffIds.find((s) => !approvedBy.has(s))!;
          const r = await decideTransfer(deps, tr.workflowId!, "approve", { staffId, role: "support" });
          if (r.ok) approvedBy.add(staffId);
          else if (/already approved/i.test(r.message))
            approvedBy.add(staffId); // an earlier answer was lost
          else if (/already been decided/i.test(r.message)) approvedBy.add(staffId);
          else {
            tr.retries++;
            if (deps.verbose) log(`transfer ${tr.index}: approval not taken yet: ${r.message}`);
            await sleep(POLL_MS);
          }
          continue;
        }
      } catch (err) {
        tr.retries++;
        if (deps.verbose) log(`transfer ${tr.index}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)} (retrying)`);
      }
      await sleep(POLL_MS);
    }
    deps.board.unwatch(ticketId);
    tr.result = await awaitResult(deps, tr, tr.workflowId);
  } catch (err) {
    tr.result = outcome(err);
  } finally {
    tr.finishedAt = Date.now();
  }
}

// ---------------------------------------------------------------------------
// Deletions

export async function driveDeletion(deps: Deps, del: DeletionCase): Promise<void> {
  del.startedAt = Date.now();
  // A request recorded while Temporal refused its start is started again the way support does it (source "support").
  let restartAsSupport = false;
  try {
    del.workflowId = await retrying(deps, del, `deletion ${del.index}: start`, async () => {
      const started = await startDeletion(
        deps,
        restartAsSupport
          ? { accountId: del.accountId, source: "support", userId: null, staffId: null, reason: "started again after Temporal refused" }
          : { accountId: del.accountId, source: "self", userId: del.userId, staffId: null, reason: "" },
        restartAsSupport ? { type: "system", id: "faults-support" } : { type: "user", id: del.userId },
      );
      if (started.ok && started.started) return started.workflowId;
      if (started.ok) {
        restartAsSupport = true;
        throw new Error("deletion recorded, but its workflow did not start");
      }
      if (started.status === 409) {
        // An earlier attempt committed, but its answer was lost.
        const live = await deps.db.selectFrom("account_deletions").select("workflow_id").where("account_id", "=", del.accountId).executeTakeFirst();
        if (live?.workflow_id) return live.workflow_id;
        // Committed, but its start was refused and that answer lost too.
        restartAsSupport = true;
      }
      throw new Error(`startDeletion: ${started.status} ${started.message}`);
    });
    del.result = await awaitResult(deps, del, del.workflowId ?? deleteWorkflowId(del.accountId));
  } catch (err) {
    del.result = outcome(err);
  } finally {
    del.finishedAt = Date.now();
  }
}

// ---------------------------------------------------------------------------
// Auto-recharges with the Stripe provider (stripe-mock behind the idempotency proxy)

export interface RechargeCase {
  index: number;
  accountId: string;
  userId: string;
  email: string;
  apiKey: string;
  customerId: string;
  paymentMethodId: string;
  balanceBefore: bigint;
  thresholdCents: bigint;
  targetCents: bigint;
  /** Every debit the driver made, each once (a retry of a debit reuses its idempotency key). */
  debits: Array<{ key: string; amountCents: bigint }>;
  /** Extra debits sent because no recharge had started (Temporal refused the start while it was down). */
  nudges: number;
  /** Stripe delivers this case's webhooks twice, both at once (the same event, the same id). */
  webhookTwice: boolean;
  workflowId?: string;
  result?: WorkflowOutcome;
  startedAt?: number;
  finishedAt?: number;
  retries: number;
}

/** A debit that takes the balance below the threshold, and small ones when a recharge must be asked for again. */
const NUDGE_CENTS = 100n;

/** An account with a saved card at "Stripe" (customer and card as a setup Checkout leaves them) and a saved_card rule. */
export async function createRechargeCase(db: Db, index: number, rnd: () => number): Promise<RechargeCase> {
  const tag = `${index}-${hex(4)}`;
  const email = `faults-recharge-${tag}@example.com`;
  const threshold = 2_000n;
  const balance = BigInt(3_000 + Math.floor(rnd() * 5_000));
  const target = threshold + BigInt(3_000 + Math.floor(rnd() * 7_000));
  // Lands 1–15 dollars below the threshold (never near the credit limit, even after a few nudges).
  const debit = balance - threshold + BigInt(100 + Math.floor(rnd() * 1_400));
  const a = await accountWithKey(db, { balanceCents: balance, email });
  const customerId = randomId("cus_", 14);
  const paymentMethodId = randomId("pm_", 24);
  await db.transaction().execute(async (trx) => {
    await saveBillingCustomer(trx, a.accountId, "stripe", customerId);
    await replaceCard(trx, a.accountId, "stripe", { paymentMethodId, brand: "visa", last4: "4242", expMonth: 12, expYear: new Date().getUTCFullYear() + 3 });
    await saveRechargeRule(
      trx,
      a.accountId,
      { enabled: true, thresholdCents: threshold, targetCents: target, paymentMethod: SAVED_CARD },
      { type: "user", id: a.userId },
    );
  });
  return {
    index,
    accountId: a.accountId,
    userId: a.userId,
    email,
    apiKey: a.key,
    customerId,
    paymentMethodId,
    balanceBefore: balance,
    thresholdCents: threshold,
    targetCents: target,
    debits: [{ key: `faults-recharge-${index}-debit`, amountCents: debit }],
    nudges: 0,
    webhookTwice: index % 2 === 0,
    retries: 0,
  };
}

/** A PaymentIntent Stripe made: the first answer to a charge's idempotency key, never a replay. */
export interface MadeIntent {
  paymentIntentId: string;
  idempotencyKey: string | null;
  accountId: string;
  paymentId: string;
  amountCents: number;
  customerId: string;
  paymentMethodId: string;
}

export interface WebhookDelivery {
  eventId: string;
  paymentIntentId: string;
  accountId: string;
  /** Which delivery this was (the driver's, its second copy, or right after a kill). */
  why: string;
  /** HTTP attempts until the app answered 200. */
  attempts: number;
  /** What the app said it did: "handled credited", "handled already", "duplicate", … */
  outcome: string;
  at: number;
}

const PAYMENT_INTENTS = "/v1/payment_intents";

/**
 * Stripe's side of the webhooks: one `payment_intent.succeeded` per PaymentIntent it made
 * (stripe-mock answers every off-session confirm with `requires_payment_method`, which the app
 * treats as pending: the event settles it), signed with the endpoint's secret, delivered until
 * the app answers 200 — and a redelivery is the same event with the same id, as at Stripe.
 */
export class StripeWebhooks {
  private readonly events = new Map<string, ReturnType<typeof paymentIntentEvent<"payment_intent.succeeded">>>();
  readonly deliveries: WebhookDelivery[] = [];
  constructor(
    private readonly opts: { webUrl: () => string; secret: string; requests: (filter: { path: string; method: string }) => RecordedStripeRequest[] },
  ) {}

  /** Every POST /v1/payment_intents the proxy saw (replays and held ones included), oldest first. */
  charges(): RecordedStripeRequest[] {
    return this.opts.requests({ path: PAYMENT_INTENTS, method: "POST" });
  }

  /** The PaymentIntents Stripe made (of one account, or all). */
  made(accountId?: string): MadeIntent[] {
    return this.charges()
      .filter((r) => !r.replayed && !r.injected && r.status >= 200 && r.status < 300)
      .map(StripeWebhooks.intentOf)
      .filter((i): i is MadeIntent => i !== null && (accountId === undefined || i.accountId === accountId));
  }

  static intentOf(r: RecordedStripeRequest | HeldStripeRequest): MadeIntent | null {
    const b = r.body as { amount?: string; customer?: string; payment_method?: string; metadata?: Record<string, string> };
    if (!r.responseId || !b.metadata?.account_id || !b.metadata.payment_id) return null;
    return {
      paymentIntentId: r.responseId,
      idempotencyKey: r.idempotencyKey,
      accountId: b.metadata.account_id,
      paymentId: b.metadata.payment_id,
      amountCents: Number(b.amount),
      customerId: b.customer ?? "",
      paymentMethodId: b.payment_method ?? "",
    };
  }

  private eventFor(intent: MadeIntent) {
    let event = this.events.get(intent.paymentIntentId);
    if (!event) {
      event = paymentIntentEvent("payment_intent.succeeded", {
        paymentIntentId: intent.paymentIntentId,
        amountCents: intent.amountCents,
        customerId: intent.customerId,
        paymentMethodId: intent.paymentMethodId,
        metadata: { account_id: intent.accountId, payment_id: intent.paymentId, purpose: "auto_recharge" },
      });
      this.events.set(intent.paymentIntentId, event);
    }
    return event;
  }

  /** Delivers the intent's event until the app answers 200, as Stripe retries 5xx and lost connections (re-signed each time). */
  async deliver(deps: Deps, c: { retries: number }, intent: MadeIntent, why: string): Promise<WebhookDelivery> {
    const event = this.eventFor(intent);
    let attempts = 0;
    const outcome = await retrying(deps, c, `webhook ${event.id} (${why})`, async () => {
      attempts++;
      const res = await signedWebhook(this.opts.webUrl(), event, { secret: this.opts.secret });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`POST /hooks/stripe: ${res.status} ${text.slice(0, 200)}`);
      const body = JSON.parse(text) as { status?: string; what?: string; why?: string };
      return [body.status, body.what ?? body.why].filter(Boolean).join(" ");
    });
    const d = { eventId: event.id, paymentIntentId: intent.paymentIntentId, accountId: intent.accountId, why, attempts, outcome, at: Date.now() };
    this.deliveries.push(d);
    return d;
  }
}

async function postDebit(deps: Deps, rc: RechargeCase, debit: { key: string; amountCents: bigint }): Promise<void> {
  await retrying(deps, rc, `recharge ${rc.index}: debit ${debit.key}`, async () => {
    // The same idempotency key on every attempt: a debit whose answer was lost is replayed, not made twice.
    const res = await fetch(`${deps.webUrl()}/v1/usage`, {
      method: "POST",
      headers: { Authorization: `Bearer ${rc.apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify({ amount_cents: Number(debit.amountCents), idempotency_key: debit.key }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    if (res.status !== 201 && res.status !== 200) throw new Error(`POST /v1/usage: ${res.status} ${text.slice(0, 200)}`);
  });
}

async function workflowExists(deps: Deps, workflowId: string): Promise<boolean> {
  try {
    await deps.temporal.withDeadline(Date.now() + 5_000, () => deps.temporal.workflow.getHandle(workflowId).describe());
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

export async function driveRecharge(deps: Deps, rc: RechargeCase): Promise<void> {
  rc.startedAt = Date.now();
  try {
    await postDebit(deps, rc, rc.debits[0]);
    rc.workflowId = rechargeWorkflowId(rc.accountId);
    // The web starts the recharge before it answers the debit. When Temporal refused that start
    // (down, restarting) the debit stands and the next debit below the threshold asks again: so
    // does this driver, with a small debit of its own.
    while (!(await retrying(deps, rc, `recharge ${rc.index}: describe`, () => workflowExists(deps, rc.workflowId!)))) {
      rc.nudges++;
      const nudge = { key: `faults-recharge-${rc.index}-nudge-${rc.nudges}`, amountCents: NUDGE_CENTS };
      await postDebit(deps, rc, nudge);
      rc.debits.push(nudge);
    }
    rc.result = await awaitResult(deps, rc, rc.workflowId);
    // Stripe tells of each charge it made; some events arrive twice at the same moment.
    const made = deps.stripe.made(rc.accountId);
    await Promise.all(
      made.flatMap((intent) => [
        deps.stripe.deliver(deps, rc, intent, "after the workflow"),
        ...(rc.webhookTwice ? [deps.stripe.deliver(deps, rc, intent, "after the workflow, again")] : []),
      ]),
    );
  } catch (err) {
    const why = outcome(err);
    rc.result = rc.result?.kind === "ok" && why.kind !== "ok" ? { kind: why.kind, message: `webhooks: ${why.message}` } : why;
  } finally {
    rc.finishedAt = Date.now();
  }
}
