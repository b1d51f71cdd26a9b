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
 * Every change is one action dispatching on `intent`; a bad request answers
 * 400 and changes nothing, someone who may not manage answers 403.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useState } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import type { MemberRole } from "../../db/schema.js";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { requireUser } from "../auth/session.server.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { deliveryMode } from "../mail/mailer.server.js";
import { endMembership } from "../services/members.server.js";
import { keysCreatedBy } from "../models/api-keys.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { createInvitation, invitationLimitsFrom, pendingInvitations, resendInvitation, revokeInvitation } from "../models/invitations.server.js";
import { accountsOfUser, getMembershipRole, handOverOwnership, listMembers, memberManagementRefusal, setMemberRole } from "../models/memberships.server.js";
import { createPasswordLogin, listPasswordLogins, resetPasswordLogin } from "../models/password-logins.server.js";
import { PLAN_LABEL, planAllows, plansWith } from "../models/plans.js";
import { NO_STORE, fetchedByScript, passCacheControl } from "../http/no-store.js";
import { clearSessionCookie } from "../auth/session.server.js";
import { revokeSession } from "../models/sessions.server.js";

export const meta: MetaFunction = () => [{ title: "Members · Switchboard" }];

/** A page that carries a one-time password is never stored (app/http/no-store.ts). */
export const headers = passCacheControl;

const PAGE = "/settings/members";
const canManageRole = (role: MemberRole) => role === "owner" || role === "admin";

const Query = z.object({
  confirm: z.enum(["remove", "handover", "remove_login", "leave"]).optional(),
  user: z.string().uuid().optional(),
});

type Section = "members" | "password_logins" | "keys";

function memberLabel(m: { name: string | null; email: string | null; username: string | null }): string {
  if (m.username) return m.username;
  return m.name && m.email ? `${m.name} (${m.email})` : (m.email ?? m.name ?? "this person");
}

/** What removal revokes, as the keys page shows them. */
async function keyList(db: Parameters<typeof keysCreatedBy>[0], accountId: string, userId: string) {
  return (await keysCreatedBy(db, accountId, userId)).map((k) => ({ id: k.id, kind: k.kind, name: k.name, display: `${k.prefix}…${k.last4}` }));
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const { db } = context.services;
  const home = await getHomeSummary(db, p.userId, p.accountId);
  if (!home) throw new Response("You are not a member of this account.", { status: 403 });
  const { plan } = home.account;
  const role = home.role;
  const canManage = canManageRole(role);
  const section: Section = planAllows(plan, "user_management") ? "members" : planAllows(plan, "password_logins") ? "password_logins" : "keys";
  const url = new URL(request.url);

  const rows = section === "keys" ? [] : await listMembers(db, p.accountId);
  const members = rows.map((m) => ({
    id: m.id,
    name: m.name,
    email: m.email,
    username: m.username,
    passwordLogin: m.provider === "password",
    role: m.role,
    joinedAt: m.created_at,
    label: memberLabel(m),
  }));
  const invitations =
    section === "members" && canManage
      ? (await pendingInvitations(db, p.accountId)).map((i) => ({
          id: i.id,
          email: i.email ?? "",
          role: i.role,
          sentAt: i.last_sent_at,
          sentCount: i.sent_count,
          expiresAt: i.expires_at,
          expired: i.expired,
        }))
      : [];

  let passwordLogins: {
    enabled: boolean;
    loginId: string | null;
    logins: { userId: string; username: string; mustChange: boolean; createdAt: Date; passwordChangedAt: Date | null }[];
  } | null = null;
  if (section === "password_logins") {
    const account = await db.selectFrom("accounts").select(["password_logins_enabled", "login_id"]).where("id", "=", p.accountId).executeTakeFirstOrThrow();
    const logins = await listPasswordLogins(db, p.accountId);
    passwordLogins = {
      enabled: account.password_logins_enabled,
      loginId: account.login_id,
      logins: logins.map((l) => ({
        userId: l.user_id,
        username: l.username,
        mustChange: l.must_change,
        createdAt: l.created_at,
        passwordChangedAt: l.password_changed_at,
      })),
    };
  }

  // A confirmation step for removal, leaving and hand-over; a malformed or stale link is just the page.
  const query = Query.safeParse(Object.fromEntries(url.searchParams));
  let confirm: ConfirmData | null = null;
  if (query.success && query.data.confirm === "leave") {
    const self = members.find((m) => m.id === p.userId);
    const elsewhere = (await accountsOfUser(db, p.userId)).some((a) => a.id !== p.accountId);
    confirm = {
      kind: "leave",
      target: self && self.role !== "owner" ? { id: self.id, label: self.label, keys: await keyList(db, p.accountId, self.id) } : null,
      lastAccount: !elsewhere,
    };
  } else if (canManage && query.success && query.data.confirm) {
    const kind = query.data.confirm;
    const candidates =
      kind === "handover"
        ? role === "owner"
          ? members.filter((m) => m.role === "admin" && !m.passwordLogin)
          : []
        : kind === "remove"
          ? section === "members"
            ? members.filter((m) => m.role !== "owner" && m.id !== p.userId)
            : []
          : members.filter((m) => m.passwordLogin);
    const target = candidates.find((m) => m.id === query.data.user);
    if (kind !== "handover" || role === "owner") {
      confirm = {
        kind,
        target: target ? { id: target.id, label: target.label, keys: kind === "handover" ? [] : await keyList(db, p.accountId, target.id) } : null,
        lastAccount: false,
      };
    }
  }

  const joined = url.searchParams.has("joined")
    ? `You joined ${home.account.name} as ${role === "admin" ? "an admin" : role === "member" ? "a member" : "its owner"}. Settings now act on this account.`
    : null;
  const left = url.searchParams.has("left") ? `You left the account. Settings now act on ${home.account.name}.` : null;

  return {
    accountName: home.account.name,
    planLabel: PLAN_LABEL[plan],
    userManagementPlans: plansWith("user_management"),
    passwordLoginPlans: plansWith("password_logins"),
    section,
    role,
    canManage,
    me: p.userId,
    members,
    invitations,
    passwordLogins,
    confirm,
    joined,
    left,
  };
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

type FieldErrors = { email?: string; role?: string; username?: string };
type ActionResult = {
  notice: string | null;
  error: string | null;
  errors: FieldErrors;
  values: { email: string; role: string; username: string };
  revealed: { username: string; password: string; reset: boolean } | null;
  /** The account's new main key, after removing the person who had made the old one: shown once. */
  newMainKey: { display: string; plaintext: string } | null;
};
const result = (request: Request, r: Partial<ActionResult>, status = 200) =>
  data<ActionResult>(
    { notice: null, error: null, errors: {}, values: { email: "", role: "member", username: "" }, revealed: null, newMainKey: null, ...r },
    { status, headers: (r.revealed || r.newMainKey) && !fetchedByScript(request) ? NO_STORE : undefined },
  );
const UNKNOWN = "Unknown request: reload the page and try again.";

function fieldErrors(issues: z.ZodIssue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = issue.path[0];
    if ((field === "email" || field === "role" || field === "username") && !errors[field]) errors[field] = issue.message;
  }
  return errors;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const { db, config } = context.services;
  const fields = Object.fromEntries(form);
  const intent = Intent.safeParse(fields);
  if (!intent.success) return result(request, { error: UNKNOWN }, 400);
  const role = await getMembershipRole(db, p.accountId, p.userId);
  if (!role) throw new Response("You are not a member of this account.", { status: 403 });
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  const accountId = p.accountId;

  if (intent.data.intent === "leave") return leave(request, context, p);

  // Who may do it comes before what was typed: a member learns nothing from a form they may not use.
  if (MEMBER_INTENTS.has(intent.data.intent)) {
    const refusal = await memberManagementRefusal(db, accountId, role);
    if (refusal && !refusal.ok) return result(request, { error: refusal.message }, refusal.status);
  } else {
    const account = await db.selectFrom("accounts").select("plan").where("id", "=", accountId).executeTakeFirstOrThrow();
    if (!planAllows(account.plan, "password_logins")) {
      return result(request, { error: `Username/password logins are available on the ${plansWith("password_logins")} plans.` }, 403);
    }
    if (!canManageRole(role)) return result(request, { error: "Only the account's owner and admins manage password logins." }, 403);
  }

  const members = async () => listMembers(db, accountId);
  const labelOf = async (userId: string) => {
    const m = (await members()).find((x) => x.id === userId);
    return m ? memberLabel(m) : "that person";
  };

  switch (intent.data.intent) {
    case "invite": {
      const values = { email: String(fields.email ?? "").slice(0, MAX_ADDRESS * 2), role: String(fields.role ?? "member").slice(0, 20), username: "" };
      const parsed = InviteSchema.safeParse(fields);
      if (!parsed.success) return result(request, { errors: fieldErrors(parsed.error.issues), values }, 400);
      const created = await db.transaction().execute((trx) =>
        createInvitation(
          trx,
          {
            accountId,
            email: parsed.data.email,
            role: parsed.data.role,
            invitedBy: p.userId,
            publicUrl: config.publicUrl,
            mode: deliveryMode(config),
            limits: invitationLimitsFrom(config),
          },
          actor,
        ),
      );
      if (!created.ok) return result(request, { error: created.message, values }, created.status);
      return result(request, {
        notice: `Invitation sent to ${parsed.data.email.toLowerCase()} as ${parsed.data.role}. The link works for 7 days.`,
      });
    }
    case "resend": {
      const parsed = InvitationId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      const sent = await db.transaction().execute((trx) =>
        resendInvitation(
          trx,
          {
            accountId,
            invitationId: parsed.data.invitationId,
            publicUrl: config.publicUrl,
            mode: deliveryMode(config),
            limits: invitationLimitsFrom(config),
          },
          actor,
        ),
      );
      if (!sent.ok) return result(request, { error: sent.message }, sent.status);
      return result(request, { notice: "Invitation sent again with a new link, valid for 7 days. The previous link no longer works." });
    }
    case "revoke": {
      const parsed = InvitationId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      const revoked = await db.transaction().execute((trx) => revokeInvitation(trx, accountId, parsed.data.invitationId, actor));
      if (!revoked.ok) return result(request, { error: revoked.message }, revoked.status);
      return result(request, { notice: "Invitation revoked. Its link no longer works." });
    }
    case "set_role": {
      const parsed = SetRole.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      const label = await labelOf(parsed.data.userId);
      const changed = await db.transaction().execute((trx) => setMemberRole(trx, accountId, parsed.data.userId, parsed.data.role, actor));
      if (!changed.ok) return result(request, { error: changed.message }, changed.status);
      return result(request, { notice: `${label} is now ${parsed.data.role === "admin" ? "an admin" : "a member"}.` });
    }
    case "remove": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      if (parsed.data.userId === p.userId) {
        return result(request, { error: "You cannot remove yourself. Ask the owner or another admin to remove you." }, 409);
      }
      const label = await labelOf(parsed.data.userId);
      const removed = await endMembership(context.services, { accountId, userId: parsed.data.userId }, actor);
      if (!removed.ok) return result(request, { error: removed.message }, removed.status);
      // This process forgets the dead keys' verdicts now; the others on the database notification.
      if (removed.keys.revoked.length) context.services.api.verifier.forgetAccount(accountId);
      return result(request, {
        notice: `${label} was removed from this account. Their sessions on it have ended. ${keysNotice(removed.keys.revoked, "their")}`,
        newMainKey: mainKeyShown(removed.keys.newMainKey),
      });
    }
    case "handover": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      const label = await labelOf(parsed.data.userId);
      const handed = await db.transaction().execute((trx) => handOverOwnership(trx, accountId, p.userId, parsed.data.userId, actor));
      if (!handed.ok) return result(request, { error: handed.message }, handed.status);
      return result(request, { notice: `${label} is now the owner of this account. You are an admin.` });
    }
    case "create_login": {
      const values = { email: "", role: "member", username: String(fields.username ?? "").slice(0, 80) };
      const parsed = UsernameSchema.safeParse(fields);
      if (!parsed.success) return result(request, { errors: fieldErrors(parsed.error.issues), values }, 400);
      const created = await db
        .transaction()
        .execute((trx) => createPasswordLogin(trx, { accountId, username: parsed.data.username, createdBy: p.userId }, actor));
      if (!created.ok) {
        return created.status === 400
          ? result(request, { errors: { username: created.message }, values }, 400)
          : result(request, { error: created.message, values }, created.status);
      }
      return result(request, { revealed: { username: created.username, password: created.initialPassword, reset: false } });
    }
    case "reset_login": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      const reset = await db.transaction().execute((trx) => resetPasswordLogin(trx, accountId, parsed.data.userId, actor));
      if (!reset.ok) return result(request, { error: reset.message }, reset.status);
      return result(request, { revealed: { username: reset.username, password: reset.initialPassword, reset: true } });
    }
    case "remove_login": {
      const parsed = UserId.safeParse(fields);
      if (!parsed.success) return result(request, { error: UNKNOWN }, 400);
      const login = (await listPasswordLogins(db, accountId)).find((l) => l.user_id === parsed.data.userId);
      if (!login) return result(request, { error: "No such login on this account." }, 404);
      const removed = await endMembership(context.services, { accountId, userId: login.user_id }, actor);
      if (!removed.ok) return result(request, { error: removed.message }, removed.status);
      if (removed.keys.revoked.length) context.services.api.verifier.forgetAccount(accountId);
      return result(request, {
        notice: `The login ${login.username} was removed. It can no longer sign in, and its sessions have ended. ${keysNotice(removed.keys.revoked, "its")}`,
        newMainKey: mainKeyShown(removed.keys.newMainKey),
      });
    }
  }
}

type RevokedKeys = { kind: string; name: string; prefix: string; last4: string }[];
function keysNotice(keys: RevokedKeys, whose: "their" | "its" | "your"): string {
  if (keys.length === 0) return `No API keys were made by ${whose === "your" ? "you" : whose === "its" ? "it" : "them"}.`;
  const list = keys.map((k) => `“${k.name}” (${k.prefix}…${k.last4})`).join(", ");
  return `${keys.length === 1 ? `${cap(whose)} key` : `${cap(whose)} ${keys.length} keys`} stopped working: ${list}.`;
}
const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const mainKeyShown = (k: { plaintext: string; prefix: string; last4: string } | null) =>
  k ? { plaintext: k.plaintext, display: `${k.prefix}…${k.last4}` } : null;

/**
 * Leaving: anyone but the owner. With other accounts the session moves to one
 * of them; with none, the person is erased and signed out.
 */
async function leave(request: Request, context: ActionFunctionArgs["context"], p: Awaited<ReturnType<typeof requireUser>>) {
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  let moved = false;
  const left = await endMembership(
    context.services,
    { accountId: p.accountId, userId: p.userId, how: "left", keepSessionId: p.sessionId },
    actor,
    async (trx, removed) => {
      if (removed.personErased) return;
      const next = (await accountsOfUser(trx, p.userId)).find((a) => a.id !== p.accountId);
      // Their other accounts may all be blocked: then this session ends like the others on the account they left.
      if (next) await trx.updateTable("sessions").set({ account_id: next.id }).where("id", "=", p.sessionId).execute();
      else await revokeSession(trx, p.sessionId, "left_account");
      moved = next !== undefined;
    },
  );
  if (!left.ok) return result(request, { error: left.message }, left.status);
  if (left.keys.revoked.length) context.services.api.verifier.forgetAccount(p.accountId);
  if (left.personErased) throw redirect("/login?ended=left", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  if (!moved) throw redirect("/login?signedOut", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  throw redirect(`${PAGE}?left`);
}

// ---- the page ----

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;
type Member = LoaderData["members"][number];

export default function MembersPage() {
  const page = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  return (
    <>
      <section className="card" aria-labelledby="members-h">
        <h1 id="members-h">Members</h1>
        <p className="muted">
          Who can use <strong>{page.accountName}</strong> ({page.planLabel} plan).
        </p>
        {page.joined ? <Alert kind="ok" lines={[page.joined]} /> : null}
        {page.left ? <Alert kind="ok" lines={[page.left]} /> : null}
        {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
        {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
        {outcome?.newMainKey ? (
          <section aria-labelledby="new-main-h" className="stack" style={{ marginBottom: "1rem" }}>
            <h2 id="new-main-h">{`The account's new main key (${outcome.newMainKey.display})`}</h2>
            <p>The main key they had made stopped working, so the account has a new one. Switch your integrations to it.</p>
            <RevealedSecret id="new-main-key" what="key" label="The account's new main API key" value={outcome.newMainKey.plaintext} />
          </section>
        ) : null}
        {page.confirm && !outcome ? <ConfirmStep confirm={page.confirm} /> : null}
        {page.section === "keys" ? <SharedByKeys plans={page.userManagementPlans} loginPlans={page.passwordLoginPlans} /> : null}
        {page.section === "members" ? <MembersTable page={page} /> : null}
        {page.section !== "keys" && page.role !== "owner" ? (
          <p>
            <Link to="?confirm=leave" className="danger-link">
              Leave this account
            </Link>
          </p>
        ) : null}
        {page.section === "password_logins" ? (
          <p className="muted">
            Inviting people by email (user management) is available on the {page.userManagementPlans} plan. On the {page.planLabel} plan, several people work
            from this account with username/password logins, below, or with additional API keys.
          </p>
        ) : null}
      </section>

      {page.section === "members" && page.canManage ? (
        <>
          <InviteForm errors={outcome?.errors ?? {}} values={outcome?.values ?? null} key={outcome?.notice ?? "invite"} />
          <PendingInvitations invitations={page.invitations} />
          {page.role === "owner" ? <HandOver members={page.members} /> : null}
        </>
      ) : null}

      {page.section === "password_logins" && page.passwordLogins ? (
        <PasswordLogins logins={page.passwordLogins} canManage={page.canManage} outcome={outcome ?? null} planLabel={page.planLabel} />
      ) : null}
    </>
  );
}

function SharedByKeys({ plans, loginPlans }: { plans: string; loginPlans: string }) {
  return (
    <div className="stack" aria-labelledby="share-h">
      <h2 id="share-h">Share access with additional API keys</h2>
      <p>
        User management, inviting other people to this account, is available on the {plans} plan. On the Build plan, others use Switchboard through your account
        with additional API keys: create a named key for each person or service, share it with them, and delete it when they no longer need it. Your own sign-in
        stays yours.
      </p>
      <p>
        <Link to="/settings/api-keys" className="btn primary">
          Create an additional API key
        </Link>
      </p>
      <p className="muted">Username/password logins for several people are available on the {loginPlans} plans.</p>
    </div>
  );
}

function MembersTable({ page }: { page: LoaderData }) {
  const { members, canManage, me } = page;
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">People who belong to this account</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Joined</th>
              {canManage ? (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {members.map((m) => (
              <tr key={m.id}>
                <td>
                  {m.name ?? <span className="muted">—</span>}
                  {m.id === me ? <span className="muted"> (you)</span> : null}
                </td>
                <td>{m.email ?? (m.username ? <span className="muted">{`password login ${m.username}`}</span> : <span className="muted">—</span>)}</td>
                <td>
                  <Badge value={m.role} />
                </td>
                <td>
                  <When at={m.joinedAt} />
                </td>
                {canManage ? (
                  <td>
                    <MemberActions member={m} me={me} />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {canManage ? null : <p className="muted">You can see who belongs to this account. Only its owner and admins invite, change or remove members.</p>}
    </>
  );
}

function MemberActions({ member, me }: { member: Member; me: string }) {
  if (member.role === "owner" || member.id === me) return null;
  const to = member.role === "admin" ? "member" : "admin";
  return (
    <div className="row" style={{ alignItems: "center" }}>
      <Form method="post" action={PAGE} className="inline">
        <AuthenticityTokenInput />
        <input type="hidden" name="userId" value={member.id} />
        <input type="hidden" name="role" value={to} />
        <button type="submit" name="intent" value="set_role" className="btn" aria-label={`Make ${member.label} ${to === "admin" ? "an admin" : "a member"}`}>
          {to === "admin" ? "Make admin" : "Make member"}
        </button>
      </Form>
      <Link to={`?confirm=remove&user=${member.id}`} className="danger-link" aria-label={`Remove ${member.label}`}>
        Remove
      </Link>
    </div>
  );
}

type ConfirmKey = { id: string; kind: string; name: string; display: string };
type ConfirmData = {
  kind: "remove" | "handover" | "remove_login" | "leave";
  target: { id: string; label: string; keys: ConfirmKey[] } | null;
  /** Leaving: this is the person's only account, so leaving erases them. */
  lastAccount: boolean;
};

/** "their 2 keys will stop working", and which: the person who confirms knows what breaks. */
function KeysThatStop({ keys, whose }: { keys: ConfirmKey[]; whose: "their" | "its" | "your" }) {
  if (keys.length === 0) {
    return <p>{`No API keys of this account were made by ${whose === "your" ? "you" : whose === "its" ? "this login" : "them"}; its keys keep working.`}</p>;
  }
  return (
    <>
      <p>
        <strong>{`${cap(whose)} ${keys.length === 1 ? "key" : `${keys.length} keys`} will stop working`}</strong>
        {" at once, for every request that still uses "}
        {keys.length === 1 ? "it" : "them"}:
      </p>
      <ul className="stack" aria-label="Keys that stop working">
        {keys.map((k) => (
          <li key={k.id}>
            {k.kind === "main" ? "Main key" : `“${k.name}”`} <code className="mono">{k.display}</code>
            {k.kind === "main" ? " (the account gets a new main key, shown once" + (whose === "your" ? "" : " to you") + ")" : null}
          </li>
        ))}
      </ul>
    </>
  );
}

function ConfirmStep({ confirm }: { confirm: ConfirmData }) {
  if (!confirm.target) {
    return (
      <Alert
        kind="info"
        lines={[
          confirm.kind === "leave"
            ? "The owner cannot leave the account. Hand ownership to an admin first."
            : "That person is not (or no longer) someone you can do this for; there is nothing to confirm.",
        ]}
      />
    );
  }
  const { label, id, keys } = confirm.target;
  const text = {
    remove: {
      title: `Remove ${label} from this account?`,
      body: "They lose access at once: their sessions on this account end, and they can no longer act on it. Their own accounts are not affected; if this was their only Switchboard account, their personal data (email address, name, sign-ins) is erased. To give them access again, invite them again.",
      whose: "their" as const,
      button: "Remove member",
      intent: "remove",
    },
    remove_login: {
      title: `Remove the login ${label}?`,
      body: "It can no longer sign in, and its sessions end at once. This cannot be undone; create a new login if the person needs access again.",
      whose: "its" as const,
      button: "Remove login",
      intent: "remove_login",
    },
    leave: {
      title: "Leave this account?",
      body: confirm.lastAccount
        ? "You lose access at once. This is your only Switchboard account, so your personal data (email address, name, sign-ins) is erased and you are signed out. You can sign in again later: you then start afresh, with an account of your own."
        : "You lose access at once and your sessions on it end; your other accounts are not affected. To come back, ask the owner or an admin to invite you again.",
      whose: "your" as const,
      button: "Leave account",
      intent: "leave",
    },
    handover: {
      title: `Hand ownership to ${label}?`,
      body: "They become the account's owner, and you become an admin. Only the new owner can hand ownership back.",
      whose: null,
      button: "Hand over ownership",
      intent: "handover",
    },
  }[confirm.kind];
  return (
    <section className="alert error" aria-labelledby="confirm-h">
      <h2 id="confirm-h" style={{ marginTop: 0 }}>
        {text.title}
      </h2>
      <p>{text.body}</p>
      {text.whose ? <KeysThatStop keys={keys} whose={text.whose} /> : null}
      <Form method="post" action={PAGE} className="row" style={{ marginTop: ".8rem" }}>
        <AuthenticityTokenInput />
        <input type="hidden" name="userId" value={id} />
        <button type="submit" name="intent" value={text.intent} className="btn danger">
          {text.button}
        </button>
        <Link to={PAGE} className="btn">
          Cancel
        </Link>
      </Form>
    </section>
  );
}

function InviteForm({ errors, values }: { errors: FieldErrors; values: ActionResult["values"] | null }) {
  return (
    <section className="card" aria-labelledby="invite-h">
      <h2 id="invite-h">Invite someone</h2>
      <p className="muted">They get a mail with a link that works for 7 days, and accept by signing in with Google or GitHub as that address.</p>
      <Form method="post" action={PAGE}>
        <AuthenticityTokenInput />
        <div className="row">
          <div className="field grow">
            <label htmlFor="invite-email">Email address</label>
            <input
              id="invite-email"
              name="email"
              type="email"
              required
              maxLength={320}
              autoComplete="off"
              defaultValue={values?.email ?? ""}
              aria-invalid={errors.email ? true : undefined}
              aria-describedby={errors.email ? "invite-email-error" : undefined}
            />
            {errors.email ? (
              <div id="invite-email-error" className="field-error" role="alert">
                {errors.email}
              </div>
            ) : null}
          </div>
          <div className="field">
            <label htmlFor="invite-role">Role</label>
            <select
              id="invite-role"
              name="role"
              defaultValue={values?.role === "admin" ? "admin" : "member"}
              aria-invalid={errors.role ? true : undefined}
              aria-describedby={errors.role ? "invite-role-error invite-role-hint" : "invite-role-hint"}
            >
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
            {errors.role ? (
              <div id="invite-role-error" className="field-error" role="alert">
                {errors.role}
              </div>
            ) : null}
          </div>
          <div className="field">
            <button type="submit" name="intent" value="invite" className="btn primary">
              Send invitation
            </button>
          </div>
        </div>
        <div id="invite-role-hint" className="hint muted">
          Members use the account and see its keys' details; admins also manage keys and members.
        </div>
      </Form>
    </section>
  );
}

function PendingInvitations({ invitations }: { invitations: LoaderData["invitations"] }) {
  return (
    <section className="card" aria-labelledby="pending-h">
      <h2 id="pending-h">Pending invitations</h2>
      {invitations.length === 0 ? (
        <EmptyState>
          <p>No pending invitations.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Invitations not yet accepted</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Last sent</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {invitations.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>
                    <Badge value={i.role} />
                  </td>
                  <td>
                    <When at={i.sentAt} />
                  </td>
                  <td>{i.expired ? <Badge value="expired" /> : <When at={i.expiresAt} />}</td>
                  <td>
                    <div className="row" style={{ alignItems: "center" }}>
                      <Form method="post" action={PAGE} className="inline">
                        <AuthenticityTokenInput />
                        <input type="hidden" name="invitationId" value={i.id} />
                        <button type="submit" name="intent" value="resend" className="btn" aria-label={`Resend the invitation to ${i.email}`}>
                          Resend
                        </button>
                      </Form>
                      <Form method="post" action={PAGE} className="inline">
                        <AuthenticityTokenInput />
                        <input type="hidden" name="invitationId" value={i.id} />
                        <button type="submit" name="intent" value="revoke" className="btn" aria-label={`Revoke the invitation to ${i.email}`}>
                          Revoke
                        </button>
                      </Form>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {invitations.length > 0 ? <p className="muted">Resending sends a new link valid for 7 days; the previous link stops working.</p> : null}
    </section>
  );
}

function HandOver({ members }: { members: Member[] }) {
  const admins = members.filter((m) => m.role === "admin" && !m.passwordLogin);
  return (
    <section className="card" aria-labelledby="handover-h">
      <h2 id="handover-h">Ownership</h2>
      {admins.length === 0 ? (
        <p className="muted">An account has exactly one owner. To hand ownership to someone, first make them an admin.</p>
      ) : (
        // A GET form: it only opens the confirmation step.
        <Form method="get" action={PAGE} className="row">
          <input type="hidden" name="confirm" value="handover" />
          <div className="field grow">
            <label htmlFor="handover-user">Hand ownership to</label>
            <select id="handover-user" name="user">
              {admins.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.label}
                </option>
              ))}
            </select>
            <div className="hint">You become an admin. Ownership goes only to an admin.</div>
          </div>
          <div className="field">
            <button type="submit" className="btn">
              Continue
            </button>
          </div>
        </Form>
      )}
    </section>
  );
}

type PasswordLoginsData = NonNullable<LoaderData["passwordLogins"]>;

function PasswordLogins({
  logins,
  canManage,
  outcome,
  planLabel,
}: {
  logins: PasswordLoginsData;
  canManage: boolean;
  outcome: ActionResult | null;
  planLabel: string;
}) {
  if (!logins.enabled) {
    return (
      <section className="card" aria-labelledby="logins-h">
        <h2 id="logins-h">Password logins</h2>
        <p>
          On the {planLabel} plan, several people can work from this account with their own username and password. Password logins are not turned on for this
          account yet: Switchboard support turns them on. Ask support, from the account owner's address, to turn them on.
        </p>
      </section>
    );
  }
  const revealed = outcome?.revealed ?? null;
  return (
    <section className="card" aria-labelledby="logins-h">
      <h2 id="logins-h">Password logins</h2>
      <p>
        Account identifier: <code className="mono">{logins.loginId}</code>
      </p>
      <p className="muted">
        People sign in at <Link to="/login/password">Sign in with a password</Link> with this account identifier, their username and their password. A new
        login's first password works once: they choose their own at first sign-in.
      </p>
      {revealed ? (
        <section aria-labelledby="revealed-h" className="stack" style={{ marginBottom: "1rem" }}>
          <h3 id="revealed-h">{revealed.reset ? `New one-time password for ${revealed.username}` : `Login ${revealed.username} created`}</h3>
          {revealed.reset ? <p>Its previous password no longer works, and its sessions have ended.</p> : null}
          <RevealedSecret id="revealed-password" what="password" label={`One-time password for ${revealed.username}`} value={revealed.password} />
        </section>
      ) : null}
      {logins.logins.length === 0 ? (
        <EmptyState>
          <p>No password logins yet.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Username/password logins of this account</caption>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Password changed</th>
                {canManage ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {logins.logins.map((l) => (
                <tr key={l.userId}>
                  <td className="mono">{l.username}</td>
                  <td>{l.mustChange ? <Badge value="pending" /> : <Badge value="active" />}</td>
                  <td>
                    <When at={l.createdAt} />
                  </td>
                  <td>
                    <When at={l.passwordChangedAt} />
                  </td>
                  {canManage ? (
                    <td>
                      <div className="row" style={{ alignItems: "center" }}>
                        <Form method="post" action={PAGE} className="inline">
                          <AuthenticityTokenInput />
                          <input type="hidden" name="userId" value={l.userId} />
                          <button type="submit" name="intent" value="reset_login" className="btn" aria-label={`Reset the password of ${l.username}`}>
                            Reset password
                          </button>
                        </Form>
                        <Link to={`?confirm=remove_login&user=${l.userId}`} className="danger-link" aria-label={`Remove the login ${l.username}`}>
                          Remove
                        </Link>
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted">“pending” means the one-time password was not yet replaced by the person's own.</p>
      {canManage ? (
        <CreateLoginForm
          key={revealed?.username ?? "create"}
          error={outcome?.errors.username ?? null}
          username={revealed ? "" : (outcome?.values.username ?? "")}
        />
      ) : (
        <p className="muted">Only the account's owner and admins create, reset or remove logins.</p>
      )}
    </section>
  );
}

function CreateLoginForm({ error, username }: { error: string | null; username: string }) {
  return (
    <Form method="post" action={PAGE} aria-labelledby="create-login-h">
      <h3 id="create-login-h">Create a login</h3>
      <AuthenticityTokenInput />
      <div className="row">
        <div className="field grow">
          <label htmlFor="login-username">Username</label>
          <input
            id="login-username"
            name="username"
            type="text"
            required
            maxLength={40}
            autoComplete="off"
            defaultValue={username}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "login-username-error login-username-hint" : "login-username-hint"}
          />
          <div id="login-username-hint" className="hint">
            2 to 40 characters: lower-case letters, digits, dots, dashes and underscores.
          </div>
          {error ? (
            <div id="login-username-error" className="field-error" role="alert">
              {error}
            </div>
          ) : null}
        </div>
        <div className="field">
          <button type="submit" name="intent" value="create_login" className="btn primary">
            Create login
          </button>
        </div>
      </div>
    </Form>
  );
}

/** A one-time password or a new key, shown once: readonly (selectable without JavaScript), with a copy button once JavaScript runs. */
function RevealedSecret({ id, what, label, value }: { id: string; what: "password" | "key"; label: string; value: string }) {
  const [ready, setReady] = useState(false);
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => setReady(true), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      const input = document.getElementById(id);
      if (input instanceof HTMLInputElement) input.select();
      setState("failed");
    }
  };
  return (
    <div className="stack">
      <div className="alert info" role="note">
        {what === "password" ? (
          <p>
            <strong>Copy this password now: it will not be shown again.</strong> Give it to the person privately; it works for one sign-in, after which they
            choose their own. Switchboard keeps only a hash of it.
          </p>
        ) : (
          <p>
            <strong>Copy this key now: it will not be shown again.</strong> Switchboard keeps only a hash of it. If you lose it, regenerate the main key under
            API keys.
          </p>
        )}
      </div>
      <label htmlFor={id}>{label}</label>
      <div className="row" style={{ alignItems: "center" }}>
        <input
          id={id}
          type="text"
          className="mono grow"
          readOnly
          value={value}
          spellCheck={false}
          autoComplete="off"
          onFocus={(e) => e.currentTarget.select()}
          style={{ flex: 1, minWidth: "16rem" }}
        />
        {ready ? (
          <>
            <button type="button" className="btn" onClick={copy} aria-describedby={`${id}-copy-status`}>
              {what === "password" ? "Copy password" : "Copy key"}
            </button>
            <span id={`${id}-copy-status`} role="status" className={state === "failed" ? "field-error" : "muted"}>
              {state === "copied"
                ? "Copied to the clipboard."
                : state === "failed"
                  ? `Could not copy: the ${what} is selected, copy it with your keyboard.`
                  : ""}
            </span>
          </>
        ) : null}
      </div>
    </div>
  );
}
