/**
 * The real Temporal server as a fault run's Temporal (test/faults/run.ts): its databases on the
 * run's PostgreSQL, set up at the first start; the same ports, databases and namespace across a
 * restart; every exit it did not cause counted.
 */
import {
  findOrBuildTemporalServer,
  pickTemporalServerPorts,
  setupTemporalDatabases,
  startTemporalServer,
  type TemporalPostgres,
  type TemporalServer,
  type TemporalServerPorts,
  type TemporalServerTools,
} from "../../dev/temporal-server.js";
import { log, NAMESPACE, onCleanup, type Postgres, type TemporalUnderTest } from "../faults/infra.js";

export class TemporalCluster implements TemporalUnderTest {
  readonly title: string;
  unexpectedExits = 0;
  private server: TemporalServer | undefined;
  private tools: TemporalServerTools | undefined;
  private ports: TemporalServerPorts | undefined;
  private schemasReady = false;
  constructor(
    private readonly opts: {
      pg: Postgres;
      /** The run's PostgreSQL has started (the schemas are set up once it has). */
      pgReady: Promise<unknown>;
      processes: "one" | "per-service";
      verbose: boolean;
      tools: { serverPath?: string; sqlToolPath?: string; schemaDir?: string };
      pathEnv?: string;
    },
  ) {
    this.title = `the Temporal server (${opts.processes === "per-service" ? "frontend, history, matching, worker: a process each" : "all services in one process"}, PostgreSQL)`;
    onCleanup(() => this.stop());
  }

  get address(): string {
    if (!this.ports) throw new Error("the Temporal server has not been started yet");
    return `127.0.0.1:${this.ports.frontend}`;
  }

  private get postgres(): TemporalPostgres {
    return { host: "127.0.0.1", port: this.opts.pg.port, user: this.opts.pg.user, password: this.opts.pg.password };
  }

  async start(): Promise<void> {
    if (!this.tools) {
      const [tools] = await Promise.all([findOrBuildTemporalServer({ ...this.opts.tools, pathEnv: this.opts.pathEnv, log: (m) => log(m) }), this.opts.pgReady]);
      this.tools = tools;
      log(`Temporal server ${tools.server}, sql tool ${tools.sqlTool}, schemas ${tools.schemaDir ?? "(the sql tool's own copy)"}`);
    }
    if (!this.schemasReady) {
      await setupTemporalDatabases({
        sqlTool: this.tools.sqlTool,
        schemaDir: this.tools.schemaDir,
        postgres: this.postgres,
        log: (m) => this.opts.verbose && log(m),
      });
      this.schemasReady = true;
    }
    this.ports ??= await pickTemporalServerPorts();
    this.server = await startTemporalServer({
      server: this.tools.server,
      postgres: this.postgres,
      ports: this.ports,
      processes: this.opts.processes,
      namespace: NAMESPACE,
      retentionDays: 1,
      searchAttributes: { AccountId: "Keyword", TicketId: "Keyword" },
      logLevel: "warn",
      onLog: (line) => this.opts.verbose && log(line.slice(0, 400)),
      onUnexpectedExit: ({ service, code, signal, recentOutput }) => {
        this.unexpectedExits++;
        log(`Temporal server (${service}) exited unexpectedly (code ${code}, signal ${signal})\n${recentOutput}`);
      },
    });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    await s?.stop();
  }
}
