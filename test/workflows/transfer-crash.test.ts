/**
 * Crash safety of the email transfer: a real worker process is SIGKILLed at a
 * step boundary (its work committed, its completion never reported), a new
 * worker takes over, and the transfer completes with exactly one transfer
 * pair, the ledger's sum unchanged, and no mail enqueued twice.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WorkflowUpdateFailedError } from "@temporalio/client";
import { describe, expect, inject, it } from "vitest";
import { ledgerSum } from "../../app/models/ledger.server.js";
import { getTicket, markConfirmed } from "../../app/models/tickets.server.js";
import { approveTransferUpdate, confirmTransferSignal } from "../../workflows/shared.js";
import { accountWithKey } from "../helpers/accounts.js";
import { realActivities } from "../helpers/activities.js";
import { useSuite } from "../helpers/suite.js";
import { temporalTestEnv } from "../helpers/temporal.js";
import { startTestTransfer } from "../helpers/transfers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const t = useSuite();

const CRASH_POINTS = [
  "after:verifyTransfer",
  "after:markAwaitingApproval",
  "after:prepareTransferBlock",
  "after:completeStatusChange", // the block child's last step: between the block and the migration
  "after:migrateTransfer",
  "after:completeTransfer",
];

function crashingWorker(taskQueue: string, crashAt: string): Promise<ChildProcess> {
  const child = fork(path.join(root, "test/fixtures/crashing-worker.ts"), [], {
    cwd: root,
    execArgv: ["--import", "tsx"],
    env: {
      NODE_ENV: "test",
      PATH: process.env.PATH,
      DATABASE_URL: t.databaseUrl,
      TEMPORAL_ADDRESS: inject("temporalAddress"),
      TASK_QUEUE: taskQueue,
      CRASH_AT: crashAt,
    },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code, signal) => reject(new Error(`crashing worker exited early (${signal ?? code})`)));
  });
}

async function runCase(crashAt: string) {
  const env = await temporalTestEnv();
  try {
    const suffix = crypto.randomUUID().slice(0, 8);
    const newEmail = `crash-new-${suffix}@example.com`;
    const old = await accountWithKey(t.db, { balanceCents: 7_700n, email: `crash-old-${suffix}@example.com` });
    const fresh = await accountWithKey(t.db, { balanceCents: 100n, email: newEmail });
    const support = await t.db
      .insertInto("staff")
      .values({ email: `crash-${suffix}@switchboard.test`, role: "support" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const sumBefore = (await ledgerSum(t.db, old.accountId)) + (await ledgerSum(t.db, fresh.accountId));

    const child = await crashingWorker(env.taskQueue, crashAt);
    const died = new Promise<NodeJS.Signals | null>((r) => child.once("exit", (_c, signal) => r(signal)));
    const { ticketId, handle } = await startTestTransfer(
      { db: t.db, temporal: env.client, taskQueue: env.taskQueue },
      { requesterUserId: old.userId, oldAccountId: old.accountId, newAddress: newEmail },
    );

    // The person and the staff member do their part whenever the ticket asks for it.
    let confirmed = false;
    let approved = false;
    const drive = async () => {
      const deadline = Date.now() + 90_000;
      while (!approved && Date.now() < deadline) {
        const ticket = await getTicket(t.db, ticketId);
        if (!confirmed && ticket?.status === "awaiting_confirmation") {
          const mail = await t.db
            .selectFrom("mail_outbox")
            .select("text_body")
            .where("related_id", "=", ticketId)
            .where("kind", "=", "transfer_confirmation")
            .executeTakeFirstOrThrow();
          const token = /confirm-transfer\/([A-Za-z0-9_-]{43})/.exec(mail.text_body)![1];
          await markConfirmed(t.db, ticketId, token, { type: "user", id: null });
          await handle.signal(confirmTransferSignal);
          confirmed = true;
        }
        if (confirmed && ticket?.status === "awaiting_approval") {
          try {
            await handle.executeUpdate(approveTransferUpdate, { args: [{ staffId: support.id, role: "support" }] });
            approved = true;
          } catch (err) {
            // The workflow has not caught up with the database yet (its step is being retried).
            if (!(err instanceof WorkflowUpdateFailedError)) throw err;
          }
        }
        if (!approved) await new Promise((r) => setTimeout(r, 200)); // poll interval
      }
    };
    // A healthy worker takes over the moment the crashing one is gone.
    const finish = died.then(() => env.runWorker(realActivities(t.db), () => handle.result()));
    await drive();
    const [signal, result] = await Promise.all([died, finish]);

    expect(signal, `${crashAt}: the worker was killed at the boundary`).toBe("SIGKILL");
    expect(result, crashAt).toEqual({ outcome: "completed" });
    const pair = await t.db
      .selectFrom("ledger_entries")
      .select(["kind", "amount_cents"])
      .where("idempotency_key", "=", `transfer:${ticketId}`)
      .orderBy("kind")
      .execute();
    expect(pair, crashAt).toEqual([
      { kind: "transfer_in", amount_cents: "7700" },
      { kind: "transfer_out", amount_cents: "-7700" },
    ]);
    expect((await ledgerSum(t.db, old.accountId)) + (await ledgerSum(t.db, fresh.accountId)), crashAt).toBe(sumBefore);
    const mails = (await t.db.selectFrom("mail_outbox").select("kind").where("related_id", "=", ticketId).execute()).map((m) => m.kind).sort();
    expect(mails, crashAt).toEqual(["transfer_completed_new", "transfer_completed_old", "transfer_confirmation"]);
    const blocks = await t.db.selectFrom("audit_log").select("id").where("action", "=", "account.blocked").where("target_id", "=", old.accountId).execute();
    expect(blocks, crashAt).toHaveLength(1);
  } finally {
    await env.close();
  }
}

describe("email transfer survives a worker killed at each step boundary", () => {
  it("completes exactly once from every crash point", { timeout: 180_000 }, async () => {
    // In parallel: each waits out one activity timeout (30 s) after its crash.
    await Promise.all(CRASH_POINTS.map(runCase));
  });
});
