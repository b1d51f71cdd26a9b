/**
 * API keys: one primary main key per account (regenerated or rolled, never
 * deleted) and any number of named additional keys, up to a limit. A rolled
 * main key keeps working, no longer primary, until its grace window ends.
 * Plaintext leaves this module once, as the return value of a create; the
 * table keeps the hash and display parts. Every change to a key row notifies
 * every web process through a trigger (see migrations); an expiry is data the
 * verifier checks against the clock, so it needs no notification.
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

export interface KeyOptions {
  /** When the key stops working; null or absent: never. */
  expiresAt?: Date | null;
  /** Usage the key may debit per calendar month (UTC), in cents; null or absent: no limit. */
  spendLimitCents?: bigint | null;
}

async function insertKey(
  trx: DbOrTrx,
  input: { accountId: string; kind: ApiKeyKind; name: string; createdBy: string | null } & KeyOptions,
): Promise<CreatedKey> {
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
      checksummed: true,
      expires_at: input.expiresAt ?? null,
      spend_limit_cents: input.spendLimitCents?.toString() ?? null,
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

/**
 * The old main key is dead when this returns — and so is a rolled one still in
 * its grace window: regenerating is what a person does who suspects a leak.
 * The new one is returned once.
 */
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
      .returning(["id", "superseded_at"])
      .execute();
    const created = await insertKey(trx, { accountId, kind: "main", name: "Main key", createdBy: userId });
    await writeAudit(trx, actor, {
      action: "api_key.main_regenerated",
      targetType: "account",
      targetId: accountId,
      details: {
        old_key_id: old.find((k) => k.superseded_at === null)?.id ?? null,
        rolled_key_ids: old.filter((k) => k.superseded_at !== null).map((k) => k.id),
        new_key_id: created.id,
        last4: created.last4,
      },
    });
    return created;
  });
}

/** How long a rolled main key keeps working, as the keys page offers it. */
export const ROLL_WINDOWS = { "1h": 3_600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 } as const;
export type RollWindow = keyof typeof ROLL_WINDOWS;

export type RolledKey = { key: CreatedKey; old: { id: string; prefix: string; last4: string; expiresAt: Date } | null };

/**
 * A roll: a new primary main key, and the old one keeps working (no longer
 * primary) until now + the window, then stops (the verifier checks expires_at
 * on every request). Without a primary main key (revoked as leaked) a roll is
 * just a new key.
 */
export async function rollMainKey(db: DbOrTrx, accountId: string, userId: string | null, window: RollWindow, actor: Actor): Promise<RolledKey> {
  return inTransaction(db, async (trx) => {
    await lockAccount(trx, accountId);
    if (!(await stillMember(trx, accountId, userId))) throw new Error(NOT_A_MEMBER);
    const old = await trx
      .updateTable("api_keys")
      .set({ superseded_at: sql`now()`, expires_at: sql`now() + ${`${ROLL_WINDOWS[window]} milliseconds`}::interval` })
      .where("account_id", "=", accountId)
      .where("kind", "=", "main")
      .where("status", "=", "active")
      .where("superseded_at", "is", null)
      .returning(["id", "prefix", "last4", "expires_at"])
      .executeTakeFirst();
    const key = await insertKey(trx, { accountId, kind: "main", name: "Main key", createdBy: userId });
    await writeAudit(trx, actor, {
      action: "api_key.main_rolled",
      targetType: "account",
      targetId: accountId,
      details: { old_key_id: old?.id ?? null, new_key_id: key.id, last4: key.last4, window, old_key_expires_at: old?.expires_at?.toISOString() ?? null },
    });
    return { key, old: old ? { id: old.id, prefix: old.prefix, last4: old.last4, expiresAt: old.expires_at! } : null };
  });
}

/** "Stop the old key now": a rolled main key's window ends early. False when it had already ended or is no rolled key of this account. */
export async function stopRolledKey(db: DbOrTrx, accountId: string, keyId: string, actor: Actor): Promise<{ prefix: string; last4: string } | null> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable("api_keys")
      .set({ status: "revoked", revoked_at: sql`now()`, revoked_reason: "roll_ended" })
      .where("id", "=", keyId)
      .where("account_id", "=", accountId)
      .where("kind", "=", "main")
      .where("status", "=", "active")
      .where("superseded_at", "is not", null)
      .where("expires_at", ">", sql<Date>`now()`)
      .returning(["id", "prefix", "last4"])
      .executeTakeFirst();
    if (!row) return null;
    await writeAudit(trx, actor, {
      action: "api_key.roll_ended_early",
      targetType: "account",
      targetId: accountId,
      details: { key_id: row.id, last4: row.last4 },
    });
    return { prefix: row.prefix, last4: row.last4 };
  });
}

export type SpendLimitChange = { ok: true; before: string | null; after: string | null; key: { name: string; prefix: string; last4: string } } | { ok: false };

/** Sets (or clears, with null) a key's monthly spend limit; audited with before and after. Takes effect on the next debit. */
export async function setKeySpendLimit(db: DbOrTrx, accountId: string, keyId: string, limitCents: bigint | null, actor: Actor): Promise<SpendLimitChange> {
  return inTransaction(db, async (trx) => {
    const current = await trx
      .selectFrom("api_keys")
      .select(["spend_limit_cents", "name", "prefix", "last4"])
      .where("id", "=", keyId)
      .where("account_id", "=", accountId)
      .where("status", "=", "active")
      .forUpdate()
      .executeTakeFirst();
    if (!current) return { ok: false as const };
    const after = limitCents?.toString() ?? null;
    const key = { name: current.name, prefix: current.prefix, last4: current.last4 };
    if (current.spend_limit_cents === after) return { ok: true as const, before: after, after, key };
    await trx.updateTable("api_keys").set({ spend_limit_cents: after }).where("id", "=", keyId).execute();
    await writeAudit(trx, actor, {
      action: "api_key.spend_limit_changed",
      targetType: "account",
      targetId: accountId,
      details: { key_id: keyId, last4: current.last4, before_cents: current.spend_limit_cents, after_cents: after },
    });
    return { ok: true as const, before: current.spend_limit_cents, after, key };
  });
}

export type CreateAdditionalResult = { ok: true; key: CreatedKey } | { ok: false; message: string };

export async function createAdditionalKey(
  db: DbOrTrx,
  accountId: string,
  name: string,
  userId: string | null,
  actor: Actor,
  options: KeyOptions = {},
): Promise<CreateAdditionalResult> {
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
    const key = await insertKey(trx, { accountId, kind: "additional", name, createdBy: userId, ...options });
    await writeAudit(trx, actor, {
      action: "api_key.created",
      targetType: "account",
      targetId: accountId,
      details: {
        key_id: key.id,
        last4: key.last4,
        expires_at: options.expiresAt?.toISOString() ?? null,
        spend_limit_cents: options.spendLimitCents?.toString() ?? null,
      },
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
    .select(["id", "kind", "name", "prefix", "last4", "superseded_at"])
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
  // Only the primary main key needs a successor; a rolled one in its grace window simply ends.
  const primaryLeft = await trx
    .selectFrom("api_keys")
    .select("id")
    .where("account_id", "=", accountId)
    .where("kind", "=", "main")
    .where("status", "=", "active")
    .where("superseded_at", "is", null)
    .executeTakeFirst();
  const newMainKey =
    revoked.some((k) => k.kind === "main") && !primaryLeft ? await insertKey(trx, { accountId, kind: "main", name: "Main key", createdBy: replacedBy }) : null;
  return { revoked, newMainKey };
}

/** How long a key revoked as leaked stays on the keys page, so its owner sees what happened and where. */
export const LEAKED_SHOWN_DAYS = 30;

/**
 * The keys page: explicit columns, never the hash. Live keys (an expired one
 * stays until deleted, marked), and keys revoked as leaked in the last 30
 * days; deleted and regenerated keys are gone from the list.
 */
export async function listAccountKeys(db: DbOrTrx, accountId: string) {
  return (
    db
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
        "api_keys.checksummed",
        "api_keys.expires_at",
        "api_keys.spend_limit_cents",
        "api_keys.superseded_at",
        "api_keys.revoked_at",
        "api_keys.revoked_reason",
        "api_keys.leaked_url",
        "users.email as created_by_email",
      ])
      .where("api_keys.account_id", "=", accountId)
      .where((eb) =>
        eb.or([
          eb("api_keys.status", "=", "active"),
          eb.and([eb("api_keys.revoked_reason", "=", "leaked"), eb("api_keys.revoked_at", ">", sql<Date>`now() - ${`${LEAKED_SHOWN_DAYS} days`}::interval`)]),
        ]),
      )
      // A rolled main key whose window is over is simply gone.
      .where((eb) => eb.or([eb("api_keys.superseded_at", "is", null), eb("api_keys.expires_at", ">", sql<Date>`now()`), eb("api_keys.status", "=", "revoked")]))
      .orderBy(sql`CASE api_keys.kind WHEN 'main' THEN 0 ELSE 1 END`)
      .orderBy(sql`api_keys.superseded_at IS NOT NULL`)
      .orderBy("api_keys.created_at")
      .execute()
  );
}

export interface KeyRecord {
  keyId: string;
  accountId: string;
  active: boolean;
  /** When it stops (an additional key's expiry, a rolled main key's end of grace); null: never. */
  expiresAt: Date | null;
  revokedReason: string | null;
}

/** Verification's database step: one indexed lookup by hash. */
export async function findKeyByHash(db: DbOrTrx, hash: Buffer): Promise<KeyRecord | null> {
  const row = await db
    .selectFrom("api_keys")
    .select(["id", "account_id", "status", "expires_at", "revoked_reason"])
    .where("key_hash", "=", hash)
    .executeTakeFirst();
  return row
    ? { keyId: row.id, accountId: row.account_id, active: row.status === "active", expiresAt: row.expires_at, revokedReason: row.revoked_reason }
    : null;
}

/**
 * A key row that is live and was issued before checksums: one rule for /v1's gate and the console's
 * counts and list (an expired or revoked old key no longer holds the gate open).
 */
export const LIVE_LEGACY_KEY = sql<boolean>`api_keys.status = 'active' AND NOT api_keys.checksummed AND (api_keys.expires_at IS NULL OR api_keys.expires_at > now())`;

/** Live keys issued before checksums, all accounts: while there is one, /v1 must look up keys whose checksum is wrong. */
export async function anyActiveLegacyKey(db: DbOrTrx): Promise<boolean> {
  const row = await db.selectFrom("api_keys").select("id").where(LIVE_LEGACY_KEY).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The console's count of live pre-checksum keys, and how many accounts hold them. */
export async function countActiveLegacyKeys(db: DbOrTrx): Promise<{ keys: number; accounts: number }> {
  const row = await db
    .selectFrom("api_keys")
    .select([sql<string>`count(*)`.as("keys"), sql<string>`count(DISTINCT account_id)`.as("accounts")])
    .where(LIVE_LEGACY_KEY)
    .executeTakeFirstOrThrow();
  return { keys: Number(row.keys), accounts: Number(row.accounts) };
}

export type LeakedKeyRevocation =
  { found: false } | { found: true; keyId: string; accountId: string; kind: ApiKeyKind; newlyRevoked: boolean; revokedReason: string | null };

/**
 * A key a secret scanner found public dies at once (the trigger tells every
 * web process), with where it was found, audited in the same transaction: a
 * report delivered twice revokes and audits once. A key already dead for
 * another reason stays as it was (it is still a true positive).
 */
export async function revokeLeakedKey(db: DbOrTrx, hash: Buffer, found: { url: string; source: string }): Promise<LeakedKeyRevocation> {
  return inTransaction(db, async (trx) => {
    const revoked = await trx
      .updateTable("api_keys")
      .set({ status: "revoked", revoked_at: sql`now()`, revoked_reason: "leaked", leaked_url: found.url, leaked_source: found.source })
      .where("key_hash", "=", hash)
      .where("status", "=", "active")
      .returning(["id", "account_id", "kind", "last4"])
      .executeTakeFirst();
    if (revoked) {
      await writeAudit(
        trx,
        { type: "system", id: "secret-scanning" },
        {
          action: "api_key.revoked_leaked",
          targetType: "account",
          targetId: revoked.account_id,
          details: { key_id: revoked.id, kind: revoked.kind, last4: revoked.last4, found_url: found.url, source: found.source },
        },
      );
      return { found: true as const, keyId: revoked.id, accountId: revoked.account_id, kind: revoked.kind, newlyRevoked: true, revokedReason: "leaked" };
    }
    const row = await trx.selectFrom("api_keys").select(["id", "account_id", "kind", "revoked_reason"]).where("key_hash", "=", hash).executeTakeFirst();
    return row
      ? { found: true as const, keyId: row.id, accountId: row.account_id, kind: row.kind, newlyRevoked: false, revokedReason: row.revoked_reason }
      : { found: false as const };
  });
}

/** What the leaked-key mail says about a key (read by the workflow's activity; never the secret). */
export async function leakedKeyFacts(db: DbOrTrx, keyId: string) {
  return db
    .selectFrom("api_keys")
    .select(["id", "account_id", "kind", "name", "prefix", "last4", "revoked_at", "revoked_reason", "leaked_url", "leaked_source"])
    .where("id", "=", keyId)
    .executeTakeFirst();
}

/**
 * Additional keys that expire within `days` and were made long enough before
 * that (a key made to last three days needs no reminder that it ends): what
 * the worker's daily sweep mails about, once per key.
 */
export async function keysExpiringWithin(db: DbOrTrx, days: number) {
  const window = sql`${`${days} days`}::interval`;
  return db
    .selectFrom("api_keys")
    .select(["id", "account_id", "name", "prefix", "last4", "expires_at"])
    .where("kind", "=", "additional")
    .where("status", "=", "active")
    .where("expires_at", ">", sql<Date>`now()`)
    .where("expires_at", "<=", sql<Date>`now() + ${window}`)
    .where(sql<boolean>`created_at < expires_at - ${window}`)
    .execute();
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
    .where("superseded_at", "is", null)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The keys page's "Check a key": whether a pasted key is one of this
 * account's keys, looked up by its hash and scoped to the account, so the
 * answer says nothing about any other account's keys. The plaintext is hashed
 * here and goes no further.
 */
export async function accountKeyByPlaintext(db: DbOrTrx, accountId: string, plaintext: string) {
  if (!isWellFormedApiKey(plaintext)) return null;
  const row = await db
    .selectFrom("api_keys")
    .select(["id", "kind", "name", "prefix", "last4", "status", "checksummed", "expires_at", "superseded_at", "revoked_at", "revoked_reason", "leaked_url"])
    .where("key_hash", "=", hashApiKey(plaintext))
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return row ?? null;
}
