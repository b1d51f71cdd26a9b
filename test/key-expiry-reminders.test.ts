/**
 * "Owners get one mail 7 days before" an additional key expires (issue 16,
 * §3): the worker's sweep mails each owner and admin once per key, never a
 * plain member, never about a key that is gone or was made to last a week or
 * less; a second sweep adds nothing; a failed round is logged without personal
 * data and never throws.
 */
import { Writable } from "node:stream";
import pino from "pino";
import { beforeEach, describe, expect, it } from "vitest";
import { createAdditionalKey, deleteAdditionalKey } from "../app/models/api-keys.server.js";
import { KeyExpiryReminders, sendKeyExpiryReminders } from "../app/services/key-expiry-reminders.server.js";
import { createDb } from "../db/connection.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();
beforeEach(() => truncateAll(t.db));

const DAY = 86_400_000;
const config = { publicUrl: "https://switchboard.test", smtpUrl: undefined };
const services = () => ({ db: t.db, config });
const system = { type: "system" as const, id: null };

/** An account with its owner, an admin and a plain member (all with addresses). */
async function team() {
  const a = await accountWithKey(t.db, { email: "owner@example.com" });
  const person = async (email: string, role: "admin" | "member") => {
    const u = await t.db.insertInto("users").values({ email, name: role, provider: "github" }).returning("id").executeTakeFirstOrThrow();
    await t.db.insertInto("memberships").values({ account_id: a.accountId, user_id: u.id, role }).execute();
    return u.id;
  };
  return { ...a, adminId: await person("admin@example.com", "admin"), memberId: await person("member@example.com", "member") };
}

/** An additional key expiring `inDays` from now, made `madeDaysBefore` days before its expiry. */
async function expiringKey(accountId: string, name: string, inDays: number, madeDaysBefore = 30) {
  const expiresAt = new Date(Date.now() + inDays * DAY);
  const created = await createAdditionalKey(t.db, accountId, name, null, system, { expiresAt });
  if (!created.ok) throw new Error(created.message);
  await t.db
    .updateTable("api_keys")
    .set({ created_at: new Date(expiresAt.getTime() - madeDaysBefore * DAY) })
    .where("id", "=", created.key.id)
    .execute();
  return { ...created.key, expiresAt };
}

const reminders = () =>
  t.db
    .selectFrom("mail_outbox")
    .select(["to_address", "subject", "text_body", "dedupe_key", "related_id"])
    .where("kind", "=", "key_expiring")
    .orderBy("to_address")
    .execute();

describe("key expiry reminders", () => {
  it("a key expiring in 6 days gets one mail per owner and admin, naming the key, the date and what to do; a second sweep sends nothing", async () => {
    const a = await team();
    const key = await expiringKey(a.accountId, "ci-runner", 6);

    expect(await sendKeyExpiryReminders(services())).toEqual({ keys: 1, mails: 2 });
    const mails = await reminders();
    expect(mails.map((m) => m.to_address)).toEqual(["admin@example.com", "owner@example.com"]);
    expect(mails.map((m) => m.dedupe_key).sort()).toEqual([`key_expiring:${key.id}:${a.adminId}`, `key_expiring:${key.id}:${a.userId}`].sort());
    for (const m of mails) {
      expect(m.related_id).toBe(a.accountId);
      expect(m.subject).toBe(`An API key of your Switchboard account expires on ${key.expiresAt.toISOString().slice(0, 10)}`);
      expect(m.text_body).toContain(`“ci-runner” (${key.prefix}…${key.last4})`);
      expect(m.text_body).toContain(`expires on ${key.expiresAt.toISOString().slice(0, 16).replace("T", " ")} UTC, in 6 days`);
      expect(m.text_body).toContain("create a replacement key in Settings → API keys, switch to it before then");
      expect(m.text_body).toContain("https://switchboard.test/settings/api-keys");
      // The secret, or any long piece of it, is never in a mail.
      expect(m.text_body).not.toContain(key.plaintext.slice(key.prefix.length, key.prefix.length + 12));
    }

    // The next hour's sweep (and another worker's) finds the same key due and adds nothing.
    expect(await sendKeyExpiryReminders(services())).toEqual({ keys: 1, mails: 0 });
    await Promise.all([sendKeyExpiryReminders(services()), sendKeyExpiryReminders(services())]);
    expect(await reminders()).toHaveLength(2);
  });

  it("no mail for a key expiring in 8 days, one made 3 days before its expiry, an expired one or a deleted one; none to plain members", async () => {
    const a = await team();
    await expiringKey(a.accountId, "later", 8);
    await expiringKey(a.accountId, "short-lived", 2, 3);
    await expiringKey(a.accountId, "expired", -1 / 24);
    const deleted = await expiringKey(a.accountId, "deleted", 6);
    expect(await deleteAdditionalKey(t.db, a.accountId, deleted.id, system)).toBe(true);

    expect(await sendKeyExpiryReminders(services())).toEqual({ keys: 0, mails: 0 });
    expect(await reminders()).toEqual([]);

    // Eight days out today is within the window the day after: then it is due (and still never to the member).
    await t.db
      .updateTable("api_keys")
      .set({ expires_at: new Date(Date.now() + 6.5 * DAY) })
      .where("name", "=", "later")
      .execute();
    expect(await sendKeyExpiryReminders(services())).toEqual({ keys: 1, mails: 2 });
    expect((await reminders()).map((m) => m.to_address)).not.toContain("member@example.com");
  });

  it("a failed round is logged by kind, without the database's words about people, and never throws", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    // Nothing listens on port 1: every query fails.
    const unreachable = createDb("postgres://nobody:secret@127.0.0.1:1/none");
    const sweep = new KeyExpiryReminders({ db: unreachable, config, logger, firstAfterMs: 60_000 });
    try {
      await expect(sweep.runOnce()).resolves.toBeUndefined();
      expect(lines).toHaveLength(1);
      const logged = JSON.parse(lines[0]) as Record<string, unknown>;
      expect(logged.msg).toBe("key expiry reminders failed");
      expect(logged.err).toBe("Error");
      expect(lines[0]).not.toContain("secret");
    } finally {
      await sweep.stop();
      await unreachable.destroy();
    }
  });
});
