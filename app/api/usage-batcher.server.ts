/**
 * Group commit for `POST /v1/usage`: debits that arrive while a batch is in
 * flight wait for the next one, which posts them all in one transaction
 * (app/models/usage-debits.server.ts) and answers each after its commit.
 * Why: one transaction per debit is capped by the per-commit WAL flush and,
 * for one busy account, by its row lock held across that flush; a batch pays
 * both once for many debits (BENCHMARKS.md, "Usage debits").
 *
 * A batch closes when it holds `maxDebits`, or at once when nothing is in
 * flight (an idle process adds no wait; under load, what queued during the
 * last commit goes together). At most `concurrency` batch transactions run at
 * once per process (1 by default); with more, a batch that could take a free
 * slot while others run waits up to `maxWaitMs` after its first debit to
 * gather more. A debit for an account that a running batch holds waits on the
 * row lock, as do other processes' batches, so the account's order stays one.
 *
 * A batch whose transaction fails (a deadlock with a transfer, a lost
 * connection) is not the debits' fault: each is then posted alone through
 * `postLedgerEntry` and gets its own answer or error. Posting again is safe:
 * the idempotency key answers with the first entry if the failed commit had
 * in fact gone through.
 */
import type { Db } from "../../db/connection.js";
import { postLedgerEntry, type PostResult } from "../models/ledger.server.js";
import { postUsageDebits, type UsageDebit } from "../models/usage-debits.server.js";
import type { Logger } from "../logger.server.js";
import type { ApiMetrics } from "./api-metrics.js";

export interface UsageBatchSettings {
  maxDebits: number;
  maxWaitMs: number;
  concurrency: number;
}

interface Waiting {
  debit: UsageDebit;
  arrivedAt: number;
  resolve(result: PostResult): void;
  reject(err: unknown): void;
}

export class UsageBatcher {
  private queue: Waiting[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private drained: (() => void) | null = null;

  constructor(
    private readonly db: Db,
    private readonly settings: UsageBatchSettings,
    private readonly metrics: ApiMetrics,
    private readonly logger?: Logger,
  ) {}

  /** Resolves after the debit's batch committed, with the answer postLedgerEntry would give it. */
  post(debit: UsageDebit): Promise<PostResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ debit, arrivedAt: performance.now(), resolve, reject });
      this.pump();
    });
  }

  /** Waits for every queued and running batch (process shutdown). */
  async stop(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.pump(true);
    });
  }

  private pump(flush = false): void {
    while (this.queue.length > 0 && this.inFlight < this.settings.concurrency) {
      const waited = performance.now() - this.queue[0].arrivedAt;
      const ready = flush || this.drained !== null || this.inFlight === 0 || this.queue.length >= this.settings.maxDebits || waited >= this.settings.maxWaitMs;
      if (!ready) {
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.pump();
        }, this.settings.maxWaitMs - waited);
        return;
      }
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      void this.run(this.queue.splice(0, this.settings.maxDebits));
    }
  }

  private async run(batch: Waiting[]): Promise<void> {
    this.inFlight++;
    const started = performance.now();
    const accounts = new Set(batch.map((w) => w.debit.accountId)).size;
    try {
      const results = await postUsageDebits(
        this.db,
        batch.map((w) => w.debit),
      );
      this.metrics.usageBatch({ debits: batch.length, accounts, seconds: (performance.now() - started) / 1000, outcome: "committed" });
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (err) {
      this.metrics.usageBatch({ debits: batch.length, accounts, seconds: (performance.now() - started) / 1000, outcome: "failed" });
      // The SQLSTATE only: a message may quote a row's values (an idempotency key is the client's text).
      const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "none";
      this.logger?.warn({ sqlstate: code, debits: batch.length }, "a usage batch failed; posting its debits one by one");
      // One by one, in arrival order per account (each waits for the one before it on the same account).
      await Promise.all(
        groupByAccount(batch).map(async (waiting) => {
          for (const w of waiting) {
            await postLedgerEntry(this.db, {
              accountId: w.debit.accountId,
              amountCents: -w.debit.costCents,
              kind: "usage",
              idempotencyKey: w.debit.idempotencyKey,
              actor: { type: "api_key", id: w.debit.keyId },
              spendingKeyId: w.debit.keyId,
            }).then(w.resolve, w.reject);
          }
        }),
      );
    } finally {
      this.inFlight--;
      if (this.drained && this.queue.length === 0 && this.inFlight === 0) this.drained();
      this.pump();
    }
  }
}

function groupByAccount(batch: Waiting[]): Waiting[][] {
  const groups = new Map<string, Waiting[]>();
  for (const w of batch) {
    const group = groups.get(w.debit.accountId);
    if (group) group.push(w);
    else groups.set(w.debit.accountId, [w]);
  }
  return [...groups.values()];
}
