/** Email-transfer tickets for tests, created and started the way the app does it (app/temporal/start.server.ts). */
import type { Client } from "@temporalio/client";
import { expect } from "vitest";
import { parseConfig } from "../../app/config.server.js";
import { createWebTransferTicket, markConfirmed } from "../../app/models/tickets.server.js";
import { startTransferWorkflow } from "../../app/services/transfer.server.js";
import type { Db } from "../../db/connection.js";
import { confirmTransferSignal } from "../../workflows/shared.js";

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

/** The token of a ticket's confirmation link, read from the outbox mail as the new owner would (polled until the mail is there). */
export async function confirmationToken(db: Db, ticketId: string, timeoutMs = 15_000): Promise<string> {
  let text = "";
  await expect
    .poll(
      async () => {
        const m = await db
          .selectFrom("mail_outbox")
          .select("text_body")
          .where("related_id", "=", ticketId)
          .where("kind", "=", "transfer_confirmation")
          .executeTakeFirst();
        text = m?.text_body ?? "";
        return text.length > 0;
      },
      { timeout: timeoutMs },
    )
    .toBe(true);
  const token = /confirm-transfer\/([A-Za-z0-9_-]{43})/.exec(text)?.[1];
  if (!token) throw new Error("no confirmation link in the mail");
  return token;
}

/** The new owner confirms with the mailed token (recorded, then the workflow is told), as the confirmation page does. */
export async function confirmWithMailedToken(
  db: Db,
  ticketId: string,
  handle: { signal: (s: typeof confirmTransferSignal) => Promise<void> },
  userId: string | null = null,
): Promise<string> {
  const token = await confirmationToken(db, ticketId);
  expect(await markConfirmed(db, ticketId, token, { type: "user", id: userId })).toBe(true);
  await handle.signal(confirmTransferSignal);
  return token;
}

/** Ends the workflows of every ticket (a test with no worker leaves them waiting, to wake on the next test's worker). */
export async function endTicketWorkflows(db: Db, temporal: Client): Promise<void> {
  const started = await db.selectFrom("support_tickets").select("workflow_id").where("workflow_id", "is not", null).execute();
  await Promise.all(
    started.map((r) =>
      temporal.workflow
        .getHandle(r.workflow_id!)
        .terminate("test cleanup")
        .catch(() => undefined),
    ),
  );
}
