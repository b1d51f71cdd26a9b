/**
 * A production install, simulated inside the development checkout. Preloaded with
 * `node --import` into the built web, worker and migrate processes by
 * test/security/dependencies.test.ts, it fails every module load that
 * `npm ci --omit=dev` would not have installed — a package the lockfile marks
 * `"dev": true`, or one it does not list at all — and reports it on stderr, so
 * the test fails even where the process catches the error. Checked on both
 * paths Node loads through: ESM resolution (a module.register() hook, which
 * runs in its own thread and gets the package list through `initialize`) and
 * CommonJS resolution (Module._resolveFilename).
 */
import { readFileSync, writeSync } from "node:fs";
import Module, { register } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";

/** Marks each violation on stderr; the test looks for it. */
export const MARK = "DEV-ONLY-MODULE";

/** The lockfile's install paths ("node_modules/a/node_modules/@s/b") a production install has. */
export function productionPackages(root) {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8"));
  return Object.entries(lock.packages)
    .filter(([key, entry]) => key.startsWith("node_modules/") && entry.dev !== true)
    .map(([key]) => key);
}

/** A checker: throws (after marking stderr) when `file` lies in a package outside `production`. */
export function makeCheck(root, production) {
  const allowed = new Set(production);
  return (file, parent) => {
    const rel = path.relative(root, file).split(path.sep);
    if (rel[0] !== "node_modules") return; // our own code (or outside the checkout: Node's, /tmp)
    // The innermost package: node_modules/<name or @scope/name>[/node_modules/<...>]…
    const parts = [];
    for (let i = 0; i < rel.length && rel[i] === "node_modules";) {
      const n = rel[i + 1]?.startsWith("@") ? 3 : 2;
      parts.push(...rel.slice(i, i + n));
      i += n;
    }
    const key = parts.join("/");
    if (allowed.has(key)) return;
    const message = `${MARK} ${key} loaded by ${parent ?? "(entry)"}: not installed by npm ci --omit=dev`;
    writeSync(2, `${message}\n`);
    throw new Error(message);
  };
}

// ── hooks thread (module.register) ──
let check = () => {};
export function initialize(data) {
  check = makeCheck(data.root, data.production);
}
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith("file:")) check(fileURLToPath(result.url), context.parentURL);
  return result;
}

// ── main thread (--import): install both checks (the hooks thread loads this file too, and skips this) ──
if (isMainThread && process.env.PRODUCTION_ONLY_ROOT) {
  const root = process.env.PRODUCTION_ONLY_ROOT;
  const production = productionPackages(root);
  register(import.meta.url, { data: { root, production } });
  const cjsCheck = makeCheck(root, production);
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    const resolved = original.call(this, request, parent, ...rest);
    if (path.isAbsolute(resolved)) cjsCheck(resolved, parent?.filename ? pathToFileURL(parent.filename).href : undefined);
    return resolved;
  };
}
