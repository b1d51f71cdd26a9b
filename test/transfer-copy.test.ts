/**
 * The words a customer reads about their email transfer (issue 19, item 10),
 * against the real app: the ticket page in every state says what is true now
 * and what happens next; support's rejection reason reaches the requester on
 * the page and in the mail (and not the workflow history); the Delete account
 * page says, before anything is typed, that a transfer is in progress.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { TicketStatus } from "../db/schema.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { signUpOwner } from "./helpers/sign-up.js";
import { staffAgentByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { confirmWithMailedToken, endTicketWorkflows } from "./helpers/transfers.js";
import { pageText, type UserAgent } from "./helpers/user-agent.js";

const t = useSuite({ app: true });

beforeEach(async () => {
  await endTicketWorkflows(t.db, t.temporal.client);
  await truncateAll(t.db);
});

const POLL = { timeout: 30_000, interval: 100 };
const withWorker = <T>(fn: () => Promise<T>) => t.temporal.runWorker(realActivities(t.db, t.app.url), fn);
const signUp = (email: string) => signUpOwner(t.app.url, t.db, email);
const ticket = (id: string) => t.db.selectFrom("support_tickets").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

/** The request from Settings → Email, as the owner sends it (without a worker it stays "open"). */
async function requestTransfer(ua: UserAgent, newAddress: string): Promise<string> {
  const res = await ua.submit("/settings/email", "/settings/email", { newAddress, confirm: "yes" });
  expect(res.status).toBe(302);
  return /\/support\/tickets\/([0-9a-f-]{36})$/.exec(res.location ?? "")![1];
}

const PASSED = JSON.stringify([
  { code: "requester_signed_in_as_old_owner", passed: true },
  { code: "new_account_exists", passed: true },
]);
const DEADLINE = new Date("2031-03-04T05:06:00Z");

/** Every state as the workflow leaves the ticket row in it, with what the page must say there and must not. */
const STATES: {
  name: string;
  row: { status: TicketStatus; step: string; [k: string]: unknown };
  approvals?: number;
  says: string[];
  never?: string[];
  withdrawable: boolean;
}[] = [
  {
    name: "being checked",
    row: { status: "open", step: "verifying", checks: "[]" },
    says: ["Checking your request", "Next: we mail new@example.com a link to confirm."],
    withdrawable: true,
  },
  {
    name: "awaiting confirmation",
    row: { status: "awaiting_confirmation", step: "awaiting_confirmation", checks: PASSED, confirm_expires_at: DEADLINE },
    says: ["Waiting for new@example.com to confirm.", "before 2031-03-04 05:06 UTC", "Next: support reviews the request."],
    withdrawable: true,
  },
  {
    name: "awaiting approval",
    row: { status: "awaiting_approval", step: "awaiting_approval", checks: PASSED, confirmed_at: new Date() },
    says: ["new@example.com confirmed. Support is reviewing the request now; nothing has moved yet", "Next: once approved, this account is blocked"],
    never: ["Waiting for new@example.com to confirm", "a second must approve"],
    withdrawable: true,
  },
  {
    name: "awaiting a second approval",
    row: { status: "awaiting_approval", step: "awaiting_approval", checks: PASSED, confirmed_at: new Date() },
    approvals: 1,
    says: ["One member of support approved; because of the balance, a second must approve too.", "a second support member must approve too"],
    withdrawable: true,
  },
  {
    name: "approved, the move running",
    row: { status: "transferring", step: "migrating", checks: PASSED, confirmed_at: new Date() },
    approvals: 1,
    says: ["Approved by support. The move is running", "It can no longer be withdrawn.", "Next: both addresses get a mail when it is done"],
    never: ["Support is reviewing", "Waiting for"],
    withdrawable: false,
  },
  {
    name: "completed",
    row: { status: "completed", step: "completed", checks: PASSED, confirmed_at: new Date(), transferred_cents: "2500", closed_at: new Date() },
    says: ["Done. $25.00 of credit, your plan and settings now belong to the account on new@example.com", "Update your integrations"],
    never: ["is running", "Support is reviewing"],
    withdrawable: false,
  },
  {
    name: "rejected by support",
    row: { status: "rejected", step: "rejected_by_staff", checks: PASSED, confirmed_at: new Date(), closed_at: new Date() },
    says: ["Rejected: support declined this request. Nothing was moved", "ask again from Settings → Email"],
    withdrawable: false,
  },
  {
    name: "withdrawn",
    row: { status: "withdrawn", step: "withdrawn", checks: PASSED, closed_at: new Date() },
    says: ["Withdrawn: you took this request back", "You can ask again from Settings → Email."],
    withdrawable: false,
  },
  {
    name: "expired",
    row: { status: "expired", step: "confirmation_timed_out", checks: PASSED, confirm_expires_at: DEADLINE, closed_at: new Date() },
    says: ["Expired: the new address did not confirm in time", "You can ask again from Settings → Email."],
    withdrawable: false,
  },
  {
    name: "failed after approval, undone",
    row: {
      status: "failed",
      step: "failed_while_migrating",
      checks: PASSED,
      confirmed_at: new Date(),
      failure_reason: "credit_limit_exceeded",
      closed_at: new Date(),
    },
    approvals: 1,
    says: ["Failed:", "Nothing was moved", "Support will be in touch."],
    withdrawable: false,
  },
];

describe("the ticket page, state by state", () => {
  it("says in every state what is true now and what happens next, never that approval waits on a confirmation already given", async () => {
    const old = await signUp("old@example.com");
    await signUp("new@example.com");
    const id = await requestTransfer(old.ua, "new@example.com");
    const [staffRow] = await t.db.insertInto("staff").values({ email: "support@switchboard.test", role: "support" }).returning("id").execute();

    for (const state of STATES) {
      await t.db.deleteFrom("ticket_decisions").where("ticket_id", "=", id).execute();
      if (state.approvals) await t.db.insertInto("ticket_decisions").values({ ticket_id: id, staff_id: staffRow.id, decision: "approve" }).execute();
      await t.db
        .updateTable("support_tickets")
        .set({ confirmed_at: null, confirm_expires_at: null, closed_at: null, transferred_cents: null, failure_reason: null, ...state.row })
        .where("id", "=", id)
        .execute();
      const page = await old.ua.get(`/support/tickets/${id}`);
      expect(page.status, state.name).toBe(200);
      const text = pageText(page.body);
      for (const words of state.says) expect(text, `${state.name}: "${words}"`).toContain(words);
      for (const words of state.never ?? []) expect(text, `${state.name}: not "${words}"`).not.toContain(words);
      expect(text, state.name).not.toContain("Approval opens once the new address has confirmed");
      expect(text, state.name).not.toContain("In progress. This page updates by itself."); // the one line every open state used to share
      expect(text.includes("Withdraw request"), `${state.name}: withdraw offered`).toBe(state.withdrawable);
      expect(text, state.name).not.toContain("support@switchboard.test"); // who decided stays with staff
      expect(titleOf(page.body), state.name).toBe(`Transfer request: ${state.row.status.replace(/_/g, " ")} · Support · Switchboard`);
    }
  });
});

describe("a rejection's reason", () => {
  it("reaches the requester on the ticket page and in the mail, and stays out of the workflow history", async () => {
    const old = await signUp("old@example.com");
    await signUp("new@example.com");
    await t.db.insertInto("staff").values({ email: "support@switchboard.test", role: "support" }).execute();
    const support = await staffAgentByEmail(t.app.url, "support@switchboard.test");
    const reason = `The new address belongs to another company (ref ${crypto.randomUUID().slice(0, 8)}).`;

    const history = await withWorker(async () => {
      const id = await requestTransfer(old.ua, "new@example.com");
      await expect.poll(async () => (await ticket(id)).status, POLL).toBe("awaiting_confirmation");
      const handle = t.temporal.client.workflow.getHandle((await ticket(id)).workflow_id!);
      await confirmWithMailedToken(t.db, id, handle);
      await expect.poll(async () => (await ticket(id)).status, POLL).toBe("awaiting_approval");

      const consolePage = `/console/tickets/${id}`;
      const decided = await support.submit(consolePage, consolePage, { intent: "reject", reason });
      expect(decided.status).toBe(200);
      await expect.poll(async () => (await ticket(id)).status, POLL).toBe("rejected");
      await handle.result();
      return { id, text: JSON.stringify((await handle.fetchHistory()).events) };
    });

    const page = pageText((await old.ua.get(`/support/tickets/${history.id}`)).body);
    expect(page).toContain(`Support's reason: “${reason}”`);
    expect(page).not.toContain("support@switchboard.test");

    const mails = await t.db
      .selectFrom("mail_outbox")
      .select(["to_address", "text_body"])
      .where("related_id", "=", history.id)
      .where("kind", "=", "transfer_rejected_by_staff")
      .execute();
    expect(mails).toHaveLength(1);
    expect(mails[0].to_address).toBe("old@example.com");
    expect(mails[0].text_body).toContain(`Support's reason:\n${reason}`);
    expect(mails[0].text_body).toContain(`/support/tickets/${history.id}`);

    expect(history.text).not.toContain(reason);
    expect(history.text).not.toContain("another company");
  });
});

describe("the Delete account page", () => {
  const DELETE = "/settings/delete-account";

  it("says first, before the field to type in, that a transfer is in progress and what deleting does to it", async () => {
    const old = await signUp("old@example.com");
    const neu = await signUp("new@example.com");
    const quiet = await signUp("quiet@example.com");
    const id = await requestTransfer(old.ua, "new@example.com");
    await t.db
      .updateTable("support_tickets")
      .set({ status: "awaiting_confirmation", step: "awaiting_confirmation", new_account_id: neu.accountId })
      .where("id", "=", id)
      .execute();

    const moving = await old.ua.get(DELETE);
    expect(moving.status).toBe(200);
    const text = pageText(moving.body);
    expect(text).toContain("An email transfer is in progress: this account is being moved to a new address.");
    expect(text).toContain("It is waiting for the new address to confirm.");
    expect(text).toContain("Deleting this account ends that transfer: nothing is moved, so this account's credits are lost with it");
    expect(moving.body).toContain(`href="/support/tickets/${id}"`);
    expect(moving.body.indexOf("An email transfer is in progress")).toBeLessThan(moving.body.indexOf('name="email"'));
    expect(moving.body.indexOf("An email transfer is in progress")).toBeLessThan(moving.body.indexOf("Deleting your Switchboard account:"));
    expect(titleOf(moving.body)).toBe("Delete your account · Settings · Switchboard");

    // The receiving side is told too; it cannot open the requester's ticket, so no link.
    const receiving = await neu.ua.get(DELETE);
    expect(pageText(receiving.body)).toContain("this account is set to receive another account");
    expect(pageText(receiving.body)).toContain("the other account keeps its credits");
    expect(receiving.body).not.toContain(`/support/tickets/${id}`);

    // Approved and running: the deletion would be refused, so no form, and the page says why.
    await t.db.updateTable("support_tickets").set({ status: "transferring", step: "migrating" }).where("id", "=", id).execute();
    const running = await old.ua.get(DELETE);
    expect(pageText(running.body)).toContain("An approved email transfer of this account is running right now.");
    expect(pageText(running.body)).toContain("cannot be deleted while its credits move");
    expect(running.body).not.toContain('name="email"');

    // No transfer: no notice, the form as before.
    const none = await quiet.ua.get(DELETE);
    expect(pageText(none.body)).not.toContain("email transfer");
    expect(none.body).toContain('name="email"');
  });
});
