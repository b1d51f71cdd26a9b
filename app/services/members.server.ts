/**
 * Ending a membership (a removal, or the person leaving) as one intent. The
 * model does the removal (app/models/memberships.server.ts) and commits it;
 * when that erased the person and a mailing-list provider mirrors the lists,
 * the provider must forget their contact too, which takes a workflow
 * (app/temporal/start.server.ts). Should Temporal refuse, the removal stands
 * and the refused erasure is on record in the audit log for staff.
 */
import type { Transaction } from "kysely";
import type { Database } from "../../db/schema.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { removeMember, type MemberChangeRefusal, type MemberRemoved } from "../models/memberships.server.js";
import type { Services } from "../context.server.js";
import { commitThenStart, workflowRun } from "../temporal/start.server.js";
import { eraseMailingContact } from "../../workflows/mailing.js";
import { contactErasureWorkflowId } from "../../workflows/shared.js";

export type EndMembershipResult = MemberRemoved | MemberChangeRefusal | { ok: false; status: 503; message: string };

export async function endMembership(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { accountId: string; userId: string; how?: "removed" | "left"; keepSessionId?: string },
  actor: Actor,
  /** More of the same intent, in the same transaction (leaving moves the session to another account). */
  also?: (trx: Transaction<Database>, removed: MemberRemoved) => Promise<void>,
): Promise<EndMembershipResult> {
  const { config, logger } = services;
  const workflowId = contactErasureWorkflowId(input.userId);
  try {
    const result = await commitThenStart(services, {
      commit: async (trx): Promise<MemberRemoved | MemberChangeRefusal> => {
        const removed = await removeMember(trx, input.accountId, input.userId, actor, { how: input.how, keepSessionId: input.keepSessionId });
        if (removed.ok && also) await also(trx, removed);
        return removed;
      },
      workflow: (removed) =>
        removed.personErased && config.mailingProvider
          ? workflowRun(eraseMailingContact, { workflowId, args: [{ userId: input.userId }], accountId: input.accountId, policy: "one_at_a_time" })
          : null,
      // The workflow id is the person's; nothing to link on a row.
      link: async () => {},
      notStarted: (db, _c, outcome) =>
        writeAudit(db, actor, {
          action: "mailing.contact_erasure_not_started",
          targetType: "user",
          targetId: input.userId,
          details: { reason: outcome.reason },
        }),
    });
    if (!result.ok) return result;
    const { start: _, ...removed } = result;
    return removed;
  } catch (err) {
    logger.error({ err: (err as Error).name, accountId: input.accountId }, "membership not ended");
    return { ok: false, status: 503, message: "That could not be done just now; nothing was changed. Try again in a moment." };
  }
}
