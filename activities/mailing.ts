/** Activities of the mailing-list workflows: mirror a subscription to the provider, send a list mail. */
import { ApplicationFailure } from "@temporalio/activity";
import type { Config } from "../app/config.server.js";
import { countOutboxMailsOf, deliveryMode, enqueueMail } from "../app/mail/mailer.server.js";
import { listMail } from "../app/mailing-lists/list-mail.server.js";
import { MailingProviderError, type MailingProvider } from "../app/mailing-lists/provider.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import { isPersonErased } from "../app/models/erasure.server.js";
import {
  getMailingWithList,
  markMailingSent,
  markSubscriptionSynced,
  subscribedAddressesAfter,
  subscriptionForProvider,
} from "../app/models/mailing.server.js";
import type { Db } from "../db/connection.js";
import { actor } from "./common.js";

const BATCH = 500;

/** A provider failure as Temporal should see it: retried when trying again can help. Never carries an address. */
export function providerFailure(err: unknown): never {
  if (err instanceof MailingProviderError)
    throw ApplicationFailure.create({ message: err.message, type: "mailing_provider_error", nonRetryable: !err.retryable });
  throw err;
}

export function mailingActivities({
  db,
  config,
  mailingProvider,
}: {
  db: Db;
  config: Pick<Config, "publicUrl" | "smtpUrl" | "unsubscribe">;
  mailingProvider?: MailingProvider;
}) {
  const mode = deliveryMode(config);
  return {
    /** Pushes the subscription's current state; "gone" once its person was erased. */
    async pushSubscription(subscriptionId: string): Promise<"subscribed" | "unsubscribed" | "gone" | "no_provider"> {
      if (!mailingProvider) return "no_provider";
      const row = await subscriptionForProvider(db, subscriptionId);
      if (!row || !row.email) return "gone";
      try {
        if (row.subscribed) await mailingProvider.subscribe(row.list_id, { id: row.user_id, email: row.email });
        else await mailingProvider.unsubscribe(row.list_id, row.user_id);
      } catch (err) {
        providerFailure(err);
      }
      await markSubscriptionSynced(db, subscriptionId);
      return row.subscribed ? "subscribed" : "unsubscribed";
    },

    /** Enqueues the next batch (keyset by subscription id); mail dedupe keys make a retried batch add nothing. */
    async enqueueListMailingBatch(input: { mailingId: string; after: string | null }): Promise<{ enqueued: number; next: string | null }> {
      return db.transaction().execute(async (trx) => {
        const mailing = await getMailingWithList(trx, input.mailingId);
        if (!mailing) throw ApplicationFailure.nonRetryable("mailing not found", "mailing_not_found");
        const subs = await subscribedAddressesAfter(trx, { listId: mailing.listId, after: input.after, limit: BATCH });
        let enqueued = 0;
        for (const s of subs) {
          const mail = listMail({
            publicUrl: config.publicUrl,
            secrets: config.unsubscribe.secrets,
            mailingId: mailing.id,
            list: { id: mailing.listId, name: mailing.listName },
            subscriptionId: s.id,
            to: s.email,
            subject: mailing.subject,
            text: mailing.text_body,
          });
          if ((await enqueueMail(trx, mail, mode)).enqueued) enqueued += 1;
        }
        return { enqueued, next: subs.length === BATCH ? subs[subs.length - 1]!.id : null };
      });
    },

    /**
     * A person erased when their last membership ended (erasePerson): the
     * provider forgets their contact. Started inside the erasing transaction,
     * so it may run before that commits: until the person reads as erased it
     * retries (and gives up, harmlessly, if the transaction never committed).
     */
    async eraseErasedPersonContact(userId: string): Promise<"erased" | "no_provider"> {
      if (!mailingProvider) return "no_provider";
      if (!(await isPersonErased(db, userId))) throw ApplicationFailure.create({ message: "the person is not erased (yet)", type: "person_not_erased" });
      try {
        await mailingProvider.eraseContact(userId);
      } catch (err) {
        providerFailure(err);
      }
      return "erased";
    },

    async finishListMailing(mailingId: string): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const n = await countOutboxMailsOf(trx, { type: "list_mailing", id: mailingId });
        if (await markMailingSent(trx, mailingId, n)) {
          await writeAudit(trx, actor(), { action: "mailing.sent", targetType: "list_mailing", targetId: mailingId, details: { recipients: n } });
        }
        return n;
      });
    },
  };
}
