/**
 * The Express app around Remix: security headers, request hygiene, static
 * assets, then every request to Remix with the services, its body counted as
 * it is read (app/http/body-limit.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequestHandler as createRemixRequestHandler, writeReadableStreamToWritable, type ServerBuild } from "@remix-run/node";
import express from "express";
import { createV1Handler } from "../app/api/v1.server.js";
import { BodyTooLargeError, bodyLimitFor, countedBody, describeBytes } from "../app/http/body-limit.js";
import { HSTS, PERMISSIONS_POLICY, isPrivatePath, newCspNonce, securityHeaders } from "../app/http/security-headers.js";
import type { Services } from "../app/context.server.js";
import type { HttpMetrics } from "../app/metrics/web-metrics.server.js";
import { spendLimitNotifier } from "../app/services/security-notices.server.js";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const parsesAsHost = (host: string) => {
  try {
    new URL(`http://${host}`);
    return true;
  } catch {
    return false;
  }
};

/**
 * What Remix and PostgreSQL would otherwise turn into a 500, answered plainly
 * first: unknown methods, request targets that are not a path (absolute-form,
 * `*`), a Host that is not a host, NUL in the URL, and unsafe requests from
 * another origin (Remix's own check throws). An answer given before its request
 * body was read closes the connection.
 */
function requestHygiene(trustProxy: boolean): express.RequestHandler {
  return (req, res, next) => {
    closeWhenBodyUnread(req, res);
    const refuse = (status: number, text: string) => res.status(status).type("text/plain").send(text);
    if (!METHODS.has(req.method)) return refuse(405, `${req.method} is not supported here.`);
    if (!req.url.startsWith("/")) return refuse(400, "The request target must be a path.");
    // Without a trusted proxy, X-Forwarded-Host is anyone's word: Remix would build URLs (and its origin check) from it.
    if (!trustProxy) delete req.headers["x-forwarded-host"];
    const host = (req.headers["x-forwarded-host"] as string | undefined)?.split(",")[0]?.trim() || req.headers.host;
    if (!host || !parsesAsHost(host)) return refuse(400, "The Host header is not a host name.");
    if (/%00|\u0000/i.test(req.url)) return refuse(400, "The address contains a NUL character.");
    const origin = req.headers.origin;
    // Every method but GET: Remix's single-fetch runs its origin check on HEAD and OPTIONS `.data` requests too.
    if (req.method !== "GET" && origin !== undefined) {
      let sameOrigin: boolean;
      try {
        sameOrigin = new URL(origin).host === host;
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin) return refuse(403, "Forms are accepted from Switchboard's own pages only.");
    }
    next();
  };
}

/**
 * A body left unread when the answer goes out (refused early, or cut off at its
 * limit) would be read as the next request on this connection, and to keep the
 * connection Node would read and discard all of it: the connection ends with
 * this answer instead (RFC 9112 §9.6), and nothing more is read.
 */
function closeWhenBodyUnread(req: IncomingMessage, res: ServerResponse) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: typeof res, ...args: Parameters<typeof res.writeHead>) {
    if (!req.complete && !res.headersSent) res.setHeader("Connection", "close");
    return writeHead.apply(this, args);
  } as typeof res.writeHead;
}

const refuseTooLarge = (res: express.Response, limit: number) =>
  res
    .status(413)
    .set("Connection", "close")
    .type("text/plain")
    .send(`The request body is too large (${describeBytes(limit)} at most).`);

function remixHeaders(raw: IncomingMessage["headers"]): Headers {
  const headers = new Headers();
  // As @remix-run/express copies them (empty values left out).
  for (const [key, values] of Object.entries(raw)) {
    if (!values) continue;
    for (const value of Array.isArray(values) ? values : [values]) headers.append(key, value);
  }
  return headers;
}

/** The request's URL as @remix-run/express builds it: req.hostname honours "trust proxy", the port comes from X-Forwarded-Host or Host. */
function remixUrl(req: express.Request): string {
  const portOf = (host: string | undefined) => Number.parseInt(host?.split(":")[1] ?? "", 10);
  const forwardedPort = portOf(req.get("X-Forwarded-Host"));
  const hostPort = portOf(req.get("host"));
  const port = Number.isSafeInteger(forwardedPort) ? forwardedPort : Number.isSafeInteger(hostPort) ? hostPort : "";
  return new URL(`${req.protocol}://${req.hostname}${port ? `:${port}` : ""}${req.originalUrl}`).href;
}

/**
 * @remix-run/express's handler, except for the body: Remix reads it through
 * countedBody, so a body past its limit is refused with 413 the moment the
 * limit passes (the adapter handed Remix the raw request, read to its end),
 * and the loader or action reading it is aborted (Remix then logs nothing).
 * Also where no-store is applied to pages (see isPrivatePath).
 */
function remixHandler(build: ServerBuild, services: Services): express.RequestHandler {
  const handle = createRemixRequestHandler(build, services.config.isProduction ? "production" : "development");
  return async (req, res, next) => {
    const controller = new AbortController();
    // As the adapter does: stop a loader or action whose answer can no longer be sent.
    res.on("close", () => !res.writableFinished && controller.abort());
    const limit = bodyLimitFor(req.path);
    let tooLarge = false;
    const refuse = () => {
      tooLarge = true;
      if (!res.headersSent) refuseTooLarge(res, limit);
      controller.abort(new BodyTooLargeError(limit));
    };
    try {
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(remixUrl(req), {
        method: req.method,
        headers: remixHeaders(req.headers),
        signal: controller.signal,
        ...(hasBody ? { body: countedBody(req, limit, refuse), duplex: "half" } : {}),
      } as RequestInit);
      const response = await handle(request, { services, ip: req.ip ?? null, cspNonce: String(res.locals.cspNonce) });
      if (tooLarge || res.headersSent) {
        await response.body?.cancel().catch(() => undefined);
        return;
      }
      await sendRemixResponse(req, res, response);
    } catch (err) {
      // The 413 is the answer; whatever the handler made of its cut-off body is moot.
      if (tooLarge) return;
      next(err);
    }
  };
}

async function sendRemixResponse(req: express.Request, res: express.Response, response: Response) {
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [key, value] of response.headers.entries()) res.append(key, value);
  // Documents only: Remix's own fetches (Sec-Fetch-Dest: empty) are kept in no history, and Chromium
  // cuts no-store `.data` streams short (app/http/no-store.ts).
  const document = req.headers["sec-fetch-dest"] !== "empty";
  if (document && (isPrivatePath(req.path) || !response.headers.has("Cache-Control"))) res.setHeader("Cache-Control", "no-store");
  if (/text\/event-stream/i.test(response.headers.get("Content-Type") ?? "")) res.flushHeaders();
  if (response.body) await writeReadableStreamToWritable(response.body, res);
  else res.end();
}

/** Pages whose URL is itself the permission (a token from a mail). */
const CAPABILITY_PATHS = ["/unsubscribe/", "/confirm-transfer/", "/invitations/"];

export function createHttpApp(build: ServerBuild, services: Services, publicDir: string): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // Client addresses go into the audit trail: only believe X-Forwarded-For from configured proxies.
  if (services.config.trustProxy !== undefined) app.set("trust proxy", services.config.trustProxy);
  // First, so that every answer carries them, refusals and error pages included.
  app.use((_req, res, next) => {
    res.locals.cspNonce = newCspNonce();
    next();
  });
  app.use(securityHeaders(services.config));
  app.use((req, res, next) => {
    res.setHeader("Permissions-Policy", PERMISSIONS_POLICY);
    // Links from mail carry a secret in their path: those pages send at most their origin as Referer.
    // Not no-referrer: Chromium then sends `Origin: null` with the page's own form posts, which Remix refuses as CSRF.
    res.setHeader("Referrer-Policy", CAPABILITY_PATHS.some((p) => req.path.startsWith(p)) ? "strict-origin" : "same-origin");
    next();
  });
  app.use(requestHygiene(services.config.trustProxy !== undefined));
  // A declared length past the limit is refused before a byte is read; chunked bodies are counted as read.
  app.use((req, res, next) => {
    const limit = bodyLimitFor(req.path);
    if (Number(req.headers["content-length"] ?? 0) > limit) return void refuseTooLarge(res, limit);
    next();
  });
  // Fingerprinted by the Remix compiler, so they can be cached for good.
  app.use("/build", express.static(`${publicDir}/build`, { immutable: true, maxAge: "1y" }));
  app.use(express.static(publicDir, { maxAge: "1h" }));
  app.all("*", remixHandler(build, services));
  return app;
}

/**
 * Everything the web process answers: /v1/* goes straight to the lean API
 * handler (see app/api/v1.server.ts for why it bypasses Express), the rest to
 * Express and Remix. With `metrics`, every request of either is counted and
 * timed by route group (app/metrics/route-groups.ts).
 */
export function createRequestListener(build: ServerBuild, services: Services, publicDir: string, metrics?: HttpMetrics) {
  const app = createHttpApp(build, services, publicDir);
  const v1 = createV1Handler({
    temporal: services.temporal,
    taskQueue: services.config.temporal.taskQueue,
    logger: services.logger,
    runtime: services.api,
    trustProxy: services.config.trustProxy,
    onKeySpendLimitReached: spendLimitNotifier(services),
  });
  const https = services.config.publicUrl.startsWith("https://");
  return (req: IncomingMessage, res: ServerResponse) => {
    metrics?.observe(req, res);
    if (req.url?.startsWith("/v1/") || req.url === "/v1") {
      // JSON for programs: never sniffed as something else, never stored (v1 repeats no-store on each answer).
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Cache-Control", "no-store");
      if (https) res.setHeader("Strict-Transport-Security", HSTS);
      closeWhenBodyUnread(req, res);
      v1(req, res);
    } else app(req, res);
  };
}
