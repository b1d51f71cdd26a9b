/**
 * Starting a deletion, from Settings or the console. The request takes effect
 * when its transaction commits (account "deleting", keys and sessions dead);
 * then the deleteAccount workflow starts (app/temporal/start.server.ts). Should
 * Temporal refuse, the request stands (nothing works for the account any more)
 * and its row is recorded as failed at "not_started": the console lists it and
 * support starts it again.
 */
import { z } from "zod";
import type { Actor } from "../models/audit.server.js";
import {
  DELETION_REASON_MAX,
  deletionRefusalMessage,
  recordDeletionStep,
  requestAccountDeletion,
  setDeletionWorkflow,
  step,
  type DeletionRequest,
} from "../models/deletions.server.js";
import type { Services } from "../context.server.js";
import { commitThenStart, workflowRun } from "../temporal/start.server.js";
import { deleteAccount } from "../../workflows/delete-account.js";
import { deleteWorkflowId } from "../../workflows/shared.js";

/** The console's "Delete account (on the person's request)" form: where the person asked, and the ticked confirmation. */
export const SupportDeletionForm = z.object({
  reason: z.string().trim().min(1, deletionRefusalMessage("reason_missing")).max(DELETION_REASON_MAX, `Keep the reason to ${DELETION_REASON_MAX} characters.`),
  confirm: z.literal("yes", { errorMap: () => ({ message: "Tick “I understand this cannot be undone” to go ahead." }) }),
});

export type StartDeletionResult = { ok: true; deletionId: string; workflowId: string; started: boolean } | { ok: false; status: 409 | 503; message: string };

export async function startDeletion(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  req: DeletionRequest,
  actor: Actor,
): Promise<StartDeletionResult> {
  const workflowId = deleteWorkflowId(req.accountId);
  try {
    const result = await commitThenStart(services, {
      commit: async (trx) => {
        const requested = await requestAccountDeletion(trx, req, actor);
        return requested;
      },
      workflow: () => workflowRun(deleteAccount, { workflowId, args: [{ accountId: req.accountId }], accountId: req.accountId, policy: "one_at_a_time" }),
      link: (db, c) => setDeletionWorkflow(db, c.deletionId, workflowId),
      notStarted: async (db, _c, outcome) => {
        await recordDeletionStep(
          db,
          { accountId: req.accountId, step: step("not_started", outcome.reason), status: "failed", error: "workflow_not_started" },
          actor,
        );
      },
    });
    if (!result.ok) return { ok: false, status: 409, message: deletionRefusalMessage(result.refusal, req.source) };
    return { ok: true, deletionId: result.deletionId, workflowId, started: result.start?.started === true };
  } catch (err) {
    services.logger.error({ err: (err as Error).name, accountId: req.accountId }, "deletion not recorded");
    return { ok: false, status: 503, message: "The deletion could not be recorded just now; nothing was changed. Try again in a moment." };
  }
}
