/**
 * Finds the Temporal CLI (`temporal`) that runs the local dev server, building
 * it with Go when it is nowhere to be found.
 *
 * The caller hands in TEMPORAL_CLI_PATH (`cliPath`) and PATH (`pathEnv`); see dev/go-tools.ts.
 *
 * Not done here: `@temporalio/testing`'s TestWorkflowEnvironment.createLocal()
 * can download a CLI release from temporal.io, but it hides the binary's path
 * inside the SDK's cache and needs internet access beyond the npm registry and
 * the Go module proxy, which the machines we develop on don't have. Building
 * through the Go module proxy works on those machines, so that is the last resort.
 */
import { findOrGoInstall, type GoTool } from "./go-tools.js";

const TEMPORAL_CLI: GoTool = {
  title: "the Temporal CLI (`temporal`)",
  exe: "temporal",
  module: "github.com/temporalio/cli/cmd/temporal",
  // The first is what we develop against; older ones cover a newer-Go/older-Go mismatch.
  versions: ["v1.5.1", "v1.5.0", "v1.4.1"],
  pathVariable: "TEMPORAL_CLI_PATH",
  installHint: "Install the Temporal CLI (https://docs.temporal.io/cli)",
  buildTakes: "a few minutes",
};

export async function findOrBuildTemporalCli(opts: {
  /** TEMPORAL_CLI_PATH from config. */
  cliPath?: string;
  /** The PATH to search (the caller reads the environment, not us). */
  pathEnv?: string;
  log?: (msg: string) => void;
}): Promise<string> {
  return findOrGoInstall(TEMPORAL_CLI, { explicitPath: opts.cliPath, pathEnv: opts.pathEnv, log: opts.log });
}
