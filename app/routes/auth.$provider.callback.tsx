import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { z } from "zod";
import { clearOAuthStateCookie, isSignInProvider } from "../auth/providers.server.js";
import { safeRedirect } from "../auth/safe-redirect.js";
import { renewedCsrfCookie } from "../auth/csrf.server.js";
import { revealCookie } from "../auth/reveal-once.server.js";
import { startSession } from "../auth/session.server.js";
import type { ProviderIdentity } from "../models/sign-in.server.js";
import { recordProviderFailure, signInWithProvider } from "../services/sign-in.server.js";

/**
 * The provider sends the browser back here. The strategy checks the state
 * against the cookie, trades the code for a token and reads the profile; the
 * sign-in rules decide; a fresh session starts. Any failure lands on /login
 * with a code, and changes nothing. Every answer clears the state cookie: a
 * state (and its PKCE verifier and nonce) is good for one callback only.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const provider = params.provider ?? "";
  if (!isSignInProvider(provider)) {
    throw new Response("Unknown sign-in provider. Use Google or GitHub.", { status: 404 });
  }
  const { services } = context;
  const clearState = clearOAuthStateCookie(services.config.secureCookies);
  let identity: ProviderIdentity;
  try {
    // A callback must carry the state and a code or an error; the strategies would
    // otherwise treat a bare callback URL as the start of a new sign-in.
    if (!CallbackParams.safeParse(Object.fromEntries(new URL(request.url).searchParams)).success) {
      throw new Error("malformed callback parameters");
    }
    identity = await services.authenticator.authenticate(provider, request, { throwOnError: true });
  } catch (err) {
    if (err instanceof Response && err.status >= 300 && err.status < 400) throw err;
    // Forged or missing state, a bad code, the provider refusing: logged and audited by kind, never with the raw values.
    services.logger.warn({ provider, reason: err instanceof Error ? err.message.slice(0, 120) : "unknown" }, "oauth callback failed");
    await recordProviderFailure(services, provider, context.ip);
    throw redirect(`/login?error=oauth&provider=${provider}`, { headers: clearing(clearState) });
  }

  // Sign-in that started on an invitation page: a new person joins that account (see resolveSignIn).
  const invitationToken = /^\/invitations\/([A-Za-z0-9_-]{43})$/.exec(readNext(request) ?? "")?.[1] ?? null;
  const outcome = await signInWithProvider(services, identity, { ip: context.ip, invitationToken });
  if (!outcome.ok) {
    const q = new URLSearchParams({ error: outcome.reason, provider });
    if (outcome.boundProvider) q.set("bound", outcome.boundProvider);
    throw redirect(`/login?${q}`, { headers: clearing(clearState) });
  }
  services.logger.info({ provider, created: outcome.created, staff: outcome.staff !== null }, "signed in");
  const sessionCookie = await startSession(request, context, outcome, provider);
  const next = safeRedirect(readNext(request), "/");
  const target = outcome.newMainKey
    ? "/settings/api-keys?welcome" // a new account: show its main key, once
    : outcome.reboundFrom
      ? `/?rebound=${provider}` // tell a former LinkedIn user how they sign in from now on
      : outcome.userId
        ? next
        : next.startsWith("/console")
          ? next
          : "/console";
  const headers = clearing(clearState);
  headers.append("Set-Cookie", sessionCookie);
  headers.append("Set-Cookie", await renewedCsrfCookie(context)); // a new CSRF token with every sign-in
  if (outcome.newMainKey) {
    const { config } = services;
    headers.append("Set-Cookie", revealCookie(config.session.secrets[0], outcome.newMainKey, config.secureCookies));
  }
  throw redirect(target, { headers });
}

const CallbackParams = z.union([
  z.object({ state: z.string().min(1).max(512), code: z.string().min(1).max(2048) }),
  z.object({ state: z.string().min(1).max(512), error: z.string().min(1).max(256) }),
]);

function readNext(request: Request): string | null {
  const match = /(?:^|;\s*)sb_next=([^;]*)/.exec(request.headers.get("Cookie") ?? "");
  if (!match) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return null;
  }
}

const clearNext = () => "sb_next=; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=0";

/** Headers that end the pending sign-in: its state cookie and where it was to land. */
function clearing(clearState: string): Headers {
  const headers = new Headers();
  headers.append("Set-Cookie", clearState);
  headers.append("Set-Cookie", clearNext());
  return headers;
}
