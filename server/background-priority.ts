/**
 * On one machine, the web process answers people and API clients while the
 * worker and the Temporal dev server do work that has minutes to finish. When
 * both want the CPU, the web should win, so `npm start` starts the background
 * processes at a lower CPU priority (BACKGROUND_PRIORITY):
 *
 * - the worker under SCHED_IDLE (`chrt --idle 0`, Linux): it runs on the CPU
 *   the web leaves and is preempted the moment the web wakes. Plain niceness is
 *   not enough on current kernels (EEVDF): a niced task still runs out its
 *   slice and costs the web a quarter of its throughput in BENCHMARKS.md.
 *   Where there is no chrt, niceness 19.
 * - the Temporal dev server at niceness 10 only: the web waits on it when it
 *   starts a workflow or lists them, so starving it would stall the web itself.
 *   Its work follows the worker's pace anyway.
 *
 * Priorities are set at exec, not afterwards: on Linux they are per thread,
 * and only threads created after a change would inherit them.
 */
import { existsSync } from "node:fs";

export type BackgroundPriority = "low" | "normal";
export type BackgroundRole = "worker" | "temporal";

const which = (name: string) => [`/usr/bin/${name}`, `/bin/${name}`].find((p) => existsSync(p));
const CHRT = process.platform === "linux" ? which("chrt") : undefined;
const NICE = which("nice");

/** The command and arguments that run `command args` as the background `role` at `priority`. */
export function inBackground(priority: BackgroundPriority, role: BackgroundRole, command: string, args: string[]): [string, string[]] {
  if (priority === "normal") return [command, args];
  if (role === "worker" && CHRT) return [CHRT, ["--idle", "0", command, ...args]];
  if (NICE) return [NICE, ["-n", role === "worker" ? "19" : "10", command, ...args]];
  return [command, args];
}
