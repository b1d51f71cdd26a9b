/**
 * Message ids of inbound mails that made a ticket (issue 14, finding 5). A
 * mail delivered twice (a replayed request, or the sender retrying after a
 * lost answer) must make one ticket. Only a SHA-256 of the id is kept: ids
 * often name a host and sometimes an address.
 */
import { createHash } from "node:crypto";
import type { DbOrTrx } from "../../db/connection.js";

const hashOf = (messageId: string) => createHash("sha256").update(messageId, "utf8").digest();

/**
 * Claims the message id for a ticket about to be made in the same transaction.
 * False if it was claimed before: then the caller makes no ticket. A concurrent
 * claim of the same id waits for the first transaction and is then refused.
 */
export async function claimInboundMessage(trx: DbOrTrx, messageId: string): Promise<boolean> {
  const row = await trx
    .insertInto("inbound_messages")
    .values({ message_id_hash: hashOf(messageId) })
    .onConflict((oc) => oc.column("message_id_hash").doNothing())
    .returning("message_id_hash")
    .executeTakeFirst();
  return row !== undefined;
}

export async function setInboundMessageTicket(trx: DbOrTrx, messageId: string, ticketId: string): Promise<void> {
  await trx.updateTable("inbound_messages").set({ ticket_id: ticketId }).where("message_id_hash", "=", hashOf(messageId)).execute();
}

/** The ticket a message id made earlier, if any. */
export async function ticketOfInboundMessage(db: DbOrTrx, messageId: string): Promise<string | null> {
  const row = await db.selectFrom("inbound_messages").select("ticket_id").where("message_id_hash", "=", hashOf(messageId)).executeTakeFirst();
  return row?.ticket_id ?? null;
}

/** Forgets a message id whose ticket was closed unstarted, so the sender's retry makes a new one. */
export async function releaseInboundMessage(trx: DbOrTrx, messageId: string): Promise<void> {
  await trx.deleteFrom("inbound_messages").where("message_id_hash", "=", hashOf(messageId)).execute();
}
