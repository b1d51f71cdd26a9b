/**
 * POST /hooks/secret-scanning: GitHub's secret scanning partner protocol. A
 * scanner that found our key pattern in public sends the matches, signed
 * (app/secret-scanning/verify-report.server.ts: ECDSA P-256 over the raw
 * body, by a key from SECRET_SCANNING_KEYS_URL). The signature replaces CSRF
 * and sessions. Refusals change nothing:
 *   400 missing or malformed headers, a body that is not a report;
 *   401 a key id not in the list (after one fetch), a signature that does not match;
 *   413 a body over 1 MB; 503 the key list or Temporal is unreachable (GitHub delivers again).
 * 200: `[{token_hash, token_type, label}]`, one per match (app/services/leaked-keys.server.ts).
 * A token is never echoed or logged.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { readRawBody } from "../http/raw-body.server.js";
import { publicKeysFor } from "../secret-scanning/public-keys.server.js";
import { MAX_REPORT_BYTES, parseScanReport } from "../secret-scanning/report.server.js";
import { verifyReport } from "../secret-scanning/verify-report.server.js";
import { handleLeakedKeyReport } from "../services/leaked-keys.server.js";
import { decodeUtf8 } from "../validation/text.js";

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "Cache-Control": "no-store", ...headers } });
const fail = (status: number, type: string, message: string, headers: Record<string, string> = {}) => answer(status, { error: { type, message } }, headers);
const NOT_POST = () => fail(405, "method_not_allowed", "Only POST is accepted here.", { Allow: "POST" });

export const loader = NOT_POST;

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return NOT_POST();
  const { config, logger } = context.services;
  const raw = await readRawBody(request, MAX_REPORT_BYTES);
  if (raw === null) return fail(413, "payload_too_large", `The request body is larger than ${MAX_REPORT_BYTES} bytes.`);

  const keys = publicKeysFor(config.secretScanning.keysUrl, (why) => logger.warn({ why }, "secret scanning keys could not be fetched"));
  const verdict = await verifyReport(keys, raw, request.headers);
  if (!verdict.ok) {
    logger.warn({ status: verdict.status, type: verdict.type }, "secret scanning report refused");
    return fail(verdict.status, verdict.type, verdict.message, verdict.status === 503 ? { "Retry-After": "60" } : {});
  }

  const text = decodeUtf8(raw);
  if (text === null) return fail(400, "invalid_request", "The body is not valid UTF-8.");
  const report = parseScanReport(text);
  if (!report.ok) return fail(400, "invalid_request", report.message);

  const outcome = await handleLeakedKeyReport(context.services, report.matches);
  if (!outcome.ok) {
    return fail(503, "not_yet", "The keys are revoked, but their owners could not be told yet; deliver the report again later.", { "Retry-After": "60" });
  }
  return answer(200, outcome.labels);
}
