/** Accounts for tests, made through the same models the app uses. */
import { randomUUID } from "node:crypto";
import { generateApiKey, hashApiKey } from "../../app/models/api-key-format.server.js";
import { createMainKey } from "../../app/models/api-keys.server.js";
import { postLedgerEntry } from "../../app/models/ledger.server.js";
import type { Db } from "../../db/connection.js";
import type { Plan } from "../../db/schema.js";

export async function accountWithKey(db: Db, options: { balanceCents?: bigint; plan?: Plan; email?: string } = {}) {
  return db.transaction().execute(async (trx) => {
    const user = await trx
      .insertInto("users")
      .values({ email: options.email ?? `${randomUUID()}@example.com`, name: "Test", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const account = await trx
      .insertInto("accounts")
      .values({ name: "Test account", plan: options.plan ?? "build" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx.insertInto("memberships").values({ account_id: account.id, user_id: user.id, role: "owner" }).execute();
    const key = await createMainKey(trx, account.id, user.id);
    if (options.balanceCents) {
      await postLedgerEntry(trx, {
        accountId: account.id,
        amountCents: options.balanceCents,
        kind: "grant",
        idempotencyKey: "test:grant",
        actor: { type: "system", id: null },
      });
    }
    return { accountId: account.id, userId: user.id, key: key.plaintext, keyId: key.id };
  });
}

/** Turns an account's main key into one issued before checksums (43 characters whose last 6 are no checksum); returns it. */
export async function makeMainKeyLegacy(db: Db, accountId: string): Promise<string> {
  const valid = generateApiKey();
  const legacy = valid.slice(0, -1) + (valid.endsWith("A") ? "B" : "A");
  await db
    .updateTable("api_keys")
    .set({ key_hash: hashApiKey(legacy), checksummed: false, last4: legacy.slice(-4) })
    .where("account_id", "=", accountId)
    .where("kind", "=", "main")
    .execute();
  return legacy;
}
