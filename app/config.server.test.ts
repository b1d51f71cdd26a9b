import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "./config.server.js";

describe("config", () => {
  it("defaults give the embedded setup", () => {
    const c = parseConfig({});
    expect(c).toMatchObject({
      env: "development",
      port: 3000,
      database: { url: undefined, embeddedPort: 55432 },
      temporal: { address: undefined, namespace: "default", taskQueue: "switchboard" },
      oauth: { google: undefined, github: undefined, localUrl: "http://localhost:4010" },
      staffAdmins: [],
    });
    expect(c.publicUrl).toBe("http://localhost:3000");
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ EMBEDDED_PG_PORT: "5432" }, "EMBEDDED_PG_PORT"],
    [{ STAFF_ADMINS: "ops@example.com, not-an-email" }, "STAFF_ADMINS"],
    [{ SESSION_SECRET: "short" }, "SESSION_SECRET"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
    [{ TEMPORAL_TLS: "maybe" }, "TEMPORAL_TLS"],
    [{ SECRET_SCANNING_KEYS_URL: "not a url" }, "SECRET_SCANNING_KEYS_URL"],
    [{ SECRET_SCANNING_KEYS_URL: "file:///etc/keys.json" }, "SECRET_SCANNING_KEYS_URL"],
  ])("a bad value stops start-up naming the variable (%o)", (env, name) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(new RegExp(`\\b${name}\\b`));
  });

  it("half an OAuth client is refused", () => {
    expect(() => parseConfig({ GOOGLE_CLIENT_ID: "id" })).toThrow(/GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET/);
  });

  it("production refuses development secrets and the local OAuth stand-in", () => {
    expect(() => parseConfig({ NODE_ENV: "production" })).toThrow(/SESSION_SECRET is required/);
    expect(() => parseConfig({ NODE_ENV: "production", SESSION_SECRET: "s".repeat(40), TOMBSTONE_SECRET: "t".repeat(40) })).toThrow(
      /LIST_UNSUBSCRIBE_SECRET is required/,
    );
    const secrets = { SESSION_SECRET: "s".repeat(40), TOMBSTONE_SECRET: "t".repeat(40), LIST_UNSUBSCRIBE_SECRET: "u".repeat(40) };
    expect(() => parseConfig({ NODE_ENV: "production", ...secrets })).toThrow(/GOOGLE_CLIENT_ID\/SECRET and GITHUB/);
    const oauth = { GOOGLE_CLIENT_ID: "g", GOOGLE_CLIENT_SECRET: "gs", GITHUB_CLIENT_ID: "h", GITHUB_CLIENT_SECRET: "hs" };
    // The test payment provider approves anything: never in production, whether chosen or defaulted to.
    expect(() => parseConfig({ NODE_ENV: "production", ...secrets, ...oauth })).toThrow(/PAYMENT_PROVIDER=test is refused/);
    expect(() => parseConfig({ NODE_ENV: "production", ...secrets, ...oauth, PAYMENT_PROVIDER: "test" })).toThrow(/PAYMENT_PROVIDER=test is refused/);
    const ok = parseConfig({
      NODE_ENV: "production",
      ...secrets,
      ...oauth,
      STRIPE_SECRET_KEY: "sk_live_x",
      STRIPE_WEBHOOK_SECRET: "whsec_x",
    });
    expect(ok.payments.provider).toBe("stripe");
    expect(ok.isProduction).toBe(true);
  });

  it("session secrets are a comma-separated list for rotation; STAFF_ADMINS are normalized", () => {
    const c = parseConfig({ SESSION_SECRET: `${"a".repeat(32)}, ${"b".repeat(32)}`, STAFF_ADMINS: " Ops@Example.com ,boss@example.com" });
    expect(c.session.secrets).toEqual(["a".repeat(32), "b".repeat(32)]);
    expect(c.staffAdmins).toEqual(["ops@example.com", "boss@example.com"]);
  });

  it("secret scanning verifies against GitHub's published keys unless pointed elsewhere; production only over https", () => {
    expect(parseConfig({}).secretScanning).toEqual({
      keysUrl: "https://api.github.com/meta/public_keys/secret_scanning",
      keysUrlFromEnv: false,
      localScannerPort: 4040,
    });
    expect(parseConfig({ SECRET_SCANNING_KEYS_URL: "http://127.0.0.1:4040/keys", LOCAL_SECRET_SCANNER_PORT: "4141" }).secretScanning).toEqual({
      keysUrl: "http://127.0.0.1:4040/keys",
      keysUrlFromEnv: true,
      localScannerPort: 4141,
    });
    const production = {
      NODE_ENV: "production",
      SESSION_SECRET: "s".repeat(40),
      TOMBSTONE_SECRET: "t".repeat(40),
      LIST_UNSUBSCRIBE_SECRET: "u".repeat(40),
      ...{ GOOGLE_CLIENT_ID: "g", GOOGLE_CLIENT_SECRET: "gs", GITHUB_CLIENT_ID: "h", GITHUB_CLIENT_SECRET: "hs" },
      ...{ STRIPE_SECRET_KEY: "sk_live_x", STRIPE_WEBHOOK_SECRET: "whsec_x" },
    };
    expect(parseConfig(production).secretScanning.keysUrl).toBe("https://api.github.com/meta/public_keys/secret_scanning");
    expect(() => parseConfig({ ...production, SECRET_SCANNING_KEYS_URL: "http://keys.example.com/" })).toThrow(/SECRET_SCANNING_KEYS_URL must be an https/);
  });
});
