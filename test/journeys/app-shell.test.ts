/**
 * Journey: the shell every page shares, used the way people use it (issue 19).
 * On a 375 px phone the top bar collapses into a Menu that opens, navigates
 * and closes with Escape; the skip link jumps past the bar and the settings
 * tabs; a POST held back by a slow network shows it is working and cannot be sent twice
 * (a plain form, and a confirmation's trigger while its dialog's form is out);
 * an unknown console address renders inside the console (no hydration error).
 */
import type { Page, Route } from "playwright-core";
import { describe, expect, it } from "vitest";
import { signIn } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { signInAsStaff } from "./helpers/staff.js";

const app = useNewcomerApp();
const PHONE = { viewport: { width: 375, height: 740 } };

/**
 * A slow network on demand: the page's POSTs to `prefix` wait in the browser until `release()` (then, and from then
 * on, they go). No timer: the test looks at the pending page for as long as it needs, then lets the request go.
 */
async function holdPosts(page: Page, prefix: string) {
  const held: Route[] = [];
  let count = 0;
  let released = false;
  await page.route(
    (u) => u.pathname.startsWith(prefix),
    async (route) => {
      if (route.request().method() !== "POST") return route.continue();
      count++;
      if (released) return route.continue();
      held.push(route);
    },
  );
  return {
    count: () => count,
    release: async () => {
      released = true;
      for (const route of held.splice(0)) await route.continue();
    },
  };
}

const noPageScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

describe.skipIf(!chromiumPath)("the shell", () => {
  it("on a phone: the Menu opens, goes to Settings → Profile, and Escape closes it; the skip link lands past the tabs", async () => {
    const p = await openPage(app, { contextOptions: PHONE });
    await journey("shell-phone", [p], async () => {
      const { page } = p;
      await signIn(page, app, "Google", "phone-shell@example.com");
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      // As a person would: the page has finished loading (its script hydrated) before the menu is used.
      await page.waitForLoadState("networkidle");
      expect(await noPageScroll(page)).toBe(true);
      // Collapsed: the wide bar's links are not shown, the Menu is.
      const menu = page.locator(".topbar-menu > summary");
      await expect.poll(() => page.getByRole("link", { name: "Settings" }).count()).toBe(0);
      await menu.click();
      await page.getByRole("link", { name: "Settings" }).click();
      await page.waitForURL(`${app.url}/settings/profile`);
      // Navigating closed it (once the new page has rendered: the address changes a moment before).
      await expect.poll(() => page.locator(".topbar-menu").getAttribute("open")).toBeNull();
      await expect.poll(() => page.locator('nav[aria-label="Settings"] a[aria-current="page"]').innerText()).toBe("Profile");

      await menu.click();
      await page.getByRole("link", { name: "Home" }).focus();
      await page.keyboard.press("Escape");
      expect(await page.locator(".topbar-menu").getAttribute("open")).toBeNull();
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Menu");

      // The skip link is the first stop and lands on the tab's content, past the bar, the switcher and the tabs.
      await page.goto(`${app.url}/settings/api-keys`, { waitUntil: "networkidle" });
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
      await page.keyboard.press("Enter");
      await page.keyboard.press("Tab");
      expect(await page.evaluate(() => !!document.activeElement?.closest("#content"))).toBe(true);
    });
  });

  it("a slow POST shows it is working and cannot be sent twice", async () => {
    const p = await openPage(app);
    await journey("shell-pending", [p], async () => {
      const { page } = p;
      await signIn(page, app, "GitHub", "slow-network@example.com");
      await page.goto(`${app.url}/settings/api-keys`, { waitUntil: "networkidle" });
      // The network is slow, not the app: this page's POSTs wait in the browser until the test has looked.
      const posts = await holdPosts(page, "/settings/api-keys");
      await page.getByLabel("Key name").fill("Slow one");
      const create = page.getByRole("button", { name: "Create key" });
      await create.click();
      await expect.poll(() => create.isDisabled()).toBe(true);
      expect(await create.getAttribute("aria-busy")).toBe("true");
      await create.click({ force: true }).catch(() => {}); // a second click while pending does nothing
      await posts.release();
      await page.getByRole("heading", { name: "New key “Slow one”" }).waitFor();
      expect(posts.count()).toBe(1);
      await expect.poll(() => create.isDisabled()).toBe(false);
      const keys = await app.db.selectFrom("api_keys").select("id").where("name", "=", "Slow one").execute();
      expect(keys).toHaveLength(1);

      // A confirmation's form: the dialog closes as it is sent, and its trigger shows the action under way until the answer.
      await page.goto(`${app.url}/settings/sessions`, { waitUntil: "networkidle" });
      const signOuts = await holdPosts(page, "/settings/sessions");
      const everywhere = page.getByRole("button", { name: "Sign out everywhere" });
      await everywhere.click();
      await page.getByRole("dialog", { name: "Sign out of every browser?" }).getByRole("button", { name: "Sign out everywhere" }).click();
      await expect.poll(() => everywhere.getAttribute("aria-busy")).toBe("true");
      await signOuts.release();
      await page.waitForURL(/\/login/);
    });
  });

  it("an unknown console address renders inside the console, with a title and without hydration errors", async () => {
    const p = await openPage(app, { expectStatuses: [404] });
    await journey("shell-console-404", [p], async () => {
      const { page } = p;
      await signInAsStaff(page, app, "support");
      await page.goto(`${app.url}/console/nope`);
      await page.getByRole("heading", { name: "Page not found" }).waitFor();
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tickets" }).waitFor();
      expect(await page.title()).toBe("Page not found · Console · Switchboard");
      // Client-side too: following a link to an unknown address keeps the shell.
      await page.getByRole("link", { name: "Go to the dashboard" }).click();
      await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
    });
  });
});
