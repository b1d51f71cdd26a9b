/** The console account page's Plan card (support and admin): change the plan, turn password logins on or off. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { Field, SelectField, type FieldErrors } from "../forms.js";
import { useStepUp } from "../step-up.js";

/** What the `plan` intent answers, for this card's form. */
export interface PlanOutcome {
  fieldErrors: FieldErrors<"plan" | "reason">;
  values: { plan: string; reason: string };
}

export function PlanCard({ plan, passwordLogins, outcome }: Pick<ConsoleAccountPage, "plan" | "passwordLogins"> & { outcome: PlanOutcome | null }) {
  // After a fresh sign-in (step-up) the form comes back filled in as it was posted.
  const kept = useStepUp("plan")?.values;
  const form = outcome ?? (kept ? { fieldErrors: {}, values: { plan: kept.plan ?? "", reason: kept.reason ?? "" } } : null);
  return (
    <section className="card" aria-labelledby="plan-h">
      <h2 id="plan-h">Plan</h2>
      {plan.changeable ? (
        <Form method="post" className="stack" aria-labelledby="plan-change-h">
          <h3 id="plan-change-h">Change plan</h3>
          <AuthenticityTokenInput />
          <SelectField
            id="plan"
            label="New plan"
            options={plan.options.map((o) => ({ value: o.value, label: `${o.label} — ${o.allows.join(", ")}` }))}
            error={form?.fieldErrors.plan}
            select={{ name: "plan", required: true, defaultValue: form?.values.plan || plan.current }}
          />
          <Field
            id="plan-reason"
            label="Reason for the change"
            hint="Kept in the audit trail. What the new plan does not allow stops at once: password logins and their sessions, pending invitations."
            error={form?.fieldErrors.reason}
            textarea={{ name: "reason", required: true, maxLength: plan.reasonMax, rows: 2, defaultValue: form?.values.reason ?? "" }}
          />
          <button type="submit" name="intent" value="plan" className="btn">
            Change plan
          </button>
        </Form>
      ) : (
        <p className="muted">A deleted account's plan cannot change.</p>
      )}
      {passwordLogins.shown ? (
        <Form method="post" className="stack" aria-labelledby="password-logins-h" style={{ marginTop: "1rem" }}>
          <h3 id="password-logins-h">Password logins</h3>
          <AuthenticityTokenInput />
          <p className="muted">
            {passwordLogins.enabled
              ? `On. People of this account sign in at /login/password with the account identifier ${passwordLogins.loginId ?? ""} and their username. Turning them off ends their sessions at once.`
              : "Off. When on, the owner or an admin creates username/password logins in Settings → Members."}
          </p>
          {passwordLogins.enabled ? (
            <button type="submit" name="enabled" value="off" className="btn danger">
              Turn password logins off
            </button>
          ) : passwordLogins.allowed ? (
            <button type="submit" name="enabled" value="on" className="btn primary">
              Turn password logins on
            </button>
          ) : null}
          <input type="hidden" name="intent" value="password_logins" />
        </Form>
      ) : null}
    </section>
  );
}
