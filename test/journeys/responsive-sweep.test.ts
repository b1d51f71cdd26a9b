/**
 * Journey: every page at 375 px (a phone), 640 px (200 % zoom of a 1280 px
 * window) and 1440 px, as a customer who has something on each page (alice:
 * a key, usage on it, a transfer ticket) and as an admin (who sees every
 * console page), each page checked with checkPage (axe WCAG 2.1 AA, no
 * horizontal page scroll, a screenshot in docs/screenshots/). Also the
 * signed-out sign-in page, a 404 inside each shell, and buying credits under
 * the test payment provider: the local checkout page itself and the Checkout
 * return page, pending (a session not paid yet) and complete.
 *
 * Every finding of a width is listed at once (not only the first), and the
 * findings of the run so far are written to SWEEP_REPORT, grouped by page and
 * width, so whoever fixes the pages can read them without re-running this.
 */
import { writeFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { signInAtStandIn } from "../helpers/browser.js";
import { accountOf, KEY, v1 } from "./helpers/customer.js";
import { chromiumPath, openPage, useNewcomerApp, type Newcomer } from "./helpers/newcomer.js";
import { pageFindings, withViewport, WIDTHS } from "./helpers/page-checks.js";
import { demoUser, signInAsCustomer, signInAsStaff } from "./helpers/staff.js";

const app = useNewcomerApp();

/** Where the run's findings go (read by the people fixing the pages; overwritten each run). */
const SWEEP_REPORT = process.env.SWEEP_REPORT ?? "/tmp/helpers/sweep-report.md";

/** page name → width → findings ("ok" pages are listed too, so the report shows what was swept). */
const results = new Map<string, Map<number, string[]>>();

afterAll(() => writeReport());

interface Visit {
  name: string;
  path: string;
  /** An absolute address instead of the app's `path` (the local checkout page is on its own origin). */
  url?: string;
  /** The answer's status the page is meant to have (404 for the not-found pages). */
  status?: number;
}

/**
 * What a sweep needs to exist: alice's key with usage, her transfer ticket, and
 * two Add credits checkouts (one left open on the local checkout page, one paid
 * and credited); the ids of what the pages show of them.
 */
async function arrange(app: Newcomer) {
  const alice = demoUser("alice@example.com");
  const newAddress = "alice.sweep@example.net";
  const setup = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(1440) });
  let checkout: { localCheckoutUrl: string; pendingPath: string; completePath: string } | undefined;
  try {
    const { page } = setup;
    // The transfer's new address has an account first (the Email page's own instructions).
    await signInAtStandIn(page, app.url, "GitHub", newAddress);
    await page.waitForURL(/\/settings\/api-keys/);
    await page.context().clearCookies();

    await signInAsCustomer(page, app, alice.email);
    await page.goto(`${app.url}/settings/api-keys`);
    await page.getByLabel("Key name").fill("sweep meter");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = await page.getByLabel("API key “sweep meter”").inputValue();
    expect(key).toMatch(KEY);
    for (let i = 0; i < 3; i++) {
      const r = await v1(app, key, "/v1/usage", { json: { amount_cents: 125 + i, idempotency_key: `sweep-${i}` } });
      expect(r.status).toBe(201);
    }

    // Add credits ($10, the first preset), left unpaid on the local checkout page: its return page stays pending.
    const addCredits = async () => {
      await page.goto(`${app.url}/settings/billing`);
      await page.getByRole("region", { name: "Add credits", exact: true }).getByRole("button", { name: "Continue to payment" }).click();
      await page.waitForURL((u) => u.origin !== new URL(app.url).origin && u.pathname.startsWith("/pay/"));
    };
    await addCredits();
    const localCheckoutUrl = page.url();
    // And once more, paid: its return page shows the credits once the signed webhook has landed.
    await addCredits();
    await page.getByRole("button", { name: "Pay with test card (approves)" }).click();
    await page.getByText("$10.00 added. Your balance is now", { exact: false }).waitFor({ timeout: 60_000 });
    const completeCheckoutPath = new URL(page.url()).pathname;

    await page.goto(`${app.url}/settings/email`);
    await page.getByLabel("New email address").fill(newAddress);
    await page.getByLabel(/I understand this account will be blocked/).check();
    await page.getByRole("button", { name: "Request the transfer" }).click();
    await page.waitForURL(/\/support\/tickets\/[0-9a-f-]{36}$/);

    const open = await app.db
      .selectFrom("checkout_sessions")
      .select("id")
      .where("account_id", "=", (await accountOf(app, alice.email)).accountId)
      .where("status", "=", "open")
      .executeTakeFirstOrThrow();
    checkout = { localCheckoutUrl, pendingPath: `/settings/billing/checkout/${open.id}`, completePath: completeCheckoutPath };
  } finally {
    await setup.context.close();
  }
  const { accountId } = await accountOf(app, alice.email);
  const ticket = await app.db.selectFrom("support_tickets").select(["id", "workflow_id"]).where("old_account_id", "=", accountId).executeTakeFirstOrThrow();
  const mail = await app.db.selectFrom("mail_outbox").select("id").orderBy("created_at", "desc").executeTakeFirstOrThrow();
  return { alice, accountId, ticketId: ticket.id, workflowId: ticket.workflow_id, mailId: mail.id, checkout: checkout! };
}

/** Visits each page in turn, recording every finding (and the page problems it caused) under its name and this width. */
async function sweep(page: Page, problems: string[], width: number, visits: Visit[]): Promise<void> {
  // Chromium's console line for a failed resource names no URL: the answers themselves do.
  const failedAnswers: string[] = [];
  page.on("response", (r) => void (r.status() >= 400 && failedAnswers.push(`answer ${r.status()} for ${new URL(r.url()).pathname}`)));
  for (const v of visits) {
    const seen = problems.length;
    failedAnswers.length = 0;
    const findings: string[] = [];
    try {
      const res = await page.goto(v.url ?? `${app.url}${v.path}`);
      const status = res?.status();
      if (status !== (v.status ?? 200)) findings.push(`answered ${status}, expected ${v.status ?? 200}`);
      // Let the client take over (hydration errors show up as page problems) before checking.
      await page.waitForLoadState("networkidle").catch(() => {});
      findings.push(...(await pageFindings(page, v.name)));
    } catch (err) {
      findings.push(`could not check: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
    // A not-found page's own 404 is the console line Chromium logs for it, not a problem.
    const own404 = (p: string) => v.status === 404 && (p.includes("status of 404") || p === `answer 404 for ${v.path}`);
    findings.push(...[...problems.slice(seen), ...failedAnswers].filter((p) => !own404(p)));
    if (!results.has(v.name)) results.set(v.name, new Map());
    results.get(v.name)!.set(width, condense(findings));
  }
}

/** Each finding once (with how often it came), cut to one readable line: a hydration error repeats per node, with its stack. */
function condense(findings: string[]): string[] {
  const counts = new Map<string, number>();
  for (const f of findings) {
    const line = f.replace(/\s+/g, " ").replace(/ visit https:\/\/reactjs\.org\/docs\/error-decoder\S+ for the full message.*$/, "");
    const short = line.length > 400 ? `${line.slice(0, 400)}…` : line;
    counts.set(short, (counts.get(short) ?? 0) + 1);
  }
  return [...counts].map(([f, n]) => (n > 1 ? `${f} (×${n})` : f));
}

function writeReport(): void {
  const failing = [...results].filter(([, byWidth]) => [...byWidth.values()].some((f) => f.length));
  const lines = [
    "# Responsive sweep (test/journeys/responsive-sweep.test.ts)",
    "",
    `Run ${new Date().toISOString()}: ${results.size} pages, ${failing.length} with findings. Widths: ${WIDTHS.join(", ")} px. Screenshots: docs/screenshots/<page>-<width>.png.`,
    "",
  ];
  for (const [name, byWidth] of results) {
    const bad = [...byWidth].filter(([, f]) => f.length);
    if (!bad.length) {
      lines.push(`## ${name}: ok at ${[...byWidth.keys()].join(", ")} px`, "");
      continue;
    }
    lines.push(`## ${name}`);
    for (const [width, findings] of byWidth) {
      lines.push(findings.length ? `- **${width} px**` : `- ${width} px: ok`);
      for (const f of findings) lines.push(`  - ${f}`);
    }
    lines.push("");
  }
  try {
    writeFileSync(SWEEP_REPORT, lines.join("\n"));
  } catch {
    // No report directory outside the helpers' machine: the test's own failure lists the same.
  }
}

describe.skipIf(!chromiumPath)("responsive sweep", () => {
  for (const width of WIDTHS) {
    it(`every page at ${width} px: no axe violation (WCAG 2.1 AA), no horizontal page scroll`, { timeout: 400_000 }, async () => {
      const ids = await arrange(app);
      const signedOut = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      const customer = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      const staff = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(width) });
      try {
        await sweep(signedOut.page, signedOut.problems, width, [
          { name: "login", path: "/login" },
          { name: "login-password", path: "/login/password" },
        ]);

        await signInAsCustomer(customer.page, app, ids.alice.email);
        await sweep(customer.page, customer.problems, width, [
          { name: "home", path: "/" },
          { name: "settings-profile", path: "/settings/profile" },
          { name: "settings-api-keys", path: "/settings/api-keys" },
          { name: "settings-members", path: "/settings/members" },
          { name: "settings-billing", path: "/settings/billing" },
          { name: "local-checkout", path: "/pay", url: ids.checkout.localCheckoutUrl },
          { name: "settings-billing-checkout-pending", path: ids.checkout.pendingPath },
          { name: "settings-billing-checkout-complete", path: ids.checkout.completePath },
          { name: "settings-email", path: "/settings/email" },
          { name: "settings-notifications", path: "/settings/notifications" },
          { name: "settings-sessions", path: "/settings/sessions" },
          { name: "settings-delete-account", path: "/settings/delete-account" },
          { name: "support-ticket", path: `/support/tickets/${ids.ticketId}` },
          { name: "settings-404", path: "/settings/nope", status: 404 },
        ]);

        await signInAsStaff(staff.page, app, "admin");
        await sweep(staff.page, staff.problems, width, [
          { name: "console-dashboard", path: "/console" },
          { name: "console-search", path: "/console/search?q=alice" },
          { name: "console-accounts", path: "/console/accounts" },
          { name: "console-account", path: `/console/accounts/${ids.accountId}` },
          { name: "console-tickets", path: "/console/tickets" },
          { name: "console-ticket", path: `/console/tickets/${ids.ticketId}` },
          { name: "console-deletions", path: "/console/deletions" },
          { name: "console-workflows", path: "/console/workflows" },
          ...(ids.workflowId ? [{ name: "console-workflow", path: `/console/workflows/${encodeURIComponent(ids.workflowId)}` }] : []),
          { name: "console-mail", path: "/console/mail" },
          { name: "console-mail-message", path: `/console/mail/${ids.mailId}` },
          { name: "console-lists", path: "/console/lists" },
          { name: "console-audit", path: "/console/audit" },
          { name: "console-staff", path: "/console/staff" },
          { name: "console-404", path: "/console/nope", status: 404 },
        ]);
      } finally {
        await Promise.all([signedOut, customer, staff].map((p) => p.context.close()));
        writeReport();
      }
      const failures = [...results].flatMap(([name, byWidth]) => (byWidth.get(width) ?? []).map((f) => `${name}: ${f}`));
      expect(ids.workflowId, "the transfer ticket names its workflow").toBeTruthy();
      expect(failures, `findings at ${width} px (all of them in ${SWEEP_REPORT})`).toEqual([]);
    });
  }
});
