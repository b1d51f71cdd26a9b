/** /v1/* over real HTTP against the real web listener, PostgreSQL and its change feed. */
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { generateApiKey } from "../app/models/api-key-format.server.js";
import { deleteAdditionalKey, createAdditionalKey, regenerateMainKey } from "../app/models/api-keys.server.js";
import { blockAccount } from "../app/models/accounts.server.js";
import { ledgerSum } from "../app/models/ledger.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { useSuite } from "./helpers/suite.js";

// Loopback may vouch for X-Forwarded-For, so each test can be its own client address.
const t = useSuite({ app: true, appEnv: { TRUST_PROXY: "loopback" } });
let clientNo = 0;
const newClient = () => `10.9.${Math.floor(++clientNo / 250)}.${clientNo % 250}`;

async function call(
  path: string,
  init: { key?: string; method?: string; body?: unknown; raw?: string; client?: string; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${t.app.url}${path}`, {
    method: init.method ?? (init.body !== undefined || init.raw !== undefined ? "POST" : "GET"),
    headers: {
      ...(init.key ? { Authorization: `Bearer ${init.key}` } : {}),
      "Content-Type": "application/json",
      "X-Forwarded-For": init.client ?? newClient(),
      ...init.headers,
    },
    body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // leave null: the test asserts on it
  }
  return { status: res.status, json, text, headers: res.headers };
}

const usage = (key: string, amount_cents: unknown, idempotency_key: unknown = crypto.randomUUID()) =>
  call("/v1/usage", { key, body: { amount_cents, idempotency_key } });

describe("GET /v1/account", () => {
  it("answers the account for a valid key", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1234n, plan: "scale" });
    const r = await call("/v1/account", { key: a.key });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ id: a.accountId, plan: "scale", status: "active", balance_cents: 1234, credit_limit_cents: 10000 });
    expect(r.headers.get("content-type")).toBe("application/json");
  });

  it.each([
    ["missing", undefined, "missing_api_key"],
    ["not Bearer", "Basic abc", "invalid_api_key"],
    ["wrong length", "Bearer tgp_v1_short", "invalid_api_key"],
    ["wrong alphabet", `Bearer tgp_v1_${"é".repeat(43)}`, "invalid_api_key"],
    ["unknown", `Bearer ${generateApiKey()}`, "invalid_api_key"],
  ])("401 for a %s key, naming the class and never echoing it", async (_n, header, type) => {
    const r = await call("/v1/account", { headers: header ? { Authorization: header } : {} });
    expect(r.status).toBe(401);
    expect(r.json.error.type).toBe(type);
    if (header) expect(r.text).not.toContain(header.slice(7));
  });

  // Here the revocation happens outside the web process (in the test), so it is the
  // cross-process path: the cached verdict must go within 1 s (the notification).
  const within1s = { timeout: 1000, interval: 10 };

  it("a regenerated main key and a deleted key fail within a second though cached as valid; the new key works", async () => {
    const a = await accountWithKey(t.db);
    expect((await call("/v1/account", { key: a.key })).status).toBe(200); // now cached as valid
    const fresh = await regenerateMainKey(t.db, a.accountId, a.userId, { type: "user", id: a.userId });
    await expect.poll(async () => (await call("/v1/account", { key: a.key })).json?.error?.type, within1s).toBe("revoked_api_key");
    expect((await call("/v1/account", { key: fresh.plaintext })).status).toBe(200);

    const extra = await createAdditionalKey(t.db, a.accountId, "ci", a.userId, { type: "user", id: a.userId });
    if (!extra.ok) throw new Error(extra.message);
    expect((await call("/v1/account", { key: extra.key.plaintext })).status).toBe(200);
    expect(await deleteAdditionalKey(t.db, a.accountId, extra.key.id, { type: "user", id: a.userId })).toBe(true);
    await expect.poll(async () => (await call("/v1/account", { key: extra.key.plaintext })).json?.error?.type, within1s).toBe("revoked_api_key");
  });

  it("a blocked account gets 403", async () => {
    const a = await accountWithKey(t.db);
    expect((await call("/v1/account", { key: a.key })).status).toBe(200);
    await blockAccount(t.db, a.accountId, "abuse", { type: "system", id: null });
    await expect.poll(async () => (await call("/v1/account", { key: a.key })).json?.error?.type, { timeout: 1000, interval: 10 }).toBe("account_blocked");
  });

  it("wrong method is 405 with Allow; unknown path 404", async () => {
    const a = await accountWithKey(t.db);
    const r = await call("/v1/account", { key: a.key, method: "DELETE" });
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")).toBe("GET");
    expect((await call("/v1/usage", { key: a.key })).status).toBe(405);
    expect((await call("/v1/nothing", { key: a.key })).status).toBe(404);
  });

  it("records last use, coalesced: one write per key per minute", async () => {
    const a = await accountWithKey(t.db);
    await call("/v1/account", { key: a.key });
    await t.app.services.api.lastUsed.flush();
    const first = await t.db.selectFrom("api_keys").select("last_used_at").where("id", "=", a.keyId).executeTakeFirstOrThrow();
    expect(first.last_used_at).not.toBeNull();
    await call("/v1/account", { key: a.key });
    await t.app.services.api.lastUsed.flush();
    const second = await t.db.selectFrom("api_keys").select("last_used_at").where("id", "=", a.keyId).executeTakeFirstOrThrow();
    expect(second.last_used_at).toEqual(first.last_used_at);
  });

  it("failed attempts from one address are rate-limited with 429 and Retry-After; other addresses are not", async () => {
    const attacker = newClient();
    for (let i = 0; i < 20; i++) expect((await call("/v1/account", { key: generateApiKey(), client: attacker })).status).toBe(401);
    const limited = await call("/v1/account", { key: generateApiKey(), client: attacker });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const a = await accountWithKey(t.db);
    expect((await call("/v1/account", { key: a.key })).status).toBe(200);
  });
});

describe("POST /v1/usage", () => {
  it("debits, answers the new balance, and replays the same idempotency key without debiting again", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1000n });
    const first = await usage(a.key, 250, "req-1");
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ amount_cents: 250, balance_cents: 750, idempotency_key: "req-1", replayed: false });
    const again = await usage(a.key, 250, "req-1");
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ id: first.json.id, balance_cents: 750, replayed: true });
    const conflict = await usage(a.key, 300, "req-1");
    expect(conflict.status).toBe(409);
    expect(conflict.json.error).toMatchObject({ type: "idempotency_conflict", param: "idempotency_key" });
    expect(await ledgerSum(t.db, a.accountId)).toBe(750n);
  });

  it("may go down to −$100.00 and no further: the crossing debit is refused whole with 402", async () => {
    const a = await accountWithKey(t.db);
    expect((await usage(a.key, 9_999)).status).toBe(201);
    const refused = await usage(a.key, 2);
    expect(refused.status).toBe(402);
    expect(refused.json.error.type).toBe("insufficient_balance");
    expect((await usage(a.key, 1)).json.balance_cents).toBe(-10_000);
    expect((await usage(a.key, 1)).status).toBe(402);
    expect(await ledgerSum(t.db, a.accountId)).toBe(-10_000n);
  });

  it.each([
    ["not JSON", "{nope", undefined],
    ["missing amount", JSON.stringify({ idempotency_key: "k" }), "amount_cents"],
    ["amount a string", JSON.stringify({ amount_cents: "5", idempotency_key: "k" }), "amount_cents"],
    ["amount fractional", JSON.stringify({ amount_cents: 1.5, idempotency_key: "k" }), "amount_cents"],
    ["amount negative", JSON.stringify({ amount_cents: -5, idempotency_key: "k" }), "amount_cents"],
    ["amount zero", JSON.stringify({ amount_cents: 0, idempotency_key: "k" }), "amount_cents"],
    ["missing idempotency key", JSON.stringify({ amount_cents: 5 }), "idempotency_key"],
    ["idempotency key too long", JSON.stringify({ amount_cents: 5, idempotency_key: "x".repeat(300) }), "idempotency_key"],
    ["body an array", "[1,2]", "body"],
    ["body null", "null", "body"],
  ])("400 for %s, naming the field, and nothing debited", async (_n, raw, param) => {
    const a = await accountWithKey(t.db, { balanceCents: 500n });
    const r = await call("/v1/usage", { key: a.key, raw });
    expect(r.status).toBe(400);
    expect(r.json.error.type).toBe("invalid_request");
    if (param) expect(r.json.error.param).toBe(param);
    expect(await ledgerSum(t.db, a.accountId)).toBe(500n);
  });

  it("a 1 MB body is refused with 413 and nothing debited", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 500n });
    const r = await call("/v1/usage", { key: a.key, raw: JSON.stringify({ amount_cents: 1, idempotency_key: "x", pad: "y".repeat(1_000_000) }) });
    expect(r.status).toBe(413);
    expect(await ledgerSum(t.db, a.accountId)).toBe(500n);
  });

  it("200 concurrent debits never take the balance below −$100.00, and the balance equals the ledger sum", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 5_000n });
    const results = await Promise.all(Array.from({ length: 200 }, () => usage(a.key, 100)));
    const created = results.filter((r) => r.status === 201).length;
    const refused = results.filter((r) => r.status === 402).length;
    expect(created + refused).toBe(200);
    expect(created).toBe(150); // 50.00 + 100.00 of headroom, 1.00 each
    const row = await t.db.selectFrom("accounts").select("balance_cents").where("id", "=", a.accountId).executeTakeFirstOrThrow();
    expect(row.balance_cents).toBe("-10000");
    expect(await ledgerSum(t.db, a.accountId)).toBe(-10_000n);
  });

  it("the same idempotency key sent 20 times at once debits once", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 5_000n });
    const results = await Promise.all(Array.from({ length: 20 }, () => usage(a.key, 700, "burst")));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(19);
    expect(new Set(results.map((r) => r.json.id)).size).toBe(1);
    expect(await ledgerSum(t.db, a.accountId)).toBe(4_300n);
  });
});

describe("keys at rest", () => {
  it("no table holds a usable key: a dump of every row contains neither a key nor its secret part", async () => {
    const a = await accountWithKey(t.db);
    const extra = await createAdditionalKey(t.db, a.accountId, "dump-test", a.userId, { type: "user", id: a.userId });
    if (!extra.ok) throw new Error(extra.message);
    await call("/v1/account", { key: a.key });
    await t.app.services.api.lastUsed.flush();
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(t.db);
    let dump = "";
    for (const { table_name } of tables.rows) {
      const rows = await sql<{ row: string }>`SELECT row_to_json(x)::text AS row FROM ${sql.table(table_name)} x`.execute(t.db);
      dump += rows.rows.map((r) => r.row).join("\n");
    }
    expect(dump.length).toBeGreaterThan(1000);
    for (const key of [a.key, extra.key.plaintext]) {
      expect(dump).not.toContain(key.slice(7)); // the secret body
      expect(dump).not.toContain(key.slice(11, 40)); // any long run of it
    }
  });
});
