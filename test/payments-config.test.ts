/**
 * Payment configuration (issue 18): PAYMENT_PROVIDER=stripe|test with the
 * Stripe keys, the purchase amounts and the auto-recharge caps. The test
 * provider's cards approve anything, so production refuses it at start-up,
 * naming the variable — also when it is not set at all (it is the default
 * without Stripe keys) — and the web and worker entry points exit on it.
 */
import { describe, expect, it } from "vitest";
import { runEntryPoint } from "./helpers/entry-point.js";
import { ConfigError, parseConfig } from "../app/config.server.js";
import { freePort } from "../dev/temporal-dev-server.js";

/** Everything else production requires, so the payment check is what decides. */
const PRODUCTION = {
  NODE_ENV: "production",
  SESSION_SECRET: "s".repeat(40),
  TOMBSTONE_SECRET: "t".repeat(40),
  LIST_UNSUBSCRIBE_SECRET: "u".repeat(40),
  GOOGLE_CLIENT_ID: "google-id",
  GOOGLE_CLIENT_SECRET: "google-secret",
  GITHUB_CLIENT_ID: "github-id",
  GITHUB_CLIENT_SECRET: "github-secret",
};
const STRIPE = { STRIPE_SECRET_KEY: "sk_live_abc123", STRIPE_WEBHOOK_SECRET: "whsec_abc123" };

/** The ConfigError parseConfig throws for `env` (fails the test when it does not throw one). */
function refusal(env: Record<string, string | undefined>): string {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

describe("PAYMENT_PROVIDER", () => {
  it("production refuses PAYMENT_PROVIDER=test, naming the variable", () => {
    expect(refusal({ ...PRODUCTION, PAYMENT_PROVIDER: "test" })).toMatch(/PAYMENT_PROVIDER=test is refused when NODE_ENV=production/);
    // Stripe keys beside it do not make it acceptable.
    expect(refusal({ ...PRODUCTION, ...STRIPE, PAYMENT_PROVIDER: "test" })).toMatch(/PAYMENT_PROVIDER/);
  });

  it("production with no payment variables at all is refused too (the default would be the test provider)", () => {
    expect(refusal(PRODUCTION)).toMatch(/PAYMENT_PROVIDER/);
  });

  it("production with Stripe's keys takes Stripe, named or not", () => {
    expect(parseConfig({ ...PRODUCTION, ...STRIPE }).payments).toMatchObject({
      provider: "stripe",
      stripe: { secretKey: STRIPE.STRIPE_SECRET_KEY, apiBase: undefined },
      webhookSecret: STRIPE.STRIPE_WEBHOOK_SECRET,
      webhookSecretFromEnv: true,
    });
    expect(parseConfig({ ...PRODUCTION, ...STRIPE, PAYMENT_PROVIDER: "stripe" }).payments.provider).toBe("stripe");
  });

  it("stripe needs both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET", () => {
    expect(refusal({ ...PRODUCTION, PAYMENT_PROVIDER: "stripe", STRIPE_SECRET_KEY: STRIPE.STRIPE_SECRET_KEY })).toMatch(/STRIPE_WEBHOOK_SECRET/);
    expect(refusal({ ...PRODUCTION, STRIPE_SECRET_KEY: STRIPE.STRIPE_SECRET_KEY })).toMatch(/STRIPE_WEBHOOK_SECRET/);
    expect(refusal({ ...PRODUCTION, PAYMENT_PROVIDER: "stripe", STRIPE_WEBHOOK_SECRET: STRIPE.STRIPE_WEBHOOK_SECRET })).toMatch(/STRIPE_SECRET_KEY/);
    // Outside production as well: a half-configured Stripe never starts.
    expect(refusal({ NODE_ENV: "development", PAYMENT_PROVIDER: "stripe", STRIPE_SECRET_KEY: "sk_test_abc" })).toMatch(/STRIPE_WEBHOOK_SECRET/);
  });

  it("values of the wrong shape are refused, naming the variable", () => {
    const cases: [string, string][] = [
      ["STRIPE_SECRET_KEY", "pk_live_publishable"],
      ["STRIPE_SECRET_KEY", "sk_prod_abc"],
      ["STRIPE_SECRET_KEY", "abc"],
      ["STRIPE_WEBHOOK_SECRET", "my-secret"],
      ["STRIPE_WEBHOOK_SECRET", "sk_test_abc"],
      ["PAYMENT_PROVIDER", "paypal"],
      ["PAYMENT_PROVIDER", "Stripe"],
      ["STRIPE_API_BASE", "not a url"],
      ["RECHARGE_MAX_DOLLARS", "0"],
      ["RECHARGE_DAILY_MAX_DOLLARS", "ten"],
      ["CREDIT_PURCHASE_MIN_DOLLARS", "2.5"],
    ];
    for (const [name, value] of cases) {
      expect({ name, value, message: refusal({ NODE_ENV: "development", ...STRIPE, [name]: value }) }).toEqual({
        name,
        value,
        message: expect.stringContaining(name),
      });
    }
    expect(refusal({ CREDIT_PURCHASE_MIN_DOLLARS: "100", CREDIT_PURCHASE_MAX_DOLLARS: "50" })).toMatch(/CREDIT_PURCHASE_MIN_DOLLARS/);
  });

  it("outside production, without Stripe's keys, the test provider; a restricted key and STRIPE_API_BASE are taken", () => {
    expect(parseConfig({ NODE_ENV: "development" }).payments).toMatchObject({ provider: "test", stripe: undefined, webhookSecretFromEnv: false });
    expect(parseConfig({ NODE_ENV: "test", PAYMENT_PROVIDER: "test", ...STRIPE }).payments.provider).toBe("test");
    expect(
      parseConfig({ STRIPE_SECRET_KEY: "rk_test_restricted", STRIPE_WEBHOOK_SECRET: "whsec_x", STRIPE_API_BASE: "http://127.0.0.1:12111" }).payments,
    ).toMatchObject({ provider: "stripe", stripe: { secretKey: "rk_test_restricted", apiBase: "http://127.0.0.1:12111" } });
  });
});

describe("amounts and caps", () => {
  it("defaults: purchases $5 to $5,000 with presets $10/$50/$100/$500; auto-recharge at most $1,000 per recharge and $5,000 a day", () => {
    const { purchase, rechargeLimits } = parseConfig({}).payments;
    expect(purchase).toEqual({ minCents: 500, maxCents: 500_000, presetsCents: [1_000, 5_000, 10_000, 50_000] });
    expect(rechargeLimits).toEqual({ perRechargeCents: 100_000, perDayCents: 500_000 });
  });

  it("configurable in whole dollars; presets outside the range are dropped", () => {
    const p = parseConfig({
      CREDIT_PURCHASE_MIN_DOLLARS: "20",
      CREDIT_PURCHASE_MAX_DOLLARS: "200",
      CREDIT_PURCHASE_PRESETS_DOLLARS: "10, 20,100 ,500",
      RECHARGE_MAX_DOLLARS: "10",
      RECHARGE_DAILY_MAX_DOLLARS: "30",
    }).payments;
    expect(p.purchase).toEqual({ minCents: 2_000, maxCents: 20_000, presetsCents: [2_000, 10_000] });
    expect(p.rechargeLimits).toEqual({ perRechargeCents: 1_000, perDayCents: 3_000 });
  });
});

describe("start-up", () => {
  it("`node --import tsx server/web.ts` and server/worker.ts with NODE_ENV=production PAYMENT_PROVIDER=test exit non-zero naming PAYMENT_PROVIDER", async () => {
    const env = {
      ...PRODUCTION,
      PAYMENT_PROVIDER: "test",
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      TEMPORAL_ADDRESS: "127.0.0.1:1",
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
    };
    const results = await Promise.all([
      runEntryPoint("server/web.ts", env, { timeoutMs: 30_000 }),
      runEntryPoint("server/worker.ts", env, { timeoutMs: 30_000 }),
    ]);
    for (const { code, output, ms } of results) {
      expect(code).toBe(1);
      expect(output).toContain("PAYMENT_PROVIDER=test is refused when NODE_ENV=production");
      // Refused before anything is reached (no database, no Temporal, no port): seconds, not a timeout.
      expect(ms).toBeLessThan(20_000);
    }
    // Without any payment variable, the same.
    const { PAYMENT_PROVIDER: _omit, ...unset } = env;
    const web = await runEntryPoint("server/web.ts", unset, { timeoutMs: 30_000 });
    expect(web.code).toBe(1);
    expect(web.output).toContain("PAYMENT_PROVIDER");
  }, 90_000);
});
