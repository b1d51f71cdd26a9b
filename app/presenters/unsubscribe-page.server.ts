/**
 * The unsubscribe link's page: which list, and whose address (masked: links
 * get forwarded), or that there is nothing to unsubscribe.
 */
import type { Services } from "../context.server.js";
import { maskEmail } from "../models/email.server.js";
import { getSubscription, subscriberEmail } from "../models/mailing.server.js";

export type UnsubscribeView =
  | { state: "confirm"; list: string; who: string | null; error: string | null }
  | { state: "unsubscribed"; list: string }
  | { state: "not_subscribed"; list: string | null }
  | { state: "invalid" };

export async function loadUnsubscribePage(services: Pick<Services, "db">, subscriptionId: string): Promise<UnsubscribeView> {
  const { db } = services;
  const sub = await getSubscription(db, subscriptionId);
  // The row is gone when its person was erased.
  if (!sub || !sub.subscribed) return { state: "not_subscribed", list: sub?.listName ?? null };
  const email = await subscriberEmail(db, sub.user_id);
  if (!email) return { state: "not_subscribed", list: sub.listName };
  return { state: "confirm", list: sub.listName, who: maskEmail(email), error: null };
}

/** The list a subscription is on (null: no such subscription any more). */
export async function subscriptionListName(services: Pick<Services, "db">, subscriptionId: string): Promise<string | null> {
  return (await getSubscription(services.db, subscriptionId))?.listName ?? null;
}
