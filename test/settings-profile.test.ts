/** Settings → Profile and "Download my data" (GDPR right of access). */
import { beforeEach, describe, expect, it } from "vitest";
import { postLedgerEntry } from "../app/models/ledger.server.js";
import { truncateAll } from "./helpers/database.js";
import { useSuite } from "./helpers/suite.js";
import { UserAgent, pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
beforeEach(() => truncateAll(t.db));

describe("download my data", () => {
  it("is everything held about the person, keys as metadata only, nobody else's data; audited", async () => {
    const me = new UserAgent(t.app.url);
    const welcome = await me.signIn("google", { email: "me@example.com", name: "Mia Me" });
    const key = /tgp_v1_[A-Za-z0-9_-]{43}/.exec(welcome.body)![0];
    const other = new UserAgent(t.app.url);
    await other.signIn("github", { email: "other@example.com" });
    const account = await t.db
      .selectFrom("memberships")
      .innerJoin("users", "users.id", "memberships.user_id")
      .select(["memberships.account_id", "users.id as user_id"])
      .where("users.email", "=", "me@example.com")
      .executeTakeFirstOrThrow();
    await postLedgerEntry(t.db, { accountId: account.account_id, amountCents: 1234n, kind: "grant", idempotencyKey: "g", actor: { type: "system", id: null } });

    const profile = await me.get("/settings/profile");
    expect(pageText(profile.body)).toContain("Privacy and Security");
    const res = await fetch(`${t.app.url}/settings/profile/data`, { headers: { Cookie: me.cookieHeader("/settings/profile/data") } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="switchboard-data-\d{4}-\d{2}-\d{2}\.json"$/);
    const body = await res.text();
    const data = JSON.parse(body);
    expect(data.profile).toMatchObject({ email: "me@example.com", name: "Mia Me", provider: "google" });
    expect(data.accounts).toHaveLength(1);
    expect(data.api_keys).toEqual([expect.objectContaining({ kind: "main", last4: key.slice(-4), status: "active" })]);
    expect(data.ledger).toEqual([expect.objectContaining({ amount_cents: "1234", kind: "grant" })]);
    expect(data.sign_in_identities).toEqual([expect.objectContaining({ provider: "google", email: "me@example.com" })]);
    expect(body).not.toContain(key); // keys are never stored, so never exported
    expect(body).not.toContain("other@example.com");
    const audit = await t.db.selectFrom("audit_log").select("actor_id").where("action", "=", "user.data_exported").execute();
    expect(audit).toEqual([{ actor_id: account.user_id }]);
  });

  it("includes the person's mailing-list subscriptions", async () => {
    const me = new UserAgent(t.app.url);
    await me.signIn("google", { email: "me@example.com" });
    const user = await t.db.selectFrom("users").select("id").where("email", "=", "me@example.com").executeTakeFirstOrThrow();
    await t.db.insertInto("mailing_subscriptions").values({ user_id: user.id, list_id: "newsletter", subscribed: true }).execute();
    const res = await fetch(`${t.app.url}/settings/profile/data`, { headers: { Cookie: me.cookieHeader("/settings/profile/data") } });
    expect((await res.json()).subscriptions).toEqual([{ list_id: "newsletter", list_name: "Newsletter", subscribed: true, changed_at: expect.any(String) }]);
  });

  it("needs a signed-in user", async () => {
    const res = await fetch(`${t.app.url}/settings/profile/data`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toContain("/login?next=");
  });
});
