/**
 * GDPR right of access (Art. 15): what Switchboard holds about one person, as
 * one JSON document. Only what is *about them*: rows they are the actor or the
 * subject of. Never another person's address, sign-ins or IP, and never words
 * staff wrote (a plan-change reason, a note): those are about other people, or
 * are the staff member's own. Keys appear as metadata only (a key is never
 * stored); session tokens and secrets are never included.
 *
 * Account-level data (plan, status, balance, ledger, recharge rule, and what
 * staff and the system did to the account) goes to the account's owner only:
 * the owner is the customer the account belongs to, who pays for it and whom
 * staff deal with. An admin or member of a shared (GPU Cluster) account gets
 * their membership (account, role, since when) and what concerns them on it,
 * not the account's books or other people's doings there.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";

/**
 * Detail keys of audit rows that hold codes, counts, amounts and ids, never
 * free text. A row someone else wrote (staff, the system, a workflow) is
 * exported with these only: a new key stays out until it is listed here.
 */
const STRUCTURED_DETAIL_KEYS = new Set([
  "amount_cents",
  "code",
  "count",
  "created",
  "deletion_id",
  "enabled",
  "failed",
  "from",
  "invitation_id",
  "invitations_withdrawn",
  "key_id",
  "keys_revoked",
  "kind",
  "last4",
  "ledger_entry_id",
  "list",
  "main_key_id",
  "new_key_id",
  "old_key_id",
  "password_change_required",
  "password_sessions_ended",
  "plan",
  "provider",
  "reason_code",
  "recipients",
  "role",
  "sessions_ended",
  "source",
  "status",
  "target_cents",
  "threshold_cents",
  "to",
  "verdict",
  "via",
]);
/** Detail keys naming a person: kept only when they name the person exporting. */
const PERSON_DETAIL_KEYS = new Set(["user_id", "from_user_id", "to_user_id"]);
/** A code, an id or an amount: no spaces, no @ (an address), short. Free text that slips into a listed key still stays out. */
const CODE = /^[A-Za-z0-9_.:-]{0,80}$/;

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
const isCode = (v: unknown): boolean =>
  v === null || typeof v === "boolean" || typeof v === "number" || (typeof v === "string" && CODE.test(v)) || (Array.isArray(v) && v.every(isCode));

/** An audit row's details as the person may see them when someone else wrote the row. */
export function structuredDetails(details: Record<string, unknown>, userId: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(details)) {
    if (PERSON_DETAIL_KEYS.has(key) ? value === userId : STRUCTURED_DETAIL_KEYS.has(key) && isCode(value)) out[key] = value as Json;
  }
  return out;
}

export async function exportPersonalData(db: DbOrTrx, userId: string) {
  const user = await db
    .selectFrom("users")
    .select(["id", "email", "name", "avatar_url", "provider", "created_at"])
    .where("id", "=", userId)
    .executeTakeFirstOrThrow();
  const [identities, memberships, sessions, subscriptions, passwordLogins, invitations, deletions, keys, tickets] = await Promise.all([
    db.selectFrom("identities").select(["provider", "email", "email_verified", "created_at", "last_sign_in_at"]).where("user_id", "=", userId).execute(),
    db
      .selectFrom("memberships")
      .innerJoin("accounts", "accounts.id", "memberships.account_id")
      .select([
        "accounts.id",
        "accounts.name",
        "memberships.role",
        "memberships.created_at as joined_at",
        "accounts.plan",
        "accounts.status",
        "accounts.balance_cents",
        "accounts.created_at",
      ])
      .where("memberships.user_id", "=", userId)
      .orderBy("memberships.created_at")
      .execute(),
    // Their own sign-ins only: the addresses here are theirs.
    db
      .selectFrom("sessions")
      .select(["id", "provider", "created_at", "last_seen_at", "expires_at", "revoked_at", "revoked_reason", "ip", "user_agent"])
      .where("user_id", "=", userId)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("mailing_subscriptions as s")
      .innerJoin("mailing_lists as l", "l.id", "s.list_id")
      .select(["l.id as list_id", "l.name as list_name", "s.subscribed", "s.changed_at"])
      .where("s.user_id", "=", userId)
      .orderBy("l.position")
      .execute(),
    db
      .selectFrom("password_logins")
      .select(["account_id", "username", "must_change", "created_at", "password_changed_at"])
      .where("user_id", "=", userId)
      .execute(),
    // Invitations they accepted, or addressed to them; who sent one is the sender's business.
    db
      .selectFrom("invitations")
      .select(["account_id", "role", "created_at", "expires_at", "accepted_at", "revoked_at"])
      .where((eb) => eb.or([eb("accepted_user_id", "=", userId), ...(user.email ? [eb(sql<string>`lower(email)`, "=", user.email.toLowerCase())] : [])]))
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("account_deletions")
      .select(["account_id", "source", "status", "reason", "created_at", "completed_at"])
      .where("requested_by_user_id", "=", userId)
      .execute(),
    // Keys they created, on any account; a key is identified by prefix and last four, never shown whole.
    db
      .selectFrom("api_keys")
      .select(["account_id", "kind", "name", "prefix", "last4", "status", "created_at", "revoked_at", "last_used_at"])
      .where("created_by_user_id", "=", userId)
      .orderBy("created_at")
      .execute(),
    db
      .selectFrom("support_tickets")
      .select(["id", "kind", "status", "source", "new_address", "created_at", "closed_at", "requester_user_id"])
      .where((eb) => eb.or([eb("requester_user_id", "=", userId), ...(user.email ? [eb("new_address", "=", user.email)] : [])]))
      .orderBy("created_at")
      .execute(),
  ]);

  const accountIds = memberships.map((m) => m.id);
  const ownedIds = memberships.filter((m) => m.role === "owner").map((m) => m.id);
  const sessionIds = sessions.map((s) => s.id);
  const requestedTicketIds = tickets.filter((t) => t.requester_user_id === userId).map((t) => t.id);

  const [ledger, rechargeRules, auditRows] = await Promise.all([
    ownedIds.length
      ? db
          .selectFrom("ledger_entries")
          .select(["account_id", "amount_cents", "kind", "balance_after_cents", "created_at"])
          .where("account_id", "in", ownedIds)
          .orderBy("id")
          .execute()
      : [],
    ownedIds.length
      ? db
          .selectFrom("recharge_rules")
          .select(["account_id", "enabled", "threshold_cents", "target_cents", "updated_at"])
          .where("account_id", "in", ownedIds)
          .execute()
      : [],
    db
      .selectFrom("audit_log")
      .select(["id", "at", "actor_type", "actor_id", "action", "target_type", "target_id", "details", "ip"])
      .where((eb) =>
        eb.or([
          // What they did.
          eb.and([eb("actor_type", "=", "user"), eb("actor_id", "=", userId)]),
          // What was done to them, their sessions and their requests.
          eb.and([eb("target_type", "=", "user"), eb("target_id", "=", userId)]),
          ...(sessionIds.length ? [eb.and([eb("target_type", "=", "session"), eb("target_id", "in", sessionIds)])] : []),
          ...(requestedTicketIds.length ? [eb.and([eb("target_type", "=", "ticket"), eb("target_id", "in", requestedTicketIds)])] : []),
          // On a shared account: only the rows that name them (their role changed, ownership handed to them, their password login).
          ...(accountIds.length
            ? [
                eb.and([
                  eb("target_type", "=", "account"),
                  eb("target_id", "in", accountIds),
                  sql<boolean>`${userId} IN (details->>'user_id', details->>'from_user_id', details->>'to_user_id')`,
                ]),
              ]
            : []),
          // On an account they own: what staff, the system and workflows did to it (not what other members did there).
          ...(ownedIds.length
            ? [eb.and([eb("target_type", "=", "account"), eb("target_id", "in", ownedIds), eb("actor_type", "in", ["staff", "system", "workflow"])])]
            : []),
        ]),
      )
      .orderBy("id")
      .execute(),
  ]);

  const audit = auditRows.map((r) => {
    const theirs = r.actor_type === "user" && r.actor_id === userId;
    const row = { at: r.at, actor_type: r.actor_type, by_you: theirs, action: r.action, target_type: r.target_type, target_id: r.target_id };
    // Their own rows whole (the address is theirs); anyone else's without who exactly, their address or their words.
    return theirs ? { ...row, details: r.details, ip: r.ip } : { ...row, details: structuredDetails(r.details, userId) };
  });

  return {
    exported_at: new Date().toISOString(),
    profile: user,
    sign_in_identities: identities,
    accounts: memberships.map(({ plan, status, balance_cents, created_at, ...membership }) =>
      membership.role === "owner" ? { ...membership, plan, status, balance_cents, created_at } : membership,
    ),
    api_keys: keys,
    ledger,
    recharge_rules: rechargeRules,
    support_tickets: tickets.map(({ requester_user_id, ...t }) => ({ ...t, requested_by_you: requester_user_id === userId })),
    sessions: sessions.map(({ id: _id, ...s }) => s),
    password_logins: passwordLogins,
    invitations,
    account_deletions: deletions.map((d) => (d.source === "self" ? d : { ...d, reason: undefined })),
    subscriptions,
    audit,
  };
}
