/** Every verification check of an email transfer, failing one at a time (real PostgreSQL). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accountWithKey } from "../../test/helpers/accounts.js";
import { freshDatabase, truncateAll, type FreshDatabase } from "../../test/helpers/database.js";
import { postLedgerEntry } from "./ledger.server.js";
import { createEmailTransferTicket, createWebTransferTicket, verifyTransferTicket } from "./tickets.server.js";

let fresh: FreshDatabase;
beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(() => fresh.destroy());
beforeEach(() => truncateAll(fresh.db));

const SYSTEM = { type: "system" as const, id: null };

async function setup() {
  const db = fresh.db;
  const old = await accountWithKey(db, { email: "old@example.com", balanceCents: 1_000n });
  const neu = await accountWithKey(db, { email: "new@example.com" });
  return { db, old, neu };
}

const failedOf = async (ticketId: string) => (await verifyTransferTicket(fresh.db, ticketId)).checks.filter((c) => !c.passed).map((c) => c.code);

describe("transfer verification", () => {
  it("passes every check for a proper request", async () => {
    const { db, old } = await setup();
    const id = await createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "NEW@example.com " }, SYSTEM);
    expect(await failedOf(id)).toEqual([]);
  });

  const cases: [string, (s: Awaited<ReturnType<typeof setup>>) => Promise<string>, string[]][] = [
    [
      "requester is not the old account's owner",
      async ({ db, old, neu }) =>
        createWebTransferTicket(db, { requesterUserId: neu.userId, oldAccountId: old.accountId, newAddress: "new@example.com" }, SYSTEM),
      ["requester_signed_in_as_old_owner"],
    ],
    [
      "mailed request whose sender failed SPF/DKIM",
      async ({ db }) => createEmailTransferTicket(db, { senderAddress: "old@example.com", senderVerdict: "fail", newAddress: "new@example.com" }, SYSTEM),
      ["sender_authenticated_as_old_owner"],
    ],
    [
      "mailed request from an address that owns no account",
      async ({ db }) => createEmailTransferTicket(db, { senderAddress: "stranger@example.com", senderVerdict: "pass", newAddress: "new@example.com" }, SYSTEM),
      ["sender_authenticated_as_old_owner", "old_account_active", "no_other_open_transfer"],
    ],
    [
      "old account is blocked",
      async ({ db, old }) => {
        await db.updateTable("accounts").set({ status: "blocked" }).where("id", "=", old.accountId).execute();
        return createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "new@example.com" }, SYSTEM);
      },
      ["old_account_active"],
    ],
    [
      "another transfer of the old account is open",
      async ({ db, old }) => {
        await createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "new@example.com" }, SYSTEM);
        return createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "new@example.com" }, SYSTEM);
      },
      ["no_other_open_transfer"],
    ],
    [
      "the new address has no account",
      async ({ db, old }) =>
        createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "nobody@example.com" }, SYSTEM),
      ["new_account_exists"],
    ],
    [
      "the new address is the old account's own",
      async ({ db, old }) => createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "old@example.com" }, SYSTEM),
      ["new_account_is_not_old"],
    ],
    [
      "the new account is blocked",
      async ({ db, old, neu }) => {
        await db.updateTable("accounts").set({ status: "blocked" }).where("id", "=", neu.accountId).execute();
        return createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "new@example.com" }, SYSTEM);
      },
      ["new_account_active"],
    ],
    [
      "the new account is being deleted",
      async ({ db, old, neu }) => {
        await db.updateTable("accounts").set({ status: "deleting" }).where("id", "=", neu.accountId).execute();
        return createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "new@example.com" }, SYSTEM);
      },
      ["new_account_active", "new_account_not_being_deleted"],
    ],
    [
      "the two balances together would cross the new account's credit limit",
      async ({ db, old, neu }) => {
        await postLedgerEntry(db, { accountId: old.accountId, amountCents: -7_000n, kind: "usage", idempotencyKey: "o", actor: SYSTEM });
        await postLedgerEntry(db, { accountId: neu.accountId, amountCents: -5_000n, kind: "usage", idempotencyKey: "n", actor: SYSTEM });
        return createWebTransferTicket(db, { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: "new@example.com" }, SYSTEM);
      },
      ["combined_balance_within_credit_limit"],
    ],
  ];

  it.each(cases)("fails when %s", async (_name, make, expected) => {
    const s = await setup();
    expect(await failedOf(await make(s))).toEqual(expected);
  });
});
