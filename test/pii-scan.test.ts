/**
 * The PII scans must be able to fail: a history that does hold a marker in a
 * workflow input, a signal and a termination reason is found by historyText,
 * while a plain JSON.stringify of the same history (payload bytes as base64)
 * finds nothing in the payloads — which is why every history scan uses the helper.
 */
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { historyText } from "./helpers/pii-scan.js";
import { useSuite } from "./helpers/suite.js";

const t = useSuite();

describe("historyText", () => {
  it("finds text planted in a real history's input and signal payloads, which JSON.stringify misses", async () => {
    const input = `probe-input-${randomUUID()}@example.com`;
    const signalled = `probe-signal-${randomUUID()}`;
    const reason = `probe-reason-${randomUUID()}`;
    // No worker polls this queue: the history is the server's own record of what was sent to it.
    const handle = await t.temporal.client.workflow.start("piiScanProbe", {
      taskQueue: `${t.temporal.taskQueue}-probe`,
      workflowId: `pii-scan-probe-${randomUUID()}`,
      args: [{ email: input }],
    });
    await handle.signal("probe", { note: signalled });
    await handle.terminate(reason);

    const text = await historyText(handle);
    expect(text).toContain(input);
    expect(text).toContain(signalled);
    expect(text).toContain(reason);

    const naive = JSON.stringify(await handle.fetchHistory());
    expect(naive).not.toContain(input);
    expect(naive).not.toContain(signalled);
  });
});
