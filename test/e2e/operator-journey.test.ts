/**
 * In Chromium: an operator starts at the dashboard, follows "Running" to the
 * workflows, finds the block whose activity keeps failing (attempts and the
 * last failure on its page), and terminates it with a reason; the termination
 * is audited with the operator's identity.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../app/config.server.js";
import { requestStatusChange } from "../../app/status-changes.server.js";
import { accountWithKey } from "../helpers/accounts.js";
import { realActivities } from "../helpers/activities.js";
import { screenshot, signInAtStandIn, watchPage } from "../helpers/browser.js";
import { chromiumPath, launchChromium } from "../helpers/chromium.js";
import { useSuite } from "../helpers/suite.js";

const t = useSuite({ app: true, when: chromiumPath !== undefined });
let browser: Browser;

beforeAll(async () => {
  if (chromiumPath) browser = await launchChromium();
});
afterAll(() => browser?.close());

describe.skipIf(!chromiumPath)("operator journey in Chromium", () => {
  it("dashboard → a workflow stuck on a failing activity → terminate, audited", async () => {
    const operator = await t.db.insertInto("staff").values({ email: "operator@switchboard.test", role: "operator" }).returning("id").executeTakeFirstOrThrow();
    const support = await t.db.insertInto("staff").values({ email: "support@switchboard.test", role: "support" }).returning("id").executeTakeFirstOrThrow();
    const victim = await accountWithKey(t.db);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const problems = watchPage(page, { ignoreAborted: true });
    // The status flip keeps failing: the workflow waits on a failing activity, retrying.
    const broken = { ...realActivities(t.db, t.app.url), setAccountBlocked: async () => { throw new Error("database unavailable (simulated)"); } };
    try {
      await t.temporal.runWorker(broken, async () => {
        const started = await requestStatusChange(
          { db: t.db, temporal: t.temporal.client, config: parseConfig({ TEMPORAL_TASK_QUEUE: t.temporal.taskQueue }) },
          { accountId: victim.accountId, action: "block", reasonCode: "abuse", reasonText: "e2e", staffId: support.id },
          { type: "staff", id: support.id },
        );
        if (!started.ok) throw new Error(started.message);
        const handle = t.temporal.client.workflow.getHandle(started.workflowId);
        await expect.poll(async () => (await handle.describe()).raw.pendingActivities?.[0]?.attempt ?? 0, { timeout: 20_000 }).toBeGreaterThan(1);

        await signInAtStandIn(page, t.app.url, "GitHub", "operator@switchboard.test");
        await page.waitForURL(`${t.app.url}/console`);
        // The dashboard counts it among the running workflows (visibility is eventually consistent).
        await expect
          .poll(async () => {
            await page.reload();
            return Number(await page.locator('a[href="/console/workflows?status=Running"]').innerText());
          }, { timeout: 20_000 })
          .toBeGreaterThan(0);
        await page.locator('a[href="/console/workflows?status=Running"]').click();
        await page.waitForURL(/\/console\/workflows\?status=Running/);
        await expect
          .poll(async () => {
            await page.reload();
            return page.locator(`a[href^="/console/workflows/${encodeURIComponent(started.workflowId)}"]`).count();
          }, { timeout: 20_000 })
          .toBeGreaterThan(0);
        await page.locator(`a[href^="/console/workflows/${encodeURIComponent(started.workflowId)}"]`).first().click();
        await page.getByText("database unavailable (simulated)").first().waitFor();
        await page.getByLabel("Why (required)").fill("Stuck on a failing activity; customer told");
        await page.getByRole("button", { name: /Terminate/ }).click();
        await expect.poll(async () => (await handle.describe()).status.name, { timeout: 15_000 }).toBe("TERMINATED");
        await page.locator(".badge.terminated").first().waitFor({ timeout: 15_000 });
      });
      const audit = await t.db.selectFrom("audit_log").select(["actor_type", "actor_id", "action"]).where("target_type", "=", "workflow").execute();
      expect(audit).toContainEqual({ actor_type: "staff", actor_id: operator.id, action: "workflow.terminated" });
      expect(problems).toEqual([]);
    } catch (err) {
      await screenshot(page, "operator-journey");
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nPage problems: ${problems.join("\n") || "none"}`);
    } finally {
      await ctx.close();
    }
  });
});
