/** Email-transfer tickets for tests, created and started the way the app does it. */
import { createWebTransferTicket } from "../../app/models/tickets.server.js";
import type { Db } from "../../db/connection.js";
import type { Client } from "@temporalio/client";
import { transferWorkflowId, type TransferInput } from "../../workflows/shared.js";
import { setTicketWorkflow } from "../../app/models/tickets.server.js";

export async function startTestTransfer(
  deps: { db: Db; temporal: Client; taskQueue: string },
  input: { requesterUserId: string; oldAccountId: string; newAddress: string; confirmWithinMs?: number; secondApproverAboveCents?: bigint },
) {
  const ticketId = await createWebTransferTicket(deps.db, input, { type: "user", id: input.requesterUserId });
  const workflowId = transferWorkflowId(ticketId);
  const args: [TransferInput] = [
    {
      ticketId,
      confirmWithinMs: input.confirmWithinMs ?? 7 * 24 * 3600_000,
      secondApproverAboveCents: String(input.secondApproverAboveCents ?? 100_000n),
    },
  ];
  await deps.temporal.workflow.start("emailTransfer", { taskQueue: deps.taskQueue, workflowId, args });
  await setTicketWorkflow(deps.db, ticketId, workflowId);
  return { ticketId, handle: deps.temporal.workflow.getHandle(workflowId) };
}
