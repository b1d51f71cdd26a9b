/**
 * The console's search from anywhere (/console/search): accounts and tickets
 * found by whatever support has at hand. Every query is LIMITed and none
 * counts all its matches: a term that matches a hundred thousand addresses
 * costs what one that matches a thousand does, and the page says "1,000+".
 * The indexes each query leans on are in db/migrations/2026_12_06_0300_c_console_search.ts.
 */
import { sql, type RawBuilder } from "kysely";
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
  /** Distinct matches counted, at most SEARCH_COUNT_CAP. */
  total: number;
  /** There may be more than `total` (a branch stopped at its limit). */
  more: boolean;
}

/** Every branch yields (id, rank, field, value, branch): lower ranks are better matches. */
type Branch = RawBuilder<unknown>;
const branch = (n: number, query: RawBuilder<unknown>): Branch =>
  sql`(SELECT id, rank, field, value, ${sql.lit(n)} AS branch FROM (${query}) AS ${sql.raw(`b${n}(id, rank, field, value)`)})`;

/**
 * `m` (every branch's rows) → `best` (one row per id, its best match) → the
 * first SEARCH_SHOWN by rank, with the count of distinct ids and whether any
 * branch (or `alsoCutOff`, about a CTE the branches read) stopped at LIMIT.
 * `ctes` come first: branches may read them. `m` is read twice, so it is
 * computed once.
 */
const ranked = (ctes: RawBuilder<unknown>[], branches: Branch[], alsoCutOff: RawBuilder<boolean> = sql`false`) => sql`
  WITH ${sql.join([...ctes, sql`m AS (${sql.join(branches, sql` UNION ALL `)})`])},
  best AS (SELECT DISTINCT ON (id) id, rank, field, value FROM m ORDER BY id, rank, value),
  top AS (SELECT id, rank, field, value FROM best ORDER BY rank, value, id LIMIT ${sql.lit(SEARCH_SHOWN)}),
  tally AS (SELECT (SELECT count(*) FROM best)::int AS total,
                   coalesce((SELECT bool_or(n >= ${sql.lit(LIMIT)}) FROM (SELECT count(*) AS n FROM m GROUP BY branch) AS c), false) OR ${alsoCutOff} AS truncated)`;

const found = <T>(rows: (T & { total: number; truncated: boolean })[]): Found<T> => {
  const total = rows[0]?.total ?? 0;
  return {
    hits: rows.map(({ total: _t, truncated: _c, ...hit }) => hit as T),
    total: Math.min(total, SEARCH_COUNT_CAP),
    more: (rows[0]?.truncated ?? false) || total > SEARCH_COUNT_CAP,
  };
};

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
 * Accounts by id, a member's id, a member's email (exact or start first, then
 * any part), a key's prefix or last four, the account's or a member's name
 * (any part, any case). `term` is trimmed and at least SEARCH_MIN_LENGTH long.
 */
export async function searchAccountsEverywhere(db: DbOrTrx, term: string): Promise<Found<AccountHit>> {
  const lower = term.toLowerCase();
  const uuid = isUuid(lower) ? lower : null;
  const key = keyParts(term);
  const anyPart = `%${literal(lower)}%`;
  const nameLike = `%${literal(term)}%`;
  const branches: Branch[] = [];
  if (uuid) {
    branches.push(branch(1, sql`SELECT id, 0 AS rank, 'account id' AS field, id::text AS value FROM accounts WHERE id = ${uuid}::uuid`));
    branches.push(branch(2, sql`SELECT account_id AS id, 0, 'member id', user_id::text FROM memberships WHERE user_id = ${uuid}::uuid LIMIT ${LIMIT}`));
  }
  if (key) {
    const where = [
      key.prefix !== undefined ? sql`prefix = ${key.prefix}` : null,
      key.prefixStart !== undefined ? sql`prefix LIKE ${`${literal(key.prefixStart)}%`}` : null,
      key.last4 !== undefined ? sql`last4 = ${key.last4}` : null,
    ].filter((c) => c !== null);
    branches.push(
      branch(
        3,
        sql`SELECT account_id AS id, 1, 'key', prefix || '…' || last4 || CASE WHEN status = 'revoked' THEN ' (revoked)' ELSE '' END
            FROM api_keys WHERE ${sql.join(where, sql` AND `)} LIMIT ${LIMIT}`,
      ),
    );
  }
  branches.push(
    branch(4, sql`SELECT id, CASE WHEN value = ${lower} THEN 0 ELSE 2 END, 'email', value FROM email_start`),
    // Any part of an address only when its start did not already fill the count: `user1` starts
    // 100,000 addresses, and a trigram search of it is the slowest query here. (An InitPlan: the
    // scan does not run at all when the start is full.)
    branch(
      5,
      sql`SELECT m.account_id AS id, 3, 'email', u.email FROM users u JOIN memberships m ON m.user_id = u.id
          WHERE u.email LIKE ${anyPart} AND (SELECT count(*) FROM email_start) < ${LIMIT} LIMIT ${LIMIT}`,
    ),
    branch(6, sql`SELECT id, 4, 'account name', name FROM accounts WHERE name ILIKE ${nameLike} LIMIT ${LIMIT}`),
    branch(
      7,
      sql`SELECT m.account_id AS id, 5, 'member name', u.name FROM users u JOIN memberships m ON m.user_id = u.id
          WHERE u.name ILIKE ${nameLike} LIMIT ${LIMIT}`,
    ),
  );
  const emailStart = sql`email_start AS MATERIALIZED (
    SELECT m.account_id AS id, u.email AS value FROM users u JOIN memberships m ON m.user_id = u.id
    WHERE u.email LIKE ${`${literal(lower)}%`} LIMIT ${LIMIT})`;
  const { rows } = await sql<AccountHit & { total: number; truncated: boolean }>`
    ${ranked([emailStart], branches)}
    SELECT top.id, a.name, a.plan, a.status, owner.email AS owner_email, top.field, top.value, tally.total, tally.truncated
    FROM top JOIN accounts a ON a.id = top.id
    LEFT JOIN memberships om ON om.account_id = a.id AND om.role = 'owner'
    LEFT JOIN users owner ON owner.id = om.user_id
    CROSS JOIN tally
    ORDER BY top.rank, top.value, top.id`.execute(db);
  return found(rows);
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
  const anyPart = `%${literal(lower)}%`;
  const branches: Branch[] = [];
  if (isUuid(lower))
    branches.push(branch(1, sql`SELECT id, 0 AS rank, 'ticket id' AS field, id::text AS value FROM support_tickets WHERE id = ${lower}::uuid`));
  branches.push(
    // The requesters first, by the start of their address (any part would join every ticket to its requester).
    branch(2, sql`SELECT t.id, 1, 'requester', r.email FROM requesters r JOIN support_tickets t ON t.requester_user_id = r.id LIMIT ${LIMIT}`),
    branch(
      4,
      sql`SELECT id, 2, CASE WHEN sender_address LIKE ${anyPart} THEN 'from address' ELSE 'new address' END,
                 CASE WHEN sender_address LIKE ${anyPart} THEN sender_address ELSE new_address END
          FROM support_tickets WHERE sender_address LIKE ${anyPart} OR new_address LIKE ${anyPart} LIMIT ${LIMIT}`,
    ),
  );
  const requesters = sql`requesters AS MATERIALIZED (SELECT id, email FROM users WHERE email LIKE ${`${literal(lower)}%`} LIMIT ${LIMIT})`;
  const { rows } = await sql<TicketHit & { total: number; truncated: boolean }>`
    ${ranked([requesters], branches, sql<boolean>`(SELECT count(*) FROM requesters) >= ${LIMIT}`)}
    SELECT top.id, t.status, t.created_at, t.new_address, coalesce(t.sender_address, u.email) AS requester_address, top.field, top.value,
           tally.total, tally.truncated
    FROM top JOIN support_tickets t ON t.id = top.id
    LEFT JOIN users u ON u.id = t.requester_user_id
    CROSS JOIN tally
    ORDER BY top.rank, top.value, top.id`.execute(db);
  return found(rows);
}
