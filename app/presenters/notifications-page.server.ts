/** Settings → Notifications: every mailing list, with whether the person is on it; every kind of security mail, with whether they get it. */
import type { Services } from "../context.server.js";
import { SECURITY_MAIL_WORDS } from "../mail/templates/security.js";
import { userSubscriptions } from "../models/mailing.server.js";
import { SECURITY_MAIL_KINDS, isCriticalSecurityMail, receivesSecurityMail, securityMailOptOuts } from "../models/security-mail.server.js";

export async function loadNotificationsPage(services: Pick<Services, "db">, userId: string) {
  const [lists, optOuts, receives] = await Promise.all([
    userSubscriptions(services.db, userId),
    securityMailOptOuts(services.db, userId),
    receivesSecurityMail(services.db, userId),
  ]);
  return {
    lists: lists.map((l) => ({ id: l.listId, name: l.name, description: l.description, subscribed: l.subscribed })),
    securityMail: {
      /** False: not an owner or admin of any account now, so none of it reaches them (yet their choices are kept). */
      receives,
      kinds: SECURITY_MAIL_KINDS.map((kind) => ({
        kind,
        ...SECURITY_MAIL_WORDS[kind],
        critical: isCriticalSecurityMail(kind),
        on: isCriticalSecurityMail(kind) || !optOuts.has(kind),
      })),
    },
  };
}
