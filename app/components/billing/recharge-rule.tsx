/** Settings → Billing: the auto-recharge rule, as a form for owners and admins and as facts for everyone else. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { centsToDollarsInput, formatCents } from "../../models/money.js";
import { SAVED_CARD, TEST_PAYMENT_METHODS } from "../../payments/payment-provider.js";
import type { FieldErrors } from "../forms.js";
import { Alert, When } from "../ui.js";
import { cardShort } from "../../payments/payment-words.js";
import type { CardView } from "./saved-card.js";

export type RuleField = "thresholdDollars" | "targetDollars" | "paymentMethod";

export interface RuleValues {
  enabled: boolean;
  thresholdDollars: string;
  targetDollars: string;
  paymentMethod: string;
}

export interface RuleView {
  enabled: boolean;
  thresholdCents: string;
  targetCents: string;
  paymentMethod: string;
  pausedReason: string | null;
  lastOutcome: string | null;
  lastOutcomeAt: string | Date | null;
}

/** What the rule form answered. */
export interface RuleOutcome {
  form: "rule";
  saved: string | null;
  fieldErrors: FieldErrors<RuleField>;
  values: RuleValues | null;
}

export const isTestMethod = (m: string): m is keyof typeof TEST_PAYMENT_METHODS => Object.hasOwn(TEST_PAYMENT_METHODS, m);

/** The payment methods the form offers: the saved card, and the test cards only under the test provider. */
function paymentMethodOptions(card: CardView | null, testMode: boolean): { value: string; label: string }[] {
  const options: { value: string; label: string }[] = [];
  if (card) options.push({ value: SAVED_CARD, label: `Saved card (${cardShort(card)})` });
  // Offered (and chosen by default) even before a card is saved: a newcomer is led to save one, not to a made-up test card.
  else options.push({ value: SAVED_CARD, label: "Saved card (none saved yet: save one above)" });
  if (testMode) for (const [value, label] of Object.entries(TEST_PAYMENT_METHODS)) options.push({ value, label });
  return options;
}

/** A rule's payment method as the facts show it. */
export function paymentMethodLabel(method: string, card: CardView | null): string {
  if (method === SAVED_CARD) return card ? `Saved card (${cardShort(card)})` : "Saved card (none saved)";
  return isTestMethod(method) ? TEST_PAYMENT_METHODS[method] : method;
}

/** Why the rule paused, as a clause ("…because the card was declined"). */
function pauseCause(reason: string): string {
  if (reason === "authentication_required") return "the bank asked you to confirm the payment, which an automatic top-up can't do";
  if (reason === "no_saved_card") return "there is no saved card";
  if (reason === "card_declined") return "the card was declined";
  return `the card was declined (${reason.replace(/_/g, " ")})`;
}

/** The paused rule: why, and what fixes it. */
export function PausedRuleAlert({ rule, canManage }: { rule: RuleView; canManage: boolean }) {
  if (!rule.pausedReason) return null;
  const reason = rule.pausedReason;
  const usesCard = rule.paymentMethod === SAVED_CARD;
  let fix: string;
  if (!canManage) fix = "An owner or admin of this account can resume it by saving a card or saving the rule again.";
  else if (reason === "no_saved_card") fix = "Save a card under “Saved card”: auto-recharge resumes once it is saved.";
  else if (reason === "authentication_required")
    fix = usesCard
      ? "Save the card again under “Saved card” (your bank can confirm it there) or save another card: auto-recharge resumes once it is saved."
      : "Choose another payment method below and save the rule: saving it resumes auto-recharge.";
  else
    fix = usesCard
      ? "Save another card under “Saved card” (auto-recharge resumes once it is saved), or save the rule again to try the same card: saving it resumes auto-recharge."
      : "Check the payment method below and save the rule: saving it resumes auto-recharge.";
  return <Alert kind="error" lines={[`Auto-recharge is paused because ${pauseCause(reason)}.`, fix]} />;
}

export function RechargeRule({
  rule,
  canManage,
  floor,
  outcome,
  card,
  testMode,
  limits,
}: {
  rule: RuleView | null;
  canManage: boolean;
  /** The lowest balance, formatted. */
  floor: string;
  /** The action's answer: a saved message, or the fields it refused with what was typed. */
  outcome: RuleOutcome | undefined;
  card: CardView | null;
  testMode: boolean;
  /** This account's caps on automatic top-ups. */
  limits: { perRechargeCents: string; perDayCents: string };
}) {
  const errors = outcome?.fieldErrors ?? {};
  const options = paymentMethodOptions(card, testMode);
  const offered = (m: string | undefined) => (m !== undefined && options.some((o) => o.value === m) ? m : undefined);
  const v: RuleValues = outcome?.values ?? {
    enabled: rule?.enabled ?? false,
    thresholdDollars: rule ? centsToDollarsInput(rule.thresholdCents) : "10.00",
    targetDollars: rule ? centsToDollarsInput(rule.targetCents) : "50.00",
    paymentMethod: offered(rule?.paymentMethod) ?? SAVED_CARD,
  };
  // With Stripe and no card there is nothing to choose: the rule charges the card once one is saved.
  const needsCard = !card && !testMode;
  const errorCount = Object.keys(errors).length;
  const caps = (
    <p id="rule-limits" className="muted">
      Each top-up is at most {formatCents(limits.perRechargeCents)} and at most {formatCents(limits.perDayCents)} a day for this account.
    </p>
  );
  const methodDescribedBy = [errors.paymentMethod ? "paymentMethod-error" : null, "paymentMethod-hint"].filter(Boolean).join(" ");
  const methodError = errors.paymentMethod ? (
    <div id="paymentMethod-error" className="field-error">
      {errors.paymentMethod}
    </div>
  ) : null;
  return (
    <section className="card" aria-labelledby="rule-h">
      <h2 id="rule-h">Auto-recharge</h2>
      <p className="muted">
        {rule?.lastOutcome ? (
          <>
            Last outcome: {outcomeWords(rule.lastOutcome)} · <When at={rule.lastOutcomeAt} />
          </>
        ) : (
          "No automatic recharge has run yet."
        )}
      </p>
      {outcome?.saved ? <Alert kind="ok" lines={[outcome.saved]} /> : null}
      {errorCount > 0 ? <Alert kind="error" lines={["The rule was not saved. Fix the fields marked below."]} /> : null}
      {canManage ? (
        <Form method="post" aria-labelledby="rule-h" aria-describedby="rule-limits" noValidate>
          <AuthenticityTokenInput />
          <div className="field">
            <label>
              <input type="checkbox" name="enabled" defaultChecked={v.enabled} /> Recharge automatically
            </label>
          </div>
          <div className="grid">
            <AmountField
              name="thresholdDollars"
              label="When balance goes below ($)"
              hint={`In dollars; may be negative, down to ${floor}.`}
              value={v.thresholdDollars}
              error={errors.thresholdDollars}
            />
            <AmountField
              name="targetDollars"
              label="Bring balance up to ($)"
              hint="In dollars; must be greater than the amount above."
              value={v.targetDollars}
              error={errors.targetDollars}
            />
          </div>
          {needsCard ? (
            <div className="field">
              <input type="hidden" name="paymentMethod" value={SAVED_CARD} />
              <p id="paymentMethod-hint">
                <strong>Payment method:</strong> save a card first (under “Saved card” above): auto-recharge charges the saved card.
              </p>
              {methodError}
            </div>
          ) : (
            <div className="field">
              <label htmlFor="paymentMethod">Payment method</label>
              <select
                id="paymentMethod"
                name="paymentMethod"
                defaultValue={v.paymentMethod}
                key={v.paymentMethod}
                aria-invalid={errors.paymentMethod ? true : undefined}
                aria-describedby={methodDescribedBy}
              >
                {options.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
              <div id="paymentMethod-hint" className="hint">
                {testMode
                  ? "Test cards are offered because this installation uses the test payment provider: no real card is ever charged."
                  : "Auto-recharge charges the saved card while you are away (off-session)."}
              </div>
              {methodError}
            </div>
          )}
          <button type="submit" name="intent" value="save_rule" className="btn primary">
            Save auto-recharge rule
          </button>
          {caps}
        </Form>
      ) : rule ? (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>{rule.pausedReason ? "paused" : rule.enabled ? "on" : "off"}</dd>
            <dt>When balance goes below</dt>
            <dd>{formatCents(rule.thresholdCents)}</dd>
            <dt>Bring balance up to</dt>
            <dd>{formatCents(rule.targetCents)}</dd>
            <dt>Payment method</dt>
            <dd>{paymentMethodLabel(rule.paymentMethod, card)}</dd>
          </dl>
          {caps}
        </>
      ) : (
        <>
          <p>No auto-recharge rule is set. Owners and admins of this account can set one.</p>
          {caps}
        </>
      )}
    </section>
  );
}

function AmountField(props: { name: string; label: string; hint: string; value: string; error: string | undefined }) {
  const { name, label, hint, value, error } = props;
  return (
    <div className="field">
      <label htmlFor={name}>{label}</label>
      <input
        id={name}
        name={name}
        type="text"
        inputMode="decimal"
        autoComplete="off"
        defaultValue={value}
        key={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${name}-error ${name}-hint` : `${name}-hint`}
      />
      <div id={`${name}-hint`} className="hint">
        {hint}
      </div>
      {error ? (
        <div id={`${name}-error`} className="field-error">
          {error}
        </div>
      ) : null}
    </div>
  );
}

/** A recorded outcome in words: "declined: card_declined" says "declined" once. */
function outcomeWords(outcome: string): string {
  return outcome.replace(/^declined: card_declined$/, "declined").replace(/_/g, " ");
}
