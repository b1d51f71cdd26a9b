/**
 * Security mail (issue 16 §5): when an account's keys, logins or members
 * change, each of its owners and admins gets one short mail. Enqueued in the
 * transaction of the change (the mailer's outbox), so a rolled-back change
 * sends nothing and a committed one is delivered even across a crash.
 * People may turn the kinds that are not critical off (notification_opt_outs).
 */
import type { DbOrTrx } from "../../db/connection.js";
import { securityMail } from "../mail/templates/security.js";
import { enqueueMail, type DeliveryMode } from "../mail/mailer.server.js";
import type { Actor } from "./audit.server.js";

/**
 * A person as security mail names them: by address, never by display name. The mail stays in the
 * outbox, and erasing the person later removes their address from every mail, but their name only
 * from rows about them (app/models/redaction.server.ts); an owner's copy is not about them.
 */
const personInMail = (m: { name: string | null; email: string | null }) => m.email ?? m.name ?? "this person";

/** How a key is named in mail: its name and display form (`tgp_v1_AbCd…WXyz`), never the secret. */
export interface KeyWords {
  name: string;
  display: string;
}

export type SecurityEvent =
  | { kind: "key_created"; key: KeyWords }
  | { kind: "key_regenerated"; key: KeyWords }
  | { kind: "key_rolled"; key: KeyWords; oldKeyEndsAt: Date }
  | { kind: "key_deleted"; key: KeyWords }
  | { kind: "key_leaked"; key: KeyWords; foundUrl: string; source: string }
  | { kind: "key_spend_limit_reached"; key: KeyWords; limitCents: string; month: string /* "2026-12" */ }
  | { kind: "password_login_created"; username: string }
  | { kind: "member_added"; memberEmail: string; role: string }
  | { kind: "member_removed"; memberEmail: string };

export type SecurityMailKind = SecurityEvent["kind"];

/** Every kind, in the order Settings → Notifications lists them. */
export const SECURITY_MAIL_KINDS = [
  "key_leaked",
  "key_regenerated",
  "key_rolled",
  "key_created",
  "key_deleted",
  "key_spend_limit_reached",
  "password_login_created",
  "member_added",
  "member_removed",
] as const satisfies readonly SecurityMailKind[];

// Compile-time check that the list above names every kind of the union.
type _EveryKindListed = SecurityMailKind extends (typeof SECURITY_MAIL_KINDS)[number] ? true : never;
const _everyKindListed: _EveryKindListed = true;
void _everyKindListed;

/** Cannot be turned off in Settings → Notifications. */
export const CRITICAL_SECURITY_MAIL: readonly SecurityMailKind[] = ["key_leaked", "key_regenerated"];

export const isSecurityMailKind = (s: string): s is SecurityMailKind => (SECURITY_MAIL_KINDS as readonly string[]).includes(s);
export const isCriticalSecurityMail = (kind: SecurityMailKind) => CRITICAL_SECURITY_MAIL.includes(kind);

/** The system actor id of the secret-scanning hook (and the leaked-key workflow's id prefix). */
export const SECRET_SCANNING_ACTOR_ID = "secret-scanning";

/**
 * Who did it, in words a reader of the mail understands. A person is looked
 * up now (inside the change's transaction, before any erasure in it).
 */
export async function actorInWords(db: DbOrTrx, actor: Actor): Promise<string> {
  switch (actor.type) {
    case "user": {
      if (!actor.id) return "someone signed in to Switchboard";
      const user = await db
        .selectFrom("users")
        .leftJoin("password_logins", "password_logins.user_id", "users.id")
        .select(["users.name", "users.email", "password_logins.username"])
        .where("users.id", "=", actor.id)
        .executeTakeFirst();
      if (!user || (!user.email && !user.name && !user.username)) return "a person who is no longer on Switchboard";
      return user.username ? `${user.username} (a password login of this account)` : personInMail(user);
    }
    case "staff":
      return "Switchboard support";
    case "system":
    case "workflow":
      if (actor.id === SECRET_SCANNING_ACTOR_ID || actor.id?.startsWith("leaked-key:"))
        return "Switchboard, automatically, after a secret scanner reported the key public";
      return "Switchboard, automatically";
    case "api_key":
      return "requests made with the key itself";
    case "anonymous":
      return "someone who was not signed in";
  }
}

/**
 * A member as the "left or removed" mail names them (a password login by its username), and since when
 * they belong: with their id, that names this one membership (someone re-invited and removed again is another event).
 * Read before the removal, which may erase them.
 */
export async function memberInWords(db: DbOrTrx, accountId: string, userId: string): Promise<{ words: string; since: Date } | null> {
  const m = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .leftJoin("password_logins", "password_logins.user_id", "users.id")
    .select(["users.name", "users.email", "password_logins.username", "memberships.created_at"])
    .where("memberships.account_id", "=", accountId)
    .where("memberships.user_id", "=", userId)
    .executeTakeFirst();
  if (!m) return null;
  return { words: m.username ? `The password login "${m.username}"` : personInMail(m), since: m.created_at };
}

/** The owners and admins of the account who still have an address, minus those who turned this kind off (unless it is critical). */
export async function securityMailRecipients(db: DbOrTrx, accountId: string, kind: SecurityMailKind): Promise<{ userId: string; email: string }[]> {
  const rows = await db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["users.id", "users.email"])
    .where("memberships.account_id", "=", accountId)
    .where("memberships.role", "in", ["owner", "admin"])
    .where("users.email", "is not", null)
    .$if(!isCriticalSecurityMail(kind), (q) =>
      q.where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("notification_opt_outs")
              .select("notification_opt_outs.user_id")
              .whereRef("notification_opt_outs.user_id", "=", "users.id")
              .where("notification_opt_outs.kind", "=", kind),
          ),
        ),
      ),
    )
    .orderBy("users.id")
    .execute();
  return rows.map((r) => ({ userId: r.id, email: r.email! }));
}

/**
 * One short mail to each owner and admin of the account (minus those who turned this kind off,
 * unless it is critical): what happened, who did it (the actor in words), when (UTC), and what to do
 * if it wasn't them. Enqueued in the caller's transaction (transactional outbox); dedupe key
 * `security:<kind>:<eventId>:<userId>`, so a retried step sends nothing twice. Returns how many were enqueued.
 */
export async function enqueueSecurityMail(
  db: DbOrTrx,
  mode: DeliveryMode,
  input: {
    accountId: string;
    event: SecurityEvent;
    eventId: string;
    actor: Actor;
    at: Date;
    publicUrl: string;
    /** Names the actor when the database can no longer (a leaver erased earlier in this transaction). */
    actorWords?: string;
  },
): Promise<number> {
  const { accountId, event } = input;
  const recipients = await securityMailRecipients(db, accountId, event.kind);
  if (recipients.length === 0) return 0;
  const account = await db.selectFrom("accounts").select("name").where("id", "=", accountId).executeTakeFirstOrThrow();
  const words = securityMail({
    event,
    accountName: account.name,
    actorWords: input.actorWords ?? (await actorInWords(db, input.actor)),
    at: input.at,
    publicUrl: input.publicUrl,
  });
  let enqueued = 0;
  for (const r of recipients) {
    const mail = await enqueueMail(
      db,
      {
        to: r.email,
        subject: words.subject,
        text: words.text,
        kind: `security_${event.kind}`,
        dedupeKey: `security:${event.kind}:${input.eventId}:${r.userId}`,
        related: { type: "account", id: accountId },
      },
      mode,
    );
    if (mail.enqueued) enqueued++;
  }
  return enqueued;
}

// ---- opt-outs (Settings → Notifications) ----

/** The kinds the person turned off; critical kinds never appear (they cannot be turned off). */
export async function securityMailOptOuts(db: DbOrTrx, userId: string): Promise<Set<SecurityMailKind>> {
  const rows = await db.selectFrom("notification_opt_outs").select("kind").where("user_id", "=", userId).execute();
  return new Set(rows.map((r) => r.kind).filter((k): k is SecurityMailKind => isSecurityMailKind(k) && !isCriticalSecurityMail(k)));
}

/**
 * Makes the person's opt-outs exactly `off` (critical kinds are never stored),
 * and returns the set before and after, sorted, for the caller's audit row.
 */
export async function setSecurityMailOptOuts(
  trx: DbOrTrx,
  userId: string,
  off: ReadonlySet<SecurityMailKind>,
): Promise<{ before: SecurityMailKind[]; after: SecurityMailKind[] }> {
  // The person's row is the lock: two saves at once apply one after the other, each audited with what it saw.
  await trx.selectFrom("users").select("id").where("id", "=", userId).forUpdate().executeTakeFirstOrThrow();
  const before = [...(await securityMailOptOuts(trx, userId))].sort();
  const after = [...off].filter((k) => !isCriticalSecurityMail(k)).sort();
  // Kept rows keep their created_at (since when the person has not wanted this mail).
  await trx
    .deleteFrom("notification_opt_outs")
    .where("user_id", "=", userId)
    .$if(after.length > 0, (q) => q.where("kind", "not in", after))
    .execute();
  if (after.length) {
    await trx
      .insertInto("notification_opt_outs")
      .values(after.map((kind) => ({ user_id: userId, kind })))
      .onConflict((oc) => oc.columns(["user_id", "kind"]).doNothing())
      .execute();
  }
  return { before, after };
}

/** Whether security mail reaches this person at all: they are an owner or admin of some account (anyone may still set the choices). */
export async function receivesSecurityMail(db: DbOrTrx, userId: string): Promise<boolean> {
  const row = await db.selectFrom("memberships").select("account_id").where("user_id", "=", userId).where("role", "in", ["owner", "admin"]).executeTakeFirst();
  return row !== undefined;
}
