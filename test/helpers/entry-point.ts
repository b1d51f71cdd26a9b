/** Runs one of the app's entry points (server/web.ts, server/worker.ts) as production would start it, for start-up checks. */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Runs `node --import tsx <script>` with only `env` (and PATH) until it exits or
 * its output matches `until` (then it is killed); its exit code, output and
 * how long it ran. Fails after `timeoutMs`.
 */
export async function runEntryPoint(
  script: string,
  env: Record<string, string>,
  options: { until?: RegExp; timeoutMs?: number } = {},
): Promise<{ code: number | null; output: string; ms: number }> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env } as unknown as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} neither exited nor printed the expected line in ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    const take = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (options.until?.test(output)) child.kill("SIGKILL");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started });
    });
  });
}
