/**
 * The link in an invitation mail (`/invitations/:token`).
 *
 * GET only shows: which account invites, as what, and whether the link still
 * works. Signed out, the person signs in with Google or GitHub from here; a
 * new person whose verified address is the invited one then joins the
 * account at sign-in (app/models/sign-in.server.ts) and is sent on to
 * Settings → Members. Someone who already has a Switchboard user presses
 * "Join" (POST, CSRF), which accepts the invitation and points their session
 * at the account. Signed in as another address: told so, with a sign-out.
 *
 * The invited address is shown masked unless the viewer is that address (links
 * get forwarded); the page is never cached, and server/http-app.ts keeps the
 * token out of any Referer.
 */
import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, type ShouldRevalidateFunction } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { InvitedRole } from "../../db/schema.js";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, getPrincipal, PASSWORD_CHANGE_PATH, requireUser, type Principal } from "../auth/session.server.js";
import { Alert, TopBar } from "../components/ui.js";
import { writeAudit } from "../models/audit.server.js";
import { normalizeEmail } from "../models/email.server.js";
import { acceptInvitation, acceptRefusalMessage, findInvitation, type AcceptRefusal } from "../models/invitations.server.js";
import { getMembershipRole, switchSessionAccount } from "../models/memberships.server.js";
import { planAllows } from "../models/plans.js";
import { revokeSession } from "../models/sessions.server.js";
import { maskEmail } from "../models/email.server.js";
import { noStoreUnlessFetched, passCacheControl } from "../http/no-store.js";
import { ProviderSignInButtons } from "../components/provider-sign-in.js";

export const meta: MetaFunction = () => [
  { title: "Invitation · Switchboard" },
  // The token must never leave in a Referer (server/http-app.ts sends the same policy).
  { name: "referrer", content: "strict-origin" },
];

/** Never stored; only on documents (Chromium cuts no-store `.data` streams short, see Settings → API keys). */
const pageHeaders = noStoreUnlessFetched;
export const headers = passCacheControl;

/** The action's answer is the page (a refusal); reloading the loader would only repeat it. */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionResult, defaultShouldRevalidate }) => (actionResult ? false : defaultShouldRevalidate);

type Invitation = { accountName: string; role: InvitedRole; email: string; expiresAt: string };
type View =
  | { state: "sign_in"; invitation: Invitation; token: string; who: null }
  | { state: "join"; invitation: Invitation; token: string; who: string | null }
  | { state: "member_elsewhere"; invitation: Invitation; accountId: string; who: string | null }
  | { state: "refused"; refusal: AcceptRefusal; message: string; invitation: Invitation | null; who: string | null; signedIn: boolean };

const REFUSAL_STATUS: Record<AcceptRefusal, number> = {
  not_found: 404,
  expired: 410,
  revoked: 410,
  accepted: 410,
  wrong_email: 403,
  plan: 409,
  inactive: 409,
};

const answer = (request: Request, view: View, status = 200) => data<View>(view, { status, headers: pageHeaders(request) });

async function viewer(request: Request, context: AppLoadContext): Promise<{ p: Principal; email: string | null } | null> {
  const p = await getPrincipal(request, context);
  if (!p) return null;
  if (p.mustChangePassword) throw redirect(PASSWORD_CHANGE_PATH);
  if (!p.userId) return { p, email: null };
  const user = await context.services.db.selectFrom("users").select("email").where("id", "=", p.userId).executeTakeFirst();
  return { p, email: user?.email ?? null };
}

async function inspect(request: Request, context: AppLoadContext, token: string) {
  const { db } = context.services;
  const [found, who] = await Promise.all([findInvitation(db, token), viewer(request, context)]);
  const signedIn = who !== null;
  const whoEmail = who?.email ?? null;
  if (found.state === "not_found") {
    return {
      view: { state: "refused", refusal: "not_found", message: acceptRefusalMessage("not_found"), invitation: null, who: whoEmail, signedIn } satisfies View,
      found: null,
      who,
    };
  }
  const isInvitee = whoEmail !== null && normalizeEmail(whoEmail) === found.email;
  const invitation: Invitation = {
    accountName: found.accountName,
    role: found.role,
    email: isInvitee ? found.email : maskEmail(found.email),
    expiresAt: found.expiresAt.toISOString(),
  };
  const refused = (refusal: AcceptRefusal): View => ({
    state: "refused",
    refusal,
    message: acceptRefusalMessage(refusal, invitation.email),
    invitation,
    who: whoEmail,
    signedIn,
  });

  // Already on the account (e.g. a new person who joined at sign-in): straight to it.
  if (isInvitee && who?.p.userId && (await getMembershipRole(db, found.accountId, who.p.userId))) {
    if (who.p.accountId === found.accountId) throw redirect("/settings/members?joined");
    return { view: { state: "member_elsewhere", invitation, accountId: found.accountId, who: whoEmail } satisfies View, found, who };
  }
  if (found.state !== "valid") return { view: refused(found.state), found, who };
  const account = await db.selectFrom("accounts").select(["plan", "status"]).where("id", "=", found.accountId).executeTakeFirst();
  if (!account || account.status !== "active") return { view: refused("inactive"), found, who };
  if (!planAllows(account.plan, "user_management")) return { view: refused("plan"), found, who };
  if (!who) return { view: { state: "sign_in", invitation, token, who: null } satisfies View, found, who };
  if (!isInvitee || !who.p.userId) return { view: refused("wrong_email"), found, who };
  return { view: { state: "join", invitation, token, who: whoEmail } satisfies View, found, who };
}

const statusOf = (view: View) => (view.state === "refused" ? REFUSAL_STATUS[view.refusal] : 200);

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { view } = await inspect(request, context, params.token ?? "");
  return answer(request, view, statusOf(view));
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const token = params.token ?? "";
  if (form.get("intent") === "sign_out") return signOut(request, context, token);
  const p = await requireUser(request, context); // signed out → sign in, back here
  const { db } = context.services;
  const { view } = await inspect(request, context, token);
  if (view.state === "member_elsewhere") {
    await switchSessionAccount(db, p.sessionId, p.userId, view.accountId, { type: "user", id: p.userId, ip: context.ip });
    throw redirect("/settings/members?joined");
  }
  if (view.state !== "join") return answer(request, view, statusOf(view));

  const user = await db.selectFrom("users").select(["id", "email"]).where("id", "=", p.userId).executeTakeFirstOrThrow();
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  // Accept and point this session at the account together: either both happen or neither.
  const accepted = await db.transaction().execute(async (trx) => {
    const result = await acceptInvitation(trx, token, user, actor);
    if (result.ok) await switchSessionAccount(trx, p.sessionId, p.userId, result.accountId, actor);
    return result;
  });
  if (!accepted.ok) {
    const refusal: View = {
      ...view,
      state: "refused",
      refusal: accepted.refusal,
      message: acceptRefusalMessage(accepted.refusal, view.invitation.email),
      signedIn: true,
    };
    return answer(request, refusal, REFUSAL_STATUS[accepted.refusal]);
  }
  throw redirect("/settings/members?joined");
}

/** Signed in as another address: sign out and come back here, signed out, to sign in as the invited one. */
async function signOut(request: Request, context: AppLoadContext, token: string): Promise<never> {
  const p = await getPrincipal(request, context);
  if (p) {
    await revokeSession(context.services.db, p.sessionId, "signed_out");
    await writeAudit(
      context.services.db,
      p.userId ? { type: "user", id: p.userId, ip: context.ip } : { type: "staff", id: p.staff?.id ?? null, ip: context.ip },
      { action: "auth.sign_out", targetType: "session", targetId: p.sessionId },
    );
  }
  throw redirect(`/invitations/${encodeURIComponent(token)}`, { headers: { "Set-Cookie": await clearSessionCookie(context) } });
}

const roleWords = (role: InvitedRole) => (role === "admin" ? "an admin" : "a member");

export default function InvitationPage() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const view = acted ?? loaded;
  return (
    <>
      <TopBar links={[{ to: "/", label: "Home" }]} who={view.who} />
      <main className="page narrow">
        <Body view={view} />
      </main>
    </>
  );
}

function Body({ view }: { view: View }) {
  switch (view.state) {
    case "sign_in": {
      const next = `/invitations/${view.token}`;
      return (
        <section className="card stack" aria-labelledby="inv-h">
          <h1 id="inv-h">{`Join ${view.invitation.accountName} on Switchboard`}</h1>
          <Details invitation={view.invitation} />
          <p>
            To accept, sign in as <strong>{view.invitation.email}</strong> with Google or GitHub. If you already use Switchboard, use the method you always use:
            an address stays bound to it.
          </p>
          <ProviderSignInButtons next={next} />
        </section>
      );
    }
    case "join":
      return (
        <section className="card stack" aria-labelledby="inv-h">
          <h1 id="inv-h">{`Join ${view.invitation.accountName} on Switchboard`}</h1>
          <Details invitation={view.invitation} />
          <p>Your own account stays as it is. After joining, switch between your accounts from Settings; every page says which account it acts on.</p>
          <Form method="post">
            <AuthenticityTokenInput />
            <button type="submit" name="intent" value="accept" className="btn primary">
              {`Join ${view.invitation.accountName} as ${view.invitation.role}`}
            </button>
          </Form>
        </section>
      );
    case "member_elsewhere":
      return (
        <section className="card stack" aria-labelledby="inv-h">
          <h1 id="inv-h">{`You are a member of ${view.invitation.accountName}`}</h1>
          <p>You already belong to this account, but this session acts on another one.</p>
          <Form method="post">
            <AuthenticityTokenInput />
            <button type="submit" name="intent" value="switch" className="btn primary">
              {`Switch to ${view.invitation.accountName}`}
            </button>
          </Form>
        </section>
      );
    case "refused":
      return (
        <section className="card stack" aria-labelledby="inv-h">
          <h1 id="inv-h">{TITLES[view.refusal]}</h1>
          <Alert kind={view.refusal === "accepted" ? "info" : "error"} lines={[view.message]} />
          {view.invitation && view.refusal !== "accepted" ? <Details invitation={view.invitation} /> : null}
          {view.refusal === "wrong_email" ? (
            <Form method="post">
              <AuthenticityTokenInput />
              <button type="submit" name="intent" value="sign_out" className="btn primary">
                Sign out and sign in as the invited address
              </button>
            </Form>
          ) : view.signedIn ? (
            <p>
              <Link to="/">Go to your account</Link>
            </p>
          ) : (
            <p>
              <Link to="/">Go to the start page</Link>
            </p>
          )}
        </section>
      );
  }
}

const TITLES: Record<AcceptRefusal, string> = {
  not_found: "This invitation link is not valid",
  expired: "This invitation has expired",
  revoked: "This invitation was withdrawn",
  accepted: "This invitation was already accepted",
  wrong_email: "This invitation is for another address",
  plan: "This invitation cannot be accepted",
  inactive: "This invitation cannot be accepted",
};

function Details({ invitation }: { invitation: Invitation }) {
  return (
    <p>
      You are invited to join <strong>{invitation.accountName}</strong> as {roleWords(invitation.role)}. The invitation was sent to{" "}
      <strong>{invitation.email}</strong>.
    </p>
  );
}
