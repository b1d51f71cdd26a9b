/**
 * The keys page's "Check a key": whether a pasted key is one of this
 * account's keys, looked up by its hash and scoped to the account, so the
 * answer says nothing about any other account's keys. Explicit columns, never
 * the hash; the plaintext is hashed here and goes no further.
 */
import type { DbOrTrx } from "../../db/connection.js";
import { hashApiKey, isWellFormedApiKey } from "./api-key-format.server.js";

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
