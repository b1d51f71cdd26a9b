/**
 * What the API needs of an account (status, plan, balance), cached per account
 * and dropped by the `account_changed` notification that every UPDATE of the
 * account row sends (balance, status, plan). TTL 10 s as the safety net.
 */
import type { DbOrTrx } from "../../db/connection.js";
import type { AccountStatus, Plan } from "../../db/schema.js";
import { NotifiedCache } from "./notified-cache.js";

export interface AccountSnapshot {
  id: string;
  plan: Plan;
  status: AccountStatus;
  balanceCents: string;
  creditLimitCents: string;
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
    return this.cache.load(accountId, () => 10_000, async () => {
      const row = await this.db
        .selectFrom("accounts")
        .select(["id", "plan", "status", "balance_cents", "credit_limit_cents"])
        .where("id", "=", accountId)
        .executeTakeFirst();
      return row
        ? { id: row.id, plan: row.plan, status: row.status, balanceCents: row.balance_cents, creditLimitCents: row.credit_limit_cents }
        : null;
    });
  }

  invalidate(accountId: string): void {
    this.cache.invalidate(accountId);
  }
}
