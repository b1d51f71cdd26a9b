/**
 * Settings → Billing: the card auto-recharge charges. Saving or replacing it
 * goes through the provider's Checkout in setup mode (the card never touches
 * this app); removing it asks first.
 */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { ConfirmAction } from "../confirm-dialog.js";
import { cardExpiry, cardShort } from "../../payments/payment-words.js";
import { Alert } from "../ui.js";

export interface CardView {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
}

/** "Visa •••• 4242, expires 12/2029" */
export const cardLabel = (c: CardView & { expired?: boolean }) => `${cardShort(c)}, ${c.expired ? "expired" : "expires"} ${cardExpiry(c)}`;

/** What the card forms answered: a message (removed), or why nothing happened. */
export interface CardOutcome {
  form: "card";
  message: string | null;
  formError: string | null;
}

export function SavedCard({
  card,
  attempt,
  canManage,
  testMode,
  ruleUsesCard,
  outcome,
  pausedForNoCard,
}: {
  card: (CardView & { expired: boolean }) | null;
  /** This render's attempt id for the setup Checkout. */
  attempt: string;
  canManage: boolean;
  testMode: boolean;
  /** The auto-recharge rule is on and charges the saved card (removing it pauses the rule). */
  ruleUsesCard: boolean;
  outcome: CardOutcome | undefined;
  /** The rule is paused for want of a card (said after a removal). */
  pausedForNoCard: boolean;
}) {
  const saveForm = (label: string, primary: boolean) => (
    <Form method="post" className="inline">
      <AuthenticityTokenInput />
      <input type="hidden" name="attempt" value={attempt} />
      <button type="submit" name="intent" value="save_card" className={primary ? "btn primary" : "btn"}>
        {label}
      </button>
    </Form>
  );
  const removedLines = outcome?.message ? [outcome.message, ...(pausedForNoCard ? ["Auto-recharge is paused until a card is saved."] : [])] : [];
  return (
    <section className="card" aria-labelledby="card-h">
      <h2 id="card-h">Saved card</h2>
      {removedLines.length ? <Alert kind="ok" lines={removedLines} /> : null}
      {outcome?.formError ? <Alert kind="error" lines={[outcome.formError]} /> : null}
      {card ? (
        <>
          <p className="saved-card">
            <strong>{cardLabel(card)}</strong>
          </p>
          {card.expired ? <Alert kind="error" lines={["This card has expired: auto-recharge can't charge it. Save a new card."]} /> : null}
          <p className="muted">Auto-recharge charges this card when the rule below calls for a top-up.</p>
        </>
      ) : (
        <p>No card is saved. Auto-recharge charges a saved card{testMode ? " (or, with the test provider, one of its test cards)" : ""}.</p>
      )}
      {canManage ? (
        <div className="card-actions">
          {card ? saveForm("Replace card", false) : saveForm("Save a card for auto-recharge", true)}
          {card ? (
            <ConfirmAction
              label="Remove card"
              title={`Remove ${cardShort(card)}?`}
              description={
                <p>
                  Auto-recharge can no longer charge it
                  {ruleUsesCard ? ": the auto-recharge rule pauses until a card is saved again." : "."} Buying credits is not affected.
                </p>
              }
            >
              <Form method="post">
                <AuthenticityTokenInput />
                <button type="submit" name="intent" value="remove_card" className="btn danger">
                  Remove card
                </button>
              </Form>
            </ConfirmAction>
          ) : null}
        </div>
      ) : null}
      {canManage ? (
        <p className="muted">
          {testMode
            ? "The card is entered on the local test checkout page, which offers test cards that approve, decline or ask for authentication when charged."
            : "The card is entered on Stripe's secure page; this site never sees its number. Nothing is charged when you save it."}
        </p>
      ) : null}
    </section>
  );
}
