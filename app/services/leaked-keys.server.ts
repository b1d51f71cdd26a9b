/**
 * A verified secret scanning report (POST /hooks/secret-scanning): every
 * token that is an active key of ours dies now, and its owners are told.
 *
 * For each token: one that cannot be a key of ours (not our shape) is a false
 * positive without a query. One that is — a valid checksum, or the shape of a
 * key from before checksums, which may have been revoked already, so it is
 * looked up whatever LegacyKeys says now — is revoked by hash with where it
 * was found, audited in the same transaction (revokeLeakedKey); the trigger
 * tells every other web process, and this one forgets its verdicts at once.
 *
 * Then, for every key of ours revoked as leaked (now or by an earlier
 * delivery), the workflow `leaked-key:<keyId>` starts, "once": it mails the
 * owners and admins. A second start of the same id is refused by Temporal
 * (running or finished alike), which is the redelivery case and fine. A start
 * refused because Temporal is unreachable fails the whole report with
 * `workflow_unavailable` (the hook answers 503): the keys stay revoked, GitHub
 * delivers the report again, and that delivery finds them revoked and starts
 * the workflow then.
 *
 * Nothing of a token is logged or returned: the answer carries its SHA-256.
 */
import type { Services } from "../context.server.js";
import { hashApiKey, isWellFormedApiKey } from "../models/api-key-format.server.js";
import { revokeLeakedKey } from "../models/api-keys.server.js";
import type { ScanMatch } from "../secret-scanning/report.server.js";
import { startWorkflow, workflowRun } from "../temporal/start.server.js";
import { leakedKey, leakedKeyWorkflowId } from "../../workflows/leaked-key.js";

/** GitHub's feedback format, one entry per reported match. */
export interface TokenLabel {
  token_hash: string;
  token_type: string;
  label: "true_positive" | "false_positive";
}

export type LeakReportOutcome =
  { ok: true; labels: TokenLabel[]; revoked: number } | { ok: false; reason: "workflow_unavailable"; labels: TokenLabel[]; revoked: number };

type LeakServices = Pick<Services, "db" | "api" | "temporal" | "config" | "logger">;

export async function handleLeakedKeyReport(services: LeakServices, matches: readonly ScanMatch[]): Promise<LeakReportOutcome> {
  const { db, api, logger } = services;
  // The same token may be reported more than once in a report (several files): looked up once.
  const ours = new Map<string, { keyId: string; accountId: string; leaked: boolean } | null>();
  let revoked = 0;
  for (const m of matches) {
    if (ours.has(m.token)) continue;
    if (!isWellFormedApiKey(m.token)) {
      ours.set(m.token, null);
      continue;
    }
    const result = await revokeLeakedKey(db, hashApiKey(m.token), { url: m.url, source: m.source });
    if (!result.found) {
      ours.set(m.token, null);
      continue;
    }
    if (result.newlyRevoked) {
      revoked++;
      // This process's cached "valid" goes now; the others hear it from the change feed.
      api.verifier.forgetAccount(result.accountId);
    }
    ours.set(m.token, { keyId: result.keyId, accountId: result.accountId, leaked: result.revokedReason === "leaked" });
  }

  let unavailable = false;
  for (const key of ours.values()) {
    if (!key?.leaked) continue;
    const start = await startWorkflow(
      services,
      workflowRun(leakedKey, { workflowId: leakedKeyWorkflowId(key.keyId), args: [{ keyId: key.keyId }], policy: "once", accountId: key.accountId }),
    );
    if (!start.started && start.reason === "unavailable") {
      unavailable = true;
      // Ids and codes only.
      logger.warn({ workflowId: leakedKeyWorkflowId(key.keyId), err: start.error }, "leaked-key workflow not started; the report will be answered 503");
    }
  }

  const labels = matches.map((m): TokenLabel => ({
    token_hash: hashApiKey(m.token).toString("hex"),
    token_type: m.type,
    label: ours.get(m.token) ? "true_positive" : "false_positive",
  }));
  logger.info({ matches: matches.length, truePositives: labels.filter((l) => l.label === "true_positive").length, revoked }, "secret scanning report");
  return unavailable ? { ok: false, reason: "workflow_unavailable", labels, revoked } : { ok: true, labels, revoked };
}
