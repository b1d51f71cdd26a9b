/**
 * POST /hooks/stripe: the payment provider's webhook (Stripe's, or the test
 * provider's local checkout, which signs the same way). The `Stripe-Signature`
 * header is verified over the raw body with the endpoint's secret
 * (STRIPE_WEBHOOK_SECRET, Stripe's scheme: HMAC-SHA256 with a timestamp, five
 * minutes' tolerance) before anything is read from it; a forged, unsigned or
 * stale request gets 400 and changes nothing. The signature replaces CSRF and
 * sessions. Event ids are recorded with their effect, so a redelivered event
 * is answered 200 and does nothing (app/services/payment-webhooks.server.ts).
 * Nothing of the event (customers, cards, amounts) is logged beyond its id and type.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { readRawBody } from "../http/raw-body.server.js";
import { isWebhookSignatureError } from "../payments/payment-provider.js";
import { handlePaymentEvent } from "../services/payment-webhooks.server.js";
import { decodeUtf8, faultPath, findTextFault, textProblemReason } from "../validation/text.js";

/** Stripe's events are a few KB; 256 KB leaves room and keeps a flood of large posts cheap to refuse. */
const MAX_EVENT_BYTES = 256 * 1024;

const answer = (status: number, body: object, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
const fail = (status: number, type: string, message: string, headers: Record<string, string> = {}) => answer(status, { error: { type, message } }, headers);

export const loader = () => fail(405, "method_not_allowed", "Only POST is accepted here.", { Allow: "POST" });

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return fail(405, "method_not_allowed", "Only POST is accepted here.", { Allow: "POST" });
  const { logger } = context.services;
  const raw = await readRawBody(request, MAX_EVENT_BYTES);
  if (raw === null) return fail(413, "payload_too_large", `The request body is larger than ${MAX_EVENT_BYTES} bytes.`);
  const text = decodeUtf8(raw);
  if (text === null) return fail(400, "invalid_request", "The body is not valid UTF-8.");

  let event;
  try {
    event = context.services.payments.verifyWebhook(text, request.headers.get("Stripe-Signature"));
  } catch (err) {
    if (!isWebhookSignatureError(err) && !(err instanceof SyntaxError)) throw err;
    logger.warn("payment webhook refused: missing or bad signature");
    return fail(400, "invalid_signature", "The Stripe-Signature header is missing, stale or does not match the body.");
  }
  if (typeof event?.id !== "string" || typeof event.type !== "string" || typeof event.data?.object !== "object" || event.data.object === null) {
    return fail(400, "invalid_request", "The body is not a webhook event.");
  }
  // Stripe never sends NUL or unpaired surrogates; stored or queried they would fail (NUL) or be silently
  // changed (U+FFFD, so two event ids could become one). Signed or not, such an event is refused whole.
  const fault = findTextFault(event);
  if (fault) return fail(400, "invalid_request", `The event's ${faultPath(fault)} ${textProblemReason(fault.problem)}.`);

  const outcome = await handlePaymentEvent(context.services, event);
  logger.info({ eventId: event.id, eventType: event.type, outcome: outcome.status }, "payment webhook");
  if (outcome.status === "retry_later") return fail(409, "not_yet", `Not processed yet (${outcome.why}); deliver it again later.`, { "Retry-After": "60" });
  return answer(200, { received: true, ...outcome });
}
