/**
 * The link in an invitation mail (`/invitations/:token`).
 *
 * GET only shows: which account invites, as what, and whether the link still
 * works (app/presenters/invitation-page.server.ts). Signed out, the person
 * signs in with Google or GitHub from here; a new person whose verified
 * address is the invited one then joins the account at sign-in
 * (app/models/sign-in.server.ts) and is sent on to Settings → Members.
 * Someone who already has a Switchboard user presses "Join" (POST, CSRF),
 * which accepts the invitation and points their session at the account
 * (app/services/invitations.server.ts). Signed in as another address: told
 * so, with a sign-out.
 *
 * The invited address is shown masked unless the viewer is that address (links
 * get forwarded); the page is never cached, and server/http-app.ts keeps the
 * token out of any Referer.
 */
import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, type ShouldRevalidateFunction } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, getPrincipal, PASSWORD_CHANGE_PATH, requireUser } from "../auth/session.server.js";
import { Alert, TopBar } from "../components/ui.js";
import type { AcceptRefusal } from "../models/invitations.server.js";
import { noStoreUnlessFetched, passCacheControl } from "../http/no-store.js";
import { ProviderSignInButtons } from "../components/provider-sign-in.js";
import { joinRefused, loadInvitationPage, type InvitationSummary, type InvitationView, type InvitedRole } from "../presenters/invitation-page.server.js";
import { joinInvitedAccount, signOutForInvitation, switchToInvitedAccount } from "../services/invitations.server.js";

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

const JOINED = "/settings/members?joined";

const answer = (request: Request, view: InvitationView, status: number) => data<InvitationView>(view, { status, headers: pageHeaders(request) });

/** The page for whoever is asking; someone who already acts on the account goes straight to it. */
async function inspect(request: Request, context: AppLoadContext, token: string) {
  const p = await getPrincipal(request, context);
  if (p?.mustChangePassword) throw redirect(PASSWORD_CHANGE_PATH);
  const page = await loadInvitationPage(context.services, token, p);
  if (page.joined) throw redirect(JOINED);
  return page;
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { view, status } = await inspect(request, context, params.token ?? "");
  return answer(request, view, status);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const token = params.token ?? "";
  if (form.get("intent") === "sign_out") {
    // Signed in as another address: sign out and come back here, signed out, to sign in as the invited one.
    await signOutForInvitation(context.services, await getPrincipal(request, context), context.ip);
    throw redirect(`/invitations/${encodeURIComponent(token)}`, { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  }
  const p = await requireUser(request, context); // signed out → sign in, back here
  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  const { view, status } = await inspect(request, context, token);
  if (view.state === "member_elsewhere") {
    await switchToInvitedAccount(context.services, { sessionId: p.sessionId, userId: p.userId, accountId: view.accountId }, actor);
    throw redirect(JOINED);
  }
  if (view.state !== "join") return answer(request, view, status);
  const joined = await joinInvitedAccount(context.services, { token, userId: p.userId, sessionId: p.sessionId }, actor);
  if (!joined.ok) {
    const refused = joinRefused(view, joined.refusal);
    return answer(request, refused.view, refused.status);
  }
  throw redirect(JOINED);
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

function Body({ view }: { view: InvitationView }) {
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

function Details({ invitation }: { invitation: InvitationSummary }) {
  return (
    <p>
      You are invited to join <strong>{invitation.accountName}</strong> as {roleWords(invitation.role)}. The invitation was sent to{" "}
      <strong>{invitation.email}</strong>.
    </p>
  );
}
