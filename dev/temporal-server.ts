/**
 * The real Temporal server (go.temporal.io/server v1.29.1: frontend, history, matching and worker
 * services) on PostgreSQL, as production self-hosts it — unlike `temporal server start-dev`
 * (dev/temporal-dev-server.ts: one process, SQLite, one history shard). `npm run test:cluster` runs it.
 *
 * - Finding the binaries: TEMPORAL_SERVER_PATH / TEMPORAL_SQL_TOOL_PATH (`serverPath`, `sqlToolPath`),
 *   then `temporal-server` / `temporal-sql-tool` on PATH (the names of Temporal's release archives and
 *   Docker image), then `$(go env GOPATH)/bin/temporal-server-v1.29.1/{server,sql}`, else
 *   `GOBIN=<that folder> go install go.temporal.io/server/cmd/server@v1.29.1
 *   go.temporal.io/server/cmd/tools/sql@v1.29.1` (a few minutes the first time; seconds once the Go
 *   build cache has it). `go install` names them `server` and `sql`, too generic for the shared Go bin
 *   folder, hence a folder of their own.
 * - The schemas: `setupTemporalDatabases` creates the `temporal` and `temporal_visibility` databases
 *   and applies the module's versioned PostgreSQL v12 schemas (found with `go mod download`, or
 *   TEMPORAL_SCHEMA_DIR; without Go, the copy built into the sql tool) with the sql tool.
 * - The configuration: dev/temporal-server/switchboard.yaml.tmpl, a template the server renders itself
 *   from environment variables (Temporal's Docker image's names; not valid YAML before rendering, hence
 *   the suffix: it is copied to `<config folder>/switchboard.yaml` for each start), and
 *   dev/temporal-server/dynamicconfig.yaml.
 * - `startTemporalServer` starts it (all services in one process, or one process per service),
 *   registers the namespace and the search attributes on first start, and resolves once the frontend
 *   serves the namespace and its search attributes.
 *
 * The caller reads the environment (see dev/go-tools.ts). Orphans: like the dev server the children
 * are not detached and are SIGTERMed from a process 'exit' hook; only a SIGKILLed parent leaves them.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, promises as fs, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Connection } from "@temporalio/client";
import { msToTs } from "@temporalio/common/lib/time";
import { findOnPath, isExecutableFile } from "./go-tools.js";
import type { SearchAttributeKind } from "./temporal-dev-server.js";

export const TEMPORAL_SERVER_VERSION = "v1.29.1";
export const TEMPORAL_SERVER_MODULE = "go.temporal.io/server";
const SERVER_PACKAGE = `${TEMPORAL_SERVER_MODULE}/cmd/server`;
const SQL_TOOL_PACKAGE = `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql`;
/** Where `go install` puts the two binaries: a folder of their own under the Go bin folder. */
const GOBIN_SUBDIR = `temporal-server-${TEMPORAL_SERVER_VERSION}`;
/** The folder with switchboard.yaml.tmpl and dynamicconfig.yaml. */
export const TEMPORAL_SERVER_CONFIG_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "temporal-server");
export const TEMPORAL_SERVER_CONFIG_TEMPLATE = path.join(TEMPORAL_SERVER_CONFIG_DIR, "switchboard.yaml.tmpl");
/** `--env`: the server loads `<config folder>/<env>.yaml`. */
const CONFIG_ENV = "switchboard";
export const TEMPORAL_SERVICES = ["frontend", "history", "matching", "worker"] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

const READY_DEADLINE_MS = 120_000;
/** A clean stop hands the history shards over; give it time before SIGKILL. */
const STOP_DEADLINE_MS = 20_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(file: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ ok: boolean; stdout: string; output: string }> {
  return new Promise((resolve) => {
    // cwd outside any module so a go.mod nearby cannot change what gets built or downloaded.
    execFile(file, args, { cwd: os.tmpdir(), env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = (String(stderr) + String(stdout)).trim() || String(error?.message ?? "no output");
      resolve({ ok: !error, stdout: String(stdout), output });
    });
  });
}

/** Only what the child needs (the server also reads TEMPORAL_* variables of its own: none leak in). */
function childEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const out: Record<string, string> = { ...vars };
  for (const name of ["PATH", "HOME", "TMPDIR"]) if (process.env[name] !== undefined) out[name] = process.env[name]!;
  return out as NodeJS.ProcessEnv;
}

// ---------------------------------------------------------------------------
// Finding or building the binaries

export interface TemporalServerTools {
  /** The server (`server start`). */
  server: string;
  /** temporal-sql-tool (schemas). */
  sqlTool: string;
  /** `.../schema/postgresql/v12` of the module (with `temporal/versioned`, `visibility/versioned`); undefined: use the sql tool's built-in copy. */
  schemaDir?: string;
}

async function goEnv(go: string): Promise<{ binDir: string; modCache: string } | undefined> {
  const res = await run(go, ["env", "GOBIN", "GOPATH", "GOMODCACHE"]);
  if (!res.ok) return undefined;
  const [gobin = "", gopath = "", modCache = ""] = res.stdout.split(/\r?\n/).map((s) => s.trim());
  const first = gopath.split(path.delimiter)[0]?.trim();
  const binDir = gobin || (first ? path.join(first, "bin") : "");
  return binDir ? { binDir, modCache } : undefined;
}

/** The module's PostgreSQL schemas: in the module cache already (a `go install` put it there), else downloaded. */
async function findSchemaDir(go: string, modCache: string): Promise<string | undefined> {
  const sub = path.join("schema", "postgresql", "v12");
  const cached = path.join(modCache, `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`, sub);
  if (modCache && existsSync(path.join(cached, "temporal", "versioned"))) return cached;
  const res = await run(go, ["mod", "download", "-json", `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`]);
  if (!res.ok) return undefined;
  try {
    const dir = (JSON.parse(res.stdout) as { Dir?: string }).Dir;
    return dir && existsSync(path.join(dir, sub, "temporal", "versioned")) ? path.join(dir, sub) : undefined;
  } catch {
    return undefined;
  }
}

export async function findOrBuildTemporalServer(opts: {
  /** TEMPORAL_SERVER_PATH: when set it must be right, nothing else is tried. */
  serverPath?: string;
  /** TEMPORAL_SQL_TOOL_PATH, likewise. */
  sqlToolPath?: string;
  /** TEMPORAL_SCHEMA_DIR: a `schema/postgresql/v12` folder of the server's source. */
  schemaDir?: string;
  /** The PATH to search. */
  pathEnv?: string;
  log?: (msg: string) => void;
}): Promise<TemporalServerTools> {
  const log = opts.log ?? (() => {});
  const exe = (name: string) => (process.platform === "win32" ? `${name}.exe` : name);
  const explicit = async (value: string | undefined, variable: string) => {
    if (!value) return undefined;
    const resolved = path.resolve(value);
    if (await isExecutableFile(resolved)) return resolved;
    throw new Error(`${variable}=${value} is not an executable file`);
  };
  let server = (await explicit(opts.serverPath, "TEMPORAL_SERVER_PATH")) ?? (await findOnPath(exe("temporal-server"), opts.pathEnv));
  let sqlTool = (await explicit(opts.sqlToolPath, "TEMPORAL_SQL_TOOL_PATH")) ?? (await findOnPath(exe("temporal-sql-tool"), opts.pathEnv));
  if (opts.schemaDir && !existsSync(path.join(opts.schemaDir, "temporal", "versioned"))) {
    throw new Error(`TEMPORAL_SCHEMA_DIR=${opts.schemaDir} has no temporal/versioned folder (it should be .../schema/postgresql/v12)`);
  }

  const go = (await findOnPath(exe("go"), opts.pathEnv)) ?? "go";
  const env = await goEnv(go);
  const schemaDir = opts.schemaDir ?? (env ? await findSchemaDir(go, env.modCache) : undefined);
  if (server && sqlTool) return { server, sqlTool, schemaDir };

  const install = `GOBIN=<go bin>/${GOBIN_SUBDIR} go install ${SERVER_PACKAGE}@${TEMPORAL_SERVER_VERSION} ${SQL_TOOL_PACKAGE}@${TEMPORAL_SERVER_VERSION}`;
  if (!env) {
    throw new Error(
      `The Temporal server (temporal-server, temporal-sql-tool) is not on PATH and Go is not installed to build it. ` +
        `Set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH, or install Go so they can be built with \`${install}\`.`,
    );
  }
  const dir = path.join(env.binDir, GOBIN_SUBDIR);
  const built = { server: path.join(dir, exe("server")), sqlTool: path.join(dir, exe("sql")) };
  if (!((await isExecutableFile(built.server)) && (await isExecutableFile(built.sqlTool)))) {
    log(`Building the Temporal server ${TEMPORAL_SERVER_VERSION} with Go (${install}); this takes a few minutes the first time...`);
    const res = await run(go, ["install", `${SERVER_PACKAGE}@${TEMPORAL_SERVER_VERSION}`, `${SQL_TOOL_PACKAGE}@${TEMPORAL_SERVER_VERSION}`], {
      ...process.env,
      GOBIN: dir,
    });
    if (!res.ok || !(await isExecutableFile(built.server)) || !(await isExecutableFile(built.sqlTool))) {
      throw new Error(`Could not build the Temporal server with Go (${install}). Set TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH.\n\n${res.output}`);
    }
    log(`Built the Temporal server and its sql tool in ${dir}`);
  }
  server ??= built.server;
  sqlTool ??= built.sqlTool;
  return { server, sqlTool, schemaDir: schemaDir ?? (await findSchemaDir(go, env.modCache)) };
}

// ---------------------------------------------------------------------------
// Databases and schemas

export interface TemporalPostgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Default `temporal`. */
  database?: string;
  /** Default `temporal_visibility`: a separate database, on the same server here. */
  visibilityDatabase?: string;
}

const databasesOf = (pg: TemporalPostgres) => ({ default: pg.database ?? "temporal", visibility: pg.visibilityDatabase ?? "temporal_visibility" });

/**
 * The sql tool's commands that set a new cluster's databases up, in order (the password is passed in
 * SQL_PASSWORD, not on the command line). Exactly what docs/operations.md shows.
 */
export function temporalSchemaCommands(pg: TemporalPostgres, schemaDir?: string): string[][] {
  const dbs = databasesOf(pg);
  const connect = (db: string) => ["--plugin", "postgres12", "--ep", pg.host, "-p", String(pg.port), "-u", pg.user, "--db", db];
  const schema = (kind: "temporal" | "visibility") =>
    schemaDir ? ["-d", path.join(schemaDir, kind, "versioned")] : ["--schema-name", `postgresql/v12/${kind}`];
  return [
    [...connect(dbs.default), "create-database"],
    [...connect(dbs.default), "setup-schema", "-v", "0.0"],
    [...connect(dbs.default), "update-schema", ...schema("temporal")],
    [...connect(dbs.visibility), "create-database"],
    [...connect(dbs.visibility), "setup-schema", "-v", "0.0"],
    [...connect(dbs.visibility), "update-schema", ...schema("visibility")],
  ];
}

/** Creates both databases of a new cluster and brings their schemas to the version the server needs. */
export async function setupTemporalDatabases(opts: {
  sqlTool: string;
  schemaDir?: string;
  postgres: TemporalPostgres;
  log?: (msg: string) => void;
}): Promise<void> {
  const env = childEnv({ SQL_PASSWORD: opts.postgres.password });
  for (const args of temporalSchemaCommands(opts.postgres, opts.schemaDir)) {
    const res = await run(opts.sqlTool, args, env);
    if (!res.ok) throw new Error(`temporal-sql-tool ${args.join(" ")} failed:\n${res.output}`);
    opts.log?.(`temporal-sql-tool ${args.slice(args.indexOf("--db")).join(" ")}: ok`);
  }
}

// ---------------------------------------------------------------------------
// The server

export interface TemporalServerPorts {
  frontend: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
  /** Prometheus metrics (`/metrics`), 0 for none. */
  metrics: number;
}

/** Whether nothing listens on `port` now (we could bind it). */
function portIsFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * Free ports for every listener; keep them to restart the server on the same ones. Below 32768: the
 * cluster_membership table stores the ports as smallint (the OS's ephemeral ports do not fit), and
 * above the registered range's busy start; never 5432.
 */
export async function pickTemporalServerPorts(opts: { metrics?: boolean } = {}): Promise<TemporalServerPorts> {
  const taken = new Set<number>([5432]);
  const pick = async () => {
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const p = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(p) && (await portIsFree(p))) {
        taken.add(p);
        return p;
      }
    }
    throw new Error("no free port between 20000 and 32000");
  };
  return {
    frontend: await pick(),
    frontendMembership: await pick(),
    history: await pick(),
    historyMembership: await pick(),
    matching: await pick(),
    matchingMembership: await pick(),
    worker: await pick(),
    workerMembership: await pick(),
    metrics: opts.metrics ? await pick() : 0,
  };
}

/** The environment the configuration template reads (dev/temporal-server/switchboard.yaml.tmpl). */
export function temporalServerEnv(opts: { host: string; ports: TemporalServerPorts; postgres: TemporalPostgres; logLevel?: string }): Record<string, string> {
  const dbs = databasesOf(opts.postgres);
  const { ports } = opts;
  return {
    LOG_LEVEL: opts.logLevel ?? "warn",
    POSTGRES_SEEDS: opts.postgres.host,
    DB_PORT: String(opts.postgres.port),
    POSTGRES_USER: opts.postgres.user,
    POSTGRES_PWD: opts.postgres.password,
    DBNAME: dbs.default,
    VISIBILITY_DBNAME: dbs.visibility,
    BIND_ON_IP: opts.host,
    TEMPORAL_BROADCAST_ADDRESS: opts.host,
    FRONTEND_GRPC_PORT: String(ports.frontend),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    FRONTEND_HTTP_PORT: "0",
    HISTORY_GRPC_PORT: String(ports.history),
    HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    MATCHING_GRPC_PORT: String(ports.matching),
    MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    WORKER_GRPC_PORT: String(ports.worker),
    WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    ...(ports.metrics ? { PROMETHEUS_ENDPOINT: `${opts.host}:${ports.metrics}` } : {}),
    DYNAMIC_CONFIG_FILE_PATH: path.join(TEMPORAL_SERVER_CONFIG_DIR, "dynamicconfig.yaml"),
  };
}

export interface TemporalServer {
  /** The frontend, "127.0.0.1:PORT": TEMPORAL_ADDRESS for the web and the workers. */
  address: string;
  ports: TemporalServerPorts;
  /** One per process (one, or one per service). */
  pids: number[];
  stop(): Promise<void>;
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
    sock.setTimeout(1_000, () => done(false));
  });
}

const KIND_TO_ENUM: Record<SearchAttributeKind, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };
const isAlreadyExists = (err: unknown) => (err as { code?: number })?.code === 6 || /already (exists|registered)/i.test(String(err));
const isNotFound = (err: unknown) => (err as { code?: number })?.code === 5;

/** Registers the namespace unless it exists (a cluster has none until someone registers one). */
export async function ensureTemporalNamespace(connection: Connection, namespace: string, retentionDays: number): Promise<"registered" | "existed"> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return "existed";
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(`${retentionDays} days`) });
    return "registered";
  } catch (err) {
    if (isAlreadyExists(err)) return "existed";
    throw err;
  }
}

/** Adds the custom search attributes the namespace lacks (with SQL visibility: per namespace). */
export async function ensureTemporalSearchAttributes(
  connection: Connection,
  namespace: string,
  wanted: Record<string, SearchAttributeKind>,
): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.entries(wanted).filter(([name]) => !(customAttributes && name in customAttributes));
  if (missing.length === 0) return [];
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map(([n, k]) => [n, KIND_TO_ENUM[k]])) });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  return missing.map(([n]) => n);
}

export async function startTemporalServer(opts: {
  server: string;
  postgres: TemporalPostgres;
  /** Keep them across a restart (pickTemporalServerPorts); default: new free ports. */
  ports?: TemporalServerPorts;
  /** "one": every service in one `server start` process; "per-service": `start --service <name>` each. */
  processes?: "one" | "per-service";
  namespace: string;
  /** Retention of closed workflows, when the namespace is registered here (default 3 days). */
  retentionDays?: number;
  searchAttributes?: Record<string, SearchAttributeKind>;
  logLevel?: "debug" | "info" | "warn" | "error";
  onLog?: (line: string) => void;
  /** A server process exited after it was ready without stop() being called. */
  onUnexpectedExit?: (info: { service: string; code: number | null; signal: NodeJS.Signals | null; recentOutput: string }) => void;
}): Promise<TemporalServer> {
  const host = "127.0.0.1";
  const ports = opts.ports ?? (await pickTemporalServerPorts());
  const log = opts.onLog ?? (() => {});
  const address = `${host}:${ports.frontend}`;
  if (await canConnect(host, ports.frontend)) throw new Error(`Temporal server port ${address} is already in use (an orphaned server?)`);

  const env = childEnv(temporalServerEnv({ host, ports, postgres: opts.postgres, logLevel: opts.logLevel }));
  // The server reads `<env>.yaml` from its config folder: a fresh one with the template in it.
  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), "temporal-server-config-"));
  await fs.copyFile(TEMPORAL_SERVER_CONFIG_TEMPLATE, path.join(configDir, `${CONFIG_ENV}.yaml`));
  const groups: Array<{ name: string; services: readonly TemporalService[] }> =
    opts.processes === "per-service" ? TEMPORAL_SERVICES.map((s) => ({ name: s, services: [s] })) : [{ name: "temporal", services: TEMPORAL_SERVICES }];

  const recent: string[] = [];
  let ready = false;
  let stopping = false;
  const procs: Array<{ name: string; child: ChildProcess; exited?: { code: number | null; signal: NodeJS.Signals | null }; done: Promise<void> }> = [];
  const spawnGroup = (g: (typeof groups)[number]) => {
    const args = ["--root", configDir, "--config", ".", "--env", CONFIG_ENV, "--allow-no-auth", "start", ...g.services.flatMap((s) => ["--service", s])];
    const child = spawn(opts.server, args, { cwd: configDir, env, stdio: ["ignore", "pipe", "pipe"], detached: false });
    const onLines = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n/)) {
        if (!line.trim()) continue;
        recent.push(`[${g.name}] ${line}`);
        if (recent.length > 60) recent.shift();
        log(`[${g.name}] ${line}`);
      }
    };
    child.stdout!.on("data", onLines);
    child.stderr!.on("data", onLines);
    const p: (typeof procs)[number] = { name: g.name, child, done: Promise.resolve() };
    p.done = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        p.exited = { code, signal };
        if (ready && !stopping) {
          log(`Temporal server (${g.name}) exited unexpectedly (code ${code}, signal ${signal})`);
          opts.onUnexpectedExit?.({ service: g.name, code, signal, recentOutput: recent.join("\n") });
        }
        resolve();
      });
      child.once("error", (err) => {
        recent.push(`[${g.name}] spawn error: ${err.message}`);
        p.exited ??= { code: null, signal: null };
        resolve();
      });
    });
    procs.push(p);
  };
  const killOnExit = () => {
    for (const p of procs) if (!p.exited) p.child.kill("SIGTERM");
    rmSync(configDir, { recursive: true, force: true });
  };
  process.on("exit", killOnExit);

  const stop = async () => {
    stopping = true;
    process.off("exit", killOnExit);
    const timer = setTimeout(() => {
      for (const p of procs) if (!p.exited) p.child.kill("SIGKILL");
    }, STOP_DEADLINE_MS);
    // Each shuts down cleanly on SIGTERM (history hands its shards back). Clients of the others first:
    // the worker service (its system workflows talk to the frontend; stopped after it, it waits 10 s
    // and exits 1), then the frontend, then matching and history.
    for (const wave of [["worker"], ["frontend"], ["matching", "history", "temporal"]]) {
      const now = procs.filter((p) => wave.includes(p.name));
      for (const p of now) if (!p.exited) p.child.kill("SIGTERM");
      await Promise.all(now.map((p) => p.done));
    }
    clearTimeout(timer);
    for (const p of procs)
      if (p.exited && p.exited.code !== 0) log(`Temporal server (${p.name}) did not stop cleanly (code ${p.exited.code}, signal ${p.exited.signal})`);
    await fs.rm(configDir, { recursive: true, force: true });
  };

  const failure = (why: string) =>
    new Error(`Temporal server (${opts.server}, ${groups.map((g) => g.name).join(" + ")}) ${why}${recent.length ? `\n${recent.join("\n")}` : ""}`);
  const earlyExit = () => procs.find((p) => p.exited);

  const deadline = Date.now() + READY_DEADLINE_MS;
  try {
    // One process first: on a new cluster every service process writes the cluster's metadata row at
    // start, and all but the first to do so exit with a duplicate key. Once the frontend listens, it has.
    spawnGroup(groups[0]);
    if (groups.length > 1) {
      while (!(await canConnect(host, ports.frontend))) {
        const gone = earlyExit();
        if (gone) throw failure(`exited early (${gone.name}: code ${gone.exited!.code}, signal ${gone.exited!.signal})`);
        if (Date.now() > deadline) throw failure(`frontend did not listen on ${address} within ${READY_DEADLINE_MS / 1000} s`);
        await pause(100);
      }
      for (const g of groups.slice(1)) spawnGroup(g);
    }
    while (!(await canConnect(host, ports.frontend))) {
      const gone = earlyExit();
      if (gone) throw failure(`exited early (${gone.name}: code ${gone.exited!.code}, signal ${gone.exited!.signal})`);
      if (Date.now() > deadline) throw failure(`did not listen on ${address} within ${READY_DEADLINE_MS / 1000} s`);
      await pause(100);
    }
    // Listening is not serving: register what a new cluster lacks, then poll until the frontend's
    // namespace cache (refreshed every 2 s) knows the namespace and its search attributes.
    let lastError: unknown;
    for (;;) {
      const gone = earlyExit();
      if (gone) throw failure(`exited early (${gone.name}: code ${gone.exited!.code}, signal ${gone.exited!.signal})`);
      if (Date.now() > deadline) throw failure(`was not ready within ${READY_DEADLINE_MS / 1000} s (last error: ${String(lastError)})`);
      let connection: Connection | undefined;
      try {
        connection = Connection.lazy({ address, connectTimeout: 2_000 });
        await connection.ensureConnected();
        const ns = await ensureTemporalNamespace(connection, opts.namespace, opts.retentionDays ?? 3);
        if (ns === "registered") log(`registered namespace ${opts.namespace}`);
        const wanted = opts.searchAttributes ?? {};
        const added = await ensureTemporalSearchAttributes(connection, opts.namespace, wanted);
        if (added.length) log(`added search attributes ${added.join(", ")} to ${opts.namespace}`);
        if (Object.keys(wanted).length) {
          // A visibility query naming them fails until the frontend's cache has the namespace's aliases.
          await connection.workflowService.countWorkflowExecutions({
            namespace: opts.namespace,
            query: Object.keys(wanted)
              .map((n) => `${n} = "readiness-probe"`)
              .join(" AND "),
          });
        }
        break;
      } catch (err) {
        lastError = err;
        await pause(250);
      } finally {
        await connection?.close();
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  ready = true;
  return { address, ports, pids: procs.map((p) => p.child.pid!), stop };
}
