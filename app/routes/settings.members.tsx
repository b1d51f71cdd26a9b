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
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { useEffect, useState } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, requireUser } from "../auth/session.server.js";
import { fieldErrorsOf, type FieldErrors as FormFieldErrors } from "../components/forms.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { NO_STORE, fetchedByScript, passCacheControl } from "../http/no-store.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { loadMembersPage, type ConfirmData, type ConfirmKey } from "../presenters/members-page.server.js";
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

export const meta: MetaFunction = () => [{ title: "Members · Switchboard" }];

/** A page that carries a one-time password is never stored (app/http/no-store.ts). */
export const headers = passCacheControl;

const PAGE = "/settings/members";

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

type FieldErrors = FormFieldErrors<"email" | "role" | "username">;
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

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);

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
