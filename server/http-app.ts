/** The Express app around Remix: static assets, then every request to Remix with the services. */
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import type { IncomingMessage, ServerResponse } from "node:http";
import express from "express";
import { createV1Handler } from "../app/api/v1.server.js";
import type { Services } from "../app/services.server.js";

const MAX_BODY_BYTES = 1_000_000;

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
    // A body left unread when the answer goes out would be read as the next request on this
    // connection: tell the client the connection ends with this answer (RFC 9112 §9.6).
    const writeHead = res.writeHead;
    res.writeHead = function (this: typeof res, ...args: Parameters<typeof res.writeHead>) {
      if (!req.complete && !res.headersSent) res.setHeader("Connection", "close");
      return writeHead.apply(this, args);
    } as typeof res.writeHead;
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
      let sameOrigin = false;
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

/** Pages whose URL is itself the permission (a token from a mail). */
const CAPABILITY_PATHS = ["/unsubscribe/", "/confirm-transfer/", "/invitations/"];

export function createHttpApp(build: ServerBuild, services: Services, publicDir: string): express.Express {
  const app = express();
  app.disable("x-powered-by");
  // Client addresses go into the audit trail: only believe X-Forwarded-For from configured proxies.
  if (services.config.trustProxy !== undefined) app.set("trust proxy", services.config.trustProxy);
  app.use(requestHygiene(services.config.trustProxy !== undefined));
  app.use((req, res, next) => {
    if (Number(req.headers["content-length"] ?? 0) > MAX_BODY_BYTES) {
      res.status(413).type("text/plain").send("The request body is too large (1 MB at most).");
      return;
    }
    next();
  });
  app.use((req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    // Links from mail carry a secret in their path: those pages send at most their origin as Referer.
    // Not no-referrer: Chromium then sends `Origin: null` with the page's own form posts, which Remix refuses as CSRF.
    res.setHeader("Referrer-Policy", CAPABILITY_PATHS.some((p) => req.path.startsWith(p)) ? "strict-origin" : "same-origin");
    next();
  });
  // Fingerprinted by the Remix compiler, so they can be cached for good.
  app.use("/build", express.static(`${publicDir}/build`, { immutable: true, maxAge: "1y" }));
  app.use(express.static(publicDir, { maxAge: "1h" }));
  app.all(
    "*",
    createRequestHandler({
      build,
      mode: services.config.isProduction ? "production" : "development",
      getLoadContext: (req) => ({ services, ip: req.ip ?? null }),
    }),
  );
  return app;
}

/**
 * Everything the web process answers: /v1/* goes straight to the lean API
 * handler (see app/api/v1.server.ts for why it bypasses Express), the rest to
 * Express and Remix.
 */
export function createRequestListener(build: ServerBuild, services: Services, publicDir: string) {
  const app = createHttpApp(build, services, publicDir);
  const v1 = createV1Handler({
    db: services.db,
    temporal: services.temporal,
    taskQueue: services.config.temporal.taskQueue,
    logger: services.logger,
    runtime: services.api,
    trustProxy: services.config.trustProxy,
  });
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/v1/") || req.url === "/v1") v1(req, res);
    else app(req, res);
  };
}
