/**
 * Smoke test for the test harness itself: migrated, isolated databases and a
 * real worker on the real Temporal dev server with searchable attributes.
 */
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { defineSearchAttributeKey, SearchAttributeType } from "@temporalio/common";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freshDatabase, type FreshDatabase } from "./helpers/database.js";
import { temporalTestEnv, type TemporalTestEnv } from "./helpers/temporal.js";
import type { harnessWorkflow } from "./fixtures/workflows.js";

const fixtureWorkflows = fileURLToPath(new URL("./fixtures/workflows.ts", import.meta.url));
const AccountIdKey = defineSearchAttributeKey("AccountId", SearchAttributeType.KEYWORD);

describe("freshDatabase", () => {
  let a: FreshDatabase;
  let b: FreshDatabase;

  beforeAll(async () => {
    // Concurrently, as parallel test files would: cloning one template twice at once must work.
    [a, b] = await Promise.all([freshDatabase(), freshDatabase()]);
  });
  afterAll(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  it("has the migrated tables", async () => {
    expect(await a.db.selectFrom("users").selectAll().execute()).toEqual([]);
  });

  it("gives each caller its own database", async () => {
    expect(a.url).not.toBe(b.url);
    await a.db.insertInto("users").values({ email: "ada@example.com", provider: "github" }).execute();
    const count = (d: FreshDatabase) =>
      d.db
        .selectFrom("users")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .executeTakeFirstOrThrow();
    expect((await count(a)).n).toBe("1");
    expect((await count(b)).n).toBe("0");
  });
});

describe("temporalTestEnv", () => {
  let env: TemporalTestEnv;

  beforeAll(async () => {
    env = await temporalTestEnv({ workflowsPath: fixtureWorkflows });
  });
  afterAll(async () => {
    await env?.close();
  });

  it("runs a workflow on a real worker and finds it by search attribute", async () => {
    const accountId = `acct-${randomUUID()}`;
    const ticketId = `ticket-${randomUUID()}`;
    const workflowId = `harness-${randomUUID()}`;

    const result = await env.runWorker({ greet: async (name: string) => `hello, ${name}` }, () =>
      env.client.workflow.execute<typeof harnessWorkflow>("harnessWorkflow", {
        taskQueue: env.taskQueue,
        workflowId,
        args: ["switchboard", ticketId],
        typedSearchAttributes: [{ key: AccountIdKey, value: accountId }],
      }),
    );
    expect(result).toBe("hello, switchboard");

    // Visibility is eventually consistent: poll (with a deadline) until the closed workflow is listed.
    const found = await vi.waitFor(
      async () => {
        const ids: string[] = [];
        for await (const wf of env.client.workflow.list({
          query: `AccountId = '${accountId}' AND TicketId = '${ticketId}' AND ExecutionStatus = 'Completed'`,
        })) {
          ids.push(wf.workflowId);
        }
        if (ids.length === 0) throw new Error("not visible yet");
        return ids;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(found).toEqual([workflowId]);
  });
});
