/**
 * "Your key expires in 7 days" (issue 16, §3): one mail per additional key
 * that expires within the next 7 days, to each of the account's owners and
 * admins (plain members cannot replace keys, so they are not told), once per
 * key and person ever. The outbox's dedupe key `key_expiring:<keyId>:<userId>`
 * is what makes it once: the sweep runs hourly in every worker, and a second
 * round, a second worker or a crash mid-round enqueues nothing new.
 *
 * Not governed by Settings → Notifications: it is no security mail (nobody
 * did anything), it comes once per key, and missing it means an integration
 * that stops without warning; so an opt-out from security mail does not
 * silence it.
 *
 * Keys made to last 7 days or less get no reminder (their maker chose the
 * date a moment ago; keysExpiringWithin leaves them out).
 */
import type { Db } from "../../db/connection.js";
import type { Config } from "../config.server.js";
import type { Logger } from "../logger.server.js";
import { keyExpiryMail } from "../mail/templates/key-expiry.js";
import { deliveryMode, enqueueMail } from "../mail/mailer.server.js";
import { getAccount } from "../models/accounts.server.js";
import { keysExpiringWithin } from "../models/api-keys.server.js";
import { listMembers } from "../models/memberships.server.js";

/** How long before its expiry a key's owners hear about it. */
export const REMIND_DAYS = 7;
export const REMIND_EVERY_MS = 3_600_000;
/** The first round waits a little, so a worker's start (and a deploy's many starts) is not also a burst of queries. */
export const FIRST_ROUND_AFTER_MS = 30_000;

type ReminderServices = { db: Db; config: Pick<Config, "publicUrl" | "smtpUrl"> };

/** One sweep: enqueues the reminders not sent yet. Returns how many keys were due and how many mails are new. */
export async function sendKeyExpiryReminders(services: ReminderServices, now = new Date()): Promise<{ keys: number; mails: number }> {
  const { db, config } = services;
  const mode = deliveryMode(config);
  const due = await keysExpiringWithin(db, REMIND_DAYS);
  let mails = 0;
  for (const key of due) {
    const account = await getAccount(db, key.account_id);
    if (!account || account.status !== "active") continue;
    const people = (await listMembers(db, key.account_id)).filter((m) => (m.role === "owner" || m.role === "admin") && m.email);
    for (const person of people) {
      const { enqueued } = await enqueueMail(
        db,
        {
          to: person.email!,
          ...keyExpiryMail({
            key: { name: key.name, display: `${key.prefix}…${key.last4}` },
            accountName: account.name,
            expiresAt: key.expires_at!,
            now,
            publicUrl: config.publicUrl,
          }),
          kind: "key_expiring",
          dedupeKey: `key_expiring:${key.id}:${person.id}`,
          related: { type: "account", id: key.account_id },
        },
        mode,
      );
      if (enqueued) mails++;
    }
  }
  return { keys: due.length, mails };
}

/** An error as the log may hold it: its kind and code, and its message without anything quoted (values, addresses). */
function loggable(err: unknown) {
  if (!(err instanceof Error)) return { err: "unknown" };
  return {
    err: err.name,
    code: (err as { code?: unknown }).code ?? null,
    message: err.message.replace(/"[^"]*"|'[^']*'/g, "…").slice(0, 200),
  };
}

/** Runs the sweep shortly after start and then hourly, until stopped. A failed round is logged; the next one tries again. */
export class KeyExpiryReminders {
  private firstRound: NodeJS.Timeout | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly deps: ReminderServices & { logger: Logger; everyMs?: number; firstAfterMs?: number }) {}

  start(): void {
    this.firstRound = setTimeout(() => this.runOnce(), this.deps.firstAfterMs ?? FIRST_ROUND_AFTER_MS);
    this.firstRound.unref();
    this.timer = setInterval(() => this.runOnce(), this.deps.everyMs ?? REMIND_EVERY_MS);
    this.timer.unref();
  }

  /** One round now, unless one is still going. Resolves when the round is over; never rejects. */
  runOnce(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= sendKeyExpiryReminders(this.deps)
      .then(({ keys, mails }) => {
        if (mails > 0) this.deps.logger.info({ keys, mails }, "key expiry reminders enqueued");
      })
      .catch((err: unknown) => this.deps.logger.warn(loggable(err), "key expiry reminders failed"))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.firstRound) clearTimeout(this.firstRound);
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
