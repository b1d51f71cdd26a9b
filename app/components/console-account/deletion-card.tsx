/** The console account page's "Delete account (on the person's request)" card (support and admin). */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { AccountStatus } from "../../../db/schema.js";
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { Field, FieldError, type FieldErrors } from "../forms.js";
import { useStepUp } from "../step-up.js";
import { Alert } from "../ui.js";

/** What the `delete` intent answers, for this card. */
export interface DeletionOutcome {
  error: string | null;
  fieldErrors: FieldErrors<"reason" | "confirm">;
  reason: string;
}

export function DeletionCard({
  status,
  deletion,
  outcome,
}: {
  status: AccountStatus;
  deletion: ConsoleAccountPage["deletion"];
  outcome: DeletionOutcome | null;
}) {
  // After a fresh sign-in (step-up) the reason comes back as it was posted.
  const kept = useStepUp("delete")?.values;
  const shown = outcome ?? (kept ? { error: null, fieldErrors: {}, reason: kept.reason ?? "" } : null);
  return (
    <section className="card" aria-labelledby="delete-h">
      <h2 id="delete-h">Delete account (on the person's request)</h2>
      {shown?.error ? <Alert kind="error" lines={[shown.error]} /> : null}
      {deletion.canStart ? (
        <Form method="post" className="stack" aria-describedby="delete-what">
          <AuthenticityTokenInput />
          {deletion.restart ? <Alert kind="info" lines={["The last deletion of this account failed (see Deletions below). You can start it again."]} /> : null}
          <p id="delete-what" className="muted">
            Keys and sessions stop at once; the workflow then unsubscribes every mailing list, sends the confirmation, erases the personal data and keeps the
            email only as a tombstone. It cannot be undone.
          </p>
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
            {deletion.restart ? "Start the deletion again" : "Delete this account"}
          </button>
        </Form>
      ) : (
        <p className="muted">
          {status === "deleting"
            ? "This account is being deleted; follow it under Deletions below."
            : status === "deleted"
              ? "This account has been deleted."
              : `Only an active account can be deleted; this one is ${status}.`}
        </p>
      )}
    </section>
  );
}
