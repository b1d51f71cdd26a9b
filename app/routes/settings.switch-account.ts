/**
 * The account switcher's target (Settings layout): points the session at
 * another account the signed-in person belongs to. POST only, CSRF-checked;
 * a person who is not a member of the account is refused and nothing changes.
 */
import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { safeRedirect } from "../auth/safe-redirect.js";
import { requireUser } from "../auth/session.server.js";
import { switchAccount } from "../services/customer-sessions.server.js";

export const loader = () => new Response("Switch accounts with the account switcher in Settings.", { status: 405, headers: { Allow: "POST" } });

const SwitchForm = z.object({
  accountId: z.string().uuid(),
  next: z.string().max(2000).optional(),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireUser(request, context);
  const parsed = SwitchForm.safeParse(Object.fromEntries(form));
  if (!parsed.success) throw new Response("Choose one of your accounts from the list, then press Switch.", { status: 400 });
  const { accountId, next } = parsed.data;
  if (accountId !== p.accountId) {
    const switched = await switchAccount(context.services, p, accountId, { type: "user", id: p.userId, ip: context.ip });
    if (!switched) throw new Response("You are not a member of that account, so you cannot act on it.", { status: 403 });
  }
  throw redirect(safeRedirect(next, "/settings/profile"));
}
