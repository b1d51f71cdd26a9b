/**
 * What is enforced on POST /hooks/inbound-email against replays (issue 14,
 * finding 5), by ASVS 5.0 requirement: the timestamp is signed with the body
 * and must be within 5 minutes, and a message id makes one ticket however
 * often, or however concurrently, it is delivered. Format: README, "The
 * inbound-mail hook: request format".
 */
import { createHmac, randomUUID } from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import { beforeEach, describe, expect, it } from "vitest";
import { truncateAll } from "../helpers/database.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, inboundSignature, nowSeconds, signedInboundHeaders } from "../helpers/inbound-mail.js";
import { useSuite } from "../helpers/suite.js";
import { endTicketWorkflows } from "../helpers/transfers.js";

const SECRET = "security-inbound-email-secret-0123456789abcdef";
const t = useSuite({ app: true, appEnv: { INBOUND_EMAIL_SECRET: SECRET } });
const HOOK = "/hooks/inbound-email";

beforeEach(async () => {
  // No worker runs here; end the workflows the accepted mails started so nothing is left behind.
  await endTicketWorkflows(t.db, t.temporal.client);
  await truncateAll(t.db);
});

const mail = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    message_id: `<${randomUUID()}@mail.example.com>`,
    from: "Old Owner <old@example.com>",
    to: "support@switchboard.test",
    subject: "Please move my account",
    text: "Please move my account to new@example.com.",
    spf: "pass",
    dkim: "pass",
    ...over,
  });

interface Answer {
  status: number;
  body: { ticket_id?: string | null; duplicate?: boolean; error?: { type: string; message: string; param?: string } };
}

async function post(body: string, headers: Record<string, string> = signedInboundHeaders(SECRET, body)): Promise<Answer> {
  const res = await fetch(`${t.app.url}${HOOK}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
  return { status: res.status, body: (await res.json()) as Answer["body"] };
}

const tickets = async () =>
  Number(
    (
      await t.db
        .selectFrom("support_tickets")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const created = async () =>
  Number(
    (
      await t.db
        .selectFrom("audit_log")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("action", "=", "ticket.created")
        .executeTakeFirstOrThrow()
    ).n,
  );

describe("the signed timestamp", () => {
  it("V4.1.5 per-message signature: a request signed more than 5 minutes ago, or ahead, is refused (401) and opens no ticket", async () => {
    // 310, not 301: the server reads its clock a moment after the test signs, and on a busy machine that moment can pass a second.
    for (const skew of [-310, -3600, 310, 86_400]) {
      const body = mail();
      const res = await post(body, signedInboundHeaders(SECRET, body, nowSeconds() + skew));
      expect(res.status, String(skew)).toBe(401);
      expect(res.body.error?.type).toBe("stale_timestamp");
      expect(res.body.error?.message).toMatch(/more than 300 seconds/);
    }
    expect(await tickets()).toBe(0);
    // Within the tolerance, either way, it is accepted.
    for (const skew of [-240, 240]) {
      const body = mail();
      expect((await post(body, signedInboundHeaders(SECRET, body, nowSeconds() + skew))).status, String(skew)).toBe(202);
    }
  });

  it("V4.1.5 per-message signature: the timestamp is signed with the body; the old body-only signature, a changed or missing timestamp are refused", async () => {
    const body = mail();
    const ts = nowSeconds() - 600; // an old captured request...
    const captured = signedInboundHeaders(SECRET, body, ts);
    const attempts: Record<string, string>[] = [
      { ...captured, [TIMESTAMP_HEADER]: String(nowSeconds()) }, // ...made to look new
      { [SIGNATURE_HEADER]: captured[SIGNATURE_HEADER]! }, // no timestamp
      { ...captured, [TIMESTAMP_HEADER]: "soon" },
      {
        [TIMESTAMP_HEADER]: String(nowSeconds()),
        [SIGNATURE_HEADER]: `sha256=${inboundSignature("another-secret-another-secret-another", nowSeconds(), body)}`,
      },
      // The former scheme: HMAC of the body alone.
      { [TIMESTAMP_HEADER]: String(nowSeconds()), [SIGNATURE_HEADER]: `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}` },
    ];
    for (const headers of attempts) {
      const res = await post(body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error?.type).toBe("invalid_signature");
    }
    expect(await tickets()).toBe(0);
  });
});

describe("the message id", () => {
  it("V2.3.1 no replay: the same signed request posted twice makes one ticket; the second answers 200 duplicate", async () => {
    const body = mail();
    const headers = signedInboundHeaders(SECRET, body);
    const first = await post(body, headers);
    expect(first.status).toBe(202);
    const again = await post(body, headers);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ticket_id: first.body.ticket_id, duplicate: true });
    expect(await tickets()).toBe(1);
    expect(await created()).toBe(1);
  });

  it("V2.3.1 no replay: the same message re-signed later (a retrying sender), even with other wording, makes no second ticket", async () => {
    const id = `<${randomUUID()}@mail.example.com>`;
    const first = await post(mail({ message_id: id }));
    expect(first.status).toBe(202);
    const retried = await post(mail({ message_id: ` ${id} `, text: "Please move it to other@example.com." }));
    expect(retried.status).toBe(200);
    expect(retried.body.duplicate).toBe(true);
    expect(await tickets()).toBe(1);
    // Another message is another ticket.
    expect((await post(mail())).status).toBe(202);
    expect(await tickets()).toBe(2);
  });

  it("V15.4.2 atomic check and act: ten deliveries of one message at once make exactly one ticket", async () => {
    const body = mail();
    const headers = signedInboundHeaders(SECRET, body);
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(body, headers)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 202]);
    const ticketId = answers.find((a) => a.status === 202)!.body.ticket_id;
    for (const a of answers) expect(a.body.ticket_id).toBe(ticketId);
    expect(await tickets()).toBe(1);
    expect(await created()).toBe(1);
  });

  it("V2.3.3 all or nothing: when the workflow cannot start (503) the message id is released, so the sender's retry opens a ticket", async () => {
    const { action } = await import("../../app/routes/hooks.inbound-email.js");
    const refusing = { ...t.app.services.temporal, workflow: { start: async () => Promise.reject(new Error("Temporal is down")) } };
    const context = { services: { ...t.app.services, temporal: refusing }, ip: null } as unknown as AppLoadContext;
    const body = mail();
    const request = new Request(`${t.app.url}${HOOK}`, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", ...signedInboundHeaders(SECRET, body) },
    });
    const res = await action({ request, context, params: {} });
    expect(res.status).toBe(503);
    const failed = await t.db.selectFrom("support_tickets").select(["status", "failure_reason"]).executeTakeFirstOrThrow();
    expect(failed).toEqual({ status: "failed", failure_reason: "workflow_not_started" });
    expect(await t.db.selectFrom("inbound_messages").select("ticket_id").execute()).toEqual([]);
    const retry = await post(body);
    expect(retry.status).toBe(202);
    expect(await tickets()).toBe(2);
  });

  it("V2.2.1 input validation: a mail without message_id is refused (400 naming it) and opens no ticket", async () => {
    const { message_id: _dropped, ...rest } = JSON.parse(mail()) as Record<string, unknown>;
    for (const body of [JSON.stringify(rest), mail({ message_id: "" }), mail({ message_id: 42 }), mail({ message_id: "x".repeat(999) })]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ type: "invalid_request", param: "message_id" });
    }
    expect(await tickets()).toBe(0);
  });

  it("V14.2.4 stored data minimised: the message id is kept only as a SHA-256", async () => {
    const id = `<${randomUUID()}@mail.example.com>`;
    await post(mail({ message_id: id }));
    const rows = await t.db.selectFrom("inbound_messages").selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.message_id_hash).toHaveLength(32);
    expect(JSON.stringify(rows)).not.toContain(id.slice(1, 20));
  });
});
