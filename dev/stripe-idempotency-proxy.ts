/**
 * A small HTTP proxy in front of stripe-mock that adds the one Stripe behaviour
 * the payment tests rely on and stripe-mock lacks: idempotent requests.
 *
 * Idempotency, as Stripe's API v1 documents it (docs.stripe.com/api/idempotent_requests,
 * docs.stripe.com/error-low-level):
 * - Only POSTs; keys are scoped to the secret key (the Authorization header, plus
 *   Stripe-Account when sent) and kept 24 hours.
 * - A POST whose key was seen before gets the first response again byte for byte
 *   (status, headers, body) plus `Idempotent-Replayed: true` and `Original-Request`.
 * - The same key with other parameters (or another endpoint) gets Stripe's 400
 *   `idempotency_error`; a key whose first request is still in flight gets 409
 *   `idempotency_key_in_use` (the SDK retries 409s).
 * - A result is saved only once the endpoint began executing. stripe-mock's own
 *   errors are all request-validation errors (400/401/404), which Stripe does not
 *   save, so from stripe-mock only 2xx answers are saved.
 *
 * Test controls (not Stripe's; under /_ so they can never clash with /v1):
 * - GET  /_requests[?path=/v1/payment_intents&method=POST&idempotencyKey=k]: the log, oldest first.
 * - POST /_reset: clears the log (and pending failures).
 * - POST /_control {"failNext": n, "path": "/v1/payment_intents", "status": 402, "body": {"error": {...}}}:
 *   the next n requests to that path answer with that error instead of reaching stripe-mock.
 *   Such an answer stands for the endpoint failing, so it is saved for replay like any result
 *   Stripe's endpoint returns, 4xx and 5xx alike (Stripe: "Retries with the same key return the
 *   saved response, including 500 errors"). `"replay": false` makes it a failure in front of
 *   Stripe's idempotency layer (rate limiter 429, a load balancer's 503), which is not saved, so
 *   a retry with the same key reaches stripe-mock; 429 and 409 default to that.
 *   `"drop": "request"` closes the connection without an answer and before stripe-mock sees the
 *   request (nothing saved); `"drop": "response"` lets stripe-mock answer, saves that, and then
 *   closes the connection: the charge happened but the caller never heard (the SDK then
 *   retries with the same key and gets the replay).
 *   Optional "method" (default any) narrows the match.
 * - POST /_control {"hold": n, "path": "/v1/payment_intents"}: the next n requests to that path
 *   reach stripe-mock as usual and their answers are saved for replay as usual, but the HTTP
 *   answer to the caller is held back: the charge is made at "Stripe" and its answer is in
 *   flight, so a test can kill the caller right then. Retries with the same key get the replay
 *   at once (the key is no longer in flight). Optional "method" narrows the match.
 *   GET /_held lists the answers held now (a held request is in the log from the moment
 *   stripe-mock answered, marked `held`); POST /_release {"seq"?: n} sends them (all, or one);
 *   a caller that closes its connection meanwhile drops its own from the list.
 * With an Authorization header the controls act on that secret key's requests only, so
 * test files running side by side (each with its own sk_test_ key) never see each other's.
 *
 * Everything else passes through unchanged.
 */
import { randomBytes } from "node:crypto";
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedStripeRequest {
  /** Order of arrival across the proxy. */
  seq: number;
  at: string;
  method: string;
  /** Path without the query string. */
  path: string;
  /** Form-decoded query string (GET parameters such as expand[]). */
  query: Record<string, unknown>;
  idempotencyKey: string | null;
  /** The form-decoded request body: `metadata[account_id]=a` becomes `{ metadata: { account_id: "a" } }`; values stay strings. */
  body: Record<string, unknown>;
  /** HTTP status returned; 0 when the connection was dropped before any answer. */
  status: number;
  /** `id` of the object in the response (a PaymentIntent's pi_…), null for errors and lists. */
  responseId: string | null;
  /** `error.type` of an error response. */
  errorType: string | null;
  /** Answered from the idempotency store, not by stripe-mock. */
  replayed: boolean;
  /** Answered (or dropped) by a /_control failure. */
  injected: boolean;
  /** Its answer was held back by a /_control hold (see /_held for the ones still held). */
  held: boolean;
}

export interface HoldRule {
  hold: number;
  path: string;
  method?: string;
}

/** A request whose answer (already made by stripe-mock and saved) is held back from its caller. */
export interface HeldStripeRequest {
  /** The request's `seq` in the log. */
  seq: number;
  /** When the answer was ready. */
  since: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  body: Record<string, unknown>;
  status: number;
  responseId: string | null;
}

export interface FailNextRule {
  failNext: number;
  path: string;
  method?: string;
  /** Default 402 (a card error). */
  status?: number;
  /** Stripe error JSON, `{ error: { type, code, message, ... } }`; a bare `{ type, code, ... }` is wrapped. */
  body?: Record<string, unknown>;
  /** Save the answer for replay under its idempotency key (default: yes, except 429 and 409). */
  replay?: boolean;
  /** Close the connection instead of answering: before stripe-mock sees the request, or after it answered. */
  drop?: "request" | "response";
}

export interface StripeIdempotencyProxy {
  url: string;
  /** The log, oldest first (all secret keys). */
  requests(filter?: { path?: string; method?: string; idempotencyKey?: string }): RecordedStripeRequest[];
  failNext(rule: FailNextRule, scope?: string): void;
  /** Holds back the answers of the next `hold` requests to `path` (see /_control {"hold"}). */
  hold(rule: HoldRule, scope?: string): void;
  /** The answers held back now, oldest first. */
  held(scope?: string): HeldStripeRequest[];
  /** Sends held answers (all, or the one with this seq); returns the seqs sent. */
  release(seq?: number, scope?: string): number[];
  /** Forgets the log, pending failures and holds; held answers are sent. */
  reset(scope?: string): void;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const LOG_LIMIT = 10_000;

interface SavedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
  requestId: string | null;
}

type StoreEntry = { method: string; path: string; params: string; savedAt: number } & ({ state: "pending" } | { state: "done"; response: SavedResponse });

interface ActiveRule extends Required<Pick<FailNextRule, "path" | "status">> {
  remaining: number;
  method?: string;
  body: Record<string, unknown>;
  replay: boolean;
  drop?: "request" | "response";
  /** Authorization header the rule is limited to; undefined for every key. */
  scope?: string;
}

interface ActiveHold {
  remaining: number;
  path: string;
  method?: string;
  scope?: string;
}

interface OpenHold extends HeldStripeRequest {
  scope: string;
  send(): void;
}

// ---------------------------------------------------------------- form decoding

/** `a[b][0][c]=v` → { a: { b: [ { c: "v" } ] } }, the way Stripe (and its SDKs' encoder) reads form bodies. */
export function decodeStripeForm(raw: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  if (!raw) return root;
  for (const [key, value] of new URLSearchParams(raw)) {
    const first = key.indexOf("[");
    const segments = first === -1 ? [key] : [key.slice(0, first), ...Array.from(key.slice(first).matchAll(/\[([^\]]*)\]/g), (m) => m[1]!)];
    if (segments.some((s) => s === "__proto__" || s === "constructor" || s === "prototype")) continue;
    let node: Record<string, unknown> = root;
    for (let i = 0; i < segments.length; i++) {
      let seg = segments[i]!;
      if (seg === "") seg = String(Object.keys(node).length); // `tags[]=a&tags[]=b`
      if (i === segments.length - 1) {
        node[seg] = value;
      } else {
        const next = node[seg];
        if (typeof next !== "object" || next === null) node[seg] = {};
        node = node[seg] as Record<string, unknown>;
      }
    }
  }
  return arraysFromIndexes(root) as Record<string, unknown>;
}

function arraysFromIndexes(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) obj[k] = arraysFromIndexes(obj[k]);
  const isList =
    keys.length > 0 &&
    keys.every((k) => /^\d+$/.test(k)) &&
    keys
      .map(Number)
      .sort((a, b) => a - b)
      .every((n, i) => n === i);
  return isList
    ? keys
        .map(Number)
        .sort((a, b) => a - b)
        .map((i) => obj[String(i)])
    : obj;
}

/** JSON with object keys sorted, to compare parameters regardless of their order on the wire. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------- helpers

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function decodeBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
  if (raw.length === 0) return {};
  const text = raw.toString("utf8");
  if (contentType?.includes("application/json")) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { _json: parsed };
    } catch {
      return { _raw: text };
    }
  }
  return decodeStripeForm(text);
}

function summary(body: Buffer): { id: string | null; errorType: string | null } {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { id?: unknown; error?: { type?: unknown } };
    return {
      id: typeof parsed.id === "string" ? parsed.id : null,
      errorType: typeof parsed.error?.type === "string" ? parsed.error.type : null,
    };
  } catch {
    return { id: null, errorType: null };
  }
}

const requestId = () => `req_${randomBytes(9).toString("base64url").replace(/[-_]/g, "x")}`;

function jsonResponse(status: number, body: unknown, extra: Record<string, string> = {}): SavedResponse {
  const id = requestId();
  return {
    status,
    headers: { "content-type": "application/json", "request-id": id, ...extra },
    body: Buffer.from(JSON.stringify(body, null, 2) + "\n"),
    requestId: id,
  };
}

function send(res: ServerResponse, r: SavedResponse, extra: Record<string, string> = {}): void {
  const headers: Record<string, string | string[]> = { ...r.headers, ...extra, "content-length": String(r.body.length) };
  delete headers["transfer-encoding"];
  delete headers["connection"];
  delete headers["keep-alive"];
  res.writeHead(r.status, headers);
  res.end(r.body);
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "host", "content-length"]);

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<SavedResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers["content-length"] = String(body.length);
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, timeout: 30_000 }, (up) => {
      const chunks: Buffer[] = [];
      up.on("data", (c: Buffer) => chunks.push(c));
      up.on("error", reject);
      up.on("end", () => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers)) if (v !== undefined) out[k] = v;
        resolve({ status: up.statusCode ?? 502, headers: out, body: Buffer.concat(chunks), requestId: header(up.headers, "request-id") ?? null });
      });
    });
    upstream.on("timeout", () => upstream.destroy(new Error("stripe-mock did not answer within 30 s")));
    upstream.on("error", reject);
    upstream.end(body);
  });
}

function defaultErrorBody(status: number): Record<string, unknown> {
  if (status === 402) {
    return {
      error: {
        type: "card_error",
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined.",
        doc_url: "https://stripe.com/docs/error-codes/card-declined",
      },
    };
  }
  if (status === 429) {
    return { error: { type: "invalid_request_error", code: "rate_limit", message: "Too many requests hit the API too quickly." } };
  }
  if (status >= 500) return { error: { type: "api_error", message: "Something went wrong on Stripe's end." } };
  return { error: { type: "invalid_request_error", message: `Injected ${status} from the test proxy.` } };
}

// ---------------------------------------------------------------- the proxy

export async function startStripeIdempotencyProxy(opts: {
  /** stripe-mock's base URL, e.g. http://127.0.0.1:12111 */
  target: string;
  /** Port on 127.0.0.1; omit (or 0) for a free one. */
  port?: number;
}): Promise<StripeIdempotencyProxy> {
  const target = new URL(opts.target);
  const store = new Map<string, StoreEntry>();
  const rules: ActiveRule[] = [];
  const holds: ActiveHold[] = [];
  const open: OpenHold[] = [];
  let log: (RecordedStripeRequest & { scope: string })[] = [];
  let seq = 0;

  const record = (r: Omit<RecordedStripeRequest, "seq" | "at" | "held"> & { held?: boolean }, scope: string): number => {
    log.push({ seq: ++seq, at: new Date().toISOString(), ...r, held: !!r.held, scope });
    if (log.length > LOG_LIMIT) log.shift();
    return seq;
  };

  const requests = (filter: { path?: string; method?: string; idempotencyKey?: string } = {}, scope?: string): RecordedStripeRequest[] =>
    log
      .filter(
        (r) =>
          (scope === undefined || r.scope === scope) &&
          (!filter.path || r.path === filter.path) &&
          (!filter.method || r.method === filter.method.toUpperCase()) &&
          (!filter.idempotencyKey || r.idempotencyKey === filter.idempotencyKey),
      )
      .map(({ scope: _scope, ...r }) => structuredClone(r));

  const inScope = (ruleScope: string | undefined, scope: string | undefined) => scope === undefined || ruleScope === scope;

  const held = (scope?: string): HeldStripeRequest[] =>
    open.filter((h) => inScope(h.scope, scope)).map(({ scope: _scope, send: _send, ...h }) => structuredClone(h));

  const release = (which?: number, scope?: string): number[] => {
    const sent: number[] = [];
    for (const h of open.filter((h) => inScope(h.scope, scope) && (which === undefined || h.seq === which))) {
      h.send();
      sent.push(h.seq);
    }
    return sent;
  };

  const reset = (scope?: string) => {
    log = scope === undefined ? [] : log.filter((r) => r.scope !== scope);
    for (let i = rules.length - 1; i >= 0; i--) if (inScope(rules[i]!.scope, scope)) rules.splice(i, 1);
    for (let i = holds.length - 1; i >= 0; i--) if (inScope(holds[i]!.scope, scope)) holds.splice(i, 1);
    release(undefined, scope);
  };

  const hold = (rule: HoldRule, scope?: string) => {
    if (!Number.isInteger(rule.hold) || rule.hold < 1) throw new Error("hold must be a whole number ≥ 1");
    if (typeof rule.path !== "string" || !rule.path.startsWith("/")) throw new Error("path must be a request path such as /v1/payment_intents");
    holds.push({ remaining: rule.hold, path: rule.path, method: rule.method?.toUpperCase(), scope });
  };

  const takeHold = (method: string, path: string, scope: string): boolean => {
    const i = holds.findIndex((r) => r.path === path && (!r.method || r.method === method) && (r.scope === undefined || r.scope === scope));
    if (i === -1) return false;
    if (--holds[i]!.remaining <= 0) holds.splice(i, 1);
    return true;
  };

  const failNext = (rule: FailNextRule, scope?: string) => {
    if (!Number.isInteger(rule.failNext) || rule.failNext < 1) throw new Error("failNext must be a whole number ≥ 1");
    if (typeof rule.path !== "string" || !rule.path.startsWith("/")) throw new Error("path must be a request path such as /v1/payment_intents");
    const status = rule.status ?? 402;
    if (!Number.isInteger(status) || status < 400 || status > 599) throw new Error("status must be an HTTP error status (400–599)");
    const body = rule.body ? ("error" in rule.body ? rule.body : { error: rule.body }) : defaultErrorBody(status);
    rules.push({
      remaining: rule.failNext,
      path: rule.path,
      method: rule.method?.toUpperCase(),
      status,
      body,
      replay: rule.replay ?? (status !== 429 && status !== 409),
      drop: rule.drop,
      scope,
    });
  };

  const takeRule = (method: string, path: string, scope: string): ActiveRule | undefined => {
    const i = rules.findIndex((r) => r.path === path && (!r.method || r.method === method) && (r.scope === undefined || r.scope === scope));
    if (i === -1) return undefined;
    const rule = rules[i]!;
    if (--rule.remaining <= 0) rules.splice(i, 1);
    return rule;
  };

  const control = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    // The controls' scope is the secret key they are called with; none means every key.
    const scope = header(req.headers, "authorization");
    const reply = (status: number, body: unknown) => send(res, jsonResponse(status, body));
    if (url.pathname === "/_requests" && req.method === "GET") {
      const q = url.searchParams;
      return reply(
        200,
        requests({ path: q.get("path") ?? undefined, method: q.get("method") ?? undefined, idempotencyKey: q.get("idempotencyKey") ?? undefined }, scope),
      );
    }
    if (url.pathname === "/_reset" && req.method === "POST") {
      await readBody(req);
      reset(scope);
      return reply(200, { ok: true });
    }
    if (url.pathname === "/_control" && req.method === "POST") {
      const raw = (await readBody(req)).toString("utf8");
      try {
        const rule = JSON.parse(raw) as (FailNextRule | HoldRule) & Record<string, unknown>;
        if (typeof rule !== "object" || rule === null) throw new Error("expected a JSON object");
        if ("hold" in rule) hold(rule as HoldRule, scope);
        else failNext(rule as FailNextRule, scope);
      } catch (err) {
        return reply(400, { error: String((err as Error).message ?? err) });
      }
      return reply(200, { ok: true });
    }
    if (url.pathname === "/_held" && req.method === "GET") return reply(200, held(scope));
    if (url.pathname === "/_release" && req.method === "POST") {
      const raw = (await readBody(req)).toString("utf8");
      let which: number | undefined;
      try {
        const parsed = (raw.trim() ? JSON.parse(raw) : {}) as { seq?: unknown };
        if (parsed.seq !== undefined && !Number.isInteger(parsed.seq)) throw new Error("seq must be a request's seq from /_held");
        which = parsed.seq as number | undefined;
      } catch (err) {
        return reply(400, { error: String((err as Error).message ?? err) });
      }
      return reply(200, { released: release(which, scope) });
    }
    return reply(404, {
      error: `no test control ${req.method} ${url.pathname} (GET /_requests, GET /_held, POST /_reset, POST /_control, POST /_release)`,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://proxy");
    if (url.pathname.startsWith("/_")) return control(req, res, url);

    const method = (req.method ?? "GET").toUpperCase();
    const raw = await readBody(req);
    const body = decodeBody(raw, header(req.headers, "content-type"));
    const query = decodeStripeForm(url.search.slice(1));
    const authorization = header(req.headers, "authorization") ?? "";
    const account = header(req.headers, "stripe-account") ?? "";
    const key = method === "POST" ? (header(req.headers, "idempotency-key") ?? null) : null;
    const base = { method, path: url.pathname, query, idempotencyKey: key, body };
    const answer = (r: SavedResponse, how: { replayed?: boolean; injected?: boolean; extra?: Record<string, string> } = {}) => {
      const s = summary(r.body);
      record(
        { ...base, status: r.status, responseId: r.status < 300 ? s.id : null, errorType: s.errorType, replayed: !!how.replayed, injected: !!how.injected },
        authorization,
      );
      send(res, r, how.extra);
    };
    const dropConnection = (status: number, r?: SavedResponse) => {
      const s = r ? summary(r.body) : { id: null, errorType: null };
      record({ ...base, status, responseId: r && r.status < 300 ? s.id : null, errorType: s.errorType, replayed: false, injected: true }, authorization);
      res.socket?.destroy();
    };

    // Stripe's idempotency layer, keyed per secret key (and connected account).
    const storeKey = key === null ? null : `${authorization}\u0000${account}\u0000${key}`;
    const params = canonical(body);
    if (storeKey) {
      const seen = store.get(storeKey);
      if (seen && Date.now() - seen.savedAt > DAY_MS) store.delete(storeKey);
      else if (seen) {
        if (seen.method !== method || seen.path !== url.pathname) {
          return answer(
            jsonResponse(400, {
              error: {
                type: "idempotency_error",
                message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${seen.method} ${seen.path}' vs '${method} ${url.pathname}'). Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            }),
          );
        }
        if (seen.params !== params) {
          return answer(
            jsonResponse(400, {
              error: {
                type: "idempotency_error",
                message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
              },
            }),
          );
        }
        if (seen.state === "pending") {
          return answer(
            jsonResponse(409, {
              error: {
                type: "invalid_request_error",
                code: "idempotency_key_in_use",
                message: `There is currently another in-progress request using this idempotency key (that probably means you submitted twice, and the other request is still going through): ${key}. Please try again later.`,
              },
            }),
          );
        }
        const extra: Record<string, string> = { "idempotent-replayed": "true" };
        if (seen.response.requestId) extra["original-request"] = seen.response.requestId;
        return answer(seen.response, { replayed: true, extra });
      }
    }

    const rule = takeRule(method, url.pathname, authorization);
    if (rule?.drop === "request") return dropConnection(0);
    // Taken on arrival (before stripe-mock answers), so "the next n" means the next n to arrive.
    const holding = !rule && takeHold(method, url.pathname, authorization);
    if (rule && !rule.drop) {
      const injected = jsonResponse(rule.status, rule.body, key ? { "idempotency-key": key } : {});
      if (storeKey && rule.replay) store.set(storeKey, { method, path: url.pathname, params, savedAt: Date.now(), state: "done", response: injected });
      return answer(injected, { injected: true });
    }

    if (storeKey) store.set(storeKey, { method, path: url.pathname, params, savedAt: Date.now(), state: "pending" });
    let upstream: SavedResponse;
    try {
      upstream = await forward(target, req, raw);
    } catch (err) {
      // Never reached Stripe's endpoint: nothing to replay.
      if (storeKey) store.delete(storeKey);
      return answer(jsonResponse(502, { error: { type: "api_error", message: `stripe-mock unreachable: ${(err as Error).message}` } }));
    }
    if (storeKey) {
      // stripe-mock's errors are request validation, which Stripe does not save.
      if (upstream.status < 300) store.set(storeKey, { method, path: url.pathname, params, savedAt: Date.now(), state: "done", response: upstream });
      else store.delete(storeKey);
    }
    if (rule?.drop === "response") return dropConnection(upstream.status, upstream);
    if (holding) return holdAnswer(upstream);
    return answer(upstream);

    /** Saved (above) and logged now; sent only on /_release. A caller that hangs up meanwhile never hears it. */
    function holdAnswer(r: SavedResponse): void {
      const s = summary(r.body);
      const responseId = r.status < 300 ? s.id : null;
      const n = record({ ...base, status: r.status, responseId, errorType: s.errorType, replayed: false, injected: false, held: true }, authorization);
      const entry: OpenHold = {
        seq: n,
        since: new Date().toISOString(),
        method,
        path: url.pathname,
        idempotencyKey: key,
        body: structuredClone(body),
        status: r.status,
        responseId,
        scope: authorization,
        send: () => {
          forget();
          if (!res.destroyed && !res.writableEnded) send(res, r);
        },
      };
      const forget = () => {
        const i = open.indexOf(entry);
        if (i !== -1) open.splice(i, 1);
      };
      if (res.destroyed || req.socket.destroyed) return; // hung up while stripe-mock answered
      open.push(entry);
      res.once("close", forget);
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, jsonResponse(500, { error: { type: "api_error", message: `test proxy: ${String((err as Error)?.message ?? err)}` } }));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests: (filter) => requests(filter),
    failNext: (rule, scope) => failNext(rule, scope),
    hold: (rule, scope) => hold(rule, scope),
    held: (scope) => held(scope),
    release: (which, scope) => release(which, scope),
    reset: (scope) => reset(scope),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
