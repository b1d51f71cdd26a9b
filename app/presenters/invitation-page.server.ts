/**
 * The page behind an invitation link: which account invites, as what, and
 * what the viewer can do about it (sign in, join, switch to it, or why not).
 * The invited address is masked unless the viewer is that address: links get
 * forwarded.
 */
import type { InvitedRole } from "../../db/schema.js";

/** The page words the role by this type (routes take their types from their presenter). */
export type { InvitedRole };
import type { Principal } from "../auth/session.server.js";
import type { Services } from "../context.server.js";
import { maskEmail, normalizeEmail } from "../models/email.server.js";
import { acceptRefusalMessage, findInvitation, findInvitee, invitingAccount, type AcceptRefusal } from "../models/invitations.server.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { planAllows } from "../models/plans.js";

export type InvitationSummary = { accountName: string; role: InvitedRole; email: string; expiresAt: string };
export type InvitationView =
  | { state: "sign_in"; invitation: InvitationSummary; token: string; who: null }
  | { state: "join"; invitation: InvitationSummary; token: string; who: string | null }
  | { state: "member_elsewhere"; invitation: InvitationSummary; accountId: string; who: string | null }
  | { state: "refused"; refusal: AcceptRefusal; message: string; invitation: InvitationSummary | null; who: string | null; signedIn: boolean };

/** What the page looks like and its status, or: the viewer already acts on the account (the route sends them there). */
export type InvitationPage = { joined: true } | { joined: false; view: InvitationView; status: number };

const REFUSAL_STATUS: Record<AcceptRefusal, number> = {
  not_found: 404,
  expired: 410,
  revoked: 410,
  accepted: 410,
  wrong_email: 403,
  plan: 409,
  inactive: 409,
};

const page = (view: InvitationView): InvitationPage => ({ joined: false, view, status: view.state === "refused" ? REFUSAL_STATUS[view.refusal] : 200 });

export async function loadInvitationPage(services: Pick<Services, "db">, token: string, principal: Principal | null): Promise<InvitationPage> {
  const { db } = services;
  const [found, viewer] = await Promise.all([findInvitation(db, token), principal?.userId ? findInvitee(db, principal.userId) : undefined]);
  const signedIn = principal !== null;
  const whoEmail = viewer?.email ?? null;
  if (found.state === "not_found") {
    return page({ state: "refused", refusal: "not_found", message: acceptRefusalMessage("not_found"), invitation: null, who: whoEmail, signedIn });
  }
  const isInvitee = whoEmail !== null && normalizeEmail(whoEmail) === found.email;
  const invitation: InvitationSummary = {
    accountName: found.accountName,
    role: found.role,
    email: isInvitee ? found.email : maskEmail(found.email),
    expiresAt: found.expiresAt.toISOString(),
  };
  const refused = (refusal: AcceptRefusal) =>
    page({ state: "refused", refusal, message: acceptRefusalMessage(refusal, invitation.email), invitation, who: whoEmail, signedIn });

  // Already on the account (e.g. a new person who joined at sign-in): straight to it.
  if (isInvitee && principal?.userId && (await getMembershipRole(db, found.accountId, principal.userId))) {
    if (principal.accountId === found.accountId) return { joined: true };
    return page({ state: "member_elsewhere", invitation, accountId: found.accountId, who: whoEmail });
  }
  if (found.state !== "valid") return refused(found.state);
  const account = await invitingAccount(db, found.accountId);
  if (!account || account.status !== "active") return refused("inactive");
  if (!planAllows(account.plan, "user_management")) return refused("plan");
  if (!principal) return page({ state: "sign_in", invitation, token, who: null });
  if (!isInvitee || !principal.userId) return refused("wrong_email");
  return page({ state: "join", invitation, token, who: whoEmail });
}

/** The join view once accepting was refused after all (the invitation changed meanwhile). */
export function joinRefused(view: Extract<InvitationView, { state: "join" }>, refusal: AcceptRefusal): { view: InvitationView; status: number } {
  return {
    view: { ...view, state: "refused", refusal, message: acceptRefusalMessage(refusal, view.invitation.email), signedIn: true },
    status: REFUSAL_STATUS[refusal],
  };
}
