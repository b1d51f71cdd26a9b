/**
 * The headers every answer of the web process carries (server/http-app.ts
 * applies them before anything else, so refusals and error pages have them
 * too): a Content-Security-Policy with a fresh nonce per request (the only
 * inline scripts allowed are the ones Remix and React write, which get it),
 * no framing, no sniffing, a referrer policy, a permissions policy, COOP,
 * and HSTS when the public URL is https. And which answers are never stored.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import helmet from "helmet";
import type { Config } from "../config.server.js";

export const CSP_REPORT_PATH = "/csp-report";

/** A per-request CSP nonce: 128 random bits, base64 (what CSP's nonce-source accepts). */
export const newCspNonce = () => randomBytes(16).toString("base64");

/** Where server/http-app.ts keeps the request's nonce (res.locals is Express's per-request bag). */
const nonceOf = (res: ServerResponse) => (res as ServerResponse & { locals?: { cspNonce?: string } }).locals?.cspNonce ?? "";

/** The origins a sign-in form may be redirected to (CSP's form-action applies to a form post's redirects too). */
function signInOrigins(config: Config): string[] {
  const local = new URL(config.oauth.localUrl).origin;
  return [...new Set([config.oauth.google ? "https://accounts.google.com" : local, config.oauth.github ? "https://github.com" : local])];
}

/** Where a billing form's post is redirected: the provider's hosted Checkout page (form-action covers that redirect too). */
function checkoutOrigins(config: Config): string[] {
  return config.payments.provider === "stripe" ? ["https://checkout.stripe.com"] : [new URL(config.payments.localCheckoutUrl).origin];
}

/**
 * Inline style *attributes* are allowed (style-src-attr 'unsafe-inline'): pages
 * use React `style={{…}}` for spacing, and an attribute cannot run script or
 * select elements, so it cannot read the page; `<style>` elements and style
 * sheets stay 'self' only (no CSS injection with selectors). Scripts: 'self'
 * files and nonce-carrying inline scripts only; no inline event handlers.
 */
export function cspDirectives(config: Config) {
  const https = config.publicUrl.startsWith("https://");
  return {
    "default-src": ["'self'"],
    "script-src": ["'self'", (_req: IncomingMessage, res: ServerResponse) => `'nonce-${nonceOf(res)}'`],
    "script-src-attr": ["'none'"],
    "style-src": ["'self'"],
    "style-src-elem": ["'self'"],
    "style-src-attr": ["'unsafe-inline'"],
    // data: for the favicon and the top bar's logo (app/components/brand.ts), which make no request of their own.
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'", ...new Set([...signInOrigins(config), ...checkoutOrigins(config)])],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    // report-uri, not report-to: sent at once by every browser (the Reporting API batches and Firefox
    // does not send it for CSP), so a journey sees a violation's report before it ends.
    "report-uri": [CSP_REPORT_PATH],
    ...(https ? { "upgrade-insecure-requests": [] } : {}),
  };
}

/** Nothing the app does needs these; an injected script gets none of them. */
export const PERMISSIONS_POLICY = [
  "accelerometer=()",
  "autoplay=()",
  "camera=()",
  "display-capture=()",
  "geolocation=()",
  "gyroscope=()",
  "hid=()",
  "magnetometer=()",
  "microphone=()",
  "midi=()",
  "payment=()",
  "publickey-credentials-get=()",
  "screen-wake-lock=()",
  "serial=()",
  "usb=()",
  "xr-spatial-tracking=()",
].join(", ");

export const HSTS = "max-age=31536000; includeSubDomains";

/** Helmet with the policy above; HSTS only over https (on plain http a browser ignores it, and localhost must stay reachable). */
export function securityHeaders(config: Config) {
  const https = config.publicUrl.startsWith("https://");
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(config) },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginOpenerPolicy: { policy: "same-origin" },
    crossOriginResourcePolicy: { policy: "same-origin" },
    crossOriginEmbedderPolicy: false,
    // Set per path by server/http-app.ts (links from mail carry a secret in their path).
    referrerPolicy: false,
    xFrameOptions: { action: "deny" },
  });
}

/**
 * Pages that show personal data or keys, or carry a secret in their URL: their
 * documents are never stored, whatever the route says. Every other page the
 * app renders gets no-store too unless its route chose a Cache-Control (all
 * carry the CSRF token; the start page shows the account's summary).
 */
export const PRIVATE_PATH_PREFIXES = ["/settings", "/console", "/support", "/login/password", "/confirm-transfer/", "/invitations/", "/unsubscribe/", "/auth/"];

export const isPrivatePath = (path: string) =>
  PRIVATE_PATH_PREFIXES.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p || path.startsWith(`${p}/`) || path.startsWith(`${p}.`)));
