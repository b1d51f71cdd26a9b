/**
 * Settings → Billing: the balance and credit limit, usage per day and key for
 * the last 30 days, one page of the credit history (newest first,
 * keyset-paged), the auto-recharge rule, and the whole ledger as CSV; and the
 * payments (issue 18): what Add credits offers, the saved card, the caps on
 * auto-recharge and the receipts, all read from the database mirror (no call
 * to the payment provider on a page load).
 */
import { linkableUrl } from "../payments/payment-words.js";
import { randomUUID } from "node:crypto";
import type { MemberRole } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { currentCard } from "../models/billing-customers.server.js";
import { listPayments, PAYMENTS_PAGE_SIZE } from "../models/payments.server.js";
import { rechargeLimits } from "../models/recharge-limits.server.js";
import { getBalance, listLedger, newerLedgerCursor } from "../models/ledger.server.js";
import { centsToDollarsInput } from "../models/money.js";
import { accountKeyNames, dailySpendByKey, ledgerExportPage, LEDGER_EXPORT_PAGE } from "../models/usage.server.js";
import { getRechargeRule } from "../models/recharge-rules.server.js";
import { can } from "../permissions.js";
import { csvCell } from "../csv.js";

/** The rule table refuses thresholds below −$100.00 (the default credit limit). */
const MIN_THRESHOLD_CENTS = -10_000n;

/** null: the account is gone. `before` is a ledger entry id (the page's cursor). */
export async function loadBillingPage(services: Pick<Services, "db">, accountId: string, role: MemberRole, before: string | undefined, now = new Date()) {
  const { db } = services;
  const [balance, ledger, rule, newer, usage] = await Promise.all([
    getBalance(db, accountId),
    listLedger(db, accountId, before),
    getRechargeRule(db, accountId),
    before === undefined ? Promise.resolve(null) : newerLedgerCursor(db, accountId, before),
    loadUsage(db, accountId, now),
  ]);
  if (!balance) return null;
  return {
    canManage: can(role, "manage_billing"),
    balanceCents: balance.balance_cents,
    creditLimitCents: balance.credit_limit_cents,
    ledger: ledger.rows.map((r) => ({
      id: r.id,
      at: r.created_at,
      kind: r.kind,
      amountCents: r.amount_cents,
      balanceAfterCents: r.balance_after_cents,
      // Staff write their reasons for support's record, not for the customer.
      note: r.actor_type === "staff" ? null : r.note,
    })),
    usage,
    olderCursor: ledger.nextBefore,
    newer: before === undefined ? null : { cursor: newer },
    rule: rule
      ? {
          enabled: rule.enabled,
          thresholdCents: rule.threshold_cents,
          targetCents: rule.target_cents,
          paymentMethod: rule.payment_method,
          pausedReason: rule.paused_reason,
          lastOutcome: rule.last_outcome,
          lastOutcomeAt: rule.last_outcome_at,
        }
      : null,
  };
}

/**
 * The whole Settings → Billing page: loadBillingPage plus the payment parts.
 * Each render carries fresh attempt ids for the forms that open a Checkout
 * session (one for buying credits, one for saving a card), so a double submit
 * of one rendered form opens one session, and a new render a new one.
 */
export async function loadBillingSettings(
  services: Pick<Services, "db" | "config">,
  accountId: string,
  role: MemberRole,
  before: string | undefined,
  now = new Date(),
) {
  const { db, config } = services;
  const [page, card, limits, payments] = await Promise.all([
    loadBillingPage(services, accountId, role, before, now),
    currentCard(db, accountId),
    rechargeLimits(db, accountId, config.payments.rechargeLimits),
    listPayments(db, accountId),
  ]);
  if (!page) return null;
  const { purchase } = config.payments;
  return {
    ...page,
    /** The shipped test provider: labelled on the page, and the only case where test cards are offered. */
    testMode: config.payments.provider === "test",
    purchase: {
      minCents: String(purchase.minCents),
      maxCents: String(purchase.maxCents),
      presetsCents: purchase.presetsCents.map(String),
    },
    attempts: { credits: randomUUID(), card: randomUUID() },
    card: card
      ? {
          brand: card.brand,
          last4: card.last4,
          expMonth: card.exp_month,
          expYear: card.exp_year,
          // A card is good through the last day of its expiry month.
          expired: card.exp_year * 12 + card.exp_month < now.getUTCFullYear() * 12 + now.getUTCMonth() + 1,
        }
      : null,
    limits: { perRechargeCents: limits.perRechargeCents.toString(), perDayCents: limits.perDayCents.toString() },
    payments: payments.map((p) => ({
      id: p.id,
      at: p.created_at,
      kind: p.kind,
      amountCents: p.amount_cents,
      status: p.status,
      failureCode: p.failure_code,
      cardBrand: p.card_brand,
      cardLast4: p.card_last4,
      // A receipt is a link to the provider's page: anything but http(s) never reaches the page.
      receiptUrl: linkableUrl(p.receipt_url),
      refundedCents: p.refunded_cents,
    })),
    /** Only the newest PAYMENTS_PAGE_SIZE are listed. */
    paymentsCapped: payments.length >= PAYMENTS_PAGE_SIZE,
  };
}

/** The lowest threshold a rule may have: the balance never goes below the credit limit, nor the table below −$100.00. null: the account is gone. */
export async function rechargeThresholdFloor(services: Pick<Services, "db">, accountId: string): Promise<bigint | null> {
  const balance = await getBalance(services.db, accountId);
  if (!balance) return null;
  const limit = BigInt(balance.credit_limit_cents);
  return -limit > MIN_THRESHOLD_CENTS ? -limit : MIN_THRESHOLD_CENTS;
}

export const USAGE_DAYS = 30;
/** Keys charted as their own series; the rest are stacked together as "Other keys", so the chart stays readable. */
export const CHARTED_KEYS = 3;
const DAY_MS = 86_400_000;

/** What a key is called on the page: its name, and why it no longer works if it does not. */
function keyName(key: { name: string; status: string; revoked_reason: string | null } | undefined): string {
  if (!key) return "A key that no longer exists";
  if (key.status === "active") return key.name;
  return `${key.name} (${key.revoked_reason === "deleted" ? "deleted" : key.revoked_reason === "regenerated" ? "regenerated" : "revoked"})`;
}

/**
 * Usage per UTC day for the last 30 days (today included), stacked by key:
 * the top keys by spend each a series, the rest as "Other keys", usage not
 * posted with a key as its own series. Every key that spent is totalled.
 */
async function loadUsage(db: Services["db"], accountId: string, now: Date) {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const from = new Date(today - (USAGE_DAYS - 1) * DAY_MS);
  const days = Array.from({ length: USAGE_DAYS }, (_, i) => new Date(from.getTime() + i * DAY_MS).toISOString().slice(0, 10));
  const [rows, keys] = await Promise.all([dailySpendByKey(db, accountId, from, new Date(today + DAY_MS)), accountKeyNames(db, accountId)]);

  const totals = new Map<string | null, bigint>();
  for (const r of rows) totals.set(r.keyId, (totals.get(r.keyId) ?? 0n) + BigInt(r.cents));
  const byKey = [...totals.entries()]
    .filter((e): e is [string, bigint] => e[0] !== null)
    .sort((a, b) => (a[1] === b[1] ? a[0].localeCompare(b[0]) : a[1] > b[1] ? -1 : 1));
  // A fourth key gets its own series too: "Other keys" for a single key would hide its name for nothing.
  const charted = byKey.length <= CHARTED_KEYS + 1 ? byKey : byKey.slice(0, CHARTED_KEYS);
  const seriesOf = (keyId: string | null) => (keyId === null ? "no-key" : charted.some(([id]) => id === keyId) ? `key-${keyId}` : "other-keys");

  const series = [
    ...charted.map(([id]) => ({ key: `key-${id}`, kind: "key" as const, label: keyName(keys.get(id)) })),
    ...(byKey.length > charted.length ? [{ key: "other-keys", kind: "other" as const, label: "Other keys" }] : []),
    ...(totals.has(null) ? [{ key: "no-key", kind: "no_key" as const, label: "Not from an API key" }] : []),
  ].map((s) => ({ ...s, values: days.map(() => 0) }));
  const index = new Map(days.map((d, i) => [d, i]));
  for (const r of rows) {
    const s = series.find((x) => x.key === seriesOf(r.keyId))!;
    s.values[index.get(r.day)!] += Number(r.cents);
  }

  const keyTotals = byKey.map(([id, cents]) => {
    const key = keys.get(id);
    return { id, name: keyName(key), display: key ? `${key.prefix}…${key.last4}` : id, totalCents: cents.toString() };
  });
  if (totals.has(null)) keyTotals.push({ id: "", name: "Not from an API key", display: "", totalCents: totals.get(null)!.toString() });
  const totalCents = [...totals.values()].reduce((a, b) => a + b, 0n).toString();
  return { days, series, keyTotals, totalCents };
}

const CSV_HEADER = ["date_utc", "entry_id", "kind", "amount_usd", "balance_after_usd", "api_key_name", "api_key_id", "note"];

/**
 * The account's whole ledger as CSV lines (CRLF, RFC 4180), oldest first,
 * read a page at a time so a long ledger is never held in memory at once.
 */
export async function* ledgerCsv(services: Pick<Services, "db">, accountId: string): AsyncGenerator<string> {
  const keys = await accountKeyNames(services.db, accountId);
  yield CSV_HEADER.join(",") + "\r\n";
  let after: string | null = null;
  for (;;) {
    const rows = await ledgerExportPage(services.db, accountId, after);
    if (rows.length === 0) return;
    let chunk = "";
    for (const r of rows) {
      const keyId = r.actor_type === "api_key" ? r.actor_id : null;
      const cells = [
        csvCell(r.created_at.toISOString()),
        csvCell(r.id),
        csvCell(r.kind),
        csvCell(centsToDollarsInput(r.amount_cents), { number: true }),
        csvCell(centsToDollarsInput(r.balance_after_cents), { number: true }),
        csvCell(keyId === null ? null : keyName(keys.get(keyId))),
        csvCell(keyId),
        // Staff write their reasons for support's record, not for the customer (as on the page).
        csvCell(r.actor_type === "staff" ? null : r.note),
      ];
      chunk += cells.join(",") + "\r\n";
    }
    yield chunk;
    if (rows.length < LEDGER_EXPORT_PAGE) return;
    after = rows[rows.length - 1].id;
  }
}
