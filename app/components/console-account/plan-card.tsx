/** The account page's plan actions (support and admin): change the plan, turn password logins on or off. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { Field, SelectField, type FieldErrors } from "../forms.js";
import { useStepUp } from "../step-up.js";
import { useConfirmOpen } from "../../hooks/use-confirm-open.js";

/** What the `plan` intent answers, for this card's form. */
export interface PlanOutcome {
  fieldErrors: FieldErrors<"plan" | "reason">;
  values: { plan: string; reason: string };
}

export function PlanAction({ plan, who, outcome }: Pick<ConsoleAccountPage, "plan"> & { who: string; outcome: PlanOutcome | null }) {
  // After a fresh sign-in (step-up) the form comes back filled in as it was posted.
  const stepUp = useStepUp("plan");
  const kept = stepUp && !stepUp.signInNeeded ? stepUp : null;
  const form = outcome ?? (kept ? { fieldErrors: {}, values: { plan: kept.values.plan ?? "", reason: kept.values.reason ?? "" } } : null);
  const invalid = outcome && Object.keys(outcome.fieldErrors).length > 0 ? outcome : null;
  const dialog = useConfirmOpen(invalid ?? kept);
  if (!plan.changeable) return null;
  return (
    <ConfirmAction
      label="Change plan"
      title={`Change the plan of ${who}?`}
      tone="normal"
      description={<p>{`Now ${plan.label}. What the new plan does not allow stops at once: password logins and their sessions, pending invitations.`}</p>}
      {...dialog}
    >
      <Form method="post" className="stack" aria-labelledby="plan-change-h">
        <h3 id="plan-change-h" className="sr-only">
          Change plan
        </h3>
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
          hint="Kept in the audit trail."
          error={form?.fieldErrors.reason}
          textarea={{ name: "reason", required: true, maxLength: plan.reasonMax, rows: 2, defaultValue: form?.values.reason ?? "" }}
        />
        <button type="submit" name="intent" value="plan" className="btn primary">
          Change plan
        </button>
      </Form>
    </ConfirmAction>
  );
}

/** Turning them on needs no confirmation (nothing stops); turning them off ends their sessions, so it asks first. */
export function PasswordLoginsAction({ passwordLogins, who }: Pick<ConsoleAccountPage, "passwordLogins"> & { who: string }) {
  if (!passwordLogins.shown) return null;
  if (passwordLogins.enabled) {
    return (
      <ConfirmAction
        label="Turn password logins off"
        title={`Turn password logins off for ${who}?`}
        description={
          <p>{`People of this account sign in at /login/password with the account identifier ${passwordLogins.loginId ?? ""}. Turning them off ends their sessions at once.`}</p>
        }
      >
        <Form method="post" aria-labelledby="password-logins-h">
          <h3 id="password-logins-h" className="sr-only">
            Password logins
          </h3>
          <AuthenticityTokenInput />
          <input type="hidden" name="intent" value="password_logins" />
          <button type="submit" name="enabled" value="off" className="btn danger">
            Turn password logins off
          </button>
        </Form>
      </ConfirmAction>
    );
  }
  if (!passwordLogins.allowed) return null;
  return (
    <Form method="post" aria-labelledby="password-logins-h">
      <h3 id="password-logins-h" className="sr-only">
        Password logins
      </h3>
      <AuthenticityTokenInput />
      <input type="hidden" name="intent" value="password_logins" />
      <button type="submit" name="enabled" value="on" className="btn" aria-describedby="password-logins-what">
        Turn password logins on
      </button>
      <span id="password-logins-what" className="sr-only">
        The owner or an admin then creates username/password logins in Settings → Members.
      </span>
    </Form>
  );
}
