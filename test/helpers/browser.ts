/** What every browser test does: watch a page for problems, sign in at the OAuth stand-in, keep a screenshot. */
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";

/**
 * Collects console errors, page errors and failed requests; a journey must end
 * with none. With JavaScript off, Chromium refuses the page's own script files
 * by design. `ignoreAborted`: for tests that navigate away while the page still
 * fetches (ERR_ABORTED is then the test's doing, not the app's).
 * `expectStatuses`: answers the test provokes on purpose (a form refused with
 * 400); Chromium logs each as a console error, which is then not a problem.
 */
export function watchPage(page: Page, options: { javaScript?: boolean; ignoreAborted?: boolean; expectStatuses?: number[] } = {}): string[] {
  const javaScript = options.javaScript ?? true;
  const problems: string[] = [];
  const expected = (text: string) =>
    (options.expectStatuses ?? []).some((s) => text === `Failed to load resource: the server responded with a status of ${s} (${STATUS_TEXT[s] ?? ""})`);
  page.on("console", (m) => m.type() === "error" && !expected(m.text()) && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    const error = r.failure()?.errorText;
    if (error === "net::ERR_ABORTED" && options.ignoreAborted) return;
    // Remix's route discovery (`/__manifest`) is a prefetch: a navigation that starts meanwhile cancels it, by design.
    if (error === "net::ERR_ABORTED" && new URL(r.url()).pathname === "/__manifest") return;
    if (!javaScript && new URL(r.url()).pathname.startsWith("/build/") && r.url().endsWith(".js")) return;
    problems.push(`request failed: ${r.url()} (${error ?? "?"})`);
  });
  return problems;
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict" };

/** Clicks "Sign in with …" and types the email at the local OAuth stand-in. */
export async function signInAtStandIn(page: Page, appUrl: string, provider: "Google" | "GitHub", email: string): Promise<void> {
  await page.goto(`${appUrl}/login`);
  await page.getByRole("button", { name: `Sign in with ${provider}` }).click();
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: `test-results/${name}.png`, fullPage: true });
}
