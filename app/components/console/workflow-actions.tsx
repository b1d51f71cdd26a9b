/**
 * The Actions card of a workflow page: retry now, cancel, terminate, or why none of them is offered.
 * Cancel and terminate end the workflow, so each opens a confirmation first (ConfirmAction).
 */
import { Form } from "@remix-run/react";
import { useEffect, useState } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { ConfirmAction } from "../confirm-dialog.js";
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
  // A terminate refused for its reason opens again on the field to fix, as does coming back from the fresh
  // sign-in it asked for (the reason kept). Any other answer is shown on the page, above the button.
  const [open, setOpen] = useState<"cancel" | "terminate" | null>(keptTerminateReason ? "terminate" : null);
  useEffect(() => {
    if (outcome) setOpen(outcome.form === "terminate" && outcome.reasonError ? "terminate" : null);
  }, [outcome]);
  const dialog = (f: "cancel" | "terminate") => ({ open: open === f, onOpenChange: (o: boolean) => setOpen(o ? f : null) });
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
          <div className="stack">
            <h3 id="cancel-h">Cancel</h3>
            {formMessage("cancel")}
            <p className="muted">
              The workflow is asked to stop and runs its clean-up: a block marks its request failed; a transfer still waiting on people closes its ticket as
              cancelled (link dead, requester told), while one already moving credits finishes first.
            </p>
            <ConfirmAction
              label="Cancel workflow…"
              title="Cancel this workflow?"
              tone="normal"
              description={<p className="muted">It stops at its next step and runs its clean-up.</p>}
              {...dialog("cancel")}
            >
              <Form method="post" aria-labelledby="cancel-h" className="stack">
                <AuthenticityTokenInput />
                <input type="hidden" name="run" value={runId} />
                <Field
                  id="cancel-reason"
                  label="Why (optional)"
                  textarea={{ name: "reason", maxLength: 1000, rows: 2, defaultValue: outcome?.form === "cancel" ? outcome.reason : "" }}
                />
                <button type="submit" name="intent" value="cancel" className="btn">
                  Cancel workflow
                </button>
              </Form>
            </ConfirmAction>
          </div>
          <div className="stack">
            <h3 id="terminate-h">Terminate</h3>
            {formMessage("terminate")}
            <p className="muted">Stops the workflow at once; no clean-up runs. Use it when Cancel does not help.</p>
            <ConfirmAction
              label="Terminate workflow…"
              title="Terminate this workflow?"
              description={<p className="muted">It stops at once, half-way if need be; nothing it started is undone. This cannot be taken back.</p>}
              {...dialog("terminate")}
            >
              <Form method="post" aria-labelledby="terminate-h" className="stack">
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
                <button type="submit" name="intent" value="terminate" className="btn danger">
                  Terminate workflow
                </button>
              </Form>
            </ConfirmAction>
          </div>
        </div>
      )}
    </section>
  );
}
