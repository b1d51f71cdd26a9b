/**
 * The idempotency proxy against the run's real stripe-mock (global setup): what
 * it adds (Stripe's idempotent replays, the request log, injected failures) and
 * that everything else passes through.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type {} from "../test/setup/global-setup.js";
import {
  decodeStripeForm,
  startStripeIdempotencyProxy,
  type HeldStripeRequest,
  type RecordedStripeRequest,
  type StripeIdempotencyProxy,
} from "./stripe-idempotency-proxy.js";

let proxy: StripeIdempotencyProxy;
let n = 0;
/** A secret key of its own per test, so the proxy's per-key log starts empty. */
const freshKey = () => `sk_test_proxy${process.pid}x${++n}x${Date.now()}`;

beforeAll(async () => {
  proxy = await startStripeIdempotencyProxy({ target: inject("stripeMockUrl") });
});
afterAll(async () => {
  await proxy?.stop();
});

function post(path: string, form: Record<string, string>, opts: { key?: string; idempotencyKey?: string } = {}) {
  return fetch(`${proxy.url}${path}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${opts.key ?? "sk_test_123"}`,
      "Content-Type": "application/x-www-form-urlencoded",
      ...(opts.idempotencyKey ? { "Idempotency-Key": opts.idempotencyKey } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}

async function control(method: "GET" | "POST", path: string, key: string | null, body?: unknown) {
  const res = await fetch(`${proxy.url}${path}`, {
    method,
    headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

const intent = { amount: "2000", currency: "usd", customer: "cus_test", off_session: "true", confirm: "true", payment_method: "pm_card_visa" };

function sdk(key: string, maxNetworkRetries = 0): Stripe {
  const base = new URL(proxy.url);
  // Exactly how app/payments/stripe-payment-provider.server.ts points the SDK at STRIPE_API_BASE.
  return new Stripe(key, { host: base.hostname, port: Number(base.port), protocol: "http", maxNetworkRetries });
}

describe("idempotent requests", () => {
  it("replays the first response byte for byte, marked Idempotent-Replayed", async () => {
    const key = freshKey();
    const first = await post("/v1/payment_intents", intent, { key, idempotencyKey: "charge-1" });
    const firstBody = await first.text();
    const again = await post("/v1/payment_intents", intent, { key, idempotencyKey: "charge-1" });
    const againBody = await again.text();

    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(againBody).toBe(firstBody);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((JSON.parse(firstBody) as { id: string }).id).toMatch(/^pi_/);
  });

  it("gives the SDK the same PaymentIntent for the same key, and a new one for a new key", async () => {
    const stripe = sdk(freshKey());
    const params = {
      amount: 1500,
      currency: "usd",
      customer: "cus_x",
      off_session: true,
      confirm: true,
      payment_method: "pm_card_visa",
      metadata: { account_id: "acc_1" },
    };
    const a = await stripe.paymentIntents.create(params, { idempotencyKey: "recharge:run-1:1" });
    const b = await stripe.paymentIntents.create(params, { idempotencyKey: "recharge:run-1:1" });
    const c = await stripe.paymentIntents.create(params, { idempotencyKey: "recharge:run-1:2" });
    expect(b.id).toBe(a.id);
    expect(b.lastResponse.headers["idempotent-replayed"]).toBe("true");
    expect(c.id).not.toBe(a.id);
  });

  it("refuses the same key with other parameters or on another endpoint, as Stripe does (400 idempotency_error)", async () => {
    const key = freshKey();
    const first = await post("/v1/payment_intents", intent, { key, idempotencyKey: "k" });
    const firstBody = await first.text();

    const otherAmount = await post("/v1/payment_intents", { ...intent, amount: "2001" }, { key, idempotencyKey: "k" });
    expect(otherAmount.status).toBe(400);
    expect(await otherAmount.json()).toMatchObject({ error: { type: "idempotency_error", message: expect.stringContaining("same parameters") } });

    const otherEndpoint = await post("/v1/customers", { email: "a@example.com" }, { key, idempotencyKey: "k" });
    expect(otherEndpoint.status).toBe(400);
    expect(await otherEndpoint.json()).toMatchObject({ error: { type: "idempotency_error", message: expect.stringContaining("same endpoint") } });

    // The mismatch did not replace what the key holds.
    expect(await (await post("/v1/payment_intents", intent, { key, idempotencyKey: "k" })).text()).toBe(firstBody);
    // The SDK surfaces it as its own error class.
    await expect(sdk(key).paymentIntents.create({ amount: 3000, currency: "usd" }, { idempotencyKey: "k" })).rejects.toBeInstanceOf(
      Stripe.errors.StripeIdempotencyError,
    );
  });

  it("treats the same parameters in another order as the same request", async () => {
    const key = freshKey();
    const a = await post("/v1/customers", { "metadata[a]": "1", "metadata[b]": "2" }, { key, idempotencyKey: "order" });
    const b = await post("/v1/customers", { "metadata[b]": "2", "metadata[a]": "1" }, { key, idempotencyKey: "order" });
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(await b.text()).toBe(await a.text());
  });

  it("makes a new object every time without a key, and never keys GETs", async () => {
    const key = freshKey();
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add(((await (await post("/v1/payment_intents", intent, { key })).json()) as { id: string }).id);
    expect(ids.size).toBe(3);

    const get = () => fetch(`${proxy.url}/v1/customers`, { headers: { Authorization: `Bearer ${key}`, "Idempotency-Key": "get" } });
    const [g1, g2] = [await get(), await get()];
    expect(g1.status).toBe(200);
    expect(g2.headers.get("idempotent-replayed")).toBeNull();
    expect((await proxy.requests({ path: "/v1/customers", method: "GET" })).filter((r) => r.idempotencyKey !== null)).toEqual([]);
  });

  it("scopes keys to the secret key: another account's same key is another request", async () => {
    const a = await (await post("/v1/payment_intents", intent, { key: freshKey(), idempotencyKey: "shared" })).json();
    const b = await post("/v1/payment_intents", intent, { key: freshKey(), idempotencyKey: "shared" });
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(((await b.json()) as { id: string }).id).not.toBe((a as { id: string }).id);
  });

  it("does not save stripe-mock's validation errors (Stripe saves nothing before the endpoint runs)", async () => {
    const key = freshKey();
    const bad = await post("/v1/payment_intents", { ...intent, amount: "lots" }, { key, idempotencyKey: "bad" });
    expect(bad.status).toBe(400);
    const again = await post("/v1/payment_intents", { ...intent, amount: "lots" }, { key, idempotencyKey: "bad" });
    expect(again.status).toBe(400);
    expect(again.headers.get("idempotent-replayed")).toBeNull();
  });

  it("answers 409 idempotency_key_in_use while the key's first request is still running", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const slow = http.createServer((req, res) => {
      req.resume();
      arrived();
      void held.then(() => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ id: "pi_slow", object: "payment_intent" }));
      });
    });
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    const slowProxy = await startStripeIdempotencyProxy({ target: `http://127.0.0.1:${(slow.address() as AddressInfo).port}` });
    try {
      const send = () =>
        fetch(`${slowProxy.url}/v1/payment_intents`, {
          method: "POST",
          headers: { Authorization: "Bearer sk_test_123", "Idempotency-Key": "busy", "Content-Type": "application/x-www-form-urlencoded" },
          body: "amount=1&currency=usd",
          // A proxy that waited for the first request instead of answering 409 would hang here: fail fast instead.
          signal: AbortSignal.timeout(5_000),
        });
      const first = send();
      await reached;
      const second = await send();
      expect(second.status).toBe(409);
      expect(await second.json()).toMatchObject({ error: { code: "idempotency_key_in_use" } });
      release();
      expect((await first).status).toBe(200);
      const third = await send();
      expect(third.headers.get("idempotent-replayed")).toBe("true");
    } finally {
      release();
      await slowProxy.stop();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });
});

describe("the request log", () => {
  it("records method, path, key, decoded body, status and object id, per secret key, filtered by path", async () => {
    const key = freshKey();
    const stripe = sdk(key);
    const customer = await stripe.customers.create({ metadata: { account_id: "acc_42" } }, { idempotencyKey: "cust-acc_42" });
    const pi = await stripe.paymentIntents.create({
      amount: 700,
      currency: "usd",
      customer: customer.id,
      metadata: { tags: "a" },
      excluded_payment_method_types: ["ideal"],
    });
    await stripe.paymentIntents.retrieve(pi.id, { expand: ["latest_charge"] });
    await post("/v1/customers", {}, { key: freshKey() }); // another account's

    const { json: all } = await control("GET", "/_requests", key);
    const log = all as RecordedStripeRequest[];
    expect(log.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/customers", "POST /v1/payment_intents", `GET /v1/payment_intents/${pi.id}`]);
    expect(log[0]).toMatchObject({
      idempotencyKey: "cust-acc_42",
      body: { metadata: { account_id: "acc_42" } },
      status: 200,
      responseId: customer.id,
      replayed: false,
    });
    expect(log[1]).toMatchObject({
      body: { amount: "700", currency: "usd", customer: customer.id, metadata: { tags: "a" }, excluded_payment_method_types: ["ideal"] },
      responseId: pi.id,
    });
    expect(log[1]!.idempotencyKey).toMatch(/^stripe-node-retry-/); // the SDK keys every POST itself
    expect(log[2]).toMatchObject({ query: { expand: ["latest_charge"] }, idempotencyKey: null });

    const { json: onlyIntents } = await control("GET", "/_requests?path=/v1/payment_intents", key);
    expect((onlyIntents as RecordedStripeRequest[]).map((r) => r.responseId)).toEqual([pi.id]);

    expect((await control("POST", "/_reset", key)).status).toBe(200);
    expect((await control("GET", "/_requests", key)).json).toEqual([]);
    // Another key's log is untouched by that reset.
    expect(proxy.requests({ path: "/v1/customers" }).length).toBeGreaterThan(0);
  });

  it("decodes Stripe's form encoding into nested objects and lists", () => {
    expect(
      decodeStripeForm(
        "mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=500" +
          "&metadata[account_id]=acc_1&expand[]=a&expand[]=b&payment_method_types[0]=card&metadata[note]=",
      ),
    ).toEqual({
      mode: "payment",
      line_items: [{ quantity: "1", price_data: { currency: "usd", unit_amount: "500" } }],
      metadata: { account_id: "acc_1", note: "" },
      expand: ["a", "b"],
      payment_method_types: ["card"],
    });
  });
});

describe("injected failures", () => {
  it("fails the next n requests to a path with the given error, saves a 402 and replays it", async () => {
    const key = freshKey();
    const declined = { error: { type: "card_error", code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." } };
    expect((await control("POST", "/_control", key, { failNext: 1, path: "/v1/payment_intents", status: 402, body: declined })).status).toBe(200);

    const other = await post("/v1/customers", {}, { key });
    expect(other.status).toBe(200); // another path is not affected

    const first = await post("/v1/payment_intents", intent, { key, idempotencyKey: "declined-1" });
    const firstBody = await first.text();
    expect(first.status).toBe(402);
    expect(JSON.parse(firstBody)).toEqual(declined);

    const retry = await post("/v1/payment_intents", intent, { key, idempotencyKey: "declined-1" });
    expect(retry.status).toBe(402);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe(firstBody);

    const fresh = await post("/v1/payment_intents", intent, { key, idempotencyKey: "declined-2" });
    expect(fresh.status).toBe(200); // the rule was used up

    const log = proxy.requests({ path: "/v1/payment_intents" }).filter((r) => r.idempotencyKey?.startsWith("declined-"));
    expect(log.map((r) => [r.idempotencyKey, r.status, r.injected, r.replayed, r.errorType])).toEqual([
      ["declined-1", 402, true, false, "card_error"],
      ["declined-1", 402, false, true, "card_error"],
      ["declined-2", 200, false, false, null],
    ]);

    // The SDK raises its card error with Stripe's fields.
    await control("POST", "/_control", key, { failNext: 1, path: "/v1/payment_intents" });
    const err = await sdk(key)
      .paymentIntents.create({ amount: 100, currency: "usd" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ code: "card_declined", decline_code: "generic_decline", statusCode: 402 });
  });

  it("saves a 500 like Stripe's API v1 does, but not one marked replay:false (a failure in front of the API)", async () => {
    const key = freshKey();
    await control("POST", "/_control", key, { failNext: 1, path: "/v1/payment_intents", status: 500 });
    expect((await post("/v1/payment_intents", intent, { key, idempotencyKey: "five-1" })).status).toBe(500);
    const replayed = await post("/v1/payment_intents", intent, { key, idempotencyKey: "five-1" });
    expect(replayed.status).toBe(500);
    expect(replayed.headers.get("idempotent-replayed")).toBe("true");

    await control("POST", "/_control", key, { failNext: 1, path: "/v1/payment_intents", status: 500, replay: false });
    expect((await post("/v1/payment_intents", intent, { key, idempotencyKey: "five-2" })).status).toBe(500);
    const retried = await post("/v1/payment_intents", intent, { key, idempotencyKey: "five-2" });
    expect(retried.status).toBe(200);
    expect(retried.headers.get("idempotent-replayed")).toBeNull();

    // 429 (Stripe's rate limiter runs before the idempotency layer) is not saved by default.
    await control("POST", "/_control", key, { failNext: 1, path: "/v1/payment_intents", status: 429 });
    expect((await post("/v1/payment_intents", intent, { key, idempotencyKey: "rate" })).status).toBe(429);
    expect((await post("/v1/payment_intents", intent, { key, idempotencyKey: "rate" })).status).toBe(200);
  });

  it("drop:'response' loses the answer after stripe-mock made the object; the SDK's retry gets that object, not a second", async () => {
    const key = freshKey();
    await control("POST", "/_control", key, { failNext: 1, path: "/v1/payment_intents", drop: "response" });
    const stripe = sdk(key, 2);
    const pi = await stripe.paymentIntents.create({ amount: 900, currency: "usd" }, { idempotencyKey: "lost-answer" });
    const log = proxy.requests({ path: "/v1/payment_intents", idempotencyKey: "lost-answer" });
    expect(log.map((r) => [r.status, r.injected, r.replayed, r.responseId])).toEqual([
      [200, true, false, pi.id],
      [200, false, true, pi.id],
    ]);
  });

  it("drop:'request' closes the connection before stripe-mock sees it: nothing saved, the retry makes the object", async () => {
    const key = freshKey();
    await control("POST", "/_control", key, { failNext: 1, path: "/v1/payment_intents", drop: "request" });
    const pi = await sdk(key, 2).paymentIntents.create({ amount: 900, currency: "usd" }, { idempotencyKey: "lost-request" });
    const log = proxy.requests({ path: "/v1/payment_intents", idempotencyKey: "lost-request" });
    expect(log.map((r) => [r.status, r.injected, r.replayed, r.responseId])).toEqual([
      [0, true, false, null],
      [200, false, false, pi.id],
    ]);
  });

  it("rejects a malformed control and leaves unscoped rules to any key", async () => {
    expect((await control("POST", "/_control", null, { failNext: 0, path: "/v1/refunds" })).status).toBe(400);
    expect((await control("POST", "/_control", null, { failNext: 1, path: "v1/refunds" })).status).toBe(400);
    expect((await control("POST", "/_control", null, { failNext: 1, path: "/v1/refunds", status: 200 })).status).toBe(400);
    expect((await control("POST", "/_control", null, { failNext: 1, path: "/v1/refunds", status: 503, replay: false })).status).toBe(200);
    expect((await post("/v1/refunds", { charge: "ch_1" }, { key: freshKey() })).status).toBe(503);
    expect((await post("/v1/refunds", { charge: "ch_1" }, { key: freshKey() })).status).toBe(200);
  });
});

describe("held answers", () => {
  /** Polls the key's /_held until `n` answers are held (stripe-mock answered, the caller waits). */
  async function heldFor(key: string, n: number): Promise<HeldStripeRequest[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { json } = await control("GET", "/_held", key);
      const list = json as HeldStripeRequest[];
      if (list.length >= n) return list;
      if (Date.now() > deadline) throw new Error(`only ${list.length} of ${n} answers held after 10 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it("makes the charge, saves it and holds the answer until released; a retry meanwhile gets the replay at once", async () => {
    const key = freshKey();
    expect((await control("POST", "/_control", key, { hold: 1, path: "/v1/payment_intents", method: "POST" })).status).toBe(200);
    const first = post("/v1/payment_intents", intent, { key, idempotencyKey: "held-1" });
    let settled = false;
    void first.then(() => (settled = true));

    const [held] = await heldFor(key, 1);
    expect(held).toMatchObject({ method: "POST", path: "/v1/payment_intents", idempotencyKey: "held-1", status: 200, body: { amount: "2000" } });
    expect(held!.responseId).toMatch(/^pi_/);
    // Logged as made at "Stripe" from the moment stripe-mock answered.
    expect(proxy.requests({ idempotencyKey: "held-1" })).toEqual([
      expect.objectContaining({ seq: held!.seq, held: true, replayed: false, responseId: held!.responseId }),
    ]);

    // The caller gave up and asked again with the same key: the saved charge, not a second one, and not held.
    const retry = await post("/v1/payment_intents", intent, { key, idempotencyKey: "held-1" });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(((await retry.json()) as { id: string }).id).toBe(held!.responseId);
    // The hold was for one request: a new key is answered at once.
    expect((await post("/v1/payment_intents", intent, { key, idempotencyKey: "held-2" })).status).toBe(200);
    expect(settled).toBe(false);

    expect((await control("POST", "/_release", key, { seq: held!.seq })).json).toEqual({ released: [held!.seq] });
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as { id: string }).id).toBe(held!.responseId);
    expect((await control("GET", "/_held", key)).json).toEqual([]);
  });

  it("forgets an answer whose caller hung up (a killed worker); the key still replays the charge", async () => {
    const key = freshKey();
    await control("POST", "/_control", key, { hold: 1, path: "/v1/payment_intents" });
    const gone = new AbortController();
    const first = fetch(`${proxy.url}/v1/payment_intents`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Idempotency-Key": "hung-up", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(intent).toString(),
      signal: gone.signal,
    }).catch((e: unknown) => e);
    const [held] = await heldFor(key, 1);
    gone.abort();
    expect(await first).toBeInstanceOf(Error);
    const deadline = Date.now() + 5_000;
    while (((await control("GET", "/_held", key)).json as unknown[]).length > 0) {
      if (Date.now() > deadline) throw new Error("the hung-up caller's answer is still held");
      await new Promise((r) => setTimeout(r, 20));
    }
    const pi = await sdk(key).paymentIntents.create(
      { amount: 2000, currency: "usd", customer: "cus_test", off_session: true, confirm: true, payment_method: "pm_card_visa" },
      { idempotencyKey: "hung-up" },
    );
    expect(pi.id).toBe(held!.responseId);
    expect(proxy.requests({ idempotencyKey: "hung-up" }).map((r) => [r.held, r.replayed, r.responseId])).toEqual([
      [true, false, pi.id],
      [false, true, pi.id],
    ]);
  });

  it("holds each of the next n, releases them all at once, and refuses a malformed hold", async () => {
    const key = freshKey();
    expect((await control("POST", "/_control", key, { hold: 0, path: "/v1/customers" })).status).toBe(400);
    expect((await control("POST", "/_control", key, { hold: 1, path: "v1/customers" })).status).toBe(400);
    expect((await control("POST", "/_release", key, { seq: "one" })).status).toBe(400);
    await control("POST", "/_control", key, { hold: 2, path: "/v1/customers" });
    const answers = [post("/v1/customers", {}, { key }), post("/v1/customers", {}, { key })];
    const held = await heldFor(key, 2);
    // Another secret key neither sees them nor is held.
    expect((await control("GET", "/_held", freshKey())).json).toEqual([]);
    expect((await post("/v1/customers", {}, { key: freshKey() })).status).toBe(200);
    expect(((await control("POST", "/_release", key)).json as { released: number[] }).released.sort()).toEqual(held.map((h) => h.seq).sort());
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([200, 200]);
  });
});
