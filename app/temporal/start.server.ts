/**
 * The one way the web starts a workflow. Services call it; nothing else in app/
 * starts workflows.
 *
 * The protocol, for every "write a row, start a workflow" intent:
 *   1. commit the row (and whatever else the intent changes) in its own transaction;
 *   2. start the workflow, by its function (typed arguments), with the search
 *      attributes and id-reuse policy chosen here;
 *   3. link the run to the row; should Temporal refuse, mark the row not started.
 * The row is committed before the workflow can read it, so a workflow never waits
 * for a row that may never commit; and a refused start is on record, never lost.
 */
import { WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from "@temporalio/client";
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, type SignalDefinition, type Workflow } from "@temporalio/common";
import type { Transaction } from "kysely";
import type { Db } from "../../db/connection.js";
import type { Database } from "../../db/schema.js";
import type { Services } from "../context.server.js";
import * as workflows from "../../workflows/index.js";
import { accountIdAttribute, ticketIdAttribute } from "../../workflows/shared.js";

/**
 * A workflow's type is the name the worker exports it under (workflows/index.ts),
 * looked up here rather than read from the function: a bundler may rename a
 * function whose name collides (esbuild made `unblockAccount` "unblockAccount2"
 * beside the model of the same name), and Temporal would then be asked for a type
 * no worker has.
 */
const TYPE_NAMES = new Map<Workflow, string>(Object.entries(workflows).map(([name, fn]) => [fn as Workflow, name]));

export function workflowTypeName(workflow: Workflow): string {
  const name = TYPE_NAMES.get(workflow);
  if (!name) throw new Error("This workflow is not one the worker runs: export it from workflows/index.ts.");
  return name;
}

/**
 * How a workflow id may be reused:
 * - "once": one run ever for this id (a transfer per ticket);
 * - "one_at_a_time": a finished run may be followed by another, never two at once
 *   (block, unblock, deletion);
 * - "join_running": a start while one runs is that run (recharge: the running one covers it).
 */
export type IdPolicy = "once" | "one_at_a_time" | "join_running";

export interface StartRequest<W extends Workflow> {
  workflow: W;
  workflowId: string;
  args: Parameters<W>;
  policy: IdPolicy;
  /** "All workflows of account X / ticket Y" is one visibility query (workflows/shared.ts). */
  accountId?: string;
  ticketId?: string;
  /** Start with this signal (signalWithStart): a running workflow gets the signal instead. */
  signal?: SignalDefinition<[]>;
}

/** What a start needs: the client, and the task queue the worker polls. */
export type StartDeps = Pick<Services, "temporal"> & { config: { temporal: { taskQueue: string } } };

export type StartOutcome = { started: true; workflowId: string } | { started: false; reason: "already_running" | "unavailable"; error: string };

const POLICIES: Record<IdPolicy, Pick<WorkflowStartOptions, "workflowIdReusePolicy" | "workflowIdConflictPolicy">> = {
  once: { workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE },
  one_at_a_time: { workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE },
  join_running: { workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING },
};

/** Starts one workflow; never throws: a refusal comes back as the outcome. */
export async function startWorkflow<W extends Workflow>(services: StartDeps, req: StartRequest<W>): Promise<StartOutcome> {
  const { temporal, config } = services;
  const typedSearchAttributes = [
    ...(req.accountId ? [{ key: accountIdAttribute, value: req.accountId }] : []),
    ...(req.ticketId ? [{ key: ticketIdAttribute, value: req.ticketId }] : []),
  ];
  const options = {
    taskQueue: config.temporal.taskQueue,
    workflowId: req.workflowId,
    args: req.args,
    typedSearchAttributes,
    ...POLICIES[req.policy],
    // The SDK's option types are a conditional on the argument list; the request already checked it (workflowRun).
  } as unknown as WorkflowStartOptions<W>;
  try {
    if (req.signal) {
      // signalWithStart always joins a running workflow; the reuse policy still applies to a closed one.
      const { workflowIdConflictPolicy: _, ...rest } = options;
      await temporal.workflow.signalWithStart<W, []>(workflowTypeName(req.workflow), { ...rest, signal: req.signal, signalArgs: [] } as never);
    } else {
      await temporal.workflow.start<W>(workflowTypeName(req.workflow), options);
    }
    return { started: true, workflowId: req.workflowId };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return req.policy === "join_running" ? { started: true, workflowId: req.workflowId } : { started: false, reason: "already_running", error: err.name };
    }
    return { started: false, reason: "unavailable", error: err instanceof Error ? err.name : String(err) };
  }
}

/** A start request, typed by the workflow function: its arguments are checked against it. */
export function workflowRun<W extends Workflow>(workflow: W, rest: Omit<StartRequest<W>, "workflow">): StartRequest<W> {
  return { workflow, ...rest };
}

type Ok<T> = Extract<T, { ok: true }>;
type NotOk<T> = Exclude<T, { ok: true }>;

export interface CommitThenStart<T extends { ok: boolean }> {
  /** Step 1: the intent's writes, in one transaction; a refusal ({ ok: false }) changes nothing. */
  commit(trx: Transaction<Database>): Promise<T>;
  /** Step 2: the workflow that carries it out (workflowRun); null when, this time, the intent needs none. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each intent's request is typed by workflowRun
  workflow(committed: Ok<T>): StartRequest<any> | null;
  /** Step 3: record the run on the row (its workflow id). */
  link(db: Db, committed: Ok<T>, workflowId: string): Promise<unknown>;
  /** Step 3, when Temporal refused: mark the row so (status, step "not_started"). */
  notStarted(db: Db, committed: Ok<T>, outcome: Extract<StartOutcome, { started: false }>): Promise<unknown>;
}

/** The protocol above; the caller words the outcome for people. */
export async function commitThenStart<T extends { ok: boolean }>(
  services: StartDeps & Pick<Services, "db" | "logger">,
  intent: CommitThenStart<T>,
): Promise<NotOk<T> | (Ok<T> & { start: StartOutcome | null })> {
  const { db, logger } = services;
  const committed = await db.transaction().execute((trx) => intent.commit(trx));
  if (!committed.ok) return committed as NotOk<T>;
  const c = committed as Ok<T>;
  const request = intent.workflow(c);
  if (!request) return { ...c, start: null };
  const start = await startWorkflow(services, request);
  if (start.started) {
    await intent.link(db, c, start.workflowId);
  } else {
    // Ids and codes only: never what the row holds.
    logger.warn({ workflowId: request.workflowId, reason: start.reason, err: start.error }, "workflow not started");
    await intent.notStarted(db, c, start);
  }
  return { ...c, start };
}
