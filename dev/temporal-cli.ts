/**
 * Finds the Temporal CLI (`temporal`) that runs the local dev server, building
 * it with Go when it is nowhere to be found.
 *
 * House rule: only config modules read process.env. The caller therefore hands
 * in TEMPORAL_CLI_PATH (`cliPath`) and PATH (`pathEnv`). Child processes (`go`)
 * still inherit the environment, which Go needs for GOPATH/GOPROXY/HOME.
 *
 * Not done here: `@temporalio/testing`'s TestWorkflowEnvironment.createLocal()
 * can download a CLI release from temporal.io, but it hides the binary's path
 * inside the SDK's cache and needs internet access beyond the npm registry and
 * the Go module proxy, which the machines we develop on don't have. Building
 * through the Go module proxy works on those machines, so that is the last resort.
 */
import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Tried in order: the first is what we develop against; older ones cover a newer-Go/older-Go mismatch. */
const CLI_VERSIONS = ["v1.5.1", "v1.5.0", "v1.4.1"];
const CLI_MODULE = "github.com/temporalio/cli/cmd/temporal";
const EXE = process.platform === "win32" ? "temporal.exe" : "temporal";

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const st = await fs.stat(file);
    if (!st.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `which`, over a PATH string the caller provides. */
export async function findOnPath(name: string, pathEnv: string | undefined): Promise<string | undefined> {
  if (!pathEnv) return undefined;
  for (const dir of pathEnv.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

interface RunResult {
  ok: boolean;
  stdout: string;
  stderr: string;
  /** Spawn error such as ENOENT when the program is missing. */
  error?: NodeJS.ErrnoException;
}

function run(file: string, args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve) => {
    // A Go build prints a lot (module downloads); keep it all for the error message.
    execFile(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({
        ok: !error,
        stdout: String(stdout),
        stderr: String(stderr),
        error: error ? (error as NodeJS.ErrnoException) : undefined,
      });
    });
  });
}

/** Where `go install` puts binaries: GOBIN, else the first GOPATH entry's bin. */
async function goBinDir(go: string): Promise<string | undefined> {
  const res = await run(go, ["env", "GOBIN", "GOPATH"], os.tmpdir());
  if (!res.ok) return undefined;
  const [gobin = "", gopath = ""] = res.stdout.split(/\r?\n/);
  if (gobin.trim()) return gobin.trim();
  const first = gopath.split(path.delimiter)[0]?.trim();
  return first ? path.join(first, "bin") : undefined;
}

export async function findOrBuildTemporalCli(opts: {
  /** TEMPORAL_CLI_PATH from config; when set it must be right, we don't silently look elsewhere. */
  cliPath?: string;
  /** The PATH to search (the caller reads the environment, not us). */
  pathEnv?: string;
  log?: (msg: string) => void;
}): Promise<string> {
  const log = opts.log ?? (() => {});

  if (opts.cliPath) {
    const resolved = path.resolve(opts.cliPath);
    if (await isExecutableFile(resolved)) return resolved;
    throw new Error(`TEMPORAL_CLI_PATH=${opts.cliPath} is not an executable file`);
  }

  const onPath = await findOnPath(EXE, opts.pathEnv);
  if (onPath) return onPath;

  // Without a PATH to search we still try plain `go`: execFile then uses the inherited PATH.
  const go = (await findOnPath(process.platform === "win32" ? "go.exe" : "go", opts.pathEnv)) ?? "go";
  const binDir = await goBinDir(go);
  if (!binDir) {
    throw new Error(
      "The Temporal CLI (`temporal`) is not on PATH and Go is not installed to build it. " +
        "Install the Temporal CLI (https://docs.temporal.io/cli) and set TEMPORAL_CLI_PATH to the binary, " +
        "or install Go so it can be built with `go install " +
        `${CLI_MODULE}@${CLI_VERSIONS[0]}\`.`,
    );
  }
  const built = path.join(binDir, EXE);
  if (await isExecutableFile(built)) return built;

  const failures: string[] = [];
  for (const version of CLI_VERSIONS) {
    log(`Building the Temporal CLI ${version} with Go (go install ${CLI_MODULE}@${version}); this takes a few minutes the first time...`);
    // cwd outside any module so a go.mod nearby cannot change what gets built.
    const res = await run(go, ["install", `${CLI_MODULE}@${version}`], os.tmpdir());
    if (res.ok && (await isExecutableFile(built))) {
      log(`Built the Temporal CLI ${version} at ${built}`);
      return built;
    }
    const output = (res.stderr + res.stdout).trim() || String(res.error?.message ?? "no output");
    failures.push(`go install ${CLI_MODULE}@${version}:\n${output}`);
    log(`Building the Temporal CLI ${version} failed`);
  }
  throw new Error(
    "Could not build the Temporal CLI with Go. Install it yourself (https://docs.temporal.io/cli) " +
      "and set TEMPORAL_CLI_PATH to the binary.\n\n" +
      failures.join("\n\n"),
  );
}
