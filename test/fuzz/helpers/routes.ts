/**
 * The app's routes as the fuzzer sees them, read from app/routes (Remix v2
 * flat-file naming): file name → URL pattern, the route's params, whether it
 * has an action, and the form field names and literal values its source
 * mentions (input names, zod object keys, intent literals), so generated
 * forms reach past the first validation.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROUTES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../app/routes");

export interface RouteInfo {
  file: string;
  /** e.g. "/console/accounts/:id" */
  pattern: string;
  params: string[];
  hasAction: boolean;
  hasLoader: boolean;
  fields: string[];
  literals: string[];
}

/** "console.accounts.$id" → "/console/accounts/:id"; "_index" → "/"; "login_.password" → "/login/password". */
export function patternOf(routeName: string): string {
  const segments: string[] = [];
  for (const raw of routeName.split(".")) {
    if (raw === "_index" || raw === "route") continue;
    if (raw.startsWith("_")) continue; // pathless layout
    const seg = raw.endsWith("_") ? raw.slice(0, -1) : raw;
    if (seg === "$") segments.push("*");
    else if (seg.startsWith("$")) segments.push(`:${seg.slice(1)}`);
    else segments.push(seg);
  }
  return `/${segments.join("/")}`;
}

const unique = <T>(xs: T[]) => [...new Set(xs)];

export function readRoutes(): RouteInfo[] {
  const files = readdirSync(ROUTES_DIR).filter((f) => /\.(tsx?|jsx?)$/.test(f) && !/\.test\./.test(f));
  return files
    .map((file) => {
      const source = readFileSync(path.join(ROUTES_DIR, file), "utf8");
      const pattern = patternOf(file.replace(/\.(tsx?|jsx?)$/, ""));
      const params = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1]!);
      const fields = unique([
        ...[...source.matchAll(/\bname="([A-Za-z_][\w-]*)"/g)].map((m) => m[1]!),
        ...[...source.matchAll(/\b([a-zA-Z_]\w*): z\s*\./g)].map((m) => m[1]!),
        ...[...source.matchAll(/form\.get(?:All)?\("([^"]+)"\)/g)].map((m) => m[1]!),
        ...[...source.matchAll(/intent: "(\w+)"/g)].map(() => "intent"),
      ]).filter((f) => !["title", "description", "viewport", "referrer", "robots"].includes(f));
      const literals = unique([
        ...[...source.matchAll(/z\.literal\("([^"]*)"\)/g)].map((m) => m[1]!),
        ...[...source.matchAll(/\bvalue="([^"]*)"/g)].map((m) => m[1]!),
        ...[...source.matchAll(/intent: "(\w+)"/g)].map((m) => m[1]!),
        ...[...source.matchAll(/z\.enum\(\[([^\]]*)\]/g)].flatMap((m) => [...m[1]!.matchAll(/"([^"]*)"/g)].map((x) => x[1]!)),
      ]);
      return {
        file,
        pattern,
        params,
        hasAction: /export (async function|const) action\b/.test(source),
        hasLoader: /export (async function|const) loader\b/.test(source),
        fields,
        literals,
      };
    })
    .sort((a, b) => a.pattern.localeCompare(b.pattern) || a.file.localeCompare(b.file));
}
