/**
 * Settings → Members: who may use this account, by plan (authentication.md,
 * "Inviting Others to Use Your Account"; the table is app/models/plans.ts).
 *
 * - GPU Cluster: user management. Owners and admins invite people by email
 *   (admin or member), resend or revoke pending invitations, change roles,
 *   remove members; the owner hands ownership to an admin. Members see the
 *   list. Anyone but the owner may leave.
 * - Removing (or leaving) ends the person's sessions on this account and
 *   revokes every key they created on it, at once; the confirmation step lists
 *   those keys. A main key of theirs is replaced, and the new one is shown once
 *   to whoever removed them. Someone left with no account at all is erased
 *   (docs/decisions/005-erase-people-without-accounts.md).
 * - Scale and Enterprise: username/password logins, once support turned them
 *   on; a new or reset login's one-time password is shown once, never cached.
 * - Build: access is shared with additional API keys.
 *
 * Every change is one action dispatching on `intent` to one function of
 * app/services/members.server.ts; a bad request answers 400 and changes
 * nothing, someone who may not manage answers 403.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, requireUser } from "../auth/session.server.js";
import { fieldErrorsOf } from "../components/forms.js";
import { MEMBERS_PAGE as PAGE, type MembersActionData as ActionResult } from "../components/members/action-data.js";
import { MembersView } from "../components/members/members-view.js";
import { NO_STORE, fetchedByScript, passCacheControl } from "../http/no-store.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { pageTitle } from "../page-title.js";
import { loadMembersPage } from "../presenters/members-page.server.js";
import {
  changeMemberRole,
  createLogin,
  handOverAccount,
  inviteMember,
  leaveAccount,
  manageRefusal,
  removeFromAccount,
  removeLogin,
  resendMemberInvitation,
  resetLogin,
  revokeMemberInvitation,
  type MembersOutcome,
} from "../services/members.server.js";

export const meta: MetaFunction = () => pageTitle("Members", "Settings");

/** A page that carries a one-time password is never stored (app/http/no-store.ts). */
export const headers = passCacheControl;

const Query = z.object({
  confirm: z.enum(["remove", "handover", "remove_login", "leave"]).optional(),
  user: z.string().uuid().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const url = new URL(request.url);
  // A malformed or stale confirmation link is just the page.
  const query = Query.safeParse(Object.fromEntries(url.searchParams));
  const page = await loadMembersPage(context.services, p, {
    confirm: query.success && query.data.confirm ? { kind: query.data.confirm, userId: query.data.user } : undefined,
    joined: url.searchParams.has("joined"),
    left: url.searchParams.has("left"),
  });
  if (!page) throw new Response("You are not a member of this account.", { status: 403 });
  return page;
}

// ---- the action ----

const Intent = z.object({
  intent: z.enum(["invite", "resend", "revoke", "set_role", "remove", "handover", "create_login", "reset_login", "remove_login", "leave"]),
});
const MEMBER_INTENTS = new Set(["invite", "resend", "revoke", "set_role", "remove", "handover"]);

const MAX_ADDRESS = 320;
const InviteSchema = z.object({
  email: z
    .string({ message: "Enter the email address of the person to invite." })
    .trim()
    .min(1, "Enter the email address of the person to invite.")
    .max(MAX_ADDRESS, `An email address is at most ${MAX_ADDRESS} characters.`)
    .pipe(z.string().email("That is not an email address. Enter it as name@example.com.")),
  role: z.enum(["admin", "member"], { errorMap: () => ({ message: "Choose a role: admin or member." }) }),
});
const InvitationId = z.object({ invitationId: z.string().uuid() });
const UserId = z.object({ userId: z.string().uuid() });
const SetRole = z.object({ userId: z.string().uuid(), role: z.enum(["admin", "member"]) });
const UsernameSchema = z.object({
  username: z.string({ message: "Enter a username." }).trim().min(1, "Enter a username.").max(40, "A username is at most 40 characters."),
});

const result = (request: Request, r: Partial<ActionResult>, status = 200) =>
  data<ActionResult>(
    { notice: null, error: null, errors: {}, values: { email: "", role: "member", username: "" }, revealed: null, newMainKey: null, ...r },
    { status, headers: (r.revealed || r.newMainKey) && !fetchedByScript(request) ? NO_STORE : undefined },
  );
/** A service's outcome as the page's answer; `values` refill the form a refusal came from. */
const reply = (request: Request, outcome: MembersOutcome, values?: ActionResult["values"]) => {
  if (!outcome.ok) {
    const refill = values ? { values } : {};
    return outcome.field
      ? result(request, { errors: { [outcome.field]: outcome.message }, ...refill }, outcome.status)
      : result(request, { error: outcome.message, ...refill }, outcome.status);
  }
  return result(request, { notice: outcome.notice ?? null, revealed: outcome.revealed ?? null, newMainKey: outcome.newMainKey ?? null });
};
const UNKNOWN = "Unknown request: reload the page and try again.";

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const { services } = context;
  const fields = Object.fromEntries(form);
  const intent = Intent.safeParse(fields);
  if (!intent.success) return result(request, { error: UNKNOWN }, 400);
  const role = await getMembershipRole(services.db, p.accountId, p.userId);
  if (!role) throw new Response("You are not a member of this account.", { status: 403 });
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  const accountId = p.accountId;

  if (intent.data.intent === "leave") {
    const left = await leaveAccount(services, { accountId, userId: p.userId, sessionId: p.sessionId }, actor);
    if (!left.ok) return result(request, { error: left.message }, left.status);
    if (left.then === "moved") throw redirect(`${PAGE}?left`);
    throw redirect(left.then === "erased" ? "/login?ended=left" : "/login?signedOut", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  }

  // Who may do it comes before what was typed: a member learns nothing from a form they may not use.
  const refusal = await manageRefusal(services, accountId, role, MEMBER_INTENTS.has(intent.data.intent) ? "members" : "password_logins");
  if (refusal) return result(request, { error: refusal.message }, refusal.status);

  switch (intent.data.intent) {
    case "invite": {
      const values = { email: String(fields.email ?? "").slice(0, MAX_ADDRESS * 2), role: String(fields.role ?? "member").slice(0, 20), username: "" };
      const parsed = InviteSchema.safeParse(fields);
      if (!parsed.success) return result(request, { errors: fieldErrorsOf(parsed.error, ["email", "role"]).fieldErrors, values }, 400);
      return reply(request, await inviteMember(services, { accountId, ...parsed.data, invitedBy: p.userId }, actor), values);
    }
    case "resend": {
      const parsed = InvitationId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      return reply(request, await resendMemberInvitation(services, { accountId, invitationId: parsed.data.invitationId }, actor));
    }
    case "revoke": {
      const parsed = InvitationId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      return reply(request, await revokeMemberInvitation(services, { accountId, invitationId: parsed.data.invitationId }, actor));
    }
    case "set_role": {
      const parsed = SetRole.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      return reply(request, await changeMemberRole(services, { accountId, ...parsed.data }, actor));
    }
    case "remove": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      return reply(request, await removeFromAccount(services, { accountId, userId: parsed.data.userId, removedBy: p.userId }, actor));
    }
    case "handover": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      return reply(request, await handOverAccount(services, { accountId, fromUserId: p.userId, toUserId: parsed.data.userId }, actor));
    }
    case "create_login": {
      const values = { email: "", role: "member", username: String(fields.username ?? "").slice(0, 80) };
      const parsed = UsernameSchema.safeParse(fields);
      if (!parsed.success) return result(request, { errors: fieldErrorsOf(parsed.error, ["username"]).fieldErrors, values }, 400);
      return reply(request, await createLogin(services, { accountId, username: parsed.data.username, createdBy: p.userId }, actor), values);
    }
    case "reset_login": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      return reply(request, await resetLogin(services, { accountId, userId: parsed.data.userId }, actor));
    }
    case "remove_login": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      return reply(request, await removeLogin(services, { accountId, userId: parsed.data.userId }, actor));
    }
  }
}

export default function MembersPage() {
  const page = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  return <MembersView page={page} outcome={outcome ?? null} />;
}
