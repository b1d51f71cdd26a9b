/**
 * The one mailer. Callers enqueue a mail inside the transaction of the change
 * that causes it (a transactional outbox): if the change rolls back, so does
 * the mail; once it commits, the worker's dispatcher delivers it. With
 * SMTP_URL, mail goes out over SMTP (nodemailer); without, it is "kept" in the
 * outbox, which the console's Mail page shows, so a newcomer can click links.
 */
import nodemailer from "nodemailer";
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { Config } from "../config.server.js";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** What the mail is, for the console (e.g. "transfer_confirmation"). */
  kind: string;
  /** Unique per logical mail: a retried step that enqueues again adds nothing. */
  dedupeKey: string;
  related?: { type: string; id: string };
  headers?: Record<string, string>;
}

export type DeliveryMode = "smtp" | "outbox";
export const deliveryMode = (config: Pick<Config, "smtpUrl">): DeliveryMode => (config.smtpUrl ? "smtp" : "outbox");

export async function enqueueMail(db: DbOrTrx, mail: OutgoingMail, mode: DeliveryMode): Promise<{ id: string; enqueued: boolean }> {
  const inserted = await db
    .insertInto("mail_outbox")
    .values({
      dedupe_key: mail.dedupeKey,
      kind: mail.kind,
      to_address: mail.to,
      subject: mail.subject,
      text_body: mail.text,
      headers: JSON.stringify(mail.headers ?? {}),
      related_type: mail.related?.type ?? null,
      related_id: mail.related?.id ?? null,
      status: mode === "smtp" ? "pending" : "kept",
    })
    .onConflict((oc) => oc.column("dedupe_key").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (inserted) return { id: inserted.id, enqueued: true };
  const existing = await db.selectFrom("mail_outbox").select("id").where("dedupe_key", "=", mail.dedupeKey).executeTakeFirstOrThrow();
  return { id: existing.id, enqueued: false };
}

export const OUTBOX_PAGE_SIZE = 25;

/** The console's mailbox: newest first, keyset-paged. */
export async function listOutbox(db: DbOrTrx, before?: { createdAt: string; id: string }) {
  const rows = await db
    .selectFrom("mail_outbox")
    .select(["id", "kind", "to_address", "subject", "status", "attempts", "created_at", "sent_at", "body_purged_at", "related_type", "related_id"])
    // The cursor keeps PostgreSQL's microseconds (a JS Date would cut them and skip rows).
    .select(sql<string>`created_at::text`.as("cursor_at"))
    .$if(before !== undefined, (q) => q.where(sql<boolean>`(created_at, id) < (${before!.createdAt}::timestamptz, ${before!.id}::uuid)`))
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .limit(OUTBOX_PAGE_SIZE + 1)
    .execute();
  const page = rows.slice(0, OUTBOX_PAGE_SIZE);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > OUTBOX_PAGE_SIZE && last ? { createdAt: last.cursor_at, id: last.id } : null };
}

/** One mail as stored: its links are live, so a staff page shows it through maskLinkTokens (link-tokens.ts). */
export async function getOutboxMail(db: DbOrTrx, id: string) {
  return db
    .selectFrom("mail_outbox")
    .select([
      "id",
      "kind",
      "to_address",
      "subject",
      "text_body",
      "headers",
      "status",
      "attempts",
      "last_error",
      "created_at",
      "sent_at",
      "body_purged_at",
      "related_type",
      "related_id",
    ])
    .where("id", "=", id)
    .executeTakeFirst();
}

/** An SMTP transport for SMTP_URL (smtp:// or smtps://, credentials in the URL). */
export function createSmtpTransport(smtpUrl: string) {
  return nodemailer.createTransport(smtpUrl);
}
export type SmtpTransport = ReturnType<typeof createSmtpTransport>;

/** The statuses of the mails of this kind enqueued about one thing (e.g. an account's deletion confirmations). */
export async function outboxStatusesOf(db: DbOrTrx, related: { type: string; id: string }, kind: string) {
  const rows = await db
    .selectFrom("mail_outbox")
    .select("status")
    .where("related_type", "=", related.type)
    .where("related_id", "=", related.id)
    .where("kind", "=", kind)
    .execute();
  return rows.map((r) => r.status);
}

/** How many mails were enqueued about one thing (e.g. a list mailing's recipients). */
export async function countOutboxMailsOf(db: DbOrTrx, related: { type: string; id: string }): Promise<number> {
  const { n } = await db
    .selectFrom("mail_outbox")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("related_type", "=", related.type)
    .where("related_id", "=", related.id)
    .executeTakeFirstOrThrow();
  return Number(n);
}
