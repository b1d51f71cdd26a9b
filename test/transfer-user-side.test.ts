/**
 * The user's side of an email transfer over HTTP, with the real emailTransfer
 * workflow on a real worker: Settings → Email (the request), the ticket page
 * the requester follows, the confirmation link the new address opens, and the
 * signed inbound-mail hook.
 */
import { randomUUID } from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import { beforeEach, describe, expect, it } from "vitest";
import { transferStatusQuery, transferWorkflowId } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { SIGNATURE_HEADER, inboundSignature, nowSeconds, signedInboundHeaders } from "./helpers/inbound-mail.js";
import { useSuite } from "./helpers/suite.js";
import { endTicketWorkflows } from "./helpers/transfers.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";
import { signUpOwner } from "./helpers/sign-up.js";

const SECRET = "test-inbound-email-secret-0123456789abcdef";
const t = useSuite({ app: true, appEnv: { INBOUND_EMAIL_SECRET: SECRET } });

beforeEach(async () => {
  // A workflow left waiting by the previous test would otherwise wake on the next worker and find its ticket gone.
  await endTicketWorkflows(t.db, t.temporal.client);
  await truncateAll(t.db);
});

const EMAIL = "/settings/email";
const POLL = { timeout: 30_000, interval: 100 };

/** The workflow makes progress only inside this. */
const withWorker = <T>(fn: () => Promise<T>) => t.temporal.runWorker(realActivities(t.db, t.app.url), fn);

const signUp = (email: string) => signUpOwner(t.app.url, t.db, email);

async function requestTransfer(ua: UserAgent, newAddress: string): Promise<string> {
  const res = await ua.submit(EMAIL, EMAIL, { newAddress, confirm: "yes" });
  expect(res.status).toBe(302);
  const m = /\/support\/tickets\/([0-9a-f-]{36})$/.exec(res.location ?? "");
  expect(m, `redirected to ${res.location}`).not.toBeNull();
  return m![1];
}

const ticket = (id: string) => t.db.selectFrom("support_tickets").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
const ticketCount = async () =>
  Number(
    (
      await t.db
        .selectFrom("support_tickets")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

async function untilStatus(id: string, status: string) {
  await expect.poll(async () => (await ticket(id)).status, POLL).toBe(status);
  return ticket(id);
}

const mailsOf = (ticketId: string, kind: string) =>
  t.db.selectFrom("mail_outbox").select(["to_address", "text_body"]).where("related_id", "=", ticketId).where("kind", "=", kind).execute();

async function confirmationToken(ticketId: string): Promise<string> {
  await expect.poll(async () => (await mailsOf(ticketId, "transfer_confirmation")).length, POLL).toBe(1);
  const [mail] = await mailsOf(ticketId, "transfer_confirmation");
  const link = new RegExp(`${t.app.url.replace(/\./g, "\\.")}/confirm-transfer/([A-Za-z0-9_-]{43})`).exec(mail.text_body);
  expect(link, "the mail carries a confirmation link to this app").not.toBeNull();
  return link![1];
}

describe("Settings → Email", () => {
  it("explains the four steps; the owner's request opens a ticket, verification passes and the new address gets a confirmation link", async () => {
    const old = await signUp("old@example.com");
    await signUp("new@example.com");
    const page = await old.ua.get(EMAIL);
    expect(page.status).toBe(200);
    const text = pageText(page.body);
    for (const step of ["Create the new account.", "Ask from your current address.", "This account will be blocked.", "Update your integrations."]) {
      expect(text).toContain(step);
    }
    expect(text).toContain("I understand this account will be blocked");
    expect(page.body).toMatch(/<label for="new-address">New email address<\/label>/);
    expect(text).toContain("You have not asked for a transfer yet.");

    await withWorker(async () => {
      const id = await requestTransfer(old.ua, "  New@Example.com ");
      const row = await untilStatus(id, "awaiting_confirmation");
      expect(row).toMatchObject({ source: "web", requester_user_id: old.userId, old_account_id: old.accountId, new_address: "new@example.com" });
      expect(row.checks.length).toBeGreaterThan(0);
      expect(row.checks.every((c) => c.passed)).toBe(true);
      await confirmationToken(id);
      const [mail] = await mailsOf(id, "transfer_confirmation");
      expect(mail.to_address).toBe("new@example.com");

      const landed = await old.ua.get(`/support/tickets/${id}`);
      expect(landed.status).toBe(200);

      // While it runs, the page offers the running request instead of a second form, and lists it.
      const again = await old.ua.get(EMAIL);
      expect(pageText(again.body)).toContain("still in progress");
      expect(again.body).toContain(`href="/support/tickets/${id}"`);
      expect(again.body).not.toContain('name="newAddress"');
      expect(pageText(again.body)).toContain("awaiting confirmation");
    });
    const audit = await t.db.selectFrom("audit_log").select(["actor_type", "actor_id"]).where("action", "=", "ticket.created").execute();
    expect(audit).toEqual([{ actor_type: "user", actor_id: old.userId }]);
  });

  it("a second submit while a request is open goes to that request instead of opening another", async () => {
    const old = await signUp("old@example.com");
    const id = await requestTransfer(old.ua, "new@example.com");
    const csrf = UserAgent.csrfFrom((await old.ua.get("/settings/sessions")).body);
    const second = await old.ua.request(EMAIL, { form: { csrf, newAddress: "other@example.com", confirm: "yes" } });
    expect(second.status).toBe(302);
    expect(second.location).toBe(`${t.app.url}/support/tickets/${id}`);
    expect(await ticketCount()).toBe(1);
  });

  it("form errors (bad address, the current address, the box not ticked) are shown on the form and change nothing", async () => {
    const old = await signUp("old@example.com");
    const cases: [Record<string, string>, string][] = [
      [{ newAddress: "not-an-address", confirm: "yes" }, "That is not an email address."],
      [{ newAddress: "", confirm: "yes" }, "Enter the new email address."],
      [{ newAddress: " OLD@example.com", confirm: "yes" }, "That is this account's current address."],
      [{ newAddress: "new@example.com" }, "Tick the box to confirm"],
      [{ newAddress: "new@example.com", confirm: "on" }, "Tick the box to confirm"],
    ];
    for (const [fields, message] of cases) {
      const res = await old.ua.submit(EMAIL, EMAIL, fields);
      expect(res.status, JSON.stringify(fields)).toBe(400);
      expect(pageText(res.body)).toContain(message);
      expect(res.body).toContain('aria-invalid="true"');
    }
    // The address typed comes back in the field.
    const kept = await old.ua.submit(EMAIL, EMAIL, { newAddress: "new@example.com" });
    expect(kept.body).toContain('value="new@example.com"');
    expect(await ticketCount()).toBe(0);
    expect(await t.db.selectFrom("audit_log").select("id").where("action", "=", "ticket.created").execute()).toEqual([]);
  });

  it("only the owner may ask: an admin of the account gets 403 on the page and on a post", async () => {
    const admin = await signUp("admin@example.com");
    await t.db.updateTable("memberships").set({ role: "admin" }).where("user_id", "=", admin.userId).execute();
    const page = await admin.ua.get(EMAIL);
    expect(page.status).toBe(403);
    expect(pageText(page.body)).toContain("Only the account's owner can move it");
    const csrf = UserAgent.csrfFrom((await admin.ua.get("/settings/sessions")).body);
    const post = await admin.ua.request(EMAIL, { form: { csrf, newAddress: "new@example.com", confirm: "yes" } });
    expect(post.status).toBe(403);
    expect(await ticketCount()).toBe(0);
  });

  it("a post without a CSRF token is refused and changes nothing", async () => {
    const old = await signUp("old@example.com");
    const res = await old.ua.request(EMAIL, { form: { newAddress: "new@example.com", confirm: "yes" } });
    expect(res.status).toBe(403);
    expect(await ticketCount()).toBe(0);
  });
});

describe("the confirmation link", () => {
  it("asks signed-out people to sign in, refuses other accounts, and lets the new owner confirm exactly once", async () => {
    const old = await signUp("old@example.com");
    await signUp("new@example.com");
    const other = await signUp("other@example.com");

    await withWorker(async () => {
      const id = await requestTransfer(old.ua, "new@example.com");
      const token = await confirmationToken(id);
      const path = `/confirm-transfer/${token}`;

      // Signed out: the page says why a sign-in is needed and as which address (masked), then links to sign-in and back.
      const anon = new UserAgent(t.app.url);
      const out = await anon.request(path);
      expect(out.status).toBe(200);
      const outText = pageText(out.body);
      expect(outText).toContain("Sign in to confirm the transfer");
      expect(outText).toContain("Sign in as n…@example.com");
      expect(out.body).toContain(`href="/login?next=${encodeURIComponent(path)}"`);
      expect(outText).not.toContain("new@example.com");
      expect(outText).not.toContain("old@example.com");
      expect(outText).not.toContain("$"); // no balance for a signed-out visitor
      const confirmAnon = await anon.request(path, { form: { intent: "confirm" } });
      expect(confirmAnon.status).toBe(403); // no session, no CSRF: nothing confirmed

      const wrong = await other.ua.get(path);
      expect(wrong.status).toBe(403);
      expect(pageText(wrong.body)).toContain("Sign in with the new address");
      expect(wrong.body).toContain('value="switch_account"');
      expect(pageText(wrong.body)).not.toContain("old@example.com");
      expect(pageText(wrong.body)).toContain("(n…@example.com)");

      // Signing in with the new address from the login page comes back to the link.
      const landed = await anon.signIn("google", { email: "new@example.com" }, path);
      expect(landed.status).toBe(200);
      expect(new URL(landed.url).pathname).toBe(path);
      const text = pageText(landed.body);
      // Signed in as the new address: what moves, from which account, to which.
      expect(text).toContain("From the account of old@example.com");
      expect(text).toContain("Credit $0.00 as of now");
      expect(text).toContain("Plan Build");
      expect(text).toContain("signed in as new@example.com");
      expect(text).toContain("the previous account is blocked");
      expect((await ticket(id)).confirmed_at).toBeNull(); // looking changes nothing

      const csrf = UserAgent.csrfFrom(landed.body);
      const done = await anon.request(path, { form: { csrf, intent: "confirm" } });
      expect(done.status).toBe(200);
      expect(pageText(done.body)).toContain("Confirmed — support will review the request");
      expect((await ticket(id)).confirmed_at).not.toBeNull();

      const handle = t.temporal.client.workflow.getHandle(transferWorkflowId(id));
      await expect.poll(async () => (await handle.query(transferStatusQuery)).step, POLL).toBe("awaiting_approval");
      expect((await untilStatus(id, "awaiting_approval")).step).toBe("awaiting_approval");

      // The second click: already used, and the workflow heard the confirmation once.
      const again = await anon.request(path, { form: { csrf, intent: "confirm" } });
      expect(again.status).toBe(410);
      expect(pageText(again.body)).toContain("already used");
      const reload = await anon.request(path);
      expect(reload.status).toBe(410);
      const history = await handle.fetchHistory();
      expect(history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes)).toHaveLength(1);
      const confirmations = await t.db
        .selectFrom("audit_log")
        .select(["actor_type", "actor_id"])
        .where("action", "=", "ticket.confirmed_by_new_address")
        .execute();
      expect(confirmations).toHaveLength(1);
    });
  });

  it("the wrong account can sign out and come back through sign-in to the same link", async () => {
    const old = await signUp("old@example.com");
    await signUp("new@example.com");
    const other = await signUp("other@example.com");
    await withWorker(async () => {
      const id = await requestTransfer(old.ua, "new@example.com");
      const path = `/confirm-transfer/${await confirmationToken(id)}`;
      const page = await other.ua.get(path);
      const res = await other.ua.request(path, { form: { csrf: UserAgent.csrfFrom(page.body), intent: "switch_account" } });
      expect(res.status).toBe(302);
      expect(res.location).toBe(`${t.app.url}/login?next=${encodeURIComponent(path)}`);
      const signedOut = await other.ua.request(path); // signed out now: the page asks to sign in as the new address
      expect(signedOut.status).toBe(200);
      expect(pageText(signedOut.body)).toContain("Sign in to confirm the transfer");
      expect((await ticket(id)).confirmed_at).toBeNull();
    });
  });

  it("an unknown or tampered token is a 404, an expired one a 410, and neither confirms anything", async () => {
    const old = await signUp("old@example.com");
    const neu = await signUp("new@example.com");
    await withWorker(async () => {
      const id = await requestTransfer(old.ua, "new@example.com");
      const token = await confirmationToken(id);
      const tampered = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
      for (const bad of [tampered, "nonsense", "A".repeat(43)]) {
        const res = await neu.ua.get(`/confirm-transfer/${bad}`);
        expect(res.status, bad).toBe(404);
        expect(pageText(res.body)).toContain("This link is not valid");
      }

      await t.db
        .updateTable("support_tickets")
        .set({ confirm_expires_at: new Date(Date.now() - 60_000) })
        .where("id", "=", id)
        .execute();
      const expired = await neu.ua.get(`/confirm-transfer/${token}`);
      expect(expired.status).toBe(410);
      expect(pageText(expired.body)).toContain("This link has expired");
      const post = await neu.ua.request(`/confirm-transfer/${token}`, { form: { csrf: UserAgent.csrfFrom(expired.body), intent: "confirm" } });
      expect(post.status).toBe(410);
      expect((await ticket(id)).confirmed_at).toBeNull();
    });
  });
});

describe("the ticket page", () => {
  it("shows the requester the steps and each check in plain English, live while open; anyone else gets 404", async () => {
    const old = await signUp("old@example.com");
    await signUp("new@example.com");
    const stranger = await signUp("stranger@example.com");
    await withWorker(async () => {
      const id = await requestTransfer(old.ua, "new@example.com");
      await untilStatus(id, "awaiting_confirmation");
      const page = await old.ua.get(`/support/tickets/${id}`);
      expect(page.status).toBe(200);
      const text = pageText(page.body);
      for (const step of ["Requested", "Verified", "New address confirmed", "Approved by support", "Old account blocked", "Credits moved", "Done"]) {
        expect(text).toContain(step);
      }
      expect(text).toContain("You asked while signed in as the owner of the account being moved.");
      expect(text).toContain("The new address owns a Switchboard account.");
      expect(text).not.toMatch(/new_account_exists|requester_signed_in_as_old_owner/);
      // The current step is marked, and without JavaScript the page refreshes itself.
      expect(page.body).toMatch(/<li aria-current="step"><strong>New address confirmed<\/strong>/);
      expect(page.body).toMatch(/<noscript><meta http-equiv="refresh" content="2"\/?><\/noscript>/);

      expect((await stranger.ua.get(`/support/tickets/${id}`)).status).toBe(404);
      expect((await old.ua.get("/support/tickets/not-a-uuid")).status).toBe(404);
      expect((await old.ua.get("/support/tickets/00000000-0000-4000-8000-000000000000")).status).toBe(404);
      const anon = await new UserAgent(t.app.url).request(`/support/tickets/${id}`);
      expect(anon.status).toBe(302);
      expect(anon.location).toContain("/login?next=");
    });
  });

  it("the requester withdraws from the ticket page: the ticket says so, the link dies, a second try and anyone else are refused", async () => {
    const old = await signUp("old@example.com");
    const fresh = await signUp("new@example.com");
    const stranger = await signUp("stranger@example.com");
    await withWorker(async () => {
      const id = await requestTransfer(old.ua, "new@example.com");
      await untilStatus(id, "awaiting_confirmation");
      const token = await confirmationToken(id);
      const page = `/support/tickets/${id}`;
      expect(pageText((await old.ua.get(page)).body)).toContain("Withdraw request");
      expect((await stranger.ua.submit("/settings/email", page, { intent: "withdraw" })).status).toBe(404);
      const done = await old.ua.submit(page, page, { intent: "withdraw" });
      expect(done.status).toBe(200);
      expect((await ticket(id)).status).toBe("withdrawn");
      const after = pageText((await old.ua.get(page)).body);
      expect(after).toContain("Withdrawn: you took this request back");
      expect(after).not.toContain("Withdraw request");
      expect((await mailsOf(id, "transfer_withdrawn")).length).toBe(1);
      const again = await old.ua.submit(page, page, { intent: "withdraw" });
      expect(again.status).toBe(409);
      // The confirmation link is dead for the new owner.
      expect((await fresh.ua.get(`/confirm-transfer/${token}`)).status).toBe(410);
    });
  });

  it("a request whose new address has no account is rejected with the reason in plain English, and the requester is told by mail", async () => {
    const old = await signUp("old@example.com");
    await withWorker(async () => {
      const id = await requestTransfer(old.ua, "nobody@example.com");
      const row = await untilStatus(id, "rejected");
      expect(row.checks).toContainEqual({ code: "new_account_exists", passed: false });
      await expect.poll(async () => (await mailsOf(id, "transfer_rejected")).map((m) => m.to_address), POLL).toEqual(["old@example.com"]);
      expect(await mailsOf(id, "transfer_confirmation")).toEqual([]);

      const page = await old.ua.get(`/support/tickets/${id}`);
      const text = pageText(page.body);
      expect(text).toContain("Rejected: we could not verify this request, so nothing changed.");
      expect(text).toContain("The new address has no Switchboard account. Sign up with the new address first, then ask again.");
      // Checks about an account that does not exist are not given as reasons.
      expect(text).not.toContain("belongs to the very account being moved");
      expect(page.body).not.toContain("http-equiv");
      expect(page.body).not.toContain('aria-current="step"');

      // Closed, so Settings → Email offers the form again and lists the rejected request.
      const settings = await old.ua.get(EMAIL);
      expect(settings.body).toContain('name="newAddress"');
      expect(pageText(settings.body)).toContain("rejected");
    });
  });

  it("a completed transfer shows every step done and the amount moved", async () => {
    const old = await signUp("old@example.com");
    const id = await requestTransfer(old.ua, "new@example.com");
    // The ticket row as the workflow leaves it at the end (the approval path is the console's and the workflow tests').
    await t.db
      .updateTable("support_tickets")
      .set({
        status: "completed",
        step: "completed",
        checks: JSON.stringify([{ code: "new_account_exists", passed: true }]),
        confirmed_at: new Date(),
        transferred_cents: "123456",
        closed_at: new Date(),
      })
      .where("id", "=", id)
      .execute();
    const page = await old.ua.get(`/support/tickets/${id}`);
    const text = pageText(page.body);
    expect(text).toContain("$1,234.56 of credit, the plan and the settings now belong to the new account.");
    expect(text).toContain("Done. $1,234.56 of credit, your plan and settings now belong to the account on new@example.com");
    expect(page.body).not.toContain('aria-current="step"');
    expect(page.body).not.toContain("http-equiv");
  });
});

describe("the inbound-mail hook", () => {
  const HOOK = "/hooks/inbound-email";
  const sign = (body: string) => signedInboundHeaders(SECRET, body);
  const mail = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      message_id: `<${randomUUID()}@mail.example.com>`,
      from: "Old Owner <old@example.com>",
      to: "support@switchboard.test",
      subject: "Please move my account",
      text: "Hello, please move my account to new@example.com. Thanks! old@example.com",
      spf: "pass",
      dkim: "pass",
      ...over,
    });
  async function post(body: string, headers: Record<string, string> = sign(body), method = "POST") {
    const res = await fetch(`${t.app.url}${HOOK}`, {
      method,
      headers: { "Content-Type": "application/json", ...headers },
      body: method === "GET" ? undefined : body,
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as { ticket_id?: string; error?: { type: string; message: string; param?: string } },
    };
  }

  it("a signed mail from the owner with SPF and DKIM passing opens a ticket that passes verification", async () => {
    const old = await accountWithKey(t.db, { email: "old@example.com" });
    await accountWithKey(t.db, { email: "new@example.com" });
    await withWorker(async () => {
      const res = await post(mail());
      expect(res.status).toBe(202);
      const id = res.body.ticket_id!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      const row = await ticket(id);
      expect(row).toMatchObject({
        source: "email",
        sender_address: "old@example.com",
        sender_verdict: "pass",
        new_address: "new@example.com",
        old_account_id: old.accountId,
        requester_user_id: old.userId,
        workflow_id: transferWorkflowId(id),
      });
      const verified = await untilStatus(id, "awaiting_confirmation");
      expect(verified.checks).toContainEqual({ code: "sender_authenticated_as_old_owner", passed: true });
      expect(verified.checks.every((c) => c.passed)).toBe(true);
    });
  });

  it("a mail failing SPF is stored with a fail verdict and does not pass verification", async () => {
    await accountWithKey(t.db, { email: "old@example.com" });
    await accountWithKey(t.db, { email: "new@example.com" });
    await withWorker(async () => {
      const res = await post(mail({ spf: "fail" }));
      expect(res.status).toBe(202);
      const id = res.body.ticket_id!;
      expect((await ticket(id)).sender_verdict).toBe("fail");
      const row = await untilStatus(id, "rejected");
      expect(row.checks).toContainEqual({ code: "sender_authenticated_as_old_owner", passed: false });
      expect(await mailsOf(id, "transfer_confirmation")).toEqual([]);
    });
  });

  it("refuses a missing or wrong signature (401) and stores nothing", async () => {
    await accountWithKey(t.db, { email: "old@example.com" });
    const body = mail();
    const good = sign(body);
    const attempts: Record<string, string>[] = [
      {},
      { [SIGNATURE_HEADER]: good[SIGNATURE_HEADER]! }, // no timestamp
      signedInboundHeaders("another-secret-another-secret-another", body),
      sign(mail({ text: "move to evil@example.com" })), // a signature of another body
      { ...good, [SIGNATURE_HEADER]: good[SIGNATURE_HEADER]!.replace("sha256=", "") },
      { ...good, [SIGNATURE_HEADER]: "sha256=zz" },
      { ...good, [SIGNATURE_HEADER]: `sha256=${inboundSignature(SECRET, nowSeconds() + 1000, body)}` }, // signed for another time
    ];
    for (const headers of attempts) {
      const res = await post(body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error?.type).toBe("invalid_signature");
    }
    expect(await ticketCount()).toBe(0);
  });

  it("answers bad JSON and missing fields with 400 naming the field, a mail naming no other address with 422", async () => {
    await accountWithKey(t.db, { email: "old@example.com" });
    const notJson = await post("{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.type).toBe("invalid_request");

    const { dkim: _dropped, ...withoutDkim } = JSON.parse(mail()) as Record<string, unknown>;
    const missing = await post(JSON.stringify(withoutDkim));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ type: "invalid_request", param: "dkim" });

    const noSender = await post(mail({ from: "nobody" }));
    expect(noSender.status).toBe(400);
    expect(noSender.body.error?.param).toBe("from");

    const array = await post("[]");
    expect(array.status).toBe(400);

    const noAddress = await post(mail({ subject: "Move my account", text: "Please move it. Reply to old@example.com or support@switchboard.test." }));
    expect(noAddress.status).toBe(422);
    expect(noAddress.body.error?.type).toBe("no_new_address");
    expect(await ticketCount()).toBe(0);
  });

  it("takes the first address other than the sender's, wherever it is in subject or text", async () => {
    await accountWithKey(t.db, { email: "old@example.com" });
    await accountWithKey(t.db, { email: "new@example.com" });
    await withWorker(async () => {
      const res = await post(mail({ subject: "From OLD@example.com: new address <New@Example.com>.", text: "later@example.com" }));
      expect(res.status).toBe(202);
      expect((await ticket(res.body.ticket_id!)).new_address).toBe("new@example.com");
    });
  });

  it("answers other methods with 405 and bodies over 256 KB with 413", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await post("{}", {}, method);
      expect(res.status, method).toBe(405);
      expect(res.headers.get("Allow")).toBe("POST");
      expect(res.body.error?.type).toBe("method_not_allowed");
    }
    const big = mail({ text: `move to new@example.com ${"x".repeat(300 * 1024)}` });
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(res.body.error?.type).toBe("payload_too_large");
    expect(await ticketCount()).toBe(0);
  });

  it("refuses everything (401) when no secret is configured", async () => {
    const { action } = await import("../app/routes/hooks.inbound-email.js");
    const body = mail();
    const context = { services: { ...t.app.services, config: { ...t.app.config, inboundEmailSecret: undefined } }, ip: null } as unknown as AppLoadContext;
    const request = new Request(`${t.app.url}${HOOK}`, { method: "POST", body, headers: sign(body) });
    const res = await action({ request, context, params: {} });
    expect(res.status).toBe(401);
    expect(await ticketCount()).toBe(0);
  });
});
