/**
 * The console's ticket queue and ticket page over HTTP, against the real
 * emailTransfer workflow: who sees and who may act, what each decision
 * changes, and that bad input changes nothing.
 */
import type { WorkflowHandle } from "@temporalio/client";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEmailTransferTicket, createWebTransferTicket } from "../app/models/tickets.server.js";
import { startTransferWorkflow } from "../app/services/transfer.server.js";
import type { TicketStatus } from "../db/schema.js";
import { transferStatusQuery } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { historyText } from "./helpers/pii-scan.js";
import { staffAgentByEmail, staffIdByEmail } from "./helpers/staff.js";
import { confirmWithMailedToken } from "./helpers/transfers.js";
import { useSuite } from "./helpers/suite.js";
import { pageText, UserAgent } from "./helpers/user-agent.js";

// $50.00: a balance above it needs two approvers, so both rules fit in one app.
const THRESHOLD_CENTS = 5_000n;
const t = useSuite({ app: true, appEnv: { TRANSFER_SECOND_APPROVER_ABOVE_CENTS: String(THRESHOLD_CENTS) } });

const STAFF = [
  { email: "support@switchboard.test", role: "support" },
  { email: "support2@switchboard.test", role: "support" },
  { email: "operator@switchboard.test", role: "operator" },
  { email: "admin@switchboard.test", role: "admin" },
] as const;
type StaffEmail = (typeof STAFF)[number]["email"];

/** Workflows a test started; ended afterwards so none wakes up against the next test's rows. */
const started: WorkflowHandle[] = [];
beforeEach(async () => {
  await truncateAll(t.db);
  await t.db
    .insertInto("staff")
    .values(STAFF.map((s) => ({ ...s })))
    .execute();
});
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate("test over").catch(() => undefined); // already finished: nothing to end
});

const staffAgent = (email: StaffEmail) => staffAgentByEmail(t.app.url, email);
const staffId = (email: StaffEmail) => staffIdByEmail(t.db, email);

/** Old and new accounts, each owned by a user with a real address and holding one API key. */
async function pair(oldBalance: bigint, newBalance = 0n) {
  const n = crypto.randomUUID().slice(0, 8);
  const oldEmail = `old-${n}@example.com`;
  const newEmail = `new-${n}@example.com`;
  const old = await accountWithKey(t.db, { balanceCents: oldBalance, plan: "scale", email: oldEmail });
  const fresh = await accountWithKey(t.db, { balanceCents: newBalance, email: newEmail });
  return { old, fresh, oldEmail, newEmail };
}

/** A web ticket from the old owner, created and started the way Settings → Email does. */
async function startTicket(p: Awaited<ReturnType<typeof pair>>) {
  const ticketId = await createWebTransferTicket(
    t.db,
    { requesterUserId: p.old.userId, oldAccountId: p.old.accountId, newAddress: p.newEmail },
    { type: "user", id: p.old.userId },
  );
  const workflowId = await startTransferWorkflow(t.app.services, ticketId);
  const handle = t.temporal.client.workflow.getHandle(workflowId);
  started.push(handle);
  return { ticketId, handle, page: `/console/tickets/${ticketId}` };
}

const step = async (handle: WorkflowHandle) => (await handle.query(transferStatusQuery)).step;

/** The new owner follows the link from the outbox mail; then the ticket waits for staff. Needs a running worker. */
async function confirmAsNewOwner(ticketId: string, handle: WorkflowHandle) {
  await confirmWithMailedToken(t.db, ticketId, handle);
  await expect.poll(() => step(handle), { timeout: 15_000 }).toBe("awaiting_approval");
}

const ticketRow = (id: string) => t.db.selectFrom("support_tickets").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const decisions = (id: string) =>
  t.db.selectFrom("ticket_decisions").select(["staff_id", "decision", "reason"]).where("ticket_id", "=", id).orderBy("created_at").execute();
const account = (id: string) =>
  t.db.selectFrom("accounts").select(["status", "balance_cents", "transferred_to_account_id"]).where("id", "=", id).executeTakeFirstOrThrow();

describe("the ticket queue", () => {
  /** A ticket made through the model, then placed in a status and an age (the queue only reads). */
  async function ticketAt(status: TicketStatus, hoursAgo: number) {
    const p = await pair(0n);
    const id = await createWebTransferTicket(
      t.db,
      { requesterUserId: p.old.userId, oldAccountId: p.old.accountId, newAddress: p.newEmail },
      { type: "system", id: null },
    );
    await t.db
      .updateTable("support_tickets")
      .set({ status, created_at: sql`now() - make_interval(hours => ${hoursAgo})` })
      .where("id", "=", id)
      .execute();
    return id.slice(0, 8);
  }

  it("lists open tickets first, the longest waiting at the top, with counts per status; filters; refuses a bad filter", async () => {
    const done = await ticketAt("completed", 24 * 10);
    const recent = await ticketAt("open", 3);
    const oldest = await ticketAt("awaiting_approval", 48);
    const rejected = await ticketAt("rejected", 1);
    await createEmailTransferTicket(
      t.db,
      { senderAddress: "stranger@example.com", senderVerdict: "fail", newAddress: "x@example.com" },
      { type: "system", id: null },
    );
    const support = await staffAgent("support@switchboard.test");

    const queue = await support.get("/console/tickets");
    expect(queue.status).toBe(200);
    const text = pageText(queue.body);
    expect(text).toContain("Unresolved 3");
    expect(text).toContain("awaiting approval 1");
    expect(text).toContain("completed 1");
    expect(text).toContain("All 5");
    // Oldest open first; closed ones are not in the default view.
    expect(text.indexOf(oldest)).toBeGreaterThan(-1);
    expect(text.indexOf(oldest)).toBeLessThan(text.indexOf(recent));
    expect(text).not.toContain(done);
    expect(text).not.toContain(rejected);
    expect(text).toContain("2 d");
    expect(text).toContain("3 h");
    expect(text).toContain("stranger@example.com"); // the email ticket, with no account behind its sender
    expect(text).toContain("no account");
    expect(queue.body).toContain('href="/console/tickets?status=completed"');

    const all = pageText((await support.get("/console/tickets?status=all")).body);
    expect(all.indexOf(recent)).toBeLessThan(all.indexOf(rejected)); // open before closed, whatever the age
    expect(all.indexOf(rejected)).toBeLessThan(all.indexOf(done)); // closed: newest first

    const completed = pageText((await support.get("/console/tickets?status=completed")).body);
    expect(completed).toContain(done);
    expect(completed).not.toContain(oldest);
    expect(pageText((await support.get("/console/tickets?status=failed")).body)).toContain("No failed tickets.");

    expect((await support.request("/console/tickets?status=bogus")).status).toBe(400);
    expect((await support.request("/console/tickets?status=open&page=-3")).status).toBe(200);
  });

  it("shows an empty state, and is staff only", async () => {
    const support = await staffAgent("support@switchboard.test");
    expect(pageText((await support.get("/console/tickets")).body)).toContain("No ticket is waiting");
    const customer = new UserAgent(t.app.url);
    await customer.signIn("google", { email: "customer@example.com" });
    expect((await customer.request("/console/tickets")).status).toBe(404);
  });
});

describe("the ticket page", () => {
  it("shows both accounts and every check; an operator sees no buttons and gets 403; a customer gets 404", async () => {
    const p = await pair(4_200n, 300n);
    const operator = await staffAgent("operator@switchboard.test");
    const support = await staffAgent("support@switchboard.test");
    const customer = new UserAgent(t.app.url);
    await customer.signIn("google", { email: "customer@example.com" });
    await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const { ticketId, handle, page } = await startTicket(p);
      await confirmAsNewOwner(ticketId, handle);

      const html = (await support.get(page)).body;
      const text = pageText(html);
      expect(text).toContain(p.oldEmail);
      expect(text).toContain(p.newEmail);
      expect(html).toContain(`href="/console/accounts/${p.old.accountId}"`);
      expect(html).toContain(`href="/console/accounts/${p.fresh.accountId}"`);
      expect(text).toContain("Balance $42.00");
      expect(text).toContain("Balance $3.00");
      expect(text).toContain("Plan scale");
      expect(text).toContain("Plan build");
      expect(text).toContain("Owner signs in with google");
      expect(text).toContain("Active API keys 1");
      for (const label of [
        "The request was made while signed in as the owner of the old account",
        "The old account is active",
        "No other transfer of the old account is open",
        "An account owned by the new address exists",
        "The new account is a different account from the old one",
        "The new account is active",
        "The new account is not being deleted",
        "The combined balance stays within the new account's credit limit",
      ]) {
        expect(text).toContain(`${label} pass`);
      }
      expect(text).toContain("Source web");
      expect(text).toContain("Current step awaiting approval");
      expect(text).toMatch(/Confirmation by the new address Confirmed \d{4}-/);
      expect(text).toContain("Approvals 0 of 1 needed");
      expect(html).toContain(">Yes, approve the transfer</button>");
      expect(html).toContain('<label for="reject-reason">');

      const seen = await operator.get(page);
      expect(seen.status).toBe(200);
      expect(pageText(seen.body)).toContain(p.newEmail);
      expect(seen.body).not.toContain("approve the transfer</button>");
      expect(seen.body).not.toContain("reject the transfer</button>");
      expect(seen.body).not.toContain('name="body"');
      const csrf = UserAgent.csrfFrom(seen.body);
      expect((await operator.request(page, { form: { csrf, intent: "approve" } })).status).toBe(403);
      expect((await operator.request(page, { form: { csrf, intent: "note", body: "hello" } })).status).toBe(403);

      expect((await customer.request(page)).status).toBe(404);
      expect((await support.request(`/console/tickets/${crypto.randomUUID()}`)).status).toBe(404);
      expect((await support.request("/console/tickets/not-a-uuid")).status).toBe(404);

      expect(await decisions(ticketId)).toEqual([]);
      expect(await step(handle)).toBe("awaiting_approval");
    });
  });

  it("an email ticket shows its SPF/DKIM verdict and that it is not verified yet", async () => {
    const id = await createEmailTransferTicket(
      t.db,
      { senderAddress: "sender@example.com", senderVerdict: "fail", newAddress: "target@example.com" },
      { type: "system", id: null },
    );
    const text = pageText((await (await staffAgent("admin@switchboard.test")).get(`/console/tickets/${id}`)).body);
    expect(text).toContain("Source email");
    expect(text).toContain("SPF/DKIM fail");
    expect(text).toContain("Not verified yet.");
    expect(text).toContain("No account belongs to this address.");
    expect(text).toContain("Workflow not started");
  });

  it("support approves: the workflow completes, the old account is blocked and emptied into the new one, both are told", async () => {
    const p = await pair(4_200n, 300n);
    const support = await staffAgent("support@switchboard.test");
    const { ticketId } = await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const { ticketId, handle, page } = await startTicket(p);
      await confirmAsNewOwner(ticketId, handle);
      const res = await support.submit(page, page, { intent: "approve" });
      expect(res.status).toBe(200);
      expect(pageText(res.body)).toContain("Approved. The transfer is under way");
      await expect.poll(() => handle.result(), { timeout: 30_000 }).toEqual({ outcome: "completed" });
      return { ticketId };
    });
    expect(await ticketRow(ticketId)).toMatchObject({ status: "completed", transferred_cents: "4200" });
    expect(await account(p.old.accountId)).toEqual({ status: "blocked", balance_cents: "0", transferred_to_account_id: p.fresh.accountId });
    expect(await account(p.fresh.accountId)).toMatchObject({ status: "active", balance_cents: "4500" });
    expect(await decisions(ticketId)).toEqual([{ staff_id: await staffId("support@switchboard.test"), decision: "approve", reason: null }]);
    const mails = await t.db
      .selectFrom("mail_outbox")
      .select(["kind", "to_address"])
      .where("related_id", "=", ticketId)
      .where("kind", "like", "transfer_completed_%")
      .orderBy("kind")
      .execute();
    expect(mails).toEqual([
      { kind: "transfer_completed_new", to_address: p.newEmail },
      { kind: "transfer_completed_old", to_address: p.oldEmail },
    ]);
    const audit = await t.db.selectFrom("audit_log").select("action").where("target_type", "=", "ticket").where("target_id", "=", ticketId).execute();
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["ticket.approved", "ticket.migrated", "ticket.completed"]));

    const after = pageText((await support.get(`/console/tickets/${ticketId}`)).body);
    expect(after).toContain("Current step completed");
    expect(after).toContain("This ticket is closed.");
    expect(after).toContain("ticket.approved");
  });

  it("a rejection needs a reason; the reason is kept in the database, not in the workflow history", async () => {
    const p = await pair(1_000n);
    const reason = `Caller could not confirm the invoice number ${crypto.randomUUID()}`;
    const admin = await staffAgent("admin@switchboard.test");
    const adminId = await staffId("admin@switchboard.test");
    const out = await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const { ticketId, handle, page } = await startTicket(p);
      await confirmAsNewOwner(ticketId, handle);

      const empty = await admin.submit(page, page, { intent: "reject", reason: "   " });
      expect(empty.status).toBe(400);
      expect(pageText(empty.body)).toContain("Say why the ticket is rejected, for the record.");
      expect(empty.body).toContain('aria-invalid="true"');
      const long = await admin.submit(page, page, { intent: "reject", reason: "x".repeat(1001) });
      expect(pageText(long.body)).toContain("Keep the reason to 1000 characters.");
      expect(await decisions(ticketId)).toEqual([]);
      expect(await step(handle)).toBe("awaiting_approval");

      const res = await admin.submit(page, page, { intent: "reject", reason });
      expect(res.status).toBe(200);
      expect(pageText(res.body)).toContain("Rejected.");
      await expect.poll(() => handle.result(), { timeout: 30_000 }).toEqual({ outcome: "rejected" });
      return { ticketId, history: await historyText(handle) };
    });
    expect((await ticketRow(out.ticketId)).status).toBe("rejected");
    expect(await decisions(out.ticketId)).toEqual([{ staff_id: adminId, decision: "reject", reason }]);
    expect(out.history).not.toContain(reason);
    expect(out.history).not.toContain("invoice");
    expect(await account(p.old.accountId)).toMatchObject({ status: "active", balance_cents: "1000" });
    const audit = await t.db
      .selectFrom("audit_log")
      .select(["actor_type", "actor_id", "details"])
      .where("action", "=", "ticket.rejection_reason_recorded")
      .where("target_id", "=", out.ticketId)
      .execute();
    expect(audit).toEqual([{ actor_type: "staff", actor_id: adminId, details: { staff_id: adminId, length: reason.length } }]);
    expect(JSON.stringify(audit)).not.toContain("invoice"); // the words stay in ticket_decisions only
  });

  it("above the threshold two different staff must approve: the same one twice gets the workflow's refusal", async () => {
    const p = await pair(THRESHOLD_CENTS + 4_000n);
    const support = await staffAgent("support@switchboard.test");
    const support2 = await staffAgent("support2@switchboard.test");
    const { ticketId } = await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const { ticketId, handle, page } = await startTicket(p);
      await confirmAsNewOwner(ticketId, handle);
      expect(pageText((await support.get(page)).body)).toContain("Approvals 0 of 2 needed");

      const first = await support.submit(page, page, { intent: "approve" });
      expect(pageText(first.body)).toContain("Approved (1 of 2). Another support or admin member must approve too.");
      expect(await handle.query(transferStatusQuery)).toMatchObject({ step: "awaiting_approval", approvals: 1, approvalsNeeded: 2 });
      const mine = (await support.get(page)).body;
      expect(pageText(mine)).toContain("Approvals 1 of 2 needed");
      expect(pageText(mine)).toContain("You approved this ticket");
      expect(mine).not.toContain("approve the transfer</button>"); // a stale page can still post it:

      const again = await support.submit(page, page, { intent: "approve" });
      expect(again.status).toBe(409);
      expect(pageText(again.body)).toContain("You already approved this ticket; the second approval must come from someone else.");
      expect(await handle.query(transferStatusQuery)).toMatchObject({ step: "awaiting_approval", approvals: 1 });
      expect(await decisions(ticketId)).toHaveLength(1);

      const second = await support2.submit(page, page, { intent: "approve" });
      expect(pageText(second.body)).toContain("Approved. The transfer is under way");
      await expect.poll(() => handle.result(), { timeout: 30_000 }).toEqual({ outcome: "completed" });
      return { ticketId };
    });
    expect((await ticketRow(ticketId)).status).toBe("completed");
    expect(await account(p.fresh.accountId)).toMatchObject({ balance_cents: String(THRESHOLD_CENTS + 4_000n) });
    expect((await decisions(ticketId)).map((d) => d.staff_id)).toEqual([await staffId("support@switchboard.test"), await staffId("support2@switchboard.test")]);
  });

  it("without its CSRF token a decision is refused (403) and nothing changes", async () => {
    const p = await pair(1_000n);
    const support = await staffAgent("support@switchboard.test");
    await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const { ticketId, handle, page } = await startTicket(p);
      await confirmAsNewOwner(ticketId, handle);
      await support.get(page); // the CSRF cookie is set; only the form field is missing
      expect((await support.request(page, { form: { intent: "approve" } })).status).toBe(403);
      expect((await support.request(page, { form: { intent: "reject", reason: "x" } })).status).toBe(403);
      expect((await support.request(page, { form: { intent: "note", body: "x" } })).status).toBe(403);
      expect(await decisions(ticketId)).toEqual([]);
      expect(await step(handle)).toBe("awaiting_approval");
      expect(await t.db.selectFrom("ticket_notes").selectAll().execute()).toEqual([]);
    });
  });

  it("a ticket whose workflow is finished or unknown is no longer waiting for a decision", async () => {
    const p = await pair(1_000n);
    const support = await staffAgent("support@switchboard.test");
    const id = await createWebTransferTicket(
      t.db,
      { requesterUserId: p.old.userId, oldAccountId: p.old.accountId, newAddress: p.newEmail },
      { type: "system", id: null },
    );
    const page = `/console/tickets/${id}`;
    // The database says it waits, but no such workflow exists: Temporal answers "not found".
    await t.db
      .updateTable("support_tickets")
      .set({ status: "awaiting_approval", workflow_id: `transfer:${id}` })
      .where("id", "=", id)
      .execute();
    const unknown = await support.submit(page, page, { intent: "approve" });
    expect(unknown.status).toBe(409);
    expect(pageText(unknown.body)).toContain("This ticket is no longer waiting for a decision.");
    // A closed ticket is answered from the database.
    await t.db.updateTable("support_tickets").set({ status: "rejected" }).where("id", "=", id).execute();
    expect(pageText((await support.submit(page, page, { intent: "reject", reason: "late" })).body)).toContain(
      "This ticket is no longer waiting for a decision.",
    );
    expect(await decisions(id)).toEqual([]);
    const bad = await support.submit(page, page, { intent: "teleport" });
    expect(bad.status).toBe(400);
    expect(pageText(bad.body)).toContain("Choose Claim, Approve, Reject or Add note.");
  });

  it("staff add notes (1..2000 characters), listed and audited", async () => {
    const p = await pair(0n);
    const id = await createWebTransferTicket(
      t.db,
      { requesterUserId: p.old.userId, oldAccountId: p.old.accountId, newAddress: p.newEmail },
      { type: "system", id: null },
    );
    const page = `/console/tickets/${id}`;
    const support = await staffAgent("support@switchboard.test");
    const empty = await support.submit(page, page, { intent: "note", body: " " });
    expect(empty.status).toBe(400);
    expect(pageText(empty.body)).toContain("Write the note first.");
    expect(pageText((await support.submit(page, page, { intent: "note", body: "n".repeat(2001) })).body)).toContain("Keep the note to 2000 characters.");
    expect(await t.db.selectFrom("ticket_notes").selectAll().execute()).toEqual([]);

    const ok = await support.submit(page, page, { intent: "note", body: "Called the requester; they confirmed by phone." });
    expect(ok.status).toBe(200);
    const text = pageText(ok.body);
    expect(text).toContain("Note added.");
    expect(text).toContain("Called the requester; they confirmed by phone.");
    expect(text).toContain("support@switchboard.test");
    const audit = await t.db
      .selectFrom("audit_log")
      .select(["actor_type", "actor_id"])
      .where("action", "=", "ticket.note_added")
      .where("target_id", "=", id)
      .execute();
    expect(audit).toEqual([{ actor_type: "staff", actor_id: await staffId("support@switchboard.test") }]);
  });

  it("when the workflow does not answer, the page still renders in time from the database", async () => {
    const p = await pair(1_000n);
    const support = await staffAgent("support@switchboard.test");
    const { page } = await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const s = await startTicket(p);
      await confirmAsNewOwner(s.ticketId, s.handle);
      return s;
    });
    // No worker polls now: the status query can only time out. (Last in the file: the expired query
    // task would otherwise reach the next test's worker, which logs a warning about it.)
    const begun = Date.now();
    const res = await support.get(page);
    expect(Date.now() - begun).toBeLessThan(10_000);
    expect(res.status).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain("Current step awaiting approval");
    expect(text).toContain("Approvals 0 of 1 needed (worked out from the database)");
    expect(text).toContain("The workflow did not answer just now");
  });
});
