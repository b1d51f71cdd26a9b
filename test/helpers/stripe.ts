/**
 * Stripe in tests: the run's stripe-mock behind the idempotency proxy (see
 * test/setup/global-setup.ts and dev/stripe-idempotency-proxy.ts), signed
 * webhooks, and the events the app handles, shaped as Stripe sends them (typed
 * with the SDK's own event types, so a missing or misspelt field fails tsc).
 * The events and webhooks live in ./stripe-events.ts (no vitest there, so
 * scripts outside the test runner use them) and are re-exported here.
 *
 * stripe-mock keeps no state: a paid Checkout session, a decline, a
 * requires_action or a refund is driven by posting the event here, signed the
 * way Stripe signs it — the path production takes.
 */
import { inject } from "vitest";
import type {} from "../setup/global-setup.js"; // ProvidedContext typing for inject()
import type { FailNextRule, RecordedStripeRequest } from "../../dev/stripe-idempotency-proxy.js";
import { TEST_WEBHOOK_SECRET } from "./app.js";
import { randomId } from "./stripe-events.js";

export * from "./stripe-events.js";
export type { FailNextRule, RecordedStripeRequest };

/** The test apps' webhook secret (test/helpers/app.ts): fixed, never a real endpoint's. */
export { TEST_WEBHOOK_SECRET };

export interface StripeTestEnv {
  /** The idempotency proxy's URL ("http://127.0.0.1:PORT"), for STRIPE_API_BASE. */
  apiBase: string;
  /** `sk_test_` + random: the proxy scopes its log, failures and idempotency keys per secret key. */
  secretKey: string;
  webhookSecret: string;
  /** Spread into startTestApp({ env }) or a worker's environment. */
  appEnv: { PAYMENT_PROVIDER: "stripe"; STRIPE_SECRET_KEY: string; STRIPE_WEBHOOK_SECRET: string; STRIPE_API_BASE: string };
  /** What the app sent to "Stripe" with this secret key, oldest first. */
  requests(filter?: { path?: string; method?: string; idempotencyKey?: string }): Promise<RecordedStripeRequest[]>;
  /** The next `failNext` requests to `path` with this secret key get this error (see dev/stripe-idempotency-proxy.ts). */
  failNext(rule: FailNextRule): Promise<void>;
  /** Forgets this secret key's log and pending failures (its idempotency keys stay, as at Stripe). */
  reset(): Promise<void>;
}

/**
 * One call per test file (or per test that wants its own log): a fresh secret key, so files running
 * side by side never see each other's requests or failures. `secretKey` overrides (letters and digits only).
 */
export function stripeTestEnv(opts: { secretKey?: string } = {}): StripeTestEnv {
  const apiBase = inject("stripeApiBase");
  const secretKey = opts.secretKey ?? randomId("sk_test_");
  if (!/^sk_test_[A-Za-z0-9]+$/.test(secretKey)) throw new Error("stripe-mock accepts only sk_test_ followed by letters and digits");
  const auth = { Authorization: `Bearer ${secretKey}` };
  const control = async (method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${apiBase}${path}`, {
      method,
      headers: body === undefined ? auth : { ...auth, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`stripe test proxy ${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return {
    apiBase,
    secretKey,
    webhookSecret: TEST_WEBHOOK_SECRET,
    appEnv: { PAYMENT_PROVIDER: "stripe", STRIPE_SECRET_KEY: secretKey, STRIPE_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET, STRIPE_API_BASE: apiBase },
    async requests(filter = {}) {
      const q = new URLSearchParams(Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === "string"));
      return (await control("GET", `/_requests${q.size ? `?${q}` : ""}`)) as RecordedStripeRequest[];
    },
    async failNext(rule) {
      await control("POST", "/_control", rule);
    },
    async reset() {
      await control("POST", "/_reset", {});
    },
  };
}
