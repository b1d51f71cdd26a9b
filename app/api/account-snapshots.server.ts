/**
 * What the API needs of an account (status, plan, balance), cached per account
 * and dropped by the `account_changed` notification that every UPDATE of the
 * account row sends (balance, status, plan), unless the snapshot already holds
 * the row version it announces. TTL 10 s as the safety net.
 * A debit made by this process puts the committed row in at once (beginWrite),
 * so the client that debited reads its new balance on its next call here.
 */
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, Plan } from "../../db/schema.js";
import { NotifiedCache, type WriteTicket } from "./notified-cache.js";

export interface AccountSnapshot {
  id: string;
  plan: Plan;
  status: AccountStatus;
  balanceCents: string;
  creditLimitCents: string;
  /** The row's row_version (int8 as a string): orders this account's snapshots. */
  version: string;
}

const TTL_MS = 10_000;

/** A write of this process to one account row; settle it once the write is over. */
export interface AccountWrite {
  /** Committed: the row as the UPDATE … RETURNING gave it (its version orders this account's commits). */
  committed(snapshot: AccountSnapshot): void;
  unchanged(): void;
  unknown(): void;
}

export class AccountSnapshots {
  readonly cache: NotifiedCache<AccountSnapshot | null>;

  constructor(
    private readonly db: DbOrTrx,
    isFeedHealthy: () => boolean,
  ) {
    this.cache = new NotifiedCache<AccountSnapshot | null>({ maxEntries: 100_000, isFeedHealthy });
  }

  async get(accountId: string): Promise<AccountSnapshot | null> {
    const hit = this.cache.get(accountId);
    if (hit !== undefined) return hit;
    return this.cache.load(
      accountId,
      () => TTL_MS,
      async () => {
        const row = await this.db
          .selectFrom("accounts")
          .select(["id", "plan", "status", "balance_cents", "credit_limit_cents", "row_version"])
          .where("id", "=", accountId)
          .executeTakeFirst();
        return row
          ? {
              id: row.id,
              plan: row.plan,
              status: row.status,
              balanceCents: row.balance_cents,
              creditLimitCents: row.credit_limit_cents,
              version: row.row_version,
            }
          : null;
      },
      (snapshot) => (snapshot ? BigInt(snapshot.version) : null),
    );
  }

  /** Before this process writes the account row (see NotifiedCache.beginWrite for the ordering rules). */
  beginWrite(accountId: string): AccountWrite {
    const ticket: WriteTicket<AccountSnapshot | null> = this.cache.beginWrite(accountId);
    return {
      committed: (snapshot) => ticket.committed(snapshot, BigInt(snapshot.version), TTL_MS),
      unchanged: () => ticket.unchanged(),
      unknown: () => ticket.unknown(),
    };
  }

  /** An `account_changed` notification: "<id> <row_version>" (a bare id, from before versions, drops the snapshot). */
  notified(payload: string): void {
    const [accountId, version] = payload.split(" ");
    this.cache.invalidate(accountId, version !== undefined && /^\d+$/.test(version) ? BigInt(version) : undefined);
  }
}
