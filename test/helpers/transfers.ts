/** Email-transfer tickets for tests, created and started the way the app does it (app/temporal/start.server.ts). */
import type { Client } from "@temporalio/client";
import { parseConfig } from "../../app/config.server.js";
import { createWebTransferTicket } from "../../app/models/tickets.server.js";
import { startTransferWorkflow } from "../../app/services/transfer.server.js";
import type { Db } from "../../db/connection.js";

export async function startTestTransfer(
  deps: { db: Db; temporal: Client; taskQueue: string },
  input: { requesterUserId: string; oldAccountId: string; newAddress: string; confirmWithinMs?: number; secondApproverAboveCents?: bigint },
) {
  const ticketId = await createWebTransferTicket(deps.db, input, { type: "user", id: input.requesterUserId });
  const services = { db: deps.db, temporal: deps.temporal, config: parseConfig({ TEMPORAL_TASK_QUEUE: deps.taskQueue }) };
  const workflowId = await startTransferWorkflow(services, ticketId, {
    confirmWithinMs: input.confirmWithinMs ?? 7 * 24 * 3600_000,
    secondApproverAboveCents: input.secondApproverAboveCents ?? 100_000n,
  });
  return { ticketId, handle: deps.temporal.workflow.getHandle(workflowId) };
}
