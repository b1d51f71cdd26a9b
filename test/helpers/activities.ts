/** The real activities with the shipped test payment provider, as the worker builds them. */
import { createActivities } from "../../activities/index.js";
import { TestPaymentProvider } from "../../app/payments/test-payment-provider.server.js";
import type { Db } from "../../db/connection.js";

export const realActivities = (db: Db) => createActivities({ db, payments: new TestPaymentProvider(db) });
