/**
 * The acting half of the console's ticket page: who works it (claim, release,
 * take over), the decision (approve, reject with a reason) and staff notes,
 * each showing the action's answer beside it. Approving, rejecting and taking
 * over go through a confirmation (ConfirmAction).
 */
import { Form } from "@remix-run/react";
import { useConfirmOpen } from "../../hooks/use-confirm-open.js";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { formatCents } from "../../models/money.js";
import type { ConsoleTicketPage } from "../../presenters/console-ticket.server.js";
import { ConfirmAction } from "../confirm-dialog.js";
import { Alert, EmptyState, When } from "../ui.js";

type Field = "reason" | "body";
/** The ticket page's action answer. */
export interface TicketOutcome {
  /** Which form the message belongs to, so it shows next to it. */
  form: "decision" | "note" | "claim" | "close";
  /** The decision's intent, so a refused reject reopens its own dialog. */
  intent?: string;
  error: string | null;
  notice: string | null;
  fieldErrors: Partial<Record<Field, string>>;
  values: Partial<Record<Field, string>>;
  /** Changes after every successful note: the note form starts empty again. */
  noteKey: string | null;
}

/** Who works the ticket: claim it, release it, or take it over from someone (after a confirmation). */
export function ClaimCard({ page: d, outcome }: { page: ConsoleTicketPage; outcome: TicketOutcome | null }) {
  const { claim, ticket } = d;
  return (
    <section className="card" aria-labelledby="claim-h">
      <h2 id="claim-h">Who works it</h2>
      {outcome?.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
      {outcome?.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
      <p>
        {claim === null ? (
          ticket.open ? (
            "Nobody has claimed this ticket."
          ) : (
            "Nobody claimed this ticket."
          )
        ) : claim.mine ? (
          <>
            <strong>Claimed by you</strong> · <When at={claim.at} />
          </>
        ) : (
          <>
            <strong>Claimed by {claim.email ?? "a former staff member"}</strong> · <When at={claim.at} />
          </>
        )}
      </p>
      {!d.canAct || !ticket.open ? null : claim === null ? (
        <Form method="post">
          <AuthenticityTokenInput />
          <button type="submit" name="intent" value="claim" className="btn primary">
            Claim
          </button>
        </Form>
      ) : claim.mine ? (
        <Form method="post">
          <AuthenticityTokenInput />
          <button type="submit" name="intent" value="release" className="btn">
            Release
          </button>
        </Form>
      ) : (
        <ConfirmAction
          label="Take over"
          title={`Take this ticket over from ${claim.email ?? "a former staff member"}?`}
          description={<p>They stop seeing it as theirs. Agree it with them first, so two people never work one ticket.</p>}
        >
          <Form method="post">
            <AuthenticityTokenInput />
            {/* The claimant confirmed against: if the ticket changed hands meanwhile, nothing happens. */}
            <input type="hidden" name="from" value={claim.staffId} />
            <button type="submit" name="intent" value="take_over" className="btn danger">
              Yes, take it over
            </button>
          </Form>
        </ConfirmAction>
      )}
    </section>
  );
}

export function DecisionCard({ page: d, outcome: decisionOutcome }: { page: ConsoleTicketPage; outcome: TicketOutcome | null }) {
  const { ticket } = d;
  const reasonError = decisionOutcome?.fieldErrors.reason;
  const reject = useConfirmOpen(reasonError ? decisionOutcome : null);
  const oldName = d.oldSide.account?.name ?? "the old account";
  const balance = d.oldSide.account ? formatCents(d.oldSide.account.balanceCents) : null;
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
        <>
          {d.claim && !d.claim.mine ? (
            <p className="alert info">{d.claim.email ?? "A former staff member"} has claimed this ticket: decide only if you agreed that with them.</p>
          ) : null}
          <div className="grid">
            {d.iApproved ? (
              <p>You approved this ticket; the second approval must come from another support or admin member.</p>
            ) : (
              <div className="stack">
                <h3 id="approve-h">Approve</h3>
                <p className="muted">The old account is blocked and everything on it moves to the new account.</p>
                <ConfirmAction
                  label="Approve transfer"
                  title="Approve this transfer?"
                  triggerClassName="btn primary"
                  description={
                    <p>
                      {oldName} is blocked{balance ? ` and its balance (${balance})` : ""} moves to {d.newSide.address ?? "the new address"}. This cannot be
                      undone from here.
                    </p>
                  }
                >
                  <Form method="post" aria-labelledby="approve-h">
                    <AuthenticityTokenInput />
                    <button type="submit" name="intent" value="approve" className="btn primary">
                      Yes, approve the transfer
                    </button>
                  </Form>
                </ConfirmAction>
              </div>
            )}
            <div className="stack">
              <h3 id="reject-h">Reject</h3>
              <p className="muted">Nothing moves; the requester is told the request was declined, and why.</p>
              <ConfirmAction label="Reject transfer" title="Reject this transfer?" open={reject.open} onOpenChange={reject.onOpenChange}>
                <Form method="post" aria-labelledby="reject-h" className="stack">
                  <AuthenticityTokenInput />
                  <div className="field">
                    <label htmlFor="reject-reason">Why (required; the requester reads it)</label>
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
                      Up to 1000 characters. The requester sees it on their ticket page and in the mail saying the request was declined; it is kept in
                      Switchboard's database, never in the workflow history.
                    </div>
                    {reasonError ? (
                      <div id="reject-reason-error" className="field-error">
                        {reasonError}
                      </div>
                    ) : null}
                  </div>
                  <button type="submit" name="intent" value="reject" className="btn danger">
                    Yes, reject the transfer
                  </button>
                </Form>
              </ConfirmAction>
            </div>
          </div>
        </>
      ) : (
        <p className="muted">
          {!ticket.open
            ? "This ticket is closed."
            : ticket.status === "transferring"
              ? "Approved: the transfer is under way."
              : "Approval opens once the new address has confirmed."}
        </p>
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
