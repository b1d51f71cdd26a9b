/**
 * Security mail (issue 16 §5), through the services the pages call and /v1:
 * each of the nine events mails each owner and admin of the account once (a
 * plain member never), saying what happened, who did it, when (UTC) and what
 * to do, and never the secret; a retried or repeated call mails nothing twice;
 * an opt-out stops a kind that is not critical and cannot stop the critical
 * ones; a change that rolls back mails nothing (and a mail that cannot be
 * written undoes the change); a key's spend limit is mailed once a month
 * however many debits it refuses.
 */
import { sql } from "kysely";
import { beforeEach, describe, expect, it } from "vitest";
import { SECURITY_MAIL_WORDS, monthWords, utcMinute } from "../app/mail/templates/security.js";
import type { Actor } from "../app/models/audit.server.js";
import { setPasswordLogins } from "../app/models/password-logins.server.js";
import {
  CRITICAL_SECURITY_MAIL,
  SECURITY_MAIL_KINDS,
  enqueueSecurityMail,
  securityMailOptOuts,
  setSecurityMailOptOuts,
  type SecurityMailKind,
} from "../app/models/security-mail.server.js";
import { joinInvitedAccount } from "../app/services/invitations.server.js";
import {
  changeKeySpendLimit,
  createNamedKey,
  deleteNamedKey,
  regenerateAccountMainKey,
  rollAccountMainKey,
  stopOldMainKey,
} from "../app/services/keys.server.js";
import { createLogin, endMembership, inviteMember, removeFromAccount } from "../app/services/members.server.js";
import { mailKeySpendLimitReached } from "../app/services/security-notices.server.js";
import type { MemberRole, Plan } from "../db/schema.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite({ app: true });
beforeEach(() => truncateAll(t.db));

const OWNER = "olga@example.com";
const ADMIN = "ada@example.com";
const MEMBER = "max@example.com";
const WHEN = /When: \d{4}-\d\d-\d\d \d\d:\d\d UTC\./;

async function addPerson(accountId: string, email: string, name: string, role: MemberRole) {
  const { id } = await t.db.insertInto("users").values({ email, name, provider: "google" }).returning("id").executeTakeFirstOrThrow();
  await t.db.insertInto("memberships").values({ account_id: accountId, user_id: id, role }).execute();
  return id;
}

/** An account with an owner, an admin and a plain member, and credit to spend. */
async function team(plan: Plan = "gpu_cluster") {
  const made = await accountWithKey(t.db, { plan, email: OWNER, balanceCents: 100_00n });
  await t.db.updateTable("users").set({ name: "Olga Owner" }).where("id", "=", made.userId).execute();
  await t.db.updateTable("accounts").set({ name: "Acme Research" }).where("id", "=", made.accountId).execute();
  const adminId = await addPerson(made.accountId, ADMIN, "Ada Admin", "admin");
  const memberId = await addPerson(made.accountId, MEMBER, "Max Member", "member");
  const owner: Actor = { type: "user", id: made.userId };
  return { ...made, adminId, memberId, owner, admin: { type: "user", id: adminId } as Actor };
}

const services = () => t.app.services;
const url = () => t.app.config.publicUrl;

async function mailsOf(kind: SecurityMailKind) {
  return t.db
    .selectFrom("mail_outbox")
    .select(["to_address", "subject", "text_body", "dedupe_key", "related_type", "related_id"])
    .where("kind", "=", `security_${kind}`)
    .orderBy("to_address")
    .execute();
}

const securityMailCount = async () =>
  Number(
    (
      await t.db
        .selectFrom("mail_outbox")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("kind", "like", "security_%")
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * Exactly one mail of this kind to each of `to` (by default the owner and the admin, never the member),
 * about the account, each saying `says`, who and when, and none holding any of `secrets`.
 */
async function expectMailed(kind: SecurityMailKind, accountId: string, says: string[], secrets: string[] = [], to = [ADMIN, OWNER]) {
  const mails = await mailsOf(kind);
  expect(mails.map((m) => m.to_address)).toEqual([...to].sort());
  for (const m of mails) {
    expect(m.related_type).toBe("account");
    expect(m.related_id).toBe(accountId);
    expect(m.dedupe_key).toMatch(new RegExp(`^security:${kind}:.+:[0-9a-f-]{36}$`));
    expect(m.text_body).toContain('On your Switchboard account "Acme Research"');
    expect(m.text_body).toMatch(/Who: .+\./);
    expect(m.text_body).toMatch(WHEN);
    for (const s of says) expect(m.text_body).toContain(s);
    for (const secret of secrets) {
      expect(m.text_body).not.toContain(secret);
      expect(m.subject).not.toContain(secret);
    }
  }
  return mails;
}

describe("key events", () => {
  it("an additional key created and deleted: the owner and the admin are told once each, by key name and display form, never the key", async () => {
    const a = await team();
    const created = await createNamedKey(services(), a.accountId, "CI runner", a.userId, a.owner);
    if (!created.ok) throw new Error(created.message);
    const display = `${created.key.prefix}…${created.key.last4}`;
    const mails = await expectMailed(
      "key_created",
      a.accountId,
      [`A new API key, “CI runner” (${display}), was created.`, "Who: olga@example.com.", `${url()}/settings/api-keys`, `${url()}/settings/sessions`],
      [created.key.plaintext],
    );
    expect(mails[0]!.subject).toBe("A new API key was created on your Switchboard account");

    const deleted = await deleteNamedKey(services(), a.accountId, created.key.id, a.admin);
    expect(deleted.ok).toBe(true);
    await expectMailed(
      "key_deleted",
      a.accountId,
      [`The API key “CI runner” (${display}) was deleted. It no longer works.`, "Who: ada@example.com."],
      [created.key.plaintext],
    );
    // Deleting it again finds nothing, and mails nothing.
    expect((await deleteNamedKey(services(), a.accountId, created.key.id, a.admin)).ok).toBe(false);
    expect(await securityMailCount()).toBe(4);
  });

  it("the main key regenerated: both told, naming the new key's display form; neither the old nor the new key is in the mail", async () => {
    const a = await team();
    const key = await regenerateAccountMainKey(services(), a.accountId, a.adminId, a.admin);
    await expectMailed(
      "key_regenerated",
      a.accountId,
      [
        `the new one is “Main key” (${key.prefix}…${key.last4})`,
        "The old main key stopped working at once",
        "Who: ada@example.com.",
        `${url()}/settings/api-keys`,
      ],
      [key.plaintext, a.key],
    );
  });

  it("the main key rolled: the mail says until when the old key works (UTC); stopping the old key early is audited, not mailed", async () => {
    const a = await team();
    const rolled = await rollAccountMainKey(services(), a.accountId, a.userId, "24h", a.owner);
    expect(rolled.old).not.toBeNull();
    await expectMailed(
      "key_rolled",
      a.accountId,
      [
        `the new one is “Main key” (${rolled.key.prefix}…${rolled.key.last4})`,
        `The old main key keeps working until ${utcMinute(rolled.old!.expiresAt)}, then stops.`,
      ],
      [rolled.key.plaintext, a.key],
    );
    expect(await stopOldMainKey(services(), a.accountId, rolled.old!.id, a.owner)).not.toBeNull();
    expect(await securityMailCount()).toBe(2);
  });

  it("a key found public (the hook's call): both told where, what to do (remove it there, a new key, check Billing), by Switchboard after a scanner's report; once", async () => {
    const a = await team();
    const event = {
      kind: "key_leaked" as const,
      key: { name: "Main key", display: "tgp_v1_AbCd…WXyz" },
      foundUrl: "https://github.com/octo/demo/blob/main/.env",
      source: "content",
    };
    const input = {
      accountId: a.accountId,
      event,
      eventId: a.keyId,
      actor: { type: "system", id: "secret-scanning" } as Actor,
      at: new Date(),
      publicUrl: url(),
    };
    expect(await enqueueSecurityMail(t.db, "outbox", input)).toBe(2);
    await expectMailed(
      "key_leaked",
      a.accountId,
      [
        "The API key “Main key” (tgp_v1_AbCd…WXyz) was found in public, in a file, at:\nhttps://github.com/octo/demo/blob/main/.env",
        "we revoked it at once: it no longer works",
        "Who: Switchboard, automatically, after a secret scanner reported the key public.",
        "Remove the key from https://github.com/octo/demo/blob/main/.env",
        `Create a new key in Settings → API keys and put it where the old one was used: ${url()}/settings/api-keys`,
        `Check Billing for usage you don't recognise: ${url()}/settings/billing`,
      ],
      [a.key],
    );
    // A replayed report (or a retried workflow step) mails nothing more.
    expect(await enqueueSecurityMail(t.db, "outbox", input)).toBe(0);
    expect(await securityMailCount()).toBe(2);
  });
});

describe("a key's spend limit", () => {
  const usage = (key: string, amount_cents: number) =>
    fetch(`${t.app.url}/v1/usage`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
      body: JSON.stringify({ amount_cents, idempotency_key: crypto.randomUUID() }),
    });

  it("is mailed once a month however many debits it refuses (many at once too), and again the next month", async () => {
    const a = await team("build");
    const created = await createNamedKey(services(), a.accountId, "Batch job", a.userId, a.owner);
    if (!created.ok) throw new Error(created.message);
    expect((await changeKeySpendLimit(services(), a.accountId, created.key.id, 100n, a.owner)).ok).toBe(true);

    expect((await usage(created.key.plaintext, 60)).status).toBe(201);
    expect(await mailsOf("key_spend_limit_reached")).toEqual([]);
    for (let i = 0; i < 5; i++) expect((await usage(created.key.plaintext, 60)).status).toBe(402);
    const burst = await Promise.all(Array.from({ length: 20 }, () => usage(created.key.plaintext, 60)));
    expect(burst.map((r) => r.status)).toEqual(Array(20).fill(402));

    const month = new Date().toISOString().slice(0, 7);
    const mails = await expectMailed(
      "key_spend_limit_reached",
      a.accountId,
      [
        `The API key “Batch job” (${created.key.prefix}…${created.key.last4}) reached its spend limit of $1.00 for ${monthWords(month)}.`,
        `${url()}/settings/billing`,
      ],
      [created.key.plaintext],
    );
    expect(mails.every((m) => m.dedupe_key.startsWith(`security:key_spend_limit_reached:${created.key.id}:${month}:`))).toBe(true);
    // Asked again this month (another web process, say): nothing more.
    expect(await mailKeySpendLimitReached(services(), a.accountId, created.key.id)).toBe(0);

    const next = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 2));
    expect(await mailKeySpendLimitReached(services(), a.accountId, created.key.id, next)).toBe(2);
    expect(await mailKeySpendLimitReached(services(), a.accountId, created.key.id, next)).toBe(0);
    // Another account's id, or a key without a limit, mails nothing.
    expect(await mailKeySpendLimitReached(services(), crypto.randomUUID(), created.key.id)).toBe(0);
    expect(await mailKeySpendLimitReached(services(), a.accountId, a.keyId)).toBe(0);
  });
});

describe("logins and members", () => {
  it("a password login created: both told its username and where to remove it; never its one-time password", async () => {
    const a = await team("scale");
    await t.db.transaction().execute((trx) => setPasswordLogins(trx, a.accountId, true, { type: "staff", id: null }));
    const created = await createLogin(services(), { accountId: a.accountId, username: "lab-bench", createdBy: a.adminId }, a.admin);
    if (!created.ok || !created.revealed) throw new Error("no login");
    await expectMailed(
      "password_login_created",
      a.accountId,
      ['A password login with the username "lab-bench" was created.', "Who: ada@example.com.", `${url()}/settings/members`],
      [created.revealed.password],
    );
  });

  it("a member joins (an existing user accepts): the owner and admins are told, not the new admin themselves; a retried accept mails nothing", async () => {
    const a = await team();
    expect((await inviteMember(services(), { accountId: a.accountId, email: "sam@example.com", role: "admin", invitedBy: a.userId }, a.owner)).ok).toBe(true);
    const invitation = await t.db.selectFrom("mail_outbox").select("text_body").where("kind", "=", "invitation").executeTakeFirstOrThrow();
    const token = /\/invitations\/([A-Za-z0-9_-]{43})/.exec(invitation.text_body)![1]!;
    const sam = await accountWithKey(t.db, { email: "sam@example.com" });
    await t.db.updateTable("users").set({ name: "Sam" }).where("id", "=", sam.userId).execute();
    const sessionId = crypto.randomUUID();
    const joined = await joinInvitedAccount(services(), { token, userId: sam.userId, sessionId }, { type: "user", id: sam.userId });
    expect(joined.ok).toBe(true);
    await expectMailed("member_added", a.accountId, ["sam@example.com joined the account as an admin.", "Who: sam@example.com.", `${url()}/settings/members`]);
    expect(await joinInvitedAccount(services(), { token, userId: sam.userId, sessionId }, { type: "user", id: sam.userId })).toMatchObject({ ok: false });
    expect(await securityMailCount()).toBe(2);
  });

  it("a member removed, or leaving: the remaining owner and admins are told; someone erased by it is not named", async () => {
    const a = await team();
    // Max belongs to no other account: the removal erases him, and the mail says so without his name or address.
    expect((await removeFromAccount(services(), { accountId: a.accountId, userId: a.memberId, removedBy: a.userId }, a.owner)).ok).toBe(true);
    const erased = await expectMailed("member_removed", a.accountId, [
      "Someone who belonged to no other Switchboard account (so their personal data is erased with this) is no longer a member of the account.",
      "Who: olga@example.com.",
    ]);
    for (const m of erased) {
      expect(m.text_body).not.toContain(MEMBER);
      expect(m.text_body).not.toContain("Max Member");
    }

    // Ada has an account of her own; she leaves this one: only the owner is told (she is no longer an admin here).
    await accountWithKey(t.db, { email: "ada+own@example.com" }).then((own) =>
      t.db.updateTable("memberships").set({ user_id: a.adminId }).where("account_id", "=", own.accountId).execute(),
    );
    const left = await endMembership(services(), { accountId: a.accountId, userId: a.adminId, how: "left" }, a.admin);
    expect(left.ok).toBe(true);
    const mails = await mailsOf("member_removed");
    const toOwner = mails.filter((m) => m.to_address === OWNER);
    expect(mails).toHaveLength(3);
    expect(toOwner).toHaveLength(2);
    expect(toOwner.map((m) => m.text_body).join("\n")).toContain(
      "ada@example.com is no longer a member of the account. Their sessions on it ended, and the API keys they created stopped working.",
    );
    expect(toOwner.map((m) => m.text_body).join("\n")).toContain("Who: ada@example.com, themselves.");
  });
});

describe("retries, opt-outs, rollbacks", () => {
  it("the same event enqueued twice (a retried step) mails each person once", async () => {
    const a = await team();
    const input = {
      accountId: a.accountId,
      event: { kind: "key_deleted" as const, key: { name: "Old", display: "tgp_v1_AbCd…WXyz" } },
      eventId: "some-key-id",
      actor: a.owner,
      at: new Date(),
      publicUrl: url(),
    };
    expect(await t.db.transaction().execute((trx) => enqueueSecurityMail(trx, "outbox", input))).toBe(2);
    expect(await t.db.transaction().execute((trx) => enqueueSecurityMail(trx, "outbox", input))).toBe(0);
    expect(await mailsOf("key_deleted")).toHaveLength(2);
  });

  it("an opt-out stops a kind that is not critical, for that person only; the critical kinds cannot be turned off", async () => {
    const a = await team();
    const stored = await t.db
      .transaction()
      .execute((trx) => setSecurityMailOptOuts(trx, a.adminId, new Set<SecurityMailKind>(["key_created", ...CRITICAL_SECURITY_MAIL])));
    expect(stored).toEqual({ before: [], after: ["key_created"] });
    expect([...(await securityMailOptOuts(t.db, a.adminId))]).toEqual(["key_created"]);

    const created = await createNamedKey(services(), a.accountId, "Laptop", a.userId, a.owner);
    expect(created.ok).toBe(true);
    await expectMailed("key_created", a.accountId, ["“Laptop”"], [], [OWNER]);
    await regenerateAccountMainKey(services(), a.accountId, a.userId, a.owner);
    await expectMailed("key_regenerated", a.accountId, ["Main key"]);

    // Even a row written past the model (an older version, a hand edit) cannot stop a critical mail.
    await t.db.insertInto("notification_opt_outs").values({ user_id: a.adminId, kind: "key_leaked" }).execute();
    const leaked = {
      kind: "key_leaked" as const,
      key: { name: "Main key", display: "tgp_v1_AbCd…WXyz" },
      foundUrl: "https://gist.github.com/x",
      source: "gist",
    };
    expect(
      await enqueueSecurityMail(t.db, "outbox", {
        accountId: a.accountId,
        event: leaked,
        eventId: "k",
        actor: { type: "system", id: "secret-scanning" },
        at: new Date(),
        publicUrl: url(),
      }),
    ).toBe(2);
  });

  it("every kind has its words, and exactly key_leaked and key_regenerated are critical", () => {
    expect(Object.keys(SECURITY_MAIL_WORDS).sort()).toEqual([...SECURITY_MAIL_KINDS].sort());
    expect([...CRITICAL_SECURITY_MAIL].sort()).toEqual(["key_leaked", "key_regenerated"]);
  });

  it("a change that rolls back mails nothing, and a mail that cannot be written undoes the change", async () => {
    const a = await team();
    // Rolled back after the mail was enqueued in its transaction: neither stays.
    await expect(
      t.db.transaction().execute(async (trx) => {
        await enqueueSecurityMail(trx, "outbox", {
          accountId: a.accountId,
          event: { kind: "key_deleted", key: { name: "X", display: "tgp_v1_AbCd…WXyz" } },
          eventId: "rolled-back",
          actor: a.owner,
          at: new Date(),
          publicUrl: url(),
        });
        throw new Error("the change failed after its mail");
      }),
    ).rejects.toThrow("the change failed");
    expect(await securityMailCount()).toBe(0);

    // The admin's mail cannot be written: the key is not created, and the owner's mail is not sent either.
    await sql`
      CREATE FUNCTION test_refuse_mail() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.to_address = ${sql.lit(ADMIN)} THEN RAISE EXCEPTION 'mail refused'; END IF; RETURN NEW; END $$`.execute(t.db);
    await sql`CREATE TRIGGER test_refuse_mail BEFORE INSERT ON mail_outbox FOR EACH ROW EXECUTE FUNCTION test_refuse_mail()`.execute(t.db);
    try {
      await expect(createNamedKey(services(), a.accountId, "Never made", a.userId, a.owner)).rejects.toThrow();
      await expect(regenerateAccountMainKey(services(), a.accountId, a.userId, a.owner)).rejects.toThrow();
    } finally {
      await sql`DROP TRIGGER test_refuse_mail ON mail_outbox`.execute(t.db);
      await sql`DROP FUNCTION test_refuse_mail()`.execute(t.db);
    }
    expect(await securityMailCount()).toBe(0);
    expect(await t.db.selectFrom("api_keys").select("id").where("name", "=", "Never made").execute()).toEqual([]);
    const main = await t.db.selectFrom("api_keys").select(["id", "status"]).where("account_id", "=", a.accountId).where("kind", "=", "main").execute();
    expect(main).toEqual([{ id: a.keyId, status: "active" }]);
    expect(await t.db.selectFrom("audit_log").select("id").where("action", "in", ["api_key.created", "api_key.main_regenerated"]).execute()).toEqual([]);
  });
});
