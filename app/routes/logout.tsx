import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { clearSessionCookie, getPrincipal } from "../auth/session.server.js";
import { writeAudit } from "../models/audit.server.js";
import { revokeSession } from "../models/sessions.server.js";

export const loader = () => redirect("/");

export async function action({ request, context }: ActionFunctionArgs) {
  await readFormWithCsrf(request, context);
  const principal = await getPrincipal(request, context);
  if (principal) {
    await revokeSession(context.services.db, principal.sessionId, "signed_out");
    await writeAudit(
      context.services.db,
      principal.userId ? { type: "user", id: principal.userId, ip: context.ip } : { type: "staff", id: principal.staff?.id ?? null, ip: context.ip },
      { action: "auth.sign_out", targetType: "session", targetId: principal.sessionId },
    );
  }
  throw redirect("/login?signedOut", { headers: { "Set-Cookie": await clearSessionCookie(context) } });
}
