/** keyMonthSpend: each key's usage this calendar month (UTC), as the API keys pages show it and its spend limit counts it. */
import { beforeEach, describe, expect, it } from "vitest";
import { keyMonthSpend } from "../app/models/usage.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();
beforeEach(async () => {
  await truncateAll(t.db);
});

/** A key's month counter as debits leave it (ledger.server.ts keeps them; history needs chosen months). */
const spent = (keyId: string, month: string, cents: number) =>
  t.db.insertInto("api_key_month_spend").values({ key_id: keyId, month, spent_cents: cents }).execute();

describe("keyMonthSpend", () => {
  it("reads each key's counter for the current UTC month only", async () => {
    const a = await accountWithKey(t.db);
    const other = await t.db
      .insertInto("api_keys")
      .values({ account_id: a.accountId, kind: "additional", name: "ci", key_hash: Buffer.alloc(32, 7), prefix: "tgp_v1_xxxx", last4: "xxxx" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await spent(a.keyId, "2027-02-01", 1000); // last month
    await spent(a.keyId, "2027-03-01", 175);
    await spent(other.id, "2027-03-01", 7);
    await spent(other.id, "2027-04-01", 500); // next month
    // 08:00 UTC on the 20th; also the last instant of the month, which is still March in UTC.
    for (const now of ["2027-03-20T08:00:00Z", "2027-03-31T23:59:59.999Z"]) {
      expect(Object.fromEntries(await keyMonthSpend(t.db, a.accountId, new Date(now)))).toEqual({ [a.keyId]: "175", [other.id]: "7" });
    }
    expect(Object.fromEntries(await keyMonthSpend(t.db, a.accountId, new Date("2027-04-01T00:00:00Z")))).toEqual({ [other.id]: "500" });
  });

  it("is empty for an account with no usage, and ignores other accounts", async () => {
    const mine = await accountWithKey(t.db);
    const theirs = await accountWithKey(t.db);
    await spent(theirs.keyId, "2027-03-01", 40);
    expect((await keyMonthSpend(t.db, mine.accountId, new Date("2027-03-20T00:00:00Z"))).size).toBe(0);
  });
});
