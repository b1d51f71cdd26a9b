/**
 * GDPR right of access (Art. 15): everything Switchboard holds about a person,
 * as one JSON document. Keys appear as metadata only (a key is never stored);
 * session tokens and secrets are never included.
 */
import type { DbOrTrx } from "../../db/connection.js";

export async function exportPersonalData(db: DbOrTrx, userId: string) {
  const user = await db
    .selectFrom("users")
    .select(["id", "email", "name", "avatar_url", "provider", "created_at"])
    .where("id", "=", userId)
    .executeTakeFirstOrThrow();
  const [identities, memberships, sessions, subscriptions] = await Promise.all([
    db.selectFrom("identities").select(["provider", "email", "email_verified", "created_at", "last_sign_in_at"]).where("user_id", "=", userId).execute(),
    db
      .selectFrom("memberships")
      .innerJoin("accounts", "accounts.id", "memberships.account_id")
      .select(["accounts.id", "accounts.name", "accounts.plan", "accounts.status", "accounts.balance_cents", "accounts.created_at", "memberships.role"])
      .where("memberships.user_id", "=", userId)
      .execute(),
    db.selectFrom("sessions").select(["provider", "created_at", "last_seen_at", "expires_at", "revoked_at", "ip", "user_agent"]).where("user_id", "=", userId).execute(),
    db
      .selectFrom("mailing_subscriptions as s")
      .innerJoin("mailing_lists as l", "l.id", "s.list_id")
      .select(["l.id as list_id", "l.name as list_name", "s.subscribed", "s.changed_at"])
      .where("s.user_id", "=", userId)
      .orderBy("l.position")
      .execute(),
  ]);
  const accountIds = memberships.map((m) => m.id);
  const [keys, ledger, tickets, audit] = await Promise.all([
    accountIds.length
      ? db
          .selectFrom("api_keys")
          .select(["account_id", "kind", "name", "prefix", "last4", "status", "created_at", "revoked_at", "last_used_at"])
          .where("account_id", "in", accountIds)
          .execute()
      : [],
    accountIds.length
      ? db.selectFrom("ledger_entries").select(["account_id", "amount_cents", "kind", "balance_after_cents", "created_at"]).where("account_id", "in", accountIds).orderBy("id").execute()
      : [],
    db
      .selectFrom("support_tickets")
      .select(["id", "kind", "status", "source", "new_address", "created_at", "closed_at"])
      .where((eb) => eb.or([eb("requester_user_id", "=", userId), ...(user.email ? [eb("new_address", "=", user.email)] : [])]))
      .execute(),
    db
      .selectFrom("audit_log")
      .select(["at", "actor_type", "action", "target_type", "target_id", "details", "ip"])
      .where((eb) =>
        eb.or([
          eb.and([eb("actor_type", "=", "user"), eb("actor_id", "=", userId)]),
          eb.and([eb("target_type", "=", "user"), eb("target_id", "=", userId)]),
          ...(accountIds.length ? [eb.and([eb("target_type", "=", "account"), eb("target_id", "in", accountIds)])] : []),
        ]),
      )
      .orderBy("id")
      .execute(),
  ]);
  return {
    exported_at: new Date().toISOString(),
    profile: user,
    sign_in_identities: identities,
    accounts: memberships,
    api_keys: keys,
    ledger,
    support_tickets: tickets,
    sessions,
    subscriptions,
    audit,
  };
}
