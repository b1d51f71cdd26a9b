/**
 * The link in the confirmation mail: the owner of the new address, signed in
 * on the new account, agrees to receive the old account's credits, plan and
 * settings. GET only shows; the Confirm button (POST, CSRF) marks the ticket
 * confirmed once and signals the emailTransfer workflow.
 *
 * Signed out, a live link first says why a sign-in is needed and as which
 * address (masked), then sends to sign-in and back here. Only the new
 * account's owner sees what the link moves (the old address, its balance):
 * app/presenters/confirm-transfer.server.ts says who sees what, and why.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useParams } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, getPrincipal, requireUser, type Principal } from "../auth/session.server.js";
import { Alert, TopBar } from "../components/ui.js";
import { pageTitle } from "../page-title.js";
import { signOut } from "../services/customer-sessions.server.js";
import { loadConfirmTransferPage, type ConfirmPageState as State, type ConfirmTransferPage as View } from "../presenters/confirm-transfer.server.js";
import { confirmTransferByToken } from "../services/transfer.server.js";

const TITLES: Record<State, string> = {
  ready: "Confirm the transfer",
  sign_in: "Sign in to confirm the transfer",
  confirmed: "Transfer confirmed",
  recorded: "Confirmation recorded",
  wrong_account: "Sign in with the new address",
  unknown: "Link not valid",
  used: "Link already used",
  expired: "Link expired",
  closed: "Request closed",
};

export const meta: MetaFunction<typeof loader> = ({ data: view }) => pageTitle(view ? TITLES[view.state] : "Confirm the transfer");

const STATUS: Record<State, number> = {
  ready: 200,
  sign_in: 200,
  confirmed: 200,
  unknown: 404,
  used: 410,
  expired: 410,
  closed: 410,
  wrong_account: 403,
  // The confirmation is stored (it counts), only the workflow has not heard yet: accepted, not an error.
  recorded: 202,
};

/** A confirmation needs the new account's owner signed in: signed out → /login?next=<this path>. */
async function inspect(request: Request, context: LoaderFunctionArgs["context"], token: string) {
  const p = await requireUser(request, context);
  return { p, view: await loadConfirmTransferPage(context.services, { token, who: p }) };
}

/** The action's answer is the page; reloading the loader after it would only turn "confirmed" into "already used". */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionResult, defaultShouldRevalidate }) => (actionResult ? false : defaultShouldRevalidate);

const answer = (view: View) => data<View>(view, { status: STATUS[view.state] });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const token = params.token ?? "";
  // Signed out, the page explains before sending to sign-in; anyone signed in meets requireUser's rules (staff → console).
  const who = (await getPrincipal(request, context)) ? await requireUser(request, context) : null;
  return answer(await loadConfirmTransferPage(context.services, { token, who }));
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const token = params.token ?? "";
  if (form.get("intent") === "switch_account") return switchAccount(request, context, token);
  const { p, view } = await inspect(request, context, token);
  if (view.state !== "ready") return answer(view);
  const state = await confirmTransferByToken(context.services, { token, accountId: p.accountId }, { type: "user", id: p.userId, ip: context.ip });
  return answer({ ...view, state });
}

/** Sign-in, then back to this link. */
const signInThenBack = (token: string) => `/login?next=${encodeURIComponent(`/confirm-transfer/${encodeURIComponent(token)}`)}`;

/** Signed in as the wrong account: sign out and come back here through sign-in with the new address. */
async function switchAccount(request: Request, context: ActionFunctionArgs["context"], token: string): Promise<never> {
  const p: Principal = await requireUser(request, context);
  await signOut(context.services, p.sessionId, { type: "user", id: p.userId, ip: context.ip });
  throw redirect(signInThenBack(token), { headers: { "Set-Cookie": await clearSessionCookie(context) } });
}

export default function ConfirmTransferPage() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const view = acted ?? loaded;
  const token = useParams().token ?? "";
  return (
    <>
      <TopBar links={[{ to: "/", label: "Home" }]} who={view.email} />
      <main className="page narrow">
        <Body view={view} token={token} />
      </main>
    </>
  );
}

function Body({ view, token }: { view: View; token: string }) {
  switch (view.state) {
    case "ready":
      return <Offer view={view} />;
    case "sign_in":
      return (
        <section className="card stack" aria-labelledby="sign-in-h">
          <h1 id="sign-in-h">Sign in to confirm the transfer</h1>
          <p>
            This link asks the owner of {view.addressHint ? <strong>{view.addressHint}</strong> : "the address the mail was sent to"} to accept a Switchboard
            account being moved to them. Only the account on that address may confirm, so sign in with it first: that is how we know the confirmation comes from
            its owner.
          </p>
          <p>After you sign in, this page opens again and shows what would move. Signing in confirms nothing.</p>
          <p>
            <a className="btn primary" href={signInThenBack(token)}>
              Sign in{view.addressHint ? ` as ${view.addressHint}` : ""}
            </a>
          </p>
          <p className="muted">Not expecting this? Ignore the mail: without a confirmation nothing happens.</p>
        </section>
      );
    case "confirmed":
      return (
        <section className="card stack" aria-labelledby="done-h">
          <h1 id="done-h">Confirmed — support will review the request</h1>
          <Alert kind="ok" lines={["Thank you. Your confirmation is recorded."]} />
          <p>
            Support now reviews the request. When it is approved, the credits, plan and settings move to this account and both addresses get a mail. There is
            nothing more to do here.
          </p>
        </section>
      );
    case "wrong_account":
      return (
        <section className="card stack" aria-labelledby="wrong-h">
          <h1 id="wrong-h">Sign in with the new address</h1>
          <Alert
            kind="error"
            lines={[
              `This link is for the account on the address the mail was sent to${view.addressHint ? ` (${view.addressHint})` : ""}, and you are signed in to another account${view.email ? ` (${view.email})` : ""}.`,
              "Sign out, then sign in with the address that received the mail; this link opens again after you sign in.",
            ]}
          />
          <Form method="post">
            <AuthenticityTokenInput />
            <button type="submit" name="intent" value="switch_account" className="btn primary">
              Sign out and sign in{view.addressHint ? ` as ${view.addressHint}` : " with the new address"}
            </button>
          </Form>
        </section>
      );
    case "recorded":
      return (
        <section className="card stack" aria-labelledby="unavail-h">
          <h1 id="unavail-h">Confirmation recorded, not yet passed on</h1>
          <Alert
            kind="info"
            lines={[
              "Your confirmation is recorded, but we could not pass it on to the transfer just now.",
              "You do not need to confirm again. If you hear nothing within a day, contact support and mention this link.",
            ]}
          />
        </section>
      );
    default:
      return <LinkProblem state={view.state} />;
  }
}

const PROBLEMS: Record<"unknown" | "used" | "expired" | "closed", { title: string; lines: string[] }> = {
  unknown: {
    title: "This link is not valid",
    lines: ["We do not know this confirmation link. Check that you opened the whole link from the mail, or ask for a new transfer."],
  },
  used: {
    title: "This link was already used",
    lines: ["The transfer was already confirmed with this link; support is reviewing it. There is nothing more to do."],
  },
  expired: {
    title: "This link has expired",
    lines: ["Confirmation links work for a limited time. Ask for the transfer again from your previous account's Settings → Email."],
  },
  closed: {
    title: "This request is closed",
    lines: ["The transfer this link belongs to is no longer waiting for a confirmation (it was rejected, expired or finished)."],
  },
};

function LinkProblem({ state }: { state: keyof typeof PROBLEMS }) {
  const problem = PROBLEMS[state];
  return (
    <section className="card stack" aria-labelledby="problem-h">
      <h1 id="problem-h">{problem.title}</h1>
      <Alert kind="info" lines={problem.lines} />
      <p>
        <a href="/">Go to the start page</a>
      </p>
    </section>
  );
}

/** What the owner of the new address accepts, named before they press Confirm. */
function Offer({ view }: { view: View }) {
  const { offer } = view;
  return (
    <section className="card stack" aria-labelledby="confirm-h">
      <h1 id="confirm-h">Receive your previous account?</h1>
      <p>
        Someone asked to move a Switchboard account to this address — usually you, from your previous address. If you confirm, the account you are signed in to
        receives it.
      </p>
      {offer ? (
        <dl className="facts" aria-label="What moves">
          <dt>From the account of</dt>
          <dd>
            <strong>{offer.oldAddress ?? "(address no longer on file)"}</strong>
            {offer.oldAccountName ? <> · {offer.oldAccountName}</> : null}
          </dd>
          <dt>{offer.owesMoney ? "Outstanding balance" : "Credit"}</dt>
          <dd>
            {offer.balance}
            {offer.owesMoney ? " owed, which this account then owes" : " as of now"}
          </dd>
          <dt>Plan</dt>
          <dd>{offer.plan}</dd>
          <dt>To the account</dt>
          <dd>
            {view.accountName ? <strong>{view.accountName}</strong> : "you are signed in to"}
            {view.email ? <> · signed in as {view.email}</> : null}
          </dd>
        </dl>
      ) : null}
      <ul>
        <li>the credits (or the outstanding balance), the plan and the settings move here; the amount is the balance when the move runs;</li>
        <li>the previous account is blocked: its API keys and sign-ins stop working;</li>
        <li>support reviews the request before anything moves.</li>
      </ul>
      <p>If you did not ask for this, do nothing: without your confirmation nothing happens.</p>
      <Form method="post">
        <AuthenticityTokenInput />
        <button type="submit" name="intent" value="confirm" className="btn primary">
          Confirm the transfer
        </button>
      </Form>
    </section>
  );
}
