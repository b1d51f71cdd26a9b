/**
 * Journey: usage until the credit limit, against the app as `npm start` runs
 * it. Alice (Build plan, $25.00 of demo credit, limit −$100.00) makes a key in
 * Settings → API Keys and charges usage on /v1/usage until the API refuses
 * with `insufficient_balance`; the last cents up to the limit still go
 * through, one more cent does not; a replayed request debits nothing; the
 * refused requests changed nothing; home and Settings → Billing show −$100.00.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { accountOf, KEY, signIn, v1 } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("customer: usage", () => {
  it("charges usage until the −$100 limit refuses it; the refused request changes nothing; the browser shows −$100.00", async () => {
    const email = "alice@example.com";
    const p = await openPage(app);
    await journey("customer-usage", [p], async () => {
      const { page } = p;
      const alice = await accountOf(app, email);
      expect(alice.balance_cents).toBe("2500");

      await signIn(page, app, "Google", email);
      await page.goto(`${app.url}/settings/api-keys`);
      await page.getByLabel("Key name").fill("usage meter");
      await page.getByRole("button", { name: "Create key" }).click();
      const key = await page.getByLabel("API key “usage meter”").inputValue();
      expect(key).toMatch(KEY);

      const start = await v1(app, key, "/v1/account");
      expect(start.body).toMatchObject({ balance_cents: 2500, credit_limit_cents: 10_000 });

      // Charge $10.00 at a time until refused: 12 go through (2500 − 12 000 = −9500), the 13th would pass the limit.
      const run = randomUUID().slice(0, 8);
      const charge = (cents: number, idem: string) => v1(app, key, "/v1/usage", { json: { amount_cents: cents, idempotency_key: idem } });
      let balance = 2500;
      let accepted = 0;
      let refused: Awaited<ReturnType<typeof charge>> | undefined;
      for (let i = 0; i < 30 && !refused; i++) {
        const r = await charge(1000, `${run}-${i}`);
        if (r.status === 201) {
          expect(r.body).toMatchObject({ amount_cents: 1000, balance_cents: balance - 1000, idempotency_key: `${run}-${i}`, replayed: false });
          balance = r.body.balance_cents;
          accepted++;
        } else {
          refused = r;
        }
      }
      expect(accepted).toBe(12);
      expect(balance).toBe(-9500);
      expect(refused?.status).toBe(402);
      expect(refused?.body.error).toMatchObject({ type: "insufficient_balance", balance_cents: -9500, credit_limit_cents: 10_000 });

      // The refused request changed nothing: the balance, the ledger, and its idempotency key is still free.
      const refusedKey = `${run}-12`;
      const afterRefusal = await accountOf(app, email);
      expect(afterRefusal.balance_cents).toBe("-9500");
      const ledger = () =>
        app.db.selectFrom("ledger_entries").select(["kind", "amount_cents", "idempotency_key"]).where("account_id", "=", alice.accountId).execute();
      const rows = await ledger();
      expect(rows).toHaveLength(1 + 12); // the demo grant and the 12 charges
      expect(rows.some((r) => r.idempotency_key === `usage:${refusedKey}`)).toBe(false);

      // A replay of an accepted request answers with the first result and debits nothing.
      const replay = await charge(1000, `${run}-0`);
      expect(replay.status).toBe(200);
      expect(replay.body).toMatchObject({ replayed: true, balance_cents: 1500 });
      expect((await accountOf(app, email)).balance_cents).toBe("-9500");

      // Up to the limit exactly still goes through (the refused key, now with what fits); one cent more does not.
      const last = await charge(500, refusedKey);
      expect(last.status).toBe(201);
      expect(last.body.balance_cents).toBe(-10_000);
      const oneCent = await charge(1, `${run}-one-cent`);
      expect(oneCent.status).toBe(402);
      expect(oneCent.body.error.type).toBe("insufficient_balance");
      expect((await v1(app, key, "/v1/account")).body.balance_cents).toBe(-10_000);
      expect(await ledger()).toHaveLength(1 + 13);

      // The browser agrees: home and Settings → Billing.
      await page.goto(`${app.url}/`);
      await page.getByRole("region", { name: "Credits" }).getByText("−$100.00", { exact: true }).waitFor();
      await page.goto(`${app.url}/settings/billing`);
      await page.getByRole("region", { name: "Balance" }).locator("strong").getByText("−$100.00", { exact: true }).waitFor();
    });
  });
});
