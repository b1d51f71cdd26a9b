import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { isSignInProvider } from "../auth/providers.server.js";
import { safeRedirect } from "../auth/safe-redirect.js";

// Starting a sign-in is a form post (CSRF-checked); a plain GET just shows the sign-in page.
export const loader = () => redirect("/login");

export async function action({ request, params, context }: ActionFunctionArgs) {
  const provider = params.provider ?? "";
  if (!isSignInProvider(provider)) {
    throw new Response(`Unknown sign-in provider. Use Google or GitHub.`, { status: 404 });
  }
  await readFormWithCsrf(request.clone(), context);
  const next = safeRedirect(new URL(request.url).searchParams.get("next"), "/");
  // The strategy throws a redirect to the provider, carrying the state cookie.
  try {
    await context.services.authenticator.authenticate(provider, request);
  } catch (thrown) {
    if (thrown instanceof Response && thrown.status >= 300 && thrown.status < 400) {
      const headers = new Headers(thrown.headers);
      headers.append("Set-Cookie", nextCookie(next, context.services.config.secureCookies));
      return new Response(null, { status: thrown.status, headers });
    }
    throw thrown;
  }
  return redirect("/login");
}

/** Where to land after the callback; a path only (safeRedirect), short-lived. */
function nextCookie(next: string, secure: boolean): string {
  return `sb_next=${encodeURIComponent(next)}; Path=/auth; HttpOnly; SameSite=Lax; Max-Age=600${secure ? "; Secure" : ""}`;
}
