/**
 * `npm run seed:large`: a production-sized data set for measuring the console
 * (bench/console-bench.ts uses `seedLarge` from here).
 *
 * 1,000,000 accounts, each with an owner (`user<n>@example.com`), a main API
 * key and two ledger entries (a grant and a usage; the balance is their sum),
 * 10,000 support tickets of mixed statuses, 1,000,000 audit rows over the last
 * 90 days, a session for every fifth user, a blocked account (with its status
 * change) in every hundred. Set-based SQL (`INSERT … SELECT … FROM
 * generate_series`), one statement per table, so it takes minutes.
 *
 * Ids are derived from the row number (`seedId`), so every table can point at
 * any other without a join on a million-row table during seeding. The email
 * number is a permutation of the row number, not the row number itself: with
 * `user<i>` following sign-up order, every prefix search (`user1…`) would
 * match a contiguous run of creation dates, which real addresses never do.
 *
 * Target: `DATABASE_URL` if set (refused when NODE_ENV=production, and when
 * the seed is already there); otherwise a throwaway embedded PostgreSQL that
 * is migrated, seeded, timed and removed.
 *
 * Environment: SEED_ACCOUNTS (default 1000000), SEED_AUDIT_ROWS (default
 * 1000000), SEED_TICKETS (default 10000).
 */
import { promises as fs } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { createDb, type Db } from "../db/connection.js";
import { ensureDatabase, startEmbeddedPostgres } from "../db/embedded-postgres.js";
import { migrateToLatest } from "../db/migrate.js";

export interface SeedLargeOptions {
  accounts: number;
  auditRows: number;
  tickets: number;
}

export const DEFAULT_SEED: SeedLargeOptions = { accounts: 1_000_000, auditRows: 1_000_000, tickets: 10_000 };

/** Row kinds, the first group of a seeded uuid: one namespace each, so ids never collide across tables. */
const KIND = { user: 0x5eed0001, account: 0x5eed0002, ticket: 0x5eed0003, staff: 0x5eed0004 } as const;

/** The uuid of seeded row `n` of a kind (n ≥ 1), the same in SQL (`seedIdSql`) and here. */
export function seedId(kind: keyof typeof KIND, n: number): string {
  const hex = n.toString(16).padStart(12, "0");
  return `${KIND[kind].toString(16)}-0000-4000-8000-${hex}`;
}

/** SQL for seedId(kind, <expr>): `expr` is an integer SQL expression. */
function seedIdSql(kind: keyof typeof KIND, expr: ReturnType<typeof sql>) {
  return sql`(${sql.lit(KIND[kind].toString(16))} || '-0000-4000-8000-' || lpad(to_hex(${expr}), 12, '0'))::uuid`;
}

/** A multiplier coprime to n: i ↦ (i-1)·m mod n + 1 is then a permutation of 1..n that scatters neighbours. */
function permutationMultiplier(n: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  for (const m of [7919, 7927, 7933, 7937, 104729]) if (gcd(m, n) === 1) return m;
  return 1;
}

/** The email number of account/user `n` (SQL: `emailNumberSql`). */
export function emailNumber(n: number, accounts: number): number {
  const m = permutationMultiplier(accounts);
  return Number(((BigInt(n) - 1n) * BigInt(m)) % BigInt(accounts)) + 1;
}

function emailNumberSql(expr: ReturnType<typeof sql>, accounts: number) {
  return sql`(((${expr}::bigint - 1) * ${sql.lit(permutationMultiplier(accounts))}) % ${sql.lit(accounts)} + 1)`;
}

export const STAFF_COUNT = 20;

export interface SeedLargeResult {
  seconds: number;
  steps: { step: string; seconds: number; rows: number }[];
}

/**
 * Seeds `db` (migrated, without this seed in it). `log` gets one line per step.
 * Runs on one connection of the pool: the session settings below apply to it.
 */
export async function seedLarge(db: Db, options: SeedLargeOptions = DEFAULT_SEED, log: (line: string) => void = () => {}): Promise<SeedLargeResult> {
  const { accounts: N, auditRows: A, tickets: T } = options;
  if (!(N >= 100 && A >= 0 && T >= 0)) throw new Error("seedLarge: at least 100 accounts");
  const already = await sql<{ one: number }>`SELECT 1 AS one FROM users WHERE id = ${seedId("user", 1)}::uuid`.execute(db);
  if (already.rows.length) throw new Error("This database already holds the large seed (user 1 exists); use a fresh database.");

  const started = performance.now();
  const steps: SeedLargeResult["steps"] = [];
  const i = sql.ref("i");
  // Seeded rows are spread over the past: accounts over 3 years, everything else over 90 days.
  const accountAge = sql`make_interval(secs => (${sql.lit(N)} - i) * (94608000.0 / ${sql.lit(N)}))`;

  await db.connection().execute(async (c) => {
    // Seeding speed only: this session's commits need not wait for the disk, and sorts get room.
    await sql`SET synchronous_commit = off`.execute(c);
    await sql`SET maintenance_work_mem = '512MB'`.execute(c);
    await sql`SET work_mem = '256MB'`.execute(c);

    const step = async (name: string, query: ReturnType<typeof sql>) => {
      const t0 = performance.now();
      const r = await query.execute(c);
      const seconds = (performance.now() - t0) / 1000;
      const rows = Number(r.numAffectedRows ?? 0n);
      steps.push({ step: name, seconds, rows });
      log(`  ${name}: ${rows.toLocaleString("en-US")} rows in ${seconds.toFixed(1)} s (${((performance.now() - started) / 1000).toFixed(0)} s so far)`);
    };

    await step(
      "staff",
      sql`INSERT INTO staff (id, email, role, provider)
          SELECT ${seedIdSql("staff", i)}, 'seed-staff-' || i || '@switchboard.test',
                 (ARRAY['support', 'operator', 'admin'])[1 + i % 3], 'google'
          FROM generate_series(1, ${sql.lit(STAFF_COUNT)}) AS i`,
    );
    await step(
      "users",
      sql`INSERT INTO users (id, email, name, provider, created_at)
          SELECT ${seedIdSql("user", i)}, 'user' || ${emailNumberSql(i, N)} || '@example.com',
                 'User ' || ${emailNumberSql(i, N)}, CASE WHEN i % 3 = 0 THEN 'github' ELSE 'google' END,
                 now() - ${accountAge}
          FROM generate_series(1, ${sql.lit(N)}) AS i`,
    );
    // Balance = grant (10,000 + i mod 90,000 cents) + usage (−(i mod 5,000) − 1): the two ledger rows below.
    await step(
      "accounts",
      sql`INSERT INTO accounts (id, name, plan, status, blocked_reason_code, blocked_at, created_at, balance_cents)
          SELECT ${seedIdSql("account", i)}, 'Account ' || ${emailNumberSql(i, N)},
                 (ARRAY['build', 'build', 'build', 'scale', 'enterprise', 'gpu_cluster'])[1 + i % 6],
                 CASE WHEN i % 100 = 7 THEN 'blocked' ELSE 'active' END,
                 CASE WHEN i % 100 = 7 THEN 'abuse' END,
                 CASE WHEN i % 100 = 7 THEN now() - (i % 90) * interval '1 day' END,
                 now() - ${accountAge},
                 (10000 + i % 90000) - (i % 5000) - 1
          FROM generate_series(1, ${sql.lit(N)}) AS i`,
    );
    await step(
      "memberships",
      sql`INSERT INTO memberships (account_id, user_id, role, created_at)
          SELECT ${seedIdSql("account", i)}, ${seedIdSql("user", i)}, 'owner', now() - ${accountAge}
          FROM generate_series(1, ${sql.lit(N)}) AS i`,
    );
    // Random 32-byte hashes: nobody can sign in with these keys, and nothing needs to.
    await step(
      "api_keys",
      sql`INSERT INTO api_keys (account_id, kind, name, key_hash, prefix, last4, created_at, created_by_user_id)
          SELECT ${seedIdSql("account", i)}, 'main', 'Main key',
                 sha256(convert_to(gen_random_uuid()::text || i, 'UTF8')),
                 'tgp_v1_' || substr(md5(i::text), 1, 4), substr(md5(i::text), 29, 4),
                 now() - ${accountAge}, ${seedIdSql("user", i)}
          FROM generate_series(1, ${sql.lit(N)}) AS i`,
    );
    await step(
      "ledger_entries",
      sql`INSERT INTO ledger_entries (account_id, amount_cents, kind, idempotency_key, balance_after_cents, actor_type, actor_id, note, created_at)
          SELECT ${seedIdSql("account", i)}, e.amount, e.kind, e.key, e.after, e.actor_type, NULL, e.note, e.at
          FROM generate_series(1, ${sql.lit(N)}) AS i
          CROSS JOIN LATERAL (VALUES
            (10000 + i % 90000, 'grant', 'seed:grant', 10000 + i % 90000, 'system', 'Welcome credit', now() - ${accountAge}),
            (-(i % 5000) - 1, 'usage', 'seed:usage', (10000 + i % 90000) - (i % 5000) - 1, 'api_key', NULL, now() - (i % 90) * interval '1 day')
          ) AS e(amount, kind, key, after, actor_type, note, at)
          ORDER BY i, e.kind`,
    );
    await step(
      "account_status_changes",
      sql`INSERT INTO account_status_changes (account_id, action, reason_code, reason_text, requested_by, status, steps, created_at, completed_at)
          SELECT ${seedIdSql("account", i)}, 'block', 'abuse', 'Seeded block', ${seedIdSql("staff", sql`1 + i % ${sql.lit(STAFF_COUNT)}`)},
                 'completed', '[]'::jsonb, now() - (i % 90) * interval '1 day', now() - (i % 90) * interval '1 day'
          FROM generate_series(1, ${sql.lit(N)}) AS i WHERE i % 100 = 7`,
    );
    await step(
      "sessions",
      sql`INSERT INTO sessions (token_hash, user_id, account_id, provider, created_at, last_seen_at, expires_at, revoked_at)
          SELECT sha256(convert_to(gen_random_uuid()::text || i, 'UTF8')), ${seedIdSql("user", i)}, ${seedIdSql("account", i)},
                 'google', now() - (i % 14) * interval '1 day', now() - (i % 14) * interval '1 hour',
                 now() + interval '14 days' - (i % 14) * interval '1 day',
                 CASE WHEN i % 10 = 0 THEN now() - interval '1 hour' END
          FROM generate_series(1, ${sql.lit(N)}) AS i WHERE i % 5 = 0`,
    );
    // Mixed statuses, a third of them unresolved; each from a different account (i · 97 mod N).
    await step(
      "support_tickets",
      sql`INSERT INTO support_tickets (id, kind, status, step, source, old_account_id, requester_user_id, sender_address, sender_verdict,
                                       new_address, checks, created_at, updated_at, closed_at)
          SELECT ${seedIdSql("ticket", i)}, 'email_transfer', s.status, 'received',
                 CASE WHEN i % 2 = 0 THEN 'web' ELSE 'email' END,
                 ${seedIdSql("account", sql`(i::bigint * 97) % ${sql.lit(N)} + 1`)},
                 ${seedIdSql("user", sql`(i::bigint * 97) % ${sql.lit(N)} + 1`)},
                 CASE WHEN i % 2 = 1 THEN 'user' || ${emailNumberSql(sql`(i::bigint * 97) % ${sql.lit(N)} + 1`, N)} || '@example.com' END,
                 CASE WHEN i % 2 = 1 THEN 'pass' END,
                 'new' || i || '@example.net', '[]'::jsonb,
                 now() - make_interval(secs => i * (7776000.0 / ${sql.lit(Math.max(T, 1))})),
                 now() - make_interval(secs => i * (7776000.0 / ${sql.lit(Math.max(T, 1))})),
                 CASE WHEN s.status IN ('completed', 'rejected', 'expired', 'failed') THEN now() - make_interval(secs => i * (7776000.0 / ${sql.lit(Math.max(T, 1))})) END
          FROM generate_series(1, ${sql.lit(T)}) AS i
          CROSS JOIN LATERAL (SELECT (ARRAY['open', 'awaiting_confirmation', 'awaiting_approval', 'transferring',
                                           'completed', 'completed', 'completed', 'rejected', 'expired', 'failed',
                                           'completed', 'rejected'])[1 + i % 12] AS status) AS s`,
    );
    // Audit rows in time order (id order = time order, as in production) over 90 days. Targets: mostly
    // accounts — skewed, so that some accounts have long trails (every 1,000th row hits one of 10
    // "hot" accounts) — then tickets and users; actors staff, system, workflows, users.
    await step(
      "audit_log",
      sql`INSERT INTO audit_log (at, actor_type, actor_id, action, target_type, target_id, details, ip)
          SELECT now() - make_interval(secs => (${sql.lit(A)} - i) * (7776000.0 / ${sql.lit(Math.max(A, 1))})),
                 a.actor_type,
                 CASE a.actor_type
                   WHEN 'staff' THEN ${seedIdSql("staff", sql`1 + i % ${sql.lit(STAFF_COUNT)}`)}::text
                   WHEN 'user' THEN ${seedIdSql("user", sql`(i::bigint * 31) % ${sql.lit(N)} + 1`)}::text
                   WHEN 'workflow' THEN 'status-change-' || i
                 END,
                 a.action, a.target_type,
                 CASE a.target_type
                   WHEN 'account' THEN ${seedIdSql("account", sql`CASE WHEN i % 1000 = 0 THEN 1 + (i / 1000) % 10 ELSE (i::bigint * 7) % ${sql.lit(N)} + 1 END`)}::text
                   WHEN 'ticket' THEN ${seedIdSql("ticket", sql`i % ${sql.lit(Math.max(T, 1))} + 1`)}::text
                   ELSE ${seedIdSql("user", sql`(i::bigint * 31) % ${sql.lit(N)} + 1`)}::text
                 END,
                 jsonb_build_object('seed', true, 'n', i),
                 CASE WHEN a.actor_type IN ('staff', 'user') THEN '10.0.' || (i % 256) || '.' || (i % 251) END
          FROM generate_series(1, ${sql.lit(A)}) AS i
          CROSS JOIN LATERAL (
            SELECT (ARRAY['staff', 'system', 'workflow', 'user', 'staff', 'system', 'user', 'workflow', 'staff', 'api_key'])[1 + i % 10] AS actor_type,
                   (ARRAY['account.block_requested', 'account.blocked', 'account.block_step', 'user.signed_in', 'account.unblocked',
                          'ledger.adjusted', 'api_key.rotated', 'ticket.created', 'ticket.approved', 'account.sessions_ended'])[1 + (i / 10) % 10] AS action,
                   CASE WHEN i % 1000 = 0 OR i % 10 < 7 THEN 'account' WHEN i % 10 < 9 THEN 'ticket' ELSE 'user' END AS target_type
          ) AS a
          ORDER BY i`,
    );
    const t0 = performance.now();
    // Fresh statistics and a visibility map: the planner and index-only scans see the real data.
    await sql`VACUUM (ANALYZE) users, accounts, memberships, api_keys, ledger_entries, account_status_changes, sessions, support_tickets, audit_log, staff`.execute(
      c,
    );
    const seconds = (performance.now() - t0) / 1000;
    steps.push({ step: "VACUUM ANALYZE", seconds, rows: 0 });
    log(`  VACUUM ANALYZE: ${seconds.toFixed(1)} s`);
  });
  return { seconds: (performance.now() - started) / 1000, steps };
}

// ---------------------------------------------------------------------------
// As a script.

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`${name} must be a whole number (got ${JSON.stringify(raw)})`);
    process.exit(2);
  }
  return n;
}

export function seedOptionsFromEnv(): SeedLargeOptions {
  return {
    accounts: positiveInt("SEED_ACCOUNTS", DEFAULT_SEED.accounts),
    auditRows: positiveInt("SEED_AUDIT_ROWS", DEFAULT_SEED.auditRows),
    tickets: positiveInt("SEED_TICKETS", DEFAULT_SEED.tickets),
  };
}

/** A free TCP port on 127.0.0.1 that is not 5432 (the machine's own PostgreSQL). */
export async function freePortNot5432(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once("error", reject);
      srv.listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    if (port !== 5432) return port;
  }
}

async function runAsScript(): Promise<void> {
  if (process.env.NODE_ENV === "production") {
    console.error("seed:large refuses to run with NODE_ENV=production: it adds a million made-up accounts.");
    process.exit(2);
  }
  const options = seedOptionsFromEnv();
  const log = (line: string) => console.log(line);
  let stop: () => Promise<void> = async () => {};
  let url = process.env.DATABASE_URL;
  if (!url) {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "switchboard-seed-large-"));
    await fs.chmod(tmp, 0o755); // as root, PostgreSQL runs as `postgres` and must reach the data dir
    const port = await freePortNot5432();
    log(`No DATABASE_URL: throwaway embedded PostgreSQL on 127.0.0.1:${port} (removed afterwards)`);
    const pg = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port, throwaway: true });
    stop = async () => {
      await pg.stop();
      await fs.rm(tmp, { recursive: true, force: true });
    };
    await ensureDatabase(pg.serverUrl, "seed");
    url = pg.urlFor("seed");
  }
  const db = createDb(url, { max: 1 });
  try {
    const migrated = await migrateToLatest(db);
    log(`Migrations applied: ${migrated.length}`);
    log(
      `Seeding ${options.accounts.toLocaleString("en-US")} accounts, ${options.auditRows.toLocaleString("en-US")} audit rows, ${options.tickets.toLocaleString("en-US")} tickets…`,
    );
    const result = await seedLarge(db, options, log);
    log(`Seeded in ${result.seconds.toFixed(1)} s.`);
  } finally {
    await db.destroy();
    await stop();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await runAsScript();
  } catch (err) {
    console.error(`seed:large failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
