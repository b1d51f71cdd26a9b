/**
 * GDPR erasure of a deleted account's personal data, everywhere it lives, in
 * one transaction together with the email tombstone (after it the address is
 * gone, so the tombstone cannot be written later). Idempotent: a second run
 * finds nobody left to erase and changes nothing.
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
import type { Database } from "../../db/schema.js";
import { redactAuditDetails } from "./audit-search.server.js";
import { normalizeEmail, writeEmailTombstone } from "./email.server.js";

export const ERASED = "[erased]";

export interface ErasureCounts {
  usersErased: number;
  tombstones: number;
  mails: number;
  tickets: number;
  auditRows: number;
}

/** Replaces every occurrence of any of `needles` (case-insensitive) in `text`. */
export function scrub(text: string, needles: readonly string[]): string {
  let out = text;
  for (const n of needles) {
    if (!n) continue;
    out = out.replace(new RegExp(n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), ERASED);
  }
  return out;
}

/** A JSON value with every string that contains personal data scrubbed. */
function scrubJson(value: unknown, needles: readonly string[]): unknown {
  if (typeof value === "string") return scrub(value, needles);
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, needles));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubJson(v, needles)]));
  return value;
}

export async function erasePersonalData(trx: Transaction<Database>, accountId: string, tombstoneSecret: string): Promise<ErasureCounts> {
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

  const users = userIds.length
    ? await trx.selectFrom("users").select(["id", "email", "name", "avatar_url"]).where("id", "in", userIds).forUpdate().execute()
    : [];
  const identities = userIds.length
    ? await trx.selectFrom("identities").select(["email", "subject"]).where("user_id", "in", userIds).execute()
    : [];
  const emails = [...new Set([...users.map((u) => u.email), ...identities.map((i) => i.email)].filter((e): e is string => !!e).map(normalizeEmail))];
  // Longest first, so "Ann Lee" goes before "Ann" and leaves no fragment behind.
  const needles = [...new Set([...emails, ...users.flatMap((u) => [u.name, u.avatar_url]), ...identities.map((i) => i.subject)])]
    .filter((s): s is string => !!s && s.length >= 3)
    .sort((a, b) => b.length - a.length);

  // Tombstones first, in this same transaction: once the rows below are gone, the address is unknown.
  for (const email of emails) await writeEmailTombstone(trx, tombstoneSecret, email);

  const tickets = await trx
    .selectFrom("support_tickets")
    .select("id")
    .where((eb) =>
      eb.or([
        eb("old_account_id", "=", accountId),
        eb("new_account_id", "=", accountId),
        ...(userIds.length ? [eb("requester_user_id", "in", userIds)] : []),
        ...(emails.length ? [eb("sender_address", "in", emails), eb("new_address", "in", emails)] : []),
      ]),
    )
    .execute();
  const ticketIds = tickets.map((t) => t.id);
  if (ticketIds.length) {
    await trx.updateTable("support_tickets").set({ sender_address: null, new_address: null }).where("id", "in", ticketIds).execute();
    await trx.updateTable("ticket_notes").set({ body: ERASED }).where("ticket_id", "in", ticketIds).where("body", "<>", ERASED).execute();
    await trx.updateTable("ticket_decisions").set({ reason: null }).where("ticket_id", "in", ticketIds).execute();
  }

  const mails = await trx
    .updateTable("mail_outbox")
    .set({ to_address: null, subject: ERASED, text_body: ERASED, headers: "{}", last_error: null })
    .where((eb) =>
      eb.or([
        eb.and([eb("related_type", "=", "account"), eb("related_id", "=", accountId)]),
        ...(ticketIds.length ? [eb.and([eb("related_type", "=", "ticket"), eb("related_id", "in", ticketIds)])] : []),
        ...(emails.length ? [eb(sql<string>`lower(to_address)`, "in", emails)] : []),
      ]),
    )
    .where("subject", "<>", ERASED)
    .executeTakeFirst();

  if (userIds.length) {
    await trx.deleteFrom("sessions").where("user_id", "in", userIds).execute();
    await trx.deleteFrom("identities").where("user_id", "in", userIds).execute();
    await trx.deleteFrom("mailing_subscriptions").where("user_id", "in", userIds).execute();
    await trx
      .updateTable("users")
      .set({ email: null, name: null, avatar_url: null, erased_at: sql`coalesce(erased_at, now())` })
      .where("id", "in", userIds)
      .execute();
  }
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
  if (account.login_id) await trx.deleteFrom("login_throttle").where("key", "like", `login:${account.login_id}:%`).execute();
  await trx.updateTable("accounts").set({ name: "Deleted account", login_id: null, password_logins_enabled: false }).where("id", "=", accountId).execute();

  const auditRows = await redactAudit(trx, accountId, userIds, ticketIds, needles);

  if (needles.length) {
    // Free text typed by people may name the person: keep the text, lose the name.
    for (const k of await trx.selectFrom("api_keys").select(["id", "name"]).where("account_id", "=", accountId).execute()) {
      const name = scrub(k.name, needles);
      if (name !== k.name) await trx.updateTable("api_keys").set({ name }).where("id", "=", k.id).execute();
    }
    for (const c of await trx.selectFrom("account_status_changes").select(["id", "reason_text"]).where("account_id", "=", accountId).execute()) {
      const reason_text = scrub(c.reason_text, needles);
      if (reason_text !== c.reason_text) await trx.updateTable("account_status_changes").set({ reason_text }).where("id", "=", c.id).execute();
    }
    for (const d of await trx.selectFrom("account_deletions").select(["id", "reason"]).where("account_id", "=", accountId).execute()) {
      const reason = scrub(d.reason, needles);
      if (reason !== d.reason) await trx.updateTable("account_deletions").set({ reason }).where("id", "=", d.id).execute();
    }
    const notes = await trx.selectFrom("ledger_entries").select(["id", "note"]).where("account_id", "=", accountId).where("note", "is not", null).execute();
    const changedNotes = notes.map((n) => ({ id: n.id, note: scrub(n.note!, needles) })).filter((n, i) => n.note !== notes[i]!.note);
    if (changedNotes.length) {
      // The ledger is append-only (migration 0002); erasure alone may blank a note (migration 0008).
      await sql`SET LOCAL switchboard.ledger_redaction = 'on'`.execute(trx);
      for (const n of changedNotes) await sql`UPDATE ledger_entries SET note = ${n.note} WHERE id = ${n.id}`.execute(trx);
      await sql`SET LOCAL switchboard.ledger_redaction = 'off'`.execute(trx);
    }
  }

  return { usersErased: users.filter((u) => u.email !== null).length, tombstones: emails.length, mails: Number(mails.numUpdatedRows), tickets: ticketIds.length, auditRows };
}

/**
 * Audit rows about the account, its people and their tickets keep who did what
 * to which id; strings holding the person's data are scrubbed, and the client
 * address of what the person (or an anonymous visitor on their behalf) did is forgotten.
 */
async function redactAudit(trx: Transaction<Database>, accountId: string, userIds: string[], ticketIds: string[], needles: string[]): Promise<number> {
  const rows = await trx
    .selectFrom("audit_log")
    .select(["id", "details", "ip", "actor_type", "actor_id", "target_type", "target_id"])
    .where((eb) =>
      eb.or([
        eb.and([eb("target_type", "=", "account"), eb("target_id", "=", accountId)]),
        ...(userIds.length
          ? [eb.and([eb("target_type", "=", "user"), eb("target_id", "in", userIds)]), eb.and([eb("actor_type", "=", "user"), eb("actor_id", "in", userIds)])]
          : []),
        ...(ticketIds.length ? [eb.and([eb("target_type", "=", "ticket"), eb("target_id", "in", ticketIds)])] : []),
      ]),
    )
    .execute();
  let changed = 0;
  for (const r of rows) {
    const personIp =
      r.ip !== null &&
      ((r.actor_type === "user" && userIds.includes(r.actor_id ?? "")) || (r.actor_type === "anonymous" && r.target_type === "account"));
    const details = scrubJson(r.details, needles) as Record<string, unknown>;
    const detailsChanged = JSON.stringify(details) !== JSON.stringify(r.details);
    if (!detailsChanged && !personIp) continue;
    changed += await redactAuditDetails(trx, [r.id], details, { clearIp: personIp });
  }
  return changed;
}
