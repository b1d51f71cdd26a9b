/**
 * Console → Mail: the outbox newest first (keyset-paged) and one mail as
 * stored, its link tokens masked unless the outbox is the recipient's only copy.
 * Masking happens here: what a loader returns reaches the browser whole
 * (Remix embeds it in the page).
 */
import type { Services } from "../context.server.js";
import { mailLinksShownInFull, maskLinkTokens } from "../mail/link-tokens.js";
import { deliveryMode, getOutboxMail, listOutbox } from "../mail/mailer.server.js";
import { isUuid } from "../validation/ids.js";

/** `before`: the cursor of an "Older" link (PostgreSQL's timestamp text and the mail's id). */
export async function loadMailPage(services: Pick<Services, "db" | "config">, before: { createdAt: string; id: string } | undefined) {
  const { db, config } = services;
  const page = await listOutbox(db, before);
  return { ...page, mode: deliveryMode(config), production: config.isProduction, paged: before !== undefined };
}

/** null: no such mail. */
export async function loadMailMessagePage(services: Pick<Services, "db" | "config">, id: string) {
  const { db, config } = services;
  const stored = isUuid(id) ? await getOutboxMail(db, id) : undefined;
  if (!stored) return null;
  const linksInFull = mailLinksShownInFull(stored, config);
  const show = (s: string) => (linksInFull ? s : maskLinkTokens(s));
  const mail = {
    ...stored,
    subject: show(stored.subject),
    text_body: show(stored.text_body),
    headers: Object.fromEntries(Object.entries(stored.headers).map(([k, v]) => [k, show(String(v))])),
  };
  return { mail, linksInFull, retentionDays: config.mailBodyRetentionDays };
}
