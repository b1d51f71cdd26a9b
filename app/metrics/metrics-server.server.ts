/**
 * `GET /metrics` in Prometheus's text format, on a listener of its own
 * (METRICS_HOST:METRICS_PORT), never on the public port: the series say how
 * busy the service is and how its database fares, which is the operator's
 * business, not the internet's. Off unless METRICS_PORT is set.
 */
import { createServer, type Server } from "node:http";
import type { Registry } from "prom-client";
import type { Logger } from "../logger.server.js";

export interface MetricsServer {
  url: string;
  stop(): Promise<void>;
}

/** Null when no port is configured: nothing listens. */
export async function startMetricsServer(options: {
  host: string;
  port: number | undefined;
  registry: Registry;
  logger: Logger;
}): Promise<MetricsServer | null> {
  const { host, port, registry, logger } = options;
  if (port === undefined) return null;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("Not found: the metrics are at GET /metrics.\n");
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { "Content-Type": registry.contentType, "Cache-Control": "no-store" });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: unknown) => {
        logger.warn({ err: err instanceof Error ? err.message : String(err) }, "metrics could not be collected");
        res.writeHead(500, { "Content-Type": "text/plain" }).end("The metrics could not be collected.\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`;
  logger.info({ url }, "metrics listening");
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
