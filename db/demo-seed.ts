/**
 * Demo data for a newcomer: a handful of accounts on different plans (one a
 * legacy LinkedIn sign-up, one blocked), staff of each role, the customers'
 * mailing-list subscriptions and one product-updates mail to its list (in the
 * outbox, so Console → Mail shows a list mail with a working one-click
 * unsubscribe link). Idempotent: seeding twice adds nothing.
 */
import { config as processConfig, type Config } from "../app/config.server.js";
import { deliveryMode, enqueueMail } from "../app/mail/mailer.server.js";
import { listMail } from "../app/mailing-lists/list-mail.server.js";
import { createMainKey } from "../app/models/api-keys.server.js";
import { SYSTEM, writeAudit } from "../app/models/audit.server.js";
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
  {
    email: "carol@example.com",
    name: "Carol Chen",
    provider: "linkedin",
    plan: "enterprise",
    creditCents: 120000,
    note: "legacy LinkedIn account: first Google or GitHub sign-in re-binds it",
  },
  { email: "dan@example.com", name: "Dan Diaz", provider: "google", plan: "gpu_cluster", creditCents: 1000000, note: "GPU Cluster plan, signs in with Google" },
  {
    email: "erin@example.com",
    name: "Erin Evans",
    provider: "github",
    plan: "build",
    status: "blocked",
    creditCents: 0,
    note: "blocked account (sign-in is refused)",
  },
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

/** The lists each demo customer is on (seeded only with the customer, so a later choice of theirs is never undone). */
export const DEMO_SUBSCRIPTIONS: Record<string, string[]> = {
  "alice@example.com": ["product_updates", "newsletter", "billing_notices"],
  "bob@example.com": ["product_updates"],
};

/** A fixed id: the demo list mail is made once, however often the seed runs. */
export const DEMO_MAILING_ID = "5eed0000-0000-4000-8000-000000000001";
const DEMO_MAILING = {
  listId: "product_updates",
  subject: "What's new in Switchboard",
  text:
    "Hello,\n\n" +
    "This month: usage charts per API key, faster key rotation, and credits that recharge themselves when you set a rule.\n\n" +
    "Read more in your Settings, and reply to this mail if anything is unclear.\n\n" +
    "The Switchboard team",
};

/**
 * What the demo list mail needs: its links point at `publicUrl` and are signed
 * with the secrets the web process verifies them with (`unsubscribe`).
 * Defaults to the process's own configuration; a supervisor that hands its
 * children other secrets (npm start's per-install ones) must pass those.
 */
export type DemoMailConfig = Pick<Config, "publicUrl" | "smtpUrl" | "unsubscribe">;

export async function seedDemoData(db: Db, mailConfig: DemoMailConfig = processConfig()): Promise<{ created: number }> {
  return db.transaction().execute(async (trx) => {
    let created = 0;
    for (const u of DEMO_USERS) {
      const userId = await seedUser(trx, u);
      if (!userId) continue;
      created++;
      await seedSubscriptions(trx, userId, DEMO_SUBSCRIPTIONS[u.email] ?? []);
    }
    for (const s of DEMO_STAFF) {
      await trx
        .insertInto("staff")
        .values({ email: s.email, role: s.role })
        .onConflict((oc) => oc.column("email").doNothing())
        .execute();
    }
    await seedListMailing(trx, mailConfig);
    return { created };
  });
}

async function seedSubscriptions(trx: DbOrTrx, userId: string, listIds: string[]): Promise<void> {
  for (const listId of listIds) {
    const row = await trx
      .insertInto("mailing_subscriptions")
      .values({ user_id: userId, list_id: listId, subscribed: true })
      .onConflict((oc) => oc.columns(["user_id", "list_id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!row) continue;
    await writeAudit(trx, SYSTEM, { action: "mailing.subscribed", targetType: "user", targetId: userId, details: { list: listId, via: "demo_seed" } });
  }
}

/** One product-updates mail per demo subscriber, as the listMailing workflow would have enqueued it. */
async function seedListMailing(trx: DbOrTrx, cfg: DemoMailConfig): Promise<void> {
  const exists = await trx.selectFrom("list_mailings").select("id").where("id", "=", DEMO_MAILING_ID).executeTakeFirst();
  if (exists) return;
  const list = await trx.selectFrom("mailing_lists").select(["id", "name"]).where("id", "=", DEMO_MAILING.listId).executeTakeFirst();
  if (!list) return;
  const subscribers = await trx
    .selectFrom("mailing_subscriptions as s")
    .innerJoin("users as u", "u.id", "s.user_id")
    .select(["s.id", "u.email"])
    .where("s.list_id", "=", list.id)
    .where("s.subscribed", "=", true)
    .where("u.email", "in", Object.keys(DEMO_SUBSCRIPTIONS))
    .orderBy("s.id")
    .execute();
  // An install seeded before lists existed has no demo subscribers: nothing to show, nothing to send.
  if (subscribers.length === 0) return;
  const admin = await trx
    .selectFrom("staff")
    .select("id")
    .where("email", "=", DEMO_STAFF.find((s) => s.role === "admin")!.email)
    .executeTakeFirst();
  await trx
    .insertInto("list_mailings")
    .values({ id: DEMO_MAILING_ID, list_id: list.id, subject: DEMO_MAILING.subject, text_body: DEMO_MAILING.text, created_by: admin?.id ?? null })
    .execute();
  const mode = deliveryMode(cfg);
  let recipients = 0;
  for (const s of subscribers) {
    const mail = listMail({
      publicUrl: cfg.publicUrl,
      secrets: cfg.unsubscribe.secrets,
      mailingId: DEMO_MAILING_ID,
      list,
      subscriptionId: s.id,
      to: s.email!,
      subject: DEMO_MAILING.subject,
      text: DEMO_MAILING.text,
    });
    if ((await enqueueMail(trx, mail, mode)).enqueued) recipients++;
  }
  await trx.updateTable("list_mailings").set({ status: "sent", recipients, completed_at: new Date() }).where("id", "=", DEMO_MAILING_ID).execute();
  await writeAudit(trx, SYSTEM, {
    action: "mailing.created",
    targetType: "list_mailing",
    targetId: DEMO_MAILING_ID,
    details: { list: list.id, via: "demo_seed" },
  });
  await writeAudit(trx, SYSTEM, { action: "mailing.sent", targetType: "list_mailing", targetId: DEMO_MAILING_ID, details: { recipients } });
}

/** The new user's id, or null when the user already exists. */
async function seedUser(trx: DbOrTrx, u: DemoUser): Promise<string | null> {
  const user = await trx
    .insertInto("users")
    .values({ email: u.email, name: u.name, provider: u.provider })
    .onConflict((oc) => oc.column("email").doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!user) return null;
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
  return user.id;
}
