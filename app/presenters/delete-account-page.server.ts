/**
 * Settings → Delete your account: the email to type, whether the sign-in is
 * recent enough to confirm, which provider signs in again otherwise, and
 * whether an email transfer involving the account is waiting.
 */
import type { Services } from "../context.server.js";
import { RECENT_SIGN_IN_MS } from "../models/deletion-refusals.js";
import { sessionSignInOf } from "../models/sessions.server.js";
import { providerLabel } from "../models/sign-in.server.js";
import { waitingTransfersOf } from "../models/tickets.server.js";

/** Who is confirming: the signed-in person's email, provider, and when this session signed in. */
export function deletionSignIn(services: Pick<Services, "db">, sessionId: string) {
  return sessionSignInOf(services.db, sessionId);
}

/** null: a username/password login, which cannot delete the account it belongs to. */
export async function loadDeleteAccountPage(services: Pick<Services, "db">, who: { sessionId: string; accountId: string }) {
  const { email, provider, signedInAt } = await deletionSignIn(services, who.sessionId);
  if (provider === "password") return null;
  const age = Date.now() - signedInAt.getTime();
  const fresh = age <= RECENT_SIGN_IN_MS;
  return {
    email,
    // Said before anything is typed: deleting ends the transfer (nothing moves).
    transferWaiting: (await waitingTransfersOf(services.db, who.accountId)).length > 0,
    provider: provider === "github" ? ("github" as const) : ("google" as const),
    providerName: providerLabel(provider === "github" ? "github" : "google"),
    fresh,
    // Minutes left to confirm before a fresh sign-in is needed again (shown, never enforced client-side).
    minutesLeft: fresh ? Math.max(0, Math.floor((RECENT_SIGN_IN_MS - age) / 60_000)) : 0,
  };
}
