/** Journey: a new person signs up with Google and sees their main key once. */
import { describe, expect, it } from "vitest";
import { signInAtStandIn } from "../helpers/browser.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("sign up", () => {
  it("with Google: a new account and its main key, shown once", async () => {
    const p = await openPage(app);
    await journey("sign-up-google", [p], async () => {
      await signInAtStandIn(p.page, app.url, "Google", "newcomer@example.com");
      await p.page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      expect(await p.page.getByLabel("Your main API key").inputValue()).toMatch(/^tgp_v1_[A-Za-z0-9_-]{43}$/);
      const user = await app.db.selectFrom("users").select("provider").where("email", "=", "newcomer@example.com").executeTakeFirstOrThrow();
      expect(user.provider).toBe("google");
    });
  });
});
