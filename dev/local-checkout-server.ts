/**
 * A real local HTTP server that stands in for Stripe's hosted Checkout when the
 * test payment provider is in use (`npm start` without Stripe keys, and tests).
 * The app's test provider creates a session here; the browser is sent to its
 * page, which completes or declines the purchase and then sends the app the
 * same kind of signed `checkout.session.completed` webhook Stripe would (signed
 * with the endpoint's secret through the stripe SDK), before redirecting back.
 * A receipt page can refund a payment it completed (`charge.refunded`).
 *
 *   POST /v1/checkout/sessions   JSON, optional Idempotency-Key -> {id, url}
 *   GET  /pay/<id>               the checkout page
 *   POST /pay/<id>               choice=approve|decline (payment) or approve|decline|authenticate (setup)
 *   GET  /receipts/<pi>          a test receipt; POST /receipts/<pi>/refund refunds it
 *
 * Nothing real moves and nothing is persisted: sessions live in memory (capped).
 * Run alone with `node --import tsx dev/local-checkout-server.ts` (LOCAL_CHECKOUT_PORT,
 * default 4030; SWITCHBOARD_WEBHOOK_URL, default http://localhost:3000/hooks/stripe;
 * STRIPE_WEBHOOK_SECRET, required: the one the app verifies with).
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";
import Stripe from "stripe";
import { z } from "zod";
import { intFromEnv } from "./int-from-env.js";

/** The Stripe API version the events claim (the one the app's SDK is pinned to). */
const API_VERSION = "2025-01-27.acacia";
const DEFAULT_MAX_SESSIONS = 10_000;
const BODY_LIMIT = "64kb";
const WEBHOOK_TIMEOUT_MS = 30_000;
const MAX_URL_LENGTH = 2048;

type Mode = "payment" | "setup";
type SetupChoice = "approve" | "decline" | "authenticate";

/** What a test sees of a session (a copy; changing it changes nothing). */
export interface LocalCheckoutSession {
  id: string;
  mode: Mode;
  /** Null in setup mode. */
  amountCents: number | null;
  currency: "usd";
  clientReferenceId: string;
  customer: string;
  metadata: Record<string, string>;
  successUrl: string;
  cancelUrl: string;
  status: "open" | "complete";
  /** Set once the app accepted the completed event (payment mode). */
  paymentIntent: string | null;
  /** Set once the app accepted the completed event (setup mode). */
  setupIntent: string | null;
  /** Payment mode: true once the app accepted the refund event. */
  refunded: boolean;
  createdAt: Date;
}

export interface LocalCheckout {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4030 */
  url: string;
  stop(): Promise<void>;
  /** Every session in memory, oldest first (for tests). */
  sessions(): LocalCheckoutSession[];
}

export interface LocalCheckoutOptions {
  /** 0 picks a free port; defaults to 4030. */
  port?: number;
  /** Where the signed events go, e.g. http://127.0.0.1:3000/hooks/stripe */
  webhookUrl: string;
  /** The endpoint's signing secret (whsec_…), the one the app verifies with. */
  webhookSecret: string;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** The base URL browsers reach this server at, if not http://<host>:<port>. */
  publicUrl?: string;
  /** Sessions kept in memory (oldest dropped first); defaults to 10 000. */
  maxSessions?: number;
}

interface CheckoutEvent {
  id: string;
  object: "event";
  api_version: string;
  created: number;
  livemode: false;
  type: string;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Record<string, unknown> };
}

interface Session extends Omit<LocalCheckoutSession, "createdAt" | "refunded"> {
  createdAt: Date;
  completedAt: Date | null;
  /** The event built on the first attempt, resent unchanged (same id) if the app refused it. */
  pending: { choice: string; event: CheckoutEvent } | null;
  /** A delivery in flight, so that a double click sends one event. */
  delivering: Promise<Delivery> | null;
}

interface Payment {
  paymentIntent: string;
  sessionId: string;
  amountCents: number;
  customer: string;
  paidAt: Date;
  refundedAt: Date | null;
  pendingRefund: CheckoutEvent | null;
  delivering: Promise<Delivery> | null;
}

type Delivery = { ok: true } | { ok: false; problem: string };

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` base62 characters from the CSPRNG (rejection sampling, so unbiased). */
function randomBase62(length = 24): string {
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

const httpUrl = (name: string) =>
  z
    .string({ required_error: `Missing ${name}.`, invalid_type_error: `${name} must be a string.` })
    .max(MAX_URL_LENGTH, `${name} is too long (${MAX_URL_LENGTH} characters at most).`)
    .refine(isHttpUrl, `${name} must be an absolute http(s) URL.`);

const SessionRequest = z
  .object({
    mode: z.enum(["payment", "setup"], { errorMap: () => ({ message: 'mode must be "payment" or "setup".' }) }),
    amount_cents: z
      .number({ invalid_type_error: "amount_cents must be a number." })
      .int("amount_cents must be a whole number of cents.")
      .min(1, "amount_cents must be at least 1.")
      .max(100_000_000, "amount_cents must be at most 100000000.")
      .optional(),
    currency: z.literal("usd", { errorMap: () => ({ message: 'currency must be "usd".' }) }),
    client_reference_id: z.string({ required_error: "Missing client_reference_id." }).min(1, "Missing client_reference_id.").max(200),
    customer: z.string({ required_error: "Missing customer." }).min(1, "Missing customer.").max(255),
    // Stripe's own limits: 50 keys, keys up to 40 characters, values up to 500.
    metadata: z
      .record(z.string().min(1).max(40), z.string().max(500), { required_error: "Missing metadata." })
      .refine((m) => Object.keys(m).length <= 50, "metadata has more than 50 keys."),
    success_url: httpUrl("success_url"),
    cancel_url: httpUrl("cancel_url"),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.mode === "payment" && r.amount_cents === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["amount_cents"], message: "amount_cents is required in payment mode." });
    }
    if (r.mode === "setup" && r.amount_cents !== undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["amount_cents"], message: "amount_cents is not accepted in setup mode." });
    }
  });
type SessionRequest = z.infer<typeof SessionRequest>;

const IdempotencyKey = z.string().min(1).max(255, "Idempotency-Key is too long (255 characters at most).");
const SESSION_ID = /^cs_local_[A-Za-z0-9]{16,64}$/;
/** Receipts are shown for any test payment intent (the app's off-session charges link here too). */
const PAYMENT_INTENT_ID = /^pi_[A-Za-z0-9_]{1,100}$/;
const PAYMENT_CHOICES = ["approve", "decline"] as const;
const SETUP_CHOICES: Record<SetupChoice, string> = {
  approve: "Visa •••• 4242 — always approves",
  decline: "Visa •••• 0341 — declines when charged",
  authenticate: "Visa •••• 3184 — asks for authentication when charged",
};

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const money = (cents: number) => usd.format(cents / 100);
const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

function escapeHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

const STYLE = `
  * { box-sizing: border-box; }
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; line-height: 1.45; }
  .banner { margin: 0; padding: .85rem 1rem; background: #7a2e00; color: #fff; font-size: 1.15rem; font-weight: 700; text-align: center; }
  main { max-width: 30rem; margin: 1.5rem auto; padding: 1.25rem 1.5rem; background: #fff; border: 1px solid #d7dbe2; border-radius: 8px; overflow-wrap: anywhere; }
  @media (max-width: 32rem) { main { margin: 0; border-width: 0 0 1px; border-radius: 0; padding: 1rem; } }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; }
  .amount { font-size: 2.25rem; font-weight: 700; margin: .25rem 0 1rem; }
  .hint { color: #4b5468; font-size: .95rem; }
  .error { background: #fde8e8; border: 1px solid #e5a3a3; padding: .6rem .8rem; border-radius: 4px; }
  .ok { background: #e6f4ea; border: 1px solid #9ccfa9; padding: .6rem .8rem; border-radius: 4px; }
  form { margin: 0; }
  ul.choices { list-style: none; padding: 0; margin: 0; }
  button { display: block; width: 100%; min-height: 2.9rem; margin: .6rem 0; padding: .65rem 1rem; font: inherit; font-weight: 600; text-align: center; border-radius: 6px; border: 1px solid #5b6478; background: #fff; color: #1d2330; cursor: pointer; }
  button.primary { background: #1f4fb3; border-color: #1f4fb3; color: #fff; }
  a { color: #1f4fb3; }
  .links { margin-top: 1.25rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; }
  .links a { display: inline-block; padding: .35rem 0; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .35rem 1rem; margin: 0 0 1rem; } dt { color: #4b5468; } dd { margin: 0; }
  button:focus-visible, a:focus-visible { outline: 3px solid #f2a007; outline-offset: 2px; }`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Test checkout</title>
<style>${STYLE}</style>
</head>
<body>
<header><p class="banner">Test checkout — no real money moves</p></header>
<main>
${body}
</main>
</body>
</html>`;
}

const SECURITY_HEADERS = {
  "Cache-Control": "no-store",
  // Inline styles only, no scripts. Forms post here, and their redirects go on to the app, so any http(s) target.
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

function sendHtml(res: Response, status: number, title: string, body: string): void {
  res
    .status(status)
    .set({ "Content-Type": "text/html; charset=utf-8", ...SECURITY_HEADERS })
    .send(page(title, body));
}

function sendApiError(res: Response, status: number, message: string, param?: string): void {
  res
    .status(status)
    .set(SECURITY_HEADERS)
    .json({ error: { type: "invalid_request_error", message, ...(param ? { param } : {}) } });
}

function notFoundPage(res: Response, what = "checkout session"): void {
  sendHtml(
    res,
    404,
    "Not found",
    `<h1>No such ${escapeHtml(what)}</h1><p>This test ${escapeHtml(what)} does not exist here. It may have expired, or this local stand-in was restarted (it keeps everything in memory).</p>`,
  );
}

/** Sorted keys, so that the same request with metadata in another order is still the same request. */
function canonical(r: SessionRequest): string {
  return JSON.stringify({ ...r, metadata: Object.fromEntries(Object.entries(r.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) });
}

export async function startLocalCheckout(options: LocalCheckoutOptions): Promise<LocalCheckout> {
  if (!isHttpUrl(options.webhookUrl)) throw new Error("webhookUrl must be an absolute http(s) URL.");
  if (!options.webhookSecret) throw new Error("webhookSecret is required (the endpoint's signing secret the app verifies with).");
  const host = options.host ?? "127.0.0.1";
  const maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;

  const sessions = new Map<string, Session>();
  /** Idempotency-Key -> the session it made and the request it was made with. */
  const idempotency = new Map<string, { sessionId: string; request: string }>();
  const payments = new Map<string, Payment>();
  let baseUrl = ""; // known once listening

  function remember(session: Session, key: string | undefined, request: string): void {
    sessions.set(session.id, session);
    if (key !== undefined) idempotency.set(key, { sessionId: session.id, request });
    trim();
  }

  /** Maps iterate in insertion order: the first entries are the oldest. */
  function trim(): void {
    while (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value!);
    while (idempotency.size > maxSessions) idempotency.delete(idempotency.keys().next().value!);
    while (payments.size > maxSessions) payments.delete(payments.keys().next().value!);
  }

  const successUrlOf = (s: Session) => s.successUrl.replaceAll("{CHECKOUT_SESSION_ID}", s.id);

  function newEvent(type: string, object: Record<string, unknown>): CheckoutEvent {
    return {
      id: `evt_local_${randomBase62()}`,
      object: "event",
      api_version: API_VERSION,
      created: Math.floor(Date.now() / 1000),
      livemode: false,
      type,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object },
    };
  }

  function completedEvent(s: Session, choice: string): CheckoutEvent {
    const paymentIntent = s.mode === "payment" ? `pi_local_${randomBase62()}` : null;
    const setupIntent = s.mode === "setup" ? `seti_local_${choice}_${randomBase62()}` : null;
    return newEvent("checkout.session.completed", {
      id: s.id,
      object: "checkout.session",
      created: Math.floor(s.createdAt.getTime() / 1000),
      livemode: false,
      mode: s.mode,
      status: "complete",
      payment_status: s.mode === "payment" ? "paid" : "no_payment_required",
      amount_total: s.amountCents,
      currency: s.currency,
      client_reference_id: s.clientReferenceId,
      customer: s.customer,
      metadata: { ...s.metadata },
      payment_intent: paymentIntent,
      setup_intent: setupIntent,
      success_url: s.successUrl,
      cancel_url: s.cancelUrl,
    });
  }

  /** Signs and POSTs one event; only a 2xx answer counts as delivered. */
  async function deliver(event: CheckoutEvent): Promise<Delivery> {
    const payload = JSON.stringify(event);
    // Signed at send time (a fresh timestamp on every attempt), as Stripe does on its retries.
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: options.webhookSecret });
    try {
      const res = await fetch(options.webhookUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json; charset=utf-8",
          "Stripe-Signature": signature,
          "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        },
        body: payload,
        redirect: "manual",
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.ok ? { ok: true } : { ok: false, problem: `The app answered the signed webhook with HTTP ${res.status}.` };
    } catch {
      return { ok: false, problem: "The app could not be reached (or did not answer in time)." };
    }
  }

  /** Completes a session once: a concurrent second call waits for the first delivery instead of sending again. */
  async function complete(s: Session, choice: string): Promise<Delivery> {
    while (s.delivering) await s.delivering;
    if (s.status === "complete") return { ok: true };
    if (s.pending?.choice !== choice) s.pending = { choice, event: completedEvent(s, choice) };
    const { event } = s.pending;
    s.delivering = deliver(event);
    try {
      const result = await s.delivering;
      if (result.ok) {
        const object = event.data.object as { payment_intent: string | null; setup_intent: string | null };
        s.status = "complete";
        s.completedAt = new Date();
        s.paymentIntent = object.payment_intent;
        s.setupIntent = object.setup_intent;
        s.pending = null;
        if (s.paymentIntent !== null && s.amountCents !== null) {
          payments.set(s.paymentIntent, {
            paymentIntent: s.paymentIntent,
            sessionId: s.id,
            amountCents: s.amountCents,
            customer: s.customer,
            paidAt: s.completedAt,
            refundedAt: null,
            pendingRefund: null,
            delivering: null,
          });
          trim();
        }
      }
      return result;
    } finally {
      s.delivering = null;
    }
  }

  async function refund(p: Payment): Promise<Delivery> {
    while (p.delivering) await p.delivering;
    if (p.refundedAt !== null) return { ok: true };
    p.pendingRefund ??= newEvent("charge.refunded", {
      id: `ch_local_${p.paymentIntent.replace(/^pi_local_/, "")}`,
      object: "charge",
      created: Math.floor(p.paidAt.getTime() / 1000),
      livemode: false,
      payment_intent: p.paymentIntent,
      amount: p.amountCents,
      amount_refunded: p.amountCents,
      refunded: true,
      currency: "usd",
      customer: p.customer,
      receipt_url: `${baseUrl}/receipts/${p.paymentIntent}`,
    });
    p.delivering = deliver(p.pendingRefund);
    try {
      const result = await p.delivering;
      if (result.ok) {
        p.refundedAt = new Date();
        p.pendingRefund = null;
      }
      return result;
    } finally {
      p.delivering = null;
    }
  }

  // --- Pages ----------------------------------------------------------------

  const payPath = (s: Session) => `/pay/${s.id}`;
  const cancelLink = (s: Session, label = "Cancel and go back") => `<a href="${escapeHtml(s.cancelUrl)}">${escapeHtml(label)}</a>`;

  function renderCheckout(res: Response, s: Session): void {
    const action = escapeHtml(payPath(s));
    if (s.mode === "payment") {
      sendHtml(
        res,
        200,
        `Pay ${money(s.amountCents!)}`,
        `<h1>Add credits</h1>
<p class="amount">${escapeHtml(money(s.amountCents!))}</p>
<p class="hint">Pick what the test card does. Approving tells the app the payment went through (a signed webhook, as Stripe sends); declining tells it nothing.</p>
<form method="post" action="${action}">
<button type="submit" class="primary" name="choice" value="approve">Pay with test card (approves)</button>
<button type="submit" name="choice" value="decline">Decline (test card declined)</button>
</form>
<p class="links">${cancelLink(s)}</p>`,
      );
      return;
    }
    sendHtml(
      res,
      200,
      "Save a test card",
      `<h1>Save a test card for auto-recharge</h1>
<p class="hint">Nothing is charged now. The card you pick decides what happens when auto-recharge charges it later.</p>
<form method="post" action="${action}">
<ul class="choices">${(Object.keys(SETUP_CHOICES) as SetupChoice[])
        .map((c, i) => `<li><button type="submit"${i === 0 ? ' class="primary"' : ""} name="choice" value="${c}">${escapeHtml(SETUP_CHOICES[c])}</button></li>`)
        .join("")}</ul>
</form>
<p class="links">${cancelLink(s)}</p>`,
    );
  }

  function renderCompleted(res: Response, s: Session): void {
    const receipt = s.paymentIntent ? ` <a href="/receipts/${escapeHtml(s.paymentIntent)}">See the test receipt</a>` : "";
    sendHtml(
      res,
      200,
      "Checkout complete",
      `<h1>This checkout is already complete</h1>
<p class="ok">${s.mode === "payment" ? `The test payment of ${escapeHtml(money(s.amountCents!))} went through` : "The test card was saved"}${s.completedAt ? ` on ${escapeHtml(utc(s.completedAt))}` : ""}. Nothing more will be sent.</p>
<p class="links"><a href="${escapeHtml(successUrlOf(s))}">Continue to the app</a>${receipt}</p>`,
    );
  }

  function renderDeclined(res: Response, s: Session): void {
    sendHtml(
      res,
      200,
      "Card declined",
      `<h1>Your card was declined</h1>
<p class="error" role="alert">The test card was declined, as you asked. Nothing was charged and the app was not told anything.</p>
<p class="links"><a href="${escapeHtml(payPath(s))}">Try again</a>${cancelLink(s, "Go back")}</p>`,
    );
  }

  function renderRefused(res: Response, s: Session, choice: string, problem: string): void {
    sendHtml(
      res,
      502,
      "The app refused the webhook",
      `<h1>The app refused the webhook</h1>
<p class="error" role="alert">${escapeHtml(problem)} So this checkout is not complete; the app has not been told about it. See the app's log, then try again (the same event is sent again, so it can never count twice).</p>
<form method="post" action="${escapeHtml(payPath(s))}">
<button type="submit" class="primary" name="choice" value="${escapeHtml(choice)}">Try again</button>
</form>
<p class="links">${cancelLink(s)}</p>`,
    );
  }

  function renderReceipt(res: Response, pi: string, p: Payment | undefined, problem?: string): void {
    const amount = p ? escapeHtml(money(p.amountCents)) : "not known here (this stand-in keeps payments in memory only)";
    const date = p ? escapeHtml(utc(p.paidAt)) : "not known here";
    let action = "";
    if (p?.refundedAt) action = `<p class="ok" role="status">Refunded on ${escapeHtml(utc(p.refundedAt))}.</p>`;
    else if (p)
      action = `${problem ? `<p class="error" role="alert">${escapeHtml(problem)} The payment is not refunded; try again.</p>` : ""}
<form method="post" action="/receipts/${escapeHtml(pi)}/refund">
<button type="submit" name="refund" value="1">Refund this test payment</button>
</form>`;
    sendHtml(
      res,
      problem ? 502 : 200,
      "Test receipt",
      `<h1>Test receipt</h1>
<dl>
<dt>Amount</dt><dd>${amount}</dd>
<dt>Date</dt><dd>${date}</dd>
<dt>Card</dt><dd>Test card •••• 4242</dd>
<dt>Payment</dt><dd><code>${escapeHtml(pi)}</code></dd>
</dl>
${action}`,
    );
  }

  // --- Routes ---------------------------------------------------------------

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  const json = express.json({ limit: BODY_LIMIT, strict: true });
  const form = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 20 });
  // Express 4 does not catch rejected promises.
  const run =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response, next: NextFunction): void => {
      handler(req, res).catch(next);
    };

  app.post("/v1/checkout/sessions", json, (req, res) => {
    if (!req.is("application/json")) return sendApiError(res, 400, "Send the request as JSON (Content-Type: application/json).");
    const key = req.get("idempotency-key");
    if (key !== undefined) {
      const parsedKey = IdempotencyKey.safeParse(key);
      if (!parsedKey.success) return sendApiError(res, 400, parsedKey.error.issues[0]!.message);
    }
    const parsed = SessionRequest.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const param = issue.path.join(".");
      return sendApiError(res, 400, param && !issue.message.includes(param) ? `${param}: ${issue.message}` : issue.message, param || undefined);
    }
    const request = canonical(parsed.data);
    const previous = key === undefined ? undefined : idempotency.get(key);
    if (previous) {
      // As Stripe: a key answers the same thing again, and only for the same request.
      if (previous.request !== request) {
        return sendApiError(res, 400, "Keys for idempotent requests can only be used with the same parameters they were first used with.");
      }
      const existing = sessions.get(previous.sessionId);
      if (existing) return void res.set(SECURITY_HEADERS).json({ id: existing.id, url: `${baseUrl}${payPath(existing)}` });
    }
    const r = parsed.data;
    const session: Session = {
      id: `cs_local_${randomBase62()}`,
      mode: r.mode,
      amountCents: r.mode === "payment" ? r.amount_cents! : null,
      currency: r.currency,
      clientReferenceId: r.client_reference_id,
      customer: r.customer,
      metadata: r.metadata,
      successUrl: r.success_url,
      cancelUrl: r.cancel_url,
      status: "open",
      paymentIntent: null,
      setupIntent: null,
      createdAt: new Date(),
      completedAt: null,
      pending: null,
      delivering: null,
    };
    remember(session, key, request);
    res.set(SECURITY_HEADERS).json({ id: session.id, url: `${baseUrl}${payPath(session)}` });
  });

  const sessionOf = (req: Request) => {
    const id = req.params.id ?? "";
    return SESSION_ID.test(id) ? sessions.get(id) : undefined;
  };

  app.get("/pay/:id", (req, res) => {
    const s = sessionOf(req);
    if (!s) return notFoundPage(res);
    if (s.status === "complete") return renderCompleted(res, s);
    renderCheckout(res, s);
  });

  app.post(
    "/pay/:id",
    form,
    run(async (req, res) => {
      const s = sessionOf(req);
      if (!s) return notFoundPage(res);
      // A finished checkout never sends again, whatever is posted.
      if (s.status === "complete") return renderCompleted(res, s);
      const choice: unknown = req.body?.choice;
      const allowed: readonly string[] = s.mode === "payment" ? PAYMENT_CHOICES : Object.keys(SETUP_CHOICES);
      if (typeof choice !== "string" || !allowed.includes(choice)) {
        return sendHtml(
          res,
          400,
          "Unknown choice",
          `<h1>Unknown choice</h1><p class="error" role="alert">Go back and press one of the buttons.</p><p class="links"><a href="${escapeHtml(payPath(s))}">Back to the checkout</a></p>`,
        );
      }
      if (s.mode === "payment" && choice === "decline") return renderDeclined(res, s);
      // A second click while the first is being delivered waits for it and sends nothing.
      const result = await complete(s, choice);
      if (!result.ok) return renderRefused(res, s, choice, result.problem);
      res.set(SECURITY_HEADERS).redirect(303, successUrlOf(s));
    }),
  );

  app.get("/receipts/:pi", (req, res) => {
    const pi = req.params.pi ?? "";
    if (!PAYMENT_INTENT_ID.test(pi)) return notFoundPage(res, "receipt");
    renderReceipt(res, pi, payments.get(pi));
  });

  app.post(
    "/receipts/:pi/refund",
    form,
    run(async (req, res) => {
      const pi = req.params.pi ?? "";
      // Only payments this process completed can be refunded here.
      const p = PAYMENT_INTENT_ID.test(pi) ? payments.get(pi) : undefined;
      if (!p) return notFoundPage(res, "payment");
      const result = await refund(p);
      if (!result.ok) return renderReceipt(res, pi, p, result.problem);
      res.set(SECURITY_HEADERS).redirect(303, `/receipts/${pi}`);
    }),
  );

  app.use((req, res) => {
    if (req.path.startsWith("/v1/")) return sendApiError(res, 404, "Unrecognized request URL.");
    notFoundPage(res, "page");
  });

  // Nothing is logged: requests carry account ids and URLs.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // body-parser marks malformed or oversized bodies with a 4xx status.
    const status = typeof err === "object" && err !== null && "status" in err && typeof err.status === "number" ? err.status : 500;
    const clientError = status >= 400 && status < 500;
    const message =
      status === 413
        ? "The request body is too large (64 KB at most)."
        : clientError
          ? "The request body could not be read (malformed JSON or form)."
          : "Something went wrong in the local checkout.";
    if (req.path.startsWith("/v1/")) return sendApiError(res, clientError ? status : 500, message);
    sendHtml(res, clientError ? status : 500, "Error", `<h1>Something went wrong</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4030, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  baseUrl = (options.publicUrl ?? `http://${urlHost}:${port}`).replace(/\/$/, "");

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    sessions: () =>
      [...sessions.values()].map((s) => ({
        id: s.id,
        mode: s.mode,
        amountCents: s.amountCents,
        currency: s.currency,
        clientReferenceId: s.clientReferenceId,
        customer: s.customer,
        metadata: { ...s.metadata },
        successUrl: s.successUrl,
        cancelUrl: s.cancelUrl,
        status: s.status,
        paymentIntent: s.paymentIntent,
        setupIntent: s.setupIntent,
        refunded: s.paymentIntent !== null && payments.get(s.paymentIntent)?.refundedAt != null,
        createdAt: new Date(s.createdAt),
      })),
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Drop keep-alive and in-flight sockets so the process can exit.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
  if (!webhookSecret) {
    console.error(
      "STRIPE_WEBHOOK_SECRET is required: the signing secret the app verifies /hooks/stripe with (whsec_…; npm start keeps one in DATA_DIR/secrets.json).",
    );
    process.exit(2);
  }
  const checkout = await startLocalCheckout({
    port: intFromEnv("LOCAL_CHECKOUT_PORT", 4030, 0),
    webhookUrl: process.env.SWITCHBOARD_WEBHOOK_URL ?? "http://localhost:3000/hooks/stripe",
    webhookSecret,
  });
  console.log(`Local test checkout at ${checkout.url}; signed webhooks go to ${process.env.SWITCHBOARD_WEBHOOK_URL ?? "http://localhost:3000/hooks/stripe"}.`);
  console.log(`Start Switchboard with PAYMENT_PROVIDER=test LOCAL_CHECKOUT_URL=${checkout.url} and the same STRIPE_WEBHOOK_SECRET.`);
}
