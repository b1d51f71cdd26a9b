/** Settings → Billing: the auto-recharge rule, as a form for owners and admins and as facts for everyone else. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { centsToDollarsInput, formatCents } from "../../models/money.js";
import { TEST_PAYMENT_METHODS } from "../../payments/payment-provider.js";
import type { FieldErrors } from "../forms.js";
import { Alert, When } from "../ui.js";

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

export const isTestMethod = (m: string): m is keyof typeof TEST_PAYMENT_METHODS => Object.hasOwn(TEST_PAYMENT_METHODS, m);

export function RechargeRule({
  rule,
  canManage,
  floor,
  outcome,
}: {
  rule: RuleView | null;
  canManage: boolean;
  /** The lowest balance, formatted. */
  floor: string;
  /** The action's answer: a saved message, or the fields it refused with what was typed. */
  outcome: { saved: string | null; fieldErrors: FieldErrors<RuleField>; values: RuleValues | null } | undefined;
}) {
  const errors = outcome?.fieldErrors ?? {};
  const v: RuleValues = outcome?.values ?? {
    enabled: rule?.enabled ?? false,
    thresholdDollars: rule ? centsToDollarsInput(rule.thresholdCents) : "10.00",
    targetDollars: rule ? centsToDollarsInput(rule.targetCents) : "50.00",
    paymentMethod: rule?.paymentMethod ?? "test_card_approve",
  };
  const errorCount = Object.keys(errors).length;
  return (
    <section className="card" aria-labelledby="rule-h">
      <h2 id="rule-h">Auto-recharge</h2>
      <p className="muted">
        {rule?.lastOutcome ? (
          <>
            Last outcome: {rule.lastOutcome.replace(/_/g, " ")} · <When at={rule.lastOutcomeAt} />
          </>
        ) : (
          "No automatic recharge has run yet."
        )}
      </p>
      {outcome?.saved ? <Alert kind="ok" lines={[outcome.saved]} /> : null}
      {errorCount > 0 ? <Alert kind="error" lines={["The rule was not saved. Fix the fields marked below."]} /> : null}
      {canManage ? (
        <Form method="post" aria-labelledby="rule-h" noValidate>
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
          <div className="field">
            <label htmlFor="paymentMethod">Payment method (test payment provider)</label>
            <select
              id="paymentMethod"
              name="paymentMethod"
              defaultValue={v.paymentMethod}
              aria-invalid={errors.paymentMethod ? true : undefined}
              aria-describedby={errors.paymentMethod ? "paymentMethod-error paymentMethod-hint" : "paymentMethod-hint"}
            >
              {Object.entries(TEST_PAYMENT_METHODS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
            <div id="paymentMethod-hint" className="hint">
              This installation charges through the built-in test payment provider: no real card is ever charged.
            </div>
            {errors.paymentMethod ? (
              <div id="paymentMethod-error" className="field-error">
                {errors.paymentMethod}
              </div>
            ) : null}
          </div>
          <button type="submit" name="intent" value="save_rule" className="btn primary">
            Save auto-recharge rule
          </button>
        </Form>
      ) : rule ? (
        <dl className="facts">
          <dt>Status</dt>
          <dd>{rule.pausedReason ? "paused" : rule.enabled ? "on" : "off"}</dd>
          <dt>When balance goes below</dt>
          <dd>{formatCents(rule.thresholdCents)}</dd>
          <dt>Bring balance up to</dt>
          <dd>{formatCents(rule.targetCents)}</dd>
          <dt>Payment method</dt>
          <dd>{isTestMethod(rule.paymentMethod) ? TEST_PAYMENT_METHODS[rule.paymentMethod] : rule.paymentMethod}</dd>
        </dl>
      ) : (
        <p>No auto-recharge rule is set. Owners and admins of this account can set one.</p>
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
