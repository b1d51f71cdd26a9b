/**
 * The HTTP fuzzer: every route of the app (read from app/routes, plus /v1,
 * the inbound-mail hook, /healthz, .data URLs and odd paths), as every kind of
 * caller, with malformed bodies, wrong types, 1 MB bodies, unicode edge cases,
 * missing/forged/valid CSRF tokens, HMAC signatures and API keys, junk query
 * strings, headers and methods, and a few dozen protocol-level oddities over a
 * raw socket. FUZZ_REQUESTS requests in all (default 10,000), seeded by
 * FUZZ_SEED (test/fuzz/helpers/config.ts), 8 in flight, one connection per
 * request (whether a kept-alive connection survives an answer is a test of its own).
 *
 * Phases: the mixed bulk; cursor probes (the pagination parameters of every
 * paged page, and where /login sends a signed-in person); refusal batches; deep
 * requests (text probes first: valid forms whose one free-text field is hostile);
 * raw bytes.
 *
 * What must hold:
 * 1. No answer is a 5xx, no connection breaks, nothing times out. Every
 *    offender is listed (request, persona, body shape, status, start of body),
 *    grouped by a guessed common cause.
 * 2. The server is still up at the end (GET /healthz is 200); the server runs
 *    in this test process, so a crash fails the run too.
 * 3. A refused request changes nothing. Design (see helpers/checksum.ts for
 *    what "nothing" leaves out: refusal audit rows, sessions.last_seen_at,
 *    api_keys.last_used_at, rate_limits; the oracle checks itself first):
 *    - Refusal batches: requests refused *by construction* (a form post
 *      without a valid CSRF token, the hook without a valid signature, the
 *      API without a valid key or with the wrong method, a forged unsubscribe
 *      token, a protected page read signed out, as a customer in the console
 *      or with the wrong staff role; see refusalSpec in helpers/requests.ts)
 *      are sent 100 at a time, 8 in flight, with a checksum of every table
 *      before and after the batch. Nothing that could legitimately succeed is
 *      in these batches, so any change is a bug; the batch is then replayed one
 *      request at a time with a checksum around each, to name the culprit.
 *      Each of these requests must also actually be refused (4xx; 3xx for a read).
 *    - Deep requests: form posts that *can* succeed (a signed-in persona, its
 *      own CSRF token, the route's own field names and values) go one at a time
 *      with a checksum around each; every one answered 4xx (or 5xx) must have
 *      changed nothing.
 *    - The mixed bulk (anything at all, possibly legitimate changes) is only
 *      checked for 5xx: it may change data, and it is the concurrency stress.
 *
 * Before each batch, personas a fuzzed request signed out, blocked, removed
 * or demoted are repaired (helpers/personas.ts), outside any checksum window;
 * the API's in-memory failed-key limiter is reset so valid keys keep reaching
 * the API's own code.
 */
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FailedAttempts } from "../../app/api/failed-attempts.js";
import { enqueueMail } from "../../app/mail/mailer.server.js";
import { revokeAccountKeys } from "../../app/models/api-keys.server.js";
import { writeAudit } from "../../app/models/audit.server.js";
import { createInvitation, invitationLimitsFrom } from "../../app/models/invitations.server.js";
import { postLedgerEntry } from "../../app/models/ledger.server.js";
import { createPasswordLogin, setPasswordLogins } from "../../app/models/password-logins.server.js";
import { createWebTransferTicket, issueConfirmToken, setTicketStatus } from "../../app/models/tickets.server.js";
import { startTransferWorkflow } from "../../app/services/transfer.server.js";
import { signUnsubscribeToken } from "../../app/mailing-lists/unsubscribe-token.server.js";
import { seedDemoData } from "../../db/demo-seed.js";
import { accountWithKey } from "../helpers/accounts.js";
import { useSuite } from "../helpers/suite.js";
import { changedTables, tableChecksums, type Checksums } from "./helpers/checksum.js";
import { FUZZ_REQUESTS, FUZZ_SEED, seedFor } from "./helpers/config.js";
import { HttpClient, inPool, sendRaw, type WireAnswer, type WireRequest } from "./helpers/http.js";
import { Personas } from "./helpers/personas.js";
import { deepSpec, describe as describeSpec, enc, materialize, mixedSpec, refusalSpec, type Context, type Spec, type World } from "./helpers/requests.js";
import { readRoutes } from "./helpers/routes.js";

const HOOK_SECRET = "fuzz-inbound-email-secret-0123456789abcdef";
const CONCURRENCY = 8;
const REFUSAL_BATCH = 100;
const CHUNK = 500;

const t = useSuite({ app: true, appEnv: { INBOUND_EMAIL_SECRET: HOOK_SECRET } });

interface Outcome {
  spec: Spec;
  /** What was sent, without the body (kept: its length). */
  req: WireRequest & { bodyLength?: number };
  answer: WireAnswer;
}

const results: Outcome[] = [];
const refusalNotRefused: string[] = [];
const refusedButChanged: string[] = [];
const notes: string[] = [];
let clientRefused = 0;
let elapsedMs = 0;
let finalHealth: WireAnswer | undefined;
const phaseMs: [string, number][] = [];
let phaseStart = 0;
const phase = (name: string) => {
  const now = Date.now();
  if (phaseStart) phaseMs[phaseMs.length - 1]![1] = now - phaseStart;
  phaseStart = now;
  phaseMs.push([name, 0]);
};

let personas: Personas;
let world: World;
let client: HttpClient;
let ctx: Context;

/** Transport failures that are the client's own doing, not the server's: uploading past a limit the server already answered. */
function expectedTransportError(o: Outcome): boolean {
  return (o.spec.body === "overLimit" || o.spec.body === "chunkedHuge") && /EPIPE|ECONNRESET|socket hang up/.test(o.answer.error ?? "");
}

const isOffender = (o: Outcome) =>
  o.spec.method === "RAW" ? o.answer.status >= 500 || o.answer.error !== null : o.answer.status >= 500 || (o.answer.status === 0 && !expectedTransportError(o));

async function send(spec: Spec, index: number): Promise<Outcome> {
  const req = materialize(spec, ctx, index);
  const answer = await client.send(req);
  const o: Outcome = { spec, req: { ...req, body: undefined, bodyLength: req.body?.length ?? 0 }, answer };
  if (answer.status === -1) clientRefused++;
  else results.push(o);
  return o;
}

function refused(o: Outcome): boolean {
  const s = o.answer.status;
  if (s >= 400 && s < 500) return true;
  return o.spec.method === "GET" && s >= 300 && s < 400;
}

let checksumMs = 0;
let checksumCount = 0;
async function checksums(): Promise<Checksums> {
  const started = Date.now();
  const sums = await tableChecksums(t.db);
  checksumMs += Date.now() - started;
  checksumCount++;
  return sums;
}

async function repair() {
  const renewed = await personas.ensureHealthy();
  if (renewed.length) notes.push(`renewed personas: ${renewed.join(", ")}`);
  // The API limits failed keys per address (20 a minute): everything here comes from 127.0.0.1.
  (t.app.services.api as { failedAttempts: FailedAttempts }).failedAttempts = new FailedAttempts();
}

// ---------------------------------------------------------------------------
// Setup: realistic data, so routes with ids have real targets

interface Setup {
  world: World;
  passwordAccountId: string;
  makePasswordLogin: () => Promise<{ loginId: string; username: string; password: string }>;
}

async function buildWorld(): Promise<Setup> {
  const { db, app } = t;
  await seedDemoData(db, app.config);
  const owner = async (email: string) =>
    db
      .selectFrom("users")
      .innerJoin("memberships", "memberships.user_id", "users.id")
      .select(["users.id as userId", "memberships.account_id as accountId"])
      .where("users.email", "=", email)
      .where("memberships.role", "=", "owner")
      .executeTakeFirstOrThrow();
  const alice = await owner("alice@example.com");
  const bob = await owner("bob@example.com");
  const dan = await owner("dan@example.com");

  // Password logins on Bob's Scale account (one for the persona; more appear when a fuzzed request removes it).
  const { loginId } = (await db.transaction().execute((trx) => setPasswordLogins(trx, bob.accountId, true, { type: "system", id: null }))) as {
    loginId: string;
  };
  let loginNumber = 0;
  const makePasswordLogin = async () => {
    const made = await db
      .transaction()
      .execute((trx) =>
        createPasswordLogin(trx, { accountId: bob.accountId, username: `fuzzer${loginNumber++}`, createdBy: bob.userId }, { type: "system", id: null }),
      );
    if (!made.ok) throw new Error(`password login not created: ${made.message}`);
    return { loginId, username: made.username, password: made.initialPassword };
  };

  // Invitations on Dan's GPU Cluster account; the token is only in the mail.
  for (const email of ["newcomer@example.com", "alice@example.com"]) {
    await db.transaction().execute((trx) =>
      createInvitation(
        trx,
        {
          accountId: dan.accountId,
          email,
          role: "member",
          invitedBy: dan.userId,
          publicUrl: app.config.publicUrl,
          mode: "outbox",
          limits: invitationLimitsFrom(app.config),
        },
        { type: "user", id: dan.userId },
      ),
    );
  }
  const invitationTokens = (await db.selectFrom("mail_outbox").select("text_body").where("kind", "=", "invitation").execute()).flatMap((m) =>
    [...m.text_body.matchAll(/\/invitations\/([A-Za-z0-9_-]{43})/g)].map((x) => x[1]!),
  );

  // Tickets: an open one, a closed one, one awaiting confirmation with its workflow and token (the hook adds more as the fuzzer posts valid mail).
  const system = { type: "system" as const, id: null };
  const open = await createWebTransferTicket(db, { requesterUserId: alice.userId, oldAccountId: alice.accountId, newAddress: "alice-new@example.com" }, system);
  const closed = await createWebTransferTicket(db, { requesterUserId: bob.userId, oldAccountId: bob.accountId, newAddress: "bob-new@example.com" }, system);
  await setTicketStatus(db, closed, "rejected", "rejected");
  const confirming = await createWebTransferTicket(db, { requesterUserId: alice.userId, oldAccountId: alice.accountId, newAddress: "dan@example.com" }, system);
  const workflowId = await startTransferWorkflow(app.services, confirming);
  await db.updateTable("support_tickets").set({ status: "awaiting_confirmation", new_account_id: dan.accountId }).where("id", "=", confirming).execute();
  const confirmToken = await issueConfirmToken(db, confirming, new Date(Date.now() + 24 * 3600_000));

  // Enough mail for the outbox to page, enough ledger entries for billing to page.
  for (let i = 0; i < 30; i++) {
    await enqueueMail(db, { to: `reader${i}@example.com`, subject: `Fuzz mail ${i}`, text: "Hello", kind: "fuzz", dedupeKey: `fuzz:${i}` }, "outbox");
  }
  for (let i = 0; i < 30; i++) {
    await postLedgerEntry(db, { accountId: bob.accountId, amountCents: -1n, kind: "usage", idempotencyKey: `fuzz:${i}`, actor: system });
  }
  const keyed = await accountWithKey(db, { balanceCents: 1_000_000_000n, plan: "scale" });
  const victim = await accountWithKey(db, { balanceCents: 5_000n, email: "victim@example.com" });
  const revoked = await accountWithKey(db);
  await revokeAccountKeys(db, revoked.accountId, "fuzz");

  const subscriptions = await db.selectFrom("mailing_subscriptions").select("id").execute();
  const ids = async (table: "accounts" | "users" | "staff" | "mail_outbox" | "api_keys" | "invitations" | "sessions") =>
    (await db.selectFrom(table).select("id").execute()).map((r) => r.id);
  const run = (await app.services.temporal.workflow.getHandle(workflowId).describe()).runId;

  const built: Omit<World, "victimAccountId" | "openTicketId"> = {
    accountIds: await ids("accounts"),
    userIds: await ids("users"),
    staffIds: await ids("staff"),
    ticketIds: [open, closed, confirming],
    mailIds: await ids("mail_outbox"),
    keyIds: await ids("api_keys"),
    invitationIds: await ids("invitations"),
    sessionIds: [],
    workflowIds: [workflowId, `block-account:${alice.accountId}`, "recharge:not-a-uuid"],
    runIds: [run],
    unsubscribeTokens: subscriptions.map((s) => signUnsubscribeToken(app.config.unsubscribe.secrets, s.id)),
    invitationTokens,
    confirmTokens: [confirmToken],
    emails: [
      "alice@example.com",
      "bob@example.com",
      "carol@example.com",
      "dan@example.com",
      "erin@example.com",
      "newcomer@example.com",
      "support@switchboard.test",
      "admin@switchboard.test",
    ],
    loginIds: [loginId],
    usernames: ["fuzzer0"],
    apiKey: keyed.key,
    revokedApiKey: revoked.key,
    hookSecret: HOOK_SECRET,
    listIds: (await db.selectFrom("mailing_lists").select("id").execute()).map((r) => r.id),
    ledgerIds: (await db.selectFrom("ledger_entries").select("id").where("account_id", "=", bob.accountId).orderBy("id").execute())
      .map((r) => r.id)
      .slice(0, 5),
  };
  return { world: { ...built, victimAccountId: victim.accountId, openTicketId: open }, passwordAccountId: bob.accountId, makePasswordLogin };
}

beforeAll(async () => {
  const setup = await buildWorld();
  world = setup.world;
  personas = new Personas(t.app.url, t.db, t.app.config.session.secrets);
  await personas.setUp({
    customers: [
      { name: "alice", email: "alice@example.com", provider: "google" },
      { name: "bob", email: "bob@example.com", provider: "github" },
      { name: "dan", email: "dan@example.com", provider: "google" },
    ],
    passwordAccountId: setup.passwordAccountId,
    makePasswordLogin: setup.makePasswordLogin,
  });
  world.sessionIds = (await t.db.selectFrom("sessions").select("id").execute()).map((r) => r.id);
  const url = new URL(t.app.url);
  client = new HttpClient(url.hostname, Number(url.port), CONCURRENCY);
  ctx = { appUrl: t.app.url, personas, world };
}, 120_000);

afterAll(() => {
  client?.close();
});

// ---------------------------------------------------------------------------

describe(`HTTP fuzzer (seed ${FUZZ_SEED}, ${FUZZ_REQUESTS} requests)`, () => {
  it("sends the requests", async () => {
    const started = Date.now();
    const routes = readRoutes();
    expect(routes.length).toBeGreaterThan(30);

    // The oracle itself: it sees a real change, and ignores exactly the noise it is meant to ignore.
    const s0 = await checksums();
    await writeAudit(t.db, { type: "user", id: null }, { action: "console.access_refused", details: { path: "/console" } });
    await t.db
      .updateTable("sessions")
      .set({ last_seen_at: new Date(Date.now() + 1000) })
      .execute();
    const s1 = await checksums();
    expect(changedTables(s0, s1)).toEqual([]);
    await writeAudit(t.db, { type: "system", id: null }, { action: "fuzz.oracle_check" });
    await t.db.updateTable("accounts").set({ name: "Victim (renamed by the fuzzer's self-check)" }).where("id", "=", world.victimAccountId).execute();
    expect(changedTables(s1, await checksums())).toEqual(["accounts", "audit_log"]);

    const raw = rawRequests(new URL(t.app.url).port);
    const nCursor = Math.min(400, Math.ceil(FUZZ_REQUESTS * 0.04));
    const nDeep = Math.ceil(FUZZ_REQUESTS * 0.06);
    const nRefusal = Math.ceil(FUZZ_REQUESTS * 0.25);
    const nMixed = Math.max(1, FUZZ_REQUESTS - nCursor - nDeep - nRefusal - raw.length);

    // --- the mixed bulk ---
    phase("mixed");
    const mixed = fc.sample(mixedSpec(world, routes), { seed: seedFor("mixed"), numRuns: nMixed });
    for (let from = 0; from < mixed.length; from += CHUNK) {
      await repair();
      await inPool(mixed.slice(from, from + CHUNK), CONCURRENCY, (s, i) => send(s, from + i));
    }

    // --- cursor probes: pagination parameters of every paged page, as the right persona ---
    phase("cursor");
    await repair();
    await inPool(cursorSpecs(nCursor), CONCURRENCY, (spec, i) => send(spec, 1_000_000 + i));
    await walkOutboxPages();

    // --- refusal batches, checksummed ---
    phase("refusal");
    const refusals = fc.sample(refusalSpec(world, routes), { seed: seedFor("refusal"), numRuns: nRefusal });
    for (let from = 0; from < refusals.length; from += REFUSAL_BATCH) {
      await repair();
      await sleep(50);
      const batch = refusals.slice(from, from + REFUSAL_BATCH);
      const before = await checksums();
      const outcomes = await inPool(batch, CONCURRENCY, (s, i) => send(s, 2_000_000 + from + i));
      const after = await checksums();
      for (const o of outcomes)
        if (o.answer.status > 0 && !refused(o) && !isOffender(o))
          refusalNotRefused.push(`${o.answer.status} ${o.answer.location ? `→ ${o.answer.location} ` : ""}| ${describeSpec(o.spec, o.req)}`);
      const changed = changedTables(before, after);
      if (changed.length) await pinDown(batch, from, changed);
    }

    // --- deep requests, one at a time, checksummed ---
    phase("deep");
    const deep = [...textProbes(), ...fc.sample(deepSpec(world, routes), { seed: seedFor("deep"), numRuns: Math.max(0, nDeep - textProbes().length) })];
    for (const [i, spec] of deep.entries()) {
      if (i % 50 === 0) await repair();
      const before = await checksums();
      const o = await send(spec, 3_000_000 + i);
      // Refused (4xx) or failed (5xx, reported above as well): either way, nothing may have been half done.
      if (o.answer.status >= 400) {
        const changed = changedTables(before, await checksums());
        if (changed.length)
          refusedButChanged.push(
            `${o.answer.status} changed [${changed.join(", ")}] | ${describeSpec(o.spec, o.req)} | answer: ${JSON.stringify(o.answer.head.slice(0, 160))}`,
          );
      }
    }

    // --- raw bytes: what no client library sends ---
    phase("raw");
    // Garbage may be answered 4xx or dropped without an answer (what HTTP servers do); never 5xx,
    // and never left hanging unless the request really is incomplete (mayWait).
    await inPool(raw, CONCURRENCY, async (r) => {
      const a = await sendRaw(Number(new URL(t.app.url).port), r.bytes);
      const acceptable = a.status === 0 && (r.mayWait ? /timeout|closed/.test(a.error ?? "") : !/timeout/.test(a.error ?? ""));
      const answer: WireAnswer = { status: a.status, head: a.line || `(${a.error})`, location: null, error: acceptable ? null : a.error, ms: 0 };
      results.push({ spec: { ...rawSpec, route: `RAW ${r.label}`, path: r.label }, req: { method: "RAW", path: r.label, headers: {} }, answer });
    });

    phase("end");
    finalHealth = await client.send({ method: "GET", path: "/healthz", headers: {} });
    elapsedMs = Date.now() - started;
    const byFamily = groupBy(results, (o) => o.spec.family).map(([k, v]) => `${k}: ${v.length}`);
    const statuses = groupBy(results, (o) => String(o.answer.status))
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([k, v]) => `${k}×${v.length}`);
    console.log(
      `[fuzz] seed ${FUZZ_SEED}: ${results.length} requests in ${(elapsedMs / 1000).toFixed(1)} s (${byFamily.join(", ")}); statuses ${statuses.join(" ")}; ` +
        `${clientRefused} not sendable; persona renewals ${personas.renewalCount}`,
    );
    for (const n of notes.slice(0, 5)) console.log(`[fuzz] ${n}`);
    const slowest = [...results].sort((a, b) => b.answer.ms - a.answer.ms).slice(0, 5);
    for (const o of slowest)
      console.log(`[fuzz] slow ${o.answer.ms} ms ${o.answer.status} ${o.answer.error ?? ""} | ${describeSpec(o.spec, o.req).slice(0, 250)}`);
    for (const o of results.filter((x) => x.answer.status === 0))
      console.log(
        `[fuzz] transport ${o.answer.error} | ${o.req.method} ${o.req.path.slice(0, 200)} ${JSON.stringify(o.req.headers).slice(0, 1500)} body ${o.req.bodyLength ?? 0} B`,
      );
    for (const [phase, ms] of phaseMs) console.log(`[fuzz] phase ${phase}: ${(ms / 1000).toFixed(1)} s`);
    console.log(`[fuzz] ${checksumCount} checksums, ${(checksumMs / Math.max(1, checksumCount)).toFixed(1)} ms each`);
    expect(results.length).toBeGreaterThanOrEqual(FUZZ_REQUESTS);
  }, 600_000);

  it("answers no request with a 5xx, a broken connection or a timeout", () => {
    const offenders = results.filter(isOffender);
    const causes = groupBy(offenders, likelyCause).sort((a, b) => b[1].length - a[1].length);
    const report = [
      `${offenders.length} of ${results.length} requests failed (seed ${FUZZ_SEED}); by likely cause (a guess from what the request had in common):`,
      ...causes.flatMap(([cause, list]) => [
        `  ${list.length}× ${cause}`,
        ...groupBy(list, (o) => `${o.answer.status || o.answer.error} ${o.spec.method} ${o.spec.route}`)
          .sort((a, b) => b[1].length - a[1].length)
          .map(([k, v]) => `      ${v.length}× ${k}`),
      ]),
      "every one:",
      ...offenders.map(
        (o) =>
          `  [${likelyCause(o)}] ${o.answer.status || ""} ${o.answer.error ?? ""} | ${describeSpec(o.spec, o.req)} | answer: ${JSON.stringify(o.answer.head.slice(0, 160))}`,
      ),
    ].join("\n");
    expect(offenders.length, report).toBe(0);
  });

  it("changes nothing for a refused or failed request (and refuses what must be refused)", () => {
    expect(refusedButChanged, `refused requests that changed data:\n${refusedButChanged.join("\n")}`).toEqual([]);
    expect(refusalNotRefused, `requests that should have been refused but were not:\n${refusalNotRefused.join("\n")}`).toEqual([]);
  });

  it("keeps a keep-alive connection usable after answering a request whose body it did not read", async () => {
    const url = new URL(t.app.url);
    const body = Buffer.alloc(300_000, "a");
    const form = { "Content-Type": "application/x-www-form-urlencoded" };
    const cases: WireRequest[] = [
      { method: "POST", path: "/hooks/inbound-email", headers: { "Content-Type": "application/json" }, body },
      { method: "POST", path: "/healthz", headers: form, body },
      { method: "POST", path: "/login", headers: form, body },
      { method: "POST", path: "/unsubscribe/not-a-token", headers: form, body },
      { method: "POST", path: "/logout", headers: form, body },
      { method: "POST", path: "/v1/usage", headers: { "Content-Type": "application/json" }, body },
      { method: "GET", path: "/v1/account", headers: {}, body },
    ];
    const broken: string[] = [];
    for (const req of cases) {
      const keepAlive = new HttpClient(url.hostname, Number(url.port), 1, { keepAlive: true });
      try {
        const first = await keepAlive.send(req);
        const next = await keepAlive.send({ method: "GET", path: "/healthz", headers: {} }, 2_500);
        if (next.status !== 200 || next.ms > 2_000) {
          broken.push(
            `${req.method} ${req.path} with a ${req.body!.length}-byte body → ${first.status}; the next request on that connection (GET /healthz) → ${next.status || next.error} after ${next.ms} ms`,
          );
        }
      } finally {
        keepAlive.close();
      }
    }
    expect(broken, broken.join("\n")).toEqual([]);
  });

  it("is still up afterwards", () => {
    expect(finalHealth?.status, JSON.stringify(finalHealth)).toBe(200);
  });
});

// ---------------------------------------------------------------------------

/**
 * A refusal batch changed data: replay it one request at a time (the same
 * bytes, fresh cookies) with a checksum around each, and name who did it.
 */
async function pinDown(batch: Spec[], from: number, changed: string[]) {
  const culprits: string[] = [];
  for (const [i, spec] of batch.entries()) {
    await repair();
    const before = await checksums();
    const o = await send(spec, 2_000_000 + from + i);
    const diff = changedTables(before, await checksums());
    if (diff.length)
      culprits.push(
        `${o.answer.status} changed [${diff.join(", ")}] | ${describeSpec(o.spec, o.req)} | answer: ${JSON.stringify(o.answer.head.slice(0, 160))}`,
      );
  }
  refusedButChanged.push(
    culprits.length
      ? `refusal batch at ${from} changed [${changed.join(", ")}]; replayed alone:\n  ${culprits.join("\n  ")}`
      : `refusal batch at ${from} changed [${changed.join(", ")}], but no request did so alone (an interaction within the batch, or a change made late by an earlier request)`,
  );
}

const rawSpec: Spec = {
  family: "mixed",
  method: "RAW",
  persona: "anon",
  path: "",
  route: "",
  query: "",
  csrf: "none",
  body: "none",
  fields: [],
  contentType: null,
  headers: {},
  auth: "none",
  signature: "none",
  raw: "",
};

/**
 * Valid forms (right persona, own CSRF token, real intent and ids) whose one free-text field carries
 * hostile text: NUL (which PostgreSQL text cannot hold), bidi controls, a lone surrogate's replacement,
 * combining marks, a long run. They may succeed; what they must not do is fail with a 5xx.
 */
function textProbes(): Spec[] {
  const TEXT = ["a\u0000b", "\u202Eevil\u202C\u200B", "e\u0301\u{1F469}\u200D\u{1F467}", "x".repeat(3000)];
  const w = world;
  const forms: { persona: Spec["persona"]; path: string; fields: (x: string) => [string, string][] }[] = [
    {
      persona: "support",
      path: `/console/tickets/${w.openTicketId}`,
      fields: (x) => [
        ["intent", "note"],
        ["body", x],
      ],
    },
    {
      persona: "support",
      path: `/console/accounts/${w.victimAccountId}`,
      fields: (x) => [
        ["intent", "plan"],
        ["plan", "scale"],
        ["reason", x],
      ],
    },
    {
      persona: "support",
      path: `/console/accounts/${w.victimAccountId}`,
      fields: (x) => [
        ["intent", "adjust"],
        ["adjustToken", "6f1c0000-0000-4000-8000-00000000000a"],
        ["amountDollars", "1"],
        ["kind", "grant"],
        ["reason", x],
      ],
    },
    {
      persona: "admin",
      path: `/console/accounts/${w.victimAccountId}`,
      fields: (x) => [
        ["intent", "block"],
        ["reasonCode", "abuse"],
        ["reasonText", x],
      ],
    },
    {
      persona: "admin",
      path: "/console/lists",
      fields: (x) => [
        ["intent", "send"],
        ["listId", "newsletter"],
        ["subject", x.replace(/[\r\n]/g, "")],
        ["body", x],
      ],
    },
    {
      persona: "admin",
      path: "/console/staff",
      fields: (x) => [
        ["intent", "add"],
        ["email", `${x}@example.com`],
        ["role", "support"],
      ],
    },
    {
      persona: "dan",
      path: "/settings/members",
      fields: (x) => [
        ["intent", "invite"],
        ["email", `${x}@example.com`],
        ["role", "member"],
      ],
    },
    {
      persona: "bob",
      path: "/settings/members",
      fields: (x) => [
        ["intent", "create_login"],
        ["username", x],
      ],
    },
    {
      persona: "alice",
      path: "/settings/api-keys",
      fields: (x) => [
        ["intent", "create"],
        ["name", x],
      ],
    },
    {
      persona: "alice",
      path: "/settings/email",
      fields: (x) => [
        ["newAddress", `${x}@example.com`],
        ["confirm", "yes"],
      ],
    },
    {
      persona: "alice",
      path: "/settings/billing",
      fields: (x) => [
        ["intent", "save_rule"],
        ["thresholdDollars", "1"],
        ["targetDollars", "5"],
        ["paymentMethod", x],
      ],
    },
    {
      persona: "anon",
      path: "/login/password",
      fields: (x) => [
        ["account", w.loginIds[0]!],
        ["username", x],
        ["password", x],
      ],
    },
    {
      persona: "pwuser",
      path: "/login/password/change",
      fields: (x) => [
        ["current", x],
        ["next", `${x}-new-password`],
        ["repeat", `${x}-new-password`],
      ],
    },
    {
      persona: "operator",
      path: `/console/workflows/${enc(w.workflowIds[0]!)}`,
      fields: (x) => [
        ["intent", "cancel"],
        ["run", w.runIds[0]!],
        ["reason", x],
      ],
    },
  ];
  return forms.flatMap((f) =>
    TEXT.map((x): Spec => ({
      ...rawSpec,
      family: "deep",
      method: "POST",
      persona: f.persona,
      path: f.path,
      route: `${f.path} (text probe)`,
      csrf: "valid",
      body: "form",
      contentType: "application/x-www-form-urlencoded",
      fields: f.fields(x),
    })),
  );
}

/** Pagination cursors of every paged page, near-valid and broken, as a persona allowed to read the page. */
function cursorSpecs(n: number): Spec[] {
  const ts = fc.oneof(
    fc.stringMatching(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/),
    fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    fc.constantFrom(
      "2026-11-27 08:30:01.123456+00",
      "2026-02-30 00:00:00+00",
      "2026-13-45 25:61:61Z",
      "0000-01-01 00:00:00Z",
      "2026-11-27 08:30:01+99:99",
      "9999-12-31 23:59:59-12",
    ),
  );
  const digits = fc.oneof(fc.stringMatching(/^\d{1,20}$/), fc.constantFrom("9223372036854775807", "9223372036854775808", "9999999999999999999", "0", "-1"));
  const probe = fc.oneof(
    fc
      .tuple(ts, fc.oneof(fc.uuid(), fc.constant("not-a-uuid")))
      .map(([b, id]) => ({ persona: "support" as const, path: "/console/mail", query: `?before=${enc(b)}&beforeId=${enc(id)}` })),
    digits.map((d) => ({ persona: "support" as const, path: "/console/audit", query: `?before=${enc(d)}` })),
    digits.map((d) => ({ persona: "admin" as const, path: "/console/audit/csv", query: `?before=${enc(d)}&action=${enc("auth.*")}` })),
    digits.map((d) => ({ persona: "bob" as const, path: "/settings/billing", query: `?before=${enc(d)}` })),
    fc
      .tuple(fc.constantFrom("/console/tickets", "/console/deletions", "/console/accounts"), fc.oneof(digits, fc.constantFrom("1.5", "1e3", "NaN", "", "-0")))
      .map(([path, d]) => ({ persona: "operator" as const, path, query: `?page=${enc(d)}` })),
    fc.tuple(fc.constantFrom("from", "to"), ts).map(([k, v]) => ({ persona: "support" as const, path: "/console/audit", query: `?${k}=${enc(v)}` })),
    fc
      .tuple(fc.constantFrom("from", "to"), fc.stringMatching(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/))
      .map(([k, v]) => ({ persona: "support" as const, path: "/console/workflows", query: `?${k}=${enc(v)}` })),
    fc
      .tuple(fc.constantFrom("actor_id", "target_id", "action", "target_type"), fc.constantFrom("\u0000", "a\u0000b", "%", "_", "\\", "*", "\uFFFD"))
      .map(([k, v]) => ({ persona: "support" as const, path: "/console/audit", query: `?${k}=${enc(v)}` })),
    fc.constantFrom("\u0000", "a\u0000", "%", "_", "\\").map((q) => ({ persona: "support" as const, path: "/console/accounts", query: `?q=${enc(q)}` })),
    // Where sign-in sends a signed-in person next: any text a link may carry.
    fc
      .oneof(
        fc.constantFrom("/", "/settings", "/%E2%9C%93", "/\u00e9t\u00e9", "//evil.example", "/\\evil.example", "/a\u2028b"),
        fc.string({ maxLength: 20 }).map((s) => `/${s}`),
      )
      .map((next) => ({
        persona: "alice" as const,
        path: "/login",
        query: `?next=${enc(next)}`,
      })),
  );
  // Workflow page tokens go to Temporal, which takes its whole deadline (5 s) to refuse a forged one: one only.
  const workflowPages = ["A".repeat(4096)].map((p) => ({ persona: "operator" as const, path: "/console/workflows", query: `?page=${enc(p)}` }));
  // Always sent, whatever the seed: one of each kind of input that once broke a page.
  const fixed = [
    { persona: "support" as const, path: "/console/mail", query: `?before=${enc("2026-13-45 25:61:61Z")}&beforeId=6f1c0000-0000-4000-8000-000000000000` },
    { persona: "support" as const, path: "/console/audit", query: "?before=9999999999999999999" },
    { persona: "support" as const, path: "/console/audit", query: "?actor_id=%00" },
    { persona: "support" as const, path: "/console/accounts", query: "?q=%00" },
    { persona: "alice" as const, path: "/login", query: "?next=/%E2%9C%93" },
    { persona: "bob" as const, path: "/settings/billing", query: "?before=999999999999999999" },
  ];
  return [...fc.sample(probe, { seed: seedFor("cursor"), numRuns: Math.max(0, n - workflowPages.length - fixed.length) }), ...workflowPages, ...fixed].map(
    (p) => ({
      ...rawSpec,
      family: "cursor" as const,
      method: "GET",
      persona: p.persona,
      path: p.path,
      route: p.path,
      query: p.query,
    }),
  );
}

/** Follows the outbox's own "Older" links to the end: real cursors must always work. */
async function walkOutboxPages() {
  const support = personas.get("support");
  let next: string | null = "/console/mail";
  for (let pages = 0; next && pages < 20; pages++) {
    const hop = await support.ua.request(next);
    results.push({
      spec: { ...rawSpec, family: "cursor", method: "GET", persona: "support", path: next, route: "/console/mail (walk)" },
      req: { method: "GET", path: next, headers: {} },
      answer: { status: hop.status, head: hop.body.slice(0, 200), location: hop.location, error: null, ms: 0 },
    });
    const m = /href="(\?before=[^"]+)"/.exec(hop.body);
    next = m ? `/console/mail${m[1]!.replace(/&amp;/g, "&")}` : null;
  }
}

/** Requests at the protocol level: broken request lines, bad framing, absurd headers. */
function rawRequests(port: string): { label: string; bytes: Buffer; mayWait?: boolean }[] {
  const host = `127.0.0.1:${port}`;
  const r = (label: string, text: string | Buffer, mayWait = false) => ({
    label,
    bytes: typeof text === "string" ? Buffer.from(text, "latin1") : text,
    mayWait,
  });
  return [
    r("request line without version", "GET /\r\n\r\n"),
    r("HTTP/0.9", "GET /\n", true),
    r("HTTP/1.0 no host", "GET /healthz HTTP/1.0\r\n\r\n"),
    r("HTTP/2 preface on HTTP/1", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    r("absolute-form target", `GET http://evil.example/console HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r("asterisk target", `OPTIONS * HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r("no host header", "GET /login HTTP/1.1\r\nConnection: close\r\n\r\n"),
    r("two host headers", `GET /login HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`),
    r("host with space", `GET /login HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n`),
    r("host with bad port", `GET /login HTTP/1.1\r\nHost: 127.0.0.1:99999\r\nConnection: close\r\n\r\n`),
    r("x-forwarded-host with bad port", `GET /login HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Host: evil.example:70000\r\nConnection: close\r\n\r\n`),
    r("space in path", `GET /con sole HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r(
      "raw utf-8 in path",
      Buffer.concat([Buffer.from("GET /"), Buffer.from("\u00e9\u2713", "utf8"), Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)]),
    ),
    r(
      "raw invalid utf-8 in path",
      Buffer.concat([Buffer.from("GET /settings/"), Buffer.from([0xc0, 0xaf, 0xff]), Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)]),
    ),
    r(
      "raw invalid utf-8 in query",
      Buffer.concat([
        Buffer.from("GET /login?next=/"),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from(` HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
      ]),
    ),
    r("lowercase method", `get /login HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r("unknown method", `FROB /login HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r("header without colon", `GET /login HTTP/1.1\r\nHost: ${host}\r\nNoColonHere\r\nConnection: close\r\n\r\n`),
    r("obs-fold header", `GET /login HTTP/1.1\r\nHost: ${host}\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n`),
    r("NUL in header", `GET /login HTTP/1.1\r\nHost: ${host}\r\nX-A: a\u0000b\r\nConnection: close\r\n\r\n`),
    r("bare LF line ends", `GET /login HTTP/1.1\nHost: ${host}\nConnection: close\n\n`),
    r("huge header (64 KB)", `GET /login HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${"a".repeat(65_536)}\r\nConnection: close\r\n\r\n`),
    r("10,000 headers", `GET /login HTTP/1.1\r\nHost: ${host}\r\n${"X-A: b\r\n".repeat(10_000)}Connection: close\r\n\r\n`),
    r("negative content-length", `POST /logout HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`),
    r("two content-lengths", `POST /logout HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\nContent-Length: 5\r\nConnection: close\r\n\r\nabcde`),
    r(
      "content-length and chunked",
      `POST /logout HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
    ),
    r(
      "bad chunk size",
      `POST /logout HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
    ),
    r(
      "huge chunk size",
      `POST /hooks/inbound-email HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n`,
      true,
    ),
    r(
      "truncated chunked body",
      `POST /v1/usage HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nAuthorization: Bearer tgp_v1_${"A".repeat(43)}\r\nConnection: close\r\n\r\n5\r\nab`,
      true,
    ),
    r(
      "short body for content-length",
      `POST /settings/api-keys HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 100\r\nContent-Type: application/x-www-form-urlencoded\r\nConnection: close\r\n\r\nintent=create`,
      true,
    ),
    r("content-length over the limit, no body", `POST /logout HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 99999999999\r\nConnection: close\r\n\r\n`),
    r("content-length not a number", `POST /logout HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1e3\r\nConnection: close\r\n\r\n`),
    r("pipelined requests", `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r("v1 absolute-form", `GET http://${host}/v1/account HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r("v1 with fragment-ish path", `GET /v1/account#x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
    r("empty request", "\r\n\r\n", true),
    r("binary garbage", Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256))),
  ];
}

/** What a failed request had that the others did not: for grouping the report, not for deciding anything. */
function likelyCause(o: Outcome): string {
  const h = o.req.headers;
  const q = o.spec.query;
  const head = o.answer.head;
  if (o.spec.method === "RAW") return `protocol-level request: ${o.spec.route}`;
  if (o.spec.method === "TRACE") return "TRACE method (Remix cannot build a Request for it)";
  if (h.Host !== undefined || h["X-Forwarded-Host"] !== undefined) return "odd Host / X-Forwarded-Host header (Remix builds an invalid URL)";
  if (h.Origin !== undefined && h.Origin !== new URL(t.app.url).origin && !["GET", "HEAD", "OPTIONS"].includes(o.spec.method))
    return "cross-origin or malformed Origin on a mutation (Remix's origin check throws)";
  if (/(^|;\s*)sb_csrf=(;|$)/.test(h.Cookie ?? "")) return "empty sb_csrf cookie (the page renders without a CSRF token)";
  if (o.spec.path === "/console/mail" && /before=/.test(q)) return "outbox cursor the route's pattern accepts but PostgreSQL cannot read";
  if (o.spec.path.startsWith("/console/audit") && /before=\d{19}/.test(q)) return "audit cursor beyond bigint";
  if (/%00/.test(q) || o.spec.fields.some(([, v]) => v.includes("\u0000"))) return "NUL character in text that reaches PostgreSQL";
  if (o.spec.path === "/login" && /next=/.test(q)) return "non-ASCII `next` redirect target (Location header)";
  if (o.answer.status === 0) return `transport: ${o.answer.error}`;
  return `unclassified (${head.slice(0, 60).replace(/\s+/g, " ")})`;
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): [string, T[]][] {
  const m = new Map<string, T[]>();
  for (const x of xs) {
    const k = key(x);
    const list = m.get(k);
    if (list) list.push(x);
    else m.set(k, [x]);
  }
  return [...m];
}
