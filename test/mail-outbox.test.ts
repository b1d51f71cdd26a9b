/** The transactional outbox and its dispatcher, delivering to a real SMTP server in-process. */
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../app/logger.server.js";
import { MailDispatcher } from "../app/mail/dispatcher.server.js";
import { createSmtpTransport, enqueueMail, listOutbox, type OutgoingMail } from "../app/mail/mailer.server.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();
let smtp: SMTPServer;
let smtpUrl: string;
let received: ParsedMail[] = [];
let refuseNext = 0;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (refuseNext > 0) {
        refuseNext--;
        return callback(Object.assign(new Error("mailbox busy, try later"), { responseCode: 451 }));
      }
      callback();
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then((m) => {
        received.push(m);
        callback();
      }, callback);
    },
  });
  await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", r));
  smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => smtp.close(() => r())));
beforeEach(async () => {
  await truncateAll(t.db);
  received = [];
  refuseNext = 0;
});

const mail = (n: number | string, over: Partial<OutgoingMail> = {}): OutgoingMail => ({
  to: `person${n}@example.com`,
  subject: `Hello ${n}`,
  text: `Body ${n}: https://switchboard.test/confirm-transfer/abc${n}`,
  kind: "test",
  dedupeKey: `test:${n}`,
  ...over,
});

function dispatcher(leaseMs = 120_000) {
  return new MailDispatcher({
    db: t.db,
    databaseUrl: t.databaseUrl,
    transport: createSmtpTransport(smtpUrl),
    from: "Switchboard <no-reply@switchboard.test>",
    logger: createLogger("silent", "test"),
    leaseMs,
    pollMs: 60_000,
  });
}

const statuses = async () => (await t.db.selectFrom("mail_outbox").select("status").execute()).map((r) => r.status).sort();

describe("enqueueing", () => {
  it("a mail enqueued in a transaction that rolls back does not exist", async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await enqueueMail(trx, mail(1), "smtp");
        throw new Error("the state change failed");
      }),
    ).rejects.toThrow("the state change failed");
    expect(await statuses()).toEqual([]);
  });

  it("the same dedupe key enqueues once", async () => {
    const first = await enqueueMail(t.db, mail(1), "smtp");
    const again = await enqueueMail(t.db, mail(1, { subject: "changed" }), "smtp");
    expect(again).toEqual({ id: first.id, enqueued: false });
    expect(await statuses()).toEqual(["pending"]);
  });

  it("without SMTP a mail is kept in the outbox, newest first in the console's list", async () => {
    await enqueueMail(t.db, mail(1), "outbox");
    await enqueueMail(t.db, mail(2), "outbox");
    const { rows } = await listOutbox(t.db);
    expect(rows.map((r) => [r.subject, r.status])).toEqual([
      ["Hello 2", "kept"],
      ["Hello 1", "kept"],
    ]);
  });
});

describe("delivery over SMTP", () => {
  it("delivers a committed mail once, with its subject, body, recipient and a stable Message-ID", async () => {
    const d = dispatcher();
    await d.start();
    try {
      const { id } = await enqueueMail(t.db, mail(1, { headers: { "X-Switchboard-Kind": "test" } }), "smtp");
      await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
      d.kick();
      await d.drain();
      expect(received).toHaveLength(1);
      const [m] = received;
      expect(m.subject).toBe("Hello 1");
      expect(m.text?.trim()).toBe("Body 1: https://switchboard.test/confirm-transfer/abc1");
      expect((m.to as { text: string }).text).toBe("person1@example.com");
      expect(m.messageId).toBe(`<${id}@switchboard.mail>`);
      expect(m.headers.get("x-switchboard-kind")).toBe("test");
      await expect.poll(statuses).toEqual(["sent"]);
    } finally {
      await d.stop();
    }
  });

  it("two dispatchers draining 40 mails deliver each exactly once", async () => {
    for (let i = 0; i < 40; i++) await enqueueMail(t.db, mail(i), "smtp");
    const [a, b] = [dispatcher(), dispatcher()];
    await Promise.all([a.drain(), b.drain()]);
    expect(received).toHaveLength(40);
    expect(new Set(received.map((m) => m.subject)).size).toBe(40);
    expect(await statuses()).toEqual(Array(40).fill("sent"));
  });

  it("a mail whose dispatcher died mid-send is sent by another after the lease; nothing is lost", async () => {
    const { id } = await enqueueMail(t.db, mail("orphan"), "smtp");
    // As a crashed dispatcher leaves it: claimed, never recorded.
    await t.db
      .updateTable("mail_outbox")
      .set({ status: "sending", attempts: 1, claimed_at: new Date(Date.now() - 5_000) })
      .where("id", "=", id)
      .execute();
    await dispatcher(60_000).drain(); // lease not over yet: left alone
    expect(received).toHaveLength(0);
    await dispatcher(1_000).drain(); // lease over: taken over and sent
    expect(received.map((m) => m.subject)).toEqual(["Hello orphan"]);
    expect(await statuses()).toEqual(["sent"]);
  });

  it("a refused delivery is retried later, and delivered then", async () => {
    refuseNext = 1;
    const { id } = await enqueueMail(t.db, mail("busy"), "smtp");
    await dispatcher().drain();
    const after = await t.db
      .selectFrom("mail_outbox")
      .select(["status", "attempts", "last_error", "next_attempt_at"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe("pending");
    expect(after.attempts).toBe(1);
    expect(after.last_error).toMatch(/busy/);
    expect(after.next_attempt_at.getTime()).toBeGreaterThan(Date.now());
    expect(received).toHaveLength(0);
    await t.db.updateTable("mail_outbox").set({ next_attempt_at: new Date() }).where("id", "=", id).execute(); // time passes
    await dispatcher().drain();
    expect(received.map((m) => m.subject)).toEqual(["Hello busy"]);
  });

  it("mail in 'kept' mode is never sent", async () => {
    await enqueueMail(t.db, mail("kept"), "outbox");
    await dispatcher().drain();
    expect(received).toHaveLength(0);
  });
});
