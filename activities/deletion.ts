/**
 * Activities of the deleteAccount workflow. Each re-reads the database, is
 * idempotent (status guards, step records, mail dedupe keys) and returns
 * ids, codes and counts only: addresses are read and used inside, never returned.
 */
import { ApplicationFailure } from "@temporalio/activity";
import { sql } from "kysely";
import type { Config } from "../app/config.server.js";
import { deliveryMode, enqueueMail } from "../app/mail/mailer.server.js";
import type { MailingProvider } from "../app/mailing-lists/provider.server.js";
import { revokeAccountKeys } from "../app/models/api-keys.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import { liveDeletionOf, recordDeletionStep } from "../app/models/deletions.server.js";
import { waitingTransfersOf } from "../app/models/tickets.server.js";
import { erasePersonalData } from "../app/models/erasure.server.js";
import { revokeAccountSessions } from "../app/models/sessions.server.js";
import type { Db, DbOrTrx } from "../db/connection.js";
import { actor, step } from "./common.js";
import { providerFailure } from "./mailing.js";

const CONFIRMATION_KIND = "deletion_confirmation";

export function deletionActivities({
  db,
  config,
  mailingProvider,
}: {
  db: Db;
  config: Pick<Config, "publicUrl" | "smtpUrl" | "tombstoneSecret">;
  mailingProvider?: MailingProvider;
}) {
  const mode = deliveryMode(config);
  const memberIds = async (trx: DbOrTrx, accountId: string) =>
    (await trx.selectFrom("memberships").select("user_id").where("account_id", "=", accountId).execute()).map((m) => m.user_id);

  async function liveDeletion(accountId: string) {
    const deletion = await liveDeletionOf(db, accountId);
    if (!deletion) throw ApplicationFailure.create({ message: "no deletion was requested for this account", type: "deletion_not_requested" });
    return deletion;
  }

  return {
    /** Step 1: marks the deletion running, revokes keys and ends sessions again; returns the lists to leave. */
    /** Step 1; also names the transfers still waiting on this account, which the workflow tells to re-check. */
    async beginDeletion(accountId: string): Promise<{ listIds: string[]; waitingTransfers: string[] }> {
      await liveDeletion(accountId);
      return db.transaction().execute(async (trx) => {
        await trx.updateTable("account_deletions").set({ status: "running" }).where("account_id", "=", accountId).where("status", "=", "pending").execute();
        const keys = await revokeAccountKeys(trx, accountId, "account_deleted");
        const sessions = await revokeAccountSessions(trx, accountId, "account_deleted");
        await recordDeletionStep(trx, { accountId, step: step("keys_and_sessions_revoked", `${keys} keys, ${sessions} sessions`) }, actor());
        const users = await memberIds(trx, accountId);
        const lists = users.length
          ? await trx.selectFrom("mailing_subscriptions").select("list_id").distinct().where("user_id", "in", users).orderBy("list_id").execute()
          : [];
        return { listIds: lists.map((l) => l.list_id), waitingTransfers: await waitingTransfersOf(trx, accountId) };
      });
    },

    /** Step 2, once per list: off the list in the database, then at the provider (retried until it answers). */
    async unsubscribeAccountFromList({ accountId, listId }: { accountId: string; listId: string }): Promise<number> {
      const users = await memberIds(db, accountId);
      if (users.length === 0) return 0;
      await db
        .updateTable("mailing_subscriptions")
        .set({ subscribed: false, changed_at: sql`now()` })
        .where("user_id", "in", users)
        .where("list_id", "=", listId)
        .where("subscribed", "=", true)
        .execute();
      if (mailingProvider) {
        try {
          for (const userId of users) await mailingProvider.unsubscribe(listId, userId);
        } catch (err) {
          providerFailure(err);
        }
      }
      await recordDeletionStep(db, { accountId, step: step(`unsubscribed:${listId}`, mailingProvider ? "provider_and_database" : "database") }, actor());
      return users.length;
    },

    /** Step 2, end: the provider forgets the contacts. */
    async eraseProviderContacts(accountId: string): Promise<number> {
      const users = await memberIds(db, accountId);
      if (mailingProvider) {
        try {
          for (const userId of users) await mailingProvider.eraseContact(userId);
        } catch (err) {
          providerFailure(err);
        }
      }
      await recordDeletionStep(db, { accountId, step: step("provider_contacts_erased", mailingProvider ? String(users.length) : "no_provider") }, actor());
      return users.length;
    },

    /** Step 3: the confirmation, to each person's address as read here (enqueued once per person). */
    async sendDeletionConfirmation(accountId: string): Promise<number> {
      return db.transaction().execute(async (trx) => {
        const users = await trx
          .selectFrom("memberships")
          .innerJoin("users", "users.id", "memberships.user_id")
          .select(["users.id", "users.email"])
          .where("memberships.account_id", "=", accountId)
          .where("users.email", "is not", null)
          .execute();
        for (const u of users) {
          await enqueueMail(
            trx,
            {
              to: u.email!,
              subject: "Your Switchboard account is being deleted",
              text:
                "As you asked, we are deleting your Switchboard account.\n\n" +
                "- Your API keys no longer work and every session has ended.\n" +
                "- You are unsubscribed from all of our mailing lists.\n" +
                "- Your personal data (email address, name, picture, sign-in identities, tickets' addresses and notes) is being erased. " +
                "We keep the account's credit history, without anything that identifies you, because bookkeeping law requires it.\n" +
                "- This email address can never be used to create a Switchboard account again.\n\n" +
                "This cannot be undone. This is the last mail we send to this address.",
              kind: CONFIRMATION_KIND,
              dedupeKey: `delete:${accountId}:confirmation:${u.id}`,
              related: { type: "account", id: accountId },
            },
            mode,
          );
        }
        await recordDeletionStep(trx, { accountId, step: step("confirmation_queued", String(users.length)) }, actor());
        return users.length;
      });
    },

    /** Step 3, end: waits (by retrying) until the dispatcher has handed the confirmation over or given up on it. */
    async awaitDeletionConfirmationSent(accountId: string): Promise<string> {
      const rows = await db
        .selectFrom("mail_outbox")
        .select("status")
        .where("related_type", "=", "account")
        .where("related_id", "=", accountId)
        .where("kind", "=", CONFIRMATION_KIND)
        .execute();
      if (rows.some((r) => r.status === "pending" || r.status === "sending")) {
        throw ApplicationFailure.create({ message: "the confirmation has not left yet", type: "confirmation_not_sent_yet" });
      }
      const outcome = rows.length === 0 ? "none" : rows.every((r) => r.status === "kept") ? "kept_in_outbox" : rows.map((r) => r.status).join(",");
      await recordDeletionStep(db, { accountId, step: step("confirmation_sent", outcome) }, actor());
      return outcome;
    },

    async noteDeletionConfirmationUnsent(accountId: string): Promise<void> {
      await recordDeletionStep(db, { accountId, step: step("confirmation_sent", "gave_up_waiting") }, actor());
    },

    /** Steps 4 and 5: erasure and tombstone in one transaction (see app/models/erasure.server.ts). */
    async eraseAccountPersonalData(accountId: string): Promise<{ usersErased: number; tombstones: number }> {
      return db.transaction().execute(async (trx) => {
        const counts = await erasePersonalData(trx, accountId, config.tombstoneSecret);
        await recordDeletionStep(
          trx,
          {
            accountId,
            step: step(
              "personal_data_erased",
              `${counts.usersErased} people, ${counts.mails} mails, ${counts.tickets} tickets, ${counts.auditRows} audit rows`,
            ),
          },
          actor(),
        );
        await recordDeletionStep(trx, { accountId, step: step("tombstone_written", String(counts.tombstones)) }, actor());
        return { usersErased: counts.usersErased, tombstones: counts.tombstones };
      });
    },

    /** Step 6: deleted. */
    async completeDeletion(accountId: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const changed = await trx
          .updateTable("accounts")
          .set({ status: "deleted" })
          .where("id", "=", accountId)
          .where("status", "=", "deleting")
          .executeTakeFirst();
        if (Number(changed.numUpdatedRows) > 0) {
          await writeAudit(trx, actor(), { action: "account.deleted", targetType: "account", targetId: accountId });
        }
        await recordDeletionStep(trx, { accountId, step: step("completed", "deleted"), status: "completed" }, actor());
      });
    },

    async failDeletion({ accountId, code }: { accountId: string; code: string }): Promise<void> {
      await recordDeletionStep(db, { accountId, step: step("failed", code), status: "failed", error: code }, actor());
    },
  };
}
