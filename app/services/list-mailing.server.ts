/** Staff send a mail to everyone on a list: the mailing row is committed, then its listMailing workflow sends it. */
import type { Actor } from "../models/audit.server.js";
import { createMailing, markMailingNotStarted } from "../models/mailing.server.js";
import type { Services } from "../context.server.js";
import { commitThenStart, workflowRun } from "../temporal/start.server.js";
import { listMailing } from "../../workflows/mailing.js";
import { listMailingWorkflowId } from "../../workflows/shared.js";

export async function sendListMailing(
  services: Pick<Services, "db" | "temporal" | "config" | "logger">,
  input: { listId: string; subject: string; text: string; staffId: string },
  actor: Actor,
): Promise<{ mailingId: string; started: boolean }> {
  const result = await commitThenStart(services, {
    commit: async (trx) => ({ ok: true as const, mailingId: await createMailing(trx, input, actor) }),
    workflow: (c) => workflowRun(listMailing, { workflowId: listMailingWorkflowId(c.mailingId), args: [{ mailingId: c.mailingId }], policy: "one_at_a_time" }),
    // The workflow id is derived from the mailing's id: nothing to link on the row.
    link: async () => {},
    notStarted: (db, c) => db.transaction().execute((trx) => markMailingNotStarted(trx, c.mailingId, actor)),
  });
  return { mailingId: result.mailingId, started: result.start?.started === true };
}
