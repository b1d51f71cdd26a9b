/**
 * The label a request is counted under: one of a small fixed set of groups,
 * never the path itself. A path holds ids and tokens (/console/accounts/<id>,
 * /unsubscribe/<token>), and every distinct label value is a new time series
 * kept for good: raw paths would leak capabilities into the metrics and grow
 * them without bound.
 */
export const ROUTE_GROUPS = ["v1_account", "v1_usage", "v1_other", "hooks", "auth", "console", "health", "assets", "pages"] as const;
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

/** `url` is the request target as received (path and query). */
export function routeGroup(url: string | undefined): RouteGroup {
  let path = url ?? "/";
  const query = path.indexOf("?");
  if (query >= 0) path = path.slice(0, query);
  if (path === "/v1" || path.startsWith("/v1/")) {
    if (path === "/v1/account") return "v1_account";
    if (path === "/v1/usage") return "v1_usage";
    return "v1_other";
  }
  // Remix's single fetch asks for a page's data at `<page>.data` (`/_root.data` for the index).
  if (path.endsWith(".data")) path = path === "/_root.data" ? "/" : path.slice(0, -".data".length);
  if (path.startsWith("/hooks/")) return "hooks";
  if (path.startsWith("/auth/") || path === "/login" || path.startsWith("/login/") || path === "/logout") return "auth";
  if (path === "/console" || path.startsWith("/console/")) return "console";
  if (path === "/healthz") return "health";
  // The compiler's fingerprinted files, and files at the top of public/ (favicon.ico, robots.txt).
  if (path.startsWith("/build/") || /^\/[^/]+\.[A-Za-z0-9]+$/.test(path)) return "assets";
  return "pages";
}
