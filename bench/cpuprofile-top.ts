/**
 * Top self-time functions of a V8 .cpuprofile (as written by `node --cpu-prof`,
 * e.g. the web child under `BENCH_CPU_PROF=<dir> npm run bench`).
 *
 *   node --import tsx bench/cpuprofile-top.ts <file.cpuprofile> [count=25]
 */
import { readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, countArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: node --import tsx bench/cpuprofile-top.ts <file.cpuprofile> [count]");
  process.exit(2);
}
const count = Number(countArg ?? 25);
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

const selfUs = new Map<string, number>();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const us = profile.timeDeltas[i] ?? 0;
  const frame = byId.get(id)?.callFrame;
  if (!frame) return;
  const where = frame.url ? `${path.relative(process.cwd(), frame.url.replace(/^file:\/\//, "")) || frame.url}:${frame.lineNumber + 1}` : "";
  const key = `${frame.functionName || "(anonymous)"}${where ? `  ${where}` : ""}`;
  selfUs.set(key, (selfUs.get(key) ?? 0) + us);
  totalUs += us;
});

const idle = (k: string) => k.startsWith("(idle)");
const busyUs = totalUs - [...selfUs].filter(([k]) => idle(k)).reduce((n, [, us]) => n + us, 0);
console.log(`${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy; self time as % of busy:`);
for (const [key, us] of [...selfUs]
  .filter(([k]) => !idle(k))
  .sort((a, b) => b[1] - a[1])
  .slice(0, count)) {
  console.log(`${((us / busyUs) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);
}
