/** Things about an account's money support must look at, e.g. a refund the credit limit refused (issue 18). */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";

/**
 * Raises a flag once per payment and reason (a redelivered refund does not raise a second); a flag
 * still open takes the new amount (a further refund of the same payment makes the unposted sum grow).
 */
export async function raiseBillingFlag(db: DbOrTrx, flag: { accountId: string; reason: string; paymentId: string | null; amountCents: bigint | null }) {
  const open = await db
    .selectFrom("billing_flags")
    .select(["id", "amount_cents"])
    .where("account_id", "=", flag.accountId)
    .where("reason", "=", flag.reason)
    .where("resolved_at", "is", null)
    .$if(flag.paymentId !== null, (q) => q.where("payment_id", "=", flag.paymentId))
    .executeTakeFirst();
  if (open) {
    const amount = flag.amountCents === null ? null : flag.amountCents.toString();
    if (open.amount_cents !== amount) await db.updateTable("billing_flags").set({ amount_cents: amount }).where("id", "=", open.id).execute();
    return { id: open.id, raised: false };
  }
  const row = await db
    .insertInto("billing_flags")
    .values({
      account_id: flag.accountId,
      reason: flag.reason,
      payment_id: flag.paymentId,
      amount_cents: flag.amountCents === null ? null : flag.amountCents.toString(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: row.id, raised: true };
}

export async function openBillingFlags(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("billing_flags")
    .select(["id", "reason", "payment_id", "amount_cents", "created_at"])
    .where("account_id", "=", accountId)
    .where("resolved_at", "is", null)
    .orderBy("created_at", "desc")
    .execute();
}

export async function resolveBillingFlag(db: DbOrTrx, accountId: string, flagId: string, staffId: string): Promise<boolean> {
  const row = await db
    .updateTable("billing_flags")
    .set({ resolved_at: sql`now()`, resolved_by_staff_id: staffId })
    .where("id", "=", flagId)
    .where("account_id", "=", accountId)
    .where("resolved_at", "is", null)
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}
