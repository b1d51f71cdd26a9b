/**
 * Settings → Billing: Add credits. The owner or an admin picks an amount and is
 * sent to the provider's hosted Checkout page; credits arrive when the
 * provider's signed webhook says the payment went through, never from the
 * browser coming back.
 *
 * Without JavaScript the choice is the radio buttons; an amount typed under
 * "Other amount" counts only with that choice picked (the server refuses a
 * preset and a typed amount together rather than guess which was meant). With
 * JavaScript, typing picks "Other amount" and picking a preset clears the field.
 */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { formatCents } from "../../models/money.js";
import { Field, FieldError, type FieldErrors } from "../forms.js";
import { Alert } from "../ui.js";

export type CreditsField = "amount" | "customDollars";
export const CUSTOM_AMOUNT = "custom";

export interface CreditsValues {
  amount: string;
  customDollars: string;
}

/** What the form answered when it did not go to Checkout: the fields it refused, or why the page could not open. */
export interface CreditsOutcome {
  form: "credits";
  fieldErrors: FieldErrors<CreditsField>;
  formError: string | null;
  values: CreditsValues | null;
}

export function AddCredits({
  purchase,
  attempt,
  canManage,
  testMode,
  outcome,
}: {
  purchase: { minCents: string; maxCents: string; presetsCents: string[] };
  /** This render's attempt id: a double submit opens one Checkout session. */
  attempt: string;
  canManage: boolean;
  testMode: boolean;
  outcome: CreditsOutcome | undefined;
}) {
  const errors = outcome?.fieldErrors ?? {};
  const range = `from ${formatCents(purchase.minCents)} to ${formatCents(purchase.maxCents)}`;
  const v: CreditsValues = outcome?.values ?? { amount: purchase.presetsCents[0] ?? CUSTOM_AMOUNT, customDollars: "" };
  const errorCount = Object.keys(errors).length;
  return (
    <section className="card" aria-labelledby="credits-h">
      <h2 id="credits-h">Add credits</h2>
      {!canManage ? (
        <p>Owners and admins of this account can add credits.</p>
      ) : (
        // key: a new render (a new attempt) starts the form afresh.
        <Form method="post" aria-labelledby="credits-h" noValidate key={attempt}>
          <AuthenticityTokenInput />
          <input type="hidden" name="attempt" value={attempt} />
          {outcome?.formError ? <Alert kind="error" lines={[outcome.formError]} /> : null}
          {errorCount > 0 ? <Alert kind="error" lines={["Nothing was charged. Fix the amount marked below."]} /> : null}
          <fieldset className="amount-choices" aria-describedby={errors.amount ? "amount-error" : undefined}>
            <legend>Amount</legend>
            <div className="choices">
              {purchase.presetsCents.map((cents) => (
                <label key={cents} className="choice">
                  <input
                    type="radio"
                    name="amount"
                    value={cents}
                    defaultChecked={v.amount === cents}
                    onChange={(e) => {
                      const custom = e.currentTarget.form?.elements.namedItem("customDollars");
                      if (custom instanceof HTMLInputElement) custom.value = "";
                    }}
                  />
                  {formatCents(cents)}
                </label>
              ))}
              <label className="choice">
                <input type="radio" name="amount" value={CUSTOM_AMOUNT} defaultChecked={v.amount === CUSTOM_AMOUNT} />
                Other amount
              </label>
            </div>
            <FieldError id="amount-error" error={errors.amount} />
          </fieldset>
          <Field
            id="customDollars"
            label="Other amount ($)"
            hint={`In dollars, ${range}, like 25 or 25.50. Pick “Other amount” above to pay it.`}
            error={errors.customDollars}
            input={{
              name: "customDollars",
              type: "text",
              inputMode: "decimal",
              autoComplete: "off",
              defaultValue: v.customDollars,
              onInput: (e) => {
                const choice = e.currentTarget.form?.elements.namedItem("amount");
                if (choice instanceof RadioNodeList && e.currentTarget.value.trim() !== "") choice.value = CUSTOM_AMOUNT;
              },
            }}
          />
          <p className="muted">
            {testMode
              ? "Next: the local test checkout page, where you approve or decline the payment. No real card is charged."
              : "Next: Stripe's secure checkout page. Credits are added once Stripe confirms the payment."}
          </p>
          <button type="submit" name="intent" value="add_credits" className="btn primary">
            Continue to payment
          </button>
        </Form>
      )}
    </section>
  );
}
