/**
 * The console account page (issue 19, item 15): the overview first (facts,
 * API keys by prefix…last4 with last use and spend, members, recent activity),
 * then every action behind its confirmation, and only for the roles that may
 * act; the staff page's role grants and removals behind theirs.
 */
import { createHash } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { hashApiKey } from "../app/models/api-key-format.server.js";
import { createAdditionalKey, revokeLeakedKey, rollMainKey } from "../app/models/api-keys.server.js";
import { writeAudit } from "../app/models/audit.server.js";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { accountWithKey } from "./helpers/accounts.js";
import { truncateAll } from "./helpers/database.js";
import { seedStaffOfEachRole, staffAgent as staffAgentFor, staffIdByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});

const staffAgent = (role: "support" | "operator" | "admin") => staffAgentFor(t.app.url, role);

/** An account with $50.00 granted and its main key (used yesterday, $1.25 spent this month, so $48.75 left), an additional key never used, an admin member and six audit rows. */
async function seeded() {
  const a = await accountWithKey(t.db, { email: "owner@example.com", balanceCents: 5_000n });
  const lastUsed = new Date(Date.now() - 86_400_000);
  lastUsed.setUTCSeconds(0, 0);
  await t.db.updateTable("api_keys").set({ last_used_at: lastUsed }).where("id", "=", a.keyId).execute();
  const extra = await t.db
    .insertInto("api_keys")
    .values({ account_id: a.accountId, kind: "additional", name: "ci-runner", key_hash: Buffer.alloc(32, 7), prefix: "sb_live_zz", last4: "9f3c" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await postLedgerEntry(t.db, {
    accountId: a.accountId,
    amountCents: -125n,
    kind: "usage",
    idempotencyKey: "test:usage",
    actor: { type: "api_key", id: a.keyId },
    spendingKeyId: a.keyId,
  });
  const admin = await t.db
    .insertInto("users")
    .values({ email: "second@example.com", name: "Second", provider: "github" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await t.db.insertInto("memberships").values({ account_id: a.accountId, user_id: admin.id, role: "admin" }).execute();
  for (let i = 1; i <= 6; i++) await writeAudit(t.db, { type: "system", id: null }, { action: `test.step_${i}`, targetType: "account", targetId: a.accountId });
  const main = await t.db.selectFrom("api_keys").select(["prefix", "last4", "key_hash"]).where("id", "=", a.keyId).executeTakeFirstOrThrow();
  return { ...a, lastUsed, extraId: extra.id, main };
}

/** The `<details class="confirm">` disclosures of a page as the server renders it (no JavaScript yet): each holds one action's form. */
const confirmations = (html: string) => [...html.matchAll(/<details class="confirm"[^>]*>[\s\S]*?<\/details>/g)].map((m) => m[0]);
/** Every submit button posting `intent` sits inside a confirmation: a page without them has the button outside. */
function expectConfirmed(html: string, intent: string) {
  const button = `name="intent" value="${intent}"`;
  const all = html.split(button).length - 1;
  const inside = confirmations(html).reduce((n, c) => n + c.split(button).length - 1, 0);
  expect(all, `a ${intent} button on the page`).toBeGreaterThan(0);
  expect(inside, `every ${intent} button inside a confirmation`).toBe(all);
}

describe("the account page's overview", () => {
  it("lists the keys by prefix…last4 with created, last use and this month's spend, never the secret or its hash", async () => {
    const a = await seeded();
    for (const role of ["support", "operator"] as const) {
      const html = (await (await staffAgent(role)).get(`/console/accounts/${a.accountId}`)).body;
      const text = pageText(html);
      expect(text).toContain(`${a.main.prefix}…${a.main.last4}`);
      expect(text).toContain("sb_live_zz…9f3c");
      expect(text).toContain("ci-runner");
      expect(html).toContain(`dateTime="${a.lastUsed.toISOString()}"`);
      expect(text).toMatch(/sb_live_zz…9f3c [^|]*? never \$0\.00/);
      expect(text).toContain("$1.25");
      // The plaintext, any long piece of its secret part, and the hash in any spelling stay off the page and out of its data.
      expect(html).not.toContain(a.key);
      expect(html).not.toContain(a.key.slice(a.main.prefix.length, a.main.prefix.length + 12));
      expect(html).not.toContain(a.main.key_hash.toString("hex"));
      expect(html).not.toContain(a.main.key_hash.toString("base64"));
      expect(html).not.toContain(createHash("sha256").update(a.key).digest("hex"));
      expect(html).not.toMatch(/key_hash|keyHash/);
    }
  });

  it("each key says what it is: primary or rolled main (with its end), additional with its expiry, spend of its limit, old format, idle, and leaked with where and when", async () => {
    const a = await seeded();
    const system = { type: "system" as const, id: null };
    const rolled = await rollMainKey(t.db, a.accountId, a.userId, "24h", system);
    const limited = await createAdditionalKey(t.db, a.accountId, "billing-job", a.userId, system, {
      expiresAt: new Date(Date.now() + 3 * 86_400_000),
      spendLimitCents: 5_000n,
    });
    const expired = await createAdditionalKey(t.db, a.accountId, "old-demo", a.userId, system, { expiresAt: new Date(Date.now() - 3_600_000) });
    const leaked = await createAdditionalKey(t.db, a.accountId, "pasted", a.userId, system);
    const hostile = await createAdditionalKey(t.db, a.accountId, "pasted-too", a.userId, system);
    const longAgo = await createAdditionalKey(t.db, a.accountId, "leaked-long-ago", a.userId, system);
    if (!limited.ok || !expired.ok || !leaked.ok || !hostile.ok || !longAgo.ok) throw new Error("keys not made");
    await postLedgerEntry(t.db, {
      accountId: a.accountId,
      amountCents: -125n,
      kind: "usage",
      idempotencyKey: "test:limited",
      actor: { type: "api_key", id: limited.key.id },
      spendingKeyId: limited.key.id,
    });
    await revokeLeakedKey(t.db, hashApiKey(leaked.key.plaintext), { url: "https://github.com/acme/app/blob/main/.env", source: "commit" });
    await revokeLeakedKey(t.db, hashApiKey(hostile.key.plaintext), { url: "javascript:alert(1)", source: "commit" });
    await revokeLeakedKey(t.db, hashApiKey(longAgo.key.plaintext), { url: "https://gist.github.com/old", source: "gist" });
    await t.db
      .updateTable("api_keys")
      .set({ revoked_at: new Date(Date.now() - 40 * 86_400_000) })
      .where("id", "=", longAgo.key.id)
      .execute();
    // The seeded "ci-runner" predates checksums (the column's default) and was made 100 days ago, never used: idle.
    await t.db
      .updateTable("api_keys")
      .set({ created_at: new Date(Date.now() - 100 * 86_400_000) })
      .where("id", "=", a.extraId)
      .execute();

    const html = (await (await staffAgent("support")).get(`/console/accounts/${a.accountId}`)).body;
    const keys = html.slice(html.indexOf(">API keys</h2>"), html.indexOf(">Members</h2>"));
    const row = (display: string) => pageText(keys.slice(keys.lastIndexOf("<tr", keys.indexOf(display)), keys.indexOf("</tr>", keys.indexOf(display))));
    const at = (d: Date) => `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;

    expect(row(`${rolled.key.prefix}…${rolled.key.last4}`)).toMatch(/Main key main, primary .* never \$0\.00 no limit active/);
    expect(row(`${a.main.prefix}…${a.main.last4}`)).toMatch(
      new RegExp(`Main key main, rolled .* old key ends ${at(rolled.old!.expiresAt)} \\$1\\.25 no limit active`),
    );
    expect(row(`${limited.key.prefix}…${limited.key.last4}`)).toMatch(
      /billing-job additional .* expires \d{4}-\d\d-\d\d \d\d:\d\d UTC \$1\.25 of \$50\.00 limit active/,
    );
    expect(row(`${expired.key.prefix}…${expired.key.last4}`)).toMatch(/old-demo additional .* expired \d{4}-.* UTC \$0\.00 no limit expired/);
    expect(row("sb_live_zz…9f3c")).toMatch(/ci-runner additional sb_live_zz…9f3c old format .* never idle never \$0\.00 no limit active/);
    // New keys carry a checksum: no old-format badge; a key made days ago is not idle.
    expect(row(`${limited.key.prefix}…${limited.key.last4}`)).not.toMatch(/old format|idle/);

    // Found public: revoked, where (a link opening a new tab, no referrer, no endorsement) and when.
    expect(row(`${leaked.key.prefix}…${leaked.key.last4}`)).toMatch(
      /pasted additional .* revoked found public at https:\/\/github\.com\/acme\/app\/blob\/main\/\.env \d{4}-/,
    );
    expect(keys).toContain('<a href="https://github.com/acme/app/blob/main/.env" target="_blank" rel="noopener noreferrer nofollow">');
    // An address that is no http(s) is shown as text, never a link.
    expect(row(`${hostile.key.prefix}…${hostile.key.last4}`)).toContain("found public at javascript:alert(1)");
    expect(keys).not.toMatch(/href="javascript:/);
    // Past 30 days a leaked key leaves the list.
    expect(keys).not.toContain(`${longAgo.key.prefix}…${longAgo.key.last4}`);

    // Read-only: the console offers no change to a key (they are changed in Settings → API keys).
    expect(keys).not.toMatch(/<form|name="intent"|name="keyId"/);
    for (const k of [rolled.key, limited.key, leaked.key]) expect(html).not.toContain(k.plaintext);
  });

  it("recent activity names people, not ids: a staff actor by address, linked to their trail", async () => {
    const a = await seeded();
    const supportId = await staffIdByEmail(t.db, "support@switchboard.test");
    await writeAudit(t.db, { type: "staff", id: supportId }, { action: "account.blocked", targetType: "account", targetId: a.accountId });
    const res = await (await staffAgent("support")).get(`/console/accounts/${a.accountId}`);
    const activity = res.body.slice(res.body.indexOf(">Recent activity</h2>"), res.body.indexOf(">Actions</h2>"));
    expect(activity).toContain("support@switchboard.test");
    expect(activity).toContain(`href="/console/audit?actor_email=support%40switchboard.test"`);
  });

  it("shows status, plan, balance, the members with their roles and the last five audit rows with a link to the account's full trail", async () => {
    const a = await seeded();
    const res = await (await staffAgent("support")).get(`/console/accounts/${a.accountId}`);
    const text = pageText(res.body);
    expect(text).toMatch(/Overview Status active Plan Build .*Balance \$48\.75/);
    expect(text).toMatch(/owner@example\.com owner google/);
    expect(text).toMatch(/second@example\.com admin github/);
    for (let i = 2; i <= 6; i++) expect(text).toContain(`test.step_${i}`);
    expect(text).not.toContain("test.step_1 ");
    expect(res.body).toContain(`href="/console/audit?target_type=account&amp;target_id=${a.accountId}"`);
    // Overview, keys, members and activity come before the actions.
    const order = ["Overview", "API keys", "Members", "Recent activity", "Actions"].map((h) => res.body.indexOf(`>${h}</h2>`));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    // The tab says whose account it is.
    expect(res.body).toContain("<title>owner@example.com · Accounts · Console · Switchboard</title>");
  });
});

describe("the account page's actions", () => {
  it("each dangerous action is behind a confirmation (blocked: unblock)", async () => {
    const a = await seeded();
    await t.db.updateTable("accounts").set({ plan: "scale" }).where("id", "=", a.accountId).execute();
    const support = await staffAgent("support");
    const page = `/console/accounts/${a.accountId}`;
    const html = (await support.get(page)).body;
    for (const intent of ["block", "adjust", "plan", "end_sessions", "delete"]) expectConfirmed(html, intent);
    // Password logins: turning on is no danger; turning off ends sessions, so it asks.
    expect(html).toContain('value="on"');
    await t.db.updateTable("accounts").set({ password_logins_enabled: true, login_id: "acme-1" }).where("id", "=", a.accountId).execute();
    const on = (await support.get(page)).body;
    expect(confirmations(on).some((c) => c.includes('name="enabled" value="off"'))).toBe(true);
    await t.db.updateTable("accounts").set({ status: "blocked" }).where("id", "=", a.accountId).execute();
    expectConfirmed((await support.get(page)).body, "unblock");
  });

  it("a form answered with its errors comes back with its confirmation open (without JavaScript too), and nothing changed", async () => {
    const a = await seeded();
    const support = await staffAgent("support");
    const page = `/console/accounts/${a.accountId}`;
    const res = await support.submit(page, page, { intent: "delete", reason: "", confirm: "yes" });
    expect(res.status).toBe(400);
    const open = confirmations(res.body).filter((c) => c.startsWith('<details class="confirm" open=""'));
    expect(open).toHaveLength(1);
    expect(open[0]).toContain('value="delete"');
    expect((await t.db.selectFrom("accounts").select("status").where("id", "=", a.accountId).executeTakeFirstOrThrow()).status).toBe("active");
    // A page without an answer has every confirmation closed.
    expect(confirmations((await support.get(page)).body).every((c) => !c.includes(" open="))).toBe(true);
  });

  it("a read-only role (operator) sees no action and every action's POST is refused (403) with nothing changed", async () => {
    const a = await seeded();
    const operator = await staffAgent("operator");
    const page = `/console/accounts/${a.accountId}`;
    const html = (await operator.get(page)).body;
    expect(html).not.toContain(">Actions</h2>");
    expect(html).not.toContain('name="intent"');
    expect(confirmations(html)).toEqual([]);
    const before = await t.db
      .selectFrom("accounts")
      .select(["status", "plan", "balance_cents", "password_logins_enabled"])
      .where("id", "=", a.accountId)
      .execute();
    const refused: Record<string, string>[] = [
      { intent: "block", reasonCode: "abuse", reasonText: "x" },
      { intent: "unblock", reasonText: "x" },
      { intent: "end_sessions" },
      { intent: "adjust", adjustToken: crypto.randomUUID(), amountDollars: "10", kind: "grant", reason: "x" },
      { intent: "plan", plan: "scale", reason: "x" },
      { intent: "password_logins", enabled: "on" },
      { intent: "delete", reason: "asked by mail", confirm: "yes" },
    ];
    for (const fields of refused) {
      const res = await operator.submit("/console", page, fields);
      expect(res.status, fields.intent).toBe(403);
    }
    const after = await t.db
      .selectFrom("accounts")
      .select(["status", "plan", "balance_cents", "password_logins_enabled"])
      .where("id", "=", a.accountId)
      .execute();
    expect(after).toEqual(before);
    expect(await t.db.selectFrom("account_status_changes").selectAll().execute()).toEqual([]);
    expect(await t.db.selectFrom("account_deletions").selectAll().execute()).toEqual([]);
  });
});

describe("the staff page", () => {
  it("adding staff, changing a role and removing staff each go through a confirmation; the page has its title", async () => {
    const html = (await (await staffAgent("admin")).get("/console/staff")).body;
    for (const intent of ["add", "set_role", "remove"]) expectConfirmed(html, intent);
    expect(html).toContain("<title>Staff · Console · Switchboard</title>");
  });
});
