/**
 * GDPR erasure, in two shapes:
 * - erasePersonalData: a deleted account and the people whose only account it
 *   was, in one transaction together with the email tombstone (after it the
 *   address is gone, so the tombstone cannot be written later);
 * - erasePerson: one person whose last membership ended (removed from, or
 *   left, the only account they belonged to): nothing of theirs has a purpose
 *   any more, but they deleted nothing, so no tombstone: they may sign up
 *   again (docs/decisions/005-erase-people-without-accounts.md).
 * Both are idempotent: a second run finds nobody left to erase and changes nothing.
 *
 * The person's own fields go by structure (users, identities, sessions,
 * subscriptions, invitations, tickets' address columns, mail to them). Inside
 * text other people wrote, app/models/redaction.server.ts removes their
 * identifiers everywhere and their name only from text about them.
 *
 * What stays, and why:
 * - ledger_entries (amounts, kinds, dates) against the account id, which no
 *   longer leads to a person: bookkeeping law requires keeping accounting
 *   records (e.g. §147 AO / §257 HGB: 10 years), and GDPR Art. 17(3)(b) lets a
 *   legal obligation override erasure. Only free-text notes lose personal data.
 * - audit_log rows (who, what, when, to which id): the controller must be able
 *   to show what it did (GDPR Art. 5(2) accountability); their details and
 *   client address, which could identify the person, are redacted.
 * - the users row itself, emptied (email, name, avatar NULL, erased_at set):
 *   ledger, keys and tickets refer to it by id.
 */
import { sql, type Transaction } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { Database } from "../../db/schema.js";
import { writeAudit, type Actor } from "./audit.server.js";
import { normalizeEmail, writeEmailTombstone } from "./email.server.js";
import { ERASED, Redactor, redactAuditDetails, redactFreeText } from "./redaction.server.js";

export { ERASED };

type Trx = Transaction<Database>;

export interface ErasureCounts {
  usersErased: number;
  tombstones: number;
  mails: number;
  tickets: number;
  auditRows: number;
}

/** The people's rows, their addresses, and the redactor that finds them in text. */
async function peopleOf(trx: Trx, userIds: string[]) {
  const users = userIds.length
    ? await trx.selectFrom("users").select(["id", "email", "name", "avatar_url"]).where("id", "in", userIds).forUpdate().execute()
    : [];
  const identities = userIds.length ? await trx.selectFrom("identities").select(["email", "subject"]).where("user_id", "in", userIds).execute() : [];
  const emails = [...new Set([...users.map((u) => u.email), ...identities.map((i) => i.email)].filter((e): e is string => !!e).map(normalizeEmail))];
  const redactor = new Redactor({
    identifiers: [...emails, ...identities.map((i) => i.subject), ...users.map((u) => u.avatar_url)],
    names: users.map((u) => u.name),
  });
  return { users, emails, redactor };
}

/**
 * Tickets the people are party to: `own` ones (of the account, or requested by
 * them) are about them through and through; on the others only their address
 * appears (someone else's transfer to or from it).
 */
async function ticketsOf(trx: Trx, accountId: string | null, userIds: string[], emails: string[]) {
  const rows = await trx
    .selectFrom("support_tickets")
    .select(["id", "old_account_id", "new_account_id", "requester_user_id"])
    .where((eb) =>
      eb.or([
        ...(accountId ? [eb("old_account_id", "=", accountId), eb("new_account_id", "=", accountId)] : []),
        ...(userIds.length ? [eb("requester_user_id", "in", userIds)] : []),
        ...(emails.length ? [eb(sql<string>`lower(sender_address)`, "in", emails), eb(sql<string>`lower(new_address)`, "in", emails)] : []),
        sql<boolean>`false`,
      ]),
    )
    .execute();
  const own = rows.filter(
    (t) =>
      (accountId !== null && (t.old_account_id === accountId || t.new_account_id === accountId)) ||
      (t.requester_user_id !== null && userIds.includes(t.requester_user_id)),
  );
  return { all: rows.map((t) => t.id), own: own.map((t) => t.id) };
}

/** The structure of a ticket: own tickets lose both addresses, notes and reasons; others only the person's address. */
async function eraseTickets(trx: Trx, tickets: { all: string[]; own: string[] }, emails: string[]) {
  if (tickets.own.length) {
    await trx.updateTable("support_tickets").set({ sender_address: null, new_address: null }).where("id", "in", tickets.own).execute();
    // Staff notes on the person's own ticket are about them through and through (a phone number, a story): they go whole.
    await trx.updateTable("ticket_notes").set({ body: ERASED }).where("ticket_id", "in", tickets.own).where("body", "<>", ERASED).execute();
    await trx.updateTable("ticket_decisions").set({ reason: null }).where("ticket_id", "in", tickets.own).execute();
  }
  if (emails.length && tickets.all.length) {
    await trx
      .updateTable("support_tickets")
      .set({ sender_address: null })
      .where("id", "in", tickets.all)
      .where(sql<string>`lower(sender_address)`, "in", emails)
      .execute();
    await trx
      .updateTable("support_tickets")
      .set({ new_address: null })
      .where("id", "in", tickets.all)
      .where(sql<string>`lower(new_address)`, "in", emails)
      .execute();
  }
}

/** The people's own rows: sign-ins and subscriptions go, the user row is emptied. */
async function eraseUsers(trx: Trx, userIds: string[]) {
  if (!userIds.length) return;
  await trx.deleteFrom("identities").where("user_id", "in", userIds).execute();
  await trx.deleteFrom("mailing_subscriptions").where("user_id", "in", userIds).execute();
  await trx.deleteFrom("password_logins").where("user_id", "in", userIds).execute();
  await trx
    .updateTable("users")
    .set({ email: null, name: null, avatar_url: null, erased_at: sql`coalesce(erased_at, now())` })
    .where("id", "in", userIds)
    .execute();
}

/**
 * Audit rows keep who did what to which id; strings holding the person's data
 * are redacted by redactFreeText. Here: the client address of what the person
 * (or, on their account, an anonymous visitor on their behalf) did is forgotten.
 */
async function forgetAuditAddresses(trx: Trx, accountId: string | null, userIds: string[]): Promise<number> {
  const rows = await trx
    .selectFrom("audit_log")
    .select(["id", "details"])
    .where("ip", "is not", null)
    .where((eb) =>
      eb.or([
        ...(userIds.length ? [eb.and([eb("actor_type", "=", "user"), eb("actor_id", "in", userIds)])] : []),
        ...(accountId ? [eb.and([eb("actor_type", "=", "anonymous"), eb("target_type", "=", "account"), eb("target_id", "=", accountId)])] : []),
        sql<boolean>`false`,
      ]),
    )
    .execute();
  let changed = 0;
  for (const r of rows) changed += await redactAuditDetails(trx, [r.id], r.details, { clearIp: true });
  return changed;
}

const sum = (counts: Record<string, number>, prefix: string) => Object.entries(counts).reduce((n, [k, v]) => (k.startsWith(prefix) ? n + v : n), 0);

export async function erasePersonalData(trx: Trx, accountId: string, tombstoneSecret: string): Promise<ErasureCounts> {
  const members = await trx.selectFrom("memberships").select("user_id").where("account_id", "=", accountId).execute();
  const memberIds = members.map((m) => m.user_id);
  // A member who also belongs to another live account keeps their profile there; they only leave this one.
  const elsewhere = memberIds.length
    ? await trx
        .selectFrom("memberships")
        .innerJoin("accounts", "accounts.id", "memberships.account_id")
        .select("memberships.user_id")
        .where("memberships.user_id", "in", memberIds)
        .where("memberships.account_id", "<>", accountId)
        .where("accounts.status", "not in", ["deleting", "deleted"])
        .execute()
    : [];
  const userIds = memberIds.filter((id) => !elsewhere.some((e) => e.user_id === id));
  const { users, emails, redactor } = await peopleOf(trx, userIds);

  // Tombstones first, in this same transaction: once the rows below are gone, the address is unknown.
  for (const email of emails) await writeEmailTombstone(trx, tombstoneSecret, email);

  const tickets = await ticketsOf(trx, accountId, userIds, emails);
  await eraseTickets(trx, tickets, emails);

  const mails = await trx
    .updateTable("mail_outbox")
    .set({ to_address: null, subject: ERASED, text_body: ERASED, headers: "{}", last_error: null })
    .where((eb) =>
      eb.or([
        eb.and([eb("related_type", "=", "account"), eb("related_id", "=", accountId)]),
        ...(tickets.all.length ? [eb.and([eb("related_type", "=", "ticket"), eb("related_id", "in", tickets.all)])] : []),
        ...(emails.length ? [eb(sql<string>`lower(to_address)`, "in", emails)] : []),
      ]),
    )
    .where("subject", "<>", ERASED)
    .executeTakeFirst();

  if (userIds.length) await trx.deleteFrom("sessions").where("user_id", "in", userIds).execute();
  await eraseUsers(trx, userIds);
  await trx.deleteFrom("sessions").where("account_id", "=", accountId).execute();
  await trx.deleteFrom("memberships").where("account_id", "=", accountId).execute();
  await trx.deleteFrom("password_logins").where("account_id", "=", accountId).execute();
  await trx
    .updateTable("invitations")
    .set({ email: null })
    .where((eb) => eb.or([eb("account_id", "=", accountId), ...(emails.length ? [eb("email", "in", emails)] : [])]))
    .where("email", "is not", null)
    .execute();
  // The account identifier of password logins is made from the account's name, and throttle keys name usernames.
  const account = await trx.selectFrom("accounts").select("login_id").where("id", "=", accountId).executeTakeFirstOrThrow();
  if (account.login_id) await trx.deleteFrom("rate_limits").where("key", "like", `login:${account.login_id}:%`).execute();
  await trx.updateTable("accounts").set({ name: "Deleted account", login_id: null, password_logins_enabled: false }).where("id", "=", accountId).execute();
  // The saved card is never charged again (the payments themselves stay: bookkeeping keeps them, and they name no one).
  await trx
    .updateTable("payment_methods")
    .set({ removed_at: sql`now()` })
    .where("account_id", "=", accountId)
    .where("removed_at", "is", null)
    .execute();
  await trx.updateTable("recharge_rules").set({ enabled: false }).where("account_id", "=", accountId).execute();
  // Where a secret scanner found a key public names a repository, and so often a person (github.com/<them>/…):
  // the keys stay (revoked), the place goes, from the key and from the audit row of its revocation.
  const leaked = await trx
    .updateTable("api_keys")
    .set({ leaked_url: null })
    .where("account_id", "=", accountId)
    .where("leaked_url", "is not", null)
    .returning("id")
    .execute();
  const leakAudits = leaked.length
    ? await trx
        .selectFrom("audit_log")
        .select(["id", "details"])
        .where("action", "=", "api_key.revoked_leaked")
        .where("target_type", "=", "account")
        .where("target_id", "=", accountId)
        .execute()
    : [];
  for (const a of leakAudits) await redactAuditDetails(trx, [a.id], { ...(a.details as Record<string, unknown>), found_url: ERASED });

  const changed = await redactFreeText(trx, redactor, { accountIds: [accountId], userIds, ticketIds: tickets.all });
  const auditRows = sum(changed, "audit_log.") + (await forgetAuditAddresses(trx, accountId, userIds));

  return {
    usersErased: users.filter((u) => u.email !== null).length,
    tombstones: emails.length,
    mails: Number(mails.numUpdatedRows),
    tickets: tickets.all.length,
    auditRows,
  };
}

export type PersonErasure = { erased: false } | { erased: true; sessionsEnded: number };

/**
 * Erases a person who belongs to no account any more. Called in the
 * transaction that ended their last membership (and at sign-in for anyone
 * left so by an older version). Does nothing (erased: false) while they
 * still belong to an account, or when they were erased already.
 */
export async function erasePerson(trx: Trx, userId: string, reason: "last_membership_ended", actor: Actor): Promise<PersonErasure> {
  const user = await trx.selectFrom("users").select(["id", "erased_at"]).where("id", "=", userId).forUpdate().executeTakeFirst();
  if (!user || user.erased_at) return { erased: false };
  const still = await trx.selectFrom("memberships").select("account_id").where("user_id", "=", userId).executeTakeFirst();
  if (still) return { erased: false };

  const { emails, redactor } = await peopleOf(trx, [userId]);
  const tickets = await ticketsOf(trx, null, [userId], emails);
  await eraseTickets(trx, tickets, emails);

  // Sessions end, and forget where they came from; the rows stay until they expire so the browser is told why.
  const ended = await trx
    .updateTable("sessions")
    .set({ revoked_at: sql`now()`, revoked_reason: "removed_from_account" })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  await trx.updateTable("sessions").set({ ip: null, user_agent: null }).where("user_id", "=", userId).execute();

  // Mail to them that has left (or given up) has served its purpose; mail still on its way keeps its address until it goes.
  if (emails.length) {
    await trx
      .updateTable("mail_outbox")
      .set({ to_address: null, subject: ERASED, text_body: ERASED, headers: "{}", last_error: null })
      .where(sql<string>`lower(to_address)`, "in", emails)
      .where("status", "not in", ["pending", "sending"])
      .execute();
    // An invitation still pending is another account's open offer to this address: it keeps it until accepted, revoked or expired.
    await trx
      .updateTable("invitations")
      .set({ email: null })
      .where("email", "in", emails)
      .where((eb) => eb.or([eb("accepted_at", "is not", null), eb("revoked_at", "is not", null), eb("expires_at", "<", sql<Date>`now()`)]))
      .execute();
  }
  await trx.updateTable("invitations").set({ email: null }).where("accepted_user_id", "=", userId).where("email", "is not", null).execute();

  await eraseUsers(trx, [userId]);
  await redactFreeText(trx, redactor, { accountIds: [], userIds: [userId], ticketIds: tickets.all });
  await forgetAuditAddresses(trx, null, [userId]);
  await writeAudit(trx, actor, { action: "user.erased", targetType: "user", targetId: userId, details: { reason } });
  return { erased: true, sessionsEnded: Number(ended.numUpdatedRows) };
}

/** Whether the person reads as erased (false too when there is no such person, or not yet in this snapshot). */
export async function isPersonErased(db: DbOrTrx, userId: string): Promise<boolean> {
  const user = await db.selectFrom("users").select("erased_at").where("id", "=", userId).executeTakeFirst();
  return Boolean(user?.erased_at);
}
