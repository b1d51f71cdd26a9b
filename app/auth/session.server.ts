/** Who is asking: the session behind the cookie, and the guards loaders call first. */
import { redirect, type AppLoadContext } from "@remix-run/node";
import type { StaffRole } from "../../db/schema.js";
import { staffCan, staffRolesFor, type StaffAction } from "../permissions.js";
import { SYSTEM, writeAudit } from "../models/audit.server.js";
import { createSession, findSessionByToken, revokeSession, touchSession, type ActiveSession } from "../models/sessions.server.js";
import type { SignInOutcome } from "../models/sign-in.server.js";

export interface Principal {
  sessionId: string;
  userId: string | null;
  accountId: string | null;
  staff: { id: string; role: StaffRole } | null;
  /** Signed in with a one-time password: nothing but /login/password/change until a new one is set. */
  mustChangePassword: boolean;
  /** When the person last signed in (this session's start): step-up checks it (app/auth/step-up.server.ts). */
  signedInAt: Date;
  /** How they signed in ("google", "github", "password"): "Sign in again" offers the same. */
  signInProvider: string;
}

export const PASSWORD_CHANGE_PATH = "/login/password/change";

export type SessionEndReason = "blocked" | "transferred" | "deleted" | "removed" | "password_logins_off" | "idle" | "idle_staff" | "ended";

/** revoked_reason of a session refused for being unused longer than the idle timeout. */
const IDLE_REVOKED = "idle_timeout";

async function readToken(request: Request, context: AppLoadContext): Promise<string | null> {
  const value = await context.services.sessionCookie.parse(request.headers.get("Cookie"));
  return typeof value === "string" && value.length > 0 ? value : null;
}

export async function clearSessionCookie(context: AppLoadContext): Promise<string> {
  return context.services.sessionCookie.serialize("", { maxAge: 0 });
}

/**
 * The principal, or null when signed out. A session whose account is no longer
 * active is revoked on the spot and the person is sent to sign in with the reason.
 */
export function getPrincipal(request: Request, context: AppLoadContext): Promise<Principal | null> {
  // Parent and child loaders of one request share the answer: one lookup, one audit row.
  // Keyed by the load context, which Express makes once per request (Remix hands each loader its own Request copy).
  let cached = principals.get(context);
  if (!cached) {
    cached = lookupPrincipal(request, context);
    principals.set(context, cached);
  }
  return cached;
}

const principals = new WeakMap<AppLoadContext, Promise<Principal | null>>();
const refusalsAudited = new WeakSet<AppLoadContext>();

async function lookupPrincipal(request: Request, context: AppLoadContext): Promise<Principal | null> {
  const token = await readToken(request, context);
  if (!token) return null;
  const { db } = context.services;
  const session = await findSessionByToken(db, token);
  if (!session) return null;
  const ended = endReason(session);
  if (ended) {
    if (!session.revokedReason) await revokeSession(db, session.id, `account_${ended}`);
    // The person's next request lands on sign-in saying why; the cookie goes with it.
    throw redirect(`/login?ended=${ended}`, { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  }
  // Idle timeout (on top of the absolute lifetime in expires_at): staff sessions, which can act
  // on every account, idle out sooner. last_seen_at is touched at most once a minute (touchSession).
  const { session: limits } = context.services.config;
  const idleMs = session.staffId ? limits.staffIdleMinutes * 60_000 : limits.customerIdleHours * 3600_000;
  if (Date.now() - session.lastSeenAt.getTime() > idleMs) {
    await db.transaction().execute(async (trx) => {
      if (!(await revokeSession(trx, session.id, IDLE_REVOKED))) return; // a parallel request ended it
      await writeAudit(
        trx,
        { ...SYSTEM, ip: context.ip },
        {
          action: "auth.session_idle_timeout",
          targetType: session.staffId ? "staff" : "user",
          targetId: session.staffId ?? session.userId,
          details: { session_id: session.id, idle_limit_minutes: Math.round(idleMs / 60_000) },
        },
      );
    });
    const q = new URLSearchParams({ ended: session.staffId ? "idle_staff" : "idle" });
    // Back to the page they were on after signing in again (a form post lands on its page; it is never replayed).
    const here = new URL(request.url);
    here.searchParams.delete("_routes"); // Remix's data-request parameter
    if (!/^\/(login|logout|auth)\b/.test(here.pathname)) q.set("next", here.pathname + here.search);
    throw redirect(`/login?${q}`, { headers: { "Set-Cookie": await clearSessionCookie(context) } });
  }
  await touchSession(db, session);
  return {
    sessionId: session.id,
    userId: session.userId,
    accountId: session.accountId,
    staff: session.staffId && session.staffRole ? { id: session.staffId, role: session.staffRole } : null,
    mustChangePassword: session.passwordChangeRequired,
    signedInAt: session.signedInAt,
    signInProvider: session.provider,
  };
}

function endReason(s: ActiveSession): SessionEndReason | null {
  if (s.accountId && s.accountStatus === "blocked") return s.accountTransferred ? "transferred" : "blocked";
  if (s.accountId && (s.accountStatus === "deleting" || s.accountStatus === "deleted")) return "deleted";
  if (s.revokedReason === "removed_from_account") return "removed";
  if (s.revokedReason === "password_logins_disabled") return "password_logins_off";
  if (s.revokedReason === IDLE_REVOKED) return s.staffId ? "idle_staff" : "idle";
  if (s.revokedReason) return "ended";
  return null;
}

function loginRedirect(request: Request): never {
  const url = new URL(request.url);
  throw redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
}

/** A signed-in customer with an account. Staff-only sessions go to the console. */
export async function requireUser(request: Request, context: AppLoadContext): Promise<Principal & { userId: string; accountId: string }> {
  const p = await getPrincipal(request, context);
  if (!p) loginRedirect(request);
  if (!p.userId || !p.accountId) throw redirect(p.staff ? "/console" : "/login");
  if (p.mustChangePassword) throw redirect(PASSWORD_CHANGE_PATH);
  return p as Principal & { userId: string; accountId: string };
}

export const NOT_FOUND = () => new Response("Not Found", { status: 404 });

/**
 * Staff only. Signed out → sign in; signed in but not staff → 404 (the console
 * does not admit it exists), audited; staff whose role may not take the action
 * (app/permissions.ts) → 403.
 */
export async function requireStaff(
  request: Request,
  context: AppLoadContext,
  action: StaffAction = "view_console",
): Promise<Principal & { staff: NonNullable<Principal["staff"]> }> {
  const roles = staffRolesFor(action);
  const p = await getPrincipal(request, context);
  if (!p) loginRedirect(request);
  if (!p.staff) {
    if (refusalsAudited.has(context)) throw NOT_FOUND();
    refusalsAudited.add(context);
    await writeAudit(
      context.services.db,
      { type: "user", id: p.userId, ip: context.ip },
      {
        action: "console.access_refused",
        details: { path: new URL(request.url).pathname.slice(0, 200), method: request.method },
      },
    );
    throw NOT_FOUND();
  }
  if (!staffCan(p.staff.role, action)) {
    if (refusalsAudited.has(context)) throw new Response(`This needs the ${roles.join(" or ")} role. Ask an admin if you need it.`, { status: 403 });
    refusalsAudited.add(context);
    await writeAudit(
      context.services.db,
      { type: "staff", id: p.staff.id, ip: context.ip },
      {
        action: "console.role_refused",
        details: { path: new URL(request.url).pathname.slice(0, 200), method: request.method, needs: roles },
      },
    );
    throw new Response(`This needs the ${roles.join(" or ")} role. Ask an admin if you need it.`, { status: 403 });
  }
  return p as Principal & { staff: NonNullable<Principal["staff"]> };
}

/** Starts a fresh session (new random id on every sign-in) and returns its Set-Cookie. */
export async function startSession(
  request: Request,
  context: AppLoadContext,
  outcome: Pick<Extract<SignInOutcome, { ok: true }>, "userId" | "accountId" | "staff">,
  provider: string,
  options: { passwordChangeRequired?: boolean } = {},
): Promise<string> {
  const { db, config, sessionCookie } = context.services;
  // A previous session in this browser ends: no session fixation, no stale identities.
  const previous = await readToken(request, context);
  if (previous) {
    const old = await findSessionByToken(db, previous);
    if (old) await revokeSession(db, old.id, "replaced");
  }
  const { token } = await createSession(db, {
    userId: outcome.userId,
    accountId: outcome.accountId,
    staffId: outcome.staff?.id ?? null,
    provider,
    ttlHours: config.session.ttlHours,
    ip: context.ip,
    userAgent: request.headers.get("User-Agent"),
    passwordChangeRequired: options.passwordChangeRequired,
  });
  return sessionCookie.serialize(token);
}
