/**
 * Settings → Billing's writes that go through the payment provider: opening a
 * Checkout session to buy credits or to save a card, and removing the saved
 * card. Money never moves here: Checkout's result arrives by signed webhook
 * (payment-webhooks.server.ts).
 */
import type { Services } from "../context.server.js";
import { writeAudit, type Actor } from "../models/audit.server.js";
import { getBillingCustomer, removeCard, saveBillingCustomer } from "../models/billing-customers.server.js";
import { openCheckoutRow, setProviderSession } from "../models/checkout-sessions.server.js";
import { getRechargeRule, recordRechargeOutcome } from "../models/recharge-rules.server.js";
import { SAVED_CARD } from "../payments/payment-provider.js";

type Deps = Pick<Services, "db" | "payments" | "config" | "logger">;

export type CheckoutStart =
  | { ok: true; url: string }
  /** The attempt already completed (a form sent again after paying): show its result, do not open another. */
  | { ok: false; reason: "already_complete"; checkoutId: string }
  | { ok: false; reason: "provider_unavailable" | "not_yours" };

/** The account's customer at the provider, created the first time (idempotently: two tabs at once make one). */
async function ensureCustomer(deps: Deps, accountId: string): Promise<string> {
  const existing = await getBillingCustomer(deps.db, accountId);
  if (existing && existing.provider === deps.payments.name) return existing.customer_id;
  const { customerId } = await deps.payments.createCustomer({ accountId, idempotencyKey: `customer:${accountId}` });
  return saveBillingCustomer(deps.db, accountId, deps.payments.name, customerId);
}

/**
 * Opens (or, for the same form attempt, reopens) a hosted Checkout page.
 * `attemptKey` comes from the form: a double click or a re-posted form opens
 * the one session, and its idempotency key makes the provider answer with it.
 */
export async function startCheckout(
  deps: Deps,
  request: { accountId: string; mode: "payment" | "setup"; amountCents: bigint | null; attemptKey: string },
  actor: Actor & { type: "user"; id: string },
): Promise<CheckoutStart> {
  const { db, payments, config } = deps;
  const row = await openCheckoutRow(db, { ...request, provider: payments.name, userId: actor.id });
  if (!row) return { ok: false, reason: "not_yours" };
  if (row.status === "complete") return { ok: false, reason: "already_complete", checkoutId: row.id };
  try {
    const customerId = await ensureCustomer(deps, request.accountId);
    const session = await payments.createCheckoutSession({
      mode: row.mode,
      accountId: request.accountId,
      customerId,
      amountCents: row.amount_cents === null ? null : BigInt(row.amount_cents),
      checkoutId: row.id,
      successUrl: `${config.publicUrl}/settings/billing/checkout/${row.id}`,
      cancelUrl: `${config.publicUrl}/settings/billing?checkout=cancelled`,
      idempotencyKey: `checkout:${row.id}`,
    });
    if (row.provider_session_id === null) {
      await db.transaction().execute(async (trx) => {
        // Two identical submits at once both get here: only the one that records the session audits it.
        if (!(await setProviderSession(trx, row.id, session.sessionId))) return;
        await writeAudit(trx, actor, {
          action: row.mode === "payment" ? "billing.checkout_opened" : "billing.card_setup_opened",
          targetType: "account",
          targetId: request.accountId,
          details: { checkout_id: row.id, ...(row.amount_cents ? { amount_cents: row.amount_cents } : {}), provider: payments.name },
        });
      });
    }
    return { ok: true, url: session.url };
  } catch (err) {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err), provider: payments.name }, "could not open a checkout session");
    return { ok: false, reason: "provider_unavailable" };
  }
}

/**
 * Removes the saved card. A rule charging it pauses at once (it would fail
 * anyway), saying why; the card is detached at the provider after commit.
 * false: there was no card.
 */
export async function removeSavedCard(deps: Deps, accountId: string, actor: Actor): Promise<boolean> {
  const removed = await deps.db.transaction().execute(async (trx) => {
    const id = await removeCard(trx, accountId);
    if (!id) return null;
    const rule = await getRechargeRule(trx, accountId);
    if (rule?.enabled && rule.payment_method === SAVED_CARD) await recordRechargeOutcome(trx, accountId, "paused: card removed", "no_saved_card");
    await writeAudit(trx, actor, { action: "billing.card_removed", targetType: "account", targetId: accountId, details: { provider: deps.payments.name } });
    return id;
  });
  if (!removed) return false;
  await deps.payments.detachPaymentMethod(removed).catch((err: unknown) => {
    deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "could not detach the removed card");
  });
  return true;
}
