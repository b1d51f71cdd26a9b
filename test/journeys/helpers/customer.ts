/**
 * Shared steps of the customer journeys (test/journeys/customer-*.test.ts):
 * calling the app's /v1 API with a key, reading the app's database the way a
 * journey checks its outcome, and waiting on what the app's own worker does
 * (always polled against a deadline, never a fixed sleep).
 */
import { sql } from "kysely";
import { expect } from "vitest";
import type { Page } from "playwright-core";
import { signInAtStandIn } from "../../helpers/browser.js";
import type { Newcomer } from "./newcomer.js";

/** Main and additional keys: `tgp_v1_` and 43 URL-safe characters. */
export const KEY = /^tgp_v1_[A-Za-z0-9_-]{43}$/;

/** Generous: the machine is small and other runs share it. */
export const WORKFLOW_DEADLINE_MS = 60_000;

export interface V1Answer {
  status: number;
  /** The parsed JSON answer (loosely typed: journeys assert on its fields). */
  body: any;
}

/** A /v1 request with `Authorization: Bearer <key>`, as an integration makes it (from outside the browser). */
export async function v1(
  app: Newcomer,
  key: string,
  path: string,
  init: { method?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<V1Answer> {
  const res = await fetch(`${app.url}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: {
      Authorization: `Bearer ${key}`,
      ...(init.json === undefined ? {} : { "Content-Type": "application/json" }),
      ...init.headers,
    },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body };
}

/** GET /v1/account's status code only. */
export async function accountStatusWith(app: Newcomer, key: string): Promise<number> {
  return (await v1(app, key, "/v1/account")).status;
}

/** The account a user (by email) owns, as the database has it. */
export async function accountOf(app: Newcomer, email: string) {
  return app.db
    .selectFrom("users")
    .innerJoin("memberships", "memberships.user_id", "users.id")
    .innerJoin("accounts", "accounts.id", "memberships.account_id")
    .select([
      "users.id as userId",
      "users.provider",
      "accounts.id as accountId",
      "accounts.status",
      "accounts.plan",
      "accounts.balance_cents",
      "accounts.blocked_reason_code",
      "accounts.transferred_to_account_id",
    ])
    .where("users.email", "=", email)
    .where("memberships.role", "=", "owner")
    .executeTakeFirstOrThrow();
}

/** How many rows each table a sign-in could write to holds (to show a refused sign-in created nothing). */
export async function signInFootprint(app: Newcomer): Promise<Record<string, number>> {
  const tables = ["users", "accounts", "memberships", "identities", "api_keys", "sessions", "ledger_entries"] as const;
  const out: Record<string, number> = {};
  for (const t of tables) {
    const row = await app.db
      .selectFrom(t)
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    out[t] = Number(row.n);
  }
  return out;
}

/** Signs in at the stand-in and waits until the app has answered (left the stand-in). */
export async function signIn(page: Page, app: Newcomer, provider: "Google" | "GitHub", email: string): Promise<void> {
  await signInAtStandIn(page, app.url, provider, email);
  await page.waitForURL((u) => u.origin === new URL(app.url).origin && !u.pathname.startsWith("/auth/"));
}

/** The sign-in page's refusal, after a refused sign-in: the alert's text. */
export async function loginAlert(page: Page): Promise<string> {
  await expect.poll(() => new URL(page.url()).pathname).toBe("/login");
  const alert = page.locator(".alert").first();
  await alert.waitFor();
  return (await alert.innerText()).replace(/\s+/g, " ").trim();
}

/** Polls `read` until `accept` holds, failing with the last value seen after the deadline. */
export async function waitFor<T>(what: string, read: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = WORKFLOW_DEADLINE_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  let delay = 100;
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, delay)); // a poll interval, not a wait for the outcome
    delay = Math.min(delay * 2, 1_000);
    last = await read();
  }
  return last;
}

/** The newest outbox mail to `to` whose subject matches, once it is there. */
export async function mailTo(app: Newcomer, to: string, subject: RegExp) {
  return waitFor(
    `a mail to ${to} matching ${subject}`,
    async () => {
      const rows = await app.db.selectFrom("mail_outbox").selectAll().where("to_address", "=", to).orderBy("created_at", "desc").execute();
      return rows.find((r) => subject.test(r.subject)) ?? null;
    },
    (m) => m !== null,
  ).then((m) => m!);
}

/**
 * Makes every live sign-in of a user `minutes` older, as if the person had
 * signed in that long ago (a journey cannot wait 10 minutes for a sign-in to
 * go stale). Returns how many sessions it aged.
 */
export async function ageSignIns(app: Newcomer, userId: string, minutes: number): Promise<number> {
  const aged = await app.db
    .updateTable("sessions")
    .set((eb) => ({ created_at: sql<Date>`${eb.ref("created_at")} - make_interval(mins => ${minutes})` }))
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return Number(aged.numUpdatedRows);
}
