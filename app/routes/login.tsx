import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { getPrincipal } from "../auth/session.server.js";
import { safeRedirect } from "../auth/safe-redirect.js";
import { Alert, TopBar } from "../components/ui.js";
import { loginMessage } from "../auth/login-messages.server.js";
import { ProviderSignInButtons } from "../components/provider-sign-in.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Sign in");

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
    message: idleMessage(q.ended, context.services.config.session) ?? loginMessage(q),
    localProviders: !context.services.config.oauth.google || !context.services.config.oauth.github,
  };
}

/** Signed out by the idle timeout (app/auth/session.server.ts): say after how long, from the configured limit. */
function idleMessage(ended: string | undefined, limits: { customerIdleHours: number; staffIdleMinutes: number }) {
  if (ended !== "idle" && ended !== "idle_staff") return null;
  const n = ended === "idle" ? limits.customerIdleHours : limits.staffIdleMinutes;
  const unit = ended === "idle" ? "hour" : "minute";
  return { kind: "info" as const, lines: [`You were signed out after ${n} ${unit}${n === 1 ? "" : "s"} without activity.`, "Sign in again to continue."] };
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
          <p className="muted">Switchboard accounts use Google or GitHub. Keep using the one you signed up with: an account stays bound to it.</p>
          <ProviderSignInButtons next={next} />
          {localProviders ? (
            <p className="muted">
              Development mode: no OAuth client ids are configured, so a local stand-in plays Google and GitHub and lets you pick a demo identity.
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
