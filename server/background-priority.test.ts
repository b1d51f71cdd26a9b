import { execFileSync } from "node:child_process";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { inBackground, type BackgroundRole } from "./background-priority.js";

/** The scheduling policy and niceness a child started through inBackground really runs with, as /proc reports them. */
function startedAs(role: BackgroundRole, priority: "low" | "normal"): { policy: number; nice: number } {
  const [command, args] = inBackground(priority, role, "/bin/cat", ["/proc/self/stat"]);
  const stat = execFileSync(command, args, { encoding: "utf8" });
  // Fields after the command name: state(3) … nice(19) … policy(41).
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { nice: Number(f[16]), policy: Number(f[38]) };
}

const SCHED_OTHER = 0;
const SCHED_IDLE = 5;

describe.runIf(process.platform === "linux")("inBackground", () => {
  it("starts a worker under SCHED_IDLE, so it only gets the CPU the web leaves", () => {
    expect(startedAs("worker", "low").policy).toBe(SCHED_IDLE);
  });

  it("starts the Temporal dev server at niceness 10 with the normal policy (the web waits on it)", () => {
    expect(startedAs("temporal", "low")).toEqual({ policy: SCHED_OTHER, nice: Math.min(19, os.getPriority() + 10) });
  });

  it("leaves both alone at normal priority", () => {
    expect(startedAs("worker", "normal")).toEqual({ policy: SCHED_OTHER, nice: os.getPriority() });
    expect(startedAs("temporal", "normal")).toEqual({ policy: SCHED_OTHER, nice: os.getPriority() });
  });
});
