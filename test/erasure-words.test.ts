/**
 * Erasure takes the person's data, not other people's words (issue 13,
 * finding 10). A person named "Goodwill" is erased; staff wrote "goodwill"
 * (the word) and "Goodwill" (the name) in notes on their account and on
 * other accounts. Their email address and provider subject go from free text
 * everywhere, as whole tokens; their name goes only from text about them (rows
 * of their own account, user and tickets), as a whole word written as a name.
 * Real PostgreSQL, the real models; the deletion workflow itself is covered by
 * test/workflows/delete-account.test.ts, whose dump scans still hold.
 */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { changePlan } from "../app/models/account-plan.server.js";
import { hashApiKey } from "../app/models/api-key-format.server.js";
import { createAdditionalKey, revokeLeakedKey } from "../app/models/api-keys.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import { erasePerson, erasePersonalData } from "../app/models/erasure.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { removeMember } from "../app/models/memberships.server.js";
import { FREE_TEXT_COLUMNS, Redactor } from "../app/models/redaction.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { TEST_TOMBSTONE_SECRET } from "./helpers/app.js";
import { truncateAll } from "./helpers/database.js";
import { databaseText } from "./helpers/pii-scan.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();
beforeEach(async () => {
  await truncateAll(t.db);
});

const EMAIL = "goodwill@example.com";
const SUBJECT = "108273645519283746501";
const STAFF = { type: "staff" as const, id: null };

/** Goodwill, with their own account (Google identity) and a grant to start with. */
async function goodwill(plan: "build" | "gpu_cluster" = "build") {
  const made = await accountWithKey(t.db, { email: EMAIL, plan });
  await t.db.updateTable("users").set({ name: "Goodwill" }).where("id", "=", made.userId).execute();
  await t.db.updateTable("accounts").set({ name: "Goodwill's account" }).where("id", "=", made.accountId).execute();
  await t.db.insertInto("identities").values({ user_id: made.userId, provider: "google", subject: SUBJECT, email: EMAIL, email_verified: true }).execute();
  return made;
}

let seq = 0;
const note = async (accountId: string, text: string) => {
  seq += 1;
  await postLedgerEntry(t.db, { accountId, amountCents: 100n, kind: "grant", idempotencyKey: `note:${seq}`, actor: STAFF, note: text });
};
const notesOf = async (accountId: string) =>
  (await t.db.selectFrom("ledger_entries").select("note").where("account_id", "=", accountId).where("note", "is not", null).orderBy("id").execute()).map(
    (n) => n.note,
  );
const planReasons = async (accountId: string) =>
  (
    await t.db.selectFrom("audit_log").select("details").where("action", "=", "account.plan_changed").where("target_id", "=", accountId).orderBy("id").execute()
  ).map((r) => (r.details as { reason: string }).reason);

describe("the redactor", () => {
  const r = new Redactor({ identifiers: [EMAIL, SUBJECT], names: ["Goodwill", "Ann  Lee"] });
  it.each([
    // identifiers: whole tokens, any case, everywhere
    ["write to goodwill@example.com.", false, "write to [erased]."],
    ["GOODWILL@EXAMPLE.COM wrote", false, "[erased] wrote"],
    [
      "xgoodwill@example.com, goodwill@example.com.au, goodwill@example.community",
      false,
      "xgoodwill@example.com, goodwill@example.com.au, goodwill@example.community",
    ],
    [`sub ${SUBJECT}; not ${SUBJECT}7 nor 9${SUBJECT}`, false, `sub [erased]; not ${SUBJECT}7 nor 9${SUBJECT}`],
    // names: only in text about the person, as a word, written as a name
    ["Goodwill upgrade", false, "Goodwill upgrade"],
    ["Goodwill upgrade for Goodwill's team", true, "[erased] upgrade for [erased]'s team"],
    ["goodwill grant, ticket #4711, approved by J. Smith", true, "goodwill grant, ticket #4711, approved by J. Smith"],
    ["Goodwilling campaign, ungoodwill", true, "Goodwilling campaign, ungoodwill"],
    ["GOODWILL called", true, "[erased] called"],
    ["Ann Lee and Ann\nLee, not Anne Lee", true, "[erased] and [erased], not Anne Lee"],
  ] as const)("%j (about the person: %s) → %j", (input, about, output) => {
    expect(r.text(input, about)).toBe(output);
  });

  it("a name spelt in lower case by the person themselves is their name in lower case too", () => {
    expect(new Redactor({ identifiers: [], names: ["goodwill"] }).text("goodwill said", true)).toBe("[erased] said");
  });
});

describe("erasing a deleted account", () => {
  it("keeps other people's words, takes the person's identifiers everywhere and their name only from text about them", async () => {
    const g = await goodwill();
    const other = await accountWithKey(t.db, { email: "olga@example.com" });

    // On Goodwill's own account (text about them).
    await note(g.accountId, "goodwill grant, ticket #4711, approved by J. Smith");
    await note(g.accountId, "Goodwill upgrade for Goodwill's team");
    await note(g.accountId, "Goodwilling campaign");
    await note(g.accountId, `refund to ${EMAIL}.`);
    await t.db.transaction().execute((trx) => changePlan(trx, { accountId: g.accountId, plan: "scale", reason: "contract C-99, goodwill upgrade" }, STAFF));
    await t.db.transaction().execute((trx) => changePlan(trx, { accountId: g.accountId, plan: "enterprise", reason: "Goodwill asked by phone" }, STAFF));
    const key = await createAdditionalKey(t.db, g.accountId, "Goodwill's laptop", g.userId, { type: "user", id: g.userId });
    if (!key.ok) throw new Error(key.message);

    // On someone else's account (not about them): the name is someone else's business, identifiers are not.
    await note(other.accountId, "Goodwill upgrade, contract C-99");
    await note(other.accountId, `moved from ${EMAIL} per ticket`);
    await note(other.accountId, `xgoodwill@example.com and ${EMAIL}.au are other people`);
    await t.db.transaction().execute((trx) => changePlan(trx, { accountId: other.accountId, plan: "scale", reason: "Goodwill upgrade, contract C-99" }, STAFF));
    await t.db
      .insertInto("account_status_changes")
      .values({ account_id: other.accountId, action: "block", reason_code: "fraud", reason_text: `duplicate of ${EMAIL}, Google sub ${SUBJECT}`, steps: "[]" })
      .execute();
    const ticket = await t.db
      .insertInto("support_tickets")
      .values({
        kind: "email_transfer",
        source: "web",
        status: "completed",
        old_account_id: other.accountId,
        sender_address: "olga@example.com",
        new_address: EMAIL,
        checks: "[]",
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto("ticket_notes")
      .values({ ticket_id: ticket.id, staff_id: null, body: `Olga moves to ${EMAIL}; Goodwill upgrade agreed` })
      .execute();
    await t.db.insertInto("ticket_notes").values({ ticket_id: ticket.id, staff_id: null, body: "Olga's goodwill gesture" }).execute();
    await writeAudit(t.db, STAFF, {
      action: "test.note",
      targetType: "account",
      targetId: other.accountId,
      details: { text: `asked ${EMAIL} about the Goodwill upgrade` },
    });
    await t.db
      .insertInto("mail_outbox")
      .values({
        dedupe_key: "t:1",
        kind: "test",
        to_address: "olga@example.com",
        subject: `About ${EMAIL}`,
        text_body: `Your account moves to ${EMAIL}. Goodwill upgrade.`,
        headers: "{}",
        status: "kept",
      })
      .execute();

    const counts = await t.db.transaction().execute((trx) => erasePersonalData(trx, g.accountId, TEST_TOMBSTONE_SECRET));
    expect(counts.usersErased).toBe(1);

    expect(await notesOf(g.accountId)).toEqual([
      "goodwill grant, ticket #4711, approved by J. Smith",
      "[erased] upgrade for [erased]'s team",
      "Goodwilling campaign",
      "refund to [erased].",
    ]);
    expect(await planReasons(g.accountId)).toEqual(["contract C-99, goodwill upgrade", "[erased] asked by phone"]);
    expect((await t.db.selectFrom("api_keys").select("name").where("id", "=", key.key.id).executeTakeFirstOrThrow()).name).toBe("[erased]'s laptop");

    expect(await notesOf(other.accountId)).toEqual([
      "Goodwill upgrade, contract C-99",
      "moved from [erased] per ticket",
      `xgoodwill@example.com and ${EMAIL}.au are other people`,
    ]);
    expect(await planReasons(other.accountId)).toEqual(["Goodwill upgrade, contract C-99"]);
    const change = await t.db.selectFrom("account_status_changes").select("reason_text").where("account_id", "=", other.accountId).executeTakeFirstOrThrow();
    expect(change.reason_text).toBe("duplicate of [erased], Google sub [erased]");
    // Someone else's ticket: their address and words stay; Goodwill's address goes.
    expect(await t.db.selectFrom("support_tickets").select(["sender_address", "new_address"]).where("id", "=", ticket.id).executeTakeFirstOrThrow()).toEqual({
      sender_address: "olga@example.com",
      new_address: null,
    });
    const bodies = (await t.db.selectFrom("ticket_notes").select("body").where("ticket_id", "=", ticket.id).orderBy("id").execute()).map((n) => n.body);
    expect(bodies).toEqual(["Olga moves to [erased]; [erased] upgrade agreed", "Olga's goodwill gesture"]);
    const audit = await t.db.selectFrom("audit_log").select("details").where("action", "=", "test.note").executeTakeFirstOrThrow();
    expect(audit.details).toEqual({ text: "asked [erased] about the Goodwill upgrade" });
    const mail = await t.db.selectFrom("mail_outbox").select(["to_address", "subject", "text_body"]).where("dedupe_key", "=", "t:1").executeTakeFirstOrThrow();
    expect(mail).toEqual({ to_address: "olga@example.com", subject: "About [erased]", text_body: "Your account moves to [erased]. Goodwill upgrade." });

    // The dump: no address or subject of theirs anywhere; their name only where others wrote it about others.
    const dump = await databaseText(t.db);
    expect(dump.toLowerCase()).not.toMatch(/(?<![a-z0-9._%+-])goodwill@example\.com(?![a-z0-9_-]|\.[a-z0-9])/);
    expect(dump).not.toContain(SUBJECT + ",");
    expect(dump).not.toMatch(new RegExp(`(?<![0-9])${SUBJECT}(?![0-9])`));
    const aboutThem = dump.split("\n").filter((line) => line.includes(g.accountId) || line.includes(g.userId));
    expect(aboutThem.length).toBeGreaterThan(5);
    for (const line of aboutThem) expect(line, line).not.toMatch(/(?<![\p{L}\p{N}_])(Goodwill|GOODWILL)(?![\p{L}\p{N}_])/u);
  });
});

describe("erasing a deleted account: keys found public", () => {
  it("the URL a scanner found a key at goes from the key and from the audit row of its revocation; the key stays revoked", async () => {
    const g = await goodwill();
    const other = await accountWithKey(t.db, { email: "olga@example.com" });
    const url = "https://github.com/gw-dev/dotfiles/blob/0123456/.env";
    await revokeLeakedKey(t.db, hashApiKey(g.key), { url, source: "content" });
    await revokeLeakedKey(t.db, hashApiKey(other.key), { url: "https://github.com/olga/x/blob/1/a", source: "commit" });
    await t.db.transaction().execute((trx) => erasePersonalData(trx, g.accountId, TEST_TOMBSTONE_SECRET));
    const key = (id: string) =>
      t.db.selectFrom("api_keys").select(["status", "revoked_reason", "leaked_url", "leaked_source"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(await key(g.keyId)).toEqual({ status: "revoked", revoked_reason: "leaked", leaked_url: null, leaked_source: "content" });
    expect((await key(other.keyId)).leaked_url).toBe("https://github.com/olga/x/blob/1/a");
    const audit = await t.db
      .selectFrom("audit_log")
      .select("details")
      .where("action", "=", "api_key.revoked_leaked")
      .where("target_id", "=", g.accountId)
      .executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ key_id: g.keyId, found_url: "[erased]", source: "content" });
    expect(await databaseText(t.db)).not.toContain("gw-dev");
  });
});

describe("erasing a person whose last membership ended", () => {
  it("takes their name from what is about them (keys they made), not from the account's other words", async () => {
    const cluster = await accountWithKey(t.db, { plan: "gpu_cluster", email: "olga@example.com" });
    const person = await t.db.insertInto("users").values({ email: EMAIL, name: "Goodwill", provider: "google" }).returning("id").executeTakeFirstOrThrow();
    await t.db.insertInto("identities").values({ user_id: person.id, provider: "google", subject: SUBJECT, email: EMAIL, email_verified: true }).execute();
    await t.db.insertInto("memberships").values({ account_id: cluster.accountId, user_id: person.id, role: "admin" }).execute();
    const key = await createAdditionalKey(t.db, cluster.accountId, "Goodwill laptop", person.id, { type: "user", id: person.id });
    if (!key.ok) throw new Error(key.message);
    await note(cluster.accountId, "Goodwill upgrade for the team");
    await note(cluster.accountId, `credit for ${EMAIL}'s project`);

    const removed = await t.db.transaction().execute((trx) => removeMember(trx, cluster.accountId, person.id, { type: "user", id: cluster.userId }));
    expect(removed).toMatchObject({ ok: true, personErased: true });

    expect(await t.db.selectFrom("api_keys").select(["name", "status"]).where("id", "=", key.key.id).executeTakeFirstOrThrow()).toEqual({
      name: "[erased] laptop",
      status: "revoked",
    });
    expect(await notesOf(cluster.accountId)).toEqual(["Goodwill upgrade for the team", "credit for [erased]'s project"]);
    const dump = await databaseText(t.db);
    expect(dump.toLowerCase()).not.toContain(EMAIL);
    expect(dump).not.toContain(SUBJECT);
    // Erasing again changes nothing.
    const before = await databaseText(t.db);
    expect(await t.db.transaction().execute((trx) => erasePerson(trx, person.id, "last_membership_ended", { type: "system", id: null }))).toEqual({
      erased: false,
    });
    expect(await databaseText(t.db)).toBe(before);
  });
});

describe("erasing a deleted account: the console's saved views", () => {
  it("a staff member's saved filter on the person's address loses the address, encoded as it is in the query; other filters stay", async () => {
    const g = await goodwill();
    const staff = await t.db.insertInto("staff").values({ email: "views@switchboard.test", role: "support" }).returning("id").executeTakeFirstOrThrow();
    const saved = (name: string, query: string) =>
      t.db.insertInto("saved_views").values({ staff_id: staff.id, list: "accounts", name, query }).returning("id").executeTakeFirstOrThrow();
    const theirs = await saved(`Follow ${EMAIL}`, new URLSearchParams({ q: EMAIL }).toString());
    const other = await saved("Olga", new URLSearchParams({ q: "olga@example.com", page: "2" }).toString());
    await t.db.transaction().execute((trx) => erasePersonalData(trx, g.accountId, TEST_TOMBSTONE_SECRET));
    const row = (id: string) => t.db.selectFrom("saved_views").select(["name", "query"]).where("id", "=", id).executeTakeFirstOrThrow();
    expect(await row(theirs.id)).toEqual({ name: "Follow [erased]", query: new URLSearchParams({ q: "[erased]" }).toString() });
    expect(await row(other.id)).toEqual({ name: "Olga", query: "q=olga%40example.com&page=2" });
  });
});

describe("the free-text columns erasure searches", () => {
  // Text columns that are not free text: codes, ids, keys and hashes; and the person's own fields, erased by structure.
  const STRUCTURED = new Set<string>([
    // codes and states
    ...[
      "account_deletions.source",
      "account_deletions.status",
      "account_status_changes.action",
      "account_status_changes.reason_code",
      "account_status_changes.status",
    ],
    ...["accounts.blocked_reason_code", "accounts.plan", "accounts.status", "api_keys.kind", "api_keys.status", "api_keys.revoked_reason"],
    ...[
      "audit_log.action",
      "audit_log.actor_type",
      "audit_log.target_type",
      "identities.provider",
      "invitations.role",
      "ledger_entries.actor_type",
      "ledger_entries.kind",
    ],
    ...[
      "list_mailings.status",
      "mail_outbox.kind",
      "mail_outbox.related_type",
      "mail_outbox.status",
      "memberships.role",
      "recharge_rules.last_outcome",
      "recharge_rules.paused_reason",
    ],
    ...[
      "sessions.provider",
      "sessions.revoked_reason",
      "staff.provider",
      "staff.role",
      "support_tickets.kind",
      "support_tickets.sender_verdict",
      "support_tickets.source",
    ],
    ...["saved_views.list", "support_tickets.status", "support_tickets.step", "test_payment_charges.outcome", "ticket_decisions.decision", "users.provider"],
    // step records and check lists: codes, counts and times, written by the workflows
    ...["account_deletions.steps", "account_status_changes.steps", "support_tickets.checks"],
    // ids, keys, hashes, display parts of keys
    ...[
      "account_deletions.workflow_id",
      "account_status_changes.workflow_id",
      "support_tickets.workflow_id",
      "audit_log.actor_id",
      "audit_log.target_id",
      "ledger_entries.actor_id",
    ],
    ...[
      "ledger_entries.idempotency_key",
      "list_mailings.list_id",
      "mailing_subscriptions.list_id",
      "mailing_lists.id",
      "mail_outbox.dedupe_key",
      "mail_outbox.related_id",
    ],
    ...[
      "api_keys.prefix",
      "api_keys.last4",
      "password_logins.password_hash",
      "test_payment_charges.idempotency_key",
      "test_payment_charges.payment_method",
      "recharge_rules.payment_method",
    ],
    ...["accounts.login_id", "rate_limits.key"],
    // payments (issue 18): the provider's ids, codes and states, card brand and last 4, a receipt address; nothing a person typed
    ...["ledger_entries.payment_intent_id", "payment_events.id", "payment_events.type", "billing_customers.provider", "billing_customers.customer_id"],
    ...["payment_methods.provider", "payment_methods.provider_payment_method_id", "payment_methods.brand", "payment_methods.last4"],
    ...[
      "checkout_sessions.provider",
      "checkout_sessions.mode",
      "checkout_sessions.attempt_key",
      "checkout_sessions.provider_session_id",
      "checkout_sessions.status",
    ],
    ...["payments.provider", "payments.kind", "payments.status", "payments.failure_code", "payments.idempotency_key", "payments.payment_intent_id"],
    ...["payments.provider_payment_method_id", "payments.provider_customer_id", "payments.charge_id", "payments.card_brand", "payments.card_last4"],
    ...["payments.receipt_url", "billing_flags.reason"],
    // key safety (issue 16): where a secret scanner found a key is one of GitHub's source codes (content, commit, …);
    // which security mail a person turned off is a mail kind
    ...["api_keys.leaked_source", "notification_opt_outs.kind"],
    // the person's own fields: emptied, deleted or nulled by erasure itself
    ...["users.email", "users.name", "users.avatar_url", "identities.email", "identities.subject", "invitations.email", "mail_outbox.to_address"],
    ...["password_logins.username", "sessions.ip", "sessions.user_agent", "audit_log.ip"],
    // the URL a scanner found a key at names a repository, often its owner (github.com/<person>/…): nulled on the account's keys
    "api_keys.leaked_url",
    // staff are not customers: their own address is their staff record
    "staff.email",
  ]);

  it("cover every text column of the schema that is not structured (a new column must be put in one list or the other)", async () => {
    const { rows } = await sql<{ col: string }>`
      SELECT table_name || '.' || column_name AS col FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')
        AND table_name NOT LIKE 'kysely_%'
      ORDER BY 1`.execute(t.db);
    const unclassified = rows.map((r) => r.col).filter((c) => !FREE_TEXT_COLUMNS.includes(c) && !STRUCTURED.has(c));
    expect(unclassified).toEqual([]);
  });
});
