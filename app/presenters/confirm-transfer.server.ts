/**
 * The page behind the confirmation mail's link (/confirm-transfer/:token): who
 * is signed in, and what the link still allows for them.
 *
 * What the page tells whom:
 * - the new account's owner, signed in ("ready"): everything they accept — the
 *   old account's address and name, its balance and plan, and the account of
 *   theirs that receives it. The requester chose to send all that to this
 *   address, and nobody can accept a move they cannot see;
 * - a signed-out visitor with a live link ("sign_in"): why a sign-in is needed
 *   and as which address, masked (n…@example.com): enough for the person the
 *   mail reached to recognise it, little for anyone the link was passed on to;
 *   nothing about the old account;
 * - anyone signed in to another account ("wrong_account"): the same masked
 *   address, nothing about the old account.
 */
import type { Services } from "../context.server.js";
import { accountBalanceAndPlan, getAccount } from "../models/accounts.server.js";
import { getHomeSummary } from "../models/home.server.js";
import { formatCents } from "../models/money.js";
import { PLAN_LABEL } from "../models/plans.js";
import { findConfirmation, getTicket, requesterAddress } from "../models/tickets.server.js";
import type { ConfirmByTokenResult } from "../services/transfer.server.js";

export type ConfirmPageState = "ready" | "sign_in" | ConfirmByTokenResult;

/** What the person confirming accepts; only on "ready". */
export interface TransferOffer {
  oldAddress: string | null;
  oldAccountName: string | null;
  /** The old account's balance as it stands now, unsigned ("$25.00"); `owesMoney`: it is an outstanding balance, which moves too. */
  balance: string;
  owesMoney: boolean;
  plan: string;
}

export interface ConfirmTransferPage {
  state: ConfirmPageState;
  /** The signed-in person's address (the top bar); null signed out. */
  email: string | null;
  /** The account that receives everything: the signed-in one. */
  accountName: string | null;
  /** The address the link was sent to, masked; on "sign_in" and "wrong_account" only. */
  addressHint: string | null;
  offer: TransferOffer | null;
}

/** "new.person@example.com" → "n…@example.com": recognisable to its owner, not a full address to anyone else. */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf("@");
  if (at <= 0) return "…";
  return `${address[0]}…${address.slice(at)}`;
}

export async function loadConfirmTransferPage(
  services: Pick<Services, "db">,
  input: { token: string; who: { userId: string; accountId: string } | null },
): Promise<ConfirmTransferPage> {
  const { db } = services;
  const [home, lookup] = await Promise.all([input.who ? getHomeSummary(db, input.who.userId, input.who.accountId) : null, findConfirmation(db, input.token)]);
  const base = { email: home?.user.email ?? null, accountName: home?.account.name ?? null, addressHint: null, offer: null };
  if (!lookup.ok) return { ...base, state: lookup.reason };
  const ticket = await getTicket(db, lookup.ticketId);
  const hint = ticket?.new_address ? maskAddress(ticket.new_address) : null;
  if (!input.who) return { ...base, state: "sign_in", addressHint: hint };
  if (lookup.newAccountId !== input.who.accountId) return { ...base, state: "wrong_account", addressHint: hint };
  return { ...base, state: "ready", offer: ticket?.old_account_id ? await offerOf(services, lookup.ticketId, ticket.old_account_id) : null };
}

async function offerOf(services: Pick<Services, "db">, ticketId: string, oldAccountId: string): Promise<TransferOffer> {
  const { db } = services;
  const [oldAddress, account, money] = await Promise.all([
    requesterAddress(db, ticketId),
    getAccount(db, oldAccountId),
    accountBalanceAndPlan(db, oldAccountId),
  ]);
  const cents = BigInt(money.balance_cents);
  return {
    oldAddress,
    oldAccountName: account?.name ?? null,
    balance: formatCents(cents < 0n ? -cents : cents),
    owesMoney: cents < 0n,
    plan: PLAN_LABEL[money.plan],
  };
}
