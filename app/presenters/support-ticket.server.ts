/**
 * The requester's page of their email-transfer ticket (/support/tickets/:id):
 * where it stands, what was checked, and how it ended, in their words. Read
 * from the ticket row, not from Temporal, so it works whether or not a worker runs.
 */
import type { TicketCheck, TicketStatus } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { getAccountStatus } from "../models/accounts.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { formatCents } from "../models/money.js";
import { listTicketDecisions, OPEN_STATUSES, transferTicketOfRequester, WAITING_STATUSES } from "../models/tickets.server.js";
import { transferFailureReason } from "../models/transfer-failures.js";

/** Every check code the verification records, in plain English: what it means when it passed, and when it did not. */
const CHECK_WORDS: Record<string, { passed: string; failed: string }> = {
  requester_signed_in_as_old_owner: {
    passed: "You asked while signed in as the owner of the account being moved.",
    failed: "The request was not made by the owner of the account being moved.",
  },
  sender_authenticated_as_old_owner: {
    passed: "The request mail came from the owner's address and passed the sender checks (SPF and DKIM).",
    failed:
      "We could not prove the request mail came from the account owner: it was sent from another address, or it failed the sender checks (SPF and DKIM) that show a mail really comes from its address.",
  },
  old_account_active: {
    passed: "The account being moved is active.",
    failed: "The account being moved is not active (it is blocked, being deleted, or was already moved).",
  },
  no_other_open_transfer: {
    passed: "No other transfer of this account is in progress.",
    failed: "Another transfer of this account is already in progress. Wait for it to finish.",
  },
  new_account_exists: {
    passed: "The new address owns a Switchboard account.",
    failed: "The new address has no Switchboard account. Sign up with the new address first, then ask again.",
  },
  new_account_is_not_old: {
    passed: "The new address belongs to a different account than the one being moved.",
    failed: "The new address belongs to the very account being moved. Choose the address of another account.",
  },
  new_account_active: {
    passed: "The account on the new address is active.",
    failed: "The account on the new address is not active (it is blocked or being deleted).",
  },
  new_account_not_being_deleted: {
    passed: "The account on the new address is not being deleted.",
    failed: "The account on the new address is being deleted or was deleted.",
  },
  combined_balance_within_credit_limit: {
    passed: "Together, the two balances stay within the new account's credit limit.",
    failed: "Together, the two balances would go below the new account's credit limit. Settle the outstanding balance first.",
  },
};

function checkWords(code: string, passed: boolean): string {
  const words = CHECK_WORDS[code];
  if (words) return passed ? words.passed : words.failed;
  // A code added later without words here still says something readable.
  return `${code.replace(/_/g, " ")}: ${passed ? "passed" : "did not pass"}.`;
}

export type StageState = "done" | "current" | "failed" | "todo";
interface Stage {
  key: string;
  label: string;
  state: StageState;
  at: Date | null;
  detail: string | null;
}

interface TicketFacts {
  status: TicketStatus;
  source: "web" | "email";
  checks: TicketCheck[];
  newAddress: string | null;
  createdAt: Date;
  confirmExpiresAt: Date | null;
  confirmedAt: Date | null;
  closedAt: Date | null;
  transferredCents: string | null;
  failureReason: string | null;
  /** The ticket's last step; a failure records where it happened (`failed_while_<step>`). */
  step: string;
  oldAccountBlocked: boolean;
  /** Approvals recorded so far (a large balance needs two). */
  approvals: number;
  /** What support wrote when they declined; the requester is shown it (the console's reject form says so). */
  rejectionReason: string | null;
}

const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

/** Failures recorded while the ticket still waited on people: nothing had been approved. */
const failedBeforeApproval = (t: TicketFacts) => t.status === "failed" && /^failed_while_(verifying|awaiting_)/.test(t.step);

/**
 * The seven steps, from what the ticket row says. `reached` counts the steps
 * done; the next one is where the ticket is now (open) or where it stopped
 * (rejected, expired, failed).
 */
function stagesOf(t: TicketFacts): Stage[] {
  const checked = t.checks.length > 0;
  const verified = checked && t.checks.every((c) => c.passed);
  const confirmed = t.confirmedAt !== null;
  // Only staff approval moves a ticket to transferring; "failed" is only recorded after that (block or move undone).
  const approved = t.status === "transferring" || t.status === "completed" || (t.status === "failed" && verified && confirmed && !failedBeforeApproval(t));
  const moved = t.transferredCents !== null;
  const blocked = moved || (t.status === "transferring" && t.oldAccountBlocked);
  const done = t.status === "completed";
  const flags = [true, verified, confirmed, approved, blocked && t.status !== "failed", moved && t.status !== "failed", done];
  let reached = 0;
  while (reached < flags.length && flags[reached]) reached++;
  const isOpen = (OPEN_STATUSES as readonly string[]).includes(t.status);
  const stateAt = (i: number): StageState => (i < reached ? "done" : i > reached ? "todo" : isOpen ? "current" : "failed");

  const until = t.confirmExpiresAt ? utc(t.confirmExpiresAt) : null;
  const details: Record<StageState, string | null>[] = [
    { done: t.source === "email" ? "By mail from your address." : "From Settings → Email.", current: null, failed: null, todo: null },
    { done: "Every check passed.", current: "Checking the request…", failed: "The request did not pass every check.", todo: null },
    {
      done: null,
      current: `We sent a link to ${t.newAddress ?? "the new address"}. Open it, sign in with that address and confirm${until ? ` before ${until}` : ""}.`,
      failed: `The new address did not confirm${until ? ` before ${until}` : " in time"}.`,
      todo: null,
    },
    {
      done: null,
      current: t.approvals > 0 ? "One approval is in; a second support member must approve too." : "Support is reviewing the request.",
      failed: "Support declined the request.",
      todo: null,
    },
    {
      done: "Its API keys and sessions no longer work.",
      current: "Blocking the old account…",
      failed: "The transfer stopped here and was undone: your old account works as before.",
      todo: null,
    },
    {
      done: `${formatCents(t.transferredCents ?? "0")} of credit, the plan and the settings now belong to the new account.`,
      current: "Moving credits, plan and settings…",
      failed: "Nothing was moved.",
      todo: null,
    },
    { done: "Both addresses were told.", current: "Telling both addresses…", failed: null, todo: null },
  ];
  // Where a waiting ticket was ended, say what ended it (not what that stage's failure usually means).
  const endedWhileWaiting =
    t.status === "withdrawn"
      ? "You withdrew the request here; nothing was moved."
      : t.status === "cancelled"
        ? "Support cancelled the request here; nothing was moved."
        : failedBeforeApproval(t)
          ? `Stopped here: ${transferFailureReason(t.failureReason)}. Nothing was moved.`
          : null;
  const labels = ["Requested", "Verified", "New address confirmed", "Approved by support", "Old account blocked", "Credits moved", "Done"];
  const times: (Date | null)[] = [t.createdAt, null, t.confirmedAt, null, null, null, done ? t.closedAt : null];
  return labels.map((label, i) => {
    const state = stateAt(i);
    const detail = state === "failed" && endedWhileWaiting ? endedWhileWaiting : details[i][state];
    return { key: String(i), label, state, at: state === "done" || state === "failed" ? times[i] : null, detail };
  });
}

const ASK_AGAIN = "You can ask again from Settings → Email.";

/**
 * The box at the top: true in the ticket's state, and saying what happens next.
 * Each open state says who is being waited on and whether it can still be
 * withdrawn; each closed one what changed (nothing, or everything) and what to do now.
 */
function outcomeOf(t: TicketFacts): { kind: "ok" | "error" | "info"; lines: string[] } {
  const failedChecks = t.checks.filter((c) => !c.passed);
  const newAddress = t.newAddress ?? "the new address";
  switch (t.status) {
    case "open":
      return {
        kind: "info",
        lines: [
          "Checking your request: both accounts and the new address. This takes a few seconds.",
          `Next: we mail ${newAddress} a link to confirm. This page updates by itself.`,
        ],
      };
    case "awaiting_confirmation":
      return {
        kind: "info",
        lines: [
          `Waiting for ${newAddress} to confirm. We mailed it a link: open it, sign in with that address and confirm${t.confirmExpiresAt ? ` before ${utc(t.confirmExpiresAt)}` : ""}. Without the confirmation nothing moves.`,
          "Next: support reviews the request. Your account works as before until support approves, and you can withdraw the request until then.",
        ],
      };
    case "awaiting_approval":
      return {
        kind: "info",
        lines: [
          `${newAddress} confirmed. Support is reviewing the request now; nothing has moved yet and your account works as before.`,
          ...(t.approvals > 0 ? ["One member of support approved; because of the balance, a second must approve too."] : []),
          `Next: once approved, this account is blocked and its credits, plan and settings move to the account on ${newAddress}. You can withdraw the request until support decides.`,
        ],
      };
    case "transferring":
      return {
        kind: "info",
        lines: [
          `Approved by support. The move is running: this account ${t.oldAccountBlocked ? "is blocked" : "is being blocked"} and its credits, plan and settings are moving to the account on ${newAddress}. It can no longer be withdrawn.`,
          "Next: both addresses get a mail when it is done, in a minute or two. If a step fails, everything is undone and this account works again. This page updates by itself.",
        ],
      };
    case "completed":
      return {
        kind: "ok",
        lines: [
          `Done. ${formatCents(t.transferredCents ?? "0")} of credit, your plan and settings now belong to the account on ${newAddress}, and the old account is blocked.`,
          "Update your integrations to use the new account's API key, and sign in with the new address from now on.",
        ],
      };
    case "rejected":
      if (failedChecks.length > 0) {
        return {
          kind: "error",
          lines: ["Rejected: we could not verify this request, so nothing changed.", ...failedChecks.map((c) => checkWords(c.code, false)), ASK_AGAIN],
        };
      }
      return {
        kind: "error",
        lines: [
          "Rejected: support declined this request. Nothing was moved and your account works as before.",
          ...(t.rejectionReason ? [`Support's reason: “${t.rejectionReason}”`] : []),
          "Reply to the mail we sent you if you have questions, or ask again from Settings → Email.",
        ],
      };
    case "expired":
      return {
        kind: "error",
        lines: ["Expired: the new address did not confirm in time, so nothing was moved and your account works as before.", ASK_AGAIN],
      };
    case "withdrawn":
      return {
        kind: "info",
        lines: ["Withdrawn: you took this request back, so nothing was moved and the confirmation link no longer works.", ASK_AGAIN],
      };
    case "cancelled":
      return {
        kind: "error",
        lines: ["Cancelled by support: nothing was moved and the confirmation link no longer works.", "Reply to the mail we sent you if you have questions."],
      };
    case "failed":
      if (t.failureReason === "workflow_not_started") {
        return { kind: "error", lines: ["Failed: we could not start processing this request. Nothing changed; ask again from Settings → Email."] };
      }
      return {
        kind: "error",
        lines: [
          `Failed: ${transferFailureReason(t.failureReason)}. Nothing was moved and your old account keeps its balance${t.oldAccountBlocked ? "" : " and works"}.`,
          failedBeforeApproval(t) ? ASK_AGAIN : "Support will be in touch.",
        ],
      };
  }
}

export type SupportTicketPage = NonNullable<Awaited<ReturnType<typeof loadSupportTicketPage>>>;

/** The page for the person who asked; null for anyone else (the page does not admit the ticket exists). */
export async function loadSupportTicketPage(services: Pick<Services, "db">, input: { ticketId: string; userId: string; accountId: string }) {
  const { db } = services;
  const ticket = await transferTicketOfRequester(db, input.ticketId, input.userId);
  if (!ticket) return null;
  const [home, oldAccountStatus, decisions] = await Promise.all([
    getHomeSummary(db, input.userId, input.accountId),
    ticket.old_account_id ? getAccountStatus(db, ticket.old_account_id) : Promise.resolve(null),
    listTicketDecisions(db, ticket.id),
  ]);
  const facts: TicketFacts = {
    status: ticket.status,
    source: ticket.source,
    checks: Array.isArray(ticket.checks) ? ticket.checks : [],
    newAddress: ticket.new_address,
    createdAt: ticket.created_at,
    confirmExpiresAt: ticket.confirm_expires_at,
    confirmedAt: ticket.confirmed_at,
    closedAt: ticket.closed_at,
    transferredCents: ticket.transferred_cents,
    failureReason: ticket.failure_reason,
    step: ticket.step,
    oldAccountBlocked: oldAccountStatus === "blocked",
    approvals: decisions.filter((d) => d.decision === "approve").length,
    // Only the reason reaches the requester, never who decided.
    rejectionReason: ticket.step === "rejected_by_staff" ? (decisions.find((d) => d.decision === "reject")?.reason ?? null) : null,
  };
  return {
    email: home?.user.email ?? null,
    ticket: { id: ticket.id, status: ticket.status, newAddress: ticket.new_address, createdAt: ticket.created_at },
    open: (OPEN_STATUSES as readonly string[]).includes(ticket.status),
    withdrawable: (WAITING_STATUSES as readonly string[]).includes(ticket.status),
    stages: stagesOf(facts),
    checks: facts.checks.map((c) => ({
      code: c.code,
      state: c.passed ? ("passed" as const) : ("failed" as const),
      words: checkWords(c.code, c.passed),
    })),
    outcome: outcomeOf(facts),
  };
}
