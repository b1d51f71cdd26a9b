/**
 * Where a real payment service plugs in. One call: charge an amount to the
 * account's payment method, idempotently (the same key never charges twice).
 */
export type ChargeResult = { outcome: "approved"; chargeId: string } | { outcome: "declined"; code: string };

export interface PaymentProvider {
  readonly name: string;
  charge(request: { idempotencyKey: string; amountCents: bigint; paymentMethod: string }): Promise<ChargeResult>;
}

/** The payment methods the shipped test provider understands, as the billing page offers them. */
export const TEST_PAYMENT_METHODS = {
  test_card_approve: "Test card — always approves",
  test_card_decline: "Test card — always declines",
} as const;
export type TestPaymentMethod = keyof typeof TEST_PAYMENT_METHODS;
