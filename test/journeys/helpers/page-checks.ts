/**
 * The checks every journey runs on every page it shows (issue #19): axe-core
 * at WCAG 2.1 AA, no horizontal page scroll at the viewport's width, and a
 * full-page screenshot kept in docs/screenshots/ for review.
 *
 * axe is evaluated through the DevTools protocol (Playwright's evaluate), not
 * as a <script> tag: the app's Content-Security-Policy (script nonces) would
 * refuse an injected script, and a journey counts any CSP violation as a
 * page problem. That keeps the app's real CSP under test.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Browser, Page } from "playwright-core";

/** Phone, 200 % zoom of a 1280 × 800 window (zoom halves the CSS viewport; deviceScaleFactor would not), desktop. */
export const PHONE = 375;
export const ZOOM_200 = 640;
export const DESKTOP = 1440;
export const WIDTHS = [PHONE, ZOOM_200, DESKTOP] as const;

const HEIGHTS: Record<number, number> = { [PHONE]: 812, [ZOOM_200]: 400, [DESKTOP]: 900 };

export interface ViewportOptions {
  dark?: boolean;
}

/**
 * Browser-context options for a width: the phone as a phone (mobile layout,
 * touch, so a missing viewport meta would show), the others as a desktop
 * window; `dark` follows prefers-color-scheme: dark.
 */
export function withViewport(width: number, opts: ViewportOptions = {}): NonNullable<Parameters<Browser["newContext"]>[0]> {
  const phone = width <= 480;
  return {
    viewport: { width, height: HEIGHTS[width] ?? 900 },
    isMobile: phone,
    hasTouch: phone,
    colorScheme: opts.dark ? "dark" : "light",
  };
}

/** Switches a page already open to another colour scheme (the viewport's width stays the context's). */
export async function setDark(page: Page, dark: boolean): Promise<void> {
  await page.emulateMedia({ colorScheme: dark ? "dark" : "light" });
}

export interface CheckOptions {
  /** axe rules to leave out, each with the reason in the caller (none by default). */
  disableRules?: string[];
  /** Skip the screenshot (a page shown twice in one journey). */
  noScreenshot?: boolean;
  /** Name the screenshot `-dark` (set automatically when the page prefers dark). */
  dark?: boolean;
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;
const axe = () => (axeSource ??= readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));

export const SCREENSHOT_DIR = path.resolve("docs/screenshots");

/** What is wrong with the page as shown: one readable line per finding (empty when it passes). */
export async function pageFindings(page: Page, name: string, opts: CheckOptions = {}): Promise<string[]> {
  await page.waitForLoadState("load");
  const findings = [...(await overflowFindings(page)), ...(await axeFindings(page, opts))];
  if (!opts.noScreenshot) await keepScreenshot(page, name, opts);
  return findings;
}

/** Fails with every finding listed (rule, impact, elements, help) when the page breaks reflow or WCAG 2.1 AA. */
export async function checkPage(page: Page, name: string, opts: CheckOptions = {}): Promise<void> {
  const findings = await pageFindings(page, name, opts);
  if (findings.length) {
    throw new Error(`${name} at ${page.viewportSize()?.width ?? "?"} px (${new URL(page.url()).pathname}):\n${findings.map((f) => `  - ${f}`).join("\n")}`);
  }
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[] }[];
}

async function axeFindings(page: Page, opts: CheckOptions): Promise<string[]> {
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === "object");
  // As an expression through the protocol, which the page's CSP does not govern (see the header).
  if (!loaded) await page.evaluate(`${axe()}\n;void 0`);
  const run = page.evaluate(async (disable: string[]) => {
    const a = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await a.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      rules: Object.fromEntries(disable.map((r) => [r, { enabled: false }])),
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  }, opts.disableRules ?? []);
  // axe schedules its work with timers, which a context without JavaScript never runs: fail saying so, not by the test's timeout.
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("axe did not finish in 60 s: is JavaScript off in this context? axe needs it")), 60_000);
  });
  const violations = await Promise.race([run, stuck]).finally(() => clearTimeout(timer));
  return violations.map((v) => {
    const targets = v.nodes.map((n) => n.target.map(String).join(" ")).slice(0, 6);
    const more = v.nodes.length > targets.length ? ` (+${v.nodes.length - targets.length} more)` : "";
    return `axe ${v.id} [${v.impact ?? "?"}]: ${v.help} — ${targets.join(", ")}${more}`;
  });
}

/**
 * WCAG 1.4.10 (reflow): the page itself never scrolls sideways at the
 * window's width. Measured against the width asked for, not innerWidth: a
 * phone widens its layout viewport to fit content that sticks out. Names the
 * elements that stick out of their parent past that width (the ones that
 * cause it, grouped by parent, widest first); content inside a region that
 * scrolls or clips on its own does not count.
 */
async function overflowFindings(page: Page): Promise<string[]> {
  const width = page.viewportSize()?.width;
  if (width === undefined) return [];
  const r = await page.evaluate((vw: number) => {
    const describe = (el: Element) => {
      const id = el.id ? `#${el.id}` : "";
      const cls = typeof el.className === "string" && el.className.trim() ? `.${el.className.trim().split(/\s+/).slice(0, 2).join(".")}` : "";
      return `${el.tagName.toLowerCase()}${id}${cls}`;
    };
    const path = (el: Element | null) => {
      const parts: string[] = [];
      for (let p = el; p && p !== document.body && parts.length < 3; p = p.parentElement) parts.unshift(describe(p));
      return parts.join(" > ") || "body";
    };
    const clipsX = (el: Element) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
    const inClippingRegion = (el: Element) => {
      for (let p = el.parentElement; p && p !== document.documentElement && p !== document.body; p = p.parentElement) if (clipsX(p)) return true;
      return false;
    };
    const byParent = new Map<Element | null, { right: number; children: string[] }>();
    for (const el of Array.from(document.body.querySelectorAll("*"))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= vw + 1 || inClippingRegion(el)) continue;
      const parentRight = el.parentElement ? el.parentElement.getBoundingClientRect().right : vw;
      if (box.right <= parentRight + 1) continue; // inside its parent, which sticks out already
      const group = byParent.get(el.parentElement) ?? { right: 0, children: [] };
      group.right = Math.max(group.right, Math.round(box.right));
      group.children.push(`${describe(el)} (${Math.round(box.width)} px wide)`);
      byParent.set(el.parentElement, group);
    }
    const culprits = [...byParent]
      .sort((a, b) => b[1].right - a[1].right)
      .slice(0, 4)
      .map(
        ([parent, g]) =>
          `in ${path(parent)}: ${g.children.slice(0, 3).join(", ")}${g.children.length > 3 ? ` +${g.children.length - 3} more` : ""} reach ${g.right} px`,
      );
    return { scrollWidth: document.documentElement.scrollWidth, culprits };
  }, width);
  if (r.scrollWidth <= width) return [];
  return [`horizontal page scroll: page is ${r.scrollWidth} px wide at ${width} px — ${r.culprits.join("; ") || "no single element named"}`];
}

/** docs/screenshots/<name>-<width>[-dark].png, the full page at the viewport's width. */
async function keepScreenshot(page: Page, name: string, opts: CheckOptions): Promise<void> {
  const dark = opts.dark ?? (await page.evaluate(() => matchMedia("(prefers-color-scheme: dark)").matches));
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}-${page.viewportSize()?.width ?? "x"}${dark ? "-dark" : ""}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled", caret: "hide" });
}
