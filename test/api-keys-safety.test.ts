/**
 * Keys that protect themselves (issue 16), over real HTTP against two web
 * listeners on one database (each with its own verdict cache and change feed,
 * as two web processes have): keys from before checksums work while any is
 * live and then stop being looked up; an expiry and a rolled key's end are
 * enforced on every process from that instant, though verdicts are cached; a
 * key's monthly spend limit holds exactly under 100 concurrent debits, beside
 * the account's own floor; a roll keeps exactly one primary main key.
 */
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey, hashApiKey } from "../app/models/api-key-format.server.js";
import { ledgerSum, postLedgerEntry } from "../app/models/ledger.server.js";
import { changeKeySpendLimit, createNamedKey, regenerateAccountMainKey, rollAccountMainKey, stopOldMainKey } from "../app/services/keys.server.js";
import { removeFromAccount } from "../app/services/members.server.js";
import { accountWithKey, makeMainKeyLegacy } from "./helpers/accounts.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();
/** Two web listeners: A (the one a person's browser talks to) and B, "another machine". */
let A: TestApp;
let B: TestApp;
const started: TestApp[] = [];
const startApp = async () => {
  const app = await startTestApp({
    db: t.db,
    databaseUrl: t.databaseUrl,
    temporal: t.temporal.client,
    taskQueue: t.temporal.taskQueue,
    env: { TRUST_PROXY: "loopback" },
  });
  started.push(app);
  return app;
};

// Loopback may vouch for X-Forwarded-For: each call is its own client, so refusals never add up to a rate limit.
let clientNo = 0;
const newClient = () => `10.16.${Math.floor(++clientNo / 250) % 250}.${clientNo % 250}`;

async function call(app: TestApp, path: string, key: string, body?: unknown) {
  const res = await fetch(`${app.url}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", "X-Forwarded-For": newClient() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => null)) as any;
  return { status: res.status, json, type: json?.error?.type as string | undefined };
}
const account = (app: TestApp, key: string) => call(app, "/v1/account", key);
const usage = (app: TestApp, key: string, amount_cents: number, idempotency_key: string = randomUUID()) =>
  call(app, "/v1/usage", key, { amount_cents, idempotency_key });
const actorOf = (userId: string) => ({ type: "user" as const, id: userId });

const THIS_MONTH = sql<string>`date_trunc('month', now() AT TIME ZONE 'UTC')::date`;
const spentThisMonth = async (keyId: string) =>
  BigInt(
    (await t.db.selectFrom("api_key_month_spend").select("spent_cents").where("key_id", "=", keyId).where("month", "=", THIS_MONTH).executeTakeFirst())
      ?.spent_cents ?? 0,
  );
/** This month's usage debits the ledger holds for the key (what the month spend must always equal). */
const ledgerUsageThisMonth = async (accountId: string, keyId: string) => {
  const row = await t.db
    .selectFrom("ledger_entries")
    .select(sql<string>`coalesce(-sum(amount_cents), 0)::text`.as("spent"))
    .where("account_id", "=", accountId)
    .where("kind", "=", "usage")
    .where("actor_type", "=", "api_key")
    .where("actor_id", "=", keyId)
    .where(sql<boolean>`date_trunc('month', created_at AT TIME ZONE 'UTC')::date = ${THIS_MONTH}`)
    .executeTakeFirstOrThrow();
  return BigInt(row.spent);
};
const balanceOf = async (accountId: string) =>
  BigInt((await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", accountId).executeTakeFirstOrThrow()).balance_cents);
async function expectBooksBalance(accountId: string, keyIds: string[]) {
  expect(await ledgerSum(t.db, accountId), "the ledger's sum is the balance").toBe(await balanceOf(accountId));
  for (const keyId of keyIds)
    expect(await spentThisMonth(keyId), "the month spend is the key's usage in the ledger").toBe(await ledgerUsageThisMonth(accountId, keyId));
}
const tally = (statuses: { status: number; type?: string }[]) => {
  const out: Record<string, number> = {};
  for (const r of statuses) out[r.type ?? String(r.status)] = (out[r.type ?? String(r.status)] ?? 0) + 1;
  return out;
};

// Legacy keys must exist before the web process starts: it asks once at start (then every 30 s while the answer is yes).
let legacy: { accountId: string; userId: string; key: string };
let rolledLegacy: { accountId: string; userId: string; key: string };
beforeAll(async () => {
  const a = await accountWithKey(t.db);
  legacy = { ...a, key: await makeMainKeyLegacy(t.db, a.accountId) };
  const b = await accountWithKey(t.db);
  rolledLegacy = { ...b, key: await makeMainKeyLegacy(t.db, b.accountId) };
  [A, B] = await Promise.all([startApp(), startApp()]);
});
afterAll(async () => {
  await Promise.all(started.map((app) => app.stop()));
});

describe("keys from before checksums", () => {
  it("work while live (even rolled, in the window); once none is live, a wrong checksum is refused before any lookup", async () => {
    const fresh = await accountWithKey(t.db);
    const typo = fresh.key.slice(0, 30) + (fresh.key[30] === "x" ? "y" : "x") + fresh.key.slice(31);
    expect((await account(A, legacy.key)).status).toBe(200);
    expect((await usage(A, legacy.key, 1)).status).toBe(201);
    expect(await account(A, typo)).toMatchObject({ status: 401, type: "invalid_api_key" });

    // One legacy key regenerated: dead. It is still looked up (another is live), so it says "revoked".
    await regenerateAccountMainKey(A.services, legacy.accountId, legacy.userId, actorOf(legacy.userId));
    expect(await account(A, legacy.key)).toMatchObject({ status: 401, type: "revoked_api_key" });
    // The other one rolled: it keeps working in its window, and keeps the lookups on.
    const rolled = await rollAccountMainKey(A.services, rolledLegacy.accountId, rolledLegacy.userId, "1h", actorOf(rolledLegacy.userId));
    await A.services.api.verifier.legacy.refresh();
    expect(A.services.api.verifier.legacy.remain()).toBe(true);
    expect((await account(A, rolledLegacy.key)).status).toBe(200);
    expect((await account(A, rolled.key.plaintext)).status).toBe(200);

    // "Stop the old key now": the last legacy key is gone. Once the process has asked again (every 30 s;
    // asked here at once), a key with a wrong checksum is refused unlooked-up: the dead legacy keys are
    // "invalid", no longer "revoked", which only a lookup can tell.
    expect(await stopOldMainKey(A.services, rolledLegacy.accountId, rolled.old!.id, actorOf(rolledLegacy.userId))).not.toBeNull();
    await A.services.api.verifier.legacy.refresh();
    expect(A.services.api.verifier.legacy.remain()).toBe(false);
    for (const key of [legacy.key, rolledLegacy.key, typo]) expect(await account(A, key)).toMatchObject({ status: 401, type: "invalid_api_key" });
    expect((await account(A, fresh.key)).status).toBe(200);

    // A process started now knows it from the start.
    const C = await startApp();
    expect(C.services.api.verifier.legacy.remain()).toBe(false);
    expect(await account(C, legacy.key)).toMatchObject({ status: 401, type: "invalid_api_key" });
    expect((await account(C, rolled.key.plaintext)).status).toBe(200);
  });
});

describe("expiry", () => {
  it("a key works until its expiry and is refused from then on every process, naming the expiry, though its verdict is cached", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    const created = await createNamedKey(A.services, a.accountId, "ci", a.userId, actorOf(a.userId), { expiresAt: new Date(Date.now() + 2_500) });
    if (!created.ok) throw new Error(created.message);
    const key = created.key.plaintext;
    const end = (await t.db.selectFrom("api_keys").select("expires_at").where("id", "=", created.key.id).executeTakeFirstOrThrow()).expires_at!;
    // Cached as valid on both processes.
    for (const app of [A, B]) expect((await account(app, key)).status).toBe(200);

    const seen: { app: string; at: number; status: number; type?: string; message?: string }[] = [];
    const deadline = end.getTime() + 1_000;
    const refusedOn = new Set<string>();
    while (refusedOn.size < 2 && Date.now() < deadline + 2_000) {
      await Promise.all(
        (["A", "B"] as const).map(async (name) => {
          const at = Date.now();
          const r = await (name === "A" ? usage(A, key, 1) : account(B, key));
          seen.push({ app: name, at, status: r.status, type: r.type, message: r.json?.error?.message });
          if (r.status === 401) refusedOn.add(name);
        }),
      );
      await new Promise((r) => setTimeout(r, 20)); // poll interval, under the deadline above
    }
    const ok = seen.filter((s) => s.status < 300);
    const refused = seen.filter((s) => s.status === 401);
    expect(ok.length, "it worked before its end").toBeGreaterThan(0);
    // No success for a request made after the end (the web listeners run on this process's clock).
    expect(ok.filter((s) => s.at >= end.getTime())).toEqual([]);
    for (const name of ["A", "B"]) {
      const first = refused.find((s) => s.app === name);
      expect(first, `refused on ${name}`).toBeDefined();
      expect(first!.at, `refused on ${name} within a second of the end`).toBeLessThan(deadline);
    }
    for (const r of refused) {
      expect(r.type).toBe("expired_api_key");
      expect(r.message).toContain(end.toISOString());
    }
    expect(seen.filter((s) => s.status !== 200 && s.status !== 201 && s.status !== 401)).toEqual([]);
    await expectBooksBalance(a.accountId, [created.key.id]);
  });
});

describe("a key's monthly spend limit", () => {
  async function keyWithLimit(limitCents: bigint, balanceCents = 100_000n) {
    const a = await accountWithKey(t.db, { balanceCents });
    const created = await createNamedKey(A.services, a.accountId, "metered", a.userId, actorOf(a.userId), { spendLimitCents: limitCents });
    if (!created.ok) throw new Error(created.message);
    return { ...a, limited: created.key };
  }

  it("100 concurrent debits of 10¢ up to exactly $10.00 all pass; one more cent is refused 402; a replay still answers its first result", async () => {
    const a = await keyWithLimit(1_000n);
    const ids = Array.from({ length: 100 }, () => randomUUID());
    const answers = await Promise.all(ids.map((id, i) => usage(i % 2 ? A : B, a.limited.plaintext, 10, id)));
    expect(tally(answers)).toEqual({ "201": 100 });
    expect(await spentThisMonth(a.limited.id)).toBe(1_000n);

    const over = await usage(A, a.limited.plaintext, 1);
    expect(over).toMatchObject({ status: 402, type: "key_spend_limit_reached" });
    expect(over.json.error).toMatchObject({ spend_limit_cents: 1_000, spent_this_month_cents: 1_000 });
    expect((await usage(B, a.limited.plaintext, 1)).type).toBe("key_spend_limit_reached");
    // The account's other keys are not limited by it.
    expect((await usage(A, a.key, 1)).status).toBe(201);

    // A client retrying a debit that was posted gets its first answer, not the limit.
    const first = answers[0].json;
    const replay = await usage(B, a.limited.plaintext, 10, ids[0]);
    expect(replay.status).toBe(200);
    expect(replay.json).toEqual({ ...first, replayed: true });
    expect((await usage(A, a.limited.plaintext, 11, ids[1])).type).toBe("idempotency_conflict");

    // Raised, it holds from the next debit; cleared, there is none.
    await changeKeySpendLimit(A.services, a.accountId, a.limited.id, 1_005n, actorOf(a.userId));
    expect((await usage(A, a.limited.plaintext, 5)).status).toBe(201);
    expect((await usage(A, a.limited.plaintext, 1)).type).toBe("key_spend_limit_reached");
    await changeKeySpendLimit(A.services, a.accountId, a.limited.id, null, actorOf(a.userId));
    expect((await usage(A, a.limited.plaintext, 500)).status).toBe(201);
    await expectBooksBalance(a.accountId, [a.limited.id, a.keyId]);
    expect(await balanceOf(a.accountId)).toBe(100_000n - 1_000n - 1n - 5n - 500n);
  });

  it("101 concurrent debits against a $10.00 limit: exactly 100 pass, one is refused 402", async () => {
    const a = await keyWithLimit(1_000n);
    const answers = await Promise.all(Array.from({ length: 101 }, (_, i) => usage(i % 2 ? A : B, a.limited.plaintext, 10)));
    expect(tally(answers)).toEqual({ "201": 100, key_spend_limit_reached: 1 });
    expect(await spentThisMonth(a.limited.id)).toBe(1_000n);
    await expectBooksBalance(a.accountId, [a.limited.id]);
  });

  it("uneven concurrent debits never pass the limit, and stop only when the next one would", async () => {
    // 4,867¢ asked for in all, 2,500¢ allowed: about half are refused, in whatever order they arrive.
    const a = await keyWithLimit(2_500n);
    const amounts = Array.from({ length: 100 }, (_, i) => 1 + ((i * 37) % 97));
    const answers = await Promise.all(amounts.map((c, i) => usage(i % 2 ? A : B, a.limited.plaintext, c)));
    const spent = await spentThisMonth(a.limited.id);
    expect(spent).toBeLessThanOrEqual(2_500n);
    expect(answers.filter((r) => r.status === 402).length).toBeGreaterThan(10);
    expect(spent).toBe(BigInt(amounts.filter((_, i) => answers[i].status === 201).reduce((s, c) => s + c, 0)));
    // Every refusal was right when it was made: spend only grew, so it would pass the limit even now.
    for (const [i, r] of answers.entries()) {
      if (r.status === 402) expect(spent + BigInt(amounts[i]), `debit of ${amounts[i]}¢ refused`).toBeGreaterThan(2_500n);
      else expect(r.status).toBe(201);
    }
    await expectBooksBalance(a.accountId, [a.limited.id]);
  });

  it("the account's floor still applies under a high key limit, also under 101 concurrent debits", async () => {
    // $0.00 balance, floor −$100.00, key limit $1,000: the floor is what stops it.
    const a = await keyWithLimit(100_000n, 0n);
    expect(await usage(A, a.limited.plaintext, 10_001)).toMatchObject({ status: 402, type: "insufficient_balance" });
    const answers = await Promise.all(Array.from({ length: 101 }, (_, i) => usage(i % 2 ? A : B, a.limited.plaintext, 100)));
    expect(tally(answers)).toEqual({ "201": 100, insufficient_balance: 1 });
    expect(await balanceOf(a.accountId)).toBe(-10_000n);
    expect(await spentThisMonth(a.limited.id)).toBe(10_000n);
    await expectBooksBalance(a.accountId, [a.limited.id]);
  });

  it("resets at the start of the month: last month's spend does not count", async () => {
    const a = await keyWithLimit(1_000n);
    await t.db
      .insertInto("api_key_month_spend")
      .values({ key_id: a.limited.id, month: sql`(${THIS_MONTH} - interval '1 month')::date`, spent_cents: "1000" })
      .execute();
    expect((await usage(A, a.limited.plaintext, 1_000)).status).toBe(201);
    expect((await usage(B, a.limited.plaintext, 1)).type).toBe("key_spend_limit_reached");
    const months = await t.db
      .selectFrom("api_key_month_spend")
      .select([sql<string>`to_char(month, 'YYYY-MM-DD')`.as("month"), "spent_cents"])
      .where("key_id", "=", a.limited.id)
      .orderBy("month")
      .execute();
    expect(months.map((m) => m.spent_cents)).toEqual(["1000", "1000"]);
    expect(months[1].month.endsWith("-01")).toBe(true);
    // A credit made with the key's actor (none is, but the ledger allows it) is no spend.
    await postLedgerEntry(t.db, {
      accountId: a.accountId,
      amountCents: 5n,
      kind: "grant",
      idempotencyKey: `grant:${randomUUID()}`,
      actor: { type: "system", id: null },
      spendingKeyId: a.limited.id,
    });
    expect(await spentThisMonth(a.limited.id)).toBe(1_000n);
  });
});

describe("rolling the main key", () => {
  const primaries = async (accountId: string) =>
    (
      await t.db
        .selectFrom("api_keys")
        .select("id")
        .where("account_id", "=", accountId)
        .where("kind", "=", "main")
        .where("status", "=", "active")
        .where("superseded_at", "is", null)
        .execute()
    ).map((r) => r.id);

  it("both keys work inside the window; at its end the old one stops on both processes within a second, the new one goes on", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 10_000n });
    for (const app of [A, B]) expect((await account(app, a.key)).status).toBe(200); // cached as valid, with no end
    const rolled = await rollAccountMainKey(A.services, a.accountId, a.userId, "1h", actorOf(a.userId));
    expect(rolled.old).toMatchObject({ id: a.keyId });
    expect(rolled.old!.expiresAt.getTime() - Date.now()).toBeGreaterThan(3_590_000);
    expect(await primaries(a.accountId)).toEqual([rolled.key.id]);
    for (const app of [A, B]) {
      expect((await account(app, a.key)).status).toBe(200);
      expect((await account(app, rolled.key.plaintext)).status).toBe(200);
    }

    // The window's end, brought to two seconds from now (time to see the old key work on both first). The
    // change is announced like a revocation (the trigger notifies on expires_at too), so each process drops the
    // verdict it cached without the end and caches the next one with it.
    const { expires_at: end } = await t.db
      .updateTable("api_keys")
      .set({ expires_at: sql`now() + interval '2 seconds'` })
      .where("id", "=", a.keyId)
      .returning("expires_at")
      .executeTakeFirstOrThrow();
    const oldHash = hashApiKey(a.key).toString("hex");
    const announcedBy = Date.now() + 1_000;
    while ([A, B].some((app) => app.services.api.verifier.cache.get(oldHash) !== undefined)) {
      expect(Date.now(), "the new end reaches every process within a second").toBeLessThan(announcedBy);
      await new Promise((r) => setTimeout(r, 10)); // poll interval, under the deadline above
    }
    for (const app of [A, B]) expect((await account(app, a.key)).status).toBe(200); // cached again, now with the end

    const seen: { app: string; at: number; status: number; type?: string }[] = [];
    const refusedOn = new Set<string>();
    const deadline = end!.getTime() + 1_000;
    while (refusedOn.size < 2 && Date.now() < deadline + 2_000) {
      await Promise.all(
        [["A", A] as const, ["B", B] as const].map(async ([name, app]) => {
          const at = Date.now();
          const r = await usage(app, a.key, 1);
          seen.push({ app: name, at, status: r.status, type: r.type });
          if (r.status === 401) refusedOn.add(name);
        }),
      );
      await new Promise((r) => setTimeout(r, 20)); // poll interval, under the deadline above
    }
    const lastOk = Math.max(...seen.filter((s) => s.status === 201).map((s) => s.at));
    expect(lastOk, "no request with the old key succeeds after its end").toBeLessThan(end!.getTime());
    for (const name of ["A", "B"])
      expect(seen.find((s) => s.app === name && s.status === 401)?.at ?? Infinity, `old key refused on ${name}`).toBeLessThan(deadline);
    expect(new Set(seen.filter((s) => s.status === 401).map((s) => s.type))).toEqual(new Set(["expired_api_key"]));
    for (const app of [A, B]) {
      expect(await account(app, a.key)).toMatchObject({ status: 401, type: "expired_api_key" });
      expect((await usage(app, rolled.key.plaintext, 1)).status).toBe(201);
    }
    // Exactly one primary main key: the database refuses a second.
    await expect(
      t.db
        .insertInto("api_keys")
        .values({ account_id: a.accountId, kind: "main", name: "Main key", key_hash: hashApiKey(generateApiKey()), prefix: "tgp_v1_xxxx", last4: "xxxx" })
        .execute(),
    ).rejects.toThrow(/api_keys_one_primary_main/);
    expect(await primaries(a.accountId)).toEqual([rolled.key.id]);
    await expectBooksBalance(a.accountId, [a.keyId, rolled.key.id]);
  });

  it("regenerating during a roll kills both old keys at once, on every process", async () => {
    const a = await accountWithKey(t.db);
    const rolled = await rollAccountMainKey(A.services, a.accountId, a.userId, "24h", actorOf(a.userId));
    for (const app of [A, B]) for (const key of [a.key, rolled.key.plaintext]) expect((await account(app, key)).status).toBe(200);
    const fresh = await regenerateAccountMainKey(A.services, a.accountId, a.userId, actorOf(a.userId));
    for (const key of [a.key, rolled.key.plaintext]) {
      expect(await account(A, key)).toMatchObject({ status: 401, type: "revoked_api_key" });
      await expect.poll(async () => (await account(B, key)).type, { timeout: 1_000, interval: 10 }).toBe("revoked_api_key");
    }
    for (const app of [A, B]) expect((await account(app, fresh.plaintext)).status).toBe(200);
    expect(await primaries(a.accountId)).toEqual([fresh.id]);
    const live = await t.db.selectFrom("api_keys").select("id").where("account_id", "=", a.accountId).where("status", "=", "active").execute();
    expect(live.map((k) => k.id)).toEqual([fresh.id]);
  });

  it("removing the person who made one of the keys of a roll leaves exactly one primary main key", async () => {
    // An owner and an admin on a GPU Cluster account.
    const a = await accountWithKey(t.db, { plan: "gpu_cluster" });
    const admin = await t.db
      .insertInto("users")
      .values({ email: `${randomUUID()}@example.com`, name: "Admin", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: a.accountId, user_id: admin.id, role: "admin" }).execute();
    const second = await t.db
      .insertInto("users")
      .values({ email: `${randomUUID()}@example.com`, name: "Admin 2", provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: a.accountId, user_id: second.id, role: "admin" }).execute();

    // The admin rolls the owner's key: the new primary is the admin's, the old one (in its window) the owner's.
    const byAdmin = await rollAccountMainKey(A.services, a.accountId, admin.id, "7d", actorOf(admin.id));
    const removed = await removeFromAccount(A.services, { accountId: a.accountId, userId: admin.id, removedBy: a.userId }, actorOf(a.userId));
    expect(removed.ok).toBe(true);
    const replacement = removed.ok ? removed.newMainKey : null;
    expect(replacement, "the admin's primary key is replaced").toBeTruthy();
    const [primary] = await primaries(a.accountId);
    expect(await primaries(a.accountId)).toHaveLength(1);
    expect(primary).not.toBe(byAdmin.key.id);
    expect(await account(A, byAdmin.key.plaintext)).toMatchObject({ status: 401, type: "revoked_api_key" });
    expect((await account(A, a.key)).status, "the owner's rolled key keeps its window").toBe(200);
    expect((await account(A, replacement!.plaintext)).status).toBe(200);

    // The other way round: the second admin's key is rolled by the owner; removing the admin ends only the rolled one.
    const regenerated = await regenerateAccountMainKey(A.services, a.accountId, second.id, actorOf(second.id));
    const byOwner = await rollAccountMainKey(A.services, a.accountId, a.userId, "1h", actorOf(a.userId));
    const removed2 = await removeFromAccount(A.services, { accountId: a.accountId, userId: second.id, removedBy: a.userId }, actorOf(a.userId));
    expect(removed2).toMatchObject({ ok: true, newMainKey: null });
    expect(await primaries(a.accountId)).toEqual([byOwner.key.id]);
    expect(await account(A, regenerated.plaintext)).toMatchObject({ status: 401, type: "revoked_api_key" });
    expect((await account(A, byOwner.key.plaintext)).status).toBe(200);
  });
});
