/**
 * Switchboard's mark, as a data URL: the favicon and the top bar's logo with
 * no request of their own (a page left mid-load never aborts one, and there is
 * no file to cache or 404).
 */
const MARK =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#2f4fd8"/>' +
  '<g fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round"><path d="M9 11h14M9 16h9M9 21h14"/></g><circle cx="23" cy="16" r="2.5" fill="#fff"/></svg>';

export const BRAND_ICON = `data:image/svg+xml,${encodeURIComponent(MARK)}`;
