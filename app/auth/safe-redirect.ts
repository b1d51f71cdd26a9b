/** Only same-site paths: never `//evil.example` or `https://…` (open-redirect guard). */
export function safeRedirect(to: string | null | undefined, fallback = "/"): string {
  if (!to || typeof to !== "string") return fallback;
  if (!to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  if (/[\u0000-\u001f]/.test(to)) return fallback;
  if (/^[\x20-\x7e]*$/.test(to)) return to;
  // A Location header carries Latin-1 only (a raw "✓" or U+2028 would crash the response): percent-encode the rest.
  try {
    return encodeURI(to);
  } catch {
    return fallback; // a lone surrogate
  }
}
