import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The checkout's root (the folder holding package.json). Found by walking up from this module's own
 * location rather than a fixed "..", because the same code runs from source (server/*.ts, under tsx) and
 * bundled into the server build (build/server/*.js, one level deeper), and `build/index.js`, `public/`
 * and `workflows/` must resolve alike from both.
 */
export const PROJECT_ROOT = findRoot(path.dirname(fileURLToPath(import.meta.url)));

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}
