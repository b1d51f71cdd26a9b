import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../app/config.server.js";

/**
 * Per-install session, tombstone, inbound-mail, unsubscribe-link and payment-webhook secrets for the embedded setup, made once
 * and kept in DATA_DIR (so sign-ins and tombstones survive restarts). Secrets
 * set in the environment win.
 */
export function developmentSecrets(config: Config): Record<string, string> {
  const file = path.join(config.dataDir, "secrets.json");
  const stored: Record<string, string> = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  // Installs from before a secret existed get it now; existing secrets are never replaced.
  const names = ["SESSION_SECRET", "TOMBSTONE_SECRET", "INBOUND_EMAIL_SECRET", "LIST_UNSUBSCRIBE_SECRET", "STRIPE_WEBHOOK_SECRET"] as const;
  const missing = names.filter((n) => !stored[n]);
  // The webhook secret keeps Stripe's shape: the config refuses anything else.
  for (const n of missing) stored[n] = `${n === "STRIPE_WEBHOOK_SECRET" ? "whsec_" : ""}${randomBytes(32).toString("base64url")}`;
  if (missing.length > 0) writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  return {
    ...(config.session.fromEnv ? {} : { SESSION_SECRET: stored.SESSION_SECRET! }),
    ...(config.tombstoneSecretFromEnv ? {} : { TOMBSTONE_SECRET: stored.TOMBSTONE_SECRET! }),
    ...(config.inboundEmailSecret ? {} : { INBOUND_EMAIL_SECRET: stored.INBOUND_EMAIL_SECRET! }),
    ...(config.unsubscribe.fromEnv ? {} : { LIST_UNSUBSCRIBE_SECRET: stored.LIST_UNSUBSCRIBE_SECRET! }),
    // The test provider's local checkout signs its webhooks with it, like Stripe with the endpoint's secret.
    ...(config.payments.webhookSecretFromEnv ? {} : { STRIPE_WEBHOOK_SECRET: stored.STRIPE_WEBHOOK_SECRET! }),
  };
}
