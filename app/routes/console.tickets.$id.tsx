import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import { AuditTable } from "../components/audit-table.js";
import { fieldErrorsOf } from "../components/forms.js";
import { AccountCard, label, ProgressCard, VerificationCard } from "../components/tickets/console-ticket-facts.js";
import { ClaimCard, DecisionCard, NotesCard, type TicketOutcome } from "../components/tickets/console-ticket-forms.js";
import { Badge, When } from "../components/ui.js";
import { WorkflowList } from "../components/workflow-list.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import type { Actor } from "../models/audit.server.js";
import { pageTitle } from "../page-title.js";
import { findConsoleTicketId, loadConsoleTicketPage } from "../presenters/console-ticket.server.js";
import { claimTicket, releaseTicket, takeOverTicket } from "../services/ticket-claims.server.js";
import { addStaffNote, closeTransferByHand, decideTransferTicket } from "../services/transfer.server.js";
import { isUuid } from "../validation/ids.js";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const page = await loadConsoleTicketPage(context.services, { ticketId: params.id ?? "", staff: p.staff });
  if (!page) throw NOT_FOUND();
  return page;
}

export const meta: MetaFunction<typeof loader> = ({ data }) => pageTitle(data ? `Ticket ${data.ticket.id.slice(0, 8)}…` : "Ticket not found", "Console");

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
    z.object({ intent: z.literal("claim") }),
    z.object({ intent: z.literal("release") }),
    // The claimant the person saw when confirming the take-over.
    z.object({ intent: z.literal("take_over"), from: z.string().refine(isUuid, "Reload the page: the ticket's claim is not what the form expected.") }),
    z.object({
      intent: z.literal("note"),
      body: z.string().trim().min(1, "Write the note first.").max(2000, "Keep the note to 2000 characters."),
    }),
  ],
  { errorMap: () => ({ message: "Choose Claim, Approve, Reject or Add note." }) },
);

const FIELDS = ["reason", "body"] as const;

const STEP_UP: readonly StepUpAction[] = [{ intent: "approve", label: "Approve transfer", fields: [], anchor: "approve-h" }];

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "decide_transfers");
  const ticketId = await findConsoleTicketId(context.services, params.id ?? "");
  if (!ticketId) throw NOT_FOUND();

  const raw = { reason: String(form.get("reason") ?? ""), body: String(form.get("body") ?? "") };
  const intent = String(form.get("intent") ?? "");
  const formOf: TicketOutcome["form"] =
    intent === "note"
      ? "note"
      : intent === "close_orphan"
        ? "close"
        : intent === "claim" || intent === "release" || intent === "take_over"
          ? "claim"
          : "decision";
  const answer = (o: Partial<TicketOutcome>, status: number) =>
    data({ form: formOf, intent, error: null, notice: null, fieldErrors: {}, values: {}, noteKey: null, ...o } satisfies TicketOutcome, { status });

  const parsed = Action.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const { fieldErrors, formError } = fieldErrorsOf(parsed.error, FIELDS);
    if (Object.keys(fieldErrors).length > 0) return answer({ error: "Nothing was changed. Fix the field marked below.", fieldErrors, values: raw }, 400);
    return answer({ error: formError ?? "The form was incomplete.", values: raw }, 400);
  }
  const input = parsed.data;
  // Approving moves the old account's credits: it needs a recent sign-in (app/auth/step-up.server.ts).
  await requireRecentStaffSignIn(request, context, p, form, STEP_UP);
  const actor: Actor = { type: "staff", id: p.staff.id, ip: context.ip };

  if (input.intent === "claim" || input.intent === "release" || input.intent === "take_over") {
    const who = { ticketId, staffId: p.staff.id };
    const claimed =
      input.intent === "claim"
        ? await claimTicket(context.services, who, actor)
        : input.intent === "release"
          ? await releaseTicket(context.services, who, actor)
          : await takeOverTicket(context.services, { ...who, fromStaffId: input.from }, actor);
    return claimed.ok ? answer({ notice: claimed.message }, 200) : answer({ error: claimed.message }, 409);
  }

  if (input.intent === "note") {
    await addStaffNote(context.services, { ticketId, staffId: p.staff.id, body: input.body }, actor);
    return answer({ notice: "Note added.", noteKey: crypto.randomUUID() }, 200);
  }

  if (input.intent === "close_orphan") {
    const closed = await closeTransferByHand(context.services, { ticketId, staffId: p.staff.id, reason: input.reason }, actor);
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

  const result = await decideTransferTicket(context.services, { ticketId, staff: { staffId: p.staff.id, role: p.staff.role }, ...input }, actor);
  if (!result.ok) return answer({ error: result.message, values: raw }, 409);
  if (result.intent === "reject") return answer({ notice: "Rejected. The requester is told that the request was declined." }, 200);
  const { approvals, approvalsNeeded } = result;
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

export default function TicketPage() {
  const d = useLoaderData<typeof loader>();
  const { ticket } = d;
  const result = useActionData<typeof action>();
  // An open ticket follows its workflow's steps (and who has it); a closed one no longer changes.
  useAutoRefresh(2000, ticket.open);

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

      <ClaimCard page={d} outcome={result?.form === "claim" ? result : null} />
      <ProgressCard page={d} closeOutcome={result?.form === "close" ? result : null} />

      <div className="grid">
        <AccountCard title="old" side={d.oldSide} />
        <AccountCard title="new" side={d.newSide} />
      </div>

      <VerificationCard ticket={ticket} />
      <DecisionCard page={d} outcome={result?.form === "decision" ? result : null} />
      <NotesCard page={d} outcome={result?.form === "note" ? result : null} />

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
