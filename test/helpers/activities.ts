/** The real activities with the shipped test payment provider, as the worker builds them. */
import { createActivities } from "../../activities/index.js";
import { parseConfig } from "../../app/config.server.js";
import type { MailingProvider } from "../../app/mailing-lists/provider.server.js";
import { paymentProviderFrom } from "../../app/payments/provider.server.js";
import type { Db } from "../../db/connection.js";
import { TEST_TOMBSTONE_SECRET } from "./test-secrets.js";

/** The secrets a test app has (startTestApp): tombstones and unsubscribe links must match it. */
const defaults = parseConfig({ TOMBSTONE_SECRET: TEST_TOMBSTONE_SECRET });

/** Mail is kept in the outbox (no SMTP); links point at `publicUrl`; no mailing provider unless given. */
export const realActivities = (
  db: Db,
  publicUrl = "http://switchboard.test",
  options: { mailingProvider?: MailingProvider; smtpUrl?: string; paymentEnv?: Record<string, string> } = {},
) => {
  // The test provider unless the test hands Stripe's variables (test/helpers/stripe.ts), as the worker reads them.
  const config = options.paymentEnv ? parseConfig({ TOMBSTONE_SECRET: TEST_TOMBSTONE_SECRET, ...options.paymentEnv }) : defaults;
  return createActivities({
    db,
    payments: paymentProviderFrom(config, db),
    config: { publicUrl, smtpUrl: options.smtpUrl, tombstoneSecret: defaults.tombstoneSecret, unsubscribe: defaults.unsubscribe, payments: config.payments },
    mailingProvider: options.mailingProvider,
  });
};
