/**
 * Claiming tickets: a staff member takes a ticket ("claimed by …" for
 * everyone else), so two agents never work one. The claim is one conditional
 * UPDATE (app/models/tickets.server.ts: setTicketClaim), so of two agents
 * claiming at the same instant exactly one wins and the other is told who has
 * it. Taking over someone else's claim names the claimant the person confirmed
 * against: if the ticket changed hands meanwhile, nothing happens. Audited.
 */
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { clearTicketClaim, OPEN_STATUSES, setTicketClaim, ticketClaim } from "../models/tickets.server.js";

export type ClaimResult =
  { ok: true; message: string } | { ok: false; code: "not_found" | "closed" | "claimed" | "not_yours"; message: string; claimedByEmail?: string | null };

const who = (email: string | null | undefined) => email ?? "a former staff member";

/** Why the ticket was not claimed, read after the UPDATE matched nothing. */
async function refusal(db: Services["db"], ticketId: string, staffId: string, intent: "claim" | "take_over"): Promise<ClaimResult> {
  const now = await ticketClaim(db, ticketId);
  if (!now) return { ok: false, code: "not_found", message: "There is no such ticket." };
  if (!OPEN_STATUSES.includes(now.status)) return { ok: false, code: "closed", message: "This ticket is closed: there is nothing to claim." };
  if (now.claimed_by === staffId) return { ok: true, message: "You have this ticket." };
  if (now.claimed_by === null) {
    // Taking over a claim that was released meanwhile: the person asked for the ticket, and it is free.
    return { ok: false, code: "not_yours", message: "Its claim was released meanwhile: nobody has it now. Claim it if you still want it." };
  }
  return {
    ok: false,
    code: "claimed",
    claimedByEmail: now.claimed_by_email,
    message:
      intent === "claim"
        ? `Not claimed: ${who(now.claimed_by_email)} has this ticket. Take it over only if you agreed that with them.`
        : `Not taken over: the ticket moved on to ${who(now.claimed_by_email)} meanwhile. Look again before taking it over.`,
  };
}

/** Claims an unclaimed open ticket for this staff member. */
export async function claimTicket(services: Pick<Services, "db">, input: { ticketId: string; staffId: string }, actor: Actor): Promise<ClaimResult> {
  const { db } = services;
  const won = await db.transaction().execute(async (trx) => {
    if (!(await setTicketClaim(trx, { ...input, from: null }))) return false;
    await writeAudit(trx, actor, { action: "ticket.claimed", targetType: "ticket", targetId: input.ticketId, details: { staff_id: input.staffId } });
    return true;
  });
  return won ? { ok: true, message: "Claimed: the ticket is yours. Others see that you have it." } : refusal(db, input.ticketId, input.staffId, "claim");
}

/** Takes a ticket over from `fromStaffId`, the claimant the person saw and confirmed against. */
export async function takeOverTicket(
  services: Pick<Services, "db">,
  input: { ticketId: string; staffId: string; fromStaffId: string },
  actor: Actor,
): Promise<ClaimResult> {
  const { db } = services;
  // A form naming oneself as the claimant changes nothing: the answer says whether one has it.
  if (input.fromStaffId === input.staffId) return refusal(db, input.ticketId, input.staffId, "take_over");
  const won = await db.transaction().execute(async (trx) => {
    if (!(await setTicketClaim(trx, { ticketId: input.ticketId, staffId: input.staffId, from: input.fromStaffId }))) return false;
    await writeAudit(trx, actor, {
      action: "ticket.claim_taken_over",
      targetType: "ticket",
      targetId: input.ticketId,
      details: { staff_id: input.staffId, from_staff_id: input.fromStaffId },
    });
    return true;
  });
  return won ? { ok: true, message: "Taken over: the ticket is yours now." } : refusal(db, input.ticketId, input.staffId, "take_over");
}

/** Gives up this staff member's claim. */
export async function releaseTicket(services: Pick<Services, "db">, input: { ticketId: string; staffId: string }, actor: Actor): Promise<ClaimResult> {
  const released = await services.db.transaction().execute(async (trx) => {
    if (!(await clearTicketClaim(trx, input))) return false;
    await writeAudit(trx, actor, { action: "ticket.released", targetType: "ticket", targetId: input.ticketId, details: { staff_id: input.staffId } });
    return true;
  });
  if (released) return { ok: true, message: "Released: the ticket is unclaimed again." };
  const now = await ticketClaim(services.db, input.ticketId);
  if (!now) return { ok: false, code: "not_found", message: "There is no such ticket." };
  return {
    ok: false,
    code: "not_yours",
    claimedByEmail: now.claimed_by_email,
    message: now.claimed_by ? `Nothing to release: ${who(now.claimed_by_email)} has this ticket now.` : "Nothing to release: nobody has this ticket.",
  };
}
