/**
 * Demo data for a newcomer: a handful of accounts on different plans (one a
 * legacy LinkedIn sign-up, one blocked) and staff of each role. Idempotent:
 * seeding twice adds nothing.
 */
import { createMainKey } from "../app/models/api-keys.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import type { DbOrTrx, Db } from "./connection.js";
import type { AccountStatus, Plan, Provider, StaffRole } from "./schema.js";

export interface DemoUser {
  email: string;
  name: string;
  provider: Provider;
  plan: Plan;
  status?: AccountStatus;
  creditCents: number;
  note: string;
}

export const DEMO_USERS: DemoUser[] = [
  { email: "alice@example.com", name: "Alice Anders", provider: "google", plan: "build", creditCents: 2500, note: "Build plan, signs in with Google" },
  { email: "bob@example.com", name: "Bob Brown", provider: "github", plan: "scale", creditCents: 50000, note: "Scale plan, signs in with GitHub" },
  { email: "carol@example.com", name: "Carol Chen", provider: "linkedin", plan: "enterprise", creditCents: 120000, note: "legacy LinkedIn account: first Google or GitHub sign-in re-binds it" },
  { email: "dan@example.com", name: "Dan Diaz", provider: "google", plan: "gpu_cluster", creditCents: 1000000, note: "GPU Cluster plan, signs in with Google" },
  { email: "erin@example.com", name: "Erin Evans", provider: "github", plan: "build", status: "blocked", creditCents: 0, note: "blocked account (sign-in is refused)" },
];

export const DEMO_STAFF: { email: string; name: string; role: StaffRole }[] = [
  { email: "support@switchboard.test", name: "Sam Support", role: "support" },
  { email: "operator@switchboard.test", name: "Olga Operator", role: "operator" },
  { email: "admin@switchboard.test", name: "Ada Admin", role: "admin" },
];

/** Identities the local OAuth stand-in offers in its picker (plus free typing). */
export const DEMO_IDENTITIES = [
  ...DEMO_USERS.map((u) => ({ email: u.email, name: u.name })),
  ...DEMO_STAFF.map((s) => ({ email: s.email, name: s.name })),
  { email: "newcomer@example.com", name: "Nina Newcomer" },
  { email: "unverified@example.com", name: "Uma Unverified", emailVerified: false },
];

export async function seedDemoData(db: Db): Promise<{ created: number }> {
  return db.transaction().execute(async (trx) => {
    let created = 0;
    for (const u of DEMO_USERS) if (await seedUser(trx, u)) created++;
    for (const s of DEMO_STAFF) {
      await trx.insertInto("staff").values({ email: s.email, role: s.role }).onConflict((oc) => oc.column("email").doNothing()).execute();
    }
    return { created };
  });
}

async function seedUser(trx: DbOrTrx, u: DemoUser): Promise<boolean> {
  const user = await trx
    .insertInto("users")
    .values({ email: u.email, name: u.name, provider: u.provider })
    .onConflict((oc) => oc.column("email").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!user) return false;
  const account = await trx
    .insertInto("accounts")
    .values({
      name: `${u.name}'s account`,
      plan: u.plan,
      status: u.status ?? "active",
      ...(u.status === "blocked" ? { blocked_reason_code: "abuse", blocked_at: new Date() } : {}),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await trx.insertInto("memberships").values({ account_id: account.id, user_id: user.id, role: "owner" }).execute();
  // The demo main key is not shown anywhere: regenerate it in Settings → API Keys to get one to copy.
  await createMainKey(trx, account.id, user.id);
  if (u.creditCents > 0) {
    await postLedgerEntry(trx, {
      accountId: account.id,
      amountCents: BigInt(u.creditCents),
      kind: "grant",
      idempotencyKey: "demo:welcome-credit",
      actor: { type: "system", id: null },
      note: "Demo credit",
    });
  }
  await trx
    .insertInto("audit_log")
    .values({ actor_type: "system", action: "demo.seeded", target_type: "account", target_id: account.id, details: "{}" })
    .execute();
  return true;
}
