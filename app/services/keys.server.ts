/**
 * A member's changes to their account's API keys, one function per intent.
 * Each key is dead or alive on /v1 when the function returns: the model
 * commits the change, and this process's key verdicts for the account are
 * forgotten at once (the other web processes hear it from the change feed).
 */
import type { Services } from "../context.server.js";
import type { Actor } from "../models/audit.server.js";
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

type KeyServices = Pick<Services, "db" | "api">;

/** The old main key (and any rolled one still in its window) is dead when this returns; the new one is returned once. */
export async function regenerateAccountMainKey(services: KeyServices, accountId: string, userId: string, actor: Actor): Promise<CreatedKey> {
  const key = await regenerateMainKey(services.db, accountId, userId, actor);
  services.api.verifier.forgetAccount(accountId);
  return key;
}

/** A new primary main key, shown once; the old one works until the window ends. */
export async function rollAccountMainKey(services: KeyServices, accountId: string, userId: string, window: RollWindow, actor: Actor) {
  const rolled = await rollMainKey(services.db, accountId, userId, window, actor);
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
  return createAdditionalKey(services.db, accountId, name, userId, actor, options);
}

/** The limit is read under the account lock by every debit, so it holds from the next request on; no verdict changes. */
export function changeKeySpendLimit(services: KeyServices, accountId: string, keyId: string, limitCents: bigint | null, actor: Actor) {
  return setKeySpendLimit(services.db, accountId, keyId, limitCents, actor);
}

export type DeletedKey = { ok: true; key: { name: string; prefix: string; last4: string } } | { ok: false };

/** Deletes one of the account's additional keys (never the main key). */
export async function deleteNamedKey(services: KeyServices, accountId: string, keyId: string, actor: Actor): Promise<DeletedKey> {
  const keys = await listAccountKeys(services.db, accountId);
  const target = keys.find((k) => k.id === keyId && k.kind === "additional" && k.status === "active");
  if (!target) return { ok: false };
  const deleted = await deleteAdditionalKey(services.db, accountId, keyId, actor);
  if (!deleted) return { ok: false };
  services.api.verifier.forgetAccount(accountId);
  return { ok: true, key: { name: target.name, prefix: target.prefix, last4: target.last4 } };
}
