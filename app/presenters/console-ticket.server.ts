/**
 * The console's ticket page (/console/tickets/:id): the ticket, both accounts
 * side by side, the workflow's live view while it answers (else what the
 * database recorded), decisions, notes, audit rows and the ticket's workflows.
 */
import type { StaffRole } from "../../db/schema.js";
import { approvalsNeededFor, transferStatusQuery, type TransferStatus } from "../../workflows/shared.js";
import type { Services } from "../context.server.js";
import { getAccount, getAccountMembers } from "../models/accounts.server.js";
import { listAccountKeys } from "../models/api-keys.server.js";
import { withAuditPeople } from "../models/audit-search.server.js";
import { recentAuditFor } from "../models/audit.server.js";
import { getBalance } from "../models/ledger.server.js";
import { getTicket, listTicketDecisions, listTicketNotes, OPEN_STATUSES, requesterAddressForStaff, ticketClaim } from "../models/tickets.server.js";
import { staffCan } from "../permissions.js";
import { listWorkflows, workflowState } from "../temporal/history.server.js";
import { isUuid } from "../validation/ids.js";

/** A page render must not hang on Temporal: past this, the page shows what the database recorded. */
const QUERY_TIMEOUT_MS = 1_500;

/** The workflow's own view (step, approvals); null when it does not answer in time, or is gone. */
async function transferLiveStatus(services: Pick<Services, "temporal">, workflowId: string): Promise<TransferStatus | null> {
  const { temporal } = services;
  try {
    // The deadline ends the gRPC call itself: a query with no worker polling would otherwise wait for the server's own timeout.
    return await temporal.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => temporal.workflow.getHandle(workflowId).query(transferStatusQuery));
  } catch {
    return null;
  }
}

/** One side of the transfer as support compares them; null fields when there is no such account (yet). */
async function accountSide(db: Services["db"], accountId: string | null, address: string | null) {
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
      // The keys that work now: listAccountKeys also lists expired keys and keys revoked as leaked (the keys page shows them).
      activeKeys: keys.filter((k) => k.status === "active" && (k.expires_at === null || k.expires_at > new Date())).length,
    },
  };
}

export type AccountSide = Awaited<ReturnType<typeof accountSide>>;
export type ConsoleTicketPage = NonNullable<Awaited<ReturnType<typeof loadConsoleTicketPage>>>;

/** The ticket's id as stored, before an action asks for anything else; null when there is no such ticket (a malformed id is none). */
export async function findConsoleTicketId(services: Pick<Services, "db">, ticketId: string): Promise<string | null> {
  return (isUuid(ticketId) ? await getTicket(services.db, ticketId) : undefined)?.id ?? null;
}

/** The page for one ticket as this staff member sees it, or null when there is no such ticket. */
export async function loadConsoleTicketPage(
  services: Pick<Services, "db" | "temporal" | "config">,
  input: { ticketId: string; staff: { id: string; role: StaffRole } },
) {
  const { db, config } = services;
  const ticket = isUuid(input.ticketId) ? await getTicket(db, input.ticketId) : undefined;
  if (!ticket) return null;
  const open = OPEN_STATUSES.includes(ticket.status);

  const [oldAddress, decisions, notes, audit, live, workflows, claim] = await Promise.all([
    requesterAddressForStaff(db, ticket.id),
    listTicketDecisions(db, ticket.id),
    listTicketNotes(db, ticket.id),
    recentAuditFor(db, { type: "ticket", id: ticket.id }, 100).then((rows) => withAuditPeople(db, rows)),
    // Only a running workflow answers without a replay; a closed ticket is read from the database alone.
    open && ticket.workflow_id ? transferLiveStatus(services, ticket.workflow_id) : Promise.resolve(null),
    listWorkflows(services, { ticket: ticket.id }, 1_500),
    ticketClaim(db, ticket.id),
  ]);
  const [oldSide, newSide] = await Promise.all([
    accountSide(db, ticket.old_account_id, oldAddress),
    accountSide(db, ticket.new_account_id, ticket.new_address),
  ]);
  // An open ticket whose workflow does not answer may be orphaned: terminated, so nothing will ever close it.
  const state = open && ticket.workflow_id && live === null ? await workflowState(services, ticket.workflow_id) : null;
  const orphanedBy = state && state !== "running" ? state.toLowerCase().replace(/_/g, " ") : null;

  const now = Date.now();
  const confirmation = ticket.confirmed_at
    ? ({ state: "confirmed", at: ticket.confirmed_at } as const)
    : ticket.confirm_expires_at && (ticket.status === "expired" || ticket.confirm_expires_at.getTime() <= now)
      ? ({ state: "expired", at: ticket.confirm_expires_at } as const)
      : ticket.confirm_expires_at && ticket.status === "awaiting_confirmation"
        ? ({ state: "waiting", at: ticket.confirm_expires_at } as const)
        : ({ state: ticket.status === "open" ? "not_yet" : "not_asked", at: null } as const);

  // Without the workflow's answer, the database still knows the approvals; the number needed follows the
  // workflow's own rule, but from the old balance as it is now, not at verification.
  const approvalsInDb = decisions.filter((d) => d.decision === "approve").length;
  const neededFromDb = oldSide.account ? approvalsNeededFor(oldSide.account.balanceCents, config.transfer.secondApproverAboveCents) : 1;
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
    /** Who works the ticket; `mine` when it is the staff member looking. */
    claim: claim?.claimed_by
      ? { staffId: claim.claimed_by, email: claim.claimed_by_email, at: claim.claimed_at, mine: claim.claimed_by === input.staff.id }
      : null,
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
    canAct: staffCan(input.staff.role, "decide_transfers"),
    awaitingApproval,
    /** A second click would only be refused by the workflow: the button is not offered again. */
    iApproved: decisions.some((x) => x.staff_id === input.staff.id && x.decision === "approve"),
    // Without JavaScript a meta refresh follows the steps the workflow takes on its own; while it waits
    // for a person it would wipe a half-typed reason, so the page then stays put.
    refreshWithoutJs: ticket.status === "open" || ticket.status === "transferring",
    temporalUi: config.temporal.uiUrl ?? null,
    namespace: config.temporal.namespace,
  };
}
