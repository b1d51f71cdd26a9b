/** Activities of leakedKey: tell the owners and admins of a key found public, once. */
import type { Config } from "../app/config.server.js";
import { deliveryMode } from "../app/mail/mailer.server.js";
import { leakedKeyFacts } from "../app/models/api-keys.server.js";
import { enqueueSecurityMail, SECRET_SCANNING_ACTOR_ID } from "../app/models/security-mail.server.js";
import type { Db } from "../db/connection.js";

export function leakedKeyActivities({ db, config }: { db: Db; config: Pick<Config, "publicUrl" | "smtpUrl"> }) {
  return {
    /**
     * The key's name, display form and where it was found are read here, from its row, so the
     * workflow's history holds the key id alone. Returns how many mails were enqueued (0 on a retry:
     * the outbox's dedupe keys are per key and person).
     */
    async mailLeakedKeyOwners(keyId: string): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const key = await leakedKeyFacts(trx, keyId);
        // Gone (its account erased) or not revoked as leaked: nothing to tell.
        if (!key || key.revoked_reason !== "leaked") return 0;
        return enqueueSecurityMail(trx, deliveryMode(config), {
          accountId: key.account_id,
          event: {
            kind: "key_leaked",
            key: { name: key.name, display: `${key.prefix}…${key.last4}` },
            foundUrl: key.leaked_url ?? "",
            source: key.leaked_source ?? "",
          },
          eventId: keyId,
          actor: { type: "system", id: SECRET_SCANNING_ACTOR_ID },
          at: key.revoked_at ?? new Date(),
          publicUrl: config.publicUrl,
        });
      });
    },
  };
}
