/**
 * Activities of the deleteAccount workflow. Each re-reads the database, is
 * idempotent (status guards, step records, mail dedupe keys) and returns
 * ids, codes and counts only: addresses are read and used inside, never returned.
 */
import { ApplicationFailure } from "@temporalio/activity";
import type { Config } from "../app/config.server.js";
import { deliveryMode, enqueueMail, outboxStatusesOf } from "../app/mail/mailer.server.js";
import { deletionConfirmationMail } from "../app/mail/templates/deletion.js";
import type { MailingProvider } from "../app/mailing-lists/provider.server.js";
import { markAccountDeleted } from "../app/models/accounts.server.js";
import { revokeAccountKeys } from "../app/models/api-keys.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import { liveDeletionOf, markDeletionRunning, recordDeletionStep } from "../app/models/deletions.server.js";
import { listIdsOfUsers, unsubscribeUsersFromList } from "../app/models/mailing.server.js";
import { memberAddresses, memberUserIds } from "../app/models/memberships.server.js";
import { waitingTransfersOf } from "../app/models/tickets.server.js";
import { erasePersonalData } from "../app/models/erasure.server.js";
import { revokeAccountSessions } from "../app/models/sessions.server.js";
import type { Db } from "../db/connection.js";
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

  async function liveDeletion(accountId: string) {
    const deletion = await liveDeletionOf(db, accountId);
    if (!deletion) throw ApplicationFailure.create({ message: "no deletion was requested for this account", type: "deletion_not_requested" });
    return deletion;
  }

  return {
    /**
     * Step 1: marks the deletion running, revokes keys and ends sessions again; returns the lists to leave,
     * and names the transfers still waiting on this account, which the workflow tells to re-check.
     */
    async beginDeletion(accountId: string): Promise<{ listIds: string[]; waitingTransfers: string[] }> {
      await liveDeletion(accountId);
      return db.transaction().execute(async (trx) => {
        await markDeletionRunning(trx, accountId);
        const keys = await revokeAccountKeys(trx, accountId, "account_deleted");
        const sessions = await revokeAccountSessions(trx, accountId, "account_deleted");
        await recordDeletionStep(trx, { accountId, step: step("keys_and_sessions_revoked", `${keys} keys, ${sessions} sessions`) }, actor());
        const listIds = await listIdsOfUsers(trx, await memberUserIds(trx, accountId));
        return { listIds, waitingTransfers: await waitingTransfersOf(trx, accountId) };
      });
    },

    /** Step 2, once per list: off the list in the database, then at the provider (retried until it answers). */
    async unsubscribeAccountFromList({ accountId, listId }: { accountId: string; listId: string }): Promise<number> {
      const users = await memberUserIds(db, accountId);
      if (users.length === 0) return 0;
      await unsubscribeUsersFromList(db, users, listId);
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
      const users = await memberUserIds(db, accountId);
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
        const users = await memberAddresses(trx, accountId);
        for (const u of users) {
          await enqueueMail(
            trx,
            {
              to: u.email,
              ...deletionConfirmationMail(),
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
      const statuses = await outboxStatusesOf(db, { type: "account", id: accountId }, CONFIRMATION_KIND);
      if (statuses.some((s) => s === "pending" || s === "sending")) {
        throw ApplicationFailure.create({ message: "the confirmation has not left yet", type: "confirmation_not_sent_yet" });
      }
      const outcome = statuses.length === 0 ? "none" : statuses.every((s) => s === "kept") ? "kept_in_outbox" : statuses.join(",");
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
        if (await markAccountDeleted(trx, accountId)) {
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
