/**
 * Starting a deletion, from Settings or the console: the request takes effect
 * in one transaction that also starts the deleteAccount workflow, so either
 * both happen or neither does (if Temporal refuses, nothing changed and the
 * person is asked to try again).
 */
import { WorkflowIdReusePolicy } from "@temporalio/common";
import type { Actor } from "./models/audit.server.js";
import { deletionRefusalMessage, requestAccountDeletion, setDeletionWorkflow, type DeletionRequest } from "./models/deletions.server.js";
import type { Services } from "./services.server.js";
import { deleteWorkflowId, forAccount, type DeleteAccountInput } from "../workflows/shared.js";

export type StartDeletionResult = { ok: true; deletionId: string; workflowId: string } | { ok: false; status: 409 | 503; message: string };

export async function startDeletion(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  req: DeletionRequest,
  actor: Actor,
): Promise<StartDeletionResult> {
  const { db, temporal, config, logger } = services;
  const workflowId = deleteWorkflowId(req.accountId);
  try {
    return await db.transaction().execute(async (trx) => {
      const requested = await requestAccountDeletion(trx, req, actor);
      if (!requested.ok) return { ok: false, status: 409, message: deletionRefusalMessage(requested.refusal, req.source) } as const;
      await setDeletionWorkflow(trx, requested.deletionId, workflowId);
      const args: [DeleteAccountInput] = [{ accountId: req.accountId }];
      await temporal.workflow.start("deleteAccount", {
        taskQueue: config.temporal.taskQueue,
        workflowId,
        args,
        typedSearchAttributes: forAccount(req.accountId),
        // A deletion that failed may be started again; a running one is never doubled.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
      return { ok: true, deletionId: requested.deletionId, workflowId } as const;
    });
  } catch (err) {
    logger.error({ err: (err as Error).name, accountId: req.accountId }, "deletion not started");
    return { ok: false, status: 503, message: "The deletion could not be started just now; nothing was changed. Try again in a moment." };
  }
}
