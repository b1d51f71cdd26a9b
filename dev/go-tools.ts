/**
 * The development tools built from Go modules (the Temporal CLI, stripe-mock):
 * an explicit path from the config, else the tool on PATH, else `go install`'s
 * output directory, else `go install <module>@<version>` through the Go module
 * proxy (the only source of binaries the machines we develop on can reach).
 *
 * House rule: only config modules read process.env. The caller hands in the
 * explicit path and PATH (`pathEnv`). Child processes (`go`) still inherit the
 * environment, which Go needs for GOPATH/GOPROXY/HOME.
 */
import { execFile } from "node:child_process";
import { constants, promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

export async function isExecutableFile(file: string): Promise<boolean> {
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

function run(file: string, args: string[]): Promise<{ ok: boolean; stdout: string; output: string }> {
  return new Promise((resolve) => {
    // cwd outside any module so a go.mod nearby cannot change what gets built; a Go build prints a lot, keep it all.
    execFile(file, args, { cwd: os.tmpdir(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      // stdout untrimmed: `go env GOBIN GOPATH` starts with an empty line when GOBIN is unset.
      const output = (String(stderr) + String(stdout)).trim() || String(error?.message ?? "no output");
      resolve({ ok: !error, stdout: String(stdout), output });
    });
  });
}

/** Where `go install` puts binaries: GOBIN, else the first GOPATH entry's bin; undefined when Go is missing. */
async function goBinDir(go: string): Promise<string | undefined> {
  const res = await run(go, ["env", "GOBIN", "GOPATH"]);
  if (!res.ok) return undefined;
  const [gobin = "", gopath = ""] = res.stdout.split(/\r?\n/);
  if (gobin.trim()) return gobin.trim();
  const first = gopath.split(path.delimiter)[0]?.trim();
  return first ? path.join(first, "bin") : undefined;
}

export interface GoTool {
  /** What the tool is called in messages, e.g. "the Temporal CLI (`temporal`)". */
  title: string;
  /** The binary's name without the platform suffix. */
  exe: string;
  module: string;
  /** Tried in order: the first is the one we develop against; later ones cover a Go-version mismatch. */
  versions: string[];
  /** The variable that names the binary, for messages (TEMPORAL_CLI_PATH, STRIPE_MOCK_PATH). */
  pathVariable: string;
  /** What to suggest when Go is missing, besides setting `pathVariable`. */
  installHint?: string;
  /** How long the first build takes, for the log line ("a few minutes"). */
  buildTakes: string;
}

export async function findOrGoInstall(tool: GoTool, opts: { explicitPath?: string; pathEnv?: string; log?: (msg: string) => void }): Promise<string> {
  const log = opts.log ?? (() => {});
  const exe = process.platform === "win32" ? `${tool.exe}.exe` : tool.exe;
  const install = (version: string) => `go install ${tool.module}@${version}`;

  // When set it must be right: we don't silently look elsewhere.
  if (opts.explicitPath) {
    const resolved = path.resolve(opts.explicitPath);
    if (await isExecutableFile(resolved)) return resolved;
    throw new Error(`${tool.pathVariable}=${opts.explicitPath} is not an executable file`);
  }

  const onPath = await findOnPath(exe, opts.pathEnv);
  if (onPath) return onPath;

  // Without a PATH to search we still try plain `go`: execFile then uses the inherited PATH.
  const go = (await findOnPath(process.platform === "win32" ? "go.exe" : "go", opts.pathEnv)) ?? "go";
  const binDir = await goBinDir(go);
  if (!binDir) {
    throw new Error(
      `${tool.title} is not on PATH and Go is not installed to build it. ` +
        `${tool.installHint ? `${tool.installHint}, ` : ""}set ${tool.pathVariable} to the binary, or install Go so it can be built with \`${install(tool.versions[0]!)}\`.`,
    );
  }
  const built = path.join(binDir, exe);
  if (await isExecutableFile(built)) return built;

  const failures: string[] = [];
  for (const version of tool.versions) {
    log(`Building ${tool.title} ${version} with Go (${install(version)}); this takes ${tool.buildTakes} the first time...`);
    const res = await run(go, ["install", `${tool.module}@${version}`]);
    if (res.ok && (await isExecutableFile(built))) {
      log(`Built ${tool.title} ${version} at ${built}`);
      return built;
    }
    failures.push(`${install(version)}:\n${res.ok ? `it reported success but ${built} is not there` : res.output}`);
    log(`Building ${tool.title} ${version} failed`);
  }
  throw new Error(`Could not build ${tool.title} with Go. Install it yourself and set ${tool.pathVariable} to the binary.\n\n${failures.join("\n\n")}`);
}
