/**
 * Console → Search (/console/search?q=…): accounts, tickets and workflows
 * for one term, grouped by kind. Workflows are not listed from Temporal for
 * every term (visibility has no substring search, and a round trip per
 * keystroke is not free): a term in the form the app gives workflow ids
 * (`block-account:<uuid>`) links to that workflow, and an account or ticket
 * found by its id links to its workflows.
 */
import {
  blockWorkflowId,
  contactErasureWorkflowId,
  deleteWorkflowId,
  listMailingWorkflowId,
  rechargeWorkflowId,
  subscriptionSyncWorkflowId,
  transferWorkflowId,
  unblockWorkflowId,
} from "../../workflows/shared.js";
import type { Services } from "../context.server.js";
import { searchAccountsEverywhere, searchTicketsEverywhere } from "../models/console-search.server.js";
import { isUuid } from "../validation/ids.js";
import { isWorkflowId } from "../validation/workflow-ids.js";

export type { AccountHit, TicketHit } from "../models/console-search.server.js";
export { SEARCH_MIN_LENGTH } from "../models/console-search.server.js";

/** `block-account:`, `transfer:`…: read off the functions that make the ids, so the two cannot drift. */
const WORKFLOW_ID_PREFIXES = [
  blockWorkflowId,
  unblockWorkflowId,
  rechargeWorkflowId,
  transferWorkflowId,
  subscriptionSyncWorkflowId,
  listMailingWorkflowId,
  contactErasureWorkflowId,
  deleteWorkflowId,
].map((id) => id(""));

export interface WorkflowHit {
  label: string;
  href: string;
}

const workflowHref = (workflowId: string) => `/console/workflows/${encodeURIComponent(workflowId)}`;

/** The workflow id the term is, when it has the form of one of ours; and the id inside it. */
function asWorkflowId(term: string): { workflowId: string; inner: string } | null {
  if (!isWorkflowId(term)) return null;
  const prefix = WORKFLOW_ID_PREFIXES.find((p) => term.startsWith(p) && term.length > p.length);
  return prefix ? { workflowId: term, inner: term.slice(prefix.length) } : null;
}

/** `term` is validated by the route: trimmed, storable text, SEARCH_MIN_LENGTH to 200 characters. */
export async function loadConsoleSearchPage(services: Pick<Services, "db">, term: string) {
  const workflow = asWorkflowId(term);
  // `transfer:<ticket id>` finds the ticket too: the id inside is what the rest is searched by.
  const lookFor = workflow && isUuid(workflow.inner) ? workflow.inner.toLowerCase() : term;
  const [accounts, tickets] = await Promise.all([searchAccountsEverywhere(services.db, lookFor), searchTicketsEverywhere(services.db, lookFor)]);

  const workflows: WorkflowHit[] = [];
  if (workflow) workflows.push({ label: workflow.workflowId, href: workflowHref(workflow.workflowId) });
  for (const a of accounts.hits.filter((h) => h.field === "account id"))
    workflows.push({ label: `Workflows of account ${a.name}`, href: `/console/workflows?${new URLSearchParams({ account: a.id })}` });
  for (const t of tickets.hits.filter((h) => h.field === "ticket id"))
    workflows.push({ label: `Workflows of ticket ${t.id.slice(0, 8)}…`, href: `/console/workflows?${new URLSearchParams({ ticket: t.id })}` });

  return {
    term,
    // The accounts page searches emails (any part) and ids: the same term there lists every match, paged.
    accounts: { ...accounts, listHref: `/console/accounts?${new URLSearchParams({ q: lookFor })}` },
    tickets,
    workflows,
    nothing: accounts.total === 0 && tickets.total === 0 && workflows.length === 0,
  };
}

export type ConsoleSearchPage = Awaited<ReturnType<typeof loadConsoleSearchPage>>;
