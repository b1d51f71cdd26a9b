/**
 * Ending a membership (a removal, or the person leaving) as one intent. The
 * model does the removal (app/models/memberships.server.ts); when that erased
 * the person and a mailing-list provider mirrors the lists, the provider must
 * forget their contact too, which takes a workflow. Both happen in one
 * transaction, as a deletion's start does: if Temporal refuses, nothing
 * changed and the person is asked to try again.
 */
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/client";
import type { Transaction } from "kysely";
import type { Database } from "../db/schema.js";
import type { Actor } from "./models/audit.server.js";
import { removeMember, type MemberChangeRefusal, type MemberRemoved } from "./models/memberships.server.js";
import type { Services } from "./services.server.js";
import { contactErasureWorkflowId, forAccount, type ContactErasureInput } from "../workflows/shared.js";

export type EndMembershipResult = MemberRemoved | MemberChangeRefusal | { ok: false; status: 503; message: string };

export async function endMembership(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { accountId: string; userId: string; how?: "removed" | "left"; keepSessionId?: string },
  actor: Actor,
  /** More of the same intent, in the same transaction (leaving moves the session to another account). */
  also?: (trx: Transaction<Database>, removed: MemberRemoved) => Promise<void>,
): Promise<EndMembershipResult> {
  const { db, temporal, config, logger } = services;
  try {
    return await db.transaction().execute(async (trx) => {
      const removed = await removeMember(trx, input.accountId, input.userId, actor, { how: input.how, keepSessionId: input.keepSessionId });
      if (!removed.ok) return removed;
      if (also) await also(trx, removed);
      if (removed.personErased && config.mailingProvider) {
        const args: [ContactErasureInput] = [{ userId: input.userId }];
        try {
          await temporal.workflow.start("eraseMailingContact", {
            taskQueue: config.temporal.taskQueue,
            workflowId: contactErasureWorkflowId(input.userId),
            args,
            typedSearchAttributes: forAccount(input.accountId),
          });
        } catch (err) {
          // Already on its way (a retried request): that one does it.
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
      }
      return removed;
    });
  } catch (err) {
    logger.error({ err: (err as Error).name, accountId: input.accountId }, "membership not ended");
    return { ok: false, status: 503, message: "That could not be done just now; nothing was changed. Try again in a moment." };
  }
}
