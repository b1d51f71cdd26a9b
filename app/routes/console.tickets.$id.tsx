import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import type { Db } from "../../db/connection.js";
import type { TransferDecision } from "../../workflows/shared.js";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { staffCan } from "../permissions.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { getAccount, getAccountMembers } from "../models/accounts.server.js";
import { isUuid } from "../validation/ids.js";
import { listAccountKeys } from "../models/api-keys.server.js";
import { recentAuditFor, writeAudit, type Actor } from "../models/audit.server.js";
import { getBalance } from "../models/ledger.server.js";
import { formatCents } from "../models/money.js";
import {
  addTicketNote,
  getTicket,
  listTicketDecisions,
  listTicketNotes,
  OPEN_STATUSES,
  requesterAddressForStaff,
  setDecisionReason,
} from "../models/tickets.server.js";
import { closeOrphanedTransfer, decideTransfer, NOT_WAITING, transferLiveStatus } from "../services/transfer.server.js";
import { workflowState as transferWorkflowState } from "../temporal/history.server.js";
import { AuditTable } from "../components/audit-table.js";
import { WorkflowList } from "../components/workflow-list.js";
import { listWorkflows } from "../temporal/history.server.js";

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

/** One side of the transfer as support compares them; null fields when there is no such account (yet). */
async function accountSide(db: Db, accountId: string | null, address: string | null) {
  const account = accountId ? await getAccount(db, accountId) : undefined;
  if (!account) return { address, account: null };
  const [members, balance, keys] = await Promise.all([getAccountMembers(db, account.id), getBalance(db, account.id), listAccountKeys(db, account.id)]);
  return {
    address,
    account: {
      id: account.id,
      name: account.name,
      plan: account.plan,
      status: account.status,
      ownerProvider: members.find((m) => m.role === "owner")?.provider ?? null,
      balanceCents: balance?.balance_cents ?? "0",
      activeKeys: keys.length,
    },
  };
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const { db, config } = context.services;
  const id = params.id ?? "";
  const ticket = isUuid(id) ? await getTicket(db, id) : undefined;
  if (!ticket) throw NOT_FOUND();
  const open = OPEN_STATUSES.includes(ticket.status);

  const [oldAddress, decisions, notes, audit, live, workflows] = await Promise.all([
    requesterAddressForStaff(db, ticket.id),
    listTicketDecisions(db, ticket.id),
    listTicketNotes(db, ticket.id),
    recentAuditFor(db, { type: "ticket", id: ticket.id }, 100),
    // Only a running workflow answers without a replay; a closed ticket is read from the database alone.
    open && ticket.workflow_id ? transferLiveStatus(context.services, ticket.workflow_id) : Promise.resolve(null),
    listWorkflows(context.services, { ticket: ticket.id }, 1_500),
  ]);
  const [oldSide, newSide] = await Promise.all([
    accountSide(db, ticket.old_account_id, oldAddress),
    accountSide(db, ticket.new_account_id, ticket.new_address),
  ]);
  // An open ticket whose workflow does not answer may be orphaned: terminated, so nothing will ever close it.
  const workflowState = open && ticket.workflow_id && live === null ? await transferWorkflowState(context.services, ticket.workflow_id) : null;
  const orphanedBy = workflowState && workflowState !== "running" ? workflowState.toLowerCase().replace(/_/g, " ") : null;

  const now = Date.now();
  const confirmation = ticket.confirmed_at
    ? ({ state: "confirmed", at: ticket.confirmed_at } as const)
    : ticket.confirm_expires_at && (ticket.status === "expired" || ticket.confirm_expires_at.getTime() <= now)
      ? ({ state: "expired", at: ticket.confirm_expires_at } as const)
      : ticket.confirm_expires_at && ticket.status === "awaiting_confirmation"
        ? ({ state: "waiting", at: ticket.confirm_expires_at } as const)
        : ({ state: ticket.status === "open" ? "not_yet" : "not_asked", at: null } as const);

  // Without the workflow's answer, the database still knows the approvals; the number needed is
  // worked out as the workflow does, but from the old balance as it is now, not at verification.
  const approvalsInDb = decisions.filter((d) => d.decision === "approve").length;
  const neededFromDb = oldSide.account && BigInt(oldSide.account.balanceCents) > BigInt(config.transfer.secondApproverAboveCents) ? 2 : 1;
  const awaitingApproval = live ? live.step === "awaiting_approval" : ticket.status === "awaiting_approval";

  return {
    workflows: workflows.ok ? workflows.rows : null,
    ticket: {
      id: ticket.id,
      kind: ticket.kind,
      status: ticket.status,
      step: live?.step ?? ticket.step,
      source: ticket.source,
      senderVerdict: ticket.sender_verdict,
      checks: ticket.checks,
      failureReason: ticket.failure_reason,
      transferredCents: ticket.transferred_cents,
      workflowId: ticket.workflow_id,
      createdAt: ticket.created_at,
      closedAt: ticket.closed_at,
      open,
    },
    oldSide,
    newSide,
    confirmation,
    approvals: {
      count: live?.approvals ?? approvalsInDb,
      needed: live?.approvalsNeeded ?? neededFromDb,
      fromWorkflow: live !== null,
    },
    workflowSilent: open && ticket.workflow_id !== null && live === null && orphanedBy === null,
    /** The way the workflow ended ("terminated", …) when it left this ticket open; staff close it by hand. */
    orphanedBy,
    decisions,
    notes,
    audit,
    canAct: staffCan(p.staff.role, "decide_transfers"),
    awaitingApproval,
    /** A second click would only be refused by the workflow: the button is not offered again. */
    iApproved: decisions.some((x) => x.staff_id === p.staff.id && x.decision === "approve"),
    // Without JavaScript a meta refresh follows the steps the workflow takes on its own; while it waits
    // for a person it would wipe a half-typed reason, so the page then stays put.
    refreshWithoutJs: ticket.status === "open" || ticket.status === "transferring",
    temporalUi: config.temporal.uiUrl ?? null,
    namespace: config.temporal.namespace,
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Ticket ${data?.ticket.id.slice(0, 8) ?? ""} · Console` }];

const Action = z.discriminatedUnion(
  "intent",
  [
    z.object({ intent: z.literal("approve") }),
    z.object({
      intent: z.literal("reject"),
      reason: z.string().trim().min(1, "Say why the ticket is rejected, for the record.").max(1000, "Keep the reason to 1000 characters."),
    }),
    z.object({
      intent: z.literal("close_orphan"),
      reason: z.string().trim().min(1, "Say why the ticket is closed by hand, for the record.").max(1000, "Keep the reason to 1000 characters."),
    }),
    z.object({
      intent: z.literal("note"),
      body: z.string().trim().min(1, "Write the note first.").max(2000, "Keep the note to 2000 characters."),
    }),
  ],
  { errorMap: () => ({ message: "Choose Approve, Reject or Add note." }) },
);

type Field = "reason" | "body";
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

const STEP_UP: readonly StepUpAction[] = [{ intent: "approve", label: "Approve transfer", fields: [], anchor: "approve-h" }];

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "decide_transfers");
  const { db } = context.services;
  const id = params.id ?? "";
  const ticket = isUuid(id) ? await getTicket(db, id) : undefined;
  if (!ticket) throw NOT_FOUND();

  const raw = { reason: String(form.get("reason") ?? ""), body: String(form.get("body") ?? "") };
  const intent = form.get("intent");
  const formOf = intent === "note" ? "note" : "decision";
  const answer = (o: Partial<TicketOutcome>, status: number) =>
    data({ form: formOf, error: null, notice: null, fieldErrors: {}, values: {}, noteKey: null, ...o } satisfies TicketOutcome, { status });

  const parsed = Action.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    const message = issue?.message ?? "The form was incomplete.";
    if (field === "reason" || field === "body") {
      return answer({ error: "Nothing was changed. Fix the field marked below.", fieldErrors: { [field]: message }, values: raw }, 400);
    }
    return answer({ error: message, values: raw }, 400);
  }
  const input = parsed.data;
  // Approving moves the old account's credits: it needs a recent sign-in (app/auth/step-up.server.ts).
  await requireRecentStaffSignIn(request, context, p, form, STEP_UP);
  const actor: Actor = { type: "staff", id: p.staff.id, ip: context.ip };

  if (input.intent === "note") {
    await db.transaction().execute((trx) => addTicketNote(trx, ticket.id, p.staff.id, input.body, actor));
    return answer({ notice: "Note added.", noteKey: crypto.randomUUID() }, 200);
  }

  if (input.intent === "close_orphan") {
    if (!ticket.workflow_id) return answer({ error: "This ticket has no workflow; it is closed by its own steps.", values: raw }, 409);
    const closed = await closeOrphanedTransfer(
      context.services,
      { ticketId: ticket.id, workflowId: ticket.workflow_id, staffId: p.staff.id, reason: input.reason },
      actor,
    );
    if (!closed.ok) return answer({ error: closed.message, values: raw }, 409);
    return answer(
      {
        notice:
          closed.status === "completed"
            ? "Closed as completed: the migration had committed before the workflow stopped."
            : "Closed as cancelled. Nothing was moved; an old account blocked by this transfer was unblocked.",
      },
      200,
    );
  }

  // A closed ticket's workflow is finished (or about to be): no need to ask Temporal.
  if (!ticket.workflow_id || !OPEN_STATUSES.includes(ticket.status)) return answer({ error: NOT_WAITING, values: raw }, 409);
  const decision: TransferDecision = { staffId: p.staff.id, role: p.staff.role };
  const result = await decideTransfer(context.services, ticket.workflow_id, input.intent, decision);
  if (!result.ok) return answer({ error: result.message, values: raw }, 409);

  if (input.intent === "reject") {
    // The workflow recorded the decision itself (an id and a verdict); the words stay in the database only.
    await db.transaction().execute(async (trx) => {
      await setDecisionReason(trx, ticket.id, p.staff.id, input.reason);
      await writeAudit(trx, actor, {
        action: "ticket.rejection_reason_recorded",
        targetType: "ticket",
        targetId: ticket.id,
        details: { staff_id: p.staff.id, length: input.reason.length },
      });
    });
    return answer({ notice: "Rejected. The requester is told that the request was declined." }, 200);
  }
  const { approvals, approvalsNeeded } = result.status;
  return answer(
    {
      notice:
        approvals >= approvalsNeeded
          ? "Approved. The transfer is under way: the old account is blocked and its balance moved."
          : `Approved (${approvals} of ${approvalsNeeded}). Another support or admin member must approve too.`,
    },
    200,
  );
}

const label = (s: string) => s.replace(/_/g, " ");

function AccountCard({ title, side }: { title: string; side: Awaited<ReturnType<typeof accountSide>> }) {
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

export default function TicketPage() {
  const d = useLoaderData<typeof loader>();
  const { ticket, confirmation, approvals } = d;
  const result = useActionData<typeof action>();
  const decisionOutcome = result?.form === "decision" ? result : null;
  const noteOutcome = result?.form === "note" ? result : null;
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!ticket.open) return;
    const t = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 2000);
    return () => clearInterval(t);
  }, [ticket.open, revalidator]);
  const reasonError = decisionOutcome?.fieldErrors.reason;
  const bodyError = noteOutcome?.fieldErrors.body;

  return (
    <main className="page">
      {/* Without JavaScript the page still follows an open ticket; with it, the revalidator does. */}
      {d.refreshWithoutJs ? (
        <noscript>
          <meta httpEquiv="refresh" content="3" />
        </noscript>
      ) : null}
      <p>
        <Link to="/console/tickets">← Tickets</Link>
      </p>
      <h1>
        Ticket <span className="mono">{ticket.id.slice(0, 8)}</span> <Badge value={ticket.status} />
      </h1>
      <p className="muted">
        {label(ticket.kind)} · from {ticket.source === "web" ? "the web (Settings → Email)" : "an email"} · opened <When at={ticket.createdAt} />
        {ticket.closedAt ? (
          <>
            {" "}
            · closed <When at={ticket.closedAt} />
          </>
        ) : null}
      </p>

      <section className="card" aria-labelledby="progress-h">
        <h2 id="progress-h">Progress</h2>
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
              <Form method="post" className="stack">
                <AuthenticityTokenInput />
                <label htmlFor="orphan-reason">Why it is closed by hand</label>
                <textarea id="orphan-reason" name="reason" rows={2} required maxLength={1000} />
                <button type="submit" name="intent" value="close_orphan" className="btn">
                  Close ticket by hand
                </button>
              </Form>
            ) : null}
          </>
        ) : null}
      </section>

      <div className="grid">
        <AccountCard title="old" side={d.oldSide} />
        <AccountCard title="new" side={d.newSide} />
      </div>

      <section className="card" aria-labelledby="checks-h">
        <h2 id="checks-h">Verification</h2>
        <dl className="facts">
          <dt>Source</dt>
          <dd>{ticket.source === "web" ? "web (signed-in request)" : "email"}</dd>
          {ticket.source === "email" ? (
            <>
              <dt>SPF/DKIM</dt>
              <dd>
                {ticket.senderVerdict ? <span className={`badge ${ticket.senderVerdict === "pass" ? "ok" : "failed"}`}>{ticket.senderVerdict}</span> : "—"}
              </dd>
            </>
          ) : null}
        </dl>
        {ticket.checks.length === 0 ? (
          <EmptyState>Not verified yet.</EmptyState>
        ) : (
          <div className="table-wrap" style={{ marginTop: "1rem" }}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {ticket.checks.map((c) => (
                  <tr key={c.code}>
                    <td>{checkLabel(c.code)}</td>
                    <td>
                      <span className={`badge ${c.passed ? "ok" : "failed"}`}>{c.passed ? "pass" : "fail"}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

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

      <section className="card" aria-labelledby="workflows-h">
        <h2 id="workflows-h">Workflows</h2>
        {d.workflows ? (
          <WorkflowList rows={d.workflows} empty="No workflow has run for this ticket." />
        ) : (
          <p className="muted">Temporal did not answer; the workflows are in the Workflows page once it does.</p>
        )}
      </section>

      <section className="card" aria-labelledby="audit-h">
        <h2 id="audit-h">Audit trail</h2>
        <AuditTable rows={d.audit} empty="No audit rows for this ticket." />
      </section>
    </main>
  );
}
