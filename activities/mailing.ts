/** Activities of the mailing-list workflows: mirror a subscription to the provider, send a list mail. */
import { ApplicationFailure } from "@temporalio/activity";
import { sql } from "kysely";
import type { Config } from "../app/config.server.js";
import { deliveryMode, enqueueMail } from "../app/mail/mailer.server.js";
import { listMail } from "../app/mailing-lists/list-mail.server.js";
import { MailingProviderError, type MailingProvider } from "../app/mailing-lists/provider.server.js";
import { writeAudit } from "../app/models/audit.server.js";
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
      const row = await db
        .selectFrom("mailing_subscriptions as s")
        .innerJoin("users as u", "u.id", "s.user_id")
        .select(["s.user_id", "s.list_id", "s.subscribed", "u.email"])
        .where("s.id", "=", subscriptionId)
        .executeTakeFirst();
      if (!row || !row.email) return "gone";
      try {
        if (row.subscribed) await mailingProvider.subscribe(row.list_id, { id: row.user_id, email: row.email });
        else await mailingProvider.unsubscribe(row.list_id, row.user_id);
      } catch (err) {
        providerFailure(err);
      }
      await db
        .updateTable("mailing_subscriptions")
        .set({ provider_synced_at: sql`now()` })
        .where("id", "=", subscriptionId)
        .execute();
      return row.subscribed ? "subscribed" : "unsubscribed";
    },

    /** Enqueues the next batch (keyset by subscription id); mail dedupe keys make a retried batch add nothing. */
    async enqueueListMailingBatch(input: { mailingId: string; after: string | null }): Promise<{ enqueued: number; next: string | null }> {
      return db.transaction().execute(async (trx) => {
        const mailing = await trx
          .selectFrom("list_mailings as m")
          .innerJoin("mailing_lists as l", "l.id", "m.list_id")
          .select(["m.id", "m.subject", "m.text_body", "l.id as listId", "l.name as listName"])
          .where("m.id", "=", input.mailingId)
          .executeTakeFirst();
        if (!mailing) throw ApplicationFailure.nonRetryable("mailing not found", "mailing_not_found");
        const subs = await trx
          .selectFrom("mailing_subscriptions as s")
          .innerJoin("users as u", "u.id", "s.user_id")
          .select(["s.id", "u.email"])
          .where("s.list_id", "=", mailing.listId)
          .where("s.subscribed", "=", true)
          .where("u.email", "is not", null)
          .$if(input.after !== null, (q) => q.where("s.id", ">", input.after!))
          .orderBy("s.id")
          .limit(BATCH)
          .execute();
        let enqueued = 0;
        for (const s of subs) {
          const mail = listMail({
            publicUrl: config.publicUrl,
            secrets: config.unsubscribe.secrets,
            mailingId: mailing.id,
            list: { id: mailing.listId, name: mailing.listName },
            subscriptionId: s.id,
            to: s.email!,
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
      const user = await db.selectFrom("users").select("erased_at").where("id", "=", userId).executeTakeFirst();
      if (!user?.erased_at) throw ApplicationFailure.create({ message: "the person is not erased (yet)", type: "person_not_erased" });
      try {
        await mailingProvider.eraseContact(userId);
      } catch (err) {
        providerFailure(err);
      }
      return "erased";
    },

    async finishListMailing(mailingId: string): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const { n } = await trx
          .selectFrom("mail_outbox")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .where("related_type", "=", "list_mailing")
          .where("related_id", "=", mailingId)
          .executeTakeFirstOrThrow();
        const done = await trx
          .updateTable("list_mailings")
          .set({ status: "sent", recipients: Number(n), completed_at: sql`now()` })
          .where("id", "=", mailingId)
          .where("status", "=", "sending")
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) > 0) {
          await writeAudit(trx, actor(), { action: "mailing.sent", targetType: "list_mailing", targetId: mailingId, details: { recipients: Number(n) } });
        }
        return Number(n);
      });
    },
  };
}
