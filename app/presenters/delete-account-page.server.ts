/**
 * Settings → Delete your account: the email to type, whether the sign-in is
 * recent enough to confirm, which provider signs in again otherwise, and an
 * email transfer involving the account, if one is in progress (said before
 * anything is typed: deleting ends a waiting one, and waits for a moving one).
 */
import type { Services } from "../context.server.js";
import { RECENT_SIGN_IN_MS } from "../models/deletion-refusals.js";
import { sessionSignInOf } from "../models/sessions.server.js";
import { providerLabel } from "../models/sign-in.server.js";
import { getTicket, movingTransferOf, waitingTransfersOf } from "../models/tickets.server.js";

/** Who is confirming: the signed-in person's email, provider, and when this session signed in. */
export function deletionSignIn(services: Pick<Services, "db">, sessionId: string) {
  return sessionSignInOf(services.db, sessionId);
}

/**
 * A transfer in progress that involves the account: "waiting" (on a confirmation or support; deleting ends it) or
 * "moving" (approved and running; a deletion is refused until it ends). `side`: this account is the one moved away,
 * or the one receiving. The ticket's page is linked only for its requester, the one person who may open it.
 */
export interface TransferInProgress {
  phase: "waiting" | "moving";
  side: "moving_away" | "receiving";
  ticketId: string | null;
  waitingFor: "checks" | "confirmation" | "approval" | null;
}

async function transferInProgress(services: Pick<Services, "db">, who: { accountId: string; userId: string }): Promise<TransferInProgress | null> {
  const { db } = services;
  const [moving, waiting] = await Promise.all([movingTransferOf(db, who.accountId), waitingTransfersOf(db, who.accountId)]);
  const id = moving?.id ?? waiting[0];
  const ticket = id ? await getTicket(db, id) : undefined;
  if (!ticket) return null;
  return {
    phase: moving ? "moving" : "waiting",
    side: ticket.old_account_id === who.accountId ? "moving_away" : "receiving",
    ticketId: ticket.requester_user_id === who.userId ? ticket.id : null,
    waitingFor:
      ticket.status === "open"
        ? "checks"
        : ticket.status === "awaiting_confirmation"
          ? "confirmation"
          : ticket.status === "awaiting_approval"
            ? "approval"
            : null,
  };
}

/** null: a username/password login, which cannot delete the account it belongs to. */
export async function loadDeleteAccountPage(services: Pick<Services, "db">, who: { sessionId: string; accountId: string; userId: string }) {
  const { email, provider, signedInAt } = await deletionSignIn(services, who.sessionId);
  if (provider === "password") return null;
  const age = Date.now() - signedInAt.getTime();
  const fresh = age <= RECENT_SIGN_IN_MS;
  return {
    email,
    transfer: await transferInProgress(services, who),
    provider: provider === "github" ? ("github" as const) : ("google" as const),
    providerName: providerLabel(provider === "github" ? "github" : "google"),
    fresh,
    // Minutes left to confirm before a fresh sign-in is needed again (shown, never enforced client-side).
    minutesLeft: fresh ? Math.max(0, Math.floor((RECENT_SIGN_IN_MS - age) / 60_000)) : 0,
  };
}
