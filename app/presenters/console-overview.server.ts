/** Console → Dashboard: what an on-call person looks at first, from the database and Temporal's visibility. */
import type { Services } from "../context.server.js";
import { countActiveLegacyKeys, LEAKED_SHOWN_DAYS } from "../models/api-keys.server.js";
import {
  countLeakedKeysRevoked,
  getConsoleOverview,
  getDailyCompletions,
  getDeletionOverview,
  getFlaggedAccounts,
  getMedianCompletionMinutes,
  getTicketOverview,
} from "../models/console-overview.server.js";
import { countWorkflows } from "../temporal/counts.server.js";

/** Tickets still waiting on a person (the requester's confirmation or staff's approval), not on a workflow. */
const WAITING_ON_PEOPLE = ["awaiting_confirmation", "awaiting_approval"];

export async function loadOverviewPage(services: Pick<Services, "db" | "temporal">) {
  const { db } = services;
  const [overview, tickets, daily, medianMinutes, deletions, workflows, flagged, legacyKeys, leakedKeys] = await Promise.all([
    getConsoleOverview(db),
    getTicketOverview(db),
    getDailyCompletions(db),
    getMedianCompletionMinutes(db),
    getDeletionOverview(db),
    countWorkflows(services),
    getFlaggedAccounts(db),
    countActiveLegacyKeys(db),
    countLeakedKeysRevoked(db, LEAKED_SHOWN_DAYS),
  ]);
  // The link to "failed in the last 24 h" carries the same window the count used.
  const dayAgo = new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 16);
  const leakedSince = new Date(Date.now() - LEAKED_SHOWN_DAYS * 86_400_000).toISOString().slice(0, 16);
  return {
    ...overview,
    tickets,
    openTickets: Object.values(tickets.openByStatus).reduce((a, b) => a + b, 0),
    waitingOnPeople: WAITING_ON_PEOPLE.reduce((n, s) => n + (tickets.openByStatus[s] ?? 0), 0),
    daily,
    medianMinutes,
    deletions,
    workflows,
    dayAgo,
    flagged,
    keySafety: {
      /** Live keys from before checksums: while any remains, /v1 looks up keys with a wrong checksum (issue 16). */
      legacy: legacyKeys,
      leaked: {
        days: LEAKED_SHOWN_DAYS,
        count: leakedKeys,
        // Each revocation is an audit row naming the account, the key and where it was found.
        href: `/console/audit?${new URLSearchParams({ action: "api_key.revoked_leaked", from: leakedSince })}`,
      },
    },
  };
}
