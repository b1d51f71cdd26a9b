/**
 * A provider sign-in once the provider has answered: the sign-in rules decide
 * (app/models/sign-in.server.ts, which audits the answer), or a failed answer
 * from the provider is put on record.
 */
import { deliveryMode } from "../mail/mailer.server.js";
import type { Services } from "../context.server.js";
import { writeAudit } from "../models/audit.server.js";
import { resolveSignIn, type ProviderIdentity } from "../models/sign-in.server.js";

export function signInWithProvider(
  services: Pick<Services, "db" | "config">,
  identity: ProviderIdentity,
  input: { ip: string | null; invitationToken: string | null },
) {
  return resolveSignIn(services.db, identity, {
    tombstoneSecret: services.config.tombstoneSecret,
    ip: input.ip,
    invitationToken: input.invitationToken,
    mail: { mode: deliveryMode(services.config), publicUrl: services.config.publicUrl },
  });
}

/** Forged or missing state, a bad code, the provider refusing: audited by kind, never with the raw values. */
export async function recordProviderFailure(services: Pick<Services, "db">, provider: string, ip: string | null): Promise<void> {
  await writeAudit(services.db, { type: "anonymous", id: null, ip }, { action: "auth.sign_in_refused", details: { provider, reason: "oauth_failed" } });
}
