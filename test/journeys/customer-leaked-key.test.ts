/**
 * Journey: a key found public dies by itself (issue 16, §2), against the app
 * as `npm start` runs it with its local secret-scanning stand-in
 * (dev/local-secret-scanner.ts, which signs reports as GitHub does and whose
 * public key the web processes fetch as they would GitHub's).
 *
 * A newcomer signs up, creates an additional key on Settings → API keys and
 * copies it from the page; the key works. They open the stand-in's page, paste
 * the key with the URL "where it was found" and press "Report to Switchboard":
 * the page shows Switchboard's answer (the key's SHA-256, true_positive, never
 * the key). The key now gets 401 on /v1; back on the keys page it shows
 * "revoked: found public at <url>"; the owner has one mail about it (support
 * reads it in the console's Mail, the URL in it, never the key), the console's
 * account page shows it, and it is audited once. The same report delivered
 * again changes and mails nothing more. On a phone, every page of the way
 * (the stand-in's form and answer, the keys page with the revoked row and a
 * long URL) fits 375 px with no sideways page scroll and passes axe.
 *
 * Every wait for the workflow or its mail polls against a deadline.
 */
import { createHash } from "node:crypto";
import type { Locator, Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { accountOf, accountStatusWith, mailTo, signIn, v1, waitFor, WORKFLOW_DEADLINE_MS } from "./helpers/customer.js";
import { chromiumPath, journey, openPage, useNewcomerApp, type Newcomer } from "./helpers/newcomer.js";
import { checkPage, DESKTOP, PHONE, withViewport } from "./helpers/page-checks.js";
import { navTo, openAccountInConsole, reloadUntilVisible, signInAsStaff } from "./helpers/staff.js";

const app = useNewcomerApp();

/** A checksummed key: `tgp_v1_`, 37 random characters, 6 base62 digits of CRC32. */
const CHECKSUMMED_KEY = /^tgp_v1_[A-Za-z0-9_-]{37}[0-9A-Za-z]{6}$/;
const LEAKED_SUBJECT = /found public and revoked/;

/** The text of an element with its whitespace collapsed (the way a person reads it). */
const text = async (l: Locator) => (await l.innerText()).replace(/\s+/g, " ").trim();
const sha256Hex = (s: string) => createHash("sha256").update(s).digest("hex");

/** On the keys page: create an additional key with this name and read it off the page (shown once). */
async function createKey(page: Page, name: string): Promise<string> {
  await page.getByLabel("Key name").fill(name);
  await page.getByRole("button", { name: "Create key" }).click();
  await page.getByRole("heading", { name: `New key “${name}”` }).waitFor();
  // The key shows from the action's answer while the page's data is still reloading; going elsewhere now would
  // cancel that reload. The address changes once it is done.
  await page.waitForURL(`${new URL(page.url()).origin}/settings/api-keys`);
  const key = await page.getByLabel(`API key “${name}”`).inputValue();
  expect(key).toMatch(CHECKSUMMED_KEY);
  return key;
}

/** At the stand-in: paste the key and where it was found, press Report, and land on Switchboard's answer. */
async function reportAtStandIn(page: Page, key: string, foundAt: string, opts: { check?: string } = {}): Promise<void> {
  await page.goto(`${inject("appSecretScannerUrl")}/`);
  await page.getByRole("heading", { level: 1, name: "Report a leaked key", exact: true }).waitFor();
  await page.getByText("Local secret scanner — plays GitHub's secret scanning", { exact: true }).waitFor();
  if (opts.check) await checkPage(page, `${opts.check}-form`);
  await page.getByLabel("Key (token)").fill(key);
  await page.getByLabel("Where it was found").fill(foundAt);
  await page.getByRole("button", { name: "Report to Switchboard" }).click();
  await page.getByRole("heading", { level: 1, name: "Reported to Switchboard", exact: true }).waitFor();
  if (opts.check) await checkPage(page, `${opts.check}-answer`);
}

/** The keys page's entry for a key by its name (a table row, or whatever holds the row on a phone). */
const keyEntry = (page: Page, name: string) =>
  page
    .locator("tr, li, article")
    .filter({ hasText: name })
    .filter({ hasText: /found public at/ });

async function keyIdOf(a: Newcomer, accountId: string, name: string): Promise<string> {
  const row = await a.db.selectFrom("api_keys").select("id").where("account_id", "=", accountId).where("name", "=", name).executeTakeFirstOrThrow();
  return row.id;
}

const leakedMails = (a: Newcomer, to: string) =>
  a.db
    .selectFrom("mail_outbox")
    .select(["id", "subject", "text_body", "kind"])
    .where("to_address", "=", to)
    .where("kind", "=", "security_key_leaked")
    .execute();

describe.skipIf(!chromiumPath)("customer: a leaked key", () => {
  it(
    "a key pasted into the secret-scanning stand-in dies: 401 on /v1, the keys page says where it was found, one mail, once even when reported again",
    { timeout: 300_000 },
    async () => {
      const email = "leaky-deployer@example.com";
      const foundAt = "https://github.com/leaky-deployer/shop/blob/main/.env";
      const customer = await openPage(app, { contextOptions: withViewport(DESKTOP) });
      // The console's account search answers while its list is already on screen: clicking the account aborts it, by design.
      const staff = await openPage(app, { ignoreAborted: true, contextOptions: withViewport(DESKTOP) });
      await journey("customer-leaked-key", [customer, staff], async () => {
        const { page } = customer;

        // 1. Sign up; create an additional key on the keys page and copy it from there. It works.
        await signIn(page, app, "GitHub", email);
        await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
        const { accountId } = await accountOf(app, email);
        const key = await createKey(page, "Deploy bot");
        expect((await v1(app, key, "/v1/account")).status).toBe(200);
        const keyId = await keyIdOf(app, accountId, "Deploy bot");

        // 2. The stand-in's page: paste it with where it was found, report. The answer names its hash, never the key.
        await reportAtStandIn(page, key, foundAt);
        const answer = page.locator("main");
        expect(await text(answer)).toContain("Switchboard answered 200.");
        expect(await text(answer)).toContain(`${sha256Hex(key)} (the key you pasted)`);
        expect(await text(answer)).toContain("true_positive");
        expect(await page.content()).not.toContain(key);

        // 3. Dead at once on /v1, saying why (never echoing it).
        const dead = await v1(app, key, "/v1/account");
        expect(dead.status).toBe(401);
        expect(dead.body.error.type).toBe("revoked_api_key");
        expect(dead.body.error.message).toMatch(/found in public/);
        expect(JSON.stringify(dead.body)).not.toContain(key);

        // 4. Back on the keys page (the stand-in links there): revoked, with where it was found.
        await page.getByRole("link", { name: "Open Switchboard's API keys" }).click();
        await page.waitForURL(`${app.url}/settings/api-keys`);
        const entry = keyEntry(page, "Deploy bot");
        await reloadUntilVisible(page, entry);
        expect(await text(entry.first())).toContain(`revoked: found public at ${foundAt}`);
        await checkPage(page, "settings-api-keys-leaked");

        // 5. The owner is mailed once: which key, where it was found, what to do — never the key.
        const mail = await mailTo(app, email, LEAKED_SUBJECT);
        expect(mail.kind).toBe("security_key_leaked");
        expect(mail.text_body).toContain(foundAt);
        expect(mail.text_body).toContain("Deploy bot");
        expect(mail.text_body).toContain(key.slice(-4));
        expect(mail.text_body).not.toContain(key);

        // 6. Support reads it in the console's Mail, and sees the key found public on the account's page.
        const s = staff.page;
        await signInAsStaff(s, app, "support");
        await navTo(s, "Mail");
        await s.getByRole("heading", { level: 1, name: "Mail", exact: true }).waitFor();
        const rows = s.locator("tbody tr").filter({ hasText: email }).filter({ hasText: LEAKED_SUBJECT });
        expect(await rows.count()).toBe(1);
        await rows.getByRole("link", { name: LEAKED_SUBJECT }).click();
        await s.getByRole("heading", { level: 1, name: LEAKED_SUBJECT }).waitFor();
        expect(await text(s.locator("pre"))).toContain(foundAt);
        expect(await s.content()).not.toContain(key);
        const account = await app.db.selectFrom("accounts").select("name").where("id", "=", accountId).executeTakeFirstOrThrow();
        await openAccountInConsole(s, email, account.name);
        expect(await text(s.locator("main"))).toContain(`found public at ${foundAt}`);

        // 7. The same report again (GitHub redelivers): still true_positive, nothing more changes or is sent.
        const again = await fetch(`${inject("appSecretScannerUrl")}/report`, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ token: key, url: foundAt }),
        });
        expect(again.status).toBe(200);
        expect(await again.json()).toEqual({
          status: 200,
          answer: [{ token_hash: sha256Hex(key), token_type: "switchboard_api_key", label: "true_positive" }],
        });
        const runs = await waitFor(
          "the leaked-key workflow to have completed",
          async () => {
            const out: string[] = [];
            for await (const w of app.temporal.workflow.list({ query: `WorkflowId = 'leaked-key:${keyId}'` })) out.push(w.status.name);
            return out;
          },
          (r) => r.length > 0 && r.every((st) => st === "COMPLETED"),
          WORKFLOW_DEADLINE_MS,
        );
        expect(runs).toEqual(["COMPLETED"]);
        expect(await leakedMails(app, email)).toHaveLength(1);
        const audits = await app.db
          .selectFrom("audit_log")
          .select(["details"])
          .where("action", "=", "api_key.revoked_leaked")
          .where("target_id", "=", accountId)
          .execute();
        expect(audits).toHaveLength(1);
        expect(audits[0].details).toMatchObject({ key_id: keyId, found_url: foundAt });
        expect(JSON.stringify(audits[0].details)).not.toContain(key);
        const row = await app.db.selectFrom("api_keys").select(["status", "revoked_reason", "leaked_url"]).where("id", "=", keyId).executeTakeFirstOrThrow();
        expect(row).toEqual({ status: "revoked", revoked_reason: "leaked", leaked_url: foundAt });
      });
    },
  );

  it("on a phone: the stand-in's form and answer and the keys page with the revoked key fit 375 px (a long URL too)", { timeout: 240_000 }, async () => {
    const email = "leaky-phone@example.com";
    const foundAt =
      "https://github.com/an-organisation-with-a-long-name/a-rather-long-repository-name/blob/0123456789abcdef0123456789abcdef01234567/config/production/secrets.env";
    const phone = await openPage(app, { contextOptions: withViewport(PHONE) });
    await journey("customer-leaked-key-phone", [phone], async () => {
      const { page } = phone;
      await signIn(page, app, "Google", email);
      await page.getByRole("heading", { name: "Welcome to Switchboard" }).waitFor();
      const key = await createKey(page, "Phone app");

      await reportAtStandIn(page, key, foundAt, { check: "secret-scanner" });
      expect(await accountStatusWith(app, key)).toBe(401);

      await page.goto(`${app.url}/settings/api-keys`);
      const entry = keyEntry(page, "Phone app");
      await entry.first().waitFor();
      expect(await text(entry.first())).toContain(`revoked: found public at ${foundAt}`);
      await checkPage(page, "settings-api-keys-leaked");
      await mailTo(app, email, LEAKED_SUBJECT);
    });
  });
});
