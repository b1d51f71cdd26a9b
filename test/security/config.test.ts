/**
 * Configuration secrets (issue 14, finding 11): the built-in development
 * secrets are public (they are in this repository), so `npm run web` and
 * `npm run worker` refuse to start on them unless ALLOW_DEV_SECRETS=1 asks for
 * it, which is then logged as a warning. `npm start` hands its children
 * per-install secrets; production requires real ones. Plus the session limits
 * of finding 7, validated like every variable.
 */
import { describe, expect, it } from "vitest";
import { runEntryPoint } from "../helpers/entry-point.js";
import { ConfigError, parseConfig, secretsVerdict } from "../../app/config.server.js";
import { freePort } from "../../dev/temporal-dev-server.js";

const SECRETS = {
  SESSION_SECRET: "s".repeat(40),
  TOMBSTONE_SECRET: "t".repeat(40),
  LIST_UNSUBSCRIBE_SECRET: "u".repeat(40),
  STRIPE_WEBHOOK_SECRET: `whsec_${"w".repeat(40)}`,
};

describe("built-in secrets", () => {
  it("V13.3.1 no built-in secrets: without SESSION_SECRET, TOMBSTONE_SECRET, LIST_UNSUBSCRIBE_SECRET and STRIPE_WEBHOOK_SECRET a web or worker process is refused, naming them", () => {
    const verdict = secretsVerdict(parseConfig({ NODE_ENV: "development" }));
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.message).toMatch(/^Refusing to start: SESSION_SECRET, TOMBSTONE_SECRET, LIST_UNSUBSCRIBE_SECRET, STRIPE_WEBHOOK_SECRET are not set/);
    expect(verdict.message).toContain("ALLOW_DEV_SECRETS=1");
    // Any one missing is named alone.
    const one = secretsVerdict(parseConfig({ ...SECRETS, TOMBSTONE_SECRET: undefined, NODE_ENV: "test" }));
    expect(one).toMatchObject({ ok: false, message: expect.stringMatching(/^Refusing to start: TOMBSTONE_SECRET is not set/) });
    // The webhook secret too: with the public one anyone could sign a "checkout completed" and credit themselves.
    const webhook = secretsVerdict(parseConfig({ ...SECRETS, STRIPE_WEBHOOK_SECRET: undefined, NODE_ENV: "test" }));
    expect(webhook).toMatchObject({ ok: false, message: expect.stringMatching(/^Refusing to start: STRIPE_WEBHOOK_SECRET is not set/) });
  });

  it("V13.3.1 no built-in secrets: ALLOW_DEV_SECRETS=1 starts on them with a loud warning; real secrets start quietly", () => {
    const allowed = secretsVerdict(parseConfig({ ALLOW_DEV_SECRETS: "1" }));
    expect(allowed).toMatchObject({
      ok: true,
      warning: expect.stringContaining(
        "PUBLIC built-in development secrets for SESSION_SECRET, TOMBSTONE_SECRET, LIST_UNSUBSCRIBE_SECRET, STRIPE_WEBHOOK_SECRET",
      ),
    });
    expect(secretsVerdict(parseConfig(SECRETS))).toEqual({ ok: true, warning: null });
    expect(() => parseConfig({ ALLOW_DEV_SECRETS: "perhaps" })).toThrow(/ALLOW_DEV_SECRETS/);
    // Production never runs on them, ALLOW_DEV_SECRETS or not.
    expect(() => parseConfig({ NODE_ENV: "production", ALLOW_DEV_SECRETS: "1" })).toThrow(/SESSION_SECRET is required/);
  });

  it("V13.3.1 no built-in secrets: `node --import tsx server/web.ts` (and the worker) without secrets exits non-zero naming the variables", async () => {
    const env = { NODE_ENV: "development", DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", PORT: String(await freePort()), HOST: "127.0.0.1" };
    const [web, worker] = await Promise.all([runEntryPoint("server/web.ts", env), runEntryPoint("server/worker.ts", env)]);
    for (const { code, output } of [web, worker]) {
      expect(code).toBe(1);
      expect(output).toContain("Refusing to start: SESSION_SECRET, TOMBSTONE_SECRET, LIST_UNSUBSCRIBE_SECRET, STRIPE_WEBHOOK_SECRET are not set");
    }
  }, 120_000);

  it("V13.3.1 no built-in secrets: with ALLOW_DEV_SECRETS=1 the web starts and logs a warning saying so", async () => {
    const env = {
      NODE_ENV: "development",
      ALLOW_DEV_SECRETS: "1",
      LOG_LEVEL: "warn",
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
      PORT: String(await freePort()),
      HOST: "127.0.0.1",
    };
    const { output } = await runEntryPoint("server/web.ts", env, { until: /PUBLIC built-in development secrets/ });
    const line = output.split("\n").find((l) => l.includes("PUBLIC built-in development secrets"));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ level: 40, allowDevSecrets: true });
    expect(output).not.toContain("Refusing to start");
  }, 120_000);
});

describe("session limits", () => {
  it("V7.3.1 idle timeout: CUSTOMER_IDLE_TIMEOUT_HOURS, STAFF_IDLE_TIMEOUT_MINUTES and STAFF_STEP_UP_MINUTES default to 24 h, 30 min and 10 min, and bad values stop start-up", () => {
    expect(parseConfig({}).session).toMatchObject({ ttlHours: 336, customerIdleHours: 24, staffIdleMinutes: 30, staffStepUpMinutes: 10 });
    expect(parseConfig({ CUSTOMER_IDLE_TIMEOUT_HOURS: "8", STAFF_IDLE_TIMEOUT_MINUTES: "15", STAFF_STEP_UP_MINUTES: "5" }).session).toMatchObject({
      customerIdleHours: 8,
      staffIdleMinutes: 15,
      staffStepUpMinutes: 5,
    });
    for (const [name, value] of [
      ["CUSTOMER_IDLE_TIMEOUT_HOURS", "0"],
      ["STAFF_IDLE_TIMEOUT_MINUTES", "half an hour"],
      ["STAFF_STEP_UP_MINUTES", "-1"],
    ]) {
      expect(() => parseConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => parseConfig({ [name]: value })).toThrow(new RegExp(name));
    }
  });
});
