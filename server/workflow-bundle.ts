/**
 * The workflow code, bundled once at build time (`npm run build`) instead of by
 * every worker at start: a worker started from the bundle skips seconds of
 * webpack CPU and ~100 MB of memory, which matters on a machine shared with
 * the web process and every time a crashed worker is restarted.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { bundleWorkflowCode, DefaultLogger } from "@temporalio/worker";
import { PROJECT_ROOT } from "./project-root.js";

const root = PROJECT_ROOT;

/** Where `npm run build` writes the bundle (gitignored, next to the Remix build). */
export const BUILT_WORKFLOW_BUNDLE = path.join(root, "build", "workflow-bundle.js");
/** The workflow code's entry: what workers, the tests and the replay tests bundle. */
export const WORKFLOWS_SOURCE = path.join(root, "workflows", "index.ts");

export async function writeWorkflowBundle(outFile: string = BUILT_WORKFLOW_BUNDLE): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_SOURCE, logger: new DefaultLogger("WARN") });
  await mkdir(path.dirname(outFile), { recursive: true });
  await writeFile(outFile, code);
  return outFile;
}
