/**
 * Step-up for staff: console actions that move money, delete, change plans,
 * terminate workflows or grant roles need a sign-in from the last
 * STAFF_STEP_UP_MINUTES. A stolen or forgotten-open staff session can look, but
 * not do those, without the staff member's provider saying yes again.
 *
 * When the sign-in is too old the action changes nothing: it keeps the form's
 * non-secret fields in a short-lived signed cookie (sb_step_up, HttpOnly,
 * Path=/console, 15 minutes) and sends the browser back to the page (303). The
 * console layout then shows "Sign in again" (a POST to /auth/<provider>?next=
 * this page); after the sign-in the same page fills the form in from the
 * cookie, drops it, and the person presses the button again. Nothing is ever
 * replayed: a POST is only ever what the person just sent.
 */
import { redirect, type AppLoadContext } from "@remix-run/node";
import { z } from "zod";
import type { StepUpView } from "../components/step-up.js";
import type { Principal } from "./session.server.js";

/** One console action that needs a recent sign-in. */
export interface StepUpAction {
  intent: string;
  /** The button's words, for the notice. */
  label: string;
  /** The form fields kept across the sign-in; never the CSRF token, an idempotency key or a secret. */
  fields: readonly string[];
  /** The id of the form's heading, to scroll back to. */
  anchor?: string;
}

type StaffPrincipal = Principal & { staff: NonNullable<Principal["staff"]> };

const MAX_VALUE = 2000;
/** Browsers keep about 4 KB per cookie; a stash above this keeps no values (the person types again). */
const MAX_COOKIE = 3800;

const Stash = z.object({
  staffId: z.string(),
  path: z.string(),
  intent: z.string(),
  label: z.string(),
  anchor: z.string().nullable(),
  values: z.record(z.string()),
  at: z.number(),
});

export function staffSignInIsRecent(p: Pick<Principal, "signedInAt">, context: AppLoadContext, now = Date.now()): boolean {
  return now - p.signedInAt.getTime() <= context.services.config.session.staffStepUpMinutes * 60_000;
}

/** This request's page, without Remix's data-request parameters. */
function pageOf(request: Request): { path: string; search: string } {
  const url = new URL(request.url);
  url.searchParams.delete("_routes");
  url.searchParams.delete("index");
  return { path: url.pathname, search: url.search };
}

/**
 * The guard: returns when the form's intent is not one of `actions`, or the
 * staff member signed in recently enough; otherwise keeps the form's fields and
 * throws a redirect back to the page, which then asks for a fresh sign-in. Call
 * it after requireStaff and before any change.
 */
export async function requireRecentStaffSignIn(
  request: Request,
  context: AppLoadContext,
  p: StaffPrincipal,
  form: FormData,
  actions: readonly StepUpAction[],
): Promise<void> {
  const intent = form.get("intent");
  const action = actions.find((a) => a.intent === intent);
  if (!action || staffSignInIsRecent(p, context)) return;
  const { stepUpCookie, logger } = context.services;
  const { path, search } = pageOf(request);
  const values: Record<string, string> = {};
  for (const field of action.fields) {
    const v = form.get(field);
    if (typeof v === "string") values[field] = v.slice(0, MAX_VALUE);
  }
  const stash = (kept: Record<string, string>): z.infer<typeof Stash> => ({
    staffId: p.staff.id,
    path,
    intent: action.intent,
    label: action.label,
    anchor: action.anchor ?? null,
    values: kept,
    at: Date.now(),
  });
  let cookie = await stepUpCookie.serialize(stash(values));
  if (cookie.length > MAX_COOKIE) cookie = await stepUpCookie.serialize(stash({}));
  // Nothing changed, so no audit row (a refused action writes none); the log says it happened.
  logger.info({ staffId: p.staff.id, intent: action.intent }, "console action needs a fresh sign-in");
  throw redirect(path + search, { status: 303, headers: { "Set-Cookie": cookie } });
}

/**
 * For the console layout's loader: what to show on this page about a kept form.
 * A fresh sign-in consumes the stash (setCookie clears it); a stash of another
 * staff member is dropped; one for another page waits for that page.
 */
export async function stepUpForPage(
  request: Request,
  context: AppLoadContext,
  p: StaffPrincipal,
): Promise<{ view: StepUpView | null; setCookie: string | null }> {
  const { stepUpCookie, config } = context.services;
  const cookieHeader = request.headers.get("Cookie");
  if (!cookieHeader?.includes("sb_step_up=")) return { view: null, setCookie: null };
  const clear = () => stepUpCookie.serialize("", { maxAge: 0 });
  const parsed = Stash.safeParse(await stepUpCookie.parse(cookieHeader));
  if (!parsed.success || parsed.data.staffId !== p.staff.id) return { view: null, setCookie: await clear() };
  const stash = parsed.data;
  const { path, search } = pageOf(request);
  if (stash.path !== path) return { view: null, setCookie: null };
  const recent = staffSignInIsRecent(p, context);
  const provider = p.signInProvider === "google" || p.signInProvider === "github" ? p.signInProvider : null;
  return {
    view: {
      path,
      intent: stash.intent,
      label: stash.label,
      values: stash.values,
      anchor: stash.anchor,
      signInNeeded: !recent,
      minutes: config.session.staffStepUpMinutes,
      signIn: { provider, next: path + search },
    },
    setCookie: recent ? await clear() : null,
  };
}
