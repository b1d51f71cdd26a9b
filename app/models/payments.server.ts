/**
 * Purchases and recharges as the payment provider reported them (issue 18) —
 * the receipts — and the webhook events already handled. The webhooks and the
 * recharge workflow keep them; pages read them and never call the provider.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { PaymentKind, PaymentProviderName, PaymentStatus } from "../../db/schema.js";
import type { PaymentDetails } from "../payments/payment-provider.js";

/** True the first time an event id is seen (in the caller's transaction: a rollback forgets it again). */
export async function claimPaymentEvent(db: DbOrTrx, event: { id: string; type: string }): Promise<boolean> {
  const row = await db
    .insertInto("payment_events")
    .values({ id: event.id, type: event.type })
    .onConflict((oc) => oc.column("id").doNothing())
    .returning("id")
    .executeTakeFirst();
  return row !== undefined;
}

const PAYMENT_COLUMNS = [
  "id",
  "account_id",
  "provider",
  "kind",
  "amount_cents",
  "status",
  "failure_code",
  "idempotency_key",
  "payment_intent_id",
  "provider_payment_method_id",
  "provider_customer_id",
  "charge_id",
  "card_brand",
  "card_last4",
  "receipt_url",
  "refunded_cents",
  "refund_posted_cents",
  "ledger_entry_id",
  "created_at",
] as const;

/** The payment made with this idempotency key: created pending the first time, the same row after. */
export async function openPayment(
  db: DbOrTrx,
  p: {
    accountId: string;
    provider: PaymentProviderName;
    kind: PaymentKind;
    amountCents: bigint;
    idempotencyKey: string;
    paymentIntentId?: string | null;
    paymentMethodId?: string | null;
    customerId?: string | null;
    card?: { brand: string; last4: string } | null;
  },
) {
  await db
    .insertInto("payments")
    .values({
      account_id: p.accountId,
      provider: p.provider,
      kind: p.kind,
      amount_cents: p.amountCents.toString(),
      status: "pending",
      idempotency_key: p.idempotencyKey,
      payment_intent_id: p.paymentIntentId ?? null,
      provider_payment_method_id: p.paymentMethodId ?? null,
      provider_customer_id: p.customerId ?? null,
      card_brand: p.card?.brand ?? null,
      card_last4: p.card?.last4 ?? null,
    })
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .execute();
  return db.selectFrom("payments").select(PAYMENT_COLUMNS).where("idempotency_key", "=", p.idempotencyKey).executeTakeFirstOrThrow();
}

/** The payment a provider event is about: by PaymentIntent id, else by our id in the intent's metadata. Locked. */
export async function lockPaymentForEvent(db: DbOrTrx, ids: { paymentIntentId: string | null; paymentId: string | null }) {
  const uuid = ids.paymentId && /^[0-9a-f-]{36}$/i.test(ids.paymentId) ? ids.paymentId : null;
  if (!ids.paymentIntentId && !uuid) return undefined;
  return db
    .selectFrom("payments")
    .select(PAYMENT_COLUMNS)
    .where((eb) => {
      const byIntent = ids.paymentIntentId ? eb("payment_intent_id", "=", ids.paymentIntentId) : null;
      const byId = uuid ? eb("id", "=", uuid) : null;
      return eb.or([byIntent, byId].filter((x): x is NonNullable<typeof x> => x !== null));
    })
    .forUpdate()
    .executeTakeFirst();
}

export async function lockPayment(db: DbOrTrx, id: string) {
  return db.selectFrom("payments").select(PAYMENT_COLUMNS).where("id", "=", id).forUpdate().executeTakeFirst();
}

export type PaymentRow = NonNullable<Awaited<ReturnType<typeof lockPayment>>>;

export async function updatePayment(
  db: DbOrTrx,
  id: string,
  change: Partial<{
    status: PaymentStatus;
    failureCode: string | null;
    paymentIntentId: string;
    chargeId: string | null;
    cardBrand: string | null;
    cardLast4: string | null;
    receiptUrl: string | null;
    refundedCents: bigint;
    refundPostedCents: bigint;
    ledgerEntryId: string;
  }>,
): Promise<void> {
  const set = {
    ...(change.status !== undefined ? { status: change.status } : {}),
    ...(change.failureCode !== undefined ? { failure_code: change.failureCode } : {}),
    ...(change.paymentIntentId !== undefined ? { payment_intent_id: change.paymentIntentId } : {}),
    ...(change.chargeId !== undefined ? { charge_id: change.chargeId } : {}),
    ...(change.cardBrand !== undefined ? { card_brand: change.cardBrand } : {}),
    ...(change.cardLast4 !== undefined ? { card_last4: change.cardLast4 } : {}),
    ...(change.receiptUrl !== undefined ? { receipt_url: change.receiptUrl } : {}),
    ...(change.refundedCents !== undefined ? { refunded_cents: change.refundedCents.toString() } : {}),
    ...(change.refundPostedCents !== undefined ? { refund_posted_cents: change.refundPostedCents.toString() } : {}),
    ...(change.ledgerEntryId !== undefined ? { ledger_entry_id: change.ledgerEntryId } : {}),
  };
  await db
    .updateTable("payments")
    .set({ ...set, updated_at: sql`now()` })
    .where("id", "=", id)
    .execute();
}

/** The receipt fields of a payment the provider described; a card it did not name keeps the one recorded at the charge. */
export function receiptChange(details: PaymentDetails | null | undefined) {
  if (!details) return {};
  return {
    chargeId: details.chargeId,
    receiptUrl: details.receiptUrl,
    ...(details.card ? { cardBrand: details.card.brand, cardLast4: details.card.last4 } : {}),
  };
}

export const PAYMENTS_PAGE_SIZE = 25;

/** Newest first: the receipts list and the console. */
export async function listPayments(db: DbOrTrx, accountId: string, limit = PAYMENTS_PAGE_SIZE) {
  return db
    .selectFrom("payments")
    .select(PAYMENT_COLUMNS)
    .where("account_id", "=", accountId)
    .orderBy("created_at", "desc")
    .orderBy("id")
    .limit(limit)
    .execute();
}

/** What auto-recharge charged (or is charging) since the start of today, UTC: the daily cap counts it. */
export async function rechargedTodayCents(db: DbOrTrx, accountId: string, now = new Date()): Promise<bigint> {
  const midnight = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const row = await db
    .selectFrom("payments")
    .select((eb) => eb.fn.coalesce(eb.fn.sum<string>("amount_cents"), sql<string>`0`).as("cents"))
    .where("account_id", "=", accountId)
    .where("kind", "=", "recharge")
    .where("status", "in", ["pending", "succeeded"])
    .where("created_at", ">=", midnight)
    .executeTakeFirstOrThrow();
  return BigInt(row.cents);
}

/** How long a pending recharge holds back the next one: Stripe's idempotency window, and far longer than a card payment takes to settle. */
export const PENDING_RECHARGE_HOLD_MS = 24 * 60 * 60 * 1000;

/**
 * True while a recharge of the account is still pending (charged or being
 * charged, Stripe's word not in yet) and younger than PENDING_RECHARGE_HOLD_MS:
 * its money, or its webhook, is on the way, so another top-up now would charge
 * the same gap twice.
 */
export async function hasPendingRecharge(db: DbOrTrx, accountId: string, now = new Date()): Promise<boolean> {
  const row = await db
    .selectFrom("payments")
    .select("id")
    .where("account_id", "=", accountId)
    .where("kind", "=", "recharge")
    .where("status", "=", "pending")
    .where("created_at", ">=", new Date(now.getTime() - PENDING_RECHARGE_HOLD_MS))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
