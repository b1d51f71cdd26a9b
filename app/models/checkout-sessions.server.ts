/**
 * The Checkout sessions we open (Add credits, saving a card): one row per form
 * attempt, found again by a double submit and by the provider's webhook.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { CheckoutMode, PaymentProviderName } from "../../db/schema.js";

/**
 * The session row for one form attempt: created the first time, the same row
 * after (a double submit, or a reload that re-posts). null: the attempt key
 * belongs to another account.
 */
export async function openCheckoutRow(
  db: DbOrTrx,
  row: { accountId: string; provider: PaymentProviderName; mode: CheckoutMode; amountCents: bigint | null; attemptKey: string; userId: string },
) {
  await db
    .insertInto("checkout_sessions")
    .values({
      account_id: row.accountId,
      provider: row.provider,
      mode: row.mode,
      amount_cents: row.amountCents === null ? null : row.amountCents.toString(),
      attempt_key: row.attemptKey,
      created_by_user_id: row.userId,
    })
    .onConflict((oc) => oc.column("attempt_key").doNothing())
    .execute();
  const found = await db
    .selectFrom("checkout_sessions")
    .select(["id", "account_id", "mode", "amount_cents", "status", "provider_session_id"])
    .where("attempt_key", "=", row.attemptKey)
    .executeTakeFirstOrThrow();
  if (found.account_id !== row.accountId) return null;
  return found;
}

/** Records the provider's session id once; false when it was recorded already. */
export async function setProviderSession(db: DbOrTrx, id: string, providerSessionId: string): Promise<boolean> {
  const row = await db
    .updateTable("checkout_sessions")
    .set({ provider_session_id: providerSessionId })
    .where("id", "=", id)
    .where("provider_session_id", "is", null)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

/** A session of this account (the return page); null for anyone else's. */
export async function getCheckoutOfAccount(db: DbOrTrx, accountId: string, id: string) {
  return db
    .selectFrom("checkout_sessions")
    .select(["id", "mode", "amount_cents", "status", "created_at", "completed_at"])
    .where("account_id", "=", accountId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** The session a webhook names: by our id in its metadata, else by the provider's session id. Locked for the caller's transaction. */
export async function lockCheckoutForEvent(db: DbOrTrx, ids: { checkoutId: string | null; providerSessionId: string }) {
  const uuid = ids.checkoutId && /^[0-9a-f-]{36}$/i.test(ids.checkoutId) ? ids.checkoutId : null;
  return db
    .selectFrom("checkout_sessions")
    .select(["id", "account_id", "provider", "mode", "amount_cents", "status"])
    .where((eb) =>
      uuid ? eb.or([eb("id", "=", uuid), eb("provider_session_id", "=", ids.providerSessionId)]) : eb("provider_session_id", "=", ids.providerSessionId),
    )
    .forUpdate()
    .executeTakeFirst();
}

export async function completeCheckoutRow(db: DbOrTrx, id: string): Promise<void> {
  await db
    .updateTable("checkout_sessions")
    .set({ status: "complete", completed_at: sql`now()` })
    .where("id", "=", id)
    .execute();
}
