/**
 * The page behind the confirmation mail's link (/confirm-transfer/:token): who
 * is signed in, and what the link still allows for that account. The old
 * account's address is never read here: the link may have reached someone who
 * should not learn it.
 */
import type { Services } from "../context.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { findConfirmationFor } from "../models/tickets.server.js";
import type { ConfirmByTokenResult } from "../services/transfer.server.js";

export type ConfirmPageState = "ready" | ConfirmByTokenResult;

export interface ConfirmTransferPage {
  state: ConfirmPageState;
  email: string | null;
  accountName: string | null;
}

export async function loadConfirmTransferPage(
  services: Pick<Services, "db">,
  input: { token: string; userId: string; accountId: string },
): Promise<ConfirmTransferPage> {
  const home = await getHomeSummary(services.db, input.userId, input.accountId);
  const lookup = await findConfirmationFor(services.db, input.token, input.accountId);
  return { state: lookup.ok ? "ready" : lookup.reason, email: home?.user.email ?? null, accountName: home?.account.name ?? null };
}
