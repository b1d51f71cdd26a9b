/**
 * The workflow page on a par with Temporal's UI for what staff need (issue 19, item 14), against real
 * workflows: times to the second, a timer named with its duration, child workflows linked with their
 * status, the parent link, input ids as people, the related list, and the dangerous actions confirmed first.
 */
import type { WorkflowHandle } from "@temporalio/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startDeletion } from "../app/services/deletion.server.js";
import { approveTransferUpdate, blockWorkflowId, deleteWorkflowId, transferStatusQuery } from "../workflows/shared.js";
import { accountWithKey } from "./helpers/accounts.js";
import { realActivities } from "./helpers/activities.js";
import { truncateAll } from "./helpers/database.js";
import { seedStaffOfEachRole, staffAgent, staffEmail, staffIdByEmail } from "./helpers/staff.js";
import { useSuite } from "./helpers/suite.js";
import { confirmWithMailedToken, startTestTransfer } from "./helpers/transfers.js";
import { pageText } from "./helpers/user-agent.js";

const t = useSuite({ app: true });
const WITHIN = { timeout: 30_000, interval: 250 };

const started: WorkflowHandle[] = [];
beforeEach(async () => {
  await truncateAll(t.db);
  await seedStaffOfEachRole(t.db);
});
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate("test over").catch(() => undefined); // already finished: nothing to end
});

const page = (workflowId: string) => `/console/workflows/${encodeURIComponent(workflowId)}`;

async function transferPair() {
  const n = crypto.randomUUID().slice(0, 8);
  const old = await accountWithKey(t.db, { email: `old-${n}@example.com` });
  await accountWithKey(t.db, { email: `new-${n}@example.com` });
  return { ...old, oldAddress: `old-${n}@example.com`, newAddress: `new-${n}@example.com` };
}

const deps = () => ({ db: t.db, temporal: t.temporal.client, taskQueue: t.temporal.taskQueue });

describe("the workflow page", () => {
  it("a completed transfer: its confirmation deadline with its duration, its block as a child with status; the block links back to its parent and lists the transfer", async () => {
    const old = await transferPair();
    const supportId = await staffIdByEmail(t.db, staffEmail("support"));
    const { ticketId, handle } = await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const transfer = await startTestTransfer(deps(), { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: old.newAddress });
      started.push(transfer.handle);
      await expect.poll(async () => (await transfer.handle.query(transferStatusQuery)).step, WITHIN).toBe("awaiting_confirmation");
      await confirmWithMailedToken(t.db, transfer.ticketId, transfer.handle);
      await expect.poll(async () => (await transfer.handle.query(transferStatusQuery)).step, WITHIN).toBe("awaiting_approval");
      await transfer.handle.executeUpdate(approveTransferUpdate, { args: [{ staffId: supportId, role: "support" }] });
      await expect.poll(() => transfer.handle.result(), WITHIN).toEqual({ outcome: "completed" });
      return transfer;
    });
    const blockId = blockWorkflowId(old.accountId);
    const operator = await staffAgent(t.app.url, "operator");

    const res = await operator.get(page(handle.workflowId));
    expect(res.status).toBe(200);
    const html = res.body;
    const text = pageText(html);
    expect(html).toContain(`<title>Workflow ${handle.workflowId} · Console · Switchboard</title>`);
    // The timer the transfer set while waiting for the new address: named, with the 7 days it was set for.
    expect(text).toMatch(/confirmation deadline · 7 d \(\s*timer\s*\) canceled/);
    // Times to the second, milliseconds on hover.
    expect(html).toMatch(
      /<time dateTime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(<!-- -->)? UTC<\/time>/,
    );
    // The input's ticket, named and linked.
    expect(html).toMatch(new RegExp(`<a title="${ticketId}"[^>]*href="/console/tickets/${ticketId}">Ticket ${ticketId.slice(0, 8)}…</a>`));
    // The block, as a child: linked, with its status.
    const children = html.slice(html.indexOf('id="children-h"'), html.indexOf('id="related-h"'));
    expect(children).toContain(`href="/console/workflows/${encodeURIComponent(blockId)}?run=`);
    expect(pageText(children)).toMatch(new RegExp(`${blockId} blockAccount completed`));

    // The block's page: its parent, and the transfer (same AccountId) is not listed twice.
    await expect
      .poll(async () => {
        const b = await operator.get(page(blockId));
        const parentDd = /<dt>Parent<\/dt><dd>([\s\S]*?)<\/dd>/.exec(b.body)?.[1] ?? "";
        return parentDd.includes(`href="/console/workflows/${encodeURIComponent(handle.workflowId)}`) && /completed/.test(pageText(parentDd));
      }, WITHIN)
      .toBe(true);
    const b = await operator.get(page(blockId));
    // The transfer (it has the block's AccountId too) is named once, as the parent, not again as related.
    expect(b.body.match(new RegExp(`href="/console/workflows/${encodeURIComponent(handle.workflowId)}`, "g")) ?? []).toHaveLength(1);
    // The account in the block's input: its owner's address, linked.
    expect(b.body).toMatch(new RegExp(`<a title="${old.accountId}"[^>]*href="/console/accounts/${old.accountId}">${old.oldAddress}</a>`));
  });

  it("a deletion lists the waiting transfer it nudged and the other workflows about the account; cancel and terminate ask first", async () => {
    const old = await transferPair();
    const supportId = await staffIdByEmail(t.db, staffEmail("support"));
    const { handle: transfer } = await t.temporal.runWorker(realActivities(t.db, t.app.url), async () => {
      const transfer = await startTestTransfer(deps(), { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: old.newAddress });
      started.push(transfer.handle);
      await expect.poll(async () => (await transfer.handle.query(transferStatusQuery)).step, WITHIN).toBe("awaiting_confirmation");
      const deletion = await startDeletion(
        t.app.services,
        { accountId: old.accountId, source: "support", userId: null, staffId: supportId, reason: "ticket 1" },
        { type: "staff", id: supportId },
      );
      expect(deletion).toMatchObject({ ok: true, started: true });
      const handle = t.temporal.client.workflow.getHandle(deleteWorkflowId(old.accountId));
      started.push(handle);
      await expect.poll(() => handle.result(), WITHIN).toEqual({ outcome: "deleted" });
      await expect.poll(() => transfer.handle.result(), WITHIN).toEqual({ outcome: "failed" });
      return transfer;
    });
    // Afterwards a block of the same account, left running (no worker): another workflow about the account.
    const blockHandle = await t.temporal.client.workflow.start("blockAccount", {
      taskQueue: t.temporal.taskQueue,
      workflowId: blockWorkflowId(old.accountId),
      args: [{ accountId: old.accountId, changeId: crypto.randomUUID() }],
    });
    started.push(blockHandle);

    const operator = await staffAgent(t.app.url, "operator");
    const deletionPage = page(deleteWorkflowId(old.accountId));
    await expect
      .poll(async () => {
        const html = (await operator.get(deletionPage)).body;
        const signalled = pageText(html.slice(html.indexOf('id="around-h"'), html.indexOf('id="related-h"')));
        const related = pageText(html.slice(html.indexOf('id="related-h"'), html.indexOf('id="actions-h"')));
        // The transfer it told to re-check (which then closed its ticket as failed: the workflow itself completed),
        // and the block about the same account, running.
        return (
          signalled.includes(`Signalled ${transfer.workflowId} emailTransfer completed`) && related.includes(`${blockHandle.workflowId} blockAccount running`)
        );
      }, WITHIN)
      .toBe(true);

    // A running workflow offers cancel and terminate behind a confirmation step.
    const html = (await operator.get(page(blockHandle.workflowId))).body;
    // Without JavaScript the confirmation is a disclosure holding the form; the form's button is the confirmation.
    expect(html).toMatch(
      /<details class="confirm"><summary class="btn danger">Terminate workflow…<\/summary>[\s\S]*?<h3[^>]*>Terminate this workflow\?<\/h3>[\s\S]*?value="terminate"/,
    );
    expect(html).toMatch(/<details class="confirm"><summary class="btn">Cancel workflow…<\/summary>[\s\S]*?value="cancel"/);
    // The pending activities scroll in a focusable, labelled region.
    expect(html).toContain('role="region" aria-label="Raw events" tabindex="0"');
  });
});
