/**
 * Console → Accounts with keys from before checksums (linked from the
 * dashboard): one page of the accounts that hold them, with the totals, so
 * support can nudge each owner to roll the key (issue 16, §1).
 */
import type { Services } from "../context.server.js";
import { countActiveLegacyKeys } from "../models/api-keys.server.js";
import { listAccountsWithLegacyKeys } from "../models/console-overview.server.js";

export async function loadLegacyKeysPage(services: Pick<Services, "db">, input: { page: number }) {
  const [totals, list] = await Promise.all([countActiveLegacyKeys(services.db), listAccountsWithLegacyKeys(services.db, input.page)]);
  return { page: input.page, totals, ...list };
}
