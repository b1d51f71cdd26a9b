/**
 * Journey: API keys from the customer's side, against the app as `npm start`
 * runs it. A new person (GitHub) gets the main key on the welcome page,
 * creates a named additional key, uses both on /v1, regenerates the main key
 * through the ⋯ menu and its confirmation dialog (the old one is dead at once,
 * the new one works, the additional key is untouched), and deletes the
 * additional key (dead at once). A key and the quickstart's curl line are
 * copied with their copy buttons (read back from the real clipboard); without
 * JavaScript the menu and confirmation steps work as plain links and forms,
 * and every page that shows a key is one nobody stores.
 */
import { describe, expect, it } from "vitest";
import { accountOf, accountStatusWith, KEY, signIn, v1 } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("customer: API keys", () => {
  it("create a named key, use it, regenerate the main key (old 401, new 200), delete the named key (401)", async () => {
    const email = "key-keeper@example.com";
    const p = await openPage(app);
    await journey("customer-keys", [p], async () => {
      const { page } = p;
      await signIn(page, app, "GitHub", email);
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      const firstMain = await page.getByLabel("Your main API key").inputValue();
      expect(firstMain).toMatch(KEY);
      const { accountId } = await accountOf(app, email);

      // Created: an additional key with a name, shown once.
      await page.getByLabel("Key name").fill("CI runner");
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("heading", { name: "New key “CI runner”" }).waitFor();
      const named = await page.getByLabel("API key “CI runner”").inputValue();
      expect(named).toMatch(KEY);
      expect(named).not.toBe(firstMain);
      await page
        .getByText(`${named.slice(-4)}`)
        .first()
        .waitFor(); // listed by its display parts

      // Used: both keys reach the account.
      const viaNamed = await v1(app, named, "/v1/account");
      expect(viaNamed.status).toBe(200);
      expect(viaNamed.body.id).toBe(accountId);
      expect(await accountStatusWith(app, firstMain)).toBe(200);

      // Regenerated through the ⋯ menu and its confirmation dialog; opening the menu moves no column.
      const widths = () => page.locator("th").evaluateAll((ths) => ths.map((th) => Math.round(th.getBoundingClientRect().width)));
      const before = await widths();
      await page.getByLabel("Key actions", { exact: true }).click();
      expect(await widths()).toEqual(before);
      await page.getByRole("button", { name: "Regenerate API key" }).click();
      await page.getByRole("dialog", { name: "Regenerate the main API key?" }).getByRole("button", { name: "Regenerate API key" }).click();
      await page.getByRole("heading", { name: "Your new main key" }).waitFor();
      const newMain = await page.getByLabel("New main API key").inputValue();
      expect(newMain).toMatch(KEY);
      expect(newMain).not.toBe(firstMain);
      const dead = await v1(app, firstMain, "/v1/account");
      expect(dead.status).toBe(401);
      expect(["invalid_api_key", "revoked_api_key"]).toContain(dead.body.error.type);
      expect(JSON.stringify(dead.body)).not.toContain(firstMain); // the key is never echoed
      expect(await accountStatusWith(app, newMain)).toBe(200);
      expect(await accountStatusWith(app, named)).toBe(200); // a regenerate leaves additional keys alone

      // Deleted: the named key stops at once; the main key goes on.
      await page.getByLabel("Key actions for CI runner").click();
      await page.getByRole("button", { name: "Delete key" }).click();
      await page.getByRole("dialog", { name: "Delete the key “CI runner”?" }).getByRole("button", { name: "Delete key" }).click();
      await page.getByText("was deleted. It no longer works.").waitFor();
      expect(await accountStatusWith(app, named)).toBe(401);
      expect(await accountStatusWith(app, newMain)).toBe(200);

      const keys = await app.db.selectFrom("api_keys").select(["kind", "name", "status"]).where("account_id", "=", accountId).orderBy("created_at").execute();
      expect(keys.map((k) => [k.kind, k.status])).toEqual([
        ["main", "revoked"],
        ["additional", "revoked"],
        ["main", "active"],
      ]);
    });
  });
  it("sign up shows the key; an additional key is copied and works; regenerating kills the old main key", async () => {
    const p = await openPage(app, { contextOptions: { permissions: ["clipboard-read", "clipboard-write"] } });
    await journey("customer-keys-copy", [p], async () => {
      const { page } = p;
      const welcomeResponse = page.waitForResponse((r) => r.url() === `${app.url}/settings/api-keys?welcome`);
      await signIn(page, app, "Google", "journey@example.com");
      // Responses that carry a key must not be stored by any cache.
      expect((await welcomeResponse).headers()["cache-control"]).toBe("no-store");

      await expect.poll(() => page.url()).toBe(`${app.url}/settings/api-keys?welcome`);
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
      expect(await accountStatusWith(app, copied)).toBe(200);
      // The quickstart's curl line carries the same key, and copies as a whole.
      await page.getByRole("region", { name: "New key “Laptop”" }).getByRole("button", { name: "Copy command" }).click();
      await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(`curl -H "Authorization: Bearer ${shown}" ${app.url}/v1/account`);
      // The reveal was the action's answer only: the welcome key is gone from the page.
      expect(await page.getByLabel("Your main API key").count()).toBe(0);

      await page.getByLabel("Key actions", { exact: true }).click();
      await page.getByRole("button", { name: "Regenerate API key" }).click();
      await page.getByRole("dialog", { name: "Regenerate the main API key?" }).getByRole("button", { name: "Regenerate API key" }).click();
      await page.getByRole("heading", { name: "Your new main key" }).waitFor();
      const newMain = await page.getByLabel("New main API key").inputValue();
      expect(newMain).toMatch(KEY);
      expect(newMain).not.toBe(firstMain);
      await expect.poll(() => new URL(page.url()).search).toBe(""); // the answer shows on the list, not on the confirm step
      expect(await page.getByRole("heading", { name: "Regenerate the main API key?" }).count()).toBe(0);

      expect(await accountStatusWith(app, firstMain)).toBe(401);
      expect(await accountStatusWith(app, newMain)).toBe(200);
      expect(await accountStatusWith(app, copied)).toBe(200); // additional keys are untouched by a regenerate
    });
  });

  it("works without JavaScript: the menu, the confirmation steps, and each key shown once in a page nobody stores", async () => {
    const p = await openPage(app, { javaScript: false, contextOptions: { javaScriptEnabled: false } });
    await journey("customer-keys-nojs", [p], async () => {
      const { page } = p;
      await signIn(page, app, "Google", "nojs@example.com");
      await page.waitForURL(`${app.url}/settings/api-keys?welcome`);
      const firstMain = await page.getByLabel("Your main API key").inputValue();
      expect(firstMain).toMatch(KEY);
      expect(await page.getByRole("button", { name: "Copy key" }).count()).toBe(0); // a button that could do nothing is not offered

      await page.getByLabel("Key name").fill("Build server");
      await page.getByRole("button", { name: "Create key" }).click();
      const created = await page.getByLabel("API key “Build server”").inputValue();
      expect(await accountStatusWith(app, created)).toBe(200);

      await page.getByLabel("Key actions", { exact: true }).click(); // <details> opens natively
      await page.getByRole("link", { name: "Regenerate API key" }).click();
      const answer = page.waitForResponse((r) => r.request().method() === "POST");
      await page.getByRole("button", { name: "Regenerate API key" }).click();
      expect((await answer).headers()["cache-control"]).toBe("no-store");
      const newMain = await page.getByLabel("New main API key").inputValue();
      expect(await accountStatusWith(app, firstMain)).toBe(401);
      expect(await accountStatusWith(app, newMain)).toBe(200);

      await page.getByLabel("Key actions for Build server").click();
      await page.getByRole("link", { name: "Delete key" }).click();
      await page.getByRole("heading", { name: "Delete the key “Build server”?" }).waitFor();
      await page.getByRole("button", { name: "Delete key" }).click();
      await page.getByText("was deleted. It no longer works.").waitFor();
      expect(await accountStatusWith(app, created)).toBe(401);
    });
  });
});
