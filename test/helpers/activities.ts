/** The real activities with the shipped test payment provider, as the worker builds them. */
import { createActivities } from "../../activities/index.js";
import { TestPaymentProvider } from "../../app/payments/test-payment-provider.server.js";
import type { Db } from "../../db/connection.js";

/** Mail is kept in the outbox (no SMTP); links point at `publicUrl`. */
export const realActivities = (db: Db, publicUrl = "http://switchboard.test") =>
  createActivities({ db, payments: new TestPaymentProvider(db), config: { publicUrl, smtpUrl: undefined } });
