/**
 * Journey: an operator works from the dashboard's workflow numbers, on the
 * app's own worker (no test worker, no changed code).
 *
 * Two broken workflows are started the way a script or a mistaken call would
 * start them, on the app's task queue:
 * - `listMailing` for a mailing that does not exist: its first activity
 *   refuses (mailing_not_found, not retried) and the workflow fails at once:
 *   "Failed, last 24 h";
 * - `listMailing` for a mailing id that is not an id at all: its first
 *   activity fails in the database on every attempt, and its retry policy has
 *   no limit, so it stays Running, retrying, until someone stops it.
 *
 * The operator follows "Failed, last 24 h" to the failed one and reads why;
 * then follows "Running" to the stuck one, sees the failing activity's
 * attempts and last failure, terminates it with a reason; the audit log has
 * the termination, by the operator, with the reason.
 */
import { WorkflowFailedError } from "@temporalio/client";
import { describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { listMailingWorkflowId, type ListMailingInput } from "../../workflows/shared.js";
import { chromiumPath, journey, openPage, useNewcomerApp } from "./helpers/newcomer.js";
import { reloadUntilVisible, signInAsStaff, staffEmail, WORKFLOW_DEADLINE_MS } from "./helpers/staff.js";

const app = useNewcomerApp();

describe.skipIf(!chromiumPath)("staff operator", () => {
  it("dashboard → Failed: a mailing that does not exist, and why; dashboard → Running: a mailing whose activity keeps failing → terminated, audited", async () => {
    const taskQueue = app.config.temporal.taskQueue;
    const mailingId = "spring-launch";
    const reason = "Started by hand with a mistyped mailing id; it can never succeed. Nothing was sent.";
    // The workflow page revalidates every 2 s while it runs: navigating on may abort one of those fetches.
    const operator = await openPage(app, { ignoreAborted: true });
    await journey("staff-operator", [operator], async () => {
      // The failed one: fails at its first activity, on the app's worker.
      const failedId = listMailingWorkflowId(randomUUID());
      const failed = await app.temporal.workflow.start("listMailing", {
        taskQueue,
        workflowId: failedId,
        args: [{ mailingId: failedId.slice("list-mailing:".length) } satisfies ListMailingInput],
      });
      const outcome = await failed.result().then(
        () => "completed",
        (err: unknown) => (err instanceof WorkflowFailedError ? "failed" : String(err)),
      );
      expect(outcome).toBe("failed");

      // The stuck one: running, its activity failing again and again.
      const stuckId = listMailingWorkflowId(mailingId);
      const stuck = await app.temporal.workflow.start("listMailing", { taskQueue, workflowId: stuckId, args: [{ mailingId } satisfies ListMailingInput] });
      await expect
        .poll(async () => (await stuck.describe()).raw.pendingActivities?.[0]?.attempt ?? 0, { timeout: WORKFLOW_DEADLINE_MS, interval: 500 })
        .toBeGreaterThan(1);

      await signInAsStaff(operator.page, app, "operator");
      const page = operator.page;

      // Dashboard → "Failed, last 24 h" (visibility is eventually consistent: reload until it counts it).
      const failedLink = page.locator('a[href^="/console/workflows?status=Failed"]');
      await expect
        .poll(
          async () => {
            await page.reload();
            return Number(await failedLink.innerText({ timeout: 5_000 }));
          },
          { timeout: WORKFLOW_DEADLINE_MS, interval: 1_000 },
        )
        .toBeGreaterThan(0);
      await failedLink.click();
      await page.waitForURL(/\/console\/workflows\?status=Failed/);
      const failedRow = page.locator(`a[href^="/console/workflows/${encodeURIComponent(failedId)}"]`);
      await reloadUntilVisible(page, failedRow);
      await failedRow.first().click();
      await page.getByRole("heading", { level: 1, name: failedId }).locator(".badge.failed").waitFor();
      await page.getByText("listMailing · run").waitFor();
      await page.getByText("Attempt 1: failed — mailing not found").waitFor();
      // The summary names the cause, not Temporal's wrapper ("Activity task failed").
      await page.locator(".field-error", { hasText: "mailing not found" }).waitFor();
      await page.getByText("This workflow has finished; there is nothing to cancel, terminate or retry.").waitFor();

      // Back to the dashboard → "Running".
      await page.getByRole("navigation").getByRole("link", { name: "Dashboard", exact: true }).click();
      await page.waitForURL(`${app.url}/console`);
      await page.getByRole("heading", { name: "Dashboard", exact: true }).waitFor();
      const runningLink = page.locator('a[href="/console/workflows?status=Running"]');
      await expect
        .poll(
          async () => {
            await page.reload();
            return Number(await runningLink.innerText({ timeout: 5_000 }));
          },
          { timeout: WORKFLOW_DEADLINE_MS, interval: 1_000 },
        )
        .toBeGreaterThan(0);
      await runningLink.click();
      await page.waitForURL(/\/console\/workflows\?status=Running/);
      const stuckRow = page.locator(`a[href^="/console/workflows/${encodeURIComponent(stuckId)}"]`);
      await reloadUntilVisible(page, stuckRow);
      await stuckRow.first().click();
      await page.getByRole("heading", { level: 1, name: stuckId }).locator(".badge.running").waitFor();

      // The failing activity: its attempts and its last failure (the page follows it while it runs).
      const pending = page
        .locator("section", { has: page.getByRole("heading", { name: "Pending activities" }) })
        .getByRole("row", { name: /enqueueListMailingBatch/ });
      await pending.waitFor();
      await page.getByText("This kind of workflow does not report a step; see its pending activities and timeline.").waitFor();
      await pending.getByText(/invalid input syntax for type uuid: "spring-launch"/).waitFor();
      await expect
        .poll(async () => Number((await pending.getByRole("cell").nth(2).innerText()).trim().split(" ")[0]), { timeout: WORKFLOW_DEADLINE_MS })
        .toBeGreaterThan(1);
      // The timeline lists every attempt; Temporal keeps the message of the latest failure only.
      await page.getByText("Attempt 1: failed", { exact: true }).waitFor();
      await page.getByText(/^Attempt \d+: failed — invalid input syntax for type uuid: "spring-launch"$/).waitFor();

      // Terminate, asked first in its dialog, with the reason for the record.
      await page.getByRole("button", { name: "Terminate workflow…" }).click();
      const terminate = page.getByRole("dialog", { name: "Terminate this workflow?" });
      await terminate.getByLabel("Why (required)").fill(reason);
      await terminate.getByRole("button", { name: "Terminate workflow", exact: true }).click();
      await page.getByText("Terminated. The workflow stopped at once; no clean-up ran.").waitFor();
      await page.getByRole("heading", { level: 1, name: stuckId }).locator(".badge.terminated").waitFor({ timeout: WORKFLOW_DEADLINE_MS });
      expect((await stuck.describe()).status.name).toBe("TERMINATED");

      // The audit log has it: who, what, which workflow, why.
      await page.getByRole("navigation").getByRole("link", { name: "Audit", exact: true }).click();
      await page.getByLabel("Action (exact, or prefix*)").fill("workflow.terminated");
      await page.getByRole("button", { name: "Filter", exact: true }).click();
      await page.waitForURL(/action=workflow\.terminated/);
      const auditRow = page.getByRole("row", { name: new RegExp(stuckId) });
      await auditRow.waitFor();
      // The details read in the row (and again, pretty-printed, one click away).
      await auditRow.getByText(reason, { exact: false }).first().waitFor();
      await auditRow.getByText(staffEmail("operator")).waitFor(); // the actor by address, not an id
      const operatorRow = await app.db.selectFrom("staff").select("id").where("email", "=", staffEmail("operator")).executeTakeFirstOrThrow();
      const audit = await app.db
        .selectFrom("audit_log")
        .select(["actor_type", "actor_id", "target_id", "details"])
        .where("action", "=", "workflow.terminated")
        .execute();
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_type: "staff", actor_id: operatorRow.id, target_id: stuckId });
      expect(JSON.stringify(audit[0]!.details)).toContain(reason);
    });
  });
});
