/**
 * The console's search from anywhere (/console/search): accounts and tickets
 * found by whatever support has at hand. Every query is LIMITed and none
 * counts all its matches: a term that matches a hundred thousand addresses
 * costs what one that matches a thousand does, and the page says "1,000+".
 * The indexes each query leans on are in db/migrations/2026_12_06_0300_c_console_search.ts.
 */
import { sql } from "kysely";
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, Plan, TicketStatus } from "../../db/schema.js";
import { isUuid } from "../validation/ids.js";

/** Rows shown per kind. */
export const SEARCH_SHOWN = 10;
/** Matches counted per kind; past it the count reads "1,000+". */
export const SEARCH_COUNT_CAP = 1000;
/** Shorter terms match too much to mean anything (and trigram indexes need three characters). */
export const SEARCH_MIN_LENGTH = 3;

const LIMIT = SEARCH_COUNT_CAP + 1;

/** `s` as a LIKE pattern that matches it literally (backslash is LIKE's default escape). */
const literal = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export type AccountMatchField = "account id" | "member id" | "email" | "key" | "account name" | "member name";

export interface AccountHit {
  id: string;
  name: string;
  plan: Plan;
  status: AccountStatus;
  owner_email: string | null;
  /** What the term matched, and the matching value (an address, a key's prefix…last4, a name). */
  field: AccountMatchField;
  value: string;
}

export interface Found<T> {
  hits: T[];
  /** Distinct matches, at most SEARCH_COUNT_CAP. */
  total: number;
  /** There are more than `total`. */
  more: boolean;
}

interface Match {
  id: string;
  field: string;
  value: string;
}

/** The matches of several queries, best first, one per id, counted up to the cap. */
function merge<F extends string>(lists: { rows: Match[]; field?: F }[]): { matches: (Match & { field: F })[]; total: number; more: boolean } {
  const byId = new Map<string, Match & { field: F }>();
  let truncated = false;
  for (const list of lists) {
    if (list.rows.length >= LIMIT) truncated = true;
    for (const r of list.rows) if (!byId.has(r.id)) byId.set(r.id, r as Match & { field: F });
  }
  const matches = [...byId.values()];
  return { matches, total: Math.min(matches.length, SEARCH_COUNT_CAP), more: truncated || matches.length > SEARCH_COUNT_CAP };
}

/** A key as support reads it off a customer's screen: `tgp_v1_AbCd`, `tgp_v1_AbCd…wxyz`, the whole key, or its last four. */
function keyParts(term: string): { prefix?: string; prefixStart?: string; last4?: string } | null {
  const shown = /^(tgp_v1_[A-Za-z0-9_-]{4})(?:…|\.\.\.|[A-Za-z0-9_-]{35})([A-Za-z0-9_-]{4})$/.exec(term);
  if (shown) return { prefix: shown[1], last4: shown[2] };
  if (/^tgp_v1_[A-Za-z0-9_-]{4}$/.test(term)) return { prefix: term };
  // Shorter than a whole prefix: any key that starts so (`tgp_v1_Ab`).
  if (/^tgp_[A-Za-z0-9_-]{0,9}$/.test(term)) return { prefixStart: term };
  if (/^[A-Za-z0-9_-]{4}$/.test(term)) return { last4: term };
  return null;
}

/**
 * Accounts by id, a member's id, a member's email (exact or prefix first,
 * then any part), a key's prefix or last four, the account's or a member's
 * name (any part, any case). `term` is trimmed and at least SEARCH_MIN_LENGTH long.
 */
export async function searchAccountsEverywhere(db: DbOrTrx, term: string): Promise<Found<AccountHit>> {
  const lower = term.toLowerCase();
  const none = Promise.resolve([] as Match[]);
  const membersByEmail = (pattern: string) =>
    db
      .selectFrom("users as u")
      .innerJoin("memberships as m", "m.user_id", "u.id")
      .select(["m.account_id as id", "u.email as value"])
      .where("u.email", "like", pattern)
      .limit(LIMIT)
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, field: "email", value: r.value ?? "" })));

  const key = keyParts(term);
  const [byId, byMemberId, byKey, byEmailStart, byAccountName, byMemberName] = await Promise.all([
    isUuid(lower) ? db.selectFrom("accounts").select("id").where("id", "=", lower).execute() : Promise.resolve([]),
    isUuid(lower) ? db.selectFrom("memberships").select(["account_id as id"]).where("user_id", "=", lower).limit(LIMIT).execute() : Promise.resolve([]),
    key
      ? db
          .selectFrom("api_keys")
          .select(["account_id as id", "prefix", "last4", "status"])
          .$if(key.prefix !== undefined, (qb) => qb.where("prefix", "=", key.prefix!))
          .$if(key.prefixStart !== undefined, (qb) => qb.where("prefix", "like", `${literal(key.prefixStart!)}%`))
          .$if(key.last4 !== undefined, (qb) => qb.where("last4", "=", key.last4!))
          .limit(LIMIT)
          .execute()
          .then((rows) => rows.map((r) => ({ id: r.id, field: "key", value: `${r.prefix}…${r.last4}${r.status === "revoked" ? " (revoked)" : ""}` })))
      : none,
    membersByEmail(`${literal(lower)}%`),
    db
      .selectFrom("accounts")
      .select(["id", "name as value"])
      .where("name", "ilike", `%${literal(term)}%`)
      .limit(LIMIT)
      .execute()
      .then((rows) => rows.map((r) => ({ ...r, field: "account name" }))),
    db
      .selectFrom("users as u")
      .innerJoin("memberships as m", "m.user_id", "u.id")
      .select(["m.account_id as id", "u.name as value"])
      .where("u.name", "ilike", `%${literal(term)}%`)
      .limit(LIMIT)
      .execute()
      .then((rows) => rows.map((r) => ({ id: r.id, field: "member name", value: r.value ?? "" }))),
  ]);
  // Any part of an address only when its start did not already fill the count: `user1` has 100,000
  // addresses starting so, and a trigram search of it is the slowest query here.
  const byEmailPart = byEmailStart.length < LIMIT ? await membersByEmail(`%${literal(lower)}%`) : [];
  const exactEmail = byEmailStart.filter((r) => r.value === lower);

  const { matches, total, more } = merge<AccountMatchField>([
    { rows: byId.map((r) => ({ id: r.id, field: "account id", value: r.id })) },
    { rows: byMemberId.map((r) => ({ id: r.id, field: "member id", value: lower })) },
    { rows: exactEmail },
    { rows: byKey },
    { rows: byEmailStart },
    { rows: byEmailPart },
    { rows: byAccountName },
    { rows: byMemberName },
  ]);
  const shown = matches.slice(0, SEARCH_SHOWN);
  const rows = shown.length
    ? await db
        .selectFrom("accounts")
        .leftJoin("memberships as owner_m", (j) => j.onRef("owner_m.account_id", "=", "accounts.id").on("owner_m.role", "=", "owner"))
        .leftJoin("users as owner", "owner.id", "owner_m.user_id")
        .select(["accounts.id", "accounts.name", "accounts.plan", "accounts.status", "owner.email as owner_email"])
        .where(
          "accounts.id",
          "in",
          shown.map((m) => m.id),
        )
        .execute()
    : [];
  const byAccount = new Map(rows.map((r) => [r.id, r]));
  const hits = shown.flatMap((m) => {
    const a = byAccount.get(m.id);
    return a ? [{ ...a, field: m.field, value: m.value }] : [];
  });
  return { hits, total, more };
}

export type TicketMatchField = "ticket id" | "requester" | "from address" | "new address";

export interface TicketHit {
  id: string;
  status: TicketStatus;
  created_at: Date;
  /** Who asked: the mail's sender, or the signed-in requester. */
  requester_address: string | null;
  new_address: string | null;
  field: TicketMatchField;
  value: string;
}

/**
 * Tickets by id, or by an address: the mailed request's sender or the
 * address to move to (any part), the signed-in requester's (its start).
 */
export async function searchTicketsEverywhere(db: DbOrTrx, term: string): Promise<Found<TicketHit>> {
  const lower = term.toLowerCase();
  const part = `%${literal(lower)}%`;
  const [byId, byAddress, byRequester] = await Promise.all([
    isUuid(lower) ? db.selectFrom("support_tickets").select("id").where("id", "=", lower).execute() : Promise.resolve([]),
    db
      .selectFrom("support_tickets")
      .select(["id", "sender_address", "new_address"])
      .where((eb) => eb.or([eb("sender_address", "like", part), eb("new_address", "like", part)]))
      .limit(LIMIT)
      .execute(),
    // By the start of the address only: any part would join every ticket to its requester first.
    db
      .selectFrom("users as u")
      .innerJoin("support_tickets as t", "t.requester_user_id", "u.id")
      .select(["t.id", "u.email"])
      .where("u.email", "like", `${literal(lower)}%`)
      .limit(LIMIT)
      .execute(),
  ]);
  const { matches, total, more } = merge<TicketMatchField>([
    { rows: byId.map((r) => ({ id: r.id, field: "ticket id", value: r.id })) },
    { rows: byRequester.map((r) => ({ id: r.id, field: "requester", value: r.email ?? "" })) },
    {
      rows: byAddress.map((r) =>
        r.sender_address?.includes(lower)
          ? { id: r.id, field: "from address", value: r.sender_address }
          : { id: r.id, field: "new address", value: r.new_address ?? "" },
      ),
    },
  ]);
  const shown = matches.slice(0, SEARCH_SHOWN);
  const rows = shown.length
    ? await db
        .selectFrom("support_tickets as t")
        .leftJoin("users as u", "u.id", "t.requester_user_id")
        .select(["t.id", "t.status", "t.created_at", "t.new_address", sql<string | null>`coalesce(t.sender_address, u.email)`.as("requester_address")])
        .where(
          "t.id",
          "in",
          shown.map((m) => m.id),
        )
        .execute()
    : [];
  const byTicket = new Map(rows.map((r) => [r.id, r]));
  const hits = shown.flatMap((m) => {
    const t = byTicket.get(m.id);
    return t ? [{ ...t, field: m.field, value: m.value }] : [];
  });
  return { hits, total, more };
}
