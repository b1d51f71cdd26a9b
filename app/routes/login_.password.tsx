/**
 * `/login/password`: sign-in with a username and password, for the people of a
 * Scale or Enterprise account whose owner or admin created a login for them.
 * The account identifier says which account; the username is unique within it.
 * Every refusal but a malformed form is counted by the throttle and audited
 * (reason only: the typed identifier and username may be personal data); an
 * unknown username and a wrong password get the same answer.
 * (`login_`: not rendered inside login.tsx, which has no outlet.)
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf, renewedCsrfCookie } from "../auth/csrf.server.js";
import { getPrincipal, PASSWORD_CHANGE_PATH, startSession } from "../auth/session.server.js";
import { Alert, TopBar } from "../components/ui.js";
import { LOGIN_ID, passwordSignInMessage, type PasswordSignIn } from "../models/password-logins.server.js";
import { signInWithPassword } from "../services/passwords.server.js";
import { noStoreUnlessFetched, passCacheControl } from "../http/no-store.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Sign in with a username and password");

/** The answer carries what was typed back into the form: never stored by a cache (documents only; see settings.api-keys.tsx). */
const pageHeaders = noStoreUnlessFetched;
export const headers = passCacheControl;

const FIELD_MAX = 60;
const PASSWORD_INPUT_MAX = 1024;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const principal = await getPrincipal(request, context);
  if (principal?.mustChangePassword) throw redirect(PASSWORD_CHANGE_PATH);
  if (principal) throw redirect(principal.userId ? "/" : "/console");
  // A link may carry the account identifier (`?account=acme-k3f9`), so people only type their own username.
  const account = new URL(request.url).searchParams.get("account")?.trim().toLowerCase() ?? "";
  return data({ account: LOGIN_ID.test(account) ? account : "" }, { headers: pageHeaders(request) });
}

const Fields = z.object({
  loginId: z.string().trim().min(1, "Enter the account identifier.").max(FIELD_MAX, `An account identifier has at most ${FIELD_MAX} characters.`),
  username: z.string().trim().min(1, "Enter your username.").max(FIELD_MAX, `A username has at most ${FIELD_MAX} characters.`),
  password: z.string().min(1, "Enter your password.").max(PASSWORD_INPUT_MAX, `A password has at most ${PASSWORD_INPUT_MAX} characters.`),
});

type Refusal = Exclude<PasswordSignIn, { ok: true }>["reason"];
const STATUS: Record<Refusal, number> = { invalid: 401, locked: 429, disabled: 403, blocked: 403, deleted: 403 };

interface ActionResult {
  error: string;
  /** What was typed, back into the form (never the password). */
  loginId: string;
  username: string;
  /** A new value per answer, so the password field is emptied after every refusal. */
  attempt: string;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const typed = {
    loginId: String(form.get("account") ?? "").slice(0, FIELD_MAX * 2),
    username: String(form.get("username") ?? "").slice(0, FIELD_MAX * 2),
  };
  const answer = (error: string, status: number, extra: HeadersInit = {}) =>
    data<ActionResult>({ error, ...typed, attempt: crypto.randomUUID() }, { status, headers: { ...pageHeaders(request), ...extra } });

  // A malformed form is the page's problem, not a sign-in attempt: nothing is counted or recorded.
  const parsed = Fields.safeParse({ loginId: typed.loginId, username: typed.username, password: form.get("password") ?? "" });
  if (!parsed.success) return answer(parsed.error.issues[0]?.message ?? "Fill in every field.", 400);

  const outcome = await signInWithPassword(context.services, parsed.data, context.ip);
  if (!outcome.ok) {
    const retry = outcome.reason === "locked" ? { "Retry-After": String((outcome.retryAfterMinutes ?? 15) * 60) } : undefined;
    return answer(passwordSignInMessage(outcome.reason, outcome.retryAfterMinutes), STATUS[outcome.reason], retry);
  }

  const cookie = await startSession(request, context, { userId: outcome.userId, accountId: outcome.accountId, staff: null }, "password", {
    passwordChangeRequired: outcome.mustChange,
  });
  throw redirect(outcome.mustChange ? PASSWORD_CHANGE_PATH : "/", {
    headers: [
      ["Set-Cookie", cookie],
      ["Set-Cookie", await renewedCsrfCookie(context)],
    ],
  });
}

export default function PasswordLogin() {
  const { account } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <>
      <TopBar links={[]} />
      <main className="page narrow">
        <h1>Sign in with a username and password</h1>
        {result?.error ? <Alert kind="error" lines={[result.error]} /> : null}
        <Form method="post" className="card stack" aria-describedby="password-login-what">
          <AuthenticityTokenInput />
          <p id="password-login-what" className="muted">
            For Scale and Enterprise accounts whose owner or admin created a login for you. They give you the account identifier, your username and a one-time
            password; you choose your own password when you first sign in.
          </p>
          <div className="field">
            <label htmlFor="account">Account identifier</label>
            <input
              id="account"
              name="account"
              type="text"
              required
              maxLength={FIELD_MAX}
              autoComplete="on"
              autoCapitalize="none"
              spellCheck={false}
              defaultValue={result?.loginId ?? account}
              aria-describedby="account-hint"
            />
            <p id="account-hint" className="hint">
              Looks like <code>acme-research-k3f9</code>.
            </p>
          </div>
          <div className="field">
            <label htmlFor="username">Username</label>
            <input
              id="username"
              name="username"
              type="text"
              required
              maxLength={FIELD_MAX}
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              defaultValue={result?.username ?? ""}
            />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              key={result?.attempt ?? "first"}
              id="password"
              name="password"
              type="password"
              required
              maxLength={PASSWORD_INPUT_MAX}
              autoComplete="current-password"
              autoFocus={result ? true : undefined}
            />
          </div>
          <button type="submit" className="btn primary block" disabled={busy}>
            Sign in
          </button>
        </Form>
        <p>
          <Link to="/login">Sign in with Google or GitHub instead</Link>
        </p>
      </main>
    </>
  );
}
