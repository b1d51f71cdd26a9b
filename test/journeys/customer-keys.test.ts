/**
 * Journey: API keys from the customer's side, against the app as `npm start`
 * runs it. A new person (GitHub) gets the main key on the welcome page,
 * creates a named additional key, uses both on /v1, regenerates the main key
 * through the ⋯ menu (the old one is dead at once, the new one works, the
 * additional key is untouched), and deletes the additional key (dead at once).
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
      await page.getByRole("heading", { name: "Additional keys" }).waitFor();
      await page
        .getByText(`${named.slice(-4)}`)
        .first()
        .waitFor(); // listed by its display parts

      // Used: both keys reach the account.
      const viaNamed = await v1(app, named, "/v1/account");
      expect(viaNamed.status).toBe(200);
      expect(viaNamed.body.id).toBe(accountId);
      expect(await accountStatusWith(app, firstMain)).toBe(200);

      // Regenerated through the ⋯ menu and its confirmation.
      await page.getByLabel("Key actions", { exact: true }).click();
      await page.getByRole("link", { name: "Regenerate API key" }).click();
      await page.getByRole("heading", { name: "Regenerate the main API key?" }).waitFor();
      await page.getByRole("button", { name: "Regenerate API key" }).click();
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
      await page.getByRole("link", { name: "Delete key" }).click();
      await page.getByRole("heading", { name: "Delete the key “CI runner”?" }).waitFor();
      await page.getByRole("button", { name: "Delete key" }).click();
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
});
