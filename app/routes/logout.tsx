import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, getPrincipal } from "../auth/session.server.js";
import { signOut } from "../services/customer-sessions.server.js";

export const loader = () => redirect("/");

export async function action({ request, context }: ActionFunctionArgs) {
  await readFormWithCsrf(request, context);
  const principal = await getPrincipal(request, context);
  if (principal) {
    await signOut(
      context.services,
      principal.sessionId,
      principal.userId ? { type: "user", id: principal.userId, ip: context.ip } : { type: "staff", id: principal.staff?.id ?? null, ip: context.ip },
    );
  }
  throw redirect("/login?signedOut", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
}
