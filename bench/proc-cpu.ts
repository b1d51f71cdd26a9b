/**
 * CPU accounting for the benchmarks (Linux /proc): what each process spent
 * during a measured run. On a 2-CPU machine req/s alone cannot tell a slow
 * server from a starved one; CPU time per process can. Every function returns
 * null off Linux or once its process is gone.
 */
import { execFileSync } from "node:child_process";
import { promises as fs, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
} catch {
  // 100 is Linux's usual value
}

/**
 * utime + stime of one process in ms (and cutime + cstime: its exited, reaped
 * children's), with its parent pid; null once it is gone (or not Linux).
 */
export function procStat(pid: number): { cpuMs: number; childrenMs: number; ppid: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces): state(3) ppid(4) … utime(14) stime(15) cutime(16) cstime(17).
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ms = (ticks: number) => (ticks * 1000) / clockTicks;
    return { ppid: Number(f[1]), cpuMs: ms(Number(f[11]) + Number(f[12])), childrenMs: ms(Number(f[13]) + Number(f[14])) };
  } catch {
    return null;
  }
}

/** The whole machine's busy time (all CPUs, steal included) in ms, from /proc/stat. */
export function machineBusyMs(): number | null {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal
    const busy = f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] ?? 0);
    return (busy * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** The postmaster, its live backends (connections, background workers) and its reaped ones, summed. */
export function postgresCpuMs(postmasterPid: number | null): number | null {
  if (postmasterPid === null) return null;
  const postmaster = procStat(postmasterPid);
  if (!postmaster) return null;
  let total = postmaster.cpuMs + postmaster.childrenMs;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const d of pids) {
    const st = procStat(Number(d));
    if (st && st.ppid === postmasterPid) total += st.cpuMs;
  }
  return total;
}

/** The postmaster's pid from its data directory. */
export async function readPostmasterPid(dataDir: string): Promise<number | null> {
  try {
    const pid = Number((await fs.readFile(path.join(dataDir, "postmaster.pid"), "utf8")).split("\n")[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
