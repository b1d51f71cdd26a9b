/** Settings → Email (/settings/email): the address this account signs in with, a transfer in progress, and the person's requests. */
import type { Services } from "../context.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { openTransferOf, transfersRequestedBy } from "../models/tickets.server.js";

export async function loadEmailSettingsPage(services: Pick<Services, "db">, input: { userId: string; accountId: string }) {
  const { db } = services;
  const [home, open, tickets] = await Promise.all([
    getHomeSummary(db, input.userId, input.accountId),
    openTransferOf(db, input.accountId),
    transfersRequestedBy(db, input.userId),
  ]);
  return {
    currentAddress: home?.user.email ?? null,
    // Only the requester may open a ticket's page; anyone else on the account is told without a link.
    open: open ? { id: open.id, yours: open.requester_user_id === input.userId } : null,
    tickets: tickets.map((t) => ({
      id: t.id,
      status: t.status,
      source: t.source,
      newAddress: t.new_address,
      createdAt: t.created_at,
      closedAt: t.closed_at,
    })),
  };
}
