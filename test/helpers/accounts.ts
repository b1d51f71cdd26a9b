/** Accounts for tests, made through the same models the app uses. */
import { randomUUID } from "node:crypto";
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
