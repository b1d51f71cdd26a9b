/**
 * The acting half of the console's ticket page: the decision (approve, reject
 * with a reason) and staff notes, each showing the action's answer beside it.
 */
import { Form } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import type { ConsoleTicketPage } from "../../presenters/console-ticket.server.js";
import { Alert, EmptyState, When } from "../ui.js";

type Field = "reason" | "body";
/** The ticket page's action answer. */
export interface TicketOutcome {
  /** Which form the message belongs to, so it shows next to it. */
  form: "decision" | "note";
  error: string | null;
  notice: string | null;
  fieldErrors: Partial<Record<Field, string>>;
  values: Partial<Record<Field, string>>;
  /** Changes after every successful note: the note form starts empty again. */
  noteKey: string | null;
}

export function DecisionCard({ page: d, outcome: decisionOutcome }: { page: ConsoleTicketPage; outcome: TicketOutcome | null }) {
  const { ticket } = d;
  const reasonError = decisionOutcome?.fieldErrors.reason;
  return (
    <section className="card" aria-labelledby="decision-h">
      <h2 id="decision-h">Decision</h2>
      {decisionOutcome?.error ? <Alert kind="error" lines={[decisionOutcome.error]} /> : null}
      {decisionOutcome?.notice ? <Alert kind="ok" lines={[decisionOutcome.notice]} /> : null}
      {d.decisions.length === 0 ? (
        <p className="muted">No decision yet.</p>
      ) : (
        <ul>
          {d.decisions.map((x) => (
            <li key={x.staff_id}>
              <strong>{x.decision === "approve" ? "Approved" : "Rejected"}</strong> by {x.staff_email} · <When at={x.created_at} />
              {x.reason ? <div className="muted">“{x.reason}”</div> : null}
            </li>
          ))}
        </ul>
      )}
      {!d.canAct ? (
        <p className="muted">Only support and admin staff approve or reject transfers.</p>
      ) : d.awaitingApproval ? (
        <div className="grid">
          {d.iApproved ? (
            <p>You approved this ticket; the second approval must come from another support or admin member.</p>
          ) : (
            <Form method="post" aria-labelledby="approve-h" className="stack">
              <h3 id="approve-h">Approve</h3>
              <AuthenticityTokenInput />
              <p className="muted">The old account is blocked and everything on it moves to the new account.</p>
              <button type="submit" name="intent" value="approve" className="btn primary">
                Approve transfer
              </button>
            </Form>
          )}
          <Form method="post" aria-labelledby="reject-h" className="stack">
            <h3 id="reject-h">Reject</h3>
            <AuthenticityTokenInput />
            <div className="field">
              <label htmlFor="reject-reason">Why (required)</label>
              <textarea
                id="reject-reason"
                name="reason"
                required
                maxLength={1000}
                rows={3}
                defaultValue={decisionOutcome?.values.reason ?? ""}
                aria-invalid={reasonError ? true : undefined}
                aria-describedby={reasonError ? "reject-reason-error reject-reason-hint" : "reject-reason-hint"}
              />
              <div id="reject-reason-hint" className="hint">
                Up to 1000 characters. Kept in Switchboard's database for staff, never in the workflow history.
              </div>
              {reasonError ? (
                <div id="reject-reason-error" className="field-error">
                  {reasonError}
                </div>
              ) : null}
            </div>
            <button type="submit" name="intent" value="reject" className="btn danger">
              Reject transfer
            </button>
          </Form>
        </div>
      ) : (
        <p className="muted">{ticket.open ? "Approval opens once the new address has confirmed." : "This ticket is closed."}</p>
      )}
    </section>
  );
}

export function NotesCard({ page: d, outcome: noteOutcome }: { page: ConsoleTicketPage; outcome: TicketOutcome | null }) {
  const bodyError = noteOutcome?.fieldErrors.body;
  return (
    <section className="card" aria-labelledby="notes-h">
      <h2 id="notes-h">Staff notes</h2>
      {d.notes.length === 0 ? (
        <EmptyState>No notes yet.</EmptyState>
      ) : (
        <ol className="timeline">
          {d.notes.map((n) => (
            <li key={n.id}>
              <span className="muted">
                {n.staff_email ?? "(former staff)"} · <When at={n.created_at} />
              </span>
              <div style={{ whiteSpace: "pre-wrap" }}>{n.body}</div>
            </li>
          ))}
        </ol>
      )}
      {d.canAct ? (
        <Form key={noteOutcome?.noteKey ?? "note"} method="post" aria-labelledby="note-h" style={{ marginTop: "1rem" }}>
          <h3 id="note-h">Add a note</h3>
          {noteOutcome?.error ? <Alert kind="error" lines={[noteOutcome.error]} /> : null}
          {noteOutcome?.notice ? <Alert kind="ok" lines={[noteOutcome.notice]} /> : null}
          <AuthenticityTokenInput />
          <div className="field">
            <label htmlFor="note-body">Note (staff only)</label>
            <textarea
              id="note-body"
              name="body"
              required
              maxLength={2000}
              rows={3}
              defaultValue={noteOutcome?.noteKey ? "" : (noteOutcome?.values.body ?? "")}
              aria-invalid={bodyError ? true : undefined}
              aria-describedby={bodyError ? "note-body-error note-body-hint" : "note-body-hint"}
            />
            <div id="note-body-hint" className="hint">
              Up to 2000 characters. The requester does not see notes.
            </div>
            {bodyError ? (
              <div id="note-body-error" className="field-error">
                {bodyError}
              </div>
            ) : null}
          </div>
          <button type="submit" name="intent" value="note" className="btn">
            Add note
          </button>
        </Form>
      ) : null}
    </section>
  );
}
