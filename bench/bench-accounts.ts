/**
 * The bench accounts api-bench and usage-bench seed: each a user, an account on
 * the build plan with the user as owner, its main key and a grant that never
 * runs out — one first account, then `spreadCount` more, in one transaction.
 */
import { createMainKey } from "../app/models/api-keys.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import type { Db } from "../db/connection.js";

export interface BenchAccount {
  accountId: string;
  keyId: string;
  key: string;
}

/**
 * `label` names the rows: email `<label.email>-<i>@bench.test`, user
 * `<label.name> <i>`, account `<label.name> account <i>` (i = 0 for the first).
 */
export async function seedBenchAccounts(
  database: Db,
  label: { email: string; name: string },
  grants: { first: bigint; spread: bigint },
  spreadCount: number,
): Promise<{ first: BenchAccount; spread: BenchAccount[] }> {
  return database.transaction().execute(async (trx) => {
    const make = async (i: number, grant: bigint): Promise<BenchAccount> => {
      const user = await trx
        .insertInto("users")
        .values({ email: `${label.email}-${i}@bench.test`, name: `${label.name} ${i}`, provider: "google" })
        .returning("id")
        .executeTakeFirstOrThrow();
      const account = await trx
        .insertInto("accounts")
        .values({ name: `${label.name} account ${i}`, plan: "build" })
        .returning("id")
        .executeTakeFirstOrThrow();
      await trx.insertInto("memberships").values({ account_id: account.id, user_id: user.id, role: "owner" }).execute();
      const key = await createMainKey(trx, account.id, user.id);
      const granted = await postLedgerEntry(trx, {
        accountId: account.id,
        amountCents: grant,
        kind: "grant",
        idempotencyKey: "bench:grant",
        actor: { type: "system", id: null },
        note: "Benchmark credit",
      });
      if (granted.status !== "created") throw new Error(`Seeding account ${i}: grant ${granted.status}`);
      return { accountId: account.id, keyId: key.id, key: key.plaintext };
    };
    const first = await make(0, grants.first);
    const spread: BenchAccount[] = [];
    for (let i = 1; i <= spreadCount; i++) spread.push(await make(i, grants.spread));
    return { first, spread };
  });
}
