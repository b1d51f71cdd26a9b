/**
 * Steps the staff and team journeys share: signing in as a demo staff member
 * or customer at the local OAuth stand-in, finding an account in the console,
 * reading a link out of the outbox, and waiting (with a deadline) for what a
 * workflow on the app's own worker does.
 */
import type { Locator, Page } from "playwright-core";
import { expect } from "vitest";
import { DEMO_STAFF, DEMO_USERS } from "../../../db/demo-seed.js";
import type { StaffRole } from "../../../db/schema.js";
import { signInAtStandIn } from "../../helpers/browser.js";
import type { Newcomer } from "./newcomer.js";

/** A workflow on the app's worker runs on a busy 2-core machine: generous, never a fixed sleep. */
export const WORKFLOW_DEADLINE_MS = 45_000;

export const staffEmail = (role: StaffRole): string => DEMO_STAFF.find((s) => s.role === role)!.email;

/** The demo customer with this email: its account name as the app shows it, and the provider it signs in with. */
export function demoUser(email: string): { email: string; accountName: string; provider: "Google" | "GitHub" } {
  const u = DEMO_USERS.find((x) => x.email === email);
  if (!u) throw new Error(`no demo user ${email}`);
  return { email, accountName: `${u.name}'s account`, provider: u.provider === "github" ? "GitHub" : "Google" };
}

/** Staff sign in like anyone else and land on the console's dashboard. */
export async function signInAsStaff(page: Page, app: Pick<Newcomer, "url">, role: StaffRole): Promise<void> {
  await signInAtStandIn(page, app.url, "Google", staffEmail(role));
  await page.waitForURL(`${app.url}/console`);
  await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
}

/** A demo customer signs in with their own provider and lands on their home page. */
export async function signInAsCustomer(page: Page, app: Pick<Newcomer, "url">, email: string): Promise<void> {
  const u = demoUser(email);
  await signInAtStandIn(page, app.url, u.provider, email);
  await page.waitForURL(`${app.url}/`);
  await page.getByRole("heading", { name: u.accountName, exact: true }).waitFor();
}

/** Console → Accounts → search by email → the account's page. */
export async function openAccountInConsole(page: Page, search: string, accountName: string): Promise<void> {
  await page.getByRole("navigation").getByRole("link", { name: "Accounts", exact: true }).click();
  await page.getByRole("heading", { name: "Accounts", exact: true }).waitFor();
  await page.getByLabel("Search by email (any part) or account id").fill(search);
  // The page's own Search (the console bar has one too).
  await page.locator("#content").getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("link", { name: accountName, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: accountName }).waitFor();
}

/** The first link to `pathPrefix` in the newest outbox mail of this kind to this address, once the app has enqueued it. */
export async function linkFromOutbox(app: Pick<Newcomer, "db">, to: string, kind: string, pathPrefix: string): Promise<string> {
  const pattern = new RegExp(`https?://\\S+${pathPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}[A-Za-z0-9_-]+`);
  let link: string | undefined;
  await expect
    .poll(
      async () => {
        const mail = await app.db
          .selectFrom("mail_outbox")
          .select("text_body")
          .where("kind", "=", kind)
          .where("to_address", "=", to)
          .orderBy("created_at", "desc")
          .executeTakeFirst();
        link = mail ? pattern.exec(mail.text_body)?.[0] : undefined;
        return link !== undefined;
      },
      { timeout: WORKFLOW_DEADLINE_MS, interval: 500 },
    )
    .toBe(true);
  return link!;
}

/** Reloads the page until `locator` shows (a page that does not follow a change by itself), or fails at the deadline. */
export async function reloadUntilVisible(page: Page, locator: Locator, timeout = WORKFLOW_DEADLINE_MS): Promise<void> {
  await expect
    .poll(
      async () => {
        if (await locator.first().isVisible()) return true;
        await page.reload();
        await page.waitForLoadState("load");
        return locator.first().isVisible();
      },
      { timeout, interval: 1_000 },
    )
    .toBe(true);
}

/**
 * Follows a link of the top bar at any width: in the row of links on a wide
 * screen, through the "Menu" disclosure where the bar has collapsed (a phone,
 * 200 % zoom).
 */
export async function navTo(page: Page, label: string): Promise<void> {
  const link = page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label, exact: true }).filter({ visible: true });
  if ((await link.count()) === 0) await page.locator("summary", { hasText: "Menu" }).filter({ visible: true }).click();
  await link.first().click();
}
