/**
 * Delivers pending outbox mail after commit. Runs in the worker process (all
 * outside I/O lives there); several may run side by side: rows are claimed with
 * FOR UPDATE SKIP LOCKED. A claim is a lease: a dispatcher that dies mid-send
 * leaves the row "sending", and after the lease another one sends it again.
 * That is the one window where a mail can go out twice (sent, then the process
 * died before recording it); each mail carries a stable Message-ID so mail
 * systems can tell the copies apart. Nothing is ever lost: a row stays until it
 * is recorded as sent or as failed for good.
 */
import pg from "pg";
import { sql } from "kysely";
import type { Db } from "../../db/connection.js";
import type { Logger } from "../logger.server.js";
import type { SmtpTransport } from "./mailer.server.js";

export const MAX_ATTEMPTS = 8;
/** How long a claim holds a row "sending" before another dispatcher may send it again. */
const LEASE_MS = 120_000;
/** Longest pause between attempts to record a send (see recordSent). */
export const RECORD_RETRY_MAX_MS = 1_000;

export class MailDispatcher {
  private stopped = false;
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private listener: pg.Client | null = null;

  constructor(
    private readonly deps: {
      db: Db;
      databaseUrl: string;
      transport: SmtpTransport;
      from: string;
      logger: Logger;
      leaseMs?: number;
      pollMs?: number;
      messageIdDomain?: string;
    },
  ) {}

  /** Wakes on the outbox trigger's notification, and polls as the safety net. */
  async start(): Promise<void> {
    this.timer = setInterval(() => this.kick(), this.deps.pollMs ?? 5000);
    this.timer.unref();
    await this.listen(); // never throws: with the database away it retries in the background
    this.kick();
  }

  /** LISTEN for the outbox trigger; while the database is away the poll carries on, and this tries again. */
  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.deps.databaseUrl });
    this.listener = client;
    let retried = false;
    const retry = () => {
      if (retried || this.stopped) return;
      retried = true;
      void client.end().catch(() => {});
      setTimeout(() => void this.listen(), 2000).unref();
    };
    client.on("notification", () => this.kick());
    client.on("error", retry);
    client.on("end", retry);
    try {
      await client.connect();
      await client.query("LISTEN mail_outbox");
    } catch {
      retry();
    }
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      // A database outage fails this round (logged); the next kick or poll tries again.
      .catch((err: unknown) => this.deps.logger.warn({ err: err instanceof Error ? err.message.slice(0, 200) : String(err) }, "mail dispatch round failed"))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Sends everything due now; resolves when the outbox has nothing due. */
  async drain(): Promise<void> {
    for (;;) {
      const batch = await this.claim(10);
      if (batch.length === 0) return;
      for (const mail of batch) await this.deliver(mail);
      if (this.stopped) return;
    }
  }

  private async claim(limit: number) {
    const leaseMs = this.deps.leaseMs ?? LEASE_MS;
    const { rows } = await sql<{
      id: string;
      to_address: string | null;
      subject: string;
      text_body: string;
      headers: Record<string, string>;
      attempts: number;
    }>`
      UPDATE mail_outbox SET status = 'sending', claimed_at = now(), attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM mail_outbox
        WHERE (status = 'pending' AND next_attempt_at <= now())
           OR (status = 'sending' AND claimed_at < now() - make_interval(secs => ${leaseMs / 1000}))
        ORDER BY next_attempt_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id, to_address, subject, text_body, headers, attempts`.execute(this.deps.db);
    return rows;
  }

  private async deliver(mail: {
    id: string;
    to_address: string | null;
    subject: string;
    text_body: string;
    headers: Record<string, string>;
    attempts: number;
  }) {
    const { db, transport, from, logger } = this.deps;
    if (!mail.to_address) {
      // Erased while waiting (account deletion): nothing to send to, ever.
      await db.updateTable("mail_outbox").set({ status: "failed", last_error: "recipient erased" }).where("id", "=", mail.id).execute();
      return;
    }
    try {
      await transport.sendMail({
        from,
        to: mail.to_address,
        subject: mail.subject,
        text: mail.text_body,
        headers: mail.headers,
        messageId: `<${mail.id}@${this.deps.messageIdDomain ?? "switchboard.mail"}>`,
      });
    } catch (err) {
      const message = err instanceof Error ? err.message.slice(0, 300) : String(err);
      const final = mail.attempts >= MAX_ATTEMPTS;
      // Logged by id only: the address and the body stay in the database.
      logger.warn({ mailId: mail.id, attempt: mail.attempts, final }, "mail delivery failed");
      await db
        .updateTable("mail_outbox")
        .set({
          status: final ? "failed" : "pending",
          last_error: message,
          next_attempt_at: sql`now() + make_interval(secs => ${Math.min(3600, 2 ** mail.attempts * 5)})`,
        })
        .where("id", "=", mail.id)
        .execute();
      return;
    }
    // Sent: record it, outlasting a database outage. Only if this process dies before that does the
    // lease send the mail again (the documented window); a failed update alone never does.
    await this.recordSent(mail.id);
  }

  /**
   * Retried at least every second, so the duplicate window ends within a second of the database coming
   * back (not after a long back-off), until the lease runs out: after that another dispatcher may have
   * claimed the row, and the send can no longer be recorded as ours.
   */
  private async recordSent(id: string): Promise<void> {
    const giveUpAt = Date.now() + (this.deps.leaseMs ?? LEASE_MS);
    for (let attempt = 0; ; attempt++) {
      try {
        await this.deps.db
          .updateTable("mail_outbox")
          .set({ status: "sent", sent_at: sql`now()`, last_error: null })
          .where("id", "=", id)
          .where("status", "=", "sending")
          .execute();
        return;
      } catch (err) {
        if (Date.now() >= giveUpAt || this.stopped) throw err;
        await new Promise((r) => setTimeout(r, Math.min(RECORD_RETRY_MAX_MS, 100 * 2 ** attempt)));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.listener?.end().catch(() => {});
  }
}
