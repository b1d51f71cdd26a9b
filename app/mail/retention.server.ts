/**
 * Mail bodies are not kept forever: they hold live links (invitations,
 * transfer confirmations, unsubscribes) and words about people. A body is
 * needed until the mail is delivered; MAIL_BODY_RETENTION_DAYS after that it
 * is emptied. Headers, subject, status and times stay, so the console can
 * still tell what was sent to whom and when.
 *
 * Runs in the worker (server/worker.ts), hourly, whatever the delivery mode:
 * without SMTP the outbox itself is the mailbox and fills up just the same.
 * Several workers may run it at once: the update only takes rows whose body is
 * still there, so a row locked by one is skipped by the other once it commits,
 * and each purge is counted (and audited) once.
 */
import { sql } from "kysely";
import type { Db } from "../../db/connection.js";
import type { Logger } from "../logger.server.js";
import { SYSTEM, writeAudit } from "../models/audit.server.js";

export const PURGE_EVERY_MS = 3_600_000;

/** Mail that is done: delivered, given up on, or kept (no SMTP). Pending or sending mail still needs its body. */
const FINISHED = ["sent", "failed", "kept"] as const;

/** Empties the bodies of mail finished more than `retentionDays` ago; one audit row with the count, when there were any. */
export async function purgeMailBodies(db: Db, retentionDays: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable("mail_outbox")
      .set({ text_body: "", body_purged_at: sql`now()` })
      .where("body_purged_at", "is", null)
      .where("status", "in", FINISHED)
      // Sent mail counts from its sending; kept and failed mail from when it was written.
      .where(sql<boolean>`coalesce(sent_at, created_at) < now() - make_interval(days => ${retentionDays})`)
      .executeTakeFirst();
    const purged = Number(result.numUpdatedRows);
    if (purged > 0) {
      await writeAudit(trx, SYSTEM, { action: "mail.bodies_purged", targetType: "mail_outbox", details: { count: purged, retention_days: retentionDays } });
    }
    return purged;
  });
}

/** Runs the purge at start and then every hour, until stopped. A failed round (database away) is logged; the next one tries again. */
export class MailBodyRetention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: { db: Db; retentionDays: number; logger: Logger; everyMs?: number }) {}

  start(): void {
    this.timer = setInterval(() => this.runOnce(), this.deps.everyMs ?? PURGE_EVERY_MS);
    this.timer.unref();
    this.runOnce();
  }

  /** One round now, unless one is still going. Resolves when the round is over. */
  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= purgeMailBodies(this.deps.db, this.deps.retentionDays)
      .then((purged) => {
        if (purged > 0) this.deps.logger.info({ purged, retentionDays: this.deps.retentionDays }, "mail bodies purged");
      })
      .catch((err: unknown) => this.deps.logger.warn({ err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, "mail body purge failed"))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
