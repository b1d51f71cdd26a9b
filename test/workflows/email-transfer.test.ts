/** emailTransfer on the real Temporal server with real activities against PostgreSQL. */
import { WorkflowUpdateFailedError } from "@temporalio/client";
import { describe, expect, it } from "vitest";
import { ledgerSum } from "../../app/models/ledger.server.js";
import { markConfirmed } from "../../app/models/tickets.server.js";
import { approveTransferUpdate, confirmTransferSignal, rejectTransferUpdate, transferStatusQuery } from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { realActivities } from "../helpers/activities.js";
import { useSuite } from "../helpers/suite.js";
import { confirmWithMailedToken, startTestTransfer } from "../helpers/transfers.js";
import { historyText } from "../helpers/pii-scan.js";

const t = useSuite();

async function staff(role: "support" | "operator" | "admin", n = 1) {
  const row = await t.db
    .insertInto("staff")
    .values({ email: `${role}${n}.${crypto.randomUUID()}@switchboard.test`, role })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { staffId: row.id, role };
}

/** Old and new accounts, owned by users with real addresses. */
async function pair(oldBalance = 4_200n, newBalance = 0n) {
  const suffix = crypto.randomUUID().slice(0, 8);
  const old = await accountWithKey(t.db, { balanceCents: oldBalance, plan: "scale", email: `old-${suffix}@example.com` });
  const fresh = await accountWithKey(t.db, { balanceCents: newBalance, email: `new-${suffix}@example.com` });
  return { old, fresh, oldEmail: `old-${suffix}@example.com`, newEmail: `new-${suffix}@example.com` };
}

/** Reads the confirmation link from the outbox, as the new owner would, and confirms. */
async function confirmAsNewOwner(ticketId: string, handle: { signal: (s: typeof confirmTransferSignal) => Promise<void> }) {
  await confirmWithMailedToken(t.db, ticketId, handle);
}

const step = async (handle: { query: (q: typeof transferStatusQuery) => Promise<{ step: string }> }) => (await handle.query(transferStatusQuery)).step;

describe("emailTransfer", () => {
  it("request → verify → confirm → approve → block → migrate once → notify; history without either address", async () => {
    const { old, fresh, oldEmail, newEmail } = await pair(4_200n, 300n);
    const approver = await staff("support");
    const before = (await ledgerSum(t.db, old.accountId)) + (await ledgerSum(t.db, fresh.accountId));
    const result = await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail },
      );
      await confirmAsNewOwner(ticketId, handle);
      await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_approval");
      await handle.executeUpdate(approveTransferUpdate, { args: [approver] });
      const out = await handle.result();
      const history = await historyText(handle);
      expect(history).not.toContain(oldEmail);
      expect(history).not.toContain(newEmail);
      return { out, ticketId };
    });
    expect(result.out).toEqual({ outcome: "completed" });
    const oldAcct = await t.db.selectFrom("accounts").selectAll().where("id", "=", old.accountId).executeTakeFirstOrThrow();
    const newAcct = await t.db.selectFrom("accounts").selectAll().where("id", "=", fresh.accountId).executeTakeFirstOrThrow();
    expect(oldAcct).toMatchObject({ status: "blocked", blocked_reason_code: "transferred", transferred_to_account_id: fresh.accountId, balance_cents: "0" });
    expect(newAcct).toMatchObject({ status: "active", balance_cents: "4500", plan: "scale" });
    expect((await ledgerSum(t.db, old.accountId)) + (await ledgerSum(t.db, fresh.accountId))).toBe(before);
    const pairRows = await t.db
      .selectFrom("ledger_entries")
      .select(["kind", "amount_cents"])
      .where("idempotency_key", "=", `transfer:${result.ticketId}`)
      .orderBy("kind")
      .execute();
    expect(pairRows).toEqual([
      { kind: "transfer_in", amount_cents: "4200" },
      { kind: "transfer_out", amount_cents: "-4200" },
    ]);
    const oldKey = await t.db.selectFrom("api_keys").select("status").where("id", "=", old.keyId).executeTakeFirstOrThrow();
    expect(oldKey.status).toBe("revoked");
    const ticket = await t.db.selectFrom("support_tickets").selectAll().where("id", "=", result.ticketId).executeTakeFirstOrThrow();
    expect(ticket).toMatchObject({ status: "completed", transferred_cents: "4200" });
    const mails = await t.db.selectFrom("mail_outbox").select(["kind", "to_address"]).where("related_id", "=", result.ticketId).orderBy("kind").execute();
    expect(mails).toEqual([
      { kind: "transfer_completed_new", to_address: newEmail },
      { kind: "transfer_completed_old", to_address: oldEmail },
      { kind: "transfer_confirmation", to_address: newEmail },
    ]);
  });

  it("a failed check rejects the ticket with its reasons and tells the requester", async () => {
    const { old } = await pair();
    const out = await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "nobody-here@example.com" },
      );
      return { ticketId, result: await handle.result() };
    });
    expect(out.result).toEqual({ outcome: "rejected" });
    const ticket = await t.db.selectFrom("support_tickets").selectAll().where("id", "=", out.ticketId).executeTakeFirstOrThrow();
    expect(ticket.status).toBe("rejected");
    // Checks of a new account that does not exist are left out, not failed.
    expect(ticket.checks.filter((c) => !c.passed).map((c) => c.code)).toEqual(["new_account_exists"]);
    expect(ticket.checks.map((c) => c.code)).not.toContain("new_account_active");
    const mail = await t.db.selectFrom("mail_outbox").select("kind").where("related_id", "=", out.ticketId).execute();
    expect(mail).toEqual([{ kind: "transfer_rejected" }]);
  });

  it("a confirmation recorded in the database whose signal was lost still counts when the deadline comes", async () => {
    const { old, newEmail } = await pair();
    const s1 = await staff("support");
    const out = await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail, confirmWithinMs: 2_000 },
      );
      await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_confirmation");
      const mail = await t.db
        .selectFrom("mail_outbox")
        .select("text_body")
        .where("related_id", "=", ticketId)
        .where("kind", "=", "transfer_confirmation")
        .executeTakeFirstOrThrow();
      await markConfirmed(t.db, ticketId, /confirm-transfer\/([A-Za-z0-9_-]{43})/.exec(mail.text_body)![1], { type: "user", id: null }); // no signal
      await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_approval");
      await handle.executeUpdate(approveTransferUpdate, { args: [s1] });
      return handle.result();
    });
    expect(out).toEqual({ outcome: "completed" });
  });

  it("without confirmation in time the ticket expires and the requester is told", async () => {
    const { old, newEmail } = await pair();
    const out = await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail, confirmWithinMs: 1_500 },
      );
      return { ticketId, result: await handle.result() };
    });
    expect(out.result).toEqual({ outcome: "expired" });
    const ticket = await t.db.selectFrom("support_tickets").select("status").where("id", "=", out.ticketId).executeTakeFirstOrThrow();
    expect(ticket.status).toBe("expired");
    expect((await t.db.selectFrom("accounts").select("status").where("id", "=", old.accountId).executeTakeFirstOrThrow()).status).toBe("active");
  });

  it("the update validators refuse the wrong role, the wrong state and the same approver twice; a large balance needs two", async () => {
    const { old, fresh, newEmail } = await pair(250_000n);
    const [s1, s2, op] = [await staff("support", 1), await staff("support", 2), await staff("operator")];
    const ticketId = await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail, secondApproverAboveCents: 100_000n },
      );
      await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_confirmation");
      await expect(handle.executeUpdate(approveTransferUpdate, { args: [s1] })).rejects.toThrow(WorkflowUpdateFailedError); // not yet confirmed
      await confirmAsNewOwner(ticketId, handle);
      await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_approval");
      await expect(handle.executeUpdate(approveTransferUpdate, { args: [op] })).rejects.toThrow(WorkflowUpdateFailedError);
      expect(await handle.executeUpdate(approveTransferUpdate, { args: [s1] })).toMatchObject({ approvals: 1, approvalsNeeded: 2 });
      await expect(handle.executeUpdate(approveTransferUpdate, { args: [s1] })).rejects.toThrow(WorkflowUpdateFailedError);
      expect(await step(handle)).toBe("awaiting_approval");
      await handle.executeUpdate(approveTransferUpdate, { args: [s2] });
      expect(await handle.result()).toEqual({ outcome: "completed" });
      return ticketId;
    });
    expect((await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", fresh.accountId).executeTakeFirstOrThrow()).balance_cents).toBe(
      "250000",
    );
    const decisions = await t.db
      .selectFrom("ticket_decisions")
      .select(["staff_id", "decision"])
      .where("ticket_id", "=", ticketId)
      .orderBy("created_at")
      .execute();
    expect(decisions).toEqual([
      { staff_id: s1.staffId, decision: "approve" },
      { staff_id: s2.staffId, decision: "approve" },
    ]);
    // Removing a staff member keeps their decision on the ticket.
    const { removeStaff } = await import("../../app/models/staff.server.js");
    expect(await removeStaff(t.db, s1.staffId, { type: "system", id: null })).toEqual({ ok: true });
    expect(await t.db.selectFrom("ticket_decisions").select("staff_id").where("ticket_id", "=", ticketId).orderBy("created_at").execute()).toEqual([
      { staff_id: null },
      { staff_id: s2.staffId },
    ]);
  });

  it("a rejection closes the ticket and changes no account", async () => {
    const { old, newEmail } = await pair();
    const s1 = await staff("admin");
    const out = await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail },
      );
      await confirmAsNewOwner(ticketId, handle);
      await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_approval");
      await handle.executeUpdate(rejectTransferUpdate, { args: [s1] });
      // Decided: a late approval is refused even before the step moves on.
      await expect(handle.executeUpdate(approveTransferUpdate, { args: [await staff("support", 9)] })).rejects.toThrow(WorkflowUpdateFailedError);
      return { ticketId, result: await handle.result() };
    });
    expect(out.result).toEqual({ outcome: "rejected" });
    expect((await t.db.selectFrom("accounts").select("status").where("id", "=", old.accountId).executeTakeFirstOrThrow()).status).toBe("active");
    expect((await t.db.selectFrom("support_tickets").select("status").where("id", "=", out.ticketId).executeTakeFirstOrThrow()).status).toBe("rejected");
  });

  it("a migration the ledger refuses after the block is compensated: old account unblocked, ticket failed, nothing moved", async () => {
    // The old account owes 60.00; the new one spends down to −50.00 after verification: −110.00 would cross the limit.
    const { old, fresh, newEmail } = await pair(0n, 0n);
    await t.db.transaction().execute(async (trx) => {
      const { postLedgerEntry } = await import("../../app/models/ledger.server.js");
      await postLedgerEntry(trx, { accountId: old.accountId, amountCents: -6_000n, kind: "usage", idempotencyKey: "owe", actor: { type: "system", id: null } });
    });
    const s1 = await staff("support");
    const out = await t.temporal.runWorker(realActivities(t.db), async () => {
      const { ticketId, handle } = await startTestTransfer(
        { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
        { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail },
      );
      await confirmAsNewOwner(ticketId, handle);
      await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_approval");
      const { postLedgerEntry } = await import("../../app/models/ledger.server.js");
      await postLedgerEntry(t.db, {
        accountId: fresh.accountId,
        amountCents: -5_000n,
        kind: "usage",
        idempotencyKey: "spend",
        actor: { type: "system", id: null },
      });
      await handle.executeUpdate(approveTransferUpdate, { args: [s1] });
      return { ticketId, result: await handle.result() };
    });
    expect(out.result).toEqual({ outcome: "failed" });
    const ticket = await t.db.selectFrom("support_tickets").select(["status", "failure_reason"]).where("id", "=", out.ticketId).executeTakeFirstOrThrow();
    expect(ticket).toEqual({ status: "failed", failure_reason: "ledger_refused" });
    expect((await t.db.selectFrom("accounts").select("status").where("id", "=", old.accountId).executeTakeFirstOrThrow()).status).toBe("active");
    expect(await t.db.selectFrom("ledger_entries").select("id").where("idempotency_key", "=", `transfer:${out.ticketId}`).execute()).toHaveLength(0);
    expect(await ledgerSum(t.db, old.accountId)).toBe(-6_000n);
  });
});
