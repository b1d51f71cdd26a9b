/**
 * A secret scanning report, read once its signature holds: a JSON array of
 * matches `{token, type, url, source}` (GitHub's partner protocol). Anything
 * else is refused whole with a message naming what is wrong, and nothing is
 * done for any of it: a report is GitHub's, and GitHub sends it again once
 * whatever sent it is fixed.
 *
 * `url` is kept as reported, whatever it is: GitHub's docs say it may be empty
 * (their own sample sends "some_url"), and refusing a report over a cosmetic
 * field would leave a key that is public alive. Pages show it as a link only
 * when it is one (leak-url.ts).
 */
import { z } from "zod";
import { faultPath, findTextFault, textProblemReason } from "../validation/text.js";

/** GitHub sends matches in batches; a thousand keeps one report's work (a lookup each) bounded. */
export const MAX_MATCHES = 1_000;
/** The hook's body limit: a thousand matches with long URLs fit. */
export const MAX_REPORT_BYTES = 1_000_000;

const Match = z.object({
  // Our keys are 50 characters; a longer token cannot be one, but is still answered (false_positive).
  token: z.string().max(1_000),
  type: z.string().max(200),
  url: z.string().max(8_192),
  source: z.string().max(200),
});
export type ScanMatch = z.infer<typeof Match>;

const Report = z.array(Match).max(MAX_MATCHES);

export type ParsedReport = { ok: true; matches: ScanMatch[] } | { ok: false; message: string };

export function parseScanReport(text: string): ParsedReport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: "The body is not JSON." };
  }
  // NUL cannot be stored and a lone surrogate would be stored changed: refused, as every hook does.
  const fault = findTextFault(value);
  if (fault) return { ok: false, message: `The report's ${faultPath(fault)} ${textProblemReason(fault.problem)}.` };
  if (!Array.isArray(value)) return { ok: false, message: "The body must be a JSON array of matches ({token, type, url, source})." };
  const parsed = Report.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `match ${issue.path.join(".")}` : "the report";
    return { ok: false, message: `${where}: ${issue.message}.` };
  }
  return { ok: true, matches: parsed.data };
}
