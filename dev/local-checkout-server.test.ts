/**
 * Drives the local checkout stand-in the way the test provider and a browser
 * would (plain fetch, manual redirects), with a tiny local HTTP server playing
 * the app's /hooks/stripe, whose received events are verified with the stripe
 * SDK exactly as the app verifies them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startLocalCheckout, type LocalCheckout } from "./local-checkout-server.js";

const SECRET = "whsec_local_checkout_test_secret_0123456789";

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** The app's webhook endpoint: records every request; answers `status`, or holds answers while `hold` is set. */
class Receiver {
  received: Received[] = [];
  status = 200;
  private held: (() => void)[] = [];
  hold = false;
  private server: Server;
  url = "";

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/stripe`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    res.writeHead(this.status, { "Content-Type": "application/json" }).end('{"received":true}');
  }

  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  reset(): void {
    this.received = [];
    this.status = 200;
    this.hold = false;
    this.release();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** Verifies one received webhook the way the app does, and returns the event. */
function verified(r: Received): Stripe.Event {
  expect(r.headers["content-type"]).toMatch(/^application\/json/);
  const signature = r.headers["stripe-signature"];
  expect(typeof signature).toBe("string");
  return Stripe.webhooks.constructEvent(r.body, signature as string, SECRET);
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const receiver = new Receiver();
let checkout: LocalCheckout;

beforeAll(async () => {
  await receiver.start();
  checkout = await startLocalCheckout({ port: 0, webhookUrl: receiver.url, webhookSecret: SECRET });
});

afterAll(async () => {
  await checkout?.stop();
  await receiver.stop();
});

beforeEach(() => receiver.reset());

const SUCCESS = "http://localhost:3999/settings/billing/success?session={CHECKOUT_SESSION_ID}&x=1";
const CANCEL = "http://localhost:3999/settings/billing?cancelled=1";

function paymentRequest(overrides: Record<string, unknown> = {}) {
  return {
    mode: "payment",
    amount_cents: 2500,
    currency: "usd",
    client_reference_id: "acc_123",
    customer: "cus_test_abc",
    metadata: { account_id: "acc_123", checkout_id: "chk_1" },
    success_url: SUCCESS,
    cancel_url: CANCEL,
    ...overrides,
  };
}

function setupRequest(overrides: Record<string, unknown> = {}) {
  const { amount_cents: _omitted, ...rest } = paymentRequest({ mode: "setup", ...overrides });
  return rest;
}

async function createSession(body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${checkout.url}/v1/checkout/sessions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function newSession(body: unknown = paymentRequest()): Promise<{ id: string; url: string }> {
  const { status, body: session } = await createSession(body);
  expect(status).toBe(200);
  return session;
}

async function getPage(url: string) {
  const res = await fetch(url, { redirect: "manual" });
  return { res, html: await res.text() };
}

async function choose(id: string, choice: string) {
  const res = await fetch(`${checkout.url}/pay/${id}`, { method: "POST", body: new URLSearchParams({ choice }), redirect: "manual" });
  return { res, html: await res.text() };
}

describe("creating a session", () => {
  it("answers an id and the page URL on this server", async () => {
    const { id, url } = await newSession();
    expect(id).toMatch(/^cs_local_[A-Za-z0-9]{16,}$/);
    expect(url).toBe(`${checkout.url}/pay/${id}`);
    expect(checkout.sessions().find((s) => s.id === id)).toMatchObject({ mode: "payment", amountCents: 2500, status: "open", customer: "cus_test_abc" });
  });

  it("answers the same session for the same Idempotency-Key, and refuses the key with other parameters", async () => {
    const key = `attempt-${Math.random()}`;
    const first = await createSession(paymentRequest(), { "Idempotency-Key": key });
    const again = await createSession(paymentRequest({ metadata: { checkout_id: "chk_1", account_id: "acc_123" } }), { "Idempotency-Key": key });
    const other = await createSession(paymentRequest(), { "Idempotency-Key": `${key}-other` });
    expect(first.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(other.body.id).not.toBe(first.body.id);
    const changed = await createSession(paymentRequest({ amount_cents: 9900 }), { "Idempotency-Key": key });
    expect(changed.status).toBe(400);
    expect(changed.body.error.message).toMatch(/same parameters/);
  });

  it.each([
    ["no mode", paymentRequest({ mode: undefined }), /mode/],
    ["an unknown mode", paymentRequest({ mode: "subscription" }), /mode/],
    ["no amount in payment mode", paymentRequest({ amount_cents: undefined }), /amount_cents/],
    ["a zero amount", paymentRequest({ amount_cents: 0 }), /amount_cents/],
    ["a fractional amount", paymentRequest({ amount_cents: 12.5 }), /amount_cents/],
    ["an amount too large", paymentRequest({ amount_cents: 100_000_001 }), /amount_cents/],
    ["an amount as a string", paymentRequest({ amount_cents: "2500" }), /amount_cents/],
    ["an amount in setup mode", { ...setupRequest(), amount_cents: 100 }, /amount_cents/],
    ["another currency", paymentRequest({ currency: "eur" }), /currency/],
    ["no client_reference_id", paymentRequest({ client_reference_id: "" }), /client_reference_id/],
    ["no customer", paymentRequest({ customer: undefined }), /customer/],
    ["non-string metadata", paymentRequest({ metadata: { n: 1 } }), /metadata/],
    ["a javascript: success_url", paymentRequest({ success_url: "javascript:alert(1)" }), /success_url/],
    ["a relative cancel_url", paymentRequest({ cancel_url: "/billing" }), /cancel_url/],
    ["an unknown parameter", paymentRequest({ payment_method_types: ["card"] }), /payment_method_types/],
    ["an array", [paymentRequest()], /./],
  ])("refuses %s with 400", async (_what, body, message) => {
    const { status, body: answer } = await createSession(body);
    expect(status).toBe(400);
    expect(answer.error.message).toMatch(message);
  });

  it("refuses malformed JSON, a form body and an oversized body with a 4xx JSON error", async () => {
    const malformed = await createSession("{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toEqual(expect.any(String));

    const asForm = await fetch(`${checkout.url}/v1/checkout/sessions`, { method: "POST", body: new URLSearchParams({ mode: "payment" }) });
    expect(asForm.status).toBe(400);

    const huge = await createSession(paymentRequest({ metadata: { big: "x".repeat(70 * 1024) } }));
    expect(huge.status).toBe(413);
    expect(huge.body.error.message).toMatch(/too large/);

    const longKey = await createSession(paymentRequest(), { "Idempotency-Key": "k".repeat(256) });
    expect(longKey.status).toBe(400);
  });

  it("drops the oldest sessions beyond the cap", async () => {
    const small = await startLocalCheckout({ port: 0, webhookUrl: receiver.url, webhookSecret: SECRET, maxSessions: 3 });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${small.url}/v1/checkout/sessions`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(paymentRequest()),
        });
        ids.push(((await res.json()) as { id: string }).id);
      }
      expect(small.sessions().map((s) => s.id)).toEqual(ids.slice(2));
      expect((await fetch(`${small.url}/pay/${ids[0]}`)).status).toBe(404);
      expect((await fetch(`${small.url}/pay/${ids[4]}`)).status).toBe(200);
    } finally {
      await small.stop();
    }
  });
});

describe("the payment page", () => {
  it("shows the amount, the two test cards and a way back, with strict headers", async () => {
    const { url } = await newSession(paymentRequest({ amount_cents: 123_456_78 }));
    const { res, html } = await getPage(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    expect(res.headers.get("content-security-policy")).toMatch(/form-action 'self' http: https:/);
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toContain("Test checkout — no real money moves");
    expect(html).toContain("$123,456.78");
    expect(html).toContain(">Pay with test card (approves)</button>");
    expect(html).toContain(">Decline (test card declined)</button>");
    expect(html).toContain(`<a href="${CANCEL}">Cancel and go back</a>`);
    expect(html).not.toMatch(/<script/i);
  });

  it("answers 404 for an unknown or malformed id", async () => {
    for (const id of ["cs_local_0000000000000000000000", "nope", "%3Cscript%3E"]) {
      const { res, html } = await getPage(`${checkout.url}/pay/${id}`);
      expect(res.status).toBe(404);
      expect(html).toContain("No such checkout session");
      expect((await choose(id, "approve")).res.status).toBe(404);
    }
    expect(receiver.received).toHaveLength(0);
  });

  it("escapes hostile URLs it links to", async () => {
    const hostile = `https://evil.example/"><script>alert(1)</script><a href='x'>`;
    const { id, url } = await newSession(paymentRequest({ cancel_url: hostile }));
    const { html } = await getPage(url);
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain(`<a href="https://evil.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;a href=&#39;x&#39;&gt;">Cancel and go back</a>`);
    const declined = await choose(id, "decline");
    expect(declined.html).not.toContain("<script>alert(1)</script>");
    expect(declined.html).toContain("&lt;script&gt;");
  });
});

describe("completing a payment", () => {
  it("sends one signed checkout.session.completed, then redirects to success_url with the session id", async () => {
    const { id } = await newSession();
    const { res } = await choose(id, "approve");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`http://localhost:3999/settings/billing/success?session=${id}&x=1`);

    expect(receiver.received).toHaveLength(1);
    const event = verified(receiver.received[0]!);
    const pi = (event.data.object as { payment_intent: string }).payment_intent;
    expect(JSON.parse(receiver.received[0]!.body)).toEqual({
      id: expect.stringMatching(/^evt_local_[A-Za-z0-9]{16,}$/),
      object: "event",
      api_version: "2025-01-27.acacia",
      created: expect.any(Number),
      livemode: false,
      type: "checkout.session.completed",
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: {
        object: {
          id,
          object: "checkout.session",
          created: expect.any(Number),
          livemode: false,
          mode: "payment",
          status: "complete",
          payment_status: "paid",
          amount_total: 2500,
          currency: "usd",
          client_reference_id: "acc_123",
          customer: "cus_test_abc",
          metadata: { account_id: "acc_123", checkout_id: "chk_1" },
          payment_intent: expect.stringMatching(/^pi_local_[A-Za-z0-9]{16,}$/),
          setup_intent: null,
          success_url: SUCCESS,
          cancel_url: CANCEL,
        },
      },
    });
    expect(Math.abs(event.created - Date.now() / 1000)).toBeLessThan(60);
    expect(checkout.sessions().find((s) => s.id === id)).toMatchObject({ status: "complete", paymentIntent: pi });

    // Posting again (a refresh, a back button) sends nothing and says it is done.
    const again = await choose(id, "approve");
    expect(again.res.status).toBe(200);
    expect(again.html).toContain("This checkout is already complete");
    expect(again.html).toContain(`href="http://localhost:3999/settings/billing/success?session=${id}&amp;x=1"`);
    expect((await choose(id, "decline")).html).toContain("already complete");
    const page = await getPage(`${checkout.url}/pay/${id}`);
    expect(page.html).toContain("This checkout is already complete");
    expect(page.html).toContain(`/receipts/${pi}`);
    expect(receiver.received).toHaveLength(1);
  });

  it("does not sign with another secret (the app would refuse it)", async () => {
    const { id } = await newSession();
    await choose(id, "approve");
    const r = receiver.received[0]!;
    expect(() => Stripe.webhooks.constructEvent(r.body, r.headers["stripe-signature"] as string, "whsec_another")).toThrow();
  });

  it("sends one event for a double click while the first delivery is in flight", async () => {
    const { id } = await newSession();
    receiver.hold = true;
    // Both clicks leave together; the webhook the first one causes needs a new connection and a
    // round trip, so the second click is parsed while that delivery is held open.
    const [first, second] = [choose(id, "approve"), choose(id, "approve")];
    await until(() => receiver.received.length >= 1, "the first delivery");
    receiver.release();
    const [a, b] = await Promise.all([first, second]);
    expect(a.res.status).toBe(303);
    expect([200, 303]).toContain(b.res.status);
    expect(receiver.received).toHaveLength(1);
  });

  it("sends nothing on decline, says so, and can still be paid afterwards", async () => {
    const { id } = await newSession();
    const { res, html } = await choose(id, "decline");
    expect(res.status).toBe(200);
    expect(html).toContain("Your card was declined");
    expect(html).toContain(`<a href="/pay/${id}">Try again</a>`);
    expect(html).toContain(`<a href="${CANCEL}">Go back</a>`);
    expect(receiver.received).toHaveLength(0);
    expect(checkout.sessions().find((s) => s.id === id)?.status).toBe("open");

    expect((await choose(id, "approve")).res.status).toBe(303);
    expect(receiver.received).toHaveLength(1);
  });

  it("refuses an unknown choice with 400 and sends nothing", async () => {
    const { id } = await newSession();
    for (const choice of ["authenticate", "", "APPROVE"]) {
      expect((await choose(id, choice)).res.status).toBe(400);
    }
    const none = await fetch(`${checkout.url}/pay/${id}`, { method: "POST", body: new URLSearchParams({}), redirect: "manual" });
    expect(none.status).toBe(400);
    expect(receiver.received).toHaveLength(0);
  });

  it("keeps the session open when the app refuses the webhook, and resends the same event on retry", async () => {
    const { id } = await newSession();
    receiver.status = 500;
    const refused = await choose(id, "approve");
    expect(refused.res.status).toBe(502);
    expect(refused.html).toContain("The app refused the webhook");
    expect(refused.html).toContain("HTTP 500");
    expect(refused.html).toContain('name="choice" value="approve">Try again</button>');
    expect(checkout.sessions().find((s) => s.id === id)?.status).toBe("open");

    receiver.status = 200;
    const retried = await choose(id, "approve");
    expect(retried.res.status).toBe(303);
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received.map(verified);
    expect(second!.id).toBe(first!.id);
    expect(second!.data.object).toEqual(first!.data.object);
    expect(checkout.sessions().find((s) => s.id === id)?.status).toBe("complete");
  });

  it("shows the error page when the app cannot be reached", async () => {
    const closed = new Receiver();
    await closed.start();
    await closed.stop();
    const offline = await startLocalCheckout({ port: 0, webhookUrl: closed.url, webhookSecret: SECRET });
    try {
      const res = await fetch(`${offline.url}/v1/checkout/sessions`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(paymentRequest()),
      });
      const { id } = (await res.json()) as { id: string };
      const answer = await fetch(`${offline.url}/pay/${id}`, { method: "POST", body: new URLSearchParams({ choice: "approve" }), redirect: "manual" });
      expect(answer.status).toBe(502);
      expect(await answer.text()).toContain("could not be reached");
      expect(offline.sessions()[0]?.status).toBe("open");
    } finally {
      await offline.stop();
    }
  });
});

describe("saving a card (setup mode)", () => {
  it("offers the three test cards and no amount", async () => {
    const { url } = await newSession(setupRequest());
    const { res, html } = await getPage(url);
    expect(res.status).toBe(200);
    expect(html).toContain("Save a test card for auto-recharge");
    expect(html).toContain(">Visa •••• 4242 — always approves</button>");
    expect(html).toContain(">Visa •••• 0341 — declines when charged</button>");
    expect(html).toContain(">Visa •••• 3184 — asks for authentication when charged</button>");
    expect(html).toContain("Cancel and go back");
    expect(html).not.toContain("$");
  });

  it.each(["approve", "decline", "authenticate"])("sends a completed setup event for %s", async (choice) => {
    const { id } = await newSession(setupRequest());
    const { res } = await choose(id, choice);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`http://localhost:3999/settings/billing/success?session=${id}&x=1`);
    expect(receiver.received).toHaveLength(1);
    const event = verified(receiver.received[0]!);
    expect(event.type).toBe("checkout.session.completed");
    expect(event.data.object).toMatchObject({
      id,
      mode: "setup",
      status: "complete",
      payment_status: "no_payment_required",
      amount_total: null,
      payment_intent: null,
      setup_intent: expect.stringMatching(new RegExp(`^seti_local_${choice}_[A-Za-z0-9]{16,}$`)),
      customer: "cus_test_abc",
      client_reference_id: "acc_123",
    });
    expect((await choose(id, "approve")).html).toContain("already complete");
    expect(receiver.received).toHaveLength(1);
  });
});

describe("receipts and refunds", () => {
  async function paid(): Promise<{ id: string; pi: string }> {
    const { id } = await newSession();
    expect((await choose(id, "approve")).res.status).toBe(303);
    const event = verified(receiver.received.at(-1)!);
    return { id, pi: (event.data.object as { payment_intent: string }).payment_intent };
  }

  it("shows a receipt and refunds once with a signed charge.refunded", async () => {
    const { id, pi } = await paid();
    const receipt = await getPage(`${checkout.url}/receipts/${pi}`);
    expect(receipt.res.status).toBe(200);
    expect(receipt.html).toContain("Test receipt");
    expect(receipt.html).toContain("$25.00");
    expect(receipt.html).toContain("Test card •••• 4242");
    expect(receipt.html).toContain(`<form method="post" action="/receipts/${pi}/refund">`);
    expect(receipt.html).toContain("Refund this test payment");

    receiver.reset();
    const refund = await fetch(`${checkout.url}/receipts/${pi}/refund`, { method: "POST", body: new URLSearchParams({ refund: "1" }), redirect: "manual" });
    expect(refund.status).toBe(303);
    expect(refund.headers.get("location")).toBe(`/receipts/${pi}`);
    expect(receiver.received).toHaveLength(1);
    const event = verified(receiver.received[0]!);
    expect(event.type).toBe("charge.refunded");
    expect(event.id).toMatch(/^evt_local_[A-Za-z0-9]{16,}$/);
    expect(event.data.object).toEqual({
      id: `ch_local_${pi.replace(/^pi_local_/, "")}`,
      object: "charge",
      created: expect.any(Number),
      livemode: false,
      payment_intent: pi,
      amount: 2500,
      amount_refunded: 2500,
      refunded: true,
      currency: "usd",
      customer: "cus_test_abc",
      receipt_url: `${checkout.url}/receipts/${pi}`,
    });

    const after = await getPage(`${checkout.url}/receipts/${pi}`);
    expect(after.html).toContain("Refunded");
    expect(after.html).not.toContain("Refund this test payment");
    expect(checkout.sessions().find((s) => s.id === id)?.refunded).toBe(true);
    const twice = await fetch(`${checkout.url}/receipts/${pi}/refund`, { method: "POST", redirect: "manual" });
    expect(twice.status).toBe(303);
    expect(receiver.received).toHaveLength(1);
  });

  it("keeps a payment unrefunded when the app refuses the refund", async () => {
    const { pi } = await paid();
    receiver.reset();
    receiver.status = 503;
    const refused = await fetch(`${checkout.url}/receipts/${pi}/refund`, { method: "POST", redirect: "manual" });
    expect(refused.status).toBe(502);
    expect(await refused.text()).toContain("HTTP 503");
    expect((await getPage(`${checkout.url}/receipts/${pi}`)).html).toContain("Refund this test payment");
  });

  it("shows a receipt without amount for a payment it does not know, and refunds only its own", async () => {
    const foreign = "pi_test_0123456789abcdef";
    const receipt = await getPage(`${checkout.url}/receipts/${foreign}`);
    expect(receipt.res.status).toBe(200);
    expect(receipt.html).toContain("Test receipt");
    expect(receipt.html).not.toContain("Refund this test payment");
    const refund = await fetch(`${checkout.url}/receipts/${foreign}/refund`, { method: "POST", redirect: "manual" });
    expect(refund.status).toBe(404);
    expect((await fetch(`${checkout.url}/receipts/pi_local_${"0".repeat(24)}/refund`, { method: "POST" })).status).toBe(404);
    expect((await getPage(`${checkout.url}/receipts/%3Cb%3E`)).res.status).toBe(404);
    expect(receiver.received).toHaveLength(0);
  });
});

it("refuses to start without a secret or with a non-http webhook URL", async () => {
  await expect(startLocalCheckout({ port: 0, webhookUrl: receiver.url, webhookSecret: "" })).rejects.toThrow(/webhookSecret/);
  await expect(startLocalCheckout({ port: 0, webhookUrl: "ftp://x/hooks", webhookSecret: SECRET })).rejects.toThrow(/webhookUrl/);
});
