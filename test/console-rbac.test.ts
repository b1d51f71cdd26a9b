/**
 * The console's access matrix: every console page and every kind of action,
 * against every role and a signed-out visitor and a customer. Refused requests
 * change nothing (a checksum of the domain tables before and after).
 */
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { enqueueMail } from "../app/mail/mailer.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { useSuite } from "./helpers/suite.js";
import { startTestTransfer } from "./helpers/transfers.js";
import { UserAgent } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
type Who = "signed_out" | "customer" | "support" | "operator" | "admin";
const WHO: Who[] = ["signed_out", "customer", "support", "operator", "admin"];
const agents = {} as Record<Who, UserAgent>;
let ids: { account: string; ticket: string; mail: string; workflows: Record<"operator" | "admin" | "support", string> };

beforeAll(async () => {
  for (const role of ["support", "operator", "admin"] as const) {
    await t.db
      .insertInto("staff")
      .values({ email: `${role}@switchboard.test`, role })
      .execute();
  }
  for (const who of WHO) {
    agents[who] = new UserAgent(t.app.url);
    if (who === "customer") await agents[who].signIn("google", { email: "customer@example.com" });
    else if (who !== "signed_out") await agents[who].signIn("github", { email: `${who}@switchboard.test` });
  }
  const old = await accountWithKey(t.db, { email: "rbac-old@example.com", balanceCents: 100n });
  await accountWithKey(t.db, { email: "rbac-new@example.com" });
  const { id: mail } = await enqueueMail(t.db, { to: "x@example.com", subject: "s", text: "t", kind: "test", dedupeKey: "rbac" }, "outbox");
  // Transfers that wait (no worker): something real for the ticket and workflow pages and their actions.
  const start = () =>
    startTestTransfer(
      { db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue },
      { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "rbac-new@example.com" },
    );
  const first = await start();
  const [op, ad, su] = [await start(), await start(), await start()];
  ids = {
    account: old.accountId,
    ticket: first.ticketId,
    mail,
    workflows: { operator: op.handle.workflowId, admin: ad.handle.workflowId, support: su.handle.workflowId },
  };
});

/** Domain state a refused request must not touch (not audit: refusals are audited on purpose). */
async function checksum(): Promise<string> {
  const { rows } = await sql<{ sum: string }>`
    SELECT md5(concat_ws('|',
      (SELECT string_agg(id::text || status || plan || password_logins_enabled::text || coalesce(login_id, '-'), ',' ORDER BY id) FROM accounts),
      (SELECT string_agg(id::text || coalesce(revoked_at::text, '-'), ',' ORDER BY id) FROM sessions),
      (SELECT string_agg(id::text || role, ',' ORDER BY id) FROM staff),
      (SELECT count(*)::text FROM ticket_notes),
      (SELECT count(*)::text FROM ledger_entries),
      (SELECT count(*)::text FROM account_status_changes),
      (SELECT string_agg(id::text || status, ',' ORDER BY id) FROM account_deletions),
      (SELECT count(*)::text FROM list_mailings))) AS sum`.execute(t.db);
  return rows[0].sum;
}

const pages = () => [
  "/console",
  "/console/accounts",
  "/console/accounts/legacy-keys",
  `/console/accounts/${ids.account}`,
  "/console/tickets",
  `/console/tickets/${ids.ticket}`,
  "/console/mail",
  `/console/mail/${ids.mail}`,
  "/console/audit",
  "/console/audit/csv",
  "/console/workflows",
  `/console/workflows/${encodeURIComponent(ids.workflows.support)}`,
  "/console/staff",
  "/console/deletions",
  "/console/deletions?status=failed",
  "/console/lists",
];

function expectedPage(who: Who, path: string): number {
  if (who === "signed_out") return 302;
  if (who === "customer") return 404;
  if (path === "/console/staff") return who === "admin" ? 200 : 403;
  return 200;
}

describe("console pages by role", () => {
  it.each(WHO)("%s", async (who) => {
    for (const path of pages()) {
      const res = await agents[who].request(path);
      expect(res.status, `${who} GET ${path}`).toBe(expectedPage(who, path));
      if (res.status === 302) expect(res.location).toContain("/login?next=");
    }
  });
});

/**
 * One action per console form family, with who may do it. Where doing it for
 * real would spoil the rest of the matrix (deleting the account, sending a
 * mailing), the allowed roles send an incomplete form: it gets past the role
 * check, is answered `allowedStatus`, and must change nothing either.
 */
const actions = (): { page: string; fields: Record<string, string>; allowed: Who[]; allowedStatus?: number[] }[] => [
  { page: `/console/accounts/${ids.account}`, fields: { intent: "end_sessions" }, allowed: ["support", "admin"] },
  { page: `/console/accounts/${ids.account}`, fields: { intent: "delete", confirm: "yes" }, allowed: ["support", "admin"], allowedStatus: [400] },
  // A plan change without its reason, a password-logins toggle without on/off.
  { page: `/console/accounts/${ids.account}`, fields: { intent: "plan", plan: "scale" }, allowed: ["support", "admin"], allowedStatus: [400] },
  { page: `/console/accounts/${ids.account}`, fields: { intent: "password_logins" }, allowed: ["support", "admin"], allowedStatus: [400] },
  { page: "/console/lists", fields: { intent: "send" }, allowed: ["admin"], allowedStatus: [400] },
  { page: "/console/staff", fields: { intent: "add", email: `new-${crypto.randomUUID()}@switchboard.test`, role: "support" }, allowed: ["admin"] },
  { page: `/console/tickets/${ids.ticket}`, fields: { intent: "note", body: "checked the sender" }, allowed: ["support", "admin"] },
  { page: "workflow", fields: { intent: "terminate", reason: "rbac test" }, allowed: ["operator", "admin"] },
];

describe("console actions by role", () => {
  it.each(WHO)("%s", async (who) => {
    for (const a of actions()) {
      const isWorkflow = a.page === "workflow";
      const workflowId = isWorkflow ? ids.workflows[who === "operator" || who === "admin" ? who : "support"] : "";
      const page = isWorkflow ? `/console/workflows/${encodeURIComponent(workflowId)}` : a.page;
      const fields: Record<string, string> = isWorkflow
        ? { ...a.fields, run: (await t.temporal.client.workflow.getHandle(workflowId).describe()).runId }
        : a.fields;
      const before = await checksum();
      const ua = agents[who];
      // The CSRF token comes from a page each one can open (a refused page has no forms).
      const tokenPage = who === "signed_out" ? "/login" : who === "customer" ? "/" : "/console";
      const form = await ua.submit(tokenPage, page, fields);
      const allowed = a.allowed.includes(who);
      if (allowed && a.allowedStatus) {
        expect(a.allowedStatus, `${who} POST ${page} ${a.fields.intent} (incomplete form)`).toContain(form.status);
        expect(await checksum(), `${who} POST ${page} ${a.fields.intent} (incomplete form) changed nothing`).toBe(before);
      } else if (allowed) {
        expect([200, 302], `${who} POST ${page} ${a.fields.intent}`).toContain(form.status);
      } else {
        const expected = who === "signed_out" ? 302 : who === "customer" ? 404 : 403;
        expect(form.status, `${who} POST ${page} ${a.fields.intent}`).toBe(expected);
        expect(await checksum(), `${who} POST ${page} changed nothing`).toBe(before);
      }
    }
  });
});
