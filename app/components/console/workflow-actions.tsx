/** The Actions card of a workflow page: retry now, cancel, terminate, or why none of them is offered. */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { Field } from "../forms.js";
import { Alert } from "../ui.js";

/** What the page's action answers: which form it was, and what it did or why not. */
export interface WorkflowOutcome {
  form: "cancel" | "terminate" | "retry";
  error: string | null;
  notice: string | null;
  reasonError: string | null;
  reason: string;
}

export function WorkflowActions({
  runId,
  canAct,
  running,
  outcome,
  keptTerminateReason,
}: {
  runId: string;
  canAct: boolean;
  running: boolean;
  outcome: WorkflowOutcome | undefined;
  /** The reason typed before a fresh sign-in was asked for. */
  keptTerminateReason: string | undefined;
}) {
  const formMessage = (f: WorkflowOutcome["form"]) =>
    outcome?.form === f ? (
      <>
        {outcome.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
        {outcome.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
      </>
    ) : null;
  return (
    <section className="card" aria-labelledby="actions-h">
      <h2 id="actions-h">Actions</h2>
      {/* Once the workflow has closed its forms are gone, so what the last action did is said here. */}
      {(!canAct || !running) && outcome ? formMessage(outcome.form) : null}
      {!canAct ? (
        <p className="muted">Only operators and admins cancel, terminate or retry workflows.</p>
      ) : !running ? (
        <p className="muted">This workflow has finished; there is nothing to cancel, terminate or retry.</p>
      ) : (
        <div className="grid">
          <Form method="post" aria-labelledby="retry-h" className="stack">
            <h3 id="retry-h">Retry now</h3>
            {formMessage("retry")}
            <AuthenticityTokenInput />
            <input type="hidden" name="run" value={runId} />
            <p className="muted">
              Activities waiting between attempts start their next attempt at once, with the same input. Nothing the workflow already did runs again.
            </p>
            <button type="submit" name="intent" value="retry" className="btn">
              Retry now
            </button>
          </Form>
          <Form method="post" aria-labelledby="cancel-h" className="stack">
            <h3 id="cancel-h">Cancel</h3>
            {formMessage("cancel")}
            <AuthenticityTokenInput />
            <input type="hidden" name="run" value={runId} />
            <Field
              id="cancel-reason"
              label="Why (optional)"
              textarea={{ name: "reason", maxLength: 1000, rows: 2, defaultValue: outcome?.form === "cancel" ? outcome.reason : "" }}
            />
            <p className="muted">
              The workflow is asked to stop and runs its clean-up: a block marks its request failed; a transfer still waiting on people closes its ticket as
              cancelled (link dead, requester told), while one already moving credits finishes first.
            </p>
            <button type="submit" name="intent" value="cancel" className="btn">
              Cancel workflow
            </button>
          </Form>
          <Form method="post" aria-labelledby="terminate-h" className="stack">
            <h3 id="terminate-h">Terminate</h3>
            {formMessage("terminate")}
            <AuthenticityTokenInput />
            <input type="hidden" name="run" value={runId} />
            <Field
              id="terminate-reason"
              label="Why (required)"
              hint="Kept in Switchboard's audit log, never in the workflow history."
              error={outcome?.form === "terminate" ? outcome.reasonError : null}
              textarea={{
                name: "reason",
                required: true,
                maxLength: 1000,
                rows: 2,
                defaultValue: outcome?.form === "terminate" ? outcome.reason : (keptTerminateReason ?? ""),
              }}
            />
            <p className="muted">Stops the workflow at once; no clean-up runs. Use it when Cancel does not help.</p>
            <button type="submit" name="intent" value="terminate" className="btn danger">
              Terminate workflow
            </button>
          </Form>
        </div>
      )}
    </section>
  );
}
