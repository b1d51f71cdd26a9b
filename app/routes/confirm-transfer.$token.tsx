/**
 * The link in the confirmation mail: the owner of the new address, signed in
 * on the new account, agrees to receive the old account's credits, plan and
 * settings. GET only shows; the Confirm button (POST, CSRF) marks the ticket
 * confirmed once and signals the emailTransfer workflow.
 *
 * The old account's address is never shown here: the link may have reached
 * someone who should not learn it.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import type { ShouldRevalidateFunction } from "@remix-run/react";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, requireUser, type Principal } from "../auth/session.server.js";
import { Alert, TopBar } from "../components/ui.js";
import { signOut } from "../services/customer-sessions.server.js";
import { loadConfirmTransferPage, type ConfirmPageState as State, type ConfirmTransferPage as View } from "../presenters/confirm-transfer.server.js";
import { confirmTransferByToken } from "../services/transfer.server.js";

export const meta: MetaFunction = () => [{ title: "Confirm the transfer · Switchboard" }];

const STATUS: Record<State, number> = {
  ready: 200,
  confirmed: 200,
  unknown: 404,
  used: 410,
  expired: 410,
  closed: 410,
  wrong_account: 403,
  // The confirmation is stored (it counts), only the workflow has not heard yet: accepted, not an error.
  recorded: 202,
};

/** Same checks for GET and POST: who is signed in, and what the token still allows. */
async function inspect(request: Request, context: LoaderFunctionArgs["context"], token: string) {
  const p = await requireUser(request, context); // signed out → /login?next=<this path>
  return { p, view: await loadConfirmTransferPage(context.services, { token, userId: p.userId, accountId: p.accountId }) };
}

/** The action's answer is the page; reloading the loader after it would only turn "confirmed" into "already used". */
export const shouldRevalidate: ShouldRevalidateFunction = ({ actionResult, defaultShouldRevalidate }) => (actionResult ? false : defaultShouldRevalidate);

const answer = (view: View) => data<View>(view, { status: STATUS[view.state] });

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { view } = await inspect(request, context, params.token ?? "");
  return answer(view);
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

/** Signed in as the wrong account: sign out and come back here through sign-in with the new address. */
async function switchAccount(request: Request, context: ActionFunctionArgs["context"], token: string): Promise<never> {
  const p: Principal = await requireUser(request, context);
  await signOut(context.services, p.sessionId, { type: "user", id: p.userId, ip: context.ip });
  const next = `/confirm-transfer/${encodeURIComponent(token)}`;
  throw redirect(`/login?next=${encodeURIComponent(next)}`, { headers: { "Set-Cookie": await clearSessionCookie(context) } });
}

export default function ConfirmTransferPage() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const view = acted ?? loaded;
  return (
    <>
      <TopBar links={[{ to: "/", label: "Home" }]} who={view.email} />
      <main className="page narrow">
        <Body view={view} />
      </main>
    </>
  );
}

function Body({ view }: { view: View }) {
  switch (view.state) {
    case "ready":
      return (
        <section className="card stack" aria-labelledby="confirm-h">
          <h1 id="confirm-h">Receive your previous account?</h1>
          <p>
            You asked to move your previous Switchboard account to this address. If you confirm, the account you are signed in to
            {view.accountName ? (
              <>
                {" "}
                (<strong>{view.accountName}</strong>)
              </>
            ) : null}{" "}
            receives it:
          </p>
          <ul>
            <li>your previous account's credits (or its outstanding balance), its plan and its settings move here;</li>
            <li>your previous account is blocked: its API keys and sign-ins stop working;</li>
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
              "This link is for the account on the address the mail was sent to, and you are signed in to another account.",
              "Sign out, then sign in with the address that received the mail; this link opens again after you sign in.",
            ]}
          />
          <Form method="post">
            <AuthenticityTokenInput />
            <button type="submit" name="intent" value="switch_account" className="btn primary">
              Sign out and sign in with the new address
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
