/**
 * Records the histories the replay test checks, when asked to:
 *   RECORD_HISTORIES=1 npx vitest run test/workflows/record-histories.test.ts
 * Re-record only on purpose (a deliberate, versioned workflow change): the
 * committed files are what running workflows in production look like, so a
 * file that exists is kept; delete it to record it anew. Every recording is
 * checked for the addresses and names its run used before it is written.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { WorkflowHandle } from "@temporalio/client";
import { temporal } from "@temporalio/proto";
import { describe, expect, it } from "vitest";
import { markConfirmed } from "../../app/models/tickets.server.js";
import { requestStatusChange } from "../../app/services/account-status.server.js";
import { startDeletion } from "../../app/services/deletion.server.js";
import { createLogger } from "../../app/logger.server.js";
import { setUserSubscriptions } from "../../app/models/mailing.server.js";
import { parseConfig } from "../../app/config.server.js";
import { postLedgerEntry } from "../../app/models/ledger.server.js";
import { hashApiKey } from "../../app/models/api-key-format.server.js";
import { revokeLeakedKey } from "../../app/models/api-keys.server.js";
import { leakedKeyWorkflowId } from "../../workflows/leaked-key.js";
import { httpMailingProvider } from "../../app/mailing-lists/provider.server.js";
import { endMembership } from "../../app/services/members.server.js";
import { sendListMailing } from "../../app/services/list-mailing.server.js";
import { mirrorSubscriptions } from "../../app/services/mailing-sync.server.js";
import { withdrawTransfer } from "../../app/services/transfer.server.js";
import { startLocalMailingProvider } from "../../dev/local-mailing-provider.js";
import {
  approveTransferUpdate,
  confirmTransferSignal,
  contactErasureWorkflowId,
  deleteWorkflowId,
  listMailingWorkflowId,
  rejectTransferUpdate,
  subscriptionSyncWorkflowId,
  transferStatusQuery,
  unblockWorkflowId,
} from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { realActivities } from "../helpers/activities.js";
import { recordedHistoryText } from "../helpers/pii-scan.js";
import { useSuite } from "../helpers/suite.js";
import { TEST_TOMBSTONE_SECRET } from "../helpers/test-secrets.js";
import { confirmWithMailedToken, startTestTransfer } from "../helpers/transfers.js";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/histories");
const record = process.env.RECORD_HISTORIES === "1";
/** The history in protobuf's binary form: exact, and what the SDK decodes without a JSON mapping. */
const encode = (history: temporal.api.history.v1.IHistory) => temporal.api.history.v1.History.encode(history).finish();
const t = useSuite({ when: record });

/** Writes a new recording of the run's history, after checking it holds none of the `personal` strings the run used. */
async function save(file: string, handle: WorkflowHandle, personal: readonly string[]): Promise<void> {
  const target = path.join(dir, file);
  if (existsSync(target)) return;
  const history = await handle.fetchHistory();
  const text = recordedHistoryText(history).toLowerCase();
  for (const p of personal) expect(text, `${file} holds ${p}`).not.toContain(p.toLowerCase());
  await writeFile(target, encode(history));
}

const services = (env: Record<string, string> = {}) => ({
  db: t.db,
  temporal: t.temporal.client,
  config: parseConfig({ TEMPORAL_TASK_QUEUE: t.temporal.taskQueue, TOMBSTONE_SECRET: TEST_TOMBSTONE_SECRET, ...env }),
  logger: createLogger("silent", "record"),
});

const step = async (handle: WorkflowHandle) => (await handle.query(transferStatusQuery)).step;
const POLL = { timeout: 20_000, interval: 100 };

async function staffMember(role: "support" | "admin") {
  const row = await t.db
    .insertInto("staff")
    .values({ email: `record-${role}-${crypto.randomUUID().slice(0, 8)}@switchboard.test`, role })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { staffId: row.id, role };
}

/** Old and new accounts with real-looking owners; the transfer started as Settings → Email does and taken to `until`. */
async function transferUntil(
  name: string,
  until: "awaiting_confirmation" | "awaiting_approval",
  options: { confirmWithinMs?: number; oldOwesCents?: bigint } = {},
) {
  const oldEmail = `record-${name}-old@example.com`;
  const newEmail = `record-${name}-new@example.com`;
  const old = await accountWithKey(t.db, { balanceCents: options.oldOwesCents ? 0n : 1_000n, email: oldEmail });
  if (options.oldOwesCents) {
    await postLedgerEntry(t.db, {
      accountId: old.accountId,
      amountCents: -options.oldOwesCents,
      kind: "usage",
      idempotencyKey: "owe",
      actor: { type: "system", id: null },
    });
  }
  const fresh = await accountWithKey(t.db, { email: newEmail });
  const started = await startTestTransfer(
    { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
    { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail, confirmWithinMs: options.confirmWithinMs },
  );
  await expect.poll(() => step(started.handle), POLL).toBe("awaiting_confirmation");
  if (until === "awaiting_approval") {
    await confirmWithMailedToken(t.db, started.ticketId, started.handle, fresh.userId);
    await expect.poll(() => step(started.handle), POLL).toBe("awaiting_approval");
  }
  return { old, fresh, ...started, personal: [oldEmail, newEmail] };
}

describe.runIf(record)("record workflow histories", () => {
  it("a completed email transfer and the block it ran", async () => {
    const old = await accountWithKey(t.db, { balanceCents: 1_000n, email: "record-old@example.com" });
    await accountWithKey(t.db, { email: "record-new@example.com" });
    const staff = await t.db
      .insertInto("staff")
      .values({ email: "record-support@switchboard.test", role: "support" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "record-new@example.com" },
      );
      await expect.poll(async () => (await handle.query(transferStatusQuery)).step, { timeout: 15_000 }).toBe("awaiting_confirmation");
      const mail = await t.db
        .selectFrom("mail_outbox")
        .select("text_body")
        .where("related_id", "=", ticketId)
        .where("kind", "=", "transfer_confirmation")
        .executeTakeFirstOrThrow();
      const token = /confirm-transfer\/([A-Za-z0-9_-]{43})/.exec(mail.text_body)![1];
      await markConfirmed(t.db, ticketId, token, { type: "user", id: null });
      await handle.signal(confirmTransferSignal);
      await expect.poll(async () => (await handle.query(transferStatusQuery)).step, { timeout: 15_000 }).toBe("awaiting_approval");
      await handle.executeUpdate(approveTransferUpdate, { args: [{ staffId: staff.id, role: "support" }] });
      await handle.result();
      await save("email-transfer-completed.history.bin", handle, ["record-old@example.com", "record-new@example.com"]);
      const child = t.temporal.client.workflow.getHandle(`block-account:${old.accountId}`);
      await save("block-account-completed.history.bin", child, ["record-old@example.com", "record-new@example.com"]);
    });
  });

  it("an unblock", async () => {
    const a = await accountWithKey(t.db, { email: "record-unblock@example.com" });
    await t.db.updateTable("accounts").set({ status: "blocked" }).where("id", "=", a.accountId).execute();
    const staff = await t.db.insertInto("staff").values({ email: "record-admin@switchboard.test", role: "admin" }).returning("id").executeTakeFirstOrThrow();
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const started = await requestStatusChange(
        { db: t.db, temporal: t.temporal.client, config: parseConfig({ TEMPORAL_TASK_QUEUE: t.temporal.taskQueue }), logger: createLogger("silent", "record") },
        { accountId: a.accountId, action: "unblock", reasonCode: "unblock", reasonText: "recorded", staffId: staff.id },
        { type: "staff", id: staff.id },
      );
      if (!started.ok) throw new Error(started.message);
      const handle = t.temporal.client.workflow.getHandle(started.workflowId);
      await handle.result();
      await save("unblock-account-completed.history.bin", handle, ["record-unblock@example.com"]);
    });
  });

  it("a recharge", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 500n, email: "record-recharge@example.com" });
    await t.db
      .insertInto("recharge_rules")
      .values({ account_id: a.accountId, enabled: true, threshold_cents: "1000", target_cents: "5000", payment_method: "test_card_approve" })
      .execute();
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const handle = await t.temporal.client.workflow.start("recharge", {
        taskQueue: t.temporal.taskQueue,
        workflowId: `recharge:${a.accountId}`,
        args: [{ accountId: a.accountId }],
      });
      await handle.result();
      await save("recharge-completed.history.bin", handle, ["record-recharge@example.com"]);
    });
  });

  it("a key found public", async () => {
    const a = await accountWithKey(t.db, { email: "record-leaked@example.com" });
    const url = "https://github.com/record-someone/dotfiles/blob/0123456/.env";
    const revoked = await revokeLeakedKey(t.db, hashApiKey(a.key), { url, source: "content" });
    expect(revoked).toMatchObject({ found: true, newlyRevoked: true });
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const handle = await t.temporal.client.workflow.start("leakedKey", {
        taskQueue: t.temporal.taskQueue,
        workflowId: leakedKeyWorkflowId(a.keyId),
        args: [{ keyId: a.keyId }],
      });
      expect(await handle.result()).toEqual({ mailed: 1 });
      await save("leaked-key-completed.history.bin", handle, ["record-leaked@example.com", a.key, url, "record-someone"]);
    });
  });

  it("a deletion", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 250n, email: "record-delete@example.com" });
    await setUserSubscriptions(t.db, a.userId, new Set(["newsletter"]), { type: "user", id: a.userId });
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const services = {
        db: t.db,
        temporal: t.temporal.client,
        config: parseConfig({ TEMPORAL_TASK_QUEUE: t.temporal.taskQueue }),
        logger: createLogger("silent", "record"),
      };
      const started = await startDeletion(
        services,
        { accountId: a.accountId, source: "self", userId: a.userId, staffId: null, reason: "" },
        { type: "user", id: a.userId },
      );
      if (!started.ok) throw new Error(started.message);
      const handle = t.temporal.client.workflow.getHandle(started.workflowId);
      await handle.result();
      await save("delete-account-completed.history.bin", handle, ["record-delete@example.com"]);
    });
  });
  it("a transfer whose checks fail", async () => {
    const old = await accountWithKey(t.db, { email: "record-checks-old@example.com" });
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const { handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "record-nobody@example.com" },
      );
      expect(await handle.result()).toEqual({ outcome: "rejected" });
      await save("email-transfer-rejected-by-checks.history.bin", handle, ["record-checks-old@example.com", "record-nobody@example.com"]);
    });
  });

  it("a transfer support reject", async () => {
    const admin = await staffMember("admin");
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const p = await transferUntil("reject", "awaiting_approval");
      await p.handle.executeUpdate(rejectTransferUpdate, { args: [admin] });
      expect(await p.handle.result()).toEqual({ outcome: "rejected" });
      await save("email-transfer-rejected-by-staff.history.bin", p.handle, p.personal);
    });
  });

  it("a transfer nobody confirms in time", async () => {
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const p = await transferUntil("expire", "awaiting_confirmation", { confirmWithinMs: 1_500 });
      expect(await p.handle.result()).toEqual({ outcome: "expired" });
      await save("email-transfer-expired.history.bin", p.handle, p.personal);
    });
  });

  it("a transfer whose migration the ledger refuses, compensated by an unblock", async () => {
    const support = await staffMember("support");
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const p = await transferUntil("compensate", "awaiting_approval", { oldOwesCents: 6_000n });
      // The old account owes 60.00 and the new one spends down to −50.00 after verification: −110.00 would cross the limit.
      await postLedgerEntry(t.db, {
        accountId: p.fresh.accountId,
        amountCents: -5_000n,
        kind: "usage",
        idempotencyKey: "spend",
        actor: { type: "system", id: null },
      });
      await p.handle.executeUpdate(approveTransferUpdate, { args: [support] });
      expect(await p.handle.result()).toEqual({ outcome: "failed" });
      await save("email-transfer-compensated.history.bin", p.handle, p.personal);
      await save("unblock-account-after-failed-transfer.history.bin", t.temporal.client.workflow.getHandle(unblockWorkflowId(p.old.accountId)), p.personal);
    });
  });

  it("a transfer the requester withdraws", async () => {
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const p = await transferUntil("withdraw", "awaiting_confirmation");
      expect(await withdrawTransfer(services(), p.ticketId)).toEqual({ ok: true });
      expect(await p.handle.result()).toEqual({ outcome: "withdrawn" });
      await save("email-transfer-withdrawn.history.bin", p.handle, p.personal);
    });
  });

  it("a transfer staff cancel", async () => {
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const p = await transferUntil("cancel", "awaiting_confirmation");
      await p.handle.cancel();
      await expect(p.handle.result()).rejects.toThrow();
      expect((await p.handle.describe()).status.name).toBe("CANCELLED");
      await save("email-transfer-cancelled.history.bin", p.handle, p.personal);
    });
  });

  it("a deletion of the account a waiting transfer moves to: the deletion nudges the transfer, which fails", async () => {
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const p = await transferUntil("nudge", "awaiting_approval");
      const started = await startDeletion(
        services(),
        { accountId: p.fresh.accountId, source: "self", userId: p.fresh.userId, staffId: null, reason: "" },
        { type: "user", id: p.fresh.userId },
      );
      if (!started.ok) throw new Error(started.message);
      const deletion = t.temporal.client.workflow.getHandle(started.workflowId);
      expect(await deletion.result()).toEqual({ outcome: "deleted" });
      expect(await p.handle.result()).toEqual({ outcome: "failed" });
      await save("email-transfer-failed-new-account-deleted.history.bin", p.handle, p.personal);
      await save("delete-account-nudging-transfer.history.bin", deletion, p.personal);
    });
  });

  it("a mail to a list", async () => {
    const personal = ["record-list-a@example.com", "record-list-b@example.com"];
    for (const email of personal) {
      const a = await accountWithKey(t.db, { email });
      await setUserSubscriptions(t.db, a.userId, new Set(["product_updates"]), { type: "user", id: a.userId });
    }
    const admin = await staffMember("admin");
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const sent = await sendListMailing(
        services(),
        { listId: "product_updates", subject: "Recorded news", text: "Recorded text", staffId: admin.staffId },
        { type: "staff", id: admin.staffId },
      );
      expect(sent.started).toBe(true);
      const handle = t.temporal.client.workflow.getHandle(listMailingWorkflowId(sent.mailingId));
      expect(await handle.result()).toEqual({ recipients: 2 });
      await save("list-mailing-completed.history.bin", handle, [...personal, "Recorded news", "Recorded text"]);
    });
  });

  describe("with a mailing-list provider that fails now and then", () => {
    it("a subscription mirrored, a removed member's contact erased after retries, a deletion whose unsubscribes are retried", async () => {
      const provider = await startLocalMailingProvider();
      try {
        const providerEnv = { MAILING_PROVIDER_URL: provider.url, MAILING_PROVIDER_TOKEN: provider.token };
        const activities = realActivities(t.db, "http://switchboard.test", {
          mailingProvider: httpMailingProvider({ url: provider.url, token: provider.token }),
        });
        const personal = ["record-owner@example.com", "record-member@example.com", "record-leaver@example.com", "Rita Recorded"];
        const owner = await accountWithKey(t.db, { plan: "gpu_cluster", email: "record-owner@example.com" });
        const leaver = await accountWithKey(t.db, { email: "record-leaver@example.com" });
        const member = await t.db
          .insertInto("users")
          .values({ email: "record-member@example.com", name: "Rita Recorded", provider: "github" })
          .returning("id")
          .executeTakeFirstOrThrow();
        await t.db.insertInto("memberships").values({ account_id: owner.accountId, user_id: member.id, role: "member" }).execute();
        await t.temporal.runWorker(activities, async () => {
          // Mirrored: the member's and the leaver's subscriptions reach the provider.
          const memberSubs = await setUserSubscriptions(t.db, member.id, new Set(["newsletter"]), { type: "user", id: member.id });
          const leaverSubs = await setUserSubscriptions(t.db, leaver.userId, new Set(["newsletter", "product_updates"]), { type: "user", id: leaver.userId });
          await mirrorSubscriptions(services(providerEnv), [...memberSubs, ...leaverSubs]);
          const syncs = [...memberSubs, ...leaverSubs].map((id) => t.temporal.client.workflow.getHandle(subscriptionSyncWorkflowId(id)));
          for (const h of syncs) expect(await h.result()).toEqual({ pushes: 1 });
          await save("sync-subscription-completed.history.bin", syncs[0]!, personal);

          // Removed from their only account: the provider forgets them, after refusing twice.
          provider.control({ failNext: 2, failOn: "erase", failStatus: 503 });
          const removed = await endMembership(services(providerEnv), { accountId: owner.accountId, userId: member.id }, { type: "user", id: owner.userId });
          expect(removed.ok).toBe(true);
          const erasure = t.temporal.client.workflow.getHandle(contactErasureWorkflowId(member.id));
          expect(await erasure.result()).toBe("erased");
          await save("erase-mailing-contact-after-retries.history.bin", erasure, personal);

          // Deleted: the provider refuses three unsubscribes before it takes them.
          provider.control({ failNext: 3, failOn: "unsubscribe", failStatus: 503 });
          const started = await startDeletion(
            services(providerEnv),
            { accountId: leaver.accountId, source: "self", userId: leaver.userId, staffId: null, reason: "" },
            { type: "user", id: leaver.userId },
          );
          if (!started.ok) throw new Error(started.message);
          const deletion = t.temporal.client.workflow.getHandle(deleteWorkflowId(leaver.accountId));
          expect(await deletion.result()).toEqual({ outcome: "deleted" });
          expect(provider.state().failed).toBe(5);
          await save("delete-account-provider-retries.history.bin", deletion, personal);
        });
      } finally {
        await provider.stop();
      }
    });
  });
});
