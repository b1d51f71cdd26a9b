/**
 * POST /csp-report: where browsers report Content-Security-Policy violations
 * (the policy's report-uri, app/http/security-headers.ts). A violation means a
 * page of ours tried something the policy forbids, or something injected did:
 * both are worth a warning. Logged are only the directive and the kind of
 * thing blocked (inline, eval, a URL: never the URL, which may hold a token,
 * nor the page or a sample of the script). Anyone can post here, so nothing
 * is stored and the lines per minute are capped. Bodies: 16 KB at most
 * (app/http/body-limit.ts).
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";

const Directive = z
  .string()
  .max(100)
  .transform((d) => d.trim().split(/\s+/)[0] ?? "")
  .pipe(z.string().regex(/^[a-z-]{1,40}$/))
  .catch("unknown");

const Violation = z
  .object({
    "effective-directive": Directive.optional(),
    effectiveDirective: Directive.optional(),
    "violated-directive": Directive.optional(),
    "blocked-uri": z.string().max(4096).optional().catch(undefined),
    blockedURL: z.string().max(4096).optional().catch(undefined),
  })
  .passthrough();

/** report-uri posts `{"csp-report": {…}}`; the Reporting API posts `[{type: "csp-violation", body: {…}}]`. */
const Reports = z.union([
  z.object({ "csp-report": Violation }).transform((r) => [r["csp-report"]]),
  z
    .array(z.object({ type: z.string(), body: Violation }))
    .max(100)
    .transform((rs) => rs.filter((r) => r.type === "csp-violation").map((r) => r.body)),
]);

const blockedKind = (uri: string | undefined) =>
  uri === undefined || uri === ""
    ? "none"
    : uri === "inline" || uri === "eval" || uri === "wasm-eval"
      ? uri
      : /^(data|blob):/.test(uri)
        ? uri.split(":")[0]
        : "url";

const LINES_PER_MINUTE = 60;
let windowStart = 0;
let linesInWindow = 0;
let suppressed = 0;
let reported = 0;

export const loader = () =>
  new Response("Browsers post Content-Security-Policy reports here.", { status: 405, headers: { Allow: "POST", "Content-Type": "text/plain; charset=utf-8" } });

export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST") return loader();
  let json: unknown;
  try {
    json = JSON.parse(await request.text());
  } catch {
    return new Response("A CSP report is JSON.", { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  }
  const parsed = Reports.safeParse(json);
  if (!parsed.success) return new Response("This is not a CSP report.", { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  const now = Date.now();
  if (now - windowStart > 60_000) {
    windowStart = now;
    linesInWindow = 0;
  }
  for (const v of parsed.data) {
    reported += 1;
    if (linesInWindow >= LINES_PER_MINUTE) {
      suppressed += 1;
      continue;
    }
    linesInWindow += 1;
    context.services.logger.warn(
      {
        directive: v["effective-directive"] ?? v.effectiveDirective ?? v["violated-directive"] ?? "unknown",
        blocked: blockedKind(v["blocked-uri"] ?? v.blockedURL),
        reportsSinceStart: reported,
        suppressedLines: suppressed,
      },
      "csp violation reported",
    );
    suppressed = 0;
  }
  return new Response(null, { status: 204 });
}
