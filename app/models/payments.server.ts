/**
 * The database mirror of the payment provider (issue 18): the account's
 * customer, its saved card, its Checkout sessions, its payments (purchases and
 * recharges, with what was refunded), the webhook events already handled, the
 * caps on auto-recharge and the flags support must look at. The webhooks and
 * the recharge workflow keep it; pages read it and never call the provider.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { CheckoutMode, PaymentKind, PaymentProviderName, PaymentStatus } from "../../db/schema.js";
import type { PaymentDetails, SavedCard } from "../payments/payment-provider.js";

// ---- webhook events -------------------------------------------------------

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

// ---- customers -----------------------------------------------------------

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

// ---- saved cards ---------------------------------------------------------

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

// ---- checkout sessions ---------------------------------------------------

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

// ---- payments ------------------------------------------------------------

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

// ---- limits --------------------------------------------------------------

export interface RechargeLimits {
  perRechargeCents: bigint;
  perDayCents: bigint;
  /** Set by support for this account (false: the configured defaults). */
  custom: boolean;
}

export async function rechargeLimits(db: DbOrTrx, accountId: string, defaults: { perRechargeCents: number; perDayCents: number }): Promise<RechargeLimits> {
  const row = await db
    .selectFrom("billing_limits")
    .select(["max_recharge_cents", "max_daily_recharge_cents"])
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) return { perRechargeCents: BigInt(defaults.perRechargeCents), perDayCents: BigInt(defaults.perDayCents), custom: false };
  return { perRechargeCents: BigInt(row.max_recharge_cents), perDayCents: BigInt(row.max_daily_recharge_cents), custom: true };
}

export async function setRechargeLimits(db: DbOrTrx, accountId: string, limits: { perRechargeCents: bigint; perDayCents: bigint }, staffId: string) {
  const values = {
    max_recharge_cents: limits.perRechargeCents.toString(),
    max_daily_recharge_cents: limits.perDayCents.toString(),
    updated_by_staff_id: staffId,
    updated_at: sql<Date>`now()`,
  };
  await db
    .insertInto("billing_limits")
    .values({ account_id: accountId, ...values })
    .onConflict((oc) => oc.column("account_id").doUpdateSet(values))
    .execute();
}

// ---- flags for support ---------------------------------------------------

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
