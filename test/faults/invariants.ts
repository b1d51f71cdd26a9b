/**
 * What must hold after a fault run, checked against the database and the SMTP
 * server's mailbox. Every check is counted; every failure is a violation with
 * enough detail to find the row.
 */
import { sql } from "kysely";
import type { Db } from "../../db/connection.js";
import { isEmailTombstoned } from "../../app/models/email.server.js";
import { RECORD_RETRY_MAX_MS } from "../../app/mail/dispatcher.server.js";
import { databaseText } from "../helpers/pii-scan.js";
import type { Client } from "@temporalio/client";
import type { HeldStripeRequest, RecordedStripeRequest } from "../../dev/stripe-idempotency-proxy.js";
import { sleep, type MailSink, type ReceivedMail } from "./infra.js";
import { StripeWebhooks, type DeletionCase, type RechargeCase, type TransferCase, type WebhookDelivery } from "./scenario.js";

export class Checker {
  readonly categories = new Map<string, { checked: number; violations: number }>();
  readonly violations: string[] = [];
  check(category: string, ok: boolean, what: () => string): boolean {
    const c = this.categories.get(category) ?? { checked: 0, violations: 0 };
    c.checked++;
    if (!ok) {
      c.violations++;
      this.violations.push(`[${category}] ${what()}`);
    }
    this.categories.set(category, c);
    return ok;
  }
  get checked() {
    return [...this.categories.values()].reduce((n, c) => n + c.checked, 0);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function checkWorkflows(c: Checker, transfers: TransferCase[], deletions: DeletionCase[]) {
  for (const tr of transfers) {
    c.check(
      "every workflow completed",
      tr.result?.kind === "ok" && same(tr.result.value, { outcome: "completed" }),
      () => `transfer #${tr.index} (${tr.workflowId ?? "never started"}): ${JSON.stringify(tr.result)}`,
    );
  }
  for (const d of deletions) {
    c.check(
      "every workflow completed",
      d.result?.kind === "ok" && same(d.result.value, { outcome: "deleted" }),
      () => `deletion #${d.index} (${d.workflowId ?? "never started"}): ${JSON.stringify(d.result)}`,
    );
  }
}

export async function checkTransfers(c: Checker, db: Db, transfers: TransferCase[]) {
  const ids = transfers.flatMap((t) => [t.oldAccountId, t.newAccountId]);
  const accounts = new Map((await db.selectFrom("accounts").select(["id", "balance_cents", "status"]).where("id", "in", ids).execute()).map((a) => [a.id, a]));
  const sums = new Map(
    (
      await db
        .selectFrom("ledger_entries")
        .select(["account_id", sql<string>`sum(amount_cents)::text`.as("sum")])
        .where("account_id", "in", ids)
        .groupBy("account_id")
        .execute()
    ).map((r) => [r.account_id, BigInt(r.sum)]),
  );
  const before = transfers.reduce((s, t) => s + t.oldBalanceBefore + t.newBalanceBefore, 0n);
  const after = ids.reduce((s, id) => s + BigInt(accounts.get(id)?.balance_cents ?? "0"), 0n);
  const ledger = ids.reduce((s, id) => s + (sums.get(id) ?? 0n), 0n);
  c.check(
    "balances: sum unchanged by transfers",
    after === before,
    () => `sum of balance_cents over ${ids.length} transfer accounts was ${before}, is ${after}`,
  );
  c.check("balances: sum equals ledger", ledger === after, () => `sum of balances ${after} ≠ sum of their ledger entries ${ledger}`);
  for (const id of ids) {
    const bal = BigInt(accounts.get(id)?.balance_cents ?? "0");
    c.check(
      "balances: each account equals its ledger",
      bal === (sums.get(id) ?? 0n),
      () => `account ${id}: balance_cents ${bal} ≠ ledger sum ${sums.get(id) ?? 0n}`,
    );
  }

  const entries = await db
    .selectFrom("ledger_entries")
    .select(["account_id", "kind", "amount_cents", "idempotency_key"])
    .where("account_id", "in", ids)
    .where("kind", "in", ["transfer_out", "transfer_in"])
    .execute();
  for (const tr of transfers) {
    const key = `transfer:${tr.ticketId}`;
    const mine = entries.filter((e) => e.account_id === tr.oldAccountId || e.account_id === tr.newAccountId);
    const out = mine.filter((e) => e.kind === "transfer_out");
    const inn = mine.filter((e) => e.kind === "transfer_in");
    const amount = tr.oldBalanceBefore;
    const ok =
      tr.ticketId !== undefined &&
      out.length === 1 &&
      inn.length === 1 &&
      out[0].idempotency_key === key &&
      inn[0].idempotency_key === key &&
      out[0].account_id === tr.oldAccountId &&
      inn[0].account_id === tr.newAccountId &&
      BigInt(out[0].amount_cents) === -amount &&
      BigInt(inn[0].amount_cents) === amount;
    c.check(
      "exactly one transfer pair per ticket",
      ok,
      () =>
        `transfer #${tr.index} ticket ${tr.ticketId}: expected one transfer_out ${-amount} and one transfer_in ${amount} under ${key}, found ${JSON.stringify(mine)}`,
    );
    const oldAfter = BigInt(accounts.get(tr.oldAccountId)?.balance_cents ?? "0");
    const newAfter = BigInt(accounts.get(tr.newAccountId)?.balance_cents ?? "0");
    c.check(
      "balances: each transfer moved the whole balance",
      oldAfter === 0n && newAfter === tr.newBalanceBefore + tr.oldBalanceBefore,
      () =>
        `transfer #${tr.index}: old ${tr.oldBalanceBefore}→${oldAfter} (want 0), new ${tr.newBalanceBefore}→${newAfter} (want ${tr.newBalanceBefore + tr.oldBalanceBefore})`,
    );
  }
  const tickets = transfers.filter((t) => t.ticketId).map((t) => t.ticketId!);
  const closed = tickets.length ? await db.selectFrom("support_tickets").select(["id", "status"]).where("id", "in", tickets).execute() : [];
  for (const tr of transfers) {
    const t = closed.find((x) => x.id === tr.ticketId);
    c.check("every workflow completed", t?.status === "completed", () => `transfer #${tr.index}: ticket ${tr.ticketId} is ${t?.status ?? "missing"}`);
  }
  // One ticket per transfer: a retried insert never doubled it.
  const perAccount = await db
    .selectFrom("support_tickets")
    .select(["old_account_id", sql<number>`count(*)::int`.as("n")])
    .where(
      "old_account_id",
      "in",
      transfers.map((t) => t.oldAccountId),
    )
    .groupBy("old_account_id")
    .execute();
  for (const tr of transfers) {
    const n = perAccount.find((p) => p.old_account_id === tr.oldAccountId)?.n ?? 0;
    c.check("exactly one transfer pair per ticket", n === 1, () => `transfer #${tr.index}: ${n} tickets for old account ${tr.oldAccountId}`);
  }
}

export async function checkDeletions(c: Checker, db: Db, deletions: DeletionCase[], tombstoneSecret: string) {
  if (deletions.length === 0) return;
  const accountIds = deletions.map((d) => d.accountId);
  const userIds = deletions.map((d) => d.userId);
  const accounts = await db.selectFrom("accounts").select(["id", "status", "name"]).where("id", "in", accountIds).execute();
  const users = await db.selectFrom("users").select(["id", "email", "name", "erased_at"]).where("id", "in", userIds).execute();
  const identities = await db.selectFrom("identities").select("user_id").where("user_id", "in", userIds).execute();
  const sessions = await db
    .selectFrom("sessions")
    .select(["user_id", "account_id"])
    .where((eb) => eb.or([eb("user_id", "in", userIds), eb("account_id", "in", accountIds)]))
    .execute();
  const memberships = await db
    .selectFrom("memberships")
    .select(["user_id", "account_id"])
    .where((eb) => eb.or([eb("user_id", "in", userIds), eb("account_id", "in", accountIds)]))
    .execute();
  const requests = await db.selectFrom("account_deletions").select(["account_id", "status"]).where("account_id", "in", accountIds).execute();
  const dump = (await databaseText(db)).toLowerCase();

  for (const d of deletions) {
    const acc = accounts.find((a) => a.id === d.accountId);
    const user = users.find((u) => u.id === d.userId);
    const req = requests.filter((r) => r.account_id === d.accountId);
    const cat = "every deleted account fully erased";
    c.check(cat, acc?.status === "deleted", () => `deletion #${d.index}: account ${d.accountId} is ${acc?.status}`);
    c.check(cat, req.length === 1 && req[0].status === "completed", () => `deletion #${d.index}: account_deletions rows ${JSON.stringify(req)}`);
    c.check(
      cat,
      !!user && user.email === null && user.name === null && user.erased_at !== null,
      () => `deletion #${d.index}: user ${d.userId} still ${JSON.stringify(user)}`,
    );
    c.check(cat, !identities.some((i) => i.user_id === d.userId), () => `deletion #${d.index}: identities of user ${d.userId} remain`);
    c.check(
      cat,
      !sessions.some((s) => s.user_id === d.userId || s.account_id === d.accountId),
      () => `deletion #${d.index}: sessions of user ${d.userId} remain`,
    );
    c.check(cat, !memberships.some((m) => m.user_id === d.userId || m.account_id === d.accountId), () => `deletion #${d.index}: memberships remain`);
    c.check(cat, await isEmailTombstoned(db, tombstoneSecret, d.email), () => `deletion #${d.index}: no tombstone for its email`);
    for (const needle of [d.email, d.name, d.marker, d.identitySubject]) {
      c.check("deleted personal data nowhere in a table dump", !dump.includes(needle.toLowerCase()), () => {
        const at = dump.indexOf(needle.toLowerCase());
        const table = dump.lastIndexOf("\n-- ", at);
        return `deletion #${d.index}: "${needle}" found in ${dump.slice(table + 1, dump.indexOf("\n", table + 1))}: …${dump.slice(Math.max(0, at - 80), at + 80)}…`;
      });
    }
  }
}

/** One run of an account's recharge workflow and what it returned. */
export interface RechargeRun {
  workflowId: string;
  runId: string;
  status: string;
  result: { outcome?: string; amountCents?: string } | null;
}

/** Every run of each account's `recharge:<accountId>` workflow (visibility catches up for a few seconds if it must). */
export async function listRechargeRuns(temporal: Client, recharges: RechargeCase[]): Promise<Map<string, RechargeRun[]>> {
  const out = new Map<string, RechargeRun[]>();
  for (const rc of recharges) {
    const workflowId = `recharge:${rc.accountId}`;
    let runs: RechargeRun[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      runs = [];
      try {
        for await (const w of temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
          let result: RechargeRun["result"] = null;
          if (w.status.name === "COMPLETED")
            result = (await temporal.workflow.getHandle(workflowId, w.runId, { followRuns: false }).result()) as RechargeRun["result"];
          runs.push({ workflowId, runId: w.runId, status: w.status.name, result });
        }
      } catch {
        runs = [];
      }
      // A driver that saw its workflow finish has at least that run closed; visibility may lag a moment.
      if (runs.length > 0 && runs.every((r) => r.status !== "RUNNING")) break;
      if (rc.workflowId === undefined) break;
      await sleep(500);
    }
    out.set(rc.accountId, runs);
  }
  return out;
}

const CHARGED = new Set(["pending", "recharged", "declined", "requires_action"]);

/**
 * Auto-recharge through the Stripe provider across the faults: per account one
 * payments row per workflow run that charged (one run per dip below the
 * threshold), Stripe charged once per idempotency key (a single request that
 * stripe-mock answered, every other one a replay of it), one ledger entry per
 * succeeded payment under `payment:<id>`, balances equal to their ledgers and
 * to what the debits and the top-ups make, no recharge_failed mail. A charge
 * whose answer was in flight when its worker was SIGKILLed was replayed to the
 * retried activity: the first PaymentIntent, not a second.
 */
export async function checkRecharges(
  c: Checker,
  db: Db,
  m: {
    recharges: RechargeCase[];
    runs: Map<string, RechargeRun[]>;
    /** Every POST /v1/payment_intents the proxy saw. */
    charges: RecordedStripeRequest[];
    /** Charges whose worker was SIGKILLed while their answer was held in flight. */
    held: HeldStripeRequest[];
    deliveries: WebhookDelivery[];
    mail: MailSink;
  },
) {
  const { recharges } = m;
  if (recharges.length === 0) return;
  const ids = recharges.map((r) => r.accountId);
  const payments = await db
    .selectFrom("payments")
    .select(["id", "account_id", "kind", "status", "amount_cents", "idempotency_key", "payment_intent_id", "ledger_entry_id", "failure_code"])
    .where("account_id", "in", ids)
    .execute();
  const entries = await db
    .selectFrom("ledger_entries")
    .select(["id", "account_id", "kind", "amount_cents", "idempotency_key", "payment_intent_id"])
    .where("account_id", "in", ids)
    .execute();
  const accounts = new Map((await db.selectFrom("accounts").select(["id", "balance_cents"]).where("id", "in", ids).execute()).map((a) => [a.id, a]));
  const rules = new Map(
    (await db.selectFrom("recharge_rules").select(["account_id", "paused_reason", "last_outcome"]).where("account_id", "in", ids).execute()).map((r) => [
      r.account_id,
      r,
    ]),
  );
  const failedMail = await db
    .selectFrom("mail_outbox")
    .select(["related_id", "status"])
    .where("kind", "=", "recharge_failed")
    .where("related_type", "=", "account")
    .where("related_id", "in", ids)
    .execute();
  const byKey = new Map<string, RecordedStripeRequest[]>();
  for (const r of m.charges) if (r.idempotencyKey) byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), r]);

  for (const rc of recharges) {
    const who = `recharge #${rc.index} (account ${rc.accountId})`;
    const value = rc.result?.kind === "ok" ? (rc.result.value as { outcome?: string }) : null;
    c.check(
      "every workflow completed",
      !!value && (value.outcome === "pending" || value.outcome === "recharged"),
      () => `${who} (${rc.workflowId ?? "never started"}): ${JSON.stringify(rc.result)}`,
    );

    // ---- runs and payments rows
    const runs = m.runs.get(rc.accountId) ?? [];
    const mine = payments.filter((p) => p.account_id === rc.accountId && p.kind === "recharge");
    const charging = runs.filter((r) => r.result?.outcome && CHARGED.has(r.result.outcome));
    c.check(
      "recharge: one recharge per dip below the threshold",
      charging.length === 1,
      () => `${who}: ${charging.length} runs charged: ${JSON.stringify(runs)}`,
    );
    c.check(
      "recharge: every run finished",
      runs.length > 0 && runs.every((r) => r.status === "COMPLETED"),
      () => `${who}: runs ${JSON.stringify(runs.map((r) => [r.runId, r.status]))}`,
    );
    for (const run of runs) {
      const key = `recharge:${run.workflowId}:${run.runId}`;
      const rows = mine.filter((p) => p.idempotency_key === key);
      const want = run.result?.outcome && CHARGED.has(run.result.outcome) ? 1 : 0;
      c.check(
        "recharge: exactly one payments row per workflow run",
        rows.length === want,
        () => `${who}: run ${run.runId} (${run.result?.outcome ?? run.status}) has ${rows.length} payments rows under ${key}, want ${want}`,
      );
      if (want && rows[0] && run.result?.amountCents !== undefined) {
        c.check(
          "recharge: exactly one payments row per workflow run",
          rows[0].amount_cents === run.result.amountCents,
          () => `${who}: payment ${rows[0].id} is ${rows[0].amount_cents} cents, its run planned ${run.result?.amountCents}`,
        );
      }
    }
    const runKeys = new Set(runs.map((r) => `recharge:${r.workflowId}:${r.runId}`));
    for (const p of mine) {
      c.check(
        "recharge: exactly one payments row per workflow run",
        runKeys.has(p.idempotency_key),
        () => `${who}: payment ${p.id} under ${p.idempotency_key}, no such run`,
      );
    }

    // ---- Stripe charged once per idempotency key
    for (const p of mine) {
      const log = byKey.get(p.idempotency_key) ?? [];
      const made = log.filter((r) => !r.replayed);
      const first = made[0];
      c.check(
        "recharge: Stripe charged once per idempotency key",
        made.length === 1 && first.status === 200 && !!first.responseId,
        () =>
          `${who}: ${made.length} requests under ${p.idempotency_key} reached stripe-mock: ${JSON.stringify(made.map((r) => [r.seq, r.status, r.responseId]))}`,
      );
      c.check(
        "recharge: Stripe charged once per idempotency key",
        log.every((r) => r.responseId === first?.responseId) && p.payment_intent_id === (first?.responseId ?? null),
        () =>
          `${who}: payment ${p.id} holds ${p.payment_intent_id}; the answers under its key were ${JSON.stringify(log.map((r) => [r.seq, r.replayed ? "replay" : "made", r.responseId]))}`,
      );
    }
    // No charge for this account outside a payment's key (the SDK's own stripe-node-retry-… keys, say).
    const keys = new Set(mine.map((p) => p.idempotency_key));
    for (const r of m.charges) {
      const intent = StripeWebhooks.intentOf(r);
      const account = (r.body as { metadata?: { account_id?: string } }).metadata?.account_id;
      if (account !== rc.accountId) continue;
      c.check(
        "recharge: Stripe charged once per idempotency key",
        r.idempotencyKey !== null && keys.has(r.idempotencyKey),
        () => `${who}: charge #${r.seq} (${intent?.paymentIntentId ?? r.status}) under key ${r.idempotencyKey}, which is no payment's`,
      );
    }

    // ---- ledger: one entry per succeeded payment
    const recharged = entries.filter((e) => e.account_id === rc.accountId && e.kind === "recharge");
    for (const p of mine) {
      c.check("recharge: every payment succeeded", p.status === "succeeded", () => `${who}: payment ${p.id} is ${p.status} (${p.failure_code ?? "no code"})`);
      if (p.status !== "succeeded") continue;
      const e = recharged.filter((x) => x.idempotency_key === `payment:${p.id}`);
      c.check(
        "recharge: exactly one ledger entry per succeeded payment",
        e.length === 1 && e[0].amount_cents === p.amount_cents && e[0].id === p.ledger_entry_id && e[0].payment_intent_id === p.payment_intent_id,
        () => `${who}: payment ${p.id} (${p.amount_cents}, ${p.payment_intent_id}, entry ${p.ledger_entry_id}): entries ${JSON.stringify(e)}`,
      );
    }
    const paymentKeys = new Set(mine.map((p) => `payment:${p.id}`));
    for (const e of recharged) {
      c.check(
        "recharge: exactly one ledger entry per succeeded payment",
        paymentKeys.has(e.idempotency_key),
        () => `${who}: recharge entry ${e.id} under ${e.idempotency_key}, no payment's`,
      );
    }

    // ---- balances
    const balance = BigInt(accounts.get(rc.accountId)?.balance_cents ?? "0");
    const ledger = entries.filter((e) => e.account_id === rc.accountId).reduce((s, e) => s + BigInt(e.amount_cents), 0n);
    c.check("balances: each account equals its ledger", balance === ledger, () => `${who}: balance_cents ${balance} ≠ ledger sum ${ledger}`);
    const debited = rc.debits.reduce((s, d) => s + d.amountCents, 0n);
    const credited = mine.filter((p) => p.status === "succeeded").reduce((s, p) => s + BigInt(p.amount_cents), 0n);
    c.check(
      "recharge: balance is what the debits and the top-ups make",
      balance === rc.balanceBefore - debited + credited,
      () => `${who}: ${rc.balanceBefore} − debits ${debited} + recharges ${credited} = ${rc.balanceBefore - debited + credited}, balance is ${balance}`,
    );
    c.check("recharge: the top-up reaches the rule's target", balance === rc.targetCents, () => `${who}: balance ${balance}, target ${rc.targetCents}`);

    // ---- no failure: the rule runs on, nobody was told their card failed
    const rule = rules.get(rc.accountId);
    c.check(
      "recharge: no recharge_failed mail",
      !rule?.paused_reason,
      () => `${who}: rule paused (${rule?.paused_reason}; last outcome ${rule?.last_outcome})`,
    );
    c.check(
      "recharge: no recharge_failed mail",
      !failedMail.some((f) => f.related_id === rc.accountId),
      () => `${who}: recharge_failed mail queued: ${JSON.stringify(failedMail.filter((f) => f.related_id === rc.accountId))}`,
    );
    const received: ReceivedMail[] = m.mail.to(rc.email).filter((x) => /auto-recharge/i.test(x.subject));
    c.check("recharge: no recharge_failed mail", received.length === 0, () => `${who}: received "${received.map((x) => x.subject).join('", "')}"`);

    // ---- webhooks: each PaymentIntent told of, credited at most once whatever the copies
    for (const p of mine) {
      const delivered = m.deliveries.filter((d) => d.paymentIntentId === p.payment_intent_id);
      c.check("recharge: webhooks delivered and deduplicated", delivered.length >= 1, () => `${who}: no webhook delivered for ${p.payment_intent_id}`);
      // A redelivery carries the event's id: the app says "duplicate" and does nothing (only one delivery can be
      // the first; a first whose answer was lost after its commit leaves none but duplicates, which is fine).
      for (const eventId of new Set(delivered.map((d) => d.eventId))) {
        const firsts = delivered.filter((d) => d.eventId === eventId && d.outcome !== "duplicate");
        c.check(
          "recharge: webhooks delivered and deduplicated",
          firsts.length <= 1,
          () => `${who}: event ${eventId} of ${p.payment_intent_id} was handled ${firsts.length} times: ${JSON.stringify(firsts)}`,
        );
      }
      const credits = delivered.filter((d) => d.outcome === "handled credited").length;
      c.check(
        "recharge: webhooks delivered and deduplicated",
        credits <= 1,
        () => `${who}: ${credits} deliveries of ${p.payment_intent_id} answered "credited": ${JSON.stringify(delivered)}`,
      );
    }
  }

  // ---- the charges whose answer died with their worker
  for (const h of m.held) {
    const log = (byKey.get(h.idempotencyKey ?? "") ?? []).sort((a, b) => a.seq - b.seq);
    const payment = payments.find((p) => p.idempotency_key === h.idempotencyKey);
    const replays = log.filter((r) => r.replayed);
    c.check(
      "recharge: a charge lost with its worker is replayed to the retry",
      log[0]?.seq === h.seq &&
        log[0].held &&
        replays.length >= 1 &&
        replays.every((r) => r.seq > h.seq && r.responseId === h.responseId) &&
        payment?.payment_intent_id === h.responseId,
      () =>
        `charge #${h.seq} under ${h.idempotencyKey} (${h.responseId}): log ${JSON.stringify(log.map((r) => [r.seq, r.held ? "held" : r.replayed ? "replay" : "made", r.responseId]))}, payment ${JSON.stringify(payment)}`,
    );
  }
}

export interface DuplicateReport {
  key: string;
  messageIds: string[];
  copies: number;
  to: string;
  subject: string;
  arrivals: number[];
  /** Whether the copies fit the documented window (sent, then the dispatcher died before recording it; same Message-ID). */
  documentedWindow: boolean;
  why: string;
}

/** What the run did to the system, and when (wall-clock ms). */
export interface FaultEvent {
  at: number;
  kind: "kill" | "crash" | "pg-stop" | "pg-start" | "temporal-stop" | "temporal-start";
  detail: string;
}

const NEAR_BEFORE_MS = 1_000;
const NEAR_AFTER_MS = 3_000;
/** How long the worker's pool may take to reconnect once PostgreSQL is back. */
const RECONNECT_MS = 3_000;
const signed = (ms: number) => `${ms >= 0 ? "+" : "−"}${(Math.abs(ms) / 1000).toFixed(2)} s`;
/** Whether PostgreSQL was stopped at `at` (between a pg-stop and the next pg-start). */
function pgDownAt(events: FaultEvent[], at: number): boolean {
  const stop = events.filter((e) => e.kind === "pg-stop" && e.at <= at).pop();
  if (!stop) return false;
  const start = events.find((e) => e.kind === "pg-start" && e.at >= stop.at);
  return !start || start.at >= at;
}

/** `<uuid@domain>` → the outbox row id. */
const outboxId = (messageId: string) => /^<?([0-9a-f-]{36})@/i.exec(messageId)?.[1];
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/**
 * No mail delivered twice: grouped by Message-ID and by (recipient, subject).
 * A duplicate is the documented window only when every copy carries the same
 * Message-ID, its outbox row was claimed once per copy, and the worker was
 * SIGKILLed after each copy's DATA began and before the next copy arrived
 * (so the dispatcher died before it could record the send). Anything else
 * (e.g. recording failed while PostgreSQL was down, or the worker crashed by
 * itself) is named as what it is.
 */
export async function checkMail(
  c: Checker,
  db: Db,
  mail: MailSink,
  expected: Array<{ to: string; subjectStartsWith: string; what: string }>,
  events: FaultEvent[],
  /** Let a duplicate proven to be the documented window pass (it is still reported). */
  allowDocumentedWindow: boolean,
): Promise<DuplicateReport[]> {
  const reports: DuplicateReport[] = [];
  const byId = new Map<string, ReceivedMail[]>();
  for (const m of mail.received) byId.set(m.messageId, [...(byId.get(m.messageId) ?? []), m]);
  const byRecipient = new Map<string, ReceivedMail[]>();
  for (const m of mail.received) for (const to of m.to) byRecipient.set(`${to}\u0000${m.subject}`, [...(byRecipient.get(`${to}\u0000${m.subject}`) ?? []), m]);

  const explain = async (copies: ReceivedMail[]): Promise<{ ok: boolean; why: string }> => {
    const ids = [...new Set(copies.map((m) => m.messageId))];
    if (ids.length > 1) return { ok: false, why: `${ids.length} different Message-IDs: the same mail was enqueued more than once` };
    const id = outboxId(ids[0]);
    const row = id ? await db.selectFrom("mail_outbox").select(["status", "attempts"]).where("id", "=", id).executeTakeFirst() : undefined;
    if (!row) return { ok: false, why: "no outbox row for this Message-ID" };
    const arrivals = copies.map((m) => m.at).sort((a, b) => a - b);
    const gaps = arrivals.slice(1).map((next, i) => {
      const at = arrivals[i];
      // The dispatcher records a send milliseconds after the SMTP answer; what stopped it happened
      // right around the arrival (a kill may even come first: this process reads the data late).
      const near = events.filter((e) => e.at >= at - NEAR_BEFORE_MS && e.at <= at + NEAR_AFTER_MS);
      const pgDown = pgDownAt(events, at) || near.some((e) => e.kind === "pg-stop");
      const text = near.length
        ? near.map((e) => `${e.kind}${e.detail ? ` ${e.detail}` : ""} ${signed(e.at - at)}`).join(", ")
        : pgDown
          ? "PostgreSQL down"
          : "no fault near it";
      // Sent while PostgreSQL was down: the dispatcher keeps trying to record the send (at least every
      // RECORD_RETRY_MAX_MS) and does so moments after PostgreSQL is back, unless its worker is killed first.
      // That is the documented window (died before recording), held open by the outage.
      const pgBack = pgDown ? events.find((e) => e.kind === "pg-start" && e.at >= at - NEAR_BEFORE_MS) : undefined;
      const killedBeforeRecording = pgBack && events.find((e) => e.kind === "kill" && e.at > at && e.at <= pgBack.at + RECORD_RETRY_MAX_MS + RECONNECT_MS);
      const kind = near.some((e) => e.kind === "kill")
        ? "kill"
        : near.some((e) => e.kind === "crash")
          ? "crash"
          : killedBeforeRecording
            ? "pg-then-kill"
            : pgDown
              ? "pg"
              : "none";
      const after = killedBeforeRecording ? `; PostgreSQL back ${signed(pgBack.at - at)}, worker killed ${signed(killedBeforeRecording.at - at)}` : "";
      return {
        kind,
        text: `copy ${i + 1} at ${clock(at)} → copy ${i + 2} at ${clock(next)} (${((next - at) / 1000).toFixed(1)} s later; near copy ${i + 1}: ${text}${after})`,
      };
    });
    const claimed = `outbox row ${id} claimed ${row.attempts} time(s), now ${row.status}`;
    const detail = `${claimed}; ${gaps.map((g) => g.text).join("; ")}`;
    if (row.attempts < copies.length) return { ok: false, why: `fewer claims than copies: ${detail}` };
    if (gaps.every((g) => g.kind === "kill")) return { ok: true, why: `the worker was SIGKILLed as it sent, before it recorded the send: ${detail}` };
    if (gaps.every((g) => g.kind === "kill" || g.kind === "pg-then-kill")) {
      return { ok: true, why: `sent while PostgreSQL was down; the worker was SIGKILLed before it could record the send once PostgreSQL was back: ${detail}` };
    }
    if (gaps.every((g) => g.kind === "kill" || g.kind === "crash")) {
      return { ok: false, why: `the dispatcher died before recording the send, but by the worker crashing on its own (not a kill): ${detail}` };
    }
    if (gaps.some((g) => g.kind === "pg"))
      return { ok: false, why: `sent, then recording it failed while PostgreSQL was down (no dispatcher death): ${detail}` };
    return { ok: false, why: `unexplained: ${detail}` };
  };

  const seen = new Set<string>();
  for (const [key, copies] of [...byId.entries(), ...byRecipient.entries()]) {
    if (copies.length < 2) continue;
    const ids = [...new Set(copies.map((m) => m.messageId))].sort();
    const sig = ids.join(",") + `#${copies.length}`;
    if (seen.has(sig)) continue; // the same copies found both ways
    seen.add(sig);
    const why = await explain(copies);
    reports.push({
      key: key.replace("\u0000", " / "),
      messageIds: ids,
      copies: copies.length,
      to: copies[0].to.join(","),
      subject: copies[0].subject,
      arrivals: copies.map((m) => m.at),
      documentedWindow: why.ok,
      why: why.why,
    });
  }
  const describe = (r: DuplicateReport | undefined) =>
    r
      ? `${r.copies} copies of "${r.subject}" to ${r.to}, Message-ID(s) ${r.messageIds.join(", ")} — ${r.documentedWindow ? "the documented window" : "NOT the documented window"} (see "Duplicate mails")`
      : "";
  for (const [id, copies] of byId) {
    const report = reports.find((r) => r.messageIds.includes(id) && r.messageIds.length === 1);
    c.check("no email sent twice", copies.length === 1 || (allowDocumentedWindow && !!report?.documentedWindow), () => describe(report));
  }
  for (const [key, copies] of byRecipient) {
    const ids = new Set(copies.map((m) => m.messageId));
    if (ids.size < 2) continue; // one Message-ID: counted above
    c.check("no email sent twice", false, () => describe(reports.find((r) => r.key === key.replace("\u0000", " / "))));
  }

  // Nothing lost: every mail the scenario caused arrived.
  for (const e of expected) {
    const got = mail.to(e.to).filter((m) => m.subject.startsWith(e.subjectStartsWith));
    c.check("every expected email arrived", got.length >= 1, () => `${e.what}: nothing to ${e.to} with subject "${e.subjectStartsWith}…"`);
  }
  return reports;
}
