/**
 * Real Temporal for tests: a client on the run's dev server (see global setup),
 * a task queue no other test file shares, and real workers that run only while
 * a test's function runs.
 */
import { randomUUID } from "node:crypto";
import { Client, Connection } from "@temporalio/client";
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker, type WorkflowBundleWithSourceMap } from "@temporalio/worker";
import { inject } from "vitest";
import type {} from "../setup/global-setup.js"; // ProvidedContext typing for inject()
import { WORKFLOWS_SOURCE as DEFAULT_WORKFLOWS_PATH } from "../../server/workflow-bundle.js";

export { DEFAULT_WORKFLOWS_PATH };
const NAMESPACE = "default";

export interface TemporalTestEnv {
  client: Client;
  connection: Connection;
  address: string;
  /** Unique per temporalTestEnv() call, so parallel test files never steal each other's tasks. */
  taskQueue: string;
  /** Runs a real worker (workflows bundle + these activities) on `taskQueue` until `fn` settles. */
  runWorker<T>(activities: object, fn: () => Promise<T>, options?: { workflowsPath?: string }): Promise<T>;
  close(): Promise<void>;
}

// Module state lives per test file: vitest isolates each file in its own module graph.
const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
let runtimeReady = false;

/** The SDK logs every worker state change at INFO; tests only want warnings. */
function quietRuntime(): void {
  if (runtimeReady) return;
  runtimeReady = true;
  try {
    Runtime.install({ logger: new DefaultLogger("WARN") });
  } catch {
    // Already installed in this process (another helper or an earlier file in the same fork): keep it.
  }
}

/** webpack is the slow part of starting a worker, so each file bundles each workflows path once. */
function bundleFor(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let bundle = bundles.get(workflowsPath);
  if (!bundle) {
    bundle = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger("WARN") });
    // A failed bundle (syntax error) should be retried by the next call, not cached.
    bundle.catch(() => bundles.delete(workflowsPath));
    bundles.set(workflowsPath, bundle);
  }
  return bundle;
}

export async function temporalTestEnv(options: { workflowsPath?: string } = {}): Promise<TemporalTestEnv> {
  quietRuntime();
  const address = inject("temporalAddress");
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: NAMESPACE });
  const taskQueue = `test-${randomUUID()}`;
  let nativeConnection: Promise<NativeConnection> | undefined;

  return {
    client,
    connection,
    address,
    taskQueue,
    async runWorker(activities, fn, runOptions = {}) {
      const workflowsPath = runOptions.workflowsPath ?? options.workflowsPath ?? DEFAULT_WORKFLOWS_PATH;
      nativeConnection ??= NativeConnection.connect({ address });
      const worker = await Worker.create({
        connection: await nativeConnection,
        namespace: NAMESPACE,
        taskQueue,
        workflowBundle: await bundleFor(workflowsPath),
        activities,
      });
      return worker.runUntil(fn);
    },
    async close() {
      await (await nativeConnection)?.close();
      await connection.close();
    },
  };
}
