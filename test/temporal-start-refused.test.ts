/**
 * The one start protocol (app/temporal/start.server.ts) when Temporal refuses:
 * every intent's row is committed first, so a refused start is on record —
 * marked not started, never left "pending" for ever and never lost. Temporal
 * refuses for real here: a client of a namespace the server does not have.
 */
import { Client } from "@temporalio/client";
import { beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../app/config.server.js";
import { createLogger } from "../app/logger.server.js";
import { requestStatusChange } from "../app/services/account-status.server.js";
import { startDeletion } from "../app/services/deletion.server.js";
import { sendListMailing } from "../app/services/list-mailing.server.js";
import { requestTransferFromSettings } from "../app/services/transfer.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { realActivities } from "./helpers/activities.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();
beforeEach(async () => {
  await truncateAll(t.db);
});

const config = () => parseConfig({ TEMPORAL_TASK_QUEUE: t.temporal.taskQueue });
const logger = createLogger("silent", "test");
/** Services whose Temporal answers every start with "namespace not found". */
const refusing = () => ({
  db: t.db,
  temporal: new Client({ connection: t.temporal.client.connection, namespace: "no-such-namespace" }),
  config: config(),
  logger,
});
const working = () => ({ db: t.db, temporal: t.temporal.client, config: config(), logger });

async function staffMember() {
  return t.db.insertInto("staff").values({ email: "refused@switchboard.test", role: "admin" }).returning("id").executeTakeFirstOrThrow();
}

describe("a workflow start Temporal refuses", () => {
  it("deletion: the request stands, its row is failed at not_started, and support starts it again", async () => {
    const a = await accountWithKey(t.db);
    const refused = await startDeletion(
      refusing(),
      { accountId: a.accountId, source: "self", userId: a.userId, staffId: null, reason: "" },
      { type: "user", id: a.userId },
    );
    expect(refused).toMatchObject({ ok: true, started: false });
    const row = await t.db
      .selectFrom("account_deletions")
      .select(["status", "error", "steps", "workflow_id"])
      .where("account_id", "=", a.accountId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "failed", error: "workflow_not_started", workflow_id: null });
    expect(row.steps.map((s) => s.step)).toEqual(["requested", "not_started"]);
    const account = await t.db.selectFrom("accounts").select("status").where("id", "=", a.accountId).executeTakeFirstOrThrow();
    expect(account.status).toBe("deleting");

    const staff = await staffMember();
    await t.temporal.runWorker(realActivities(t.db), async () => {
      const again = await startDeletion(
        working(),
        { accountId: a.accountId, source: "support", userId: null, staffId: staff.id, reason: "started again" },
        { type: "staff", id: staff.id },
      );
      if (!again.ok || !again.started) throw new Error(`not started again: ${JSON.stringify(again)}`);
      await t.temporal.client.workflow.getHandle(again.workflowId).result();
    });
    const done = await t.db.selectFrom("accounts").select("status").where("id", "=", a.accountId).executeTakeFirstOrThrow();
    expect(done.status).toBe("deleted");
  });

  it("block: refused with a message, and its row is failed at not_started", async () => {
    const a = await accountWithKey(t.db);
    const staff = await staffMember();
    const refused = await requestStatusChange(
      refusing(),
      { accountId: a.accountId, action: "block", reasonCode: "abuse", reasonText: "refused start", staffId: staff.id },
      { type: "staff", id: staff.id },
    );
    expect(refused).toEqual({ ok: false, message: "The workflow service did not accept the request. Try again in a moment." });
    const row = await t.db
      .selectFrom("account_status_changes")
      .select(["status", "error", "steps"])
      .where("account_id", "=", a.accountId)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "failed", error: "start_failed" });
    expect(row.steps.at(-1)).toMatchObject({ step: "not_started", outcome: "start_failed" });
    const account = await t.db.selectFrom("accounts").select("status").where("id", "=", a.accountId).executeTakeFirstOrThrow();
    expect(account.status).toBe("active");
  });

  it("transfer: the ticket is closed as failed (workflow_not_started), so a new request can be made", async () => {
    const a = await accountWithKey(t.db);
    const input = { requesterUserId: a.userId, oldAccountId: a.accountId, newAddress: "new-home@example.com" };
    const refused = await requestTransferFromSettings(refusing(), input, { type: "user", id: a.userId });
    expect(refused).toMatchObject({ ok: true, started: false });
    if (!refused.ok) throw new Error("refused");
    const ticket = await t.db.selectFrom("support_tickets").select(["status", "failure_reason"]).where("id", "=", refused.ticketId).executeTakeFirstOrThrow();
    expect(ticket).toEqual({ status: "failed", failure_reason: "workflow_not_started" });
    const again = await requestTransferFromSettings(working(), input, { type: "user", id: a.userId });
    expect(again).toMatchObject({ ok: true, started: true });
  });

  it("list mailing: the mailing is failed, not left sending", async () => {
    const staff = await staffMember();
    const list = await t.db.selectFrom("mailing_lists").select("id").executeTakeFirstOrThrow();
    const sent = await sendListMailing(
      refusing(),
      { listId: list.id, subject: "Refused", text: "Never sent.", staffId: staff.id },
      { type: "staff", id: staff.id },
    );
    expect(sent.started).toBe(false);
    const row = await t.db.selectFrom("list_mailings").select("status").where("id", "=", sent.mailingId).executeTakeFirstOrThrow();
    expect(row.status).toBe("failed");
  });
});
