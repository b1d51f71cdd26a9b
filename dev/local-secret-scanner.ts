/**
 * A real local HTTP server that stands in for GitHub's secret scanning
 * partner program (`npm start` without SECRET_SCANNING_KEYS_URL, and tests).
 * GitHub finds a token matching a partner's pattern in a public repository and
 * POSTs a JSON array of `{token, type, url, source}` to the partner's endpoint,
 * signed with ECDSA P-256 / SHA-256 over the raw body; the partner verifies it
 * with the public keys GitHub publishes. This server does the same with its own
 * key pair, so a newcomer can paste a key and watch Switchboard revoke it.
 *
 *   GET  /meta/public_keys/secret_scanning   the public key, in GitHub's shape
 *   GET  /                                   a page: paste a token and where it was "found"
 *   POST /                                   the page's form -> a signed report to the app, its answer shown
 *   POST /report                             JSON {token, url?, type?, source?} (or an array of them)
 *                                            -> {status, answer}: the same report for tests and scripts
 *
 * The key pair is kept in `keyFile` (PKCS #8 PEM, mode 600) when one is given,
 * so a restart keeps the same key identifier the app has cached; otherwise it
 * lives in memory. Tokens are never logged or stored; the answer page shows
 * what the app answered (its SHA-256), never the token.
 *
 * A dev tool on localhost, but not a cross-site amplifier: it listens on
 * 127.0.0.1, answers the page and its posts only for its own Host (no DNS
 * rebinding), refuses a cross-origin Origin, and the form carries a
 * per-process token; /report takes JSON only (a cross-site form cannot send it).
 *
 * Run alone with `npm run dev:secret-scanner` (LOCAL_SECRET_SCANNER_PORT,
 * default 4040; SWITCHBOARD_URL, default http://localhost:3000; the key in
 * DATA_DIR/secret-scanner-key.pem, the same one `npm start` uses).
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { decodeUtf8, findUrlEncodedFault, storableText } from "../app/validation/text.js";

/** The token type Switchboard registers with GitHub (docs/operations.md). */
export const SWITCHBOARD_TOKEN_TYPE = "switchboard_api_key";
export const KEYS_PATH = "/meta/public_keys/secret_scanning";
export const DEFAULT_FOUND_URL = "https://github.com/example/repo/blob/main/.env";
const DEFAULT_PORT = 4040;
const BODY_LIMIT = 16 * 1024;
const REPORT_TIMEOUT_MS = 30_000;
const MAX_TOKEN_LENGTH = 1000;
const MAX_URL_LENGTH = 2048;
const MAX_FINDINGS = 100;
/** How much of a non-JSON answer the page shows. */
const MAX_ANSWER_TEXT = 2000;

/** One finding, as GitHub reports it. */
export interface Finding {
  token: string;
  type?: string;
  url?: string;
  /** Where GitHub saw it: "content", "commit", "pull_request_description", …; defaults to "content". */
  source?: string;
}

/** What the app answered a report, or why it could not be asked. */
export type ReportOutcome = { delivered: true; status: number; answer: unknown } | { delivered: false; problem: string };

export interface LocalSecretScanner {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:4040 */
  url: string;
  /** Where the app fetches the public keys: `${url}/meta/public_keys/secret_scanning`. */
  keysUrl: string;
  /** Hex SHA-256 of the DER (SPKI) public key, as in `Github-Public-Key-Identifier`. */
  keyIdentifier: string;
  publicKeyPem: string;
  /** The two headers GitHub sends for exactly these body bytes. */
  sign(body: string | Buffer): { "Github-Public-Key-Identifier": string; "Github-Public-Key-Signature": string };
  /** Signs and POSTs a report to the app's hook; resolves with its answer. */
  report(findings: Finding[]): Promise<ReportOutcome>;
  stop(): Promise<void>;
}

export interface LocalSecretScannerOptions {
  /** The app's endpoint, e.g. http://127.0.0.1:3000/hooks/secret-scanning */
  hookUrl: string;
  /** The app's URL people browse (links on the answer page); defaults to the hook's origin. */
  appUrl?: string;
  /** 0 picks a free port; defaults to 4040. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Where the private key is kept across restarts (created if missing); unset = in memory. */
  keyFile?: string;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/** The stored key, or a new one written atomically (a crash mid-write leaves no half a key). */
function loadOrCreateKey(keyFile: string | undefined): KeyObject {
  if (keyFile && existsSync(keyFile)) {
    try {
      const key = createPrivateKey(readFileSync(keyFile, "utf8"));
      if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") throw new Error("not an ECDSA P-256 key");
      return key;
    } catch (err) {
      throw new Error(
        `${keyFile} holds no usable ECDSA P-256 private key (${err instanceof Error ? err.message : String(err)}); delete it and a new one is made.`,
        { cause: err },
      );
    }
  }
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  if (keyFile) {
    mkdirSync(path.dirname(keyFile), { recursive: true });
    const tmp = `${keyFile}.${process.pid}.tmp`;
    writeFileSync(tmp, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    renameSync(tmp, keyFile);
  }
  return privateKey;
}

function escapeHtml(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");
}

const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex");

const text = (name: string, max: number) =>
  z
    .string({ required_error: `Missing ${name}.`, invalid_type_error: `${name} must be a string.` })
    .max(max, `${name} is too long (${max} characters at most).`)
    .superRefine(storableText(name));

const FindingSchema = z
  .object({
    token: text("token", MAX_TOKEN_LENGTH).refine((t) => t.trim() !== "", "Paste the token to report."),
    url: text("url", MAX_URL_LENGTH).refine(isHttpUrl, "url must be an absolute http(s) URL.").default(DEFAULT_FOUND_URL),
    type: text("type", 100).default(SWITCHBOARD_TOKEN_TYPE),
    source: text("source", 100).default("content"),
  })
  .strict();
const ReportRequest = z.union([FindingSchema, z.array(FindingSchema).min(1, "Report at least one token.").max(MAX_FINDINGS)]);

const STYLE = `
  * { box-sizing: border-box; }
  body { font-family: system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; line-height: 1.45; }
  .banner { margin: 0; padding: .85rem 1rem; background: #24292f; color: #fff; font-size: 1.1rem; font-weight: 700; text-align: center; }
  main { max-width: 36rem; margin: 1.5rem auto; padding: 1.25rem 1.5rem; background: #fff; border: 1px solid #d7dbe2; border-radius: 8px; overflow-wrap: anywhere; }
  @media (max-width: 38rem) { main { margin: 0; border-width: 0 0 1px; border-radius: 0; padding: 1rem; } }
  h1 { font-size: 1.35rem; margin: 0 0 .75rem; }
  h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
  .hint { color: #4b5468; font-size: .95rem; }
  .error { background: #fde8e8; border: 1px solid #e5a3a3; padding: .6rem .8rem; border-radius: 4px; }
  .ok { background: #e6f4ea; border: 1px solid #9ccfa9; padding: .6rem .8rem; border-radius: 4px; }
  .note { background: #fff8e1; border: 1px solid #e0c46c; padding: .6rem .8rem; border-radius: 4px; }
  label { display: block; font-weight: 600; margin: .9rem 0 .3rem; }
  input[type=text], input[type=url] { display: block; width: 100%; min-height: 2.75rem; padding: .5rem .6rem; font: inherit; font-family: ui-monospace, monospace; border: 1px solid #5b6478; border-radius: 4px; }
  button { display: block; width: 100%; min-height: 2.9rem; margin: 1.1rem 0 .4rem; padding: .65rem 1rem; font: inherit; font-weight: 600; border-radius: 6px; border: 1px solid #1f4fb3; background: #1f4fb3; color: #fff; cursor: pointer; }
  a { color: #1f4fb3; }
  code, pre { font-family: ui-monospace, monospace; font-size: .9rem; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f5f7; padding: .6rem .8rem; border-radius: 4px; margin: 0; }
  dl { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: .35rem 1rem; margin: 0 0 1rem; } dt { color: #4b5468; } dd { margin: 0; }
  .links { margin-top: 1.25rem; display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; }
  .links a { display: inline-block; padding: .35rem 0; }
  input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid #f2a007; outline-offset: 2px; }`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Local secret scanner</title>
<style>${STYLE}</style>
</head>
<body>
<header><p class="banner">Local secret scanner — plays GitHub's secret scanning</p></header>
<main>
${body}
</main>
</body>
</html>`;
}

const SECURITY_HEADERS = {
  // A pasted token may be in the answer's form: nothing may keep it.
  "Cache-Control": "no-store",
  "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  // Not no-referrer: under it Chromium sends `Origin: null` even on this page's own form post, which the origin check refuses.
  "Referrer-Policy": "same-origin",
};

export async function startLocalSecretScanner(options: LocalSecretScannerOptions): Promise<LocalSecretScanner> {
  if (!isHttpUrl(options.hookUrl)) throw new Error("hookUrl must be an absolute http(s) URL.");
  if (options.appUrl !== undefined && !isHttpUrl(options.appUrl)) throw new Error("appUrl must be an absolute http(s) URL.");
  const host = options.host ?? "127.0.0.1";
  const appUrl = (options.appUrl ?? new URL(options.hookUrl).origin).replace(/\/$/, "");
  const privateKey = loadOrCreateKey(options.keyFile);
  const publicKey = createPublicKey(privateKey);
  const keyIdentifier = createHash("sha256")
    .update(publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  // The form's token: a page on another site cannot read it, so cannot post the form.
  const formToken = randomBytes(24).toString("base64url");
  const expectedFormToken = Buffer.from(formToken);
  let allowedHosts = new Set<string>();

  const signHeaders = (body: string | Buffer) => ({
    "Github-Public-Key-Identifier": keyIdentifier,
    // Node signs EC keys in DER (dsaEncoding "der"), the encoding GitHub sends.
    "Github-Public-Key-Signature": sign("sha256", typeof body === "string" ? Buffer.from(body, "utf8") : body, privateKey).toString("base64"),
  });

  async function report(findings: Finding[]): Promise<ReportOutcome> {
    const body = JSON.stringify(
      findings.map((f) => ({ token: f.token, type: f.type ?? SWITCHBOARD_TOKEN_TYPE, url: f.url ?? DEFAULT_FOUND_URL, source: f.source ?? "content" })),
    );
    let res: globalThis.Response;
    try {
      res = await fetch(options.hookUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": "GitHub-Secret-Scanning (local stand-in)", ...signHeaders(body) },
        body,
        signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
      });
    } catch (err) {
      const reason = err instanceof Error && err.name === "TimeoutError" ? `did not answer in ${REPORT_TIMEOUT_MS / 1000} s` : "could not be reached";
      return { delivered: false, problem: `Switchboard at ${options.hookUrl} ${reason}. Is it running?` };
    }
    const answerText = await res.text();
    let answer: unknown = answerText.slice(0, MAX_ANSWER_TEXT);
    try {
      answer = JSON.parse(answerText);
    } catch {
      // not JSON: kept as (the start of) the text
    }
    return { delivered: true, status: res.status, answer };
  }

  // --- Pages ----------------------------------------------------------------

  function sendHtml(res: Response, status: number, title: string, body: string): void {
    res
      .status(status)
      .set({ "Content-Type": "text/html; charset=utf-8", ...SECURITY_HEADERS })
      .send(page(title, body));
  }

  function renderForm(res: Response, status: number, form: { token?: string; url?: string; error?: string } = {}): void {
    sendHtml(
      res,
      status,
      "Report a leaked key",
      `<h1>Report a leaked key</h1>
<p class="hint">Paste a Switchboard API key as if GitHub had found it in a public repository. This page sends Switchboard a report signed the way GitHub signs them; a key of Switchboard's stops working at once and its account's owners get a mail.</p>
${form.error ? `<p class="error" role="alert">${escapeHtml(form.error)}</p>` : ""}
<form method="post" action="/">
<input type="hidden" name="form_token" value="${escapeHtml(formToken)}">
<label for="token">Key (token)</label>
<input id="token" name="token" type="text" required maxlength="${MAX_TOKEN_LENGTH}" autocomplete="off" autocapitalize="off" spellcheck="false" value="${escapeHtml(form.token ?? "")}">
<label for="url">Where it was found</label>
<input id="url" name="url" type="url" required maxlength="${MAX_URL_LENGTH}" autocomplete="off" value="${escapeHtml(form.url ?? DEFAULT_FOUND_URL)}">
<button type="submit">Report to Switchboard</button>
</form>
<p class="hint">Nothing you paste is logged or kept here. The report goes to <code>${escapeHtml(options.hookUrl)}</code>.</p>`,
    );
  }

  function labelWords(label: unknown, type: unknown): string {
    if (type !== SWITCHBOARD_TOKEN_TYPE) return "";
    if (label === "true_positive") return "One of Switchboard's keys: it no longer works, and the account's owners and admins are told where it was found.";
    if (label === "false_positive") return "Not a live key of Switchboard's: nothing changed.";
    return "";
  }

  function renderAnswer(res: Response, outcome: ReportOutcome, tokenHash: string): void {
    const links = `<p class="links"><a href="/">Report another key</a><a href="${escapeHtml(`${appUrl}/settings/api-keys`)}">Open Switchboard's API keys</a></p>`;
    if (!outcome.delivered) {
      return sendHtml(
        res,
        502,
        "Not delivered",
        `<h1>The report was not delivered</h1><p class="error" role="alert">${escapeHtml(outcome.problem)}</p>${links}`,
      );
    }
    const ok = outcome.status >= 200 && outcome.status < 300;
    const entries = ok && Array.isArray(outcome.answer) ? (outcome.answer as Record<string, unknown>[]) : null;
    const detail = entries
      ? entries
          .map((e) => {
            const words = labelWords(e?.label, e?.token_type);
            return `<dl>
<dt>token_hash</dt><dd><code>${escapeHtml(String(e?.token_hash ?? ""))}</code>${e?.token_hash === tokenHash ? " (the key you pasted)" : ""}</dd>
<dt>token_type</dt><dd><code>${escapeHtml(String(e?.token_type ?? ""))}</code></dd>
<dt>label</dt><dd><strong>${escapeHtml(String(e?.label ?? ""))}</strong></dd>
</dl>${words ? `<p class="${e?.label === "true_positive" ? "ok" : "note"}">${escapeHtml(words)}</p>` : ""}`;
          })
          .join("")
      : `<pre>${escapeHtml(typeof outcome.answer === "string" ? outcome.answer : JSON.stringify(outcome.answer, null, 2))}</pre>`;
    sendHtml(
      res,
      ok ? 200 : 502,
      ok ? "Reported" : "Refused",
      `<h1>${ok ? "Reported to Switchboard" : "Switchboard refused the report"}</h1>
<p class="${ok ? "ok" : "error"}" role="${ok ? "status" : "alert"}">Switchboard answered ${outcome.status}.${ok ? "" : " See its log; nothing should have changed."}</p>
<h2>Its answer</h2>
${detail}
${ok ? `<p class="hint">Reload the API keys page: the key shows as revoked, found public at the URL you gave.</p>` : ""}
${links}`,
    );
  }

  // --- Routes ---------------------------------------------------------------

  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  const raw = express.raw({ type: () => true, limit: BODY_LIMIT });
  const json = express.json({ limit: BODY_LIMIT, strict: true });
  const run =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    (req: Request, res: Response, next: NextFunction): void => {
      handler(req, res).catch(next);
    };

  // Public keys are public: any caller (the app fetches them from 127.0.0.1).
  app.get(KEYS_PATH, (_req, res) => {
    res.set({ "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" }).json({
      public_keys: [{ key_identifier: keyIdentifier, key: publicKeyPem, is_current: true }],
    });
  });

  // Everything else only for a browser or script that addressed this server by name, from its own origin.
  app.use((req, res, next) => {
    const hostHeader = (req.get("host") ?? "").toLowerCase();
    const origin = req.get("origin");
    if (!allowedHosts.has(hostHeader)) return void res.status(421).set(SECURITY_HEADERS).type("text/plain").send(`Open this page at ${baseUrl}/.`);
    // A browser names the page a post comes from; "null" (a sandboxed or opaque page) is not this one either.
    if (req.method !== "GET" && req.method !== "HEAD" && origin !== undefined && origin !== `http://${hostHeader}`) {
      return void res.status(403).set(SECURITY_HEADERS).type("text/plain").send(`Posts from other pages are refused: open ${baseUrl}/ and report from there.`);
    }
    next();
  });

  app.get("/", (_req, res) => renderForm(res, 200));

  app.post(
    "/",
    raw,
    run(async (req, res) => {
      if (!req.is("application/x-www-form-urlencoded")) return renderForm(res, 415, { error: "Send the form as a form." });
      const bytes = req.body instanceof Buffer ? req.body : Buffer.alloc(0);
      const fault = findUrlEncodedFault(bytes);
      if (fault) return renderForm(res, 400, { error: `${fault.path.join(".")} must be valid UTF-8.` });
      const fields = new URLSearchParams(decodeUtf8(bytes) ?? "");
      const given = Buffer.from(fields.get("form_token") ?? "");
      if (given.length !== expectedFormToken.length || !timingSafeEqual(given, expectedFormToken)) {
        return renderForm(res, 403, { error: "This form is out of date (the scanner was restarted). Paste the key again and press Report." });
      }
      const token = fields.get("token") ?? "";
      const url = fields.get("url") ?? "";
      const parsed = FindingSchema.safeParse({ token: token.trim(), url: url.trim() });
      if (!parsed.success) return renderForm(res, 400, { token, url, error: parsed.error.issues[0]!.message });
      renderAnswer(res, await report([parsed.data]), sha256Hex(parsed.data.token));
    }),
  );

  app.post(
    "/report",
    json,
    run(async (req, res) => {
      if (!req.is("application/json")) return void res.status(415).set(SECURITY_HEADERS).json({ error: "Send JSON (Content-Type: application/json)." });
      const parsed = ReportRequest.safeParse(req.body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return void res.status(400).set(SECURITY_HEADERS).json({ error: issue.message });
      }
      const outcome = await report(Array.isArray(parsed.data) ? parsed.data : [parsed.data]);
      if (!outcome.delivered) return void res.status(502).set(SECURITY_HEADERS).json({ error: outcome.problem });
      res.set(SECURITY_HEADERS).json({ status: outcome.status, answer: outcome.answer });
    }),
  );

  app.use((_req, res) => sendHtml(res, 404, "Not found", `<h1>No such page</h1><p><a href="/">Report a leaked key</a></p>`));

  // Nothing is logged: requests carry tokens.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = typeof err === "object" && err !== null && "status" in err && typeof err.status === "number" ? err.status : 500;
    const clientError = status >= 400 && status < 500;
    const message =
      status === 413
        ? `The request is too large (${BODY_LIMIT / 1024} KB at most).`
        : clientError
          ? "The request body could not be read (malformed JSON or form)."
          : "Something went wrong in the local secret scanner.";
    if (req.path === "/report")
      return void res
        .status(clientError ? status : 500)
        .set(SECURITY_HEADERS)
        .json({ error: message });
    sendHtml(res, clientError ? status : 500, "Error", `<h1>Something went wrong</h1><p class="error" role="alert">${escapeHtml(message)}</p>`);
  });

  const server = createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? DEFAULT_PORT, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}`;
  allowedHosts = new Set([`${urlHost}:${port}`, `127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    keysUrl: `${baseUrl}${KEYS_PATH}`,
    keyIdentifier,
    publicKeyPem,
    sign: signHeaders,
    report,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

const Settings = z.object({
  SECRET_SCANNING_KEYS_URL: z.string().url().optional(),
  LOCAL_SECRET_SCANNER_PORT: z.coerce
    .number({ invalid_type_error: "LOCAL_SECRET_SCANNER_PORT must be a port number" })
    .int()
    .min(0)
    .max(65535)
    .default(DEFAULT_PORT),
});

/** The stand-in run alone (`npm run dev:secret-scanner`); `npm start` reads the same variables through app config. */
export function localSecretScannerSettings(env: Record<string, string | undefined>): { keysUrlFromEnv: string | undefined; port: number } {
  const parsed = Settings.safeParse({
    ...env,
    SECRET_SCANNING_KEYS_URL: env.SECRET_SCANNING_KEYS_URL || undefined,
    LOCAL_SECRET_SCANNER_PORT: env.LOCAL_SECRET_SCANNER_PORT || undefined,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.join(".")}: ${issue.message}`);
  }
  return { keysUrlFromEnv: parsed.data.SECRET_SCANNING_KEYS_URL, port: parsed.data.LOCAL_SECRET_SCANNER_PORT };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let settings: ReturnType<typeof localSecretScannerSettings>;
  try {
    settings = localSecretScannerSettings(process.env);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  }
  const appUrl = (process.env.SWITCHBOARD_URL ?? "http://localhost:3000").replace(/\/$/, "");
  const keyFile = path.resolve(process.env.DATA_DIR ?? ".data", "secret-scanner-key.pem");
  const scanner = await startLocalSecretScanner({ port: settings.port, hookUrl: `${appUrl}/hooks/secret-scanning`, appUrl, keyFile }).catch((err: unknown) => {
    const inUse = typeof err === "object" && err !== null && "code" in err && err.code === "EADDRINUSE";
    console.error(
      inUse
        ? `Port ${settings.port} is taken (npm start runs this stand-in itself; see its banner). Set LOCAL_SECRET_SCANNER_PORT to use another.`
        : err instanceof Error
          ? err.message
          : String(err),
    );
    process.exit(1);
  });
  console.log(`Local secret scanner at ${scanner.url}; signed reports go to ${appUrl}/hooks/secret-scanning (key id ${scanner.keyIdentifier}).`);
  console.log(`Start Switchboard with SECRET_SCANNING_KEYS_URL=${scanner.keysUrl} so it trusts this key.`);
}
