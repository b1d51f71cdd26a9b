/**
 * Pages that carry a secret (a key, a one-time password, a token in the URL)
 * must never be stored by a cache or the back/forward cache. Only documents say
 * no-store: a script's fetch of a `.data` response is kept in no history, and
 * Chromium aborts the tail of no-store `.data` streams, which surfaces as failed requests.
 * server/http-app.ts also applies no-store to every document by path (settings,
 * console, support, mail links: app/http/security-headers.ts), so a page that
 * forgets these helpers is still never stored.
 */
import type { HeadersFunction } from "@remix-run/node";

export const NO_STORE = { "Cache-Control": "no-store" } as const;

/** True for Remix's own data fetches (not a document load). */
export const fetchedByScript = (request: Request) => request.headers.get("Sec-Fetch-Dest") === "empty";

/** Headers for a loader's or action's answer on such a page. */
export const noStoreUnlessFetched = (request: Request): HeadersInit => (fetchedByScript(request) ? {} : NO_STORE);

/** The route's `headers` export: passes on the Cache-Control (and a refusal's Retry-After) its action or loader chose. */
export const passCacheControl: HeadersFunction = ({ loaderHeaders, actionHeaders }) => {
  const out = new Headers();
  const cacheControl = actionHeaders.get("Cache-Control") ?? loaderHeaders.get("Cache-Control");
  if (cacheControl) out.set("Cache-Control", cacheControl);
  const retryAfter = actionHeaders.get("Retry-After");
  if (retryAfter) out.set("Retry-After", retryAfter);
  return out;
};
