/**
 * Records the histories the replay test checks, when asked to:
 *   RECORD_HISTORIES=1 npx vitest run test/workflows/record-histories.test.ts
 * Re-record only on purpose (a deliberate, versioned workflow change): the
 * committed files are what running workflows in production look like.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { temporal } from "@temporalio/proto";
import { describe, expect, it } from "vitest";
import { markConfirmed } from "../../app/models/tickets.server.js";
import { requestStatusChange } from "../../app/services/account-status.server.js";
import { startDeletion } from "../../app/services/deletion.server.js";
import { createLogger } from "../../app/logger.server.js";
import { setUserSubscriptions } from "../../app/models/mailing.server.js";
import { parseConfig } from "../../app/config.server.js";
import { approveTransferUpdate, confirmTransferSignal, transferStatusQuery } from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { realActivities } from "../helpers/activities.js";
import { useSuite } from "../helpers/suite.js";
import { startTestTransfer } from "../helpers/transfers.js";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/histories");
const record = process.env.RECORD_HISTORIES === "1";
/** The history in protobuf's binary form: exact, and what the SDK decodes without a JSON mapping. */
const encode = (history: temporal.api.history.v1.IHistory) => temporal.api.history.v1.History.encode(history).finish();
const t = useSuite({ when: record });

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
      await writeFile(path.join(dir, "email-transfer-completed.history.bin"), encode(await handle.fetchHistory()));
      const child = t.temporal.client.workflow.getHandle(`block-account:${old.accountId}`);
      await writeFile(path.join(dir, "block-account-completed.history.bin"), encode(await child.fetchHistory()));
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
      await writeFile(path.join(dir, "unblock-account-completed.history.bin"), encode(await handle.fetchHistory()));
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
      await writeFile(path.join(dir, "recharge-completed.history.bin"), encode(await handle.fetchHistory()));
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
      await writeFile(path.join(dir, "delete-account-completed.history.bin"), encode(await handle.fetchHistory()));
    });
  });
});
