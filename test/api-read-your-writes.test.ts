/**
 * Read-your-writes on one web process (issue 13, finding 7): right after a
 * POST /v1/usage, GET /v1/account on the same process shows the balance the
 * debit left, without waiting for the account_changed NOTIFY. The slow-feed
 * cases hold the notifications back, as a busy long-running process does,
 * which made every read stale before the fix (and 5 of 60 on a real instance).
 */
import { afterEach, describe, expect, it } from "vitest";
import { accountWithKey } from "./helpers/accounts.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite({ app: true });

async function call(key: string, path: string, body?: unknown) {
  const res = await fetch(`${t.app.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as { balance_cents: number } };
}
const balance = async (key: string) => (await call(key, "/v1/account")).json.balance_cents;
const debit = (key: string, cents: number) => call(key, "/v1/usage", { amount_cents: cents, idempotency_key: crypto.randomUUID() });

/** Holds every account_changed notification of the app's process back by `ms` (they still arrive, late). */
let restoreFeed: (() => void) | null = null;
function slowFeed(ms: number) {
  const accounts = t.app.services.api.accounts;
  const notified = accounts.notified;
  const timers = new Set<NodeJS.Timeout>();
  accounts.notified = (payload: string) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      notified.call(accounts, payload);
    }, ms);
    timers.add(timer);
  };
  restoreFeed = () => {
    accounts.notified = notified;
    for (const timer of timers) clearTimeout(timer);
    accounts.cache.reset(); // what the held-back notifications would have dropped
  };
}
afterEach(() => {
  restoreFeed?.();
  restoreFeed = null;
});

describe("GET /v1/account right after POST /v1/usage on the same process", () => {
  it("shows the post-debit balance, 100 times in a row", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    let expected = 10_000;
    const stale: number[] = [];
    for (let i = 0; i < 100; i++) {
      expect(await balance(a.key)).toBeGreaterThanOrEqual(expected); // the snapshot is cached now
      const r = await debit(a.key, 7);
      expect(r.status).toBe(201);
      expected -= 7;
      expect(r.json.balance_cents).toBe(expected);
      if ((await balance(a.key)) !== expected) stale.push(i);
    }
    expect(stale).toEqual([]);
  });

  it("with the notifications held back 300 ms: still the post-debit balance, 60 times in a row", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    slowFeed(300);
    let expected = 10_000;
    const stale: number[] = [];
    for (let i = 0; i < 60; i++) {
      await balance(a.key);
      expect((await debit(a.key, 11)).status).toBe(201);
      expected -= 11;
      if ((await balance(a.key)) !== expected) stale.push(i);
    }
    expect(stale).toEqual([]);
  });

  it("concurrent debits finishing in any order: the read after them all shows the last balance, never an earlier one", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    slowFeed(300);
    let expected = 10_000;
    for (let round = 0; round < 10; round++) {
      await balance(a.key);
      const results = await Promise.all(Array.from({ length: 20 }, () => debit(a.key, 3)));
      expect(results.every((r) => r.status === 201)).toBe(true);
      expected -= 60;
      expect(Math.min(...results.map((r) => r.json.balance_cents))).toBe(expected);
      expect(await balance(a.key)).toBe(expected);
    }
  });

  it("a change made elsewhere still reaches this process through the notification", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    expect((await debit(a.key, 100)).status).toBe(201);
    expect(await balance(a.key)).toBe(9_900);
    // Another process (here the test) changes the row: the cached snapshot must go.
    await t.db.updateTable("accounts").set({ plan: "scale" }).where("id", "=", a.accountId).execute();
    await expect
      .poll(async () => (await call(a.key, "/v1/account")).json, { timeout: 2000, interval: 10 })
      .toMatchObject({ plan: "scale", balance_cents: 9_900 });
  });
});
