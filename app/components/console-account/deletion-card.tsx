/** The account page's "Delete account (on the person's request)" action (support and admin), behind its confirmation. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { AccountStatus } from "../../../db/schema.js";
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { Field, FieldError, type FieldErrors } from "../forms.js";
import { useStepUp } from "../step-up.js";
import { Alert } from "../ui.js";
import { useConfirmOpen } from "../../hooks/use-confirm-open.js";

/** What the `delete` intent answers, for this form. */
export interface DeletionOutcome {
  error: string | null;
  fieldErrors: FieldErrors<"reason" | "confirm">;
  reason: string;
}

export function DeletionAction({
  status,
  deletion,
  who,
  outcome,
}: {
  status: AccountStatus;
  deletion: ConsoleAccountPage["deletion"];
  who: string;
  outcome: DeletionOutcome | null;
}) {
  // After a fresh sign-in (step-up) the reason comes back as it was posted.
  const stepUp = useStepUp("delete");
  const kept = stepUp && !stepUp.signInNeeded ? stepUp : null;
  const shown = outcome ?? (kept ? { error: null, fieldErrors: {}, reason: kept.values.reason ?? "" } : null);
  const dialog = useConfirmOpen(outcome ?? kept);
  if (!deletion.canStart) {
    return (
      <>
        {/* A request sent from a page loaded before the account changed (another agent deleted it meanwhile) says why it was refused. */}
        {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
        <p className="muted">
          {status === "deleting"
            ? "This account is being deleted; follow it under Deletions below."
            : status === "deleted"
              ? "This account has been deleted."
              : `Only an active account can be deleted; this one is ${status}.`}
        </p>
      </>
    );
  }
  const label = deletion.restart ? "Start the deletion again" : "Delete this account";
  return (
    <ConfirmAction
      label={label}
      title={`Delete ${who} on the person's request?`}
      description={
        <p id="delete-what">
          Keys and sessions stop at once; the workflow then unsubscribes every mailing list, sends the confirmation, erases the personal data and keeps the
          email only as a tombstone. It cannot be undone.
        </p>
      }
      {...dialog}
    >
      <Form method="post" className="stack" aria-labelledby="delete-h" aria-describedby="delete-what">
        <h3 id="delete-h" className="sr-only">
          Delete account (on the person's request)
        </h3>
        {shown?.error ? <Alert kind="error" lines={[shown.error]} /> : null}
        <AuthenticityTokenInput />
        {deletion.restart ? <Alert kind="info" lines={["The last deletion of this account failed (see Deletions below). You can start it again."]} /> : null}
        <Field
          id="delete-reason"
          label="Reason for the deletion"
          hint="Say where the person asked (ticket or email). Do not paste personal data."
          error={shown?.fieldErrors.reason}
          textarea={{ name: "reason", required: true, maxLength: deletion.reasonMax, rows: 2, defaultValue: shown?.reason ?? "" }}
        />
        <div className="field">
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> I understand this cannot be undone
          </label>
          <FieldError id="delete-confirm-error" error={shown?.fieldErrors.confirm} />
        </div>
        <button type="submit" name="intent" value="delete" className="btn danger">
          {label}
        </button>
      </Form>
    </ConfirmAction>
  );
}
