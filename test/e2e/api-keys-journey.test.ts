/**
 * In Chromium: a new user signs up and sees the main key once; creates an
 * additional key and copies it with the copy button (read back from the real
 * clipboard); that key works on /v1; regenerating the main key through the ⋯
 * menu and its confirmation kills the old main key at once.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath, launchChromium } from "../helpers/chromium.js";
import { useSuite } from "../helpers/suite.js";
import { screenshot, signInAtStandIn, watchPage } from "../helpers/browser.js";

const t = useSuite({ app: true, when: chromiumPath !== undefined });
let browser: Browser;

beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
});
afterAll(() => browser?.close());

const KEY = /^tgp_v1_[A-Za-z0-9_-]{43}$/;

async function v1Status(key: string): Promise<number> {
  const res = await fetch(`${t.app.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } });
  await res.arrayBuffer();
  return res.status;
}

const signUp = (page: Page, email: string) => signInAtStandIn(page, t.app.url, "Google", email);

describe.skipIf(!chromiumPath)("API keys journey in Chromium", () => {
  it("sign up shows the key; an additional key is copied and works; regenerating kills the old main key", async () => {
    const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
    const page = await context.newPage();
    const problems = watchPage(page);
    try {
      const welcomeResponse = page.waitForResponse((r) => r.url() === `${t.app.url}/settings/api-keys?welcome`);
      await signUp(page, "journey@example.com");
      // Responses that carry a key must not be stored by any cache.
      expect((await welcomeResponse).headers()["cache-control"]).toBe("no-store");

      await expect.poll(() => page.url()).toBe(`${t.app.url}/settings/api-keys?welcome`);
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      await page.getByText("it will not be shown again").first().waitFor();
      const firstMain = await page.getByLabel("Your main API key").inputValue();
      expect(firstMain).toMatch(KEY);

      await page.getByLabel("Key name").fill("Laptop");
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("heading", { name: "New key “Laptop”" }).waitFor();
      const shown = await page.getByLabel("API key “Laptop”").inputValue();
      expect(shown).toMatch(KEY);
      await page.getByRole("region", { name: "New key “Laptop”" }).getByRole("button", { name: "Copy key" }).click();
      await page.getByText("Copied to the clipboard.").waitFor();
      const copied = await page.evaluate(() => navigator.clipboard.readText());
      expect(copied).toBe(shown);
      expect(await v1Status(copied)).toBe(200);
      // The reveal was the action's answer only: the welcome key is gone from the page.
      expect(await page.getByLabel("Your main API key").count()).toBe(0);

      await page.getByLabel("Key actions", { exact: true }).click();
      await page.getByRole("link", { name: "Regenerate API key" }).click();
      await page.getByRole("heading", { name: "Regenerate the main API key?" }).waitFor();
      await page.getByRole("button", { name: "Regenerate API key" }).click();
      await page.getByRole("heading", { name: "Your new main key" }).waitFor();
      const newMain = await page.getByLabel("New main API key").inputValue();
      expect(newMain).toMatch(KEY);
      expect(newMain).not.toBe(firstMain);
      await expect.poll(() => new URL(page.url()).search).toBe(""); // the answer shows on the list, not on the confirm step
      expect(await page.getByRole("heading", { name: "Regenerate the main API key?" }).count()).toBe(0);

      expect(await v1Status(firstMain)).toBe(401);
      expect(await v1Status(newMain)).toBe(200);
      expect(await v1Status(copied)).toBe(200); // additional keys are untouched by a regenerate

      expect(problems).toEqual([]);
    } catch (err) {
      await screenshot(page, "api-keys-journey");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${problems.join("\n") || "none"}`);
    } finally {
      await context.close();
    }
  });

  it("works without JavaScript: the menu, the confirmation steps, and each key shown once in a page nobody stores", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const problems = watchPage(page, { javaScript: false });
    try {
      await signUp(page, "nojs@example.com");
      await page.waitForURL(`${t.app.url}/settings/api-keys?welcome`);
      const firstMain = await page.getByLabel("Your main API key").inputValue();
      expect(firstMain).toMatch(KEY);
      expect(await page.getByRole("button", { name: "Copy key" }).count()).toBe(0); // a button that could do nothing is not offered

      await page.getByLabel("Key name").fill("Build server");
      await page.getByRole("button", { name: "Create key" }).click();
      const created = await page.getByLabel("API key “Build server”").inputValue();
      expect(await v1Status(created)).toBe(200);

      await page.getByLabel("Key actions", { exact: true }).click(); // <details> opens natively
      await page.getByRole("link", { name: "Regenerate API key" }).click();
      const answer = page.waitForResponse((r) => r.request().method() === "POST");
      await page.getByRole("button", { name: "Regenerate API key" }).click();
      expect((await answer).headers()["cache-control"]).toBe("no-store");
      const newMain = await page.getByLabel("New main API key").inputValue();
      expect(await v1Status(firstMain)).toBe(401);
      expect(await v1Status(newMain)).toBe(200);

      await page.getByLabel("Key actions for Build server").click();
      await page.getByRole("link", { name: "Delete key" }).click();
      await page.getByRole("heading", { name: "Delete the key “Build server”?" }).waitFor();
      await page.getByRole("button", { name: "Delete key" }).click();
      await page.getByText("was deleted. It no longer works.").waitFor();
      expect(await v1Status(created)).toBe(401);

      expect(problems).toEqual([]);
    } catch (err) {
      await screenshot(page, "api-keys-journey-nojs");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${problems.join("\n") || "none"}`);
    } finally {
      await context.close();
    }
  });
});
