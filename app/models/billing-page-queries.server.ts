/**
 * Read-only queries of Settings → Billing's payment parts (issue 18) that the
 * payments model does not already have: what a Checkout return page shows.
 */
import type { DbOrTrx } from "../../db/connection.js";

/** The purchase a payment-mode Checkout session credited (the webhook keys it `checkout:<id>`), if it has landed. */
export async function purchaseOfCheckout(db: DbOrTrx, checkoutId: string) {
  return db
    .selectFrom("payments")
    .select(["amount_cents", "status"])
    .where("idempotency_key", "=", `checkout:${checkoutId}`)
    .where("kind", "=", "purchase")
    .executeTakeFirst();
}

/**
 * The card a setup-mode session saved: the account's newest card created no
 * later than the session completed (the webhook saves the card and completes
 * the session in one transaction, so both carry the same now(); compared in
 * SQL, at the database's microseconds). A card saved by a later session is not this one.
 */
export async function cardSavedBy(db: DbOrTrx, accountId: string, checkoutId: string) {
  return db
    .selectFrom("payment_methods as m")
    .innerJoin("checkout_sessions as c", (j) => j.onRef("c.account_id", "=", "m.account_id").on("c.id", "=", checkoutId))
    .select(["m.brand", "m.last4", "m.exp_month", "m.exp_year", "m.removed_at"])
    .where("m.account_id", "=", accountId)
    .whereRef("m.created_at", "<=", "c.completed_at")
    .orderBy("m.created_at", "desc")
    .limit(1)
    .executeTakeFirst();
}
