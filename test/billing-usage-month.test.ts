/** monthSpendByKey: each key's usage this calendar month (UTC), as the API keys table shows it. */
import { beforeEach, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { monthSpendByKey } from "../app/models/usage.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();
beforeEach(async () => {
  await truncateAll(t.db);
});

let seq = 0;
/** A ledger row at a chosen time (the ledger's created_at defaults to now(); history needs the past). */
const entry = (accountId: string, at: string, cents: number, actor: { type: "api_key" | "system" | "user"; id: string | null }, kind = "usage") =>
  t.db
    .insertInto("ledger_entries")
    .values({
      account_id: accountId,
      amount_cents: cents,
      kind: kind as "usage",
      idempotency_key: `t:${++seq}`,
      balance_after_cents: 0,
      actor_type: actor.type,
      actor_id: actor.id,
      created_at: new Date(at),
    })
    .execute();

describe("monthSpendByKey", () => {
  it("sums each key's usage debits in the current UTC month only", async () => {
    const { accountId, keyId, userId } = await accountWithKey(t.db);
    // The ledger keeps the key's id as text and has no foreign key to api_keys: any id will do.
    const otherKey = randomUUID();
    const a = { type: "api_key" as const, id: keyId };
    const b = { type: "api_key" as const, id: otherKey };
    await entry(accountId, "2027-02-28T23:59:59.999Z", -1000, a); // last month
    await entry(accountId, "2027-03-01T00:00:00.000Z", -150, a);
    await entry(accountId, "2027-03-15T12:00:00.000Z", -25, a);
    await entry(accountId, "2027-03-31T23:59:59.999Z", -7, b);
    await entry(accountId, "2027-04-01T00:00:00.000Z", -500, b); // next month
    await entry(accountId, "2027-03-10T00:00:00.000Z", 5000, { type: "system", id: null }, "grant");
    await entry(accountId, "2027-03-10T00:00:00.000Z", -300, { type: "user", id: userId }, "adjustment");
    const spend = await monthSpendByKey(t.db, accountId, new Date("2027-03-20T08:00:00Z"));
    expect(Object.fromEntries(spend)).toEqual({ [keyId]: "175", [otherKey]: "7" });
  });

  it("is empty for an account with no usage, and ignores other accounts", async () => {
    const mine = await accountWithKey(t.db);
    const theirs = await accountWithKey(t.db);
    await entry(theirs.accountId, "2027-03-02T00:00:00Z", -40, { type: "api_key", id: theirs.keyId });
    expect((await monthSpendByKey(t.db, mine.accountId, new Date("2027-03-20T00:00:00Z"))).size).toBe(0);
  });
});
