/**
 * Settings → Profile → "delete your account": says plainly what happens, asks
 * for the email address typed out and a sign-in from the last 10 minutes, then
 * takes effect at once (keys revoked, sessions ended, account "deleting"),
 * starts the deleteAccount workflow and signs the person out to /goodbye.
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, requireUser } from "../auth/session.server.js";
import { Alert } from "../components/ui.js";
import { startDeletion } from "../services/deletion.server.js";
// The component shows these words too: a .server module is empty in the browser bundle (test/route-client-code.test.ts).
import { deletionRefusalMessage } from "../models/deletion-refusals.js";
import { checkSelfServiceConfirmation } from "../models/deletions.server.js";
import { deletionSignIn, loadDeleteAccountPage, type TransferInProgress } from "../presenters/delete-account-page.server.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction<typeof loader> = () => pageTitle("Delete your account", "Settings");

const SELF = "/settings/delete-account";
const PASSWORD_LOGIN = () =>
  new Response("A username and password login belongs to its account: the account's owner removes it (Settings → Members) or deletes the account.", {
    status: 403,
  });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const page = await loadDeleteAccountPage(context.services, p);
  if (!page) throw PASSWORD_LOGIN();
  return page;
}

type ActionResult = { error: string; typed: string };

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const { email, provider, signedInAt } = await deletionSignIn(context.services, p.sessionId);
  if (provider === "password") throw PASSWORD_LOGIN();
  const typed = String(form.get("email") ?? "").slice(0, 640);
  const refusal = checkSelfServiceConfirmation({ typedEmail: typed, userEmail: email, signedInAt });
  if (refusal) return data<ActionResult>({ error: deletionRefusalMessage(refusal), typed }, { status: refusal === "stale_sign_in" ? 403 : 400 });

  const started = await startDeletion(
    context.services,
    { accountId: p.accountId, source: "self", userId: p.userId, staffId: null, reason: "" },
    { type: "user", id: p.userId, ip: context.ip },
  );
  if (!started.ok) return data<ActionResult>({ error: started.message, typed }, { status: started.status });
  // Every session already ended in the request's transaction; the cookie goes too.
  throw redirect("/goodbye", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
}

export default function DeleteAccountPage() {
  const { email, provider, providerName, fresh, minutesLeft, transfer } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  // While an approved move runs, a deletion is refused: no form to fill in for nothing.
  const canDelete = transfer?.phase !== "moving";
  return (
    <section className="card danger-zone" aria-labelledby="delete-h">
      <h1 id="delete-h">Delete your account</h1>
      {transfer ? <TransferNotice transfer={transfer} /> : null}
      <p>Deleting your Switchboard account:</p>
      <ul>
        <li>stops every API key at once and signs you out everywhere;</li>
        <li>removes your personal data: your email address, name, picture, sign-in identities, and the addresses and notes on your support tickets;</li>
        <li>unsubscribes you from all mailing lists;</li>
        <li>
          <strong>cannot be undone</strong>: your remaining credits are lost and the account cannot be restored;
        </li>
        <li>
          means <strong>{email}</strong> can never be used again to create a new Switchboard account.
        </li>
      </ul>
      <p className="muted">
        We keep the account's credit history (amounts and dates, no longer linked to you) because bookkeeping law requires it. You will get one last email
        confirming the deletion.
      </p>

      {result?.error ? <Alert kind="error" lines={[result.error]} /> : null}

      {!canDelete ? null : fresh ? (
        <Form method="post" className="stack">
          <AuthenticityTokenInput />
          <label>
            Type your email address to confirm
            <input
              type="email"
              name="email"
              autoComplete="off"
              required
              defaultValue={result?.typed ?? ""}
              aria-invalid={result?.error ? true : undefined}
              placeholder={email ?? ""}
            />
          </label>
          <p className="muted">You signed in recently; confirm within {minutesLeft} minutes, or you will be asked to sign in again.</p>
          <button type="submit" className="btn danger">
            Delete my account
          </button>
        </Form>
      ) : (
        <div className="stack">
          <Alert kind="info" lines={[deletionRefusalMessage("stale_sign_in")]} />
          <Form method="post" reloadDocument action={`/auth/${provider}?next=${encodeURIComponent(SELF)}`}>
            <AuthenticityTokenInput />
            <button type="submit" className="btn primary">
              Sign in again with {providerName}
            </button>
          </Form>
        </div>
      )}
      <p>
        <a href="/settings/profile">Keep my account</a>
      </p>
    </section>
  );
}

/** Said first, before anything is typed: what deleting does to the transfer in progress. */
function TransferNotice({ transfer }: { transfer: TransferInProgress }) {
  const follow = transfer.ticketId ? (
    <p>
      <Link to={`/support/tickets/${transfer.ticketId}`}>Follow the transfer</Link>
    </p>
  ) : null;
  if (transfer.phase === "moving") {
    const which = transfer.side === "moving_away" ? "of this account" : "into this account";
    return (
      <div className="alert error" role="status">
        <p>
          <strong>{`An approved email transfer ${which} is running right now.`}</strong> The account cannot be deleted while its credits move; that takes a
          minute or two. Reload this page once it has finished.
        </p>
        {follow}
      </div>
    );
  }
  const waitingFor =
    transfer.waitingFor === "confirmation"
      ? " It is waiting for the new address to confirm."
      : transfer.waitingFor === "approval"
        ? " It is waiting for support's approval."
        : "";
  const what = transfer.side === "moving_away" ? "this account is being moved to a new address" : "this account is set to receive another account";
  const effect = transfer.side === "moving_away" ? "so this account's credits are lost with it" : "and the other account keeps its credits";
  return (
    <div className="alert info" role="status">
      <p>
        <strong>{`An email transfer is in progress: ${what}.`}</strong>
        {waitingFor}
      </p>
      <p>{`Deleting this account ends that transfer: nothing is moved, ${effect}, and whoever asked for the transfer is told.`}</p>
      {follow}
    </div>
  );
}
