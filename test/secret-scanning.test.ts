/**
 * POST /hooks/secret-scanning, GitHub's secret scanning partner protocol,
 * against the real app, PostgreSQL and Temporal: a keys server on a free port
 * plays GitHub's `/meta/public_keys/secret_scanning` (SECRET_SCANNING_KEYS_URL).
 * GitHub's own published sample verifies; a report signed with our test key
 * revokes a key of ours at once (every web process within a second), audits it
 * once and mails the owner and admins once, however often it is delivered;
 * anything unsigned, badly signed or malformed changes nothing; a token is
 * never echoed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateApiKey, hashApiKey, KEY_PREFIX } from "../app/models/api-key-format.server.js";
import { freePort } from "../dev/temporal-dev-server.js";
import { leakedKeyWorkflowId } from "../workflows/leaked-key.js";
import { accountWithKey } from "./helpers/accounts.js";
import { realActivities } from "./helpers/activities.js";
import { startTestApp, type TestApp } from "./helpers/app.js";
import { historyText } from "./helpers/pii-scan.js";
import { useSuite } from "./helpers/suite.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const t = useSuite();

// ---- GitHub's published sample (docs.github.com, "Secret scanning partner program", "Sample HTTP POST sent to verify
// endpoint"): "The key id and signature from the example payload is derived from a test key. The public key for them is:" ----
const DOCS_KEY_ID = "f9525bf080f75b3506ca1ead061add62b8633a346606dc5fe544e29231c6ee0d";
const DOCS_SIGNATURE = "MEUCIFLZzeK++IhS+y276SRk2Pe5LfDrfvTXu6iwKKcFGCrvAiEAhHN2kDOhy2I6eGkOFmxNkOJ+L2y8oQ9A2T9GGJo6WJY=";
const DOCS_PAYLOAD = '[{"token":"some_token","type":"some_type","url":"some_url","source":"some_source"}]';
const DOCS_PUBLIC_KEY = [
  "-----BEGIN PUBLIC KEY-----",
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsz9ugWDj5jK5ELBK42ynytbo38gP",
  "HzZFI03Exwz8Lh/tCfL3YxwMdLjB+bMznsanlhK0RwcGP3IDb34kQDIo3Q==",
  "-----END PUBLIC KEY-----",
].join("\n");

const TEST_KEY_ID = "test-key-0000000000000000000000000000000000000000000000000000000001";
const testKeys = generateKeyPairSync("ec", { namedCurve: "P-256" });
const otherKeys = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pemOf = (k: KeyObject) => k.export({ type: "spki", format: "pem" }).toString();
const TYPE = "switchboard_api_key";

/** GitHub's key list endpoint, in the same shape, counting its fetches. */
async function startKeysServer(keys: { id: string; pem: string }[]) {
  let fetches = 0;
  const server: Server = createServer((_req, res) => {
    fetches++;
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ public_keys: keys.map((k, i) => ({ key_identifier: k.id, key: k.pem, is_current: i === 0 })) }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/meta/public_keys/secret_scanning`,
    get fetches() {
      return fetches;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let keysServer: Awaited<ReturnType<typeof startKeysServer>>;
let app: TestApp;
/** The same app, except that its Temporal refuses every start (a namespace the server does not have). */
let appWithoutTemporal: TestApp;

beforeAll(async () => {
  keysServer = await startKeysServer([
    { id: TEST_KEY_ID, pem: pemOf(testKeys.publicKey) },
    { id: DOCS_KEY_ID, pem: DOCS_PUBLIC_KEY },
  ]);
  const deps = { db: t.db, databaseUrl: t.databaseUrl, taskQueue: t.temporal.taskQueue, env: { SECRET_SCANNING_KEYS_URL: keysServer.url } };
  app = await startTestApp({ ...deps, temporal: t.temporal.client });
  appWithoutTemporal = await startTestApp({ ...deps, temporal: new Client({ connection: t.temporal.client.connection, namespace: "no-such-namespace" }) });
});
afterAll(async () => {
  await appWithoutTemporal?.stop();
  await app?.stop();
  await keysServer?.stop();
});

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const signatureOf = (body: string | Buffer, key: KeyObject = testKeys.privateKey) =>
  sign("sha256", Buffer.from(body), { key, dsaEncoding: "der" }).toString("base64");
const signedHeaders = (body: string | Buffer, keyId = TEST_KEY_ID, key?: KeyObject) => ({
  "Github-Public-Key-Identifier": keyId,
  "Github-Public-Key-Signature": signatureOf(body, key),
});

async function post(body: string | Buffer, headers: Record<string, string>, to: TestApp | { url: string } = app) {
  const res = await fetch(`${to.url}/hooks/secret-scanning`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? (JSON.parse(text) as any) : null };
}
const report = (matches: object[], to?: TestApp | { url: string }) => {
  const body = JSON.stringify(matches);
  return post(body, signedHeaders(body), to);
};
const found = (token: string, url = "https://github.com/octocat/Hello-World/blob/1234567/config/.env") => ({ token, type: TYPE, url, source: "content" });

const v1 = async (key: string, to: { url: string } = app) => {
  const res = await fetch(`${to.url}/v1/account`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, body: (await res.json()) as any };
};

/** An account with its owner and main key, an admin and a plain member. */
async function accountWithTeam(label: string) {
  const a = await accountWithKey(t.db, { email: `owner-${label}@example.com` });
  for (const role of ["admin", "member"] as const) {
    const user = await t.db
      .insertInto("users")
      .values({ email: `${role}-${label}@example.com`, name: role, provider: "google" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: a.accountId, user_id: user.id, role }).execute();
  }
  return a;
}

const leakMails = (accountId: string) =>
  t.db
    .selectFrom("mail_outbox")
    .select(["to_address", "subject", "text_body"])
    .where("kind", "=", "security_key_leaked")
    .where("related_id", "=", accountId)
    .orderBy("to_address")
    .execute();
const leakAudits = (accountId: string) =>
  t.db.selectFrom("audit_log").select("details").where("action", "=", "api_key.revoked_leaked").where("target_id", "=", accountId).execute();

/** What a refused report must leave as it was: every key's state, the audit trail and the outbox. */
async function everything() {
  const keys = await t.db.selectFrom("api_keys").select(["id", "status", "revoked_reason", "leaked_url", "leaked_source"]).orderBy("id").execute();
  const audit = await t.db
    .selectFrom("audit_log")
    .select(({ fn }) => fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  const mail = await t.db
    .selectFrom("mail_outbox")
    .select(({ fn }) => fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return { keys, audit: audit.n, mail: mail.n };
}

const POLL = { timeout: 20_000, interval: 50 };

describe("GitHub's published sample report", () => {
  it("verifies with GitHub's sample key and signature over the exact bytes, and is answered as a false positive", async () => {
    const before = await everything();
    const res = await post(DOCS_PAYLOAD, { "GITHUB-PUBLIC-KEY-IDENTIFIER": DOCS_KEY_ID, "GITHUB-PUBLIC-KEY-SIGNATURE": DOCS_SIGNATURE });
    expect(res.status).toBe(200);
    expect(res.json).toEqual([{ token_hash: sha256("some_token"), token_type: "some_type", label: "false_positive" }]);
    expect(res.text).not.toContain("some_token");
    expect(await everything()).toEqual(before);
    // The same bytes with one byte changed no longer verify.
    const tampered = await post(DOCS_PAYLOAD.replace("some_url", "some_url2"), {
      "GITHUB-PUBLIC-KEY-IDENTIFIER": DOCS_KEY_ID,
      "GITHUB-PUBLIC-KEY-SIGNATURE": DOCS_SIGNATURE,
    });
    expect(tampered.status).toBe(401);
  });
});

describe("a signed report of a key of ours", () => {
  it("revokes it at once, audits once, mails the owner and admins once — delivered once, again, and twice at the same time", async () => {
    const a = await accountWithTeam("leak");
    const url = "https://github.com/octocat/Hello-World/blob/12345600b9cbe38a219f39a9941c9319b600c002/foo/bar.txt";
    expect((await v1(a.key)).status).toBe(200); // cached as valid in this process

    await t.temporal.runWorker(realActivities(t.db, app.config.publicUrl), async () => {
      const first = await report([found(a.key, url)]);
      expect(first.status).toBe(200);
      expect(first.json).toEqual([{ token_hash: sha256(a.key), token_type: TYPE, label: "true_positive" }]);
      expect(first.text).not.toContain(a.key);

      // Dead on /v1 right after the answer, though it was cached as valid.
      const refused = await v1(a.key);
      expect(refused.status).toBe(401);
      expect(refused.body.error.type).toBe("revoked_api_key");
      expect(
        await t.db
          .selectFrom("api_keys")
          .select(["status", "revoked_reason", "leaked_url", "leaked_source"])
          .where("id", "=", a.keyId)
          .executeTakeFirstOrThrow(),
      ).toEqual({
        status: "revoked",
        revoked_reason: "leaked",
        leaked_url: url,
        leaked_source: "content",
      });

      const handle = t.temporal.client.workflow.getHandle(leakedKeyWorkflowId(a.keyId));
      expect(await handle.result()).toEqual({ mailed: 2 });
      const mails = await leakMails(a.accountId);
      expect(mails.map((m) => m.to_address)).toEqual([`admin-leak@example.com`, `owner-leak@example.com`]);
      for (const m of mails) {
        expect(m.text_body).toContain(url);
        expect(m.text_body).toContain(a.key.slice(-4));
        expect(m.text_body).not.toContain(a.key);
      }
      const firstRun = (await handle.describe()).runId;

      // Delivered again, and twice at once: the same answer, nothing more.
      const again = await report([found(a.key, url)]);
      const parallel = await Promise.all([report([found(a.key, url)]), report([found(a.key, url)])]);
      for (const r of [again, ...parallel]) {
        expect(r.status).toBe(200);
        expect(r.json).toEqual([{ token_hash: sha256(a.key), token_type: TYPE, label: "true_positive" }]);
      }
      expect((await handle.describe()).runId).toBe(firstRun);
      expect(await leakMails(a.accountId)).toHaveLength(2);
      const audits = await leakAudits(a.accountId);
      expect(audits).toHaveLength(1);
      expect(audits[0].details).toMatchObject({ key_id: a.keyId, kind: "main", last4: a.key.slice(-4), found_url: url, source: "content" });
      expect(JSON.stringify(audits[0].details)).not.toContain(a.key);

      // The workflow's history names the key by id only: not the key, not where it was found, nobody's address.
      const history = await historyText(handle);
      expect(history).toContain(a.keyId);
      for (const secret of [a.key, url, "owner-leak@example.com", "admin-leak@example.com"]) expect(history).not.toContain(secret);
    });
  });

  it("answers each match in order: ours true_positive, look-alikes and other tokens false_positive, without touching anything else", async () => {
    const a = await accountWithKey(t.db);
    const bystander = await accountWithKey(t.db);
    const lookAlike = generateApiKey(); // a valid checksum, never issued
    const badChecksum = a.key.slice(0, -1) + (a.key.endsWith("A") ? "B" : "A");
    const before = await t.db.selectFrom("api_keys").select(["id", "status"]).where("id", "!=", a.keyId).orderBy("id").execute();
    await t.temporal.runWorker(realActivities(t.db, app.config.publicUrl), async () => {
      const res = await report([found(lookAlike), found("some_token"), found(a.key), found(badChecksum), found(a.key)]);
      expect(res.status).toBe(200);
      expect(res.json).toEqual([
        { token_hash: sha256(lookAlike), token_type: TYPE, label: "false_positive" },
        { token_hash: sha256("some_token"), token_type: TYPE, label: "false_positive" },
        { token_hash: sha256(a.key), token_type: TYPE, label: "true_positive" },
        { token_hash: sha256(badChecksum), token_type: TYPE, label: "false_positive" },
        { token_hash: sha256(a.key), token_type: TYPE, label: "true_positive" },
      ]);
      await t.temporal.client.workflow.getHandle(leakedKeyWorkflowId(a.keyId)).result();
    });
    expect(await t.db.selectFrom("api_keys").select(["id", "status"]).where("id", "!=", a.keyId).orderBy("id").execute()).toEqual(before);
    expect((await v1(bystander.key)).status).toBe(200);
    expect(await leakAudits(a.accountId)).toHaveLength(1);
    expect(await leakAudits(bystander.accountId)).toHaveLength(0);
  });

  it("a key from before checksums (legacy shape) is looked up and revoked too", async () => {
    const a = await accountWithKey(t.db);
    // The shape keys had before checksums: the prefix and 43 random URL-safe characters.
    const legacy = KEY_PREFIX + randomBytes(33).toString("base64url").slice(0, 43);
    await t.db
      .insertInto("api_keys")
      .values({
        account_id: a.accountId,
        kind: "additional",
        name: "old laptop",
        key_hash: hashApiKey(legacy),
        prefix: legacy.slice(0, 11),
        last4: legacy.slice(-4),
        checksummed: false,
      })
      .execute();
    await t.temporal.runWorker(realActivities(t.db, app.config.publicUrl), async () => {
      const res = await report([found(legacy)]);
      expect(res.json).toEqual([{ token_hash: sha256(legacy), token_type: TYPE, label: "true_positive" }]);
      const row = await t.db
        .selectFrom("api_keys")
        .select(["id", "status", "revoked_reason"])
        .where("key_hash", "=", hashApiKey(legacy))
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: "revoked", revoked_reason: "leaked" });
      expect(await t.temporal.client.workflow.getHandle(leakedKeyWorkflowId(row.id)).result()).toEqual({ mailed: 1 });
    });
    expect((await v1(a.key)).status).toBe(200); // the account's other key lives on
  });

  it("a key already dead for another reason is a true positive, and nobody is mailed about it", async () => {
    const a = await accountWithKey(t.db);
    await t.db.updateTable("api_keys").set({ status: "revoked", revoked_at: new Date(), revoked_reason: "regenerated" }).where("id", "=", a.keyId).execute();
    const before = await everything();
    const res = await report([found(a.key)]);
    expect(res.json).toEqual([{ token_hash: sha256(a.key), token_type: TYPE, label: "true_positive" }]);
    expect(await everything()).toEqual(before);
    await expect(t.temporal.client.workflow.getHandle(leakedKeyWorkflowId(a.keyId)).describe()).rejects.toThrow(/not found/i);
  });
});

describe("when the leaked-key workflow cannot start (Temporal unreachable)", () => {
  it("the key stays revoked, the report is answered 503, and the redelivery starts the workflow: one mail", async () => {
    const a = await accountWithKey(t.db, { email: "owner-503@example.com" });
    const refused = await report([found(a.key)], appWithoutTemporal);
    expect(refused.status).toBe(503);
    expect(refused.json.error.type).toBe("not_yet");
    expect(refused.text).not.toContain(a.key);
    expect((await v1(a.key, appWithoutTemporal)).status).toBe(401);
    expect((await v1(a.key)).status).toBe(401);
    expect(await leakAudits(a.accountId)).toHaveLength(1);
    expect(await leakMails(a.accountId)).toHaveLength(0);

    await t.temporal.runWorker(realActivities(t.db, app.config.publicUrl), async () => {
      const redelivered = await report([found(a.key)]);
      expect(redelivered.status).toBe(200);
      expect(redelivered.json[0].label).toBe("true_positive");
      expect(await t.temporal.client.workflow.getHandle(leakedKeyWorkflowId(a.keyId)).result()).toEqual({ mailed: 1 });
    });
    expect((await leakMails(a.accountId)).map((m) => m.to_address)).toEqual(["owner-503@example.com"]);
    expect(await leakAudits(a.accountId)).toHaveLength(1);
  });
});

describe("refused reports change nothing", () => {
  let key: string;
  let accountId: string;
  let before: Awaited<ReturnType<typeof everything>>;
  beforeAll(async () => {
    const a = await accountWithKey(t.db);
    key = a.key;
    accountId = a.accountId;
  });
  const body = () => JSON.stringify([found(key)]);

  const cases: [string, number, RegExp, () => Promise<{ status: number; json: any; text: string }>][] = [
    ["no headers", 400, /headers are required/, () => post(body(), {})],
    ["no signature", 400, /headers are required/, () => post(body(), { "Github-Public-Key-Identifier": TEST_KEY_ID })],
    ["no key identifier", 400, /headers are required/, () => post(body(), { "Github-Public-Key-Signature": signatureOf(body()) })],
    [
      "a signature that is not base64",
      400,
      /not a base64/,
      () => post(body(), { "Github-Public-Key-Identifier": TEST_KEY_ID, "Github-Public-Key-Signature": "not base64!" }),
    ],
    ["a key identifier that is not one", 400, /not a key identifier/, () => post(body(), signedHeaders(body(), "../../etc/passwd"))],
    ["a key id nobody published", 401, /names no key/, () => post(body(), signedHeaders(body(), "f".repeat(64)))],
    ["signed by another key under our key's id", 401, /does not match/, () => post(body(), signedHeaders(body(), TEST_KEY_ID, otherKeys.privateKey))],
    ["signed by GitHub's sample key's id with our key", 401, /does not match/, () => post(body(), signedHeaders(body(), DOCS_KEY_ID))],
    ["a body changed after signing", 401, /does not match/, () => post(body().replace("content", "commit"), signedHeaders(body()))],
    ["a signature over the re-serialised body", 401, /does not match/, () => post(JSON.stringify(JSON.parse(body()), null, 2), signedHeaders(body()))],
  ];
  const malformed: [string, () => string | Buffer, RegExp][] = [
    ["not JSON", () => "tgp_v1_ is not json", /not JSON/],
    ["not an array", () => JSON.stringify(found(key)), /must be a JSON array/],
    ["a token that is not a string", () => JSON.stringify([{ ...found(key), token: 42 }]), /match 0\.token/],
    ["a missing source", () => JSON.stringify([{ token: key, type: TYPE, url: "" }]), /match 0\.source/],
    ["NUL in the url", () => JSON.stringify([{ ...found(key), url: "https://github.com/a\u0000" }]), /0\.url must not contain the NUL/],
    ["a lone surrogate in the source", () => JSON.stringify([found(key)]).replace('"content"', '"\\ud800"'), /0\.source must be well-formed Unicode/],
    [
      "bytes that are not UTF-8",
      () => Buffer.concat([Buffer.from('[{"token":"'), Buffer.from([0xff]), Buffer.from('","type":"x","url":"","source":"c"}]')]),
      /not valid UTF-8/,
    ],
  ];

  it.each(cases)("%s → %i", async (_what, status, message, send) => {
    before = await everything();
    const fetchesBefore = keysServer.fetches;
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.json.error.message).toMatch(message);
    expect(res.text).not.toContain(key);
    expect(await everything()).toEqual(before);
    // Unknown ids never make us fetch GitHub's list more than once a minute.
    expect(keysServer.fetches - fetchesBefore).toBeLessThanOrEqual(1);
    expect((await v1(key)).status).toBe(200);
  });

  it.each(malformed)("a correctly signed body with %s → 400 naming what is wrong", async (_what, make, message) => {
    const payload = make();
    before = await everything();
    const res = await post(payload, signedHeaders(payload));
    expect(res.status).toBe(400);
    expect(res.json.error.type).toBe("invalid_request");
    expect(res.json.error.message).toMatch(message);
    expect(await everything()).toEqual(before);
    expect((await v1(key)).status).toBe(200);
    expect(await leakAudits(accountId)).toHaveLength(0);
  });

  it("a flood of made-up key ids is refused without fetching the key list for each", async () => {
    const fetchesBefore = keysServer.fetches;
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(body(), signedHeaders(body(), `made-up-${i}`))));
    expect(answers.every((r) => r.status === 401)).toBe(true);
    expect(keysServer.fetches - fetchesBefore).toBeLessThanOrEqual(1);
  });

  it("GET is 405; a body over 1 MB is 413", async () => {
    const get = await fetch(`${app.url}/hooks/secret-scanning`);
    expect(get.status).toBe(405);
    expect(get.headers.get("Allow")).toBe("POST");
    const huge = "[" + Array.from({ length: 20_000 }, () => JSON.stringify(found(key))).join(",") + "]";
    expect(Buffer.byteLength(huge)).toBeGreaterThan(1_000_000);
    const res = await fetch(`${app.url}/hooks/secret-scanning`, { method: "POST", headers: signedHeaders(huge), body: huge });
    expect(res.status).toBe(413);
    expect((await v1(key)).status).toBe(200);
  });
});

describe("a second web process", () => {
  let other: { url: string; child: ChildProcess; output: string[] } | undefined;
  afterAll(async () => {
    if (!other) return;
    const child = other.child;
    child.kill("SIGTERM");
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once("exit", r)));
  });

  it("refuses a key revoked through the hook of this one within a second, though it had it cached as valid", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const output: string[] = [];
    const child = spawn(process.execPath, ["--import", "tsx", "server/web.ts"], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: "test",
        LOG_LEVEL: "info",
        HOST: "127.0.0.1",
        PORT: String(port),
        PUBLIC_URL: url,
        DATABASE_URL: t.databaseUrl,
        TEMPORAL_ADDRESS: inject("temporalAddress"),
        TEMPORAL_TASK_QUEUE: t.temporal.taskQueue,
        SESSION_SECRET: "secret-scanning-test-session-secret-0123456789",
        TOMBSTONE_SECRET: "secret-scanning-test-tombstone-secret-0123456789",
        LIST_UNSUBSCRIBE_SECRET: "secret-scanning-test-unsubscribe-secret-0123456789",
        STRIPE_WEBHOOK_SECRET: "whsec_secret-scanning_test_webhook_secret_0123456789",
        SECRET_SCANNING_KEYS_URL: keysServer.url,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (c) => output.push(String(c)));
    child.stderr?.on("data", (c) => output.push(String(c)));
    other = { url, child, output };
    await expect.poll(async () => (await fetch(`${url}/healthz`).catch(() => null))?.status, { timeout: 30_000, interval: 100 }).toBe(200);

    const a = await accountWithKey(t.db);
    expect((await v1(a.key, other)).status).toBe(200); // cached as valid over there
    await t.temporal.runWorker(realActivities(t.db, app.config.publicUrl), async () => {
      expect((await report([found(a.key)])).status).toBe(200);
      const revokedAt = Date.now();
      await expect.poll(async () => (await v1(a.key, other!)).status, { timeout: 1_000, interval: 5 }).toBe(401);
      expect(Date.now() - revokedAt).toBeLessThan(1_000);
      await t.temporal.client.workflow.getHandle(leakedKeyWorkflowId(a.keyId)).result();
    });

    // And a report through the other process: its log (at info) names no token.
    const b = await accountWithKey(t.db);
    await t.temporal.runWorker(realActivities(t.db, app.config.publicUrl), async () => {
      const res = await report([found(b.key)], other);
      expect(res.status).toBe(200);
      expect(res.json[0].label).toBe("true_positive");
      expect((await v1(b.key)).status).toBe(401);
      await expect.poll(() => leakMails(b.accountId), POLL).toHaveLength(1);
    });
    const log = output.join("");
    expect(log).toContain("secret scanning report");
    expect(log).not.toContain(b.key);
    expect(log).not.toContain(a.key);
  });
});
