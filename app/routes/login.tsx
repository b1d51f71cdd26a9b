import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { getPrincipal } from "../auth/session.server.js";
import { safeRedirect } from "../auth/safe-redirect.js";
import { Alert, TopBar } from "../components/ui.js";
import { loginMessage } from "../auth/login-messages.server.js";

export const meta: MetaFunction = () => [{ title: "Sign in · Switchboard" }];

const Query = z.object({
  next: z.string().optional(),
  error: z.string().optional(),
  provider: z.string().optional(),
  bound: z.string().optional(),
  ended: z.string().optional(),
  signedOut: z.string().optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const q = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  const next = safeRedirect(q.next, "/");
  const principal = await getPrincipal(request, context);
  if (principal && !q.error) throw redirect(principal.userId ? next : "/console");
  return {
    next,
    message: loginMessage(q),
    localProviders: !context.services.config.oauth.google || !context.services.config.oauth.github,
  };
}

export default function Login() {
  const { next, message, localProviders } = useLoaderData<typeof loader>();
  return (
    <>
      <TopBar links={[]} />
      <main className="page narrow">
        <h1>Sign in to Switchboard</h1>
        {message ? <Alert kind={message.kind} lines={message.lines} /> : null}
        <div className="card stack">
          <p className="muted">
            Switchboard accounts use Google or GitHub. Keep using the one you signed up with: an account stays bound to
            it.
          </p>
          <div className="provider-buttons">
            {/* reloadDocument: the answer is a redirect to the provider (another origin), so a plain form post, not a fetch. */}
            <Form method="post" reloadDocument action={`/auth/google?next=${encodeURIComponent(next)}`}>
              <AuthenticityTokenInput />
              <button type="submit" className="btn primary block">
                Sign in with Google
              </button>
            </Form>
            <Form method="post" reloadDocument action={`/auth/github?next=${encodeURIComponent(next)}`}>
              <AuthenticityTokenInput />
              <button type="submit" className="btn primary block">
                Sign in with GitHub
              </button>
            </Form>
          </div>
          {localProviders ? (
            <p className="muted">
              Development mode: no OAuth client ids are configured, so a local stand-in plays Google and GitHub and
              lets you pick a demo identity.
            </p>
          ) : null}
        </div>
        <p>
          <Link to="/login/password">Sign in with a username and password (Scale and Enterprise accounts)</Link>
        </p>
      </main>
    </>
  );
}
