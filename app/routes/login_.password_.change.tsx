/**
 * `/login/password/change`: a password login sets a new password. After a
 * sign-in with the one-time initial password this is the only page the
 * session may open (requireUser sends every other page here); afterwards the
 * person may come back to change it again. Success starts a fresh session
 * without the restriction (the old one ends), ends the person's other
 * sessions, and goes home. Passwords are never sent back in a page.
 * (`login_` and `password_`: a page of its own, not inside login.tsx or the sign-in form.)
 */
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf, renewedCsrfCookie } from "../auth/csrf.server.js";
import { PASSWORD_MIN } from "../auth/passwords.server.js";
import { getPrincipal, startSession } from "../auth/session.server.js";
import { fieldErrorsOf } from "../components/forms.js";
import { Alert, TopBar } from "../components/ui.js";
import { loadChangePasswordPage } from "../presenters/change-password-page.server.js";
import { changeOwnPassword } from "../services/passwords.server.js";
import { noStoreUnlessFetched, passCacheControl } from "../http/no-store.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Choose a new password");

/** Documents only: Chromium cuts no-store `.data` streams short (see settings.api-keys.tsx). */
const pageHeaders = noStoreUnlessFetched;
export const headers = passCacheControl;

const PASSWORD_INPUT_MAX = 1024;

/** The signed-in password login, or a redirect: signed out → sign in with a password; no password login → the profile. */
async function who(request: Request, context: LoaderFunctionArgs["context"]) {
  const p = await getPrincipal(request, context);
  if (!p || !p.userId || !p.accountId) throw redirect("/login/password");
  const login = await loadChangePasswordPage(context.services, { userId: p.userId, accountId: p.accountId });
  if (!login) throw redirect("/settings/profile");
  return { p: p as typeof p & { userId: string; accountId: string }, ...login };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { p, username, accountName } = await who(request, context);
  return data({ username, accountName, forced: p.mustChangePassword, min: PASSWORD_MIN }, { headers: pageHeaders(request) });
}

const FIELDS = ["current", "next", "repeat"] as const;
type Field = (typeof FIELDS)[number];
interface ActionResult {
  error: string;
  field: Field;
  /** A new value per answer, so the password fields are emptied after every refusal. */
  attempt: string;
}

const Fields = z.object({
  current: z.string().min(1, "Enter your current password.").max(PASSWORD_INPUT_MAX, "That is longer than any password here."),
  next: z.string().min(1, "Enter a new password.").max(PASSWORD_INPUT_MAX, `Use at most ${PASSWORD_INPUT_MAX} characters.`),
  repeat: z.string().max(PASSWORD_INPUT_MAX),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const { p } = await who(request, context);
  const refuse = (field: Field, error: string) =>
    data<ActionResult>({ error, field, attempt: crypto.randomUUID() }, { status: 400, headers: pageHeaders(request) });

  const parsed = Fields.safeParse({ current: form.get("current") ?? "", next: form.get("next") ?? "", repeat: form.get("repeat") ?? "" });
  if (!parsed.success) {
    // One field at a time, the first the form shows.
    const { fieldErrors, formError } = fieldErrorsOf(parsed.error, FIELDS);
    const first = FIELDS.find((f) => fieldErrors[f]);
    return first ? refuse(first, fieldErrors[first]!) : refuse("current", formError ?? "Fill in every field.");
  }
  const { current, next, repeat } = parsed.data;
  if (next !== repeat) return refuse("repeat", "The two new passwords are not the same. Type the new password twice.");

  const actor = { type: "user" as const, id: p.userId, ip: context.ip };
  // A new password ends every other session of this login (this one is replaced below).
  const changed = await changeOwnPassword(context.services, { userId: p.userId, keepSessionId: p.sessionId }, { current, next }, actor);
  if (!changed.ok) return refuse(changed.field, changed.message);

  // A fresh session without the restriction; startSession ends the current one.
  const cookie = await startSession(request, context, { userId: p.userId, accountId: p.accountId, staff: null }, "password");
  throw redirect("/?password=changed", {
    headers: [
      ["Set-Cookie", cookie],
      ["Set-Cookie", await renewedCsrfCookie(context)],
    ],
  });
}

export default function ChangePassword() {
  const { username, accountName, forced, min } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const error = (field: Field) =>
    result?.field === field ? (
      <p id={`${field}-error`} className="field-error">
        {result.error}
      </p>
    ) : null;
  const invalid = (field: Field) => (result?.field === field ? { "aria-invalid": true, "aria-describedby": `${field}-error` } : {});
  return (
    <>
      <TopBar links={forced ? [] : [{ to: "/", label: "Home" }]} who={`${username} (${accountName})`} />
      <main className="page narrow">
        <h1>Choose a new password</h1>
        {forced ? <Alert kind="info" lines={["You signed in with a one-time password. Choose your own password to continue."]} /> : null}
        {result?.error ? <Alert kind="error" lines={["Your password was not changed. Fix the field marked below."]} /> : null}
        <Form method="post" className="card stack" key={result?.attempt ?? "first"}>
          <AuthenticityTokenInput />
          {/* For password managers: which login the new password belongs to. */}
          <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
          <div className="field">
            <label htmlFor="current">{forced ? "One-time password" : "Current password"}</label>
            <input
              id="current"
              name="current"
              type="password"
              required
              maxLength={PASSWORD_INPUT_MAX}
              autoComplete="current-password"
              {...invalid("current")}
            />
            {error("current")}
          </div>
          <div className="field">
            <label htmlFor="next">New password</label>
            <input
              id="next"
              name="next"
              type="password"
              required
              minLength={min}
              maxLength={PASSWORD_INPUT_MAX}
              autoComplete="new-password"
              aria-describedby={result?.field === "next" ? "next-hint next-error" : "next-hint"}
              aria-invalid={result?.field === "next" ? true : undefined}
            />
            <p id="next-hint" className="hint">
              At least {min} characters, not one of the most common passwords, and not containing your username.
            </p>
            {error("next")}
          </div>
          <div className="field">
            <label htmlFor="repeat">Repeat the new password</label>
            <input id="repeat" name="repeat" type="password" required maxLength={PASSWORD_INPUT_MAX} autoComplete="new-password" {...invalid("repeat")} />
            {error("repeat")}
          </div>
          <button type="submit" className="btn primary" disabled={busy}>
            Set new password
          </button>
        </Form>
      </main>
    </>
  );
}
