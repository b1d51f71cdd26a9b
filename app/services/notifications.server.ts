/**
 * Changes to a person's mailing-list subscriptions: the whole set from
 * Settings → Notifications, or one subscription from a mail's unsubscribe
 * link; and which security mail they want. The change (and its audit rows) commits first; then each changed
 * subscription is mirrored to the mailing-list provider, whose workflow reads
 * the row as committed.
 */
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import {
  SECURITY_MAIL_KINDS,
  isCriticalSecurityMail,
  isSecurityMailKind,
  setSecurityMailOptOuts,
  type SecurityMailKind,
} from "../models/security-mail.server.js";
import { getSubscription, listMailingLists, setUserSubscriptions, unsubscribeById } from "../models/mailing.server.js";
import { mirrorSubscriptions } from "./mailing-sync.server.js";

type MailingServices = Pick<Services, "db" | "temporal" | "config" | "logger">;

/** Makes the person's subscriptions exactly `listIds`; an unknown list id changes nothing (a half-applied set would be worse than none). */
export async function saveSubscriptions(
  services: MailingServices,
  userId: string,
  listIds: readonly string[],
  actor: Actor,
): Promise<{ ok: true; changed: number } | { ok: false }> {
  const { db } = services;
  const known = new Set((await listMailingLists(db)).map((l) => l.id));
  if (listIds.some((id) => !known.has(id))) return { ok: false };
  const changed = await db.transaction().execute((trx) => setUserSubscriptions(trx, userId, new Set(listIds), actor));
  await mirrorSubscriptions(services, changed);
  return { ok: true, changed: changed.length };
}

export type LinkUnsubscribe = { state: "unsubscribed"; list: string } | { state: "not_subscribed"; list: string | null };

/** One-click unsubscribe from a list mail's link: idempotent. */
export async function unsubscribeByLink(services: MailingServices, subscriptionId: string, actor: Actor): Promise<LinkUnsubscribe> {
  const { db } = services;
  const sub = await getSubscription(db, subscriptionId);
  // The row is gone when its person was erased.
  if (!sub) return { state: "not_subscribed", list: null };
  const changed = await db.transaction().execute((trx) => unsubscribeById(trx, subscriptionId, actor));
  if (!changed) return { state: "not_subscribed", list: sub.listName };
  await mirrorSubscriptions(services, [subscriptionId]);
  return { state: "unsubscribed", list: sub.listName };
}

/**
 * Makes the security mail the person gets exactly `onKinds` (ticked = wanted). The critical kinds are
 * always sent: their boxes are disabled on the page, so they are never posted, and a post that leaves
 * them out (or any other way of asking to turn one off) changes nothing about them. An unknown kind
 * changes nothing at all. Audited (before and after: the kinds turned off) when something changed.
 */
export async function saveSecurityMailChoices(
  services: Pick<Services, "db">,
  userId: string,
  onKinds: readonly string[],
  actor: Actor,
): Promise<{ ok: true; changed: boolean } | { ok: false }> {
  if (onKinds.some((k) => !isSecurityMailKind(k))) return { ok: false };
  const on = new Set(onKinds);
  const off = new Set<SecurityMailKind>(SECURITY_MAIL_KINDS.filter((k) => !on.has(k) && !isCriticalSecurityMail(k)));
  const changed = await services.db.transaction().execute(async (trx) => {
    const { before, after } = await setSecurityMailOptOuts(trx, userId, off);
    if (before.join() === after.join()) return false;
    await writeAudit(trx, actor, {
      action: "notifications.security_mail_changed",
      targetType: "user",
      targetId: userId,
      details: { before: { off: before }, after: { off: after } },
    });
    return true;
  });
  return { ok: true, changed };
}
