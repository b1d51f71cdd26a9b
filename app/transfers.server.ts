/** Starts the emailTransfer workflow for a ticket (one per ticket: its id says so). */
import { WorkflowIdReusePolicy } from "@temporalio/common";
import { transferWorkflowId, type TransferInput } from "../workflows/shared.js";
import { setTicketWorkflow } from "./models/tickets.server.js";
import type { Services } from "./services.server.js";

export async function startTransfer(services: Pick<Services, "db" | "temporal" | "config">, ticketId: string): Promise<string> {
  const { config } = services;
  const workflowId = transferWorkflowId(ticketId);
  const args: [TransferInput] = [
    {
      ticketId,
      confirmWithinMs: config.transfer.confirmWithinMs,
      secondApproverAboveCents: String(config.transfer.secondApproverAboveCents),
    },
  ];
  await services.temporal.workflow.start("emailTransfer", {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args,
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
  await setTicketWorkflow(services.db, ticketId, workflowId);
  return workflowId;
}
