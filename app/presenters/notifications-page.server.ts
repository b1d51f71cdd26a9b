/** Settings → Notifications: every mailing list, with whether the person is on it. */
import type { Services } from "../context.server.js";
import { userSubscriptions } from "../models/mailing.server.js";

export async function loadNotificationsPage(services: Pick<Services, "db">, userId: string) {
  const lists = await userSubscriptions(services.db, userId);
  return { lists: lists.map((l) => ({ id: l.listId, name: l.name, description: l.description, subscribed: l.subscribed })) };
}
