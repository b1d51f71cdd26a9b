/** Mailing lists and who is subscribed: the database is the list. */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import { writeAudit, type Actor } from "./audit.server.js";

export async function listMailingLists(db: DbOrTrx) {
  return db.selectFrom("mailing_lists").select(["id", "name", "description"]).orderBy("position").execute();
}

/** Every list, with whether this user is on it. */
export async function userSubscriptions(db: DbOrTrx, userId: string) {
  return db
    .selectFrom("mailing_lists as l")
    .leftJoin("mailing_subscriptions as s", (j) => j.onRef("s.list_id", "=", "l.id").on("s.user_id", "=", userId))
    .select(["l.id as listId", "l.name", "l.description", "s.id as subscriptionId", "s.changed_at as changedAt"])
    .select(sql<boolean>`coalesce(s.subscribed, false)`.as("subscribed"))
    .orderBy("l.position")
    .execute();
}

/**
 * Makes the user's subscriptions exactly `wanted` (list ids the caller has
 * validated). Returns the ids of the subscriptions that changed, each audited once.
 */
export async function setUserSubscriptions(trx: DbOrTrx, userId: string, wanted: ReadonlySet<string>, actor: Actor): Promise<string[]> {
  const lists = await listMailingLists(trx);
  const changed: string[] = [];
  for (const list of lists) {
    const subscribed = wanted.has(list.id);
    const row = subscribed
      ? await trx
          .insertInto("mailing_subscriptions")
          .values({ user_id: userId, list_id: list.id, subscribed: true })
          .onConflict((oc) =>
            oc
              .columns(["user_id", "list_id"])
              .doUpdateSet({ subscribed: true, changed_at: sql`now()` })
              .where("mailing_subscriptions.subscribed", "=", false),
          )
          .returning("id")
          .executeTakeFirst()
      : await trx
          .updateTable("mailing_subscriptions")
          .set({ subscribed: false, changed_at: sql`now()` })
          .where("user_id", "=", userId)
          .where("list_id", "=", list.id)
          .where("subscribed", "=", true)
          .returning("id")
          .executeTakeFirst();
    if (!row) continue;
    changed.push(row.id);
    await writeAudit(trx, actor, {
      action: subscribed ? "mailing.subscribed" : "mailing.unsubscribed",
      targetType: "user",
      targetId: userId,
      details: { list: list.id, via: "settings" },
    });
  }
  return changed;
}

export async function getSubscription(db: DbOrTrx, subscriptionId: string) {
  return db
    .selectFrom("mailing_subscriptions as s")
    .innerJoin("mailing_lists as l", "l.id", "s.list_id")
    .select(["s.id", "s.user_id", "s.list_id", "s.subscribed", "l.name as listName"])
    .where("s.id", "=", subscriptionId)
    .executeTakeFirst();
}

/** One-click unsubscribe: idempotent; true when this call changed something. */
export async function unsubscribeById(trx: DbOrTrx, subscriptionId: string, actor: Actor): Promise<boolean> {
  const row = await trx
    .updateTable("mailing_subscriptions")
    .set({ subscribed: false, changed_at: sql`now()` })
    .where("id", "=", subscriptionId)
    .where("subscribed", "=", true)
    .returning(["user_id", "list_id"])
    .executeTakeFirst();
  if (!row) return false;
  await writeAudit(trx, actor, {
    action: "mailing.unsubscribed",
    targetType: "user",
    targetId: row.user_id,
    details: { list: row.list_id, via: "one_click" },
  });
  return true;
}

/** A list mail, "sending" from the start; its workflow sends it. */
export async function createMailing(db: DbOrTrx, input: { listId: string; subject: string; text: string; staffId: string }, actor: Actor): Promise<string> {
  const row = await db
    .insertInto("list_mailings")
    .values({ list_id: input.listId, subject: input.subject, text_body: input.text, created_by: input.staffId })
    .returning("id")
    .executeTakeFirstOrThrow();
  // Ids and codes only: the subject and text are not for the audit trail.
  await writeAudit(db, actor, { action: "mailing.created", targetType: "list_mailing", targetId: row.id, details: { list: input.listId } });
  return row.id;
}

/** A mailing whose workflow never started would say "sending" for ever: it failed. */
export async function markMailingNotStarted(db: DbOrTrx, mailingId: string, actor: Actor): Promise<void> {
  const done = await db
    .updateTable("list_mailings")
    .set({ status: "failed", completed_at: sql`now()` })
    .where("id", "=", mailingId)
    .where("status", "=", "sending")
    .executeTakeFirst();
  if (Number(done.numUpdatedRows) > 0) {
    await writeAudit(db, actor, { action: "mailing.failed", targetType: "list_mailing", targetId: mailingId, details: { reason: "workflow_not_started" } });
  }
}

/** The address a subscription's mail goes to (null: the person has none any more). */
export async function subscriberEmail(db: DbOrTrx, userId: string): Promise<string | null> {
  const row = await db.selectFrom("users").select("email").where("id", "=", userId).executeTakeFirst();
  return row?.email ?? null;
}

/** Every list in its order, with how many people are on it now (the console's Lists page). */
export async function listsWithSubscriberCounts(db: DbOrTrx) {
  const rows = await db
    .selectFrom("mailing_lists as l")
    .leftJoin("mailing_subscriptions as s", (j) => j.onRef("s.list_id", "=", "l.id").on("s.subscribed", "=", true))
    .select(["l.id", "l.name", "l.description"])
    .select(sql<string>`count(s.id)`.as("subscribers"))
    .groupBy(["l.id", "l.name", "l.description", "l.position"])
    .orderBy("l.position")
    .execute();
  return rows.map((r) => ({ ...r, subscribers: Number(r.subscribers) }));
}

/** The newest mails sent to a list, with the list's name. */
export async function recentListMailings(db: DbOrTrx, limit: number) {
  return db
    .selectFrom("list_mailings as m")
    .innerJoin("mailing_lists as l", "l.id", "m.list_id")
    .select(["m.id", "m.subject", "m.status", "m.recipients", "m.created_at", "m.completed_at", "l.name as listName"])
    .orderBy("m.created_at", "desc")
    .orderBy("m.id", "desc")
    .limit(limit)
    .execute();
}

// ---- what the mailing workflows read and write ----

/** The lists any of these people is (or was) on, each once, in id order. */
export async function listIdsOfUsers(db: DbOrTrx, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const lists = await db.selectFrom("mailing_subscriptions").select("list_id").distinct().where("user_id", "in", userIds).orderBy("list_id").execute();
  return lists.map((l) => l.list_id);
}

/** Off the list in the database (not audited per person: the deletion's step record says it). */
export async function unsubscribeUsersFromList(db: DbOrTrx, userIds: string[], listId: string): Promise<void> {
  await db
    .updateTable("mailing_subscriptions")
    .set({ subscribed: false, changed_at: sql`now()` })
    .where("user_id", "in", userIds)
    .where("list_id", "=", listId)
    .where("subscribed", "=", true)
    .execute();
}

/** A subscription as the provider is told of it, with its person's address (null once they were erased). */
export async function subscriptionForProvider(db: DbOrTrx, subscriptionId: string) {
  return db
    .selectFrom("mailing_subscriptions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .select(["s.user_id", "s.list_id", "s.subscribed", "u.email"])
    .where("s.id", "=", subscriptionId)
    .executeTakeFirst();
}

export async function markSubscriptionSynced(db: DbOrTrx, subscriptionId: string): Promise<void> {
  await db
    .updateTable("mailing_subscriptions")
    .set({ provider_synced_at: sql`now()` })
    .where("id", "=", subscriptionId)
    .execute();
}

/** A list mail with its list, as its workflow sends it. */
export async function getMailingWithList(db: DbOrTrx, mailingId: string) {
  return db
    .selectFrom("list_mailings as m")
    .innerJoin("mailing_lists as l", "l.id", "m.list_id")
    .select(["m.id", "m.subject", "m.text_body", "l.id as listId", "l.name as listName"])
    .where("m.id", "=", mailingId)
    .executeTakeFirst();
}

/** The next `limit` subscribers of the list who have an address, keyset by subscription id (after `after`). */
export async function subscribedAddressesAfter(
  db: DbOrTrx,
  input: { listId: string; after: string | null; limit: number },
): Promise<{ id: string; email: string }[]> {
  const subs = await db
    .selectFrom("mailing_subscriptions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .select(["s.id", "u.email"])
    .where("s.list_id", "=", input.listId)
    .where("s.subscribed", "=", true)
    .where("u.email", "is not", null)
    .$if(input.after !== null, (q) => q.where("s.id", ">", input.after!))
    .orderBy("s.id")
    .limit(input.limit)
    .execute();
  return subs.map((s) => ({ id: s.id, email: s.email! }));
}

/** Sending → sent with its recipient count, once. True when this call changed it. */
export async function markMailingSent(db: DbOrTrx, mailingId: string, recipients: number): Promise<boolean> {
  const done = await db
    .updateTable("list_mailings")
    .set({ status: "sent", recipients, completed_at: sql`now()` })
    .where("id", "=", mailingId)
    .where("status", "=", "sending")
    .executeTakeFirst();
  return Number(done.numUpdatedRows) > 0;
}
