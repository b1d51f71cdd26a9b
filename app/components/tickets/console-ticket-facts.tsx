/**
 * The facts half of the console's ticket page: progress (with closing an
 * orphaned ticket by hand), the two accounts side by side, and the verification.
 */
import { Form, Link } from "@remix-run/react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { ConfirmAction } from "../confirm-dialog.js";
import { DataTable, type Column } from "../table.js";
import { useConfirmOpen } from "../../hooks/use-confirm-open.js";
import type { TicketOutcome } from "./console-ticket-forms.js";
import type { AccountSide, ConsoleTicketPage } from "../../presenters/console-ticket.server.js";
import { formatCents } from "../../models/money.js";
import { Alert, Badge, EmptyState, When } from "../ui.js";

/** What each verification code means, in words a support person reads aloud. */
const CHECK_LABELS: Record<string, string> = {
  requester_signed_in_as_old_owner: "The request was made while signed in as the owner of the old account",
  sender_authenticated_as_old_owner: "The mail passed SPF/DKIM and came from the address of the old account's owner",
  old_account_active: "The old account is active",
  no_other_open_transfer: "No other transfer of the old account is open",
  new_account_exists: "An account owned by the new address exists",
  new_account_is_not_old: "The new account is a different account from the old one",
  new_account_active: "The new account is active",
  new_account_not_being_deleted: "The new account is not being deleted",
  combined_balance_within_credit_limit: "The combined balance stays within the new account's credit limit",
};
const checkLabel = (code: string) => CHECK_LABELS[code] ?? code.replace(/_/g, " ");

export const label = (s: string) => s.replace(/_/g, " ");

/** `closeOutcome`: the answer to closing by hand, when it was refused (it shows inside the confirmation, opened again). */
export function ProgressCard({ page: d, closeOutcome }: { page: ConsoleTicketPage; closeOutcome: TicketOutcome | null }) {
  const { ticket, confirmation, approvals } = d;
  const closeOpen = useConfirmOpen(closeOutcome?.error ? closeOutcome : null);
  return (
    <section className="card" aria-labelledby="progress-h">
      <h2 id="progress-h">Progress</h2>
      {closeOutcome?.notice ? <Alert kind="ok" lines={[closeOutcome.notice]} /> : null}
      <dl className="facts" aria-live="polite">
        <dt>Current step</dt>
        <dd>
          <strong>{label(ticket.step)}</strong>
        </dd>
        <dt>Confirmation by the new address</dt>
        <dd>
          {confirmation.state === "confirmed" ? (
            <>
              Confirmed <When at={confirmation.at} />
            </>
          ) : confirmation.state === "waiting" ? (
            <>
              Waiting (the link expires <When at={confirmation.at} />)
            </>
          ) : confirmation.state === "expired" ? (
            <>
              Expired <When at={confirmation.at} />
            </>
          ) : confirmation.state === "not_yet" ? (
            "Not asked yet: the request is being verified."
          ) : (
            "Not asked."
          )}
        </dd>
        <dt>Approvals</dt>
        <dd>
          {ticket.open ? (
            <>
              {approvals.count} of {approvals.needed} needed
              {approvals.needed > 1 ? <span className="muted"> (the balance is above the second-approver threshold)</span> : null}
              {approvals.fromWorkflow ? null : <span className="muted"> (worked out from the database)</span>}
            </>
          ) : (
            approvals.count
          )}
        </dd>
        {ticket.transferredCents !== null ? (
          <>
            <dt>Moved</dt>
            <dd>{formatCents(ticket.transferredCents)}</dd>
          </>
        ) : null}
        {ticket.failureReason ? (
          <>
            <dt>Why it stopped</dt>
            <dd>{ticket.failureReason.split(",").map(checkLabel).join("; ")}</dd>
          </>
        ) : null}
        <dt>Workflow</dt>
        <dd>
          {ticket.workflowId ? (
            <>
              <code>{ticket.workflowId}</code>
              {d.temporalUi ? (
                <>
                  {" "}
                  · <a href={`${d.temporalUi}/namespaces/${d.namespace}/workflows/${encodeURIComponent(ticket.workflowId)}`}>open in Temporal Web UI</a>
                </>
              ) : null}
            </>
          ) : (
            <span className="muted">not started</span>
          )}
        </dd>
      </dl>
      {d.workflowSilent ? <p className="muted">The workflow did not answer just now; this shows what the database last recorded.</p> : null}
      {d.orphanedBy ? (
        <>
          <Alert
            kind="error"
            lines={[
              `Orphaned: its workflow was ${d.orphanedBy} without closing this ticket, so nothing will move it on.`,
              "Close it by hand: it is marked completed if the credits had moved, else cancelled (nothing moved; an old account blocked by this transfer is unblocked). The requester is told.",
            ]}
          />
          {d.canAct ? (
            <ConfirmAction
              label="Close ticket by hand"
              title="Close this ticket by hand?"
              open={closeOpen.open}
              onOpenChange={closeOpen.onOpenChange}
              description={<p>It is marked completed if the credits had moved, else cancelled; the requester is told. It cannot be reopened.</p>}
            >
              <Form method="post" className="stack">
                <AuthenticityTokenInput />
                <label htmlFor="orphan-reason">Why it is closed by hand</label>
                <textarea id="orphan-reason" name="reason" rows={2} required maxLength={1000} defaultValue={closeOutcome?.values.reason ?? ""} />
                {closeOutcome?.error ? <Alert kind="error" lines={[closeOutcome.error]} /> : null}
                <button type="submit" name="intent" value="close_orphan" className="btn danger">
                  Yes, close it
                </button>
              </Form>
            </ConfirmAction>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

export function AccountCard({ title, side }: { title: string; side: AccountSide }) {
  const a = side.account;
  return (
    <section className="card" aria-labelledby={`${title}-h`}>
      <h2 id={`${title}-h`}>{title === "old" ? "Old account" : "New account"}</h2>
      <dl className="facts">
        <dt>Address</dt>
        <dd>{side.address ?? <span className="muted">(none or erased)</span>}</dd>
        {a ? (
          <>
            <dt>Account</dt>
            <dd>
              <Link to={`/console/accounts/${a.id}`}>{a.name}</Link>
              <div className="muted mono">{a.id}</div>
            </dd>
            <dt>Owner signs in with</dt>
            <dd>{a.ownerProvider ?? "—"}</dd>
            <dt>Plan</dt>
            <dd>{label(a.plan)}</dd>
            <dt>Status</dt>
            <dd>
              <Badge value={a.status} />
            </dd>
            <dt>Balance</dt>
            <dd>{formatCents(a.balanceCents)}</dd>
            <dt>Active API keys</dt>
            <dd>{a.activeKeys}</dd>
          </>
        ) : (
          <>
            <dt>Account</dt>
            <dd className="muted">{title === "old" ? "No account belongs to this address." : "Not found yet (verification looks it up)."}</dd>
          </>
        )}
      </dl>
    </section>
  );
}

const CHECK_COLUMNS: readonly Column<ConsoleTicketPage["ticket"]["checks"][number]>[] = [
  { header: "Check", cell: (c) => checkLabel(c.code) },
  { header: "Result", cell: (c) => <span className={`badge ${c.passed ? "ok" : "failed"}`}>{c.passed ? "pass" : "fail"}</span> },
];

export function VerificationCard({ ticket }: { ticket: ConsoleTicketPage["ticket"] }) {
  return (
    <section className="card" aria-labelledby="checks-h">
      <h2 id="checks-h">Verification</h2>
      <dl className="facts">
        <dt>Source</dt>
        <dd>{ticket.source === "web" ? "web (signed-in request)" : "email"}</dd>
        {ticket.source === "email" ? (
          <>
            <dt>SPF/DKIM</dt>
            <dd>{ticket.senderVerdict ? <span className={`badge ${ticket.senderVerdict === "pass" ? "ok" : "failed"}`}>{ticket.senderVerdict}</span> : "—"}</dd>
          </>
        ) : null}
      </dl>
      {ticket.checks.length === 0 ? (
        <EmptyState>Not verified yet.</EmptyState>
      ) : (
        <div style={{ marginTop: "1rem" }}>
          <DataTable caption="Verification checks" columns={CHECK_COLUMNS} rows={ticket.checks} rowKey={(c) => c.code} empty="Not verified yet." />
        </div>
      )}
    </section>
  );
}
