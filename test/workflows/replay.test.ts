/**
 * Replays every committed history (test/fixtures/histories) against today's
 * workflow code: a change that would break running workflows (non-determinism)
 * fails here, before it reaches a worker. Every workflow type the worker
 * runs has at least one recording, and none holds an email address. Re-record
 * deliberately, see record-histories.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { temporal } from "@temporalio/proto";
import { Worker } from "@temporalio/worker";
import { describe, expect, it } from "vitest";
import { writeWorkflowBundle } from "../../server/workflow-bundle.js";
import * as workflows from "../../workflows/index.js";
import { recordedHistoryText } from "../helpers/pii-scan.js";
import { DEFAULT_WORKFLOWS_PATH } from "../helpers/temporal.js";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/histories");
const files = readdirSync(dir).filter((f) => f.endsWith(".history.bin"));
const read = (file: string) => temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));

describe("replay of recorded workflow histories", () => {
  it("there are histories to replay", () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it("every workflow type the worker runs has a recorded history", () => {
    const recorded = new Set(files.map((f) => read(f).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    expect(Object.keys(workflows).filter((type) => !recorded.has(type))).toEqual([]);
  });

  it.each(files)("%s holds no email address", (file) => {
    // A worker's identity is pid@host, and a host name may have dots.
    const text = recordedHistoryText(read(file)).replace(/"identity":"[^"]*"/g, "");
    expect(text).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/);
  });

  it.each(files)("%s replays on the current workflow code", async (file) => {
    await Worker.runReplayHistory({ workflowsPath: DEFAULT_WORKFLOWS_PATH }, read(file));
  });
});

describe("the prebuilt workflow bundle (what `npm run build` writes and workers run with WORKFLOW_BUNDLE)", () => {
  it("replays every recorded history, like the source", async () => {
    const dirForBundle = mkdtempSync(path.join(os.tmpdir(), "switchboard-bundle-"));
    try {
      const codePath = await writeWorkflowBundle(path.join(dirForBundle, "workflow-bundle.js"));
      for (const file of files) {
        await Worker.runReplayHistory({ workflowBundle: { codePath } }, read(file));
      }
    } finally {
      rmSync(dirForBundle, { recursive: true, force: true });
    }
  }, 120_000);
});
