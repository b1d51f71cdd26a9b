/**
 * Where a scanner said it found a key (api_keys.leaked_url) is the scanner's
 * text, stored as reported: usually a GitHub URL, but it may be empty or not a
 * URL at all. Pages link to it only when it is an http(s) URL of sane length;
 * anything else is shown as plain text (a `javascript:` "URL" must never
 * become a link). Browser-safe: components import it.
 */
export const MAX_LINKED_URL_LENGTH = 2_000;

/** The URL to put in an href, or null when the text must be shown as text. */
export function linkableLeakUrl(reported: string | null | undefined): string | null {
  if (!reported || reported.length > MAX_LINKED_URL_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(reported);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  // No credentials in a link we render (https://user:pass@host/…).
  if (url.username || url.password) return null;
  return url.href;
}
