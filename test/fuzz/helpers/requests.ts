/**
 * What the HTTP fuzzer sends: seeded fast-check arbitraries of abstract
 * requests (a `Spec`: method, persona, target, CSRF mode, body shape, fields,
 * headers), and `materialize`, which turns one into bytes at send time with
 * the persona's current cookies, a real or forged CSRF token, a valid or
 * forged HMAC signature or API key, and the body encoded as asked.
 *
 * Three families:
 * - `mixedSpec`: anything at all, including requests that may legitimately
 *   succeed (valid session, valid CSRF token, valid key or signature);
 * - `refusalSpec`: requests refused by construction (no valid CSRF token on a
 *   form post, forged or missing HMAC signature or API key, unknown
 *   capability tokens, signed-out or wrong-role reads of protected pages);
 * - `deepSpec`: valid persona and CSRF token, form fields taken from the route's
 *   own source, so validation further in is reached (sent one at a time with
 *   a checksum around each).
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { BLOCK_REASON_CODES } from "../../../app/models/block-reasons.js";
import { TEST_PAYMENT_METHODS } from "../../../app/payments/payment-provider.js";
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, inboundSignature, nowSeconds } from "../../helpers/inbound-mail.js";
import { FUZZ_SEED } from "./config.js";
import type { WireRequest } from "./http.js";
import { ALL_PERSONAS, REAL_PERSONAS, cookieOf, csrfTokenOf, type PersonaName, type Personas } from "./personas.js";
import type { RouteInfo } from "./routes.js";
import { BAD_PERCENT, BAD_UTF8, INJECTIONS, NUMBERS, nastyString } from "./strings.js";

/** Real rows the fuzzer aims at, so routes with ids reach their database code. */
export interface World {
  accountIds: string[];
  userIds: string[];
  staffIds: string[];
  ticketIds: string[];
  mailIds: string[];
  keyIds: string[];
  invitationIds: string[];
  sessionIds: string[];
  workflowIds: string[];
  runIds: string[];
  unsubscribeTokens: string[];
  invitationTokens: string[];
  confirmTokens: string[];
  emails: string[];
  loginIds: string[];
  usernames: string[];
  apiKey: string;
  revokedApiKey: string;
  hookSecret: string;
  listIds: string[];
  ledgerIds: string[];
  /** An account no persona uses: console actions that succeed on it (block, delete) cost nothing. */
  victimAccountId: string;
  openTicketId: string;
}

export type CsrfMode = "valid" | "none" | "forged" | "otherPersona" | "emptyString" | "tamperedToken" | "duplicate" | "asFile" | "cookieOnlyNoToken";
export const REFUSED_CSRF: readonly CsrfMode[] = ["none", "forged", "otherPersona", "emptyString", "tamperedToken", "asFile", "cookieOnlyNoToken"];

export type BodyKind =
  "none" | "form" | "rawForm" | "multipart" | "badMultipart" | "json" | "badJson" | "deepJson" | "text" | "bytes" | "huge" | "overLimit" | "chunkedHuge";

export type Auth = "none" | "valid" | "revoked" | "forged" | "malformed" | "basic";
export type Signature = "none" | "valid" | "validUpper" | "forged" | "otherSecret" | "malformed" | "otherBody" | "stale";

export interface Spec {
  family: "mixed" | "refusal" | "deep" | "cursor";
  method: string;
  persona: PersonaName;
  /** Encoded path (no query). */
  path: string;
  /** For reports: the route pattern or a label. */
  route: string;
  query: string;
  csrf: CsrfMode;
  body: BodyKind;
  fields: [string, string][];
  contentType: string | null;
  headers: Record<string, string>;
  auth: Auth;
  signature: Signature;
  /** Raw text for text/bytes/badJson bodies (latin1 for bytes). */
  raw: string;
}

// ---------------------------------------------------------------------------
// Encoding helpers

/** Lone surrogates become U+FFFD (encodeURIComponent throws on them). */
export function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
}
export const enc = (s: string) => encodeURIComponent(wellFormed(s));

/** A header value Node will send: the UTF-8 bytes as latin1, without CR, LF, NUL or other controls except tab. */
export function headerSafe(s: string): string {
  return Buffer.from(wellFormed(s), "utf8")
    .toString("latin1")
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, "")
    .slice(0, 4000);
}

/** Deterministic "random" bytes: the same seed and request index give the same forgery. */
function detBytes(n: number, ...salt: (string | number)[]): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; out.length * 32 < n; i++)
    out.push(
      createHash("sha256")
        .update(`${FUZZ_SEED}:${salt.join(":")}:${i}`)
        .digest(),
    );
  return Buffer.concat(out).subarray(0, n);
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
function mutate(s: string, n: number): string {
  if (!s) return "x";
  const i = n % s.length;
  const c = B64URL[(B64URL.indexOf(s[i]!) + 1 + (n % 7)) % B64URL.length]!;
  return s.slice(0, i) + (c === s[i] ? "~" : c) + s.slice(i + 1);
}

// ---------------------------------------------------------------------------
// Values

/** Arbitraries are built once per key: building them inside .chain() for every sample is what makes sampling slow. */
const memo = new WeakMap<object, Map<string, unknown>>();
function cached<T>(owner: object, key: string, build: () => T): T {
  let m = memo.get(owner);
  if (!m) memo.set(owner, (m = new Map()));
  if (!m.has(key)) m.set(key, build());
  return m.get(key) as T;
}

const KNOWN_VALUES = [
  "admin",
  "member",
  "owner",
  "support",
  "operator",
  "build",
  "scale",
  "enterprise",
  "gpu_cluster",
  "grant",
  "adjustment",
  "on",
  "off",
  "yes",
  "no",
  "true",
  "One-Click",
  "product_updates",
  "newsletter",
  "billing_notices",
  ...BLOCK_REASON_CODES,
  ...Object.keys(TEST_PAYMENT_METHODS),
];

function valueArb(world: World, route: RouteInfo | undefined, field: string): fc.Arbitrary<string> {
  return cached(world, `value:${route?.file ?? "-"}:${field}`, () => buildValueArb(world, route, field));
}

function buildValueArb(world: World, route: RouteInfo | undefined, field: string): fc.Arbitrary<string> {
  const literals = route?.literals.filter((l) => l !== "") ?? [];
  const ids = [
    ...world.accountIds,
    ...world.userIds,
    ...world.staffIds,
    ...world.ticketIds,
    ...world.keyIds,
    ...world.invitationIds,
    ...world.sessionIds,
    ...world.runIds,
  ];
  const byName: fc.Arbitrary<string>[] = [];
  if (/id$|Id$|^run$|Token$/.test(field))
    byName.push(
      fc.constantFrom(...ids),
      fc.uuid(),
      fc.uuid().map((u) => u.toUpperCase()),
    );
  if (/email|Address|^from$|^to$/i.test(field))
    byName.push(
      fc.constantFrom(...world.emails),
      fc.emailAddress(),
      fc.constantFrom("new-owner@example.com", "ALICE@EXAMPLE.COM", " bob@example.com ", "a@b", "\u0430lice@example.com", "x@xn--80ak6aa92e.com"),
    );
  if (/Dollars|amount|cents/i.test(field))
    byName.push(fc.constantFrom(...NUMBERS, "10", "10.50", "-5", "-100.00", "0", "0.01", "99999999.99", "1000000"), fc.integer().map(String));
  if (/page|before/i.test(field)) byName.push(fc.constantFrom(...NUMBERS, ...world.ledgerIds, "1", "2", "10000", "10001"));
  if (/username|loginId|account/i.test(field)) byName.push(fc.constantFrom(...world.usernames, ...world.loginIds, "ada", "Ada", "a", "x".repeat(41)));
  if (/password|current|next|repeat/i.test(field)) byName.push(fc.constantFrom("correct horse battery staple", "password1234", "x".repeat(1025), "short"));
  if (field === "list" || field === "listId") byName.push(fc.constantFrom(...world.listIds, "x".repeat(65)));
  return fc.oneof(
    { weight: 4, arbitrary: literals.length ? fc.constantFrom(...literals) : fc.constantFrom(...KNOWN_VALUES) },
    { weight: 2, arbitrary: fc.constantFrom(...KNOWN_VALUES) },
    { weight: byName.length ? 5 : 0, arbitrary: byName.length ? fc.oneof(...byName) : fc.constant("") },
    { weight: 5, arbitrary: nastyString({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.constantFrom(...INJECTIONS) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 30_000 }).map((n) => "\u00e9".repeat(n)) },
  );
}

function fieldsArb(world: World, route: RouteInfo | undefined, structured: boolean): fc.Arbitrary<[string, string][]> {
  return cached(world, `fields:${route?.file ?? "-"}:${structured}`, () => buildFieldsArb(world, route, structured));
}

function buildFieldsArb(world: World, route: RouteInfo | undefined, structured: boolean): fc.Arbitrary<[string, string][]> {
  const names = route?.fields.length ? route.fields : ["intent", "name", "email", "id"];
  const known = fc.constantFrom(...names).chain((name) => fc.tuple(fc.constant(name), valueArb(world, route, name)));
  const junk = fc.tuple(
    fc.oneof(nastyString({ maxLength: 20 }), fc.constantFrom("__proto__", "constructor", "csrf", "intent", "_data", "", "a[b]", "a.b")),
    nastyString({ maxLength: 30 }),
  );
  if (structured) {
    // Every field the route mentions, once, plus sometimes a repeat or a stray.
    return fc
      .tuple(
        fc.tuple(...names.map((n) => fc.option(valueArb(world, route, n), { freq: 5, nil: undefined }))),
        fc.array(fc.oneof(known, junk), { maxLength: 2 }),
      )
      .map(([values, extra]) => [...names.flatMap((n, i) => (values[i] === undefined ? [] : [[n, values[i]!] as [string, string]])), ...extra]);
  }
  return fc.array(fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: junk }), { maxLength: 8 });
}

// ---------------------------------------------------------------------------
// Targets

export interface Target {
  path: string;
  route: string;
  info?: RouteInfo;
}

function paramArb(world: World, pattern: string, param: string): fc.Arbitrary<string> {
  let real: string[] = [];
  if (param === "provider") real = ["google", "github"];
  else if (pattern.startsWith("/console/accounts")) real = world.accountIds;
  else if (pattern.startsWith("/console/mail")) real = world.mailIds;
  else if (pattern.includes("tickets")) real = world.ticketIds;
  else if (pattern.startsWith("/console/workflows")) real = world.workflowIds;
  else if (pattern.startsWith("/unsubscribe")) real = world.unsubscribeTokens;
  else if (pattern.startsWith("/invitations")) real = world.invitationTokens;
  else if (pattern.startsWith("/confirm-transfer")) real = world.confirmTokens;
  const realArb = real.length ? fc.constantFrom(...real) : fc.uuid();
  return fc.oneof(
    { weight: 6, arbitrary: realArb.map(enc) },
    { weight: 2, arbitrary: fc.tuple(realArb, fc.nat()).map(([r, n]) => enc(mutate(r, n))) },
    { weight: 2, arbitrary: fc.uuid().map(enc) },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    {
      weight: 3,
      arbitrary: nastyString({ maxLength: 60 })
        .filter((s) => s.length > 0)
        .map(enc),
    },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_PERCENT, "..", ".", "%2e%2e", "a%2Fb", "linkedin", "GOOGLE", "x".repeat(5000), "v1.not-a-uuid.sig") },
  );
}

function routeTarget(world: World, r: RouteInfo): fc.Arbitrary<Target> {
  return cached(world, `target:${r.file}`, () => buildRouteTarget(world, r));
}

function buildRouteTarget(world: World, r: RouteInfo): fc.Arbitrary<Target> {
  if (r.params.length === 0) return fc.constant({ path: r.pattern, route: r.pattern, info: r });
  return fc.tuple(...r.params.map((p) => paramArb(world, r.pattern, p))).map((values) => {
    let path = r.pattern;
    r.params.forEach((p, i) => (path = path.replace(`:${p}`, values[i]!)));
    return { path, route: r.pattern, info: r };
  });
}

const ODD_PATHS = [
  "/v1",
  "/v1/",
  "/v1/account/",
  "/v1/accounts",
  "/v1/usage/../account",
  "/v1/nope",
  "/v1%2Faccount",
  "/V1/account",
  "/build/",
  "/build/../package.json",
  "/build/%2e%2e/%2e%2e/package.json",
  "/build/nope.js",
  "/favicon.ico",
  "/.env",
  "/.git/config",
  "/%",
  "/%00",
  "/%ff",
  "/%C0%AF",
  "/_root.data",
  "/console.data",
  "/settings/api-keys.data",
  "/console/accounts.data",
  "/login.data",
  "/.data",
  "//",
  "///console",
  "/console/",
  "/CONSOLE",
  "/settings/../console",
  "/settings/%2e%2e/console",
  "/nowhere",
  "/hooks",
  "/hooks/inbound-email/extra",
  "/healthz/",
  "/index",
  "/routes/console",
  "/__manifest",
  "/__manifest?p=/console&version=x",
];

export function targetArb(world: World, routes: RouteInfo[]): fc.Arbitrary<Target> {
  const dataSuffix = (t: Target): Target => ({ ...t, path: `${t.path === "/" ? "/_root" : t.path.replace(/\/$/, "")}.data`, route: `${t.route}.data` });
  return fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(...routes).chain((r) => routeTarget(world, r)) },
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(...routes)
        .chain((r) => routeTarget(world, r))
        .map(dataSuffix),
    },
    { weight: 3, arbitrary: fc.constantFrom("/v1/account", "/v1/usage").map((p) => ({ path: p, route: p })) },
    { weight: 2, arbitrary: fc.constant({ path: "/hooks/inbound-email", route: "/hooks/inbound-email" }) },
    { weight: 1, arbitrary: fc.constant({ path: "/healthz", route: "/healthz" }) },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_PATHS).map((p) => ({ path: p, route: "(odd path)" })) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => ({ path: `/${"a".repeat(n)}`, route: "(long path)" })) },
  );
}

// ---------------------------------------------------------------------------
// Query strings, headers

function queryArb(world: World, info: RouteInfo | undefined): fc.Arbitrary<string> {
  return cached(world, `query:${info?.file ?? "-"}`, () => buildQueryArb(world, info));
}

function buildQueryArb(world: World, info: RouteInfo | undefined): fc.Arbitrary<string> {
  const names = [
    ...(info?.fields ?? []),
    "next",
    "page",
    "before",
    "beforeId",
    "q",
    "status",
    "_data",
    "_routes",
    "index",
    "run",
    "welcome",
    "sent",
    "ended",
    "error",
  ];
  const pair = fc.tuple(
    fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: nastyString({ maxLength: 15 }) }),
    fc.oneof(
      { weight: 3, arbitrary: valueArb(world, info, "q") },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          "/",
          "/settings",
          "//evil.example",
          "/\\evil.example",
          "https://evil.example",
          "/\u00e9t\u00e9",
          "/\u2713",
          "/%E2%9C%93",
          "/console?x=1",
          "routes/console",
          "root",
          "routes/_index",
        ),
      },
      { weight: 1, arbitrary: fc.constantFrom(...world.ledgerIds, "9999999999999999999", "2026-13-45 25:61:61", "0000-01-01 00:00:00") },
    ),
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant("") },
    { weight: 6, arbitrary: fc.array(pair, { minLength: 1, maxLength: 4 }).map((ps) => `?${ps.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&")}`) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...BAD_PERCENT), fc.constantFrom(...names)).map(([b, k]) => `?${k}=${b}&${b}=1`) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("?", "?&&&", "?=", "?a", "?a=1&a=2&a=3", `?${"a=1&".repeat(2000)}`, "?next=%2F%2Fevil.example", "?next=/%E2%9C%93"),
    },
  );
}

const CONTENT_TYPES = [
  "application/x-www-form-urlencoded",
  "application/x-www-form-urlencoded; charset=utf-16",
  "application/x-www-form-urlencoded; charset=\u00ff",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  'multipart/form-data; boundary="unterminated',
  "application/json",
  "application/json; charset=latin1",
  "text/plain",
  "text/plain; charset=utf-8",
  "text/html",
  "application/octet-stream",
  "application/xml",
  "*/*",
  "",
  ";;;",
  "x".repeat(2000),
];

function headersArb(): fc.Arbitrary<Record<string, string>> {
  /** Present once in `every` requests. */
  const maybe = <T>(a: fc.Arbitrary<T>, every = 5) => fc.oneof({ weight: every - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: a });
  return fc
    .record({
      accept: maybe(fc.constantFrom("text/html", "application/json", "*/*", "text/x-script", "\u00ff", "text/html;q=2")),
      // Rare: a cross-origin mutation is always the same code path (and, if it fails, the same failure).
      origin: maybe(fc.constantFrom("SAME-ORIGIN", "SAME-ORIGIN", "http://evil.example", "null", "http://127.0.0.1", "\u00e9"), 30),
      secFetchDest: maybe(fc.constantFrom("document", "empty", "iframe")),
      xff: maybe(fc.constantFrom("1.2.3.4", "1.2.3.4, 5.6.7.8", "not-an-ip", "::1", "999.999.999.999", "unknown", "\u00ff\u00fe")),
      userAgent: maybe(nastyString({ maxLength: 100 }).map(headerSafe)),
      acceptLanguage: maybe(fc.constantFrom("de-DE", "x".repeat(3000), "*;q=0.5, \u00e9")),
      encoding: maybe(fc.constantFrom("gzip", "br", "deflate", "identity", "x-unknown"), 25),
      cookieJunk: maybe(
        fc.constantFrom(
          "sb_session=",
          "sb_session=%E0%A4%A",
          'sb_csrf="quoted"',
          "sb_next=%2F%2Fevil.example",
          "sb_session=a; sb_session=b",
          `big=${"x".repeat(6000)}`,
          "=; ;;",
          "sb_reveal=garbage",
        ),
        8,
      ),
    })
    .map((h) => {
      const out: Record<string, string> = {};
      if (h.accept !== undefined) out.Accept = h.accept;
      if (h.origin !== undefined) out.Origin = headerSafe(h.origin);
      if (h.secFetchDest !== undefined) out["Sec-Fetch-Dest"] = h.secFetchDest;
      if (h.xff !== undefined) out["X-Forwarded-For"] = headerSafe(h.xff);
      if (h.userAgent !== undefined) out["User-Agent"] = h.userAgent;
      if (h.acceptLanguage !== undefined) out["Accept-Language"] = headerSafe(h.acceptLanguage);
      if (h.encoding !== undefined) out["Content-Encoding"] = h.encoding;
      if (h.cookieJunk !== undefined) out["X-Fuzz-Cookie-Junk"] = h.cookieJunk; // merged into Cookie at send time
      return out;
    });
}

/** Host and X-Forwarded-Host/-Proto oddities: rare (they are the same few code paths every time). */
const hostHeadersArb: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 150, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Record<string, string>>(
      { "X-Forwarded-Host": "evil.example" },
      { "X-Forwarded-Host": "evil.example:99999" },
      { "X-Forwarded-Host": "a b" },
      { "X-Forwarded-Proto": "javascript" },
      { Host: "evil.example" },
      { Host: "a b" },
      { Host: "[::1" },
      { Host: "127.0.0.1:99999" },
      { Host: "" },
    ),
  },
);

function methodArb(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 40, arbitrary: fc.constant("GET") },
    { weight: 35, arbitrary: fc.constant("POST") },
    { weight: 15, arbitrary: fc.constantFrom("PUT", "PATCH", "DELETE") },
    { weight: 7, arbitrary: fc.constantFrom("HEAD", "OPTIONS") },
    { weight: 3, arbitrary: fc.constantFrom("PROPFIND", "PURGE", "TRACE", "MKCOL", "LINK", "SEARCH", "REPORT") },
  );
}

const bodyKinds = new Map<string, fc.Arbitrary<BodyKind>>();
function bodyKindArb(method: string): fc.Arbitrary<BodyKind> {
  const key = method === "GET" || method === "HEAD" ? "read" : "write";
  if (!bodyKinds.has(key)) bodyKinds.set(key, buildBodyKindArb(method));
  return bodyKinds.get(key)!;
}

function buildBodyKindArb(method: string): fc.Arbitrary<BodyKind> {
  if (method === "GET" || method === "HEAD")
    return fc.oneof({ weight: 20, arbitrary: fc.constant<BodyKind>("none") }, { weight: 1, arbitrary: fc.constantFrom<BodyKind>("form", "json", "text") });
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant<BodyKind>("none") },
    { weight: 30, arbitrary: fc.constant<BodyKind>("form") },
    { weight: 6, arbitrary: fc.constant<BodyKind>("rawForm") },
    { weight: 10, arbitrary: fc.constant<BodyKind>("multipart") },
    { weight: 4, arbitrary: fc.constant<BodyKind>("badMultipart") },
    { weight: 8, arbitrary: fc.constant<BodyKind>("json") },
    { weight: 4, arbitrary: fc.constant<BodyKind>("badJson") },
    { weight: 1, arbitrary: fc.constant<BodyKind>("deepJson") },
    { weight: 4, arbitrary: fc.constant<BodyKind>("text") },
    { weight: 3, arbitrary: fc.constant<BodyKind>("bytes") },
    { weight: 1, arbitrary: fc.constant<BodyKind>("huge") },
    { weight: 1, arbitrary: fc.constant<BodyKind>("overLimit") },
    { weight: 1, arbitrary: fc.constant<BodyKind>("chunkedHuge") },
  );
}

const contentTypes = new Map<BodyKind, fc.Arbitrary<string | null>>();
function contentTypeFor(kind: BodyKind): fc.Arbitrary<string | null> {
  if (!contentTypes.has(kind)) contentTypes.set(kind, buildContentTypeFor(kind));
  return contentTypes.get(kind)!;
}

function buildContentTypeFor(kind: BodyKind): fc.Arbitrary<string | null> {
  const natural: Record<BodyKind, string | null> = {
    none: null,
    form: "application/x-www-form-urlencoded",
    rawForm: "application/x-www-form-urlencoded",
    multipart: "multipart/form-data; boundary=----fuzzBoundary7MA4YWxkTrZu0gW",
    badMultipart: "multipart/form-data; boundary=----fuzzBoundary7MA4YWxkTrZu0gW",
    json: "application/json",
    badJson: "application/json",
    deepJson: "application/json",
    text: "text/plain",
    bytes: "application/octet-stream",
    huge: "application/x-www-form-urlencoded",
    overLimit: "application/x-www-form-urlencoded",
    chunkedHuge: "application/x-www-form-urlencoded",
  };
  return fc.oneof({ weight: 8, arbitrary: fc.constant(natural[kind]) }, { weight: 2, arbitrary: fc.constantFrom<string | null>(...CONTENT_TYPES, null) });
}

const rawTextArb = fc.oneof(
  nastyString({ maxLength: 200 }),
  fc.constantFrom(...BAD_UTF8).map((b) => b.toString("latin1")),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a).toString("latin1")),
  fc.constantFrom("{", "[", '{"a":', "{'a':1}", "nul", "\u0000", '{"__proto__":{"admin":true}}', '{"amount_cents":1e400}', "[]", "null", "1", '"x"'),
);

// ---------------------------------------------------------------------------
// The three families

function common(
  world: World,
  routes: RouteInfo[],
  options: {
    family: Spec["family"];
    method?: fc.Arbitrary<string>;
    persona?: fc.Arbitrary<PersonaName>;
    csrf?: fc.Arbitrary<CsrfMode>;
    target?: fc.Arbitrary<Target>;
    structured?: boolean;
  },
): fc.Arbitrary<Spec> {
  return fc
    .record({
      target: options.target ?? targetArb(world, routes),
      method: options.method ?? methodArb(),
      persona: options.persona ?? fc.constantFrom(...ALL_PERSONAS),
      csrf: options.csrf ?? fc.constantFrom<CsrfMode>("valid", "valid", "valid", ...REFUSED_CSRF, "duplicate"),
      headers: headersArb(),
      host: hostHeadersArb,
      auth: fc.constantFrom<Auth>("none", "valid", "valid", "revoked", "forged", "malformed", "basic"),
      signature: fc.constantFrom<Signature>("none", "valid", "valid", "validUpper", "forged", "otherSecret", "malformed", "otherBody"),
      raw: rawTextArb,
    })
    .chain((base) =>
      fc.record({
        base: fc.constant(base),
        query: queryArb(world, base.target.info),
        body: bodyKindArb(base.method),
        fields: fieldsArb(world, base.target.info, options.structured ?? false),
      }),
    )
    .chain(({ base, query, body, fields }) =>
      contentTypeFor(body).map((contentType): Spec => ({
        family: options.family,
        method: base.method,
        persona: base.persona,
        path: base.target.path,
        route: base.target.route,
        query,
        csrf: base.csrf,
        body,
        fields,
        contentType,
        headers: { ...base.headers, ...base.host },
        auth: base.auth,
        signature: base.signature,
        raw: base.raw,
      })),
    );
}

export function mixedSpec(world: World, routes: RouteInfo[]): fc.Arbitrary<Spec> {
  return common(world, routes, { family: "mixed" });
}

/** Form posts that can succeed: a real persona, its own CSRF token, the route's own fields. */
export function deepSpec(world: World, routes: RouteInfo[]): fc.Arbitrary<Spec> {
  const actionRoutes = routes.filter((r) => r.hasAction && !r.pattern.startsWith("/hooks"));
  return common(world, routes, {
    family: "deep",
    method: fc.constantFrom("POST", "POST", "POST", "PUT", "DELETE"),
    persona: fc.constantFrom(...REAL_PERSONAS.filter((p) => p !== "anon"), "anon"),
    csrf: fc.constant<CsrfMode>("valid"),
    target: fc.constantFrom(...actionRoutes).chain((r) => routeTarget(world, r)),
    structured: true,
  }).map((s) => ({
    ...s,
    body: s.body === "none" || s.body === "huge" || s.body === "overLimit" ? "form" : s.body,
    headers: Object.fromEntries(Object.entries(s.headers).filter(([k]) => k !== "Host" && !k.startsWith("X-Forwarded-H"))),
  }));
}

/**
 * Requests refused by construction. Each sub-family says why it must be refused:
 * - a mutation of a Remix route without a valid CSRF token (every action checks it first);
 * - the inbound-mail hook without a valid signature;
 * - the API without a valid key, or with the wrong method;
 * - an unsubscribe link whose token is not one we signed;
 * - a protected page read by someone signed out, a customer in the console, or the wrong staff role.
 */
export function refusalSpec(world: World, routes: RouteInfo[]): fc.Arbitrary<Spec> {
  const remix = routes.filter((r) => !r.pattern.startsWith("/hooks") && !r.pattern.startsWith("/unsubscribe"));
  const protectedRoutes = routes.filter((r) => /^\/(settings|console|support)/.test(r.pattern) && r.hasLoader);
  // Remix's own data parameters (?_data=root, ?_routes=) choose which loaders run: a read of the root
  // loader alone is public, so such reads are not refusals by construction. Host oddities are left to the mixed bulk.
  const noHost = (s: Spec): Spec => ({
    ...s,
    query: /[?&](_data|_routes|index)=/.test(s.query) ? "" : s.query,
    headers: Object.fromEntries(Object.entries(s.headers).filter(([k]) => k !== "Host" && !k.startsWith("X-Forwarded-H"))),
  });
  const forgedUnsubscribe = fc.tuple(fc.constantFrom(...world.unsubscribeTokens), fc.nat()).map(([t, n]) => enc(mutate(t, n)));
  return fc
    .oneof(
      {
        weight: 10,
        arbitrary: common(world, routes, {
          family: "refusal",
          method: fc.constantFrom("POST", "POST", "PUT", "PATCH", "DELETE"),
          csrf: fc.constantFrom(...REFUSED_CSRF),
          target: fc.constantFrom(...remix).chain((r) => routeTarget(world, r)),
          structured: true,
        }),
      },
      {
        weight: 2,
        arbitrary: common(world, routes, { family: "refusal", target: fc.constant({ path: "/hooks/inbound-email", route: "/hooks/inbound-email" }) }).chain(
          (s) => fc.constantFrom<Signature>("none", "forged", "otherSecret", "malformed", "otherBody", "stale").map((signature) => ({ ...s, signature })),
        ),
      },
      {
        weight: 2,
        arbitrary: common(world, routes, { family: "refusal", target: fc.constantFrom("/v1/account", "/v1/usage").map((p) => ({ path: p, route: p })) }).chain(
          (s) => fc.constantFrom<Auth>("none", "revoked", "forged", "malformed", "basic").map((auth) => ({ ...s, auth })),
        ),
      },
      {
        weight: 1,
        arbitrary: common(world, routes, {
          family: "refusal",
          method: fc.constantFrom("PUT", "DELETE", "PATCH", "POST"),
          target: fc.constantFrom("/v1/account", "/v1/usage").map((p) => ({ path: p, route: p })),
        }).filter((s) => !(s.path === "/v1/usage" && s.method === "POST")),
      },
      {
        weight: 2,
        arbitrary: common(world, routes, {
          family: "refusal",
          method: fc.constantFrom("GET", "POST", "PUT"),
          target: forgedUnsubscribe.map((t) => ({ path: `/unsubscribe/${t}`, route: "/unsubscribe/:token" })),
        }),
      },
      {
        weight: 3,
        arbitrary: common(world, routes, {
          family: "refusal",
          method: fc.constant("GET"),
          persona: fc.constantFrom<PersonaName>("anon", "forgedSession", "signedUnknownSession", "signedNonStringSession", "revokedSession", "tamperedSession"),
          target: fc.constantFrom(...protectedRoutes).chain((r) => routeTarget(world, r)),
        }),
      },
      {
        weight: 2,
        arbitrary: common(world, routes, {
          family: "refusal",
          method: fc.constant("GET"),
          persona: fc.constantFrom<PersonaName>("alice", "bob", "dan", "pwuser"),
          target: fc.constantFrom(...protectedRoutes.filter((r) => r.pattern.startsWith("/console"))).chain((r) => routeTarget(world, r)),
        }),
      },
      {
        weight: 1,
        arbitrary: common(world, routes, {
          family: "refusal",
          method: fc.constant("GET"),
          persona: fc.constantFrom<PersonaName>("support", "operator"),
          target: fc.constant({ path: "/console/staff", route: "/console/staff" }),
        }),
      },
    )
    .map(noHost);
}

// ---------------------------------------------------------------------------
// Bytes on the wire

const BOUNDARY = "----fuzzBoundary7MA4YWxkTrZu0gW";
let hugeTail: Buffer | undefined;
let overTail: Buffer | undefined;
const HUGE_BYTES = 999_000; // just under the 1 MB limit of server/http-app.ts
const OVER_BYTES = 1_000_001;

function multipart(fields: [string, string][], withFile: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k.replace(/["\r\n]/g, "_")}"\r\n\r\n${v}\r\n`));
  }
  if (withFile)
    parts.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="../../\u00e9.txt"\r\nContent-Type: application/x-msdownload\r\n\r\n`,
      ),
      detBytes(64, "file", fields.length),
      Buffer.from("\r\n"),
    );
  parts.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

function hookJson(fields: [string, string][], raw: string): string {
  const f = Object.fromEntries(fields);
  const pick = (k: string, fallback: string) => (k in f ? f[k]! : fallback);
  // One message id per distinct mail: posting the same mail again is a duplicate, as from a real sender.
  const messageId = `<${createHash("sha256")
    .update(JSON.stringify([fields, raw]))
    .digest("hex")
    .slice(0, 32)}@fuzz.example>`;
  return JSON.stringify({
    message_id: pick("message_id", messageId),
    from: pick("from", "Alice <alice@example.com>"),
    to: pick("to", "support@switchboard.test"),
    subject: pick("subject", "Please move my account"),
    text: pick("text", `Move it to ${raw.slice(0, 40)} new-address@example.com`),
    spf: pick("spf", "pass"),
    dkim: pick("dkim", "pass"),
  });
}

export interface Context {
  appUrl: string;
  personas: Personas;
  world: World;
}

/** The spec as bytes, with what the persona currently holds. */
export function materialize(spec: Spec, ctx: Context, index: number): WireRequest {
  const persona = ctx.personas.get(spec.persona);
  const headers: Record<string, string> = { ...spec.headers };
  if (headers.Origin === "SAME-ORIGIN") headers.Origin = new URL(ctx.appUrl).origin;
  const cookieJunk = headers["X-Fuzz-Cookie-Junk"];
  delete headers["X-Fuzz-Cookie-Junk"];

  let cookie = cookieOf(persona, ctx.appUrl);
  const token = csrfTokenOf(persona.ua.cookieHeader(ctx.appUrl)) ?? "";
  const otherToken = csrfTokenOf(ctx.personas.get(spec.persona === "anon" ? "alice" : "anon").ua.cookieHeader(ctx.appUrl)) ?? "";
  const fields: [string, string][] = spec.fields.filter(([k]) => k !== "csrf" || spec.csrf === "duplicate");
  switch (spec.csrf) {
    case "valid":
      fields.unshift(["csrf", token]);
      break;
    case "duplicate":
      fields.unshift(["csrf", token], ["csrf", "forged"]);
      break;
    case "forged":
      fields.unshift(["csrf", `${detBytes(32, "csrf", index).toString("base64url")}.${detBytes(32, "csrf-sig", index).toString("base64url")}`]);
      break;
    case "otherPersona":
      fields.unshift(["csrf", otherToken]);
      break;
    case "emptyString":
      fields.unshift(["csrf", ""]);
      break;
    case "tamperedToken":
      fields.unshift(["csrf", mutate(token, index)]);
      break;
    case "cookieOnlyNoToken":
    case "asFile":
    case "none":
      break;
  }
  if (spec.csrf === "cookieOnlyNoToken") cookie = cookie.replace(/(^|;\s*)sb_csrf=[^;]*/, "$1sb_csrf=");
  if (cookieJunk) cookie = [cookie, cookieJunk].filter(Boolean).join("; ");
  if (cookie) headers.Cookie = headerSafe(cookie);

  let body: Buffer | undefined;
  const formText = () => fields.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
  switch (spec.body) {
    case "none":
      break;
    case "form":
      body = Buffer.from(formText());
      break;
    case "rawForm":
      body = Buffer.concat([
        Buffer.from(formText() + "&"),
        Buffer.from(spec.raw, "latin1"),
        Buffer.from(`&${BAD_PERCENT[index % BAD_PERCENT.length]}=${BAD_PERCENT[(index + 3) % BAD_PERCENT.length]}&`),
        BAD_UTF8[index % BAD_UTF8.length]!,
      ]);
      break;
    case "multipart":
      body = multipart(spec.csrf === "asFile" ? [...fields, ["csrf", token]] : fields, index % 3 === 0);
      if (spec.csrf === "asFile") {
        // The token sent as a file part (a File is never equal to the cookie's string).
        body = Buffer.concat([
          Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="csrf"; filename="csrf.txt"\r\nContent-Type: text/plain\r\n\r\n${token}\r\n`),
          multipart(fields, false),
        ]);
      }
      break;
    case "badMultipart": {
      const full = multipart(fields, true);
      const cuts = [
        full.subarray(0, Math.floor(full.length / 2)),
        Buffer.from(full.toString("latin1").replace(/--\r\n$/, "")),
        Buffer.from(`--wrong\r\n\r\n${spec.raw}`),
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nno-name\r\n--${BOUNDARY}--\r\n`),
      ];
      body = cuts[index % cuts.length];
      break;
    }
    case "json":
      body = Buffer.from(
        spec.path.startsWith("/hooks")
          ? hookJson(fields, spec.raw)
          : spec.path.startsWith("/v1/usage")
            ? JSON.stringify(usageBody(fields, index))
            : JSON.stringify(Object.fromEntries(fields)),
      );
      break;
    case "badJson":
    case "text":
      body = Buffer.from(spec.raw, spec.body === "text" ? "utf8" : "latin1");
      break;
    case "bytes":
      body = Buffer.from(spec.raw, "latin1");
      break;
    case "deepJson": {
      const depth = 20_000 + (index % 5) * 10_000;
      body = Buffer.from(index % 2 ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth));
      break;
    }
    case "huge":
      hugeTail ??= Buffer.alloc(HUGE_BYTES, "A");
      body = Buffer.concat([Buffer.from(`${formText()}&big=`), hugeTail]).subarray(0, HUGE_BYTES);
      break;
    case "overLimit":
      overTail ??= Buffer.alloc(OVER_BYTES, "A");
      body = Buffer.concat([Buffer.from(`${formText()}&big=`), overTail]).subarray(0, OVER_BYTES);
      break;
    case "chunkedHuge":
      overTail ??= Buffer.alloc(OVER_BYTES, "A");
      body = Buffer.concat([Buffer.from(`${formText()}&big=`), overTail, overTail]);
      headers["Transfer-Encoding"] = "chunked";
      break;
  }
  if (spec.contentType !== null && (body !== undefined || spec.contentType !== "")) headers["Content-Type"] = headerSafe(spec.contentType);

  if (spec.path.startsWith("/v1")) {
    const keys: Record<Auth, string | null> = {
      none: null,
      valid: `Bearer ${ctx.world.apiKey}`,
      revoked: `Bearer ${ctx.world.revokedApiKey}`,
      forged: `Bearer tgp_v1_${detBytes(33, "key", index).toString("base64url").slice(0, 43)}`,
      malformed: headerSafe(`Bearer ${spec.raw.slice(0, 80)}`),
      basic: "Basic YWxpY2U6cGFzc3dvcmQ=",
    };
    const v = keys[spec.auth];
    if (v !== null) headers.Authorization = v;
  }
  if (spec.path.startsWith("/hooks/inbound-email")) {
    const bytes = body ?? Buffer.alloc(0);
    const now = nowSeconds();
    // "stale": correctly signed, but 10 minutes ago (outside the hook's 5-minute tolerance).
    const timestamp = spec.signature === "stale" ? now - 600 : now;
    const sig = (secret: string, b: Buffer) => inboundSignature(secret, timestamp, b);
    const values: Record<Signature, string | null> = {
      none: null,
      valid: `sha256=${sig(ctx.world.hookSecret, bytes)}`,
      validUpper: `SHA256=${sig(ctx.world.hookSecret, bytes).toUpperCase()}`,
      forged: `sha256=${detBytes(32, "sig", index).toString("hex")}`,
      otherSecret: `sha256=${sig(`${ctx.world.hookSecret}-old`, bytes)}`,
      malformed: headerSafe(`sha1=${spec.raw.slice(0, 60)}`),
      otherBody: `sha256=${sig(ctx.world.hookSecret, Buffer.concat([bytes, Buffer.from(" ")]))}`,
      stale: `sha256=${sig(ctx.world.hookSecret, bytes)}`,
    };
    const v = values[spec.signature];
    if (v !== null) {
      headers[TIMESTAMP_HEADER] = String(timestamp);
      headers[SIGNATURE_HEADER] = v;
    }
  }
  return { method: spec.method, path: spec.path + spec.query, headers, body };
}

function usageBody(fields: [string, string][], index: number): unknown {
  const f = Object.fromEntries(fields);
  const amounts: unknown[] = [1, 0, -1, 1.5, 100_000_001, "5", null, 1e308, Number.MAX_SAFE_INTEGER, [], {}];
  return {
    amount_cents: "amount_cents" in f ? f.amount_cents : amounts[index % amounts.length],
    idempotency_key: index % 4 === 0 ? (f.name ?? "") : `fuzz-${index}`,
  };
}

/** One line for a report: what was sent, as whom, in which shape. */
export function describe(spec: Spec, req?: WireRequest & { bodyLength?: number }): string {
  const bodyLen = req?.bodyLength ?? req?.body?.length ?? 0;
  const notable = Object.entries(spec.headers)
    .filter(([k]) => ["Host", "X-Forwarded-Host", "X-Forwarded-Proto", "Origin", "Content-Encoding", "X-Fuzz-Cookie-Junk"].includes(k))
    .map(([k, v]) => `${k}: ${JSON.stringify(v.slice(0, 40))}`);
  const fields = spec.fields
    .slice(0, 6)
    .map(([k, v]) => `${k}=${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v)}`)
    .join(" ");
  const path = spec.path + spec.query;
  return [
    `${spec.method} ${path.length > 200 ? `${path.slice(0, 200)}…(${path.length} chars)` : path}`,
    `as ${spec.persona}`,
    `csrf=${spec.csrf}`,
    `body=${spec.body}(${bodyLen} B, ${JSON.stringify(spec.contentType)})`,
    spec.path.startsWith("/v1") ? `auth=${spec.auth}` : "",
    spec.path.startsWith("/hooks") ? `signature=${spec.signature}` : "",
    fields ? `fields: ${fields}` : "",
    notable.join(" "),
  ]
    .filter(Boolean)
    .join(" | ");
}
