/**
 * The account's side at the payment provider (issue 18): its customer, created
 * once, and the card auto-recharge charges (at most one in use; replaced and
 * removed cards are kept, marked, for the console).
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { PaymentProviderName } from "../../db/schema.js";
import type { SavedCard } from "../payments/payment-provider.js";

export async function getBillingCustomer(db: DbOrTrx, accountId: string) {
  return db.selectFrom("billing_customers").select(["provider", "customer_id", "created_at"]).where("account_id", "=", accountId).executeTakeFirst();
}

/** Stores the customer unless one is stored already (two tabs at once); returns the one that stands. */
export async function saveBillingCustomer(db: DbOrTrx, accountId: string, provider: PaymentProviderName, customerId: string): Promise<string> {
  await db
    .insertInto("billing_customers")
    .values({ account_id: accountId, provider, customer_id: customerId })
    .onConflict((oc) => oc.column("account_id").doNothing())
    .execute();
  const row = await db.selectFrom("billing_customers").select("customer_id").where("account_id", "=", accountId).executeTakeFirstOrThrow();
  return row.customer_id;
}

export async function accountOfCustomer(db: DbOrTrx, customerId: string): Promise<string | null> {
  const row = await db.selectFrom("billing_customers").select("account_id").where("customer_id", "=", customerId).executeTakeFirst();
  return row?.account_id ?? null;
}

export async function currentCard(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("payment_methods")
    .select(["id", "provider", "provider_payment_method_id", "brand", "last4", "exp_month", "exp_year", "created_at"])
    .where("account_id", "=", accountId)
    .where("removed_at", "is", null)
    .executeTakeFirst();
}

/** The account's cards, the one in use first, then removed ones newest first (the console). */
export async function listCards(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("payment_methods")
    .select(["id", "brand", "last4", "exp_month", "exp_year", "created_at", "removed_at", "provider_payment_method_id"])
    .where("account_id", "=", accountId)
    .orderBy(sql`removed_at IS NULL`, "desc")
    .orderBy("created_at", "desc")
    .limit(20)
    .execute();
}

/**
 * Makes `card` the account's card; the one it replaces is marked removed.
 * Returns the replaced card's provider id (to detach after commit), or null.
 * Saving the card already in use changes nothing.
 */
export async function replaceCard(db: DbOrTrx, accountId: string, provider: PaymentProviderName, card: SavedCard) {
  const old = await db
    .updateTable("payment_methods")
    .set({ removed_at: sql`now()` })
    .where("account_id", "=", accountId)
    .where("removed_at", "is", null)
    .where("provider_payment_method_id", "!=", card.paymentMethodId)
    .returning("provider_payment_method_id")
    .executeTakeFirst();
  const same = await currentCard(db, accountId);
  if (!same) {
    await db
      .insertInto("payment_methods")
      .values({
        account_id: accountId,
        provider,
        provider_payment_method_id: card.paymentMethodId,
        brand: card.brand,
        last4: card.last4,
        exp_month: card.expMonth,
        exp_year: card.expYear,
      })
      .execute();
  }
  return old?.provider_payment_method_id ?? null;
}

/** Removes the card in use; returns its provider id, or null when there was none. */
export async function removeCard(db: DbOrTrx, accountId: string): Promise<string | null> {
  const row = await db
    .updateTable("payment_methods")
    .set({ removed_at: sql`now()` })
    .where("account_id", "=", accountId)
    .where("removed_at", "is", null)
    .returning("provider_payment_method_id")
    .executeTakeFirst();
  return row?.provider_payment_method_id ?? null;
}

/**
 * An email transfer moves the saved card and the provider's customer with the
 * recharge rule (moveRechargeRule): it is the same person's card. A new
 * account with a customer of its own keeps its own (and its own card).
 */
export async function moveSavedCard(db: DbOrTrx, fromAccountId: string, toAccountId: string): Promise<void> {
  // A card is attached to its customer at the provider: the two move together, or not at all.
  if (await getBillingCustomer(db, toAccountId)) return;
  await db.updateTable("billing_customers").set({ account_id: toAccountId }).where("account_id", "=", fromAccountId).execute();
  await db.updateTable("payment_methods").set({ account_id: toAccountId }).where("account_id", "=", fromAccountId).where("removed_at", "is", null).execute();
}
