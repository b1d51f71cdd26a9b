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
