/**
 * A member's changes to their account's API keys, one function per intent.
 * Each key is dead or alive on /v1 when the function returns: the change and
 * its security mail to the owners and admins commit together (a rollback
 * sends nothing, a crash after the commit loses nothing), then this process's
 * key verdicts for the account are forgotten at once (the other web processes
 * hear it from the change feed).
 */
import type { Transaction } from "kysely";
import type { Database } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import { deliveryMode } from "../mail/mailer.server.js";
import type { Actor } from "../models/audit.server.js";
import { enqueueSecurityMail, type SecurityEvent } from "../models/security-mail.server.js";
import {
  createAdditionalKey,
  deleteAdditionalKey,
  listAccountKeys,
  regenerateMainKey,
  rollMainKey,
  setKeySpendLimit,
  stopRolledKey,
  type CreatedKey,
  type KeyOptions,
  type RollWindow,
} from "../models/api-keys.server.js";

type KeyServices = Pick<Services, "db" | "api" | "config">;

const display = (k: { prefix: string; last4: string }) => `${k.prefix}…${k.last4}`;

/** The security mail of a key change, in the change's transaction; the event id is the key's, so a retried step mails nothing twice. */
function mailOwners(services: KeyServices, trx: Transaction<Database>, accountId: string, event: SecurityEvent, eventId: string, actor: Actor) {
  return enqueueSecurityMail(trx, deliveryMode(services.config), { accountId, event, eventId, actor, at: new Date(), publicUrl: services.config.publicUrl });
}

/** The old main key (and any rolled one still in its window) is dead when this returns; the new one is returned once. */
export async function regenerateAccountMainKey(services: KeyServices, accountId: string, userId: string, actor: Actor): Promise<CreatedKey> {
  const key = await services.db.transaction().execute(async (trx) => {
    const created = await regenerateMainKey(trx, accountId, userId, actor);
    await mailOwners(services, trx, accountId, { kind: "key_regenerated", key: { name: "Main key", display: display(created) } }, created.id, actor);
    return created;
  });
  services.api.verifier.forgetAccount(accountId);
  return key;
}

/** A new primary main key, shown once; the old one works until the window ends. */
export async function rollAccountMainKey(services: KeyServices, accountId: string, userId: string, window: RollWindow, actor: Actor) {
  const rolled = await services.db.transaction().execute(async (trx) => {
    const r = await rollMainKey(trx, accountId, userId, window, actor);
    const key = { name: "Main key", display: display(r.key) };
    // Without a primary key to roll (it was revoked as leaked) the roll only made a new key, and the mail says just that.
    const event: SecurityEvent = r.old ? { kind: "key_rolled", key, oldKeyEndsAt: r.old.expiresAt } : { kind: "key_created", key };
    await mailOwners(services, trx, accountId, event, r.key.id, actor);
    return r;
  });
  // The old key's cached verdict has no expiry yet.
  services.api.verifier.forgetAccount(accountId);
  return rolled;
}

/** "Stop the old key now": null when it had already stopped. */
export async function stopOldMainKey(services: KeyServices, accountId: string, keyId: string, actor: Actor) {
  const stopped = await stopRolledKey(services.db, accountId, keyId, actor);
  if (stopped) services.api.verifier.forgetAccount(accountId);
  return stopped;
}

export function createNamedKey(services: KeyServices, accountId: string, name: string, userId: string, actor: Actor, options: KeyOptions = {}) {
  // A new key has no verdict to forget.
  return services.db.transaction().execute(async (trx) => {
    const created = await createAdditionalKey(trx, accountId, name, userId, actor, options);
    if (created.ok) await mailOwners(services, trx, accountId, { kind: "key_created", key: { name, display: display(created.key) } }, created.key.id, actor);
    return created;
  });
}

/**
 * The limit is read under the account lock by every debit, so it holds from the next request on; no verdict changes.
 * Audited, not mailed: it narrows what a key may do (or widens it within what the person could already spend),
 * and reaching it is mailed (app/services/security-notices.server.ts).
 */
export function changeKeySpendLimit(services: KeyServices, accountId: string, keyId: string, limitCents: bigint | null, actor: Actor) {
  return setKeySpendLimit(services.db, accountId, keyId, limitCents, actor);
}

export type DeletedKey = { ok: true; key: { name: string; prefix: string; last4: string } } | { ok: false };

/** Deletes one of the account's additional keys (never the main key). */
export async function deleteNamedKey(services: KeyServices, accountId: string, keyId: string, actor: Actor): Promise<DeletedKey> {
  const outcome = await services.db.transaction().execute(async (trx): Promise<DeletedKey> => {
    const keys = await listAccountKeys(trx, accountId);
    const target = keys.find((k) => k.id === keyId && k.kind === "additional" && k.status === "active");
    if (!target) return { ok: false };
    // The delete takes only a still-active row: of two deletes at once, one finds nothing and mails nothing.
    if (!(await deleteAdditionalKey(trx, accountId, keyId, actor))) return { ok: false };
    await mailOwners(services, trx, accountId, { kind: "key_deleted", key: { name: target.name, display: display(target) } }, keyId, actor);
    return { ok: true, key: { name: target.name, prefix: target.prefix, last4: target.last4 } };
  });
  if (outcome.ok) services.api.verifier.forgetAccount(accountId);
  return outcome;
}
