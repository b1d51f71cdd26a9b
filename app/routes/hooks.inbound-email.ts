/**
 * POST /hooks/inbound-email: the inbound-mail service hands over a mail sent
 * to support, as JSON, signed with INBOUND_EMAIL_SECRET:
 *
 *   X-Switchboard-Timestamp: <Unix time in seconds when the request was signed>
 *   X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">
 *   { "message_id", "from", "to", "subject", "text", "spf", "dkim" }
 *
 * Replays are refused (issue 14, finding 5): a timestamp more than 5 minutes
 * from our clock is refused (401), and a message_id that made a ticket before
 * makes no second one (200 with "duplicate": true, so a retrying sender stops).
 *
 * A mail naming a new address becomes an email-transfer ticket (the sender and
 * its SPF/DKIM verdict recorded; the workflow's verification judges them) and
 * the emailTransfer workflow starts. The HMAC replaces CSRF and sessions.
 * Nothing about the mail (addresses, subject, text) is ever logged.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { EmailSchema } from "../models/email.server.js";
import { requestTransferByEmail } from "../services/transfer.server.js";
import { readRawBody } from "../http/raw-body.server.js";
import { decodeUtf8, faultPath, findTextFault, textProblemReason } from "../validation/text.js";

/** Mails are text; 256 KB is generous for a request and keeps a flood of large posts cheap to refuse. */
const MAX_INBOUND_BYTES = 256 * 1024;
const SIGNATURE_HEADER = "X-Switchboard-Signature";
const TIMESTAMP_HEADER = "X-Switchboard-Timestamp";
/** How far the signed timestamp may be from our clock, either way: replays older than this are refused outright. */
const TIMESTAMP_TOLERANCE_S = 5 * 60;

type ErrorType =
  | "method_not_allowed"
  | "not_configured"
  | "invalid_signature"
  | "stale_timestamp"
  | "payload_too_large"
  | "invalid_request"
  | "no_new_address"
  | "unavailable";

const fail = (status: number, type: ErrorType, message: string, extra: { param?: string; headers?: Record<string, string> } = {}) =>
  Response.json(
    { error: { type, message, ...(extra.param ? { param: extra.param } : {}) } },
    { status, headers: { "Cache-Control": "no-store", ...extra.headers } },
  );

const methodNotAllowed = () => fail(405, "method_not_allowed", "Only POST is accepted here.", { headers: { Allow: "POST" } });

export const loader = () => methodNotAllowed();

const Inbound = z.object({
  // The mail's Message-ID as the service received it: one ticket per message, however often it is delivered.
  message_id: z.string().trim().min(1).max(998),
  from: z.string().max(1000),
  to: z.string().max(10_000),
  subject: z.string().max(MAX_INBOUND_BYTES),
  text: z.string().max(MAX_INBOUND_BYTES),
  spf: z.string().max(100),
  dkim: z.string().max(100),
});

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return methodNotAllowed();
  const { config, logger } = context.services;
  const secret = config.inboundEmailSecret;
  if (!secret) {
    // Refuse rather than accept unsigned mail: a forged request could move someone's account.
    logger.warn("inbound email refused: INBOUND_EMAIL_SECRET is not configured");
    return fail(401, "not_configured", "Inbound email is not configured on this server.");
  }

  const raw = await readRawBody(request, MAX_INBOUND_BYTES);
  if (raw === null) return fail(413, "payload_too_large", `The request body is larger than ${MAX_INBOUND_BYTES} bytes.`);

  const timestamp = parseTimestamp(request.headers.get(TIMESTAMP_HEADER));
  if (timestamp === null) {
    logger.warn("inbound email refused: missing or malformed timestamp");
    return fail(401, "invalid_signature", `The ${TIMESTAMP_HEADER} header is missing or not a Unix time in seconds.`);
  }
  if (!signatureMatches(secret, timestamp, raw, request.headers.get(SIGNATURE_HEADER))) {
    logger.warn("inbound email refused: missing or bad signature");
    return fail(401, "invalid_signature", `The ${SIGNATURE_HEADER} header is missing or does not match the timestamp and body.`);
  }
  // Checked after the signature, so only the sender learns that its clock is off.
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TIMESTAMP_TOLERANCE_S) {
    logger.warn("inbound email refused: timestamp outside the tolerance");
    return fail(
      401,
      "stale_timestamp",
      `The ${TIMESTAMP_HEADER} is more than ${TIMESTAMP_TOLERANCE_S} seconds from this server's clock. Sign the request again with the current time.`,
    );
  }

  // Strictly: bytes that are not UTF-8 would otherwise become U+FFFD and change what the mail says.
  const text = decodeUtf8(raw);
  if (text === null) return fail(400, "invalid_request", "The body is not valid UTF-8.", { param: "body" });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail(400, "invalid_request", "The body is not valid JSON.");
  }
  // NUL or a lone surrogate anywhere (app/validation/text.ts): refused naming the field, nothing stored.
  const fault = findTextFault(json);
  if (fault) return fail(400, "invalid_request", `The field "${faultPath(fault)}" ${textProblemReason(fault.problem)}.`, { param: faultPath(fault) });
  const parsed = Inbound.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue.path.length > 0 ? issue.path.join(".") : undefined;
    const message = param ? `The field "${param}" is missing or not a string of acceptable length.` : "The body must be a JSON object.";
    return fail(400, "invalid_request", message, { param });
  }
  const mail = parsed.data;
  const sender = addressesIn(mail.from)[0];
  if (!sender) return fail(400, "invalid_request", 'The field "from" holds no email address.', { param: "from" });

  // The sender itself, and the support inbox it wrote to, are never the address to move to.
  const excluded = new Set([sender, ...addressesIn(mail.to)]);
  const newAddress = addressesIn(`${mail.subject}\n${mail.text}`).find((a) => !excluded.has(a));
  if (!newAddress) {
    return fail(422, "no_new_address", "The mail names no email address to move the account to (other than the sender's).");
  }

  const verdict = isPass(mail.spf) && isPass(mail.dkim) ? "pass" : "fail";
  const requested = await requestTransferByEmail(
    context.services,
    { messageId: mail.message_id, senderAddress: sender, senderVerdict: verdict, newAddress },
    { type: "system", id: "inbound-email", ip: context.ip },
  );
  if (!requested.ok) {
    logger.info({ ticketId: requested.ticketId }, "inbound email delivered again: no second ticket");
    return Response.json({ ticket_id: requested.ticketId, duplicate: true }, { status: 200, headers: { "Cache-Control": "no-store" } });
  }
  // Not started: the ticket was closed and the message id released, so the service's retry makes a new ticket.
  if (!requested.started) return fail(503, "unavailable", "The request could not be processed just now. Retry later.", { headers: { "Retry-After": "60" } });
  const { ticketId } = requested;
  logger.info({ ticketId, verdict }, "inbound transfer request accepted");
  return Response.json({ ticket_id: ticketId }, { status: 202, headers: { "Cache-Control": "no-store" } });
}

const isPass = (v: string) => v.trim().toLowerCase() === "pass";

/** Unix seconds as sent (decimal digits only, as signed), or null. */
function parseTimestamp(header: string | null): string | null {
  const value = header?.trim() ?? "";
  return /^[0-9]{1,12}$/.test(value) ? value : null;
}

/**
 * `sha256=<64 hex>`, compared in constant time with the HMAC of
 * "<timestamp>.<the exact bytes received>" (Stripe's scheme): the timestamp
 * cannot be changed without the secret, so an old request cannot be made new.
 */
function signatureMatches(secret: string, timestamp: string, body: Buffer, header: string | null): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header?.trim() ?? "");
  if (!m) return false;
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(m[1], "hex"));
}

/**
 * Every email address in a piece of text, in order, normalized: candidates are
 * runs without spaces or brackets around an "@", trailing punctuation trimmed,
 * kept only if zod accepts them as an address.
 */
function addressesIn(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/[^\s<>()[\]"',;:]+@[^\s<>()[\]"',;:]+/g)) {
    const candidate = m[0].replace(/^[.]+|[.!?]+$/g, "");
    const ok = EmailSchema.safeParse(candidate);
    if (ok.success && !found.includes(ok.data)) found.push(ok.data);
  }
  return found;
}
