/**
 * The verifier against a real database, every query it makes counted (a
 * Kysely plugin sees each one): a key with a wrong checksum costs no query
 * once no legacy key remains, and is looked up while one does; an expiry
 * carried by a cached verdict is checked against the clock on every call.
 */
import fc from "fast-check";
import { sql, type KyselyPlugin } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freshDatabase, truncateAll, type FreshDatabase } from "../../test/helpers/database.js";
import { accountWithKey, makeMainKeyLegacy } from "../../test/helpers/accounts.js";
import { generateApiKey, hashApiKey, isWellFormedApiKey, KEY_PREFIX } from "../models/api-key-format.server.js";
import { createAdditionalKey } from "../models/api-keys.server.js";
import { KeyVerifier, LEGACY_RECHECK_MS, LegacyKeys } from "./key-verifier.server.js";

let fresh: FreshDatabase;
let queries = 0;
const counting: KyselyPlugin = {
  transformQuery(args) {
    queries++;
    return args.node;
  },
  transformResult: async (args) => args.result,
};
const countedDb = () => fresh.db.withPlugin(counting);

beforeAll(async () => {
  fresh = await freshDatabase();
});
afterAll(() => fresh.destroy());
beforeEach(async () => {
  await truncateAll(fresh.db);
  queries = 0;
});

/** A clock the test moves; the verifier's cache and expiry checks read it. */
function clock(start = Date.now()) {
  let now = start;
  return { now: () => now, set: (ms: number) => (now = ms), advance: (ms: number) => (now += ms) };
}

/** The key with one character of its body changed (still well formed, so it reaches the verifier). */
function oneCharChanged(key: string, pos: number, alphabetIndex: number): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  let c = alphabet[alphabetIndex % alphabet.length];
  if (c === key[pos]) c = alphabet[(alphabetIndex + 1) % alphabet.length];
  return key.slice(0, pos) + c + key.slice(pos + 1);
}
const bodyPosition = fc.integer({ min: KEY_PREFIX.length, max: KEY_PREFIX.length + 42 });

describe("the legacy-key gate", () => {
  it("while a legacy key is live, a key with a wrong checksum is looked up (and the legacy key works); once none is, it is refused with no query", async () => {
    const a = await accountWithKey(fresh.db);
    const legacyOwner = await accountWithKey(fresh.db);
    const legacy = await makeMainKeyLegacy(fresh.db, legacyOwner.accountId);
    const verifier = new KeyVerifier(countedDb(), () => true);
    await verifier.legacy.refresh();
    expect(verifier.legacy.remain()).toBe(true);

    queries = 0;
    expect(await verifier.verify(legacy)).toMatchObject({ ok: true, accountId: legacyOwner.accountId });
    expect(queries, "the legacy key is looked up").toBe(1);
    const typo = oneCharChanged(a.key, 20, 3);
    queries = 0;
    expect(await verifier.verify(typo)).toEqual({ ok: false, reason: "invalid" });
    expect(queries, "a wrong checksum is looked up while legacy keys remain").toBe(1);

    // The last legacy key goes (rolled, regenerated, deleted: revoked); the gate learns it at its next question.
    await fresh.db.updateTable("api_keys").set({ status: "revoked", revoked_reason: "regenerated" }).where("key_hash", "=", hashApiKey(legacy)).execute();
    await verifier.legacy.refresh();
    expect(verifier.legacy.remain()).toBe(false);

    queries = 0;
    await fc.assert(
      fc.asyncProperty(bodyPosition, fc.nat(), async (pos, c) => {
        const changed = oneCharChanged(a.key, pos, c);
        expect(isWellFormedApiKey(changed)).toBe(true);
        expect(await verifier.verify(changed)).toEqual({ ok: false, reason: "invalid" });
      }),
      { numRuns: 300, seed: 1616 },
    );
    // The dead legacy key itself is not even looked up any more (a lookup would have said "revoked").
    expect(await verifier.verify(legacy)).toEqual({ ok: false, reason: "invalid" });
    expect(queries, "no query for any key with a wrong checksum").toBe(0);

    // A checksummed key is still looked up as ever: the real one works, an unknown one with a valid checksum is unknown.
    expect(await verifier.verify(a.key)).toMatchObject({ ok: true, keyId: a.keyId });
    expect(await verifier.verify(generateApiKey())).toEqual({ ok: false, reason: "invalid" });
    expect(queries).toBe(2);
  });

  it("a legacy key past its expiry counts as gone; the gate asks again every 30 s while keys remain, and never once none do", async () => {
    const owner = await accountWithKey(fresh.db);
    const legacy = await makeMainKeyLegacy(fresh.db, owner.accountId);
    const time = clock();
    const gate = new LegacyKeys(countedDb(), time.now);
    // Before its first answer the gate assumes legacy keys exist (the safe answer), and asks.
    expect(gate.remain()).toBe(true);
    expect(queries).toBe(1);
    await gate.refresh();
    expect(gate.remain()).toBe(true);

    await fresh.db
      .updateTable("api_keys")
      .set({ expires_at: sql`now() - interval '1 second'` })
      .where("key_hash", "=", hashApiKey(legacy))
      .execute();
    queries = 0;
    time.advance(LEGACY_RECHECK_MS - 1);
    expect(gate.remain(), "not asked again before 30 s").toBe(true);
    expect(queries).toBe(0);
    time.advance(1);
    expect(gate.remain(), "this call still answers yes while the question is out").toBe(true);
    expect(queries).toBe(1);
    await gate.refresh();
    expect(gate.remain()).toBe(false);

    queries = 0;
    time.advance(10 * LEGACY_RECHECK_MS);
    expect(gate.remain()).toBe(false);
    expect(queries, "once no, never asked again").toBe(0);
  });

  it("a question the database does not answer leaves the safe answer: keys are looked up", async () => {
    const failing = fresh.db.withPlugin({
      transformQuery() {
        throw new Error("database unavailable");
      },
      transformResult: async (args) => args.result,
    });
    const gate = new LegacyKeys(failing);
    await gate.refresh();
    expect(gate.remain()).toBe(true);
  });
});

describe("expiry on a cached verdict", () => {
  it("a key is accepted until its expiry and refused from that instant, naming it, though its verdict is cached", async () => {
    const a = await accountWithKey(fresh.db);
    const expiresAt = new Date(Date.now() + 86_400_000);
    const created = await createAdditionalKey(fresh.db, a.accountId, "ci", a.userId, { type: "user", id: a.userId }, { expiresAt });
    if (!created.ok) throw new Error(created.message);
    const end = expiresAt.getTime();
    const time = clock(end - 5_000);
    const verifier = new KeyVerifier(countedDb(), () => true, time.now);

    queries = 0;
    expect(await verifier.verify(created.key.plaintext)).toEqual({ ok: true, keyId: created.key.id, accountId: a.accountId, expiresAt: end });
    expect(queries).toBe(1);
    time.set(end - 1);
    expect(await verifier.verify(created.key.plaintext)).toMatchObject({ ok: true });
    time.set(end);
    expect(await verifier.verify(created.key.plaintext)).toEqual({ ok: false, reason: "expired", expiredAt: expiresAt.toISOString() });
    time.set(end + 4_000);
    expect(await verifier.verify(created.key.plaintext)).toMatchObject({ ok: false, reason: "expired" });
    expect(queries, "all from the cached verdict").toBe(1);
    // Once the cached verdict is gone, the row says the same.
    time.set(end + 60_000);
    expect(await verifier.verify(created.key.plaintext)).toMatchObject({ ok: false, reason: "expired" });
    expect(queries).toBe(2);
  });

  it("a revoked key is revoked, one revoked as leaked says so", async () => {
    const a = await accountWithKey(fresh.db);
    const b = await accountWithKey(fresh.db);
    await fresh.db.updateTable("api_keys").set({ status: "revoked", revoked_reason: "deleted" }).where("id", "=", a.keyId).execute();
    await fresh.db
      .updateTable("api_keys")
      .set({ status: "revoked", revoked_reason: "leaked", leaked_url: "https://example.com/x" })
      .where("id", "=", b.keyId)
      .execute();
    const verifier = new KeyVerifier(countedDb(), () => true);
    expect(await verifier.verify(a.key)).toEqual({ ok: false, reason: "revoked" });
    expect(await verifier.verify(b.key)).toEqual({ ok: false, reason: "leaked" });
  });
});
