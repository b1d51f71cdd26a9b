/**
 * The activities workflows call: thin, idempotent, each a call into app/models.
 * They return ids, counts and codes only, never personal data.
 */
import type { Config } from "../app/config.server.js";
import type { MailingProvider } from "../app/mailing-lists/provider.server.js";
import type { PaymentProvider } from "../app/payments/payment-provider.js";
import type { Db } from "../db/connection.js";
import { accountStatusActivities } from "./account-status.js";
import { deletionActivities } from "./deletion.js";
import { leakedKeyActivities } from "./leaked-key.js";
import { mailingActivities } from "./mailing.js";
import { rechargeActivities } from "./recharge.js";
import { transferActivities } from "./transfer.js";

export interface ActivityDeps {
  db: Db;
  payments: PaymentProvider;
  config: Pick<Config, "publicUrl" | "smtpUrl" | "tombstoneSecret" | "unsubscribe"> & { payments: Pick<Config["payments"], "rechargeLimits"> };
  /** Absent: the database is the list and nothing is mirrored. */
  mailingProvider?: MailingProvider;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...accountStatusActivities(deps),
    ...rechargeActivities(deps),
    ...transferActivities(deps),
    ...mailingActivities(deps),
    ...deletionActivities(deps),
    ...leakedKeyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
