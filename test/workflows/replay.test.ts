/**
 * Replays every committed history (test/fixtures/histories) against today's
 * workflow code: a change that would break running workflows (non-determinism)
 * fails here, before it reaches a worker. Re-record deliberately, see
 * record-histories.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { temporal } from "@temporalio/proto";
import { Worker } from "@temporalio/worker";
import { describe, expect, it } from "vitest";
import { writeWorkflowBundle } from "../../server/workflow-bundle.js";
import { DEFAULT_WORKFLOWS_PATH } from "../helpers/temporal.js";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/histories");
const files = readdirSync(dir).filter((f) => f.endsWith(".history.bin"));

describe("replay of recorded workflow histories", () => {
  it("there are histories to replay", () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)("%s replays on the current workflow code", async (file) => {
    const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));
    await Worker.runReplayHistory({ workflowsPath: DEFAULT_WORKFLOWS_PATH }, history);
  });
});

describe("the prebuilt workflow bundle (what `npm run build` writes and workers run with WORKFLOW_BUNDLE)", () => {
  it("replays every recorded history, like the source", async () => {
    const dirForBundle = mkdtempSync(path.join(os.tmpdir(), "switchboard-bundle-"));
    try {
      const codePath = await writeWorkflowBundle(path.join(dirForBundle, "workflow-bundle.js"));
      for (const file of files) {
        const history = temporal.api.history.v1.History.decode(readFileSync(path.join(dir, file)));
        await Worker.runReplayHistory({ workflowBundle: { codePath } }, history);
      }
    } finally {
      rmSync(dirForBundle, { recursive: true, force: true });
    }
  }, 120_000);
});
