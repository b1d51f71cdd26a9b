/**
 * API keys: one main key per account (regenerated, never deleted) and any number
 * of named additional keys, up to a limit. Plaintext leaves this module once,
 * as the return value of a create; the table keeps the hash and display parts.
 * Revocation notifies every web process through a trigger (see migrations).
 */
import { sql } from "kysely";
import { inTransaction, type DbOrTrx } from "../../db/connection.js";
import type { ApiKeyKind } from "../../db/schema.js";
import { apiKeyDisplayParts, generateApiKey, hashApiKey, isWellFormedApiKey } from "./api-key-format.server.js";
import { planAllows, plansWith } from "./plans.js";
import { writeAudit, type Actor } from "./audit.server.js";

export const MAX_ADDITIONAL_KEYS = 50;
export const KEY_NAME_MAX = 100;

export interface CreatedKey {
  id: string;
  /** Shown once, never stored. */
  plaintext: string;
  prefix: string;
  last4: string;
}

async function insertKey(trx: DbOrTrx, input: { accountId: string; kind: ApiKeyKind; name: string; createdBy: string | null }): Promise<CreatedKey> {
  const plaintext = generateApiKey();
  const { prefix, last4 } = apiKeyDisplayParts(plaintext);
  const { id } = await trx
    .insertInto("api_keys")
    .values({
      account_id: input.accountId,
      kind: input.kind,
      name: input.name,
      key_hash: hashApiKey(plaintext),
      prefix,
      last4,
      created_by_user_id: input.createdBy,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id, plaintext, prefix, last4 };
}

/** The main key every account starts with (called inside the account's creating transaction). */
export async function createMainKey(trx: DbOrTrx, accountId: string, createdBy: string | null): Promise<CreatedKey> {
  return insertKey(trx, { accountId, kind: "main", name: "Main key", createdBy });
}

/** Serializes key changes per account (the account row is the lock). */
async function lockAccount(trx: DbOrTrx, accountId: string) {
  return trx.selectFrom("accounts").select(["id", "plan"]).where("id", "=", accountId).forUpdate().executeTakeFirstOrThrow();
}

/**
 * Read under the account lock: a person removed while their request was on
 * its way makes no key after their removal revoked the others (removal takes
 * the same lock, see revokeKeysCreatedBy).
 */
async function stillMember(trx: DbOrTrx, accountId: string, userId: string | null): Promise<boolean> {
  if (userId === null) return true;
  const row = await trx.selectFrom("memberships").select("role").where("account_id", "=", accountId).where("user_id", "=", userId).executeTakeFirst();
  return row !== undefined;
}

export const NOT_A_MEMBER = "You are no longer a member of this account, so you cannot change its keys.";

/** The old main key is dead when this returns; the new one is returned once. */
export async function regenerateMainKey(db: DbOrTrx, accountId: string, userId: string | null, actor: Actor): Promise<CreatedKey> {
  return inTransaction(db, async (trx) => {
    await lockAccount(trx, accountId);
    if (!(await stillMember(trx, accountId, userId))) throw new Error(NOT_A_MEMBER);
    const old = await trx
      .updateTable("api_keys")
      .set({ status: "revoked", revoked_at: sql`now()`, revoked_reason: "regenerated" })
      .where("account_id", "=", accountId)
      .where("kind", "=", "main")
      .where("status", "=", "active")
      .returning("id")
      .executeTakeFirst();
    const created = await insertKey(trx, { accountId, kind: "main", name: "Main key", createdBy: userId });
    await writeAudit(trx, actor, {
      action: "api_key.main_regenerated",
      targetType: "account",
      targetId: accountId,
      details: { old_key_id: old?.id ?? null, new_key_id: created.id, last4: created.last4 },
    });
    return created;
  });
}

export type CreateAdditionalResult = { ok: true; key: CreatedKey } | { ok: false; message: string };

export async function createAdditionalKey(db: DbOrTrx, accountId: string, name: string, userId: string | null, actor: Actor): Promise<CreateAdditionalResult> {
  return inTransaction(db, async (trx) => {
    const account = await lockAccount(trx, accountId);
    if (!(await stillMember(trx, accountId, userId))) return { ok: false as const, message: NOT_A_MEMBER };
    if (!planAllows(account.plan, "additional_keys")) {
      return { ok: false as const, message: `Additional keys are available on the ${plansWith("additional_keys")} plans.` };
    }
    const { n } = await trx
      .selectFrom("api_keys")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("account_id", "=", accountId)
      .where("kind", "=", "additional")
      .where("status", "=", "active")
      .executeTakeFirstOrThrow();
    if (Number(n) >= MAX_ADDITIONAL_KEYS) {
      return { ok: false as const, message: `An account can have ${MAX_ADDITIONAL_KEYS} additional keys. Delete one you no longer use first.` };
    }
    const key = await insertKey(trx, { accountId, kind: "additional", name, createdBy: userId });
    await writeAudit(trx, actor, {
      action: "api_key.created",
      targetType: "account",
      targetId: accountId,
      details: { key_id: key.id, last4: key.last4 },
    });
    return { ok: true as const, key };
  });
}

/** Deletes (revokes) an additional key of this account; dead when this returns. */
export async function deleteAdditionalKey(db: DbOrTrx, accountId: string, keyId: string, actor: Actor): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable("api_keys")
      .set({ status: "revoked", revoked_at: sql`now()`, revoked_reason: "deleted" })
      .where("id", "=", keyId)
      .where("account_id", "=", accountId)
      .where("kind", "=", "additional")
      .where("status", "=", "active")
      .returning(["id", "last4"])
      .executeTakeFirst();
    if (!row) return false;
    await writeAudit(trx, actor, { action: "api_key.deleted", targetType: "account", targetId: accountId, details: { key_id: row.id, last4: row.last4 } });
    return true;
  });
}

/** Every active key of the account dies (block, deletion); idempotent. Returns how many. */
export async function revokeAccountKeys(db: DbOrTrx, accountId: string, reason: string): Promise<number> {
  const rows = await db
    .updateTable("api_keys")
    .set({ status: "revoked", revoked_at: sql`now()`, revoked_reason: reason })
    .where("account_id", "=", accountId)
    .where("status", "=", "active")
    .returning("id")
    .execute();
  return rows.length;
}

/** The live keys of this account that a person created: what their removal revokes (shown before it is confirmed). */
export async function keysCreatedBy(db: DbOrTrx, accountId: string, userId: string) {
  return db
    .selectFrom("api_keys")
    .select(["id", "kind", "name", "prefix", "last4"])
    .where("account_id", "=", accountId)
    .where("created_by_user_id", "=", userId)
    .where("status", "=", "active")
    .orderBy(sql`CASE kind WHEN 'main' THEN 0 ELSE 1 END`)
    .orderBy("created_at")
    .execute();
}

export interface MemberKeysRevoked {
  revoked: { id: string; kind: ApiKeyKind; name: string; prefix: string; last4: string }[];
  /** The account's new main key, when the person had made the one that died; shown once to whoever removed them. */
  newMainKey: CreatedKey | null;
}

/**
 * A person leaves the account: every live key they created on it dies (they
 * saw each one in full when it was made). Keys whose creator is unknown
 * (created_by_user_id NULL) stay: nobody can say they were theirs, and
 * killing them would cut the integrations of the people who remain. The
 * main key they made is replaced at once, so the account keeps exactly one.
 * The database notifies every web process of each revocation (migration 0002).
 * Not audited here: the caller's audit row (member.removed) lists the keys.
 */
export async function revokeKeysCreatedBy(trx: DbOrTrx, accountId: string, userId: string, replacedBy: string | null): Promise<MemberKeysRevoked> {
  await lockAccount(trx, accountId);
  const revoked = await trx
    .updateTable("api_keys")
    .set({ status: "revoked", revoked_at: sql`now()`, revoked_reason: "creator_removed" })
    .where("account_id", "=", accountId)
    .where("created_by_user_id", "=", userId)
    .where("status", "=", "active")
    .returning(["id", "kind", "name", "prefix", "last4"])
    .execute();
  const newMainKey = revoked.some((k) => k.kind === "main") ? await insertKey(trx, { accountId, kind: "main", name: "Main key", createdBy: replacedBy }) : null;
  return { revoked, newMainKey };
}

/** The keys page: explicit columns, never the hash. Deleted keys are gone from the list. */
export async function listAccountKeys(db: DbOrTrx, accountId: string) {
  return db
    .selectFrom("api_keys")
    .leftJoin("users", "users.id", "api_keys.created_by_user_id")
    .select([
      "api_keys.id",
      "api_keys.kind",
      "api_keys.name",
      "api_keys.prefix",
      "api_keys.last4",
      "api_keys.status",
      "api_keys.created_at",
      "api_keys.last_used_at",
      "users.email as created_by_email",
    ])
    .where("api_keys.account_id", "=", accountId)
    .where("api_keys.status", "=", "active")
    .orderBy(sql`CASE api_keys.kind WHEN 'main' THEN 0 ELSE 1 END`)
    .orderBy("api_keys.created_at")
    .execute();
}

export interface KeyRecord {
  keyId: string;
  accountId: string;
  active: boolean;
}

/** Verification's database step: one indexed lookup by hash. */
export async function findKeyByHash(db: DbOrTrx, hash: Buffer): Promise<KeyRecord | null> {
  const row = await db.selectFrom("api_keys").select(["id", "account_id", "status"]).where("key_hash", "=", hash).executeTakeFirst();
  return row ? { keyId: row.id, accountId: row.account_id, active: row.status === "active" } : null;
}

/** Coalesced last-used stamps: one statement for a batch of keys. */
export async function touchKeysLastUsed(db: DbOrTrx, keyIds: string[]): Promise<void> {
  if (keyIds.length === 0) return;
  await db
    .updateTable("api_keys")
    .set({ last_used_at: sql`now()` })
    .where("id", "in", keyIds)
    .execute();
}

/**
 * Whether a revealed secret is this account's current main key. The reveal
 * cookie outlives nothing but five minutes, yet a shared browser could sign
 * someone else in within them; and a key regenerated meanwhile is dead. Either
 * way the page must not show it.
 */
export async function isActiveMainKeyOf(db: DbOrTrx, accountId: string, plaintext: string): Promise<boolean> {
  if (!isWellFormedApiKey(plaintext)) return false;
  const row = await db
    .selectFrom("api_keys")
    .select("id")
    .where("key_hash", "=", hashApiKey(plaintext))
    .where("account_id", "=", accountId)
    .where("kind", "=", "main")
    .where("status", "=", "active")
    .executeTakeFirst();
  return row !== undefined;
}
