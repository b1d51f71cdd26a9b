/**
 * A link in a mail is often the recipient's key: whoever holds an invitation,
 * transfer-confirmation or unsubscribe link can act as them. Staff read every
 * outgoing mail in the console (/console/mail/:id), so the console shows those
 * links with their token masked; the stored mail and the copy the recipient
 * gets are untouched. One function decides what a masked link looks like, one
 * decides when the console may show a mail as sent.
 */
import type { Config } from "../config.server.js";

/**
 * Every path whose last segment is a bearer token (app/routes/*.$token.tsx).
 * A test fails when a route with a token parameter is missing here.
 */
export const TOKEN_LINK_PATHS = ["/confirm-transfer/", "/invitations/", "/unsubscribe/"] as const;

export const MASK = "••••••";
/** Shorter tokens show nothing of themselves: four characters of a short token are too much of it. */
const SHOW_LAST_FROM_LENGTH = 12;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// The token runs to the end of the path segment: white space, a quote, <> (as in List-Unsubscribe: <url>), ?, # or /.
const TOKEN_LINK = new RegExp(`(${TOKEN_LINK_PATHS.map(escapeRegExp).join("|")})([^\\s<>"'?#/]+)`, "gi");

/** `…/invitations/abcd…wxyz` → `…/invitations/••••••wxyz`, wherever such a path appears in the text. */
export function maskLinkTokens(text: string): string {
  return text.replace(TOKEN_LINK, (_all, path: string, token: string) => `${path}${MASK}${token.length >= SHOW_LAST_FROM_LENGTH ? token.slice(-4) : ""}`);
}

/**
 * Whether the console shows a mail's links in full. Only when nobody else
 * received it: without SMTP_URL a mail is "kept" and the console's Mail page is
 * the recipient's only mailbox (the newcomer's setup, README), so masking it
 * would make the link unusable for everyone. Production masks even those:
 * there, staff are never meant to be a mail's reader.
 */
export function mailLinksShownInFull(mail: { status: string }, config: Pick<Config, "isProduction">): boolean {
  return mail.status === "kept" && !config.isProduction;
}
