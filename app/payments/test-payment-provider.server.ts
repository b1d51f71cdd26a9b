/**
 * TestPaymentProvider: clearly not a real payment service. It approves the
 * "test_card_approve" method and declines "test_card_decline" (and anything
 * else), and remembers every charge by idempotency key in PostgreSQL so that a
 * retried charge returns the first answer instead of charging again.
 */
import type { DbOrTrx } from "../../db/connection.js";
import type { ChargeResult, PaymentProvider } from "./payment-provider.js";

export class TestPaymentProvider implements PaymentProvider {
  readonly name = "test";

  constructor(private readonly db: DbOrTrx) {}

  async charge(request: { idempotencyKey: string; amountCents: bigint; paymentMethod: string }): Promise<ChargeResult> {
    const outcome = request.paymentMethod === "test_card_approve" ? "approved" : "declined";
    await this.db
      .insertInto("test_payment_charges")
      .values({
        idempotency_key: request.idempotencyKey,
        amount_cents: request.amountCents.toString(),
        payment_method: request.paymentMethod,
        outcome,
      })
      .onConflict((oc) => oc.column("idempotency_key").doNothing())
      .execute();
    const row = await this.db
      .selectFrom("test_payment_charges")
      .select(["charge_id", "outcome", "payment_method"])
      .where("idempotency_key", "=", request.idempotencyKey)
      .executeTakeFirstOrThrow();
    if (row.outcome === "approved") return { outcome: "approved", chargeId: row.charge_id };
    return { outcome: "declined", code: row.payment_method === "test_card_decline" ? "card_declined" : "unknown_payment_method" };
  }
}
