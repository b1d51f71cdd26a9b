/**
 * Security mail that no person's action causes: a key's monthly spend limit
 * refusing a debit on /v1. The owners and admins hear of it once per key and
 * calendar month (UTC), however many requests the limit refuses.
 */
import type { Services } from "../context.server.js";
import { deliveryMode } from "../mail/mailer.server.js";
import { enqueueSecurityMail } from "../models/security-mail.server.js";

type NoticeServices = Pick<Services, "db" | "config">;

/** "2026-12": the calendar month (UTC) a spend limit counts in. */
export const utcMonth = (at: Date) => at.toISOString().slice(0, 7);

/**
 * Mails the account's owners and admins that the key reached its spend limit this month; idempotent
 * (event id `<keyId>:<YYYY-MM>`, so the second call in a month enqueues nothing). Nothing when the key
 * is not the account's, is no longer active, or has no limit any more. Returns how many were enqueued.
 */
export async function mailKeySpendLimitReached(services: NoticeServices, accountId: string, keyId: string, at = new Date()): Promise<number> {
  const month = utcMonth(at);
  return services.db.transaction().execute(async (trx) => {
    const key = await trx
      .selectFrom("api_keys")
      .select(["name", "prefix", "last4", "spend_limit_cents"])
      .where("id", "=", keyId)
      .where("account_id", "=", accountId)
      .where("status", "=", "active")
      .executeTakeFirst();
    if (!key || key.spend_limit_cents === null) return 0;
    return enqueueSecurityMail(trx, deliveryMode(services.config), {
      accountId,
      event: {
        kind: "key_spend_limit_reached",
        key: { name: key.name, display: `${key.prefix}…${key.last4}` },
        limitCents: key.spend_limit_cents,
        month,
      },
      eventId: `${keyId}:${month}`,
      actor: { type: "api_key", id: keyId },
      at,
      publicUrl: services.config.publicUrl,
    });
  });
}

/** Keys told about this month, per process: far more than a month's limited keys, yet bounded against a flood of ids. */
const MEMO_MAX = 10_000;

/**
 * The /v1 handler's `onKeySpendLimitReached`: a client hammering a key past
 * its limit costs one mail transaction per key, month and process; the other
 * refusals find the key in memory (in flight or done) and return at once.
 * A failed attempt is forgotten, so the next refusal tries again.
 */
export function spendLimitNotifier(services: NoticeServices): (accountId: string, keyId: string) => Promise<void> {
  let month = utcMonth(new Date());
  let told = new Map<string, Promise<void>>();
  return (accountId, keyId) => {
    const now = new Date();
    if (utcMonth(now) !== month || told.size >= MEMO_MAX) {
      month = utcMonth(now);
      told = new Map();
    }
    const memo = told;
    const known = memo.get(keyId);
    if (known) return known;
    const telling = mailKeySpendLimitReached(services, accountId, keyId, now).then(
      () => undefined,
      (err: unknown) => {
        memo.delete(keyId);
        throw err;
      },
    );
    memo.set(keyId, telling);
    return telling;
  };
}
