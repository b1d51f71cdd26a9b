/**
 * Optional OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set:
 * then spans go to `<endpoint>/v1/traces` over OTLP/HTTP (protobuf-free JSON),
 * batched. The web side traces the workflows it starts and signals (the
 * client interceptor puts the span context in the workflow's headers); the
 * worker continues those traces through the workflow (spans made inside the
 * sandbox leave it through a sink) and into each activity.
 *
 * The OpenTelemetry packages are loaded only when tracing is on.
 *
 * Spans carry workflow and activity types and ids (ids only, never personal
 * data: ARCHITECTURE.md), and no arguments.
 */
import { createRequire } from "node:module";
import type { ClientInterceptors } from "@temporalio/client";
import type { WorkerOptions } from "@temporalio/worker";
import type { Config } from "../config.server.js";

export interface Tracing {
  /** For `new Client({ interceptors })` and the worker's own client. */
  clientInterceptors: ClientInterceptors;
  /** Worker options that trace workflows and activities (the workflow interceptor module must be bundled with the workflows). */
  workerOptions: Pick<WorkerOptions, "interceptors" | "sinks">;
  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void>;
}

/** Where the OTLP/HTTP exporter posts spans, per the OTLP exporter spec for OTEL_EXPORTER_OTLP_ENDPOINT. */
export function tracesUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/v1/traces`;
}

/** The module the worker's workflow bundle must include for workflow spans. */
export function workflowTracingModule(): string {
  return createRequire(import.meta.url).resolve("@temporalio/interceptors-opentelemetry/lib/workflow-interceptors");
}

/** Null when no endpoint is configured (the default). */
export async function startTracing(config: Pick<Config, "otel">, role: "web" | "worker"): Promise<Tracing | null> {
  const { endpoint, serviceName } = config.otel;
  if (!endpoint) return null;
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { OTLPTraceExporter }, { Resource }, { ATTR_SERVICE_NAME }, client, worker] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/semantic-conventions"),
    import("@temporalio/interceptors-opentelemetry/lib/client/index.js"),
    import("@temporalio/interceptors-opentelemetry/lib/worker/index.js"),
  ]);
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName ?? `switchboard-${role}` });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl(endpoint) }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Global: the interceptors ask @opentelemetry/api for their tracer.
  provider.register();
  const clientInterceptors: ClientInterceptors = { workflow: [new client.OpenTelemetryWorkflowClientInterceptor()] };
  return {
    clientInterceptors,
    workerOptions: {
      interceptors: {
        client: clientInterceptors,
        workflowModules: [workflowTracingModule()],
        activity: [
          (ctx) => ({
            inbound: new worker.OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new worker.OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: worker.makeWorkflowExporter(spanProcessor, resource) },
    },
    shutdown: () => provider.shutdown(),
  };
}
