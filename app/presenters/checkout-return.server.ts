/**
 * The page Checkout sends the browser back to (/settings/billing/checkout/:id).
 * Arriving there proves nothing: credits and cards come from the signed
 * webhook alone, which completes the session row in the same transaction. So
 * the page says "pending" until that row is complete, and only then what was
 * added (the amount the webhook credited) and the balance now.
 */
import type { Services } from "../context.server.js";
import { cardSavedBy, purchaseOfCheckout } from "../models/billing-page-queries.server.js";
import { getBalance } from "../models/ledger.server.js";
import { getCheckoutOfAccount } from "../models/checkout-sessions.server.js";

export type CheckoutReturn =
  | { mode: "payment"; status: "open"; amountCents: string }
  | { mode: "payment"; status: "complete"; amountCents: string; balanceCents: string }
  | { mode: "setup"; status: "open" }
  | {
      mode: "setup";
      status: "complete";
      /** null: no card row matches (it cannot normally happen; the page then says only that a card was saved). */
      card: { brand: string; last4: string; expMonth: number; expYear: number; removed: boolean } | null;
    };

/** null: no such session of this account (someone else's id is not told apart from a made-up one). */
export async function loadCheckoutReturn(services: Pick<Services, "db">, accountId: string, checkoutId: string): Promise<CheckoutReturn | null> {
  const { db } = services;
  const checkout = await getCheckoutOfAccount(db, accountId, checkoutId);
  if (!checkout) return null;
  const complete = checkout.status === "complete" && checkout.completed_at !== null;
  if (checkout.mode === "setup") {
    if (!complete) return { mode: "setup", status: "open" };
    const card = await cardSavedBy(db, accountId, checkout.id);
    return {
      mode: "setup",
      status: "complete",
      card: card ? { brand: card.brand, last4: card.last4, expMonth: card.exp_month, expYear: card.exp_year, removed: card.removed_at !== null } : null,
    };
  }
  const asked = checkout.amount_cents ?? "0";
  if (!complete) return { mode: "payment", status: "open", amountCents: asked };
  const [purchase, balance] = await Promise.all([purchaseOfCheckout(db, checkout.id), getBalance(db, accountId)]);
  if (!balance) return null;
  return { mode: "payment", status: "complete", amountCents: purchase?.amount_cents ?? asked, balanceCents: balance.balance_cents };
}
