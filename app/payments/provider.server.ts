/** The payment provider PAYMENT_PROVIDER names, built once per process (web and worker alike). */
import type { DbOrTrx } from "../../db/connection.js";
import type { Config } from "../config.server.js";
import type { PaymentProvider } from "./payment-provider.js";
import { StripePaymentProvider } from "./stripe-payment-provider.server.js";
import { TestPaymentProvider } from "./test-payment-provider.server.js";

export function paymentProviderFrom(config: Pick<Config, "payments">, db: DbOrTrx): PaymentProvider {
  const p = config.payments;
  if (p.provider === "stripe") {
    // parseConfig guarantees the keys with "stripe"; this is the type's way of saying so.
    if (!p.stripe) throw new Error("PAYMENT_PROVIDER=stripe without STRIPE_SECRET_KEY");
    return new StripePaymentProvider({ secretKey: p.stripe.secretKey, webhookSecret: p.webhookSecret, apiBase: p.stripe.apiBase });
  }
  return new TestPaymentProvider(db, { localCheckoutUrl: p.localCheckoutUrl, webhookSecret: p.webhookSecret });
}
