/**
 * Text that cannot be stored as sent (NUL, a lone surrogate, bytes that are
 * not UTF-8) is refused with 400 naming the field at every boundary, and
 * changes nothing (app/validation/text.ts). The case that made it matter: an
 * idempotency key "k1-\ud800" was stored as "k1-\ufffd", so that other key
 * was answered as a replay and nothing was debited.
 */
import { describe, expect, it } from "vitest";
import { storableIdentity } from "../app/auth/providers.server.js";
import { parseAuditQuery } from "../app/models/audit-search.server.js";
import { ledgerSum } from "../app/models/ledger.server.js";
import type { ProviderIdentity } from "../app/models/sign-in.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { signedInboundHeaders } from "./helpers/inbound-mail.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";

const SECRET = "test-inbound-email-secret-0123456789abcdef";
const t = useSuite({ app: true, appEnv: { INBOUND_EMAIL_SECRET: SECRET } });

type ApiError = { error?: { type: string; message: string; param?: string } };

async function postRaw(path: string, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(`${t.app.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await res.text();
  let json: (ApiError & Record<string, unknown>) | null = null;
  try {
    json = JSON.parse(text);
  } catch {
    // left null: the test asserts on it
  }
  return { status: res.status, json, text };
}

const countRows = async (table: "ledger_entries" | "support_tickets" | "api_keys", accountId?: string) => {
  let q = t.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as("n"));
  if (accountId) q = q.where("account_id", "=", accountId);
  return Number((await q.executeTakeFirstOrThrow()).n);
};

describe("POST /v1/usage", () => {
  const usage = (key: string, body: string | Uint8Array) => postRaw("/v1/usage", body, { Authorization: `Bearer ${key}` });

  it('"a\\u0000b" as idempotency_key is a 400 naming idempotency_key (not a 503 to retry forever), and debits nothing', async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1000n });
    const r = await usage(a.key, '{"amount_cents":5,"idempotency_key":"a\\u0000b"}');
    expect(r.status).toBe(400);
    expect(r.json?.error).toMatchObject({ type: "invalid_request", param: "idempotency_key" });
    expect(r.json?.error?.message).toMatch(/^idempotency_key must not contain the NUL character/);
    expect(await ledgerSum(t.db, a.accountId)).toBe(1000n);
  });

  it('"k1-\\ud800" is a 400; the different key "k1-\\ufffd" afterwards is a new debit, not a replay', async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1000n });
    const lone = JSON.stringify({ amount_cents: 7, idempotency_key: "k1-\ud800" });
    expect(lone).toContain("\\ud800"); // the escape travels, as a client's JSON encoder sends it
    const refused = await usage(a.key, lone);
    expect(refused.status).toBe(400);
    expect(refused.json?.error).toMatchObject({ type: "invalid_request", param: "idempotency_key" });
    expect(refused.json?.error?.message).toMatch(/^idempotency_key must be well-formed Unicode/);
    expect(await ledgerSum(t.db, a.accountId)).toBe(1000n);

    const other = await usage(a.key, JSON.stringify({ amount_cents: 7, idempotency_key: "k1-\ufffd" }));
    expect(other.status).toBe(201);
    expect(other.json).toMatchObject({ amount_cents: 7, balance_cents: 993, idempotency_key: "k1-\ufffd", replayed: false });
    expect(await ledgerSum(t.db, a.accountId)).toBe(993n);
  });

  it("bytes that are not UTF-8 (a lone surrogate sent as raw WTF-8 bytes) are a 400, not U+FFFD", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1000n });
    const bytes = Buffer.concat([Buffer.from('{"amount_cents":3,"idempotency_key":"k2-'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]);
    const r = await usage(a.key, bytes);
    expect(r.status).toBe(400);
    expect(r.json?.error).toMatchObject({ type: "invalid_request", param: "body", message: "The request body is not valid UTF-8." });
    const other = await usage(a.key, JSON.stringify({ amount_cents: 3, idempotency_key: "k2-\ufffd" }));
    expect(other.json).toMatchObject({ replayed: false, balance_cents: 997 });
  });

  it("any string in the body counts, keys too, named by its path", async () => {
    const a = await accountWithKey(t.db, { balanceCents: 1000n });
    const nested = await usage(a.key, '{"amount_cents":1,"idempotency_key":"ok-1","meta":{"tags":["x","\\udc00"]}}');
    expect(nested.status).toBe(400);
    expect(nested.json?.error).toMatchObject({ param: "meta.tags.1" });
    const key = await usage(a.key, '{"amount_cents":1,"idempotency_key":"ok-2","n\\u0000":1}');
    expect(key.status).toBe(400);
    expect(key.json?.error?.param).toBe("n\u0000");
    expect(await countRows("ledger_entries", a.accountId)).toBe(1); // the grant only
  });
});

describe("form posts (readFormWithCsrf)", () => {
  const KEYS = "/settings/api-keys";

  /** A form body sent as given (URLSearchParams would turn a lone surrogate into U+FFFD before it leaves). */
  async function postForm(ua: UserAgent, rawFields: string) {
    const csrf = UserAgent.csrfFrom((await ua.get(KEYS)).body);
    const res = await fetch(new URL(KEYS, t.app.url), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: ua.cookieHeader(KEYS) },
      body: `csrf=${encodeURIComponent(csrf)}&${rawFields}`,
      redirect: "manual",
    });
    return { status: res.status, text: await res.text() };
  }

  it("a NUL or a lone surrogate in a field is a 400 naming the field; nothing is created; a real U+FFFD is fine", async () => {
    const ua = new UserAgent(t.app.url);
    await ua.signIn("google", { email: "forms@example.com", name: "Fran Forms" });
    const { account_id: accountId } = await t.db
      .selectFrom("memberships")
      .innerJoin("users", "users.id", "memberships.user_id")
      .select("memberships.account_id")
      .where("users.email", "=", "forms@example.com")
      .executeTakeFirstOrThrow();
    const before = await countRows("api_keys", accountId);

    const nul = await postForm(ua, "intent=create&name=ci%00pipeline");
    expect(nul.status).toBe(400);
    expect(nul.text).toContain("“name” must not contain the NUL character");

    // %ED%A0%80 is U+D800 encoded as if it were a character: not UTF-8.
    const lone = await postForm(ua, "intent=create&name=ci-%ED%A0%80");
    expect(lone.status).toBe(400);
    expect(lone.text).toContain("“name” must be valid UTF-8");
    expect(await countRows("api_keys", accountId)).toBe(before);

    const replacement = await postForm(ua, "intent=create&name=ci-%EF%BF%BD");
    expect(replacement.status).toBe(200); // the page showing the new key, once
    expect(await countRows("api_keys", accountId)).toBe(before + 1);
  });
});

describe("the inbound-mail hook", () => {
  const mail = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      message_id: "<well-formed-1@mail.example.com>",
      from: "Old Owner <old@example.com>",
      to: "support@switchboard.test",
      subject: "Please move my account",
      text: "Please move my account to new@example.com.",
      spf: "pass",
      dkim: "pass",
      ...over,
    });
  const post = (body: string | Uint8Array) => postRaw("/hooks/inbound-email", body, signedInboundHeaders(SECRET, body));

  it("refuses NUL or a lone surrogate in a field (400 naming it) and bytes that are not UTF-8; opens no ticket", async () => {
    await accountWithKey(t.db, { email: "old@example.com" });
    await accountWithKey(t.db, { email: "new@example.com" });
    const nul = await post(mail({ text: "Move me to new@example.com\u0000 please" }));
    expect(nul.status).toBe(400);
    expect(nul.json?.error).toMatchObject({ type: "invalid_request", param: "text" });
    expect(nul.json?.error?.message).toBe('The field "text" must not contain the NUL character (U+0000).');

    const lone = await post(mail({ subject: "Move \ud800" }));
    expect(lone.status).toBe(400);
    expect(lone.json?.error).toMatchObject({ param: "subject" });

    const bytes = Buffer.concat([Buffer.from(mail().slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    const notUtf8 = await post(bytes);
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.json?.error).toMatchObject({ param: "body", message: "The body is not valid UTF-8." });
    expect(await countRows("support_tickets")).toBe(0);
  });
});

describe("the audit query string", () => {
  it("uses the shared refinement, naming the field", () => {
    expect(parseAuditQuery(new URLSearchParams({ actor_id: "a\u0000" }))).toEqual({
      ok: false,
      field: "actor_id",
      message: "Actor id: must not contain the NUL character (U+0000).",
    });
    expect(parseAuditQuery(new URLSearchParams({ action: "account.\u0000*" }))).toMatchObject({ ok: false, field: "action" });
  });
});

describe("what a sign-in provider says", () => {
  it("a NUL in the provider's name does not fail the sign-in: it is dropped", async () => {
    const ua = new UserAgent(t.app.url);
    const landed = await ua.signIn("google", { email: "nul-name@example.com", name: "Ada\u0000 Lovelace" });
    expect(landed.status).toBe(200);
    expect(pageText(landed.body)).toContain("Welcome to Switchboard");
    const user = await t.db.selectFrom("users").select("name").where("email", "=", "nul-name@example.com").executeTakeFirstOrThrow();
    expect(user.name).toBe("Ada Lovelace");
  });

  const identity: ProviderIdentity = {
    provider: "github",
    subject: "42",
    email: "a@example.com",
    emailVerified: true,
    name: "A",
    avatarUrl: "https://x.test/a.png",
  };

  it("repairs display text, drops an unclean avatar URL, refuses unclean identifiers", () => {
    expect(storableIdentity({ ...identity, name: "Zo\uD800\u0000ë", avatarUrl: "https://x.test/\u0000" })).toEqual({
      ...identity,
      name: "Zo\uFFFDë",
      avatarUrl: null,
    });
    expect(storableIdentity({ ...identity, name: "\u0000" }).name).toBeNull();
    expect(storableIdentity(identity)).toEqual(identity);
    expect(() => storableIdentity({ ...identity, subject: "4\u00002" })).toThrow(/not well-formed/);
    expect(() => storableIdentity({ ...identity, email: "a\uD800@example.com" })).toThrow(/not well-formed/);
  });
});
