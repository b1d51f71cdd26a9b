/**
 * Journey: the API keys page by keyboard alone (Tab, Enter, Space, Escape),
 * as someone who cannot use a mouse works it. After signing in, every step is
 * a key press; the page is only read (where focus is, what is shown). Create
 * a key (focus lands on the new key), open the ⋯ menu, open the regenerate
 * dialog (focus is inside it), Escape closes it and focus is back on its
 * trigger, Escape again closes the menu and focus is back on ⋯; then confirm
 * (the new main key is revealed and focused) and delete the created key.
 * A second journey rolls the main key with a window picked by arrow key,
 * stops the old key early, and sets a spend limit (a refused amount comes
 * back focused with its error, then a good one is saved).
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { accountStatusWith, KEY, signIn } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();

/** What has focus, described by what a keyboard user hears or the test needs. */
const focused = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return {
      tag: el?.tagName.toLowerCase() ?? "",
      id: el?.id ?? "",
      label: el?.getAttribute("aria-label") ?? "",
      text: (el?.textContent ?? "").trim(),
      inDialog: !!el?.closest("dialog[open]"),
      dialogTitle: el?.closest("dialog[open]")?.querySelector("h2")?.textContent ?? "",
    };
  });

type Focus = Awaited<ReturnType<typeof focused>>;

/** A page answer on a small shared machine can take a few seconds. */
const SLOW = { timeout: 15_000 };

/** Tab (forwards) until `wanted` has focus; fails after `max` presses, naming where focus went. */
async function tabTo(page: Page, wanted: (f: Focus) => boolean, max = 60): Promise<number> {
  const seen: string[] = [];
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press("Tab");
    const f = await focused(page);
    if (wanted(f)) return presses;
    seen.push(f.label || f.text.slice(0, 30) || f.id || f.tag);
  }
  throw new Error(`not reached in ${max} Tabs; focus went: ${seen.join(" → ")}`);
}

describe.skipIf(!chromiumPath)("keyboard only: API keys", () => {
  it("create, regenerate through the dialog (Escape closes it, focus returns), delete", async () => {
    const p = await openPage(app);
    await journey("keyboard-keys", [p], async () => {
      const { page } = p;
      await signIn(page, app, "GitHub", "keyboard@example.com");
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      const firstMain = await page.getByLabel("Your main API key").inputValue();
      // Hydrated (the copy button exists only once JavaScript runs): the keys from here on go to the scripted page.
      await page.getByRole("button", { name: "Copy key" }).waitFor();

      // Create: Tab to the name, type it, Enter submits; focus lands on the new key, ready to copy.
      await tabTo(page, (f) => f.id === "key-name");
      await page.keyboard.type("Deploy bot");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "New key “Deploy bot”" }).waitFor();
      await expect.poll(async () => (await focused(page)).id, SLOW).toBe("revealed-key");
      const deployKey = await page.getByLabel("API key “Deploy bot”").inputValue();
      expect(deployKey).toMatch(KEY);

      // The ⋯ menu opens with Enter; its item opens the confirmation dialog, which holds focus.
      await tabTo(page, (f) => f.label === "Key actions");
      await page.keyboard.press("Enter");
      await tabTo(page, (f) => f.text === "Regenerate API key", 2);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).inDialog, SLOW).toBe(true);
      expect((await focused(page)).dialogTitle).toBe("Regenerate the main API key?");
      for (let i = 0; i < 5; i++) {
        await page.keyboard.press("Tab");
        // The page behind is inert: Tab reaches only the dialog's controls (past the last, the browser's own UI: the body in headless Chromium).
        const f = await focused(page);
        expect(f.inDialog || f.tag === "body").toBe(true);
      }

      // Escape closes the dialog and focus is back on what opened it; Escape again closes the menu, focus on ⋯.
      await page.keyboard.press("Escape");
      await expect.poll(async () => (await focused(page)).text, SLOW).toBe("Regenerate API key");
      expect((await focused(page)).inDialog).toBe(false);
      expect(await page.getByRole("dialog").count()).toBe(0);
      await page.keyboard.press("Escape");
      await expect.poll(async () => (await focused(page)).label, SLOW).toBe("Key actions");
      expect(await page.locator("details.row-menu[open]").count()).toBe(0);
      expect(await accountStatusWith(app, firstMain)).toBe(200); // nothing happened

      // Confirm: Space opens the menu this time; the dialog's own button regenerates; the new key is revealed and focused.
      await page.keyboard.press("Space");
      await tabTo(page, (f) => f.text === "Regenerate API key", 2);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).inDialog, SLOW).toBe(true);
      if (!((await focused(page)).text === "Regenerate API key" && (await focused(page)).inDialog)) {
        await tabTo(page, (f) => f.inDialog && f.text === "Regenerate API key", 6);
      }
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Your new main key" }).waitFor();
      await expect.poll(async () => (await focused(page)).id, SLOW).toBe("revealed-key");
      const newMain = await page.getByLabel("New main API key").inputValue();
      expect(newMain).toMatch(KEY);
      expect(newMain).not.toBe(firstMain);
      expect(await accountStatusWith(app, firstMain)).toBe(401);
      expect(await accountStatusWith(app, newMain)).toBe(200);

      // Delete the created key the same way.
      await tabTo(page, (f) => f.label === "Key actions for Deploy bot");
      await page.keyboard.press("Enter");
      await tabTo(page, (f) => f.text === "Delete key", 2);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).dialogTitle, SLOW).toBe("Delete the key “Deploy bot”?");
      if ((await focused(page)).text !== "Delete key") await tabTo(page, (f) => f.inDialog && f.text === "Delete key", 6);
      await page.keyboard.press("Enter");
      await page.getByText("was deleted. It no longer works.").waitFor();
      // The row is gone; focus is on the answer, not lost on the page's body.
      await expect.poll(async () => (await focused(page)).text, SLOW).toContain("was deleted. It no longer works.");
      expect(await accountStatusWith(app, deployKey)).toBe(401);
      expect(await accountStatusWith(app, newMain)).toBe(200);
    });
  });
  it("roll the main key with a chosen window, then stop the old key now; set a spend limit, refused then saved", async () => {
    const p = await openPage(app, { expectStatuses: [400] });
    await journey("keyboard-keys-roll", [p], async () => {
      const { page } = p;
      await signIn(page, app, "GitHub", "keyboard-roll@example.com");
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      const firstMain = await page.getByLabel("Your main API key").inputValue();
      await page.getByRole("button", { name: "Copy key" }).waitFor();

      // Roll: the menu's second item; the dialog's window is a select, changed with the arrow keys.
      await tabTo(page, (f) => f.label === "Key actions");
      await page.keyboard.press("Enter");
      await tabTo(page, (f) => f.text === "Roll API key", 3);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).dialogTitle, SLOW).toBe("Roll the main API key?");
      await tabTo(page, (f) => f.inDialog && f.tag === "select", 4);
      await page.keyboard.press("ArrowDown"); // 24 hours → 7 days
      expect(await page.getByRole("dialog").getByLabel("The old key keeps working for").inputValue()).toBe("7d");
      await tabTo(page, (f) => f.inDialog && f.text === "Roll API key", 3);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Your new main key" }).waitFor();
      await expect.poll(async () => (await focused(page)).id, SLOW).toBe("revealed-key");
      await page.getByText("(in 7 days), then stops.").waitFor();
      const newMain = await page.getByLabel("New main API key").inputValue();
      expect(await accountStatusWith(app, firstMain)).toBe(200); // inside its window
      expect(await accountStatusWith(app, newMain)).toBe(200);

      // Stop the old key now, from the rolled row's menu.
      await tabTo(page, (f) => f.label === "Key actions for the rolled main key");
      await page.keyboard.press("Enter");
      await tabTo(page, (f) => f.text === "Stop the old key now", 2);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).dialogTitle, SLOW).toBe("Stop the old main key now?");
      if ((await focused(page)).text !== "Stop the old key now") await tabTo(page, (f) => f.inDialog && f.text === "Stop the old key now", 4);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).text, SLOW).toContain("stopped working. Only the current main key works now.");
      expect(await accountStatusWith(app, firstMain)).toBe(401);
      expect(await accountStatusWith(app, newMain)).toBe(200);

      // A spend limit on the main key: a refused amount comes back focused with its error; then a good one is saved.
      await tabTo(page, (f) => f.label === "Key actions");
      await page.keyboard.press("Enter");
      await tabTo(page, (f) => f.text === "Set spend limit", 4);
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).inDialog, SLOW).toBe(true);
      if ((await focused(page)).tag !== "input") await tabTo(page, (f) => f.inDialog && f.tag === "input", 4);
      await page.keyboard.type("lots");
      await page.keyboard.press("Enter");
      await expect.poll(async () => (await focused(page)).id, SLOW).toBe("spend-limit-step");
      await page.getByText("Enter the limit in dollars").first().waitFor();
      await page.keyboard.press("ControlOrMeta+A");
      await page.keyboard.type("25");
      await page.keyboard.press("Enter");
      await page.getByText("may now spend up to $25.00 a calendar month (UTC).").waitFor();
      await page.getByRole("row").filter({ hasText: "main (primary)" }).getByText("$0.00 of $25.00").waitFor();
    });
  });
});
