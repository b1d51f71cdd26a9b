/**
 * The operator's view of Temporal: lists workflows through the visibility API,
 * describes one (pending activities, live status, input ids, a timeline built
 * from its event history) and acts on it (cancel, terminate, retry now).
 * A .server module: @temporalio/* must never reach the browser build.
 */
import { QueryNotRegisteredError, WorkflowNotFoundError, type Client } from "@temporalio/client";
import type { Payload } from "@temporalio/common";
import { z } from "zod";
import type { Services } from "../context.server.js";
import * as workflows from "../../workflows/index.js";
import { endOfUtcDay, parseUtc } from "../validation/dates.js";
import { UUID } from "../validation/ids.js";
import { isWorkflowId } from "../validation/workflow-ids.js";

/** Every workflow type the worker runs, from the worker's own list (workflows/index.ts). */
export type WorkflowType = keyof typeof workflows;
export const WORKFLOW_TYPES = Object.keys(workflows).sort() as [WorkflowType, ...WorkflowType[]];
export const WORKFLOW_STATUSES = ["Running", "Completed", "Failed", "Terminated", "Canceled", "TimedOut"] as const;
export type WorkflowStatusName = (typeof WORKFLOW_STATUSES)[number] | "ContinuedAsNew" | "Unknown";

/** "2025-01-31" or "2025-01-31T14:05" (what <input type="datetime-local"> sends), read as UTC. */
const WHEN = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/;
const PAGE_SIZE = 25;

const blankIsUnset = (v: unknown) => (v === "" || v === null ? undefined : v);
const when = (end: boolean) =>
  z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(WHEN, "Use a date like 2025-01-31 or 2025-01-31T14:05.")
      .transform((s, ctx) => {
        // A date JavaScript would roll over (31 April → 1 May, hour 24) does not exist.
        const at = parseUtc(s);
        if (!at) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: "That date does not exist." });
          return z.NEVER;
        }
        // A bare date as the end of a range means "through that day".
        return end && s.length === 10 ? endOfUtcDay(at) : at;
      })
      .optional(),
  );

/**
 * Every value that ends up in a visibility query passes through here first: types and statuses from
 * fixed lists, ids as UUIDs, times as parsed dates. Nothing typed by a person is pasted into the query.
 */
export const WorkflowFilter = z
  .object({
    type: z.preprocess(blankIsUnset, z.enum(WORKFLOW_TYPES).optional()),
    status: z.preprocess(blankIsUnset, z.enum(WORKFLOW_STATUSES).optional()),
    from: when(false),
    to: when(true),
    account: z.preprocess(blankIsUnset, z.string().trim().regex(UUID, "An account id is a UUID.").optional()),
    ticket: z.preprocess(blankIsUnset, z.string().trim().regex(UUID, "A ticket id is a UUID.").optional()),
    // Base64url of the server's opaque token; bounded so a pasted megabyte never reaches Temporal.
    page: z.preprocess(
      blankIsUnset,
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,4096}$/, "That page link is broken.")
        .optional(),
    ),
  })
  .strip();
export type WorkflowFilter = z.infer<typeof WorkflowFilter>;

const quote = (s: string) => `'${s}'`;

/** The visibility query for a validated filter: fixed names, quoted values that passed WorkflowFilter. */
export function visibilityQuery(f: WorkflowFilter): string {
  const parts: string[] = [];
  if (f.type) parts.push(`WorkflowType = ${quote(f.type)}`);
  if (f.status) parts.push(`ExecutionStatus = ${quote(f.status)}`);
  if (f.from) parts.push(`StartTime >= ${quote(f.from.toISOString())}`);
  if (f.to) parts.push(`StartTime <= ${quote(f.to.toISOString())}`);
  if (f.account) {
    // Workflows started before every start set AccountId are still found by their well-known ids
    // (visibility has no prefix match on WorkflowId, so each id is named).
    const ids = [`block-account:${f.account}`, `unblock-account:${f.account}`, `recharge:${f.account}`];
    parts.push(`(AccountId = ${quote(f.account)} OR ${ids.map((id) => `WorkflowId = ${quote(id)}`).join(" OR ")})`);
  }
  if (f.ticket) parts.push(`(TicketId = ${quote(f.ticket)} OR WorkflowId = ${quote(`transfer:${f.ticket}`)})`);
  return parts.join(" AND ");
}

export interface WorkflowRow {
  workflowId: string;
  runId: string;
  type: string;
  status: WorkflowStatusName;
  startTime: string | null;
  closeTime: string | null;
  /** Until now for a running workflow. */
  durationMs: number | null;
}

export type ListResult = { ok: true; rows: WorkflowRow[]; nextPageToken: string | null } | { ok: false; message: string; badPage: boolean };

// The numbers of temporal.api.enums.v1.WorkflowExecutionStatus; written out so the web needs no proto import.
const STATUS_BY_NUMBER: Record<number, WorkflowStatusName> = {
  1: "Running",
  2: "Completed",
  3: "Failed",
  4: "Canceled",
  5: "Terminated",
  6: "ContinuedAsNew",
  7: "TimedOut",
};

interface RawTimestamp {
  seconds?: { toNumber(): number } | number | string | null;
  nanos?: number | null;
}
function tsToDate(ts: RawTimestamp | null | undefined): Date | null {
  if (!ts || ts.seconds === null || ts.seconds === undefined) return null;
  const s = typeof ts.seconds === "object" ? ts.seconds.toNumber() : Number(ts.seconds);
  return new Date(s * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const durationOf = (start: Date | null, close: Date | null, now: number) => (start ? (close?.getTime() ?? now) - start.getTime() : null);

type TemporalServices = Pick<Services, "temporal" | "config">;

type Execution = NonNullable<Awaited<ReturnType<Client["workflowService"]["listWorkflowExecutions"]>>["executions"]>[number];

/** One visibility entry as a list row. */
function rowOf(e: Execution, now: number): WorkflowRow {
  const start = tsToDate(e.startTime);
  const close = tsToDate(e.closeTime);
  return {
    workflowId: e.execution?.workflowId ?? "",
    runId: e.execution?.runId ?? "",
    type: e.type?.name ?? "",
    status: STATUS_BY_NUMBER[e.status ?? 0] ?? "Unknown",
    startTime: iso(start),
    closeTime: iso(close),
    durationMs: durationOf(start, close, now),
  };
}

/** `deadlineMs`: pages that only show a list beside other things wait less for Temporal than the list page does. */
export async function listWorkflows(services: TemporalServices, filter: WorkflowFilter, deadlineMs = 5_000): Promise<ListResult> {
  const { temporal, config } = services;
  let nextPageToken: Uint8Array | undefined;
  if (filter.page) nextPageToken = new Uint8Array(Buffer.from(filter.page, "base64url"));
  try {
    // The raw call, not client.workflow.list(): only it hands back the page token the "Next page" link carries.
    const res = await temporal.withDeadline(Date.now() + deadlineMs, () =>
      temporal.workflowService.listWorkflowExecutions({
        namespace: config.temporal.namespace,
        query: visibilityQuery(filter),
        pageSize: PAGE_SIZE,
        nextPageToken,
      }),
    );
    const now = Date.now();
    const rows = (res.executions ?? []).map((e) => rowOf(e, now));
    const token = res.nextPageToken && res.nextPageToken.length > 0 ? Buffer.from(res.nextPageToken).toString("base64url") : null;
    return { ok: true, rows, nextPageToken: token };
  } catch {
    // A page token the server cannot read (edited, or from another filter) is the link's fault, not the service's;
    // which error the server gives for it depends on its visibility store, so any failure with a token counts.
    if (filter.page) return { ok: false, message: "That page link is no longer valid. Start again from the first page.", badPage: true };
    return { ok: false, message: "The workflow service did not answer. Try again in a moment.", badPage: false };
  }
}

/**
 * The workflows about these accounts or tickets (their AccountId/TicketId search attribute, or the
 * well-known ids of older starts) and these workflow ids, with their status, in one visibility query.
 * Null when Temporal did not answer in time: the page says so and shows the rest.
 */
export async function workflowsAbout(
  services: TemporalServices,
  about: { accountIds: readonly string[]; ticketIds: readonly string[]; workflowIds: readonly string[] },
  deadlineMs = 2_000,
): Promise<WorkflowRow[] | null> {
  // Only ids of the shapes we write reach the query: nothing in it is free text.
  const accounts = [...new Set(about.accountIds)].filter((id) => UUID.test(id));
  const tickets = [...new Set(about.ticketIds)].filter((id) => UUID.test(id));
  const ids = new Set(about.workflowIds.filter(isWorkflowId));
  for (const a of accounts) for (const id of [`block-account:${a}`, `unblock-account:${a}`, `recharge:${a}`, `delete:${a}`]) ids.add(id);
  for (const t of tickets) ids.add(`transfer:${t}`);
  const parts = [
    ...accounts.map((a) => `AccountId = ${quote(a)}`),
    ...tickets.map((t) => `TicketId = ${quote(t)}`),
    ...[...ids].map((id) => `WorkflowId = ${quote(id)}`),
  ];
  if (parts.length === 0) return [];
  const { temporal, config } = services;
  try {
    const res = await temporal.withDeadline(Date.now() + deadlineMs, () =>
      temporal.workflowService.listWorkflowExecutions({ namespace: config.temporal.namespace, query: parts.join(" OR "), pageSize: 50 }),
    );
    const now = Date.now();
    return (res.executions ?? []).map((e) => rowOf(e, now));
  } catch {
    return null;
  }
}

// ---- one workflow ----

export interface PendingActivity {
  activityId: string;
  type: string;
  /** "scheduled" while waiting for a worker or backing off before the next attempt. */
  state: "scheduled" | "started" | "cancel_requested" | "paused" | "unknown";
  attempt: number;
  maximumAttempts: number | null;
  lastFailure: string | null;
  nextAttemptAt: string | null;
}

export type BarKind = "activity" | "timer" | "child" | "signal" | "update";
export type BarOutcome = "completed" | "failed" | "timed_out" | "canceled" | "terminated" | "fired" | "running" | "received";

export interface TimelineAttempt {
  attempt: number;
  outcome: "failed" | BarOutcome;
  /** Known for the last failed attempt only: the history keeps one failure per activity (see buildTimeline). */
  message: string | null;
}

export interface TimelineBar {
  key: string;
  kind: BarKind;
  label: string;
  scheduledAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  outcome: BarOutcome;
  failure: string | null;
  attempts: TimelineAttempt[];
  /** A timer: how long it was set for. */
  timerMs: number | null;
  /** A timer: its summary in the workflow code, when the code gave one (user metadata). */
  summary: string | null;
  /** A timer: the last activity scheduled before it, i.e. the step it guards. */
  after: string | null;
  /** A child workflow: which one, so the page links to it. */
  child: { workflowId: string; runId: string | null } | null;
}

/** Another workflow this one names in its history: a child it started, or one it signalled. */
export interface NamedWorkflow {
  workflowId: string;
  runId: string | null;
  type: string | null;
  how: "child" | "signalled";
}

export interface RawEvent {
  id: number;
  type: string;
  time: string | null;
}

export interface WorkflowDetails {
  workflowId: string;
  runId: string;
  type: string;
  status: WorkflowStatusName;
  startTime: string | null;
  closeTime: string | null;
  durationMs: number | null;
  taskQueue: string;
  input: { accountId: string | null; changeId: string | null; ticketId: string | null };
  /** The workflow that started this one as its child. */
  parent: { workflowId: string; runId: string | null } | null;
  /** Children started and workflows signalled, from the history, in order. */
  named: NamedWorkflow[];
  /** The workflow's own `status` query's answer; "no_query" for workflow types without one; null when it did not answer (or the run is over). */
  live: Record<string, unknown> | "no_query" | null;
  pending: PendingActivity[];
  timeline: TimelineBar[];
  events: RawEvent[];
  /** The failure message of a failed run. */
  failure: string | null;
}

const QUERY_TIMEOUT_MS = 1_500;
const DESCRIBE_TIMEOUT_MS = 5_000;

const PENDING_STATES: Record<number, PendingActivity["state"]> = { 1: "scheduled", 2: "started", 3: "cancel_requested", 4: "paused" };

/** Null when there is no such workflow (or run). */
export async function describeWorkflow(services: TemporalServices, workflowId: string, runId?: string): Promise<WorkflowDetails | null> {
  const { temporal } = services;
  const handle = temporal.workflow.getHandle(workflowId, runId);
  let description;
  let history;
  try {
    [description, history] = await temporal.withDeadline(Date.now() + DESCRIBE_TIMEOUT_MS, () => Promise.all([handle.describe(), handle.fetchHistory()]));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    // gRPC NOT_FOUND (5) / INVALID_ARGUMENT (3) for a run id that names nothing.
    const code = (err as { code?: unknown }).code;
    if (code === 5 || code === 3) return null;
    throw err;
  }
  const status = STATUS_BY_NUMBER[description.raw.workflowExecutionInfo?.status ?? 0] ?? "Unknown";
  const running = status === "Running";
  const live = running ? await liveStatus(temporal, workflowId, description.runId) : null;
  const events = history.events ?? [];
  const start = description.startTime ?? null;
  const close = description.closeTime ?? null;

  const pending = (description.raw.pendingActivities ?? []).map((a): PendingActivity => ({
    activityId: a.activityId ?? "",
    type: a.activityType?.name ?? "",
    state: PENDING_STATES[a.state ?? 0] ?? "unknown",
    attempt: a.attempt ?? 1,
    maximumAttempts: a.maximumAttempts ? a.maximumAttempts : null,
    lastFailure: a.lastFailure?.message ?? null,
    nextAttemptAt: iso(tsToDate(a.nextAttemptScheduleTime)),
  }));

  const timeline = buildTimeline(events as HistoryEvent[], pending);
  await timerSummaries(temporal, events as HistoryEvent[], timeline);
  const parentExecution = description.raw.workflowExecutionInfo?.parentExecution;
  const closing = (events as HistoryEvent[]).find((e) => e.workflowExecutionFailedEventAttributes);

  return {
    workflowId,
    runId: description.runId,
    type: description.type,
    status,
    startTime: iso(start),
    closeTime: iso(close),
    durationMs: durationOf(start, close, Date.now()),
    taskQueue: description.taskQueue,
    input: await inputIds(temporal, events[0] as HistoryEvent | undefined),
    parent: parentExecution?.workflowId ? { workflowId: parentExecution.workflowId, runId: parentExecution.runId || null } : null,
    named: namedWorkflows(events as HistoryEvent[]),
    live,
    pending,
    timeline,
    events: (events as HistoryEvent[]).map((e) => ({ id: num(e.eventId), type: eventTypeName(e), time: iso(tsToDate(e.eventTime)) })),
    failure: failureText(closing?.workflowExecutionFailedEventAttributes?.failure),
  };
}

/** What the workflow's "status" query says; "no_query" for the types that do not have one; null when it did not answer. */
async function liveStatus(temporal: Client, workflowId: string, runId: string): Promise<Record<string, unknown> | "no_query" | null> {
  try {
    // As transferLiveStatus does: the deadline ends the gRPC call itself, so a workflow with no worker polling never holds the page.
    const answer = await temporal.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => temporal.workflow.getHandle(workflowId, runId).query<unknown>("status"));
    return answer && typeof answer === "object" && !Array.isArray(answer) ? (answer as Record<string, unknown>) : null;
  } catch (err) {
    return err instanceof QueryNotRegisteredError ? "no_query" : null;
  }
}

/** Ids only, and only in the shapes our workflows take: anything else in the first argument is not shown. */
async function inputIds(temporal: Client, first: HistoryEvent | undefined): Promise<WorkflowDetails["input"]> {
  const none = { accountId: null, changeId: null, ticketId: null };
  let payloads = first?.workflowExecutionStartedEventAttributes?.input?.payloads as Payload[] | null | undefined;
  if (!payloads?.length) return none;
  try {
    const converter = temporal.options.loadedDataConverter;
    // Codecs run in reverse on the way out, as the SDK does when it decodes results.
    for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    const value = converter.payloadConverter.fromPayload<unknown>(payloads[0]!);
    if (!value || typeof value !== "object") return none;
    const v = value as Record<string, unknown>;
    const id = (x: unknown) => (typeof x === "string" && UUID.test(x) ? x : null);
    return { accountId: id(v.accountId), changeId: id(v.changeId), ticketId: id(v.ticketId) };
  } catch {
    return none;
  }
}

/** Decodes a payload the way results are decoded (codecs in reverse, then the converter); null when it is not text. */
async function payloadText(temporal: Client, payload: Payload): Promise<string | null> {
  try {
    const converter = temporal.options.loadedDataConverter;
    let payloads = [payload];
    for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
    const value = converter.payloadConverter.fromPayload<unknown>(payloads[0]!);
    return typeof value === "string" ? value.slice(0, 200) : null;
  } catch {
    return null;
  }
}

/** A timer's summary, where the workflow code gave it one (`sleep(ms, { summary })`): it names the timer better than its number. */
async function timerSummaries(temporal: Client, events: HistoryEvent[], timeline: TimelineBar[]) {
  for (const e of events) {
    const summary = e.timerStartedEventAttributes ? e.userMetadata?.summary : null;
    if (!summary) continue;
    const bar = timeline.find((b) => b.key === `t${num(e.eventId)}`);
    if (bar) bar.summary = await payloadText(temporal, summary as Payload);
  }
}

/** Children started and workflows signalled (a deletion nudging waiting transfers), each once, in history order. */
export function namedWorkflows(events: HistoryEvent[]): NamedWorkflow[] {
  const out = new Map<string, NamedWorkflow>();
  for (const e of events) {
    const c = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (c?.workflowId && !out.has(c.workflowId))
      out.set(c.workflowId, { workflowId: c.workflowId, runId: null, type: c.workflowType?.name ?? null, how: "child" });
    const started = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
    if (started?.workflowId && out.has(started.workflowId)) out.get(started.workflowId)!.runId = started.runId || null;
    const s = e.signalExternalWorkflowExecutionInitiatedEventAttributes?.workflowExecution;
    if (s?.workflowId && !out.has(s.workflowId)) out.set(s.workflowId, { workflowId: s.workflowId, runId: s.runId || null, type: null, how: "signalled" });
  }
  return [...out.values()];
}

/** How long a protobuf Duration is, in milliseconds. */
function durationMs(d: RawTimestamp | null | undefined): number | null {
  if (!d) return null;
  const s = d.seconds === null || d.seconds === undefined ? 0 : typeof d.seconds === "object" ? d.seconds.toNumber() : Number(d.seconds);
  return s * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

// ---- the history as a timeline ----

/** The parts of a history event this module reads; the SDK hands back protobuf objects of this shape. */
interface HistoryEvent {
  eventId?: { toNumber(): number } | number | null;
  eventTime?: RawTimestamp | null;
  [attributes: string]: unknown;
  userMetadata?: { summary?: unknown } | null;
  workflowExecutionStartedEventAttributes?: { input?: { payloads?: unknown[] | null } | null } | null;
  workflowExecutionFailedEventAttributes?: { failure?: Failure | null } | null;
  activityTaskScheduledEventAttributes?: { activityId?: string | null; activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: Long; attempt?: number | null; lastFailure?: Failure | null } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: Long } | null;
  activityTaskFailedEventAttributes?: { scheduledEventId?: Long; failure?: Failure | null } | null;
  activityTaskTimedOutEventAttributes?: { scheduledEventId?: Long; failure?: Failure | null } | null;
  activityTaskCanceledEventAttributes?: { scheduledEventId?: Long } | null;
  timerStartedEventAttributes?: { timerId?: string | null; startToFireTimeout?: RawTimestamp | null } | null;
  timerFiredEventAttributes?: { startedEventId?: Long } | null;
  timerCanceledEventAttributes?: { startedEventId?: Long } | null;
  startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId?: string | null; workflowType?: { name?: string | null } | null } | null;
  startChildWorkflowExecutionFailedEventAttributes?: { initiatedEventId?: Long } | null;
  childWorkflowExecutionStartedEventAttributes?: {
    initiatedEventId?: Long;
    workflowExecution?: { workflowId?: string | null; runId?: string | null } | null;
  } | null;
  signalExternalWorkflowExecutionInitiatedEventAttributes?: { workflowExecution?: { workflowId?: string | null; runId?: string | null } | null } | null;
  childWorkflowExecutionCompletedEventAttributes?: { initiatedEventId?: Long } | null;
  childWorkflowExecutionFailedEventAttributes?: { initiatedEventId?: Long; failure?: Failure | null } | null;
  childWorkflowExecutionCanceledEventAttributes?: { initiatedEventId?: Long } | null;
  childWorkflowExecutionTimedOutEventAttributes?: { initiatedEventId?: Long } | null;
  childWorkflowExecutionTerminatedEventAttributes?: { initiatedEventId?: Long } | null;
  workflowExecutionSignaledEventAttributes?: { signalName?: string | null } | null;
  workflowExecutionUpdateAcceptedEventAttributes?: {
    protocolInstanceId?: string | null;
    acceptedRequest?: { input?: { name?: string | null } | null } | null;
  } | null;
  workflowExecutionUpdateCompletedEventAttributes?: { meta?: { updateId?: string | null } | null; outcome?: { failure?: Failure | null } | null } | null;
}
type Long = { toNumber(): number } | number | null | undefined;
interface Failure {
  message?: string | null;
  cause?: Failure | null;
}

const num = (v: Long) => (v === null || v === undefined ? 0 : typeof v === "number" ? v : v.toNumber());

/** "activityTaskScheduledEventAttributes" → "ActivityTaskScheduled": the set attribute names the event's type. */
function eventTypeName(e: HistoryEvent): string {
  const key = Object.keys(e).find((k) => k.endsWith("EventAttributes") && e[k] != null);
  if (!key) return "Unknown";
  const name = key.slice(0, -"EventAttributes".length);
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The innermost message says what went wrong (an ActivityFailure wraps the activity's own error). */
function failureText(f: Failure | null | undefined): string | null {
  if (!f) return null;
  let cur: Failure = f;
  while (cur.cause) cur = cur.cause;
  return cur.message || f.message || null;
}

/**
 * One bar per activity, timer, child workflow, signal and update.
 *
 * Retries: the server does not write an event per activity attempt. While an activity retries, only
 * its pending info changes (attempt, last failure, next attempt time); when it finally closes, ONE
 * ActivityTaskStarted event is written for the last attempt, carrying that attempt's number and the
 * failure of the attempt before it (`lastFailure`). So for an activity that completed on attempt N,
 * attempts 1…N-1 are shown as failed, with the message known for attempt N-1 only; for a running
 * activity the pending info supplies the same. Each attempt still gets its own line.
 */
export function buildTimeline(events: HistoryEvent[], pending: PendingActivity[] = []): TimelineBar[] {
  const bars = new Map<number, TimelineBar>();
  const lastFailures = new Map<number, string | null>();
  const updates = new Map<string, TimelineBar>();
  const out: TimelineBar[] = [];
  let lastActivity: string | null = null;
  const at = (e: HistoryEvent) => iso(tsToDate(e.eventTime));
  const close = (id: Long, e: HistoryEvent, outcome: BarOutcome, failure: Failure | null | undefined = null) => {
    const bar = bars.get(num(id));
    if (!bar) return;
    bar.endedAt = at(e);
    bar.outcome = outcome;
    bar.failure = failureText(failure);
  };

  for (const e of events) {
    const id = num(e.eventId);
    const a = e;
    if (a.activityTaskScheduledEventAttributes) {
      const s = a.activityTaskScheduledEventAttributes;
      const bar = newBar(`a${id}`, "activity", s.activityType?.name ?? "activity", at(e));
      lastActivity = bar.label;
      bars.set(id, bar);
      out.push(bar);
      const p = pending.find((x) => x.activityId === s.activityId);
      if (p) {
        // Still running: the attempts so far come from the pending info.
        bar.attempts = attemptsUpTo(p.attempt, p.lastFailure, "running");
      } else {
        bar.attempts = [{ attempt: 1, outcome: "running", message: null }];
      }
    } else if (a.activityTaskStartedEventAttributes) {
      const s = a.activityTaskStartedEventAttributes;
      const bar = bars.get(num(s.scheduledEventId));
      if (bar) {
        bar.startedAt = at(e);
        bar.attempts = attemptsUpTo(s.attempt ?? 1, failureText(s.lastFailure), "running");
        lastFailures.set(num(s.scheduledEventId), failureText(s.lastFailure));
      }
    } else if (a.activityTaskCompletedEventAttributes) {
      close(a.activityTaskCompletedEventAttributes.scheduledEventId, e, "completed");
    } else if (a.activityTaskFailedEventAttributes) {
      close(a.activityTaskFailedEventAttributes.scheduledEventId, e, "failed", a.activityTaskFailedEventAttributes.failure);
    } else if (a.activityTaskTimedOutEventAttributes) {
      close(a.activityTaskTimedOutEventAttributes.scheduledEventId, e, "timed_out", a.activityTaskTimedOutEventAttributes.failure);
    } else if (a.activityTaskCanceledEventAttributes) {
      close(a.activityTaskCanceledEventAttributes.scheduledEventId, e, "canceled");
    } else if (a.timerStartedEventAttributes) {
      const bar = newBar(`t${id}`, "timer", `timer ${a.timerStartedEventAttributes.timerId ?? ""}`.trim(), at(e));
      bar.timerMs = durationMs(a.timerStartedEventAttributes.startToFireTimeout);
      bar.after = lastActivity;
      bars.set(id, bar);
      out.push(bar);
    } else if (a.timerFiredEventAttributes) {
      close(a.timerFiredEventAttributes.startedEventId, e, "fired");
    } else if (a.timerCanceledEventAttributes) {
      close(a.timerCanceledEventAttributes.startedEventId, e, "canceled");
    } else if (a.startChildWorkflowExecutionInitiatedEventAttributes) {
      const c = a.startChildWorkflowExecutionInitiatedEventAttributes;
      const bar = newBar(`c${id}`, "child", `${c.workflowType?.name ?? "child"} (${c.workflowId ?? ""})`, at(e));
      bar.child = c.workflowId ? { workflowId: c.workflowId, runId: null } : null;
      bars.set(id, bar);
      out.push(bar);
    } else if (a.startChildWorkflowExecutionFailedEventAttributes) {
      close(a.startChildWorkflowExecutionFailedEventAttributes.initiatedEventId, e, "failed", { message: "The child workflow could not start." });
    } else if (a.childWorkflowExecutionStartedEventAttributes) {
      const bar = bars.get(num(a.childWorkflowExecutionStartedEventAttributes.initiatedEventId));
      if (bar) bar.startedAt = at(e);
      const runId = a.childWorkflowExecutionStartedEventAttributes.workflowExecution?.runId;
      if (bar?.child && runId) bar.child.runId = runId;
    } else if (a.childWorkflowExecutionCompletedEventAttributes) {
      close(a.childWorkflowExecutionCompletedEventAttributes.initiatedEventId, e, "completed");
    } else if (a.childWorkflowExecutionFailedEventAttributes) {
      close(a.childWorkflowExecutionFailedEventAttributes.initiatedEventId, e, "failed", a.childWorkflowExecutionFailedEventAttributes.failure);
    } else if (a.childWorkflowExecutionCanceledEventAttributes) {
      close(a.childWorkflowExecutionCanceledEventAttributes.initiatedEventId, e, "canceled");
    } else if (a.childWorkflowExecutionTimedOutEventAttributes) {
      close(a.childWorkflowExecutionTimedOutEventAttributes.initiatedEventId, e, "timed_out");
    } else if (a.childWorkflowExecutionTerminatedEventAttributes) {
      close(a.childWorkflowExecutionTerminatedEventAttributes.initiatedEventId, e, "terminated");
    } else if (a.workflowExecutionSignaledEventAttributes) {
      const t = at(e);
      out.push({
        ...newBar(`s${id}`, "signal", `signal ${a.workflowExecutionSignaledEventAttributes.signalName ?? ""}`.trim(), t),
        startedAt: t,
        endedAt: t,
        outcome: "received",
      });
    } else if (a.workflowExecutionUpdateAcceptedEventAttributes) {
      const u = a.workflowExecutionUpdateAcceptedEventAttributes;
      const bar = { ...newBar(`u${id}`, "update" as const, `update ${u.acceptedRequest?.input?.name ?? ""}`.trim(), at(e)), startedAt: at(e) };
      updates.set(u.protocolInstanceId ?? String(id), bar);
      out.push(bar);
    } else if (a.workflowExecutionUpdateCompletedEventAttributes) {
      const u = a.workflowExecutionUpdateCompletedEventAttributes;
      const bar = updates.get(u.meta?.updateId ?? "");
      if (bar) {
        bar.endedAt = at(e);
        bar.failure = failureText(u.outcome?.failure);
        bar.outcome = bar.failure ? "failed" : "completed";
      }
    }
  }
  // The last attempt's line takes the activity's final outcome.
  for (const bar of out) {
    if (bar.kind !== "activity" || bar.attempts.length === 0) continue;
    const last = bar.attempts[bar.attempts.length - 1]!;
    last.outcome = bar.outcome;
    if (bar.outcome !== "completed" && bar.outcome !== "running") last.message = bar.failure;
  }
  return out;
}

function newBar(key: string, kind: BarKind, label: string, scheduledAt: string | null): TimelineBar {
  return {
    key,
    kind,
    label,
    scheduledAt,
    startedAt: null,
    endedAt: null,
    outcome: "running",
    failure: null,
    attempts: [],
    timerMs: null,
    summary: null,
    after: null,
    child: null,
  };
}

function attemptsUpTo(attempt: number, lastFailure: string | null, current: BarOutcome): TimelineAttempt[] {
  const list: TimelineAttempt[] = [];
  for (let i = 1; i < attempt; i++) list.push({ attempt: i, outcome: "failed", message: i === attempt - 1 ? lastFailure : null });
  list.push({ attempt, outcome: current, message: null });
  return list;
}

// ---- before an action ----

/**
 * How one run stands right now, and the activities it is waiting on: what cancel, terminate and
 * "retry now" (app/services/workflow-actions.server.ts) check first. Throws WorkflowNotFoundError when
 * the run is gone, and whatever the client throws when Temporal does not answer.
 */
export async function runStatus(services: Pick<Services, "temporal">, target: { workflowId: string; runId: string }) {
  const { temporal } = services;
  const description = await temporal.withDeadline(Date.now() + DESCRIBE_TIMEOUT_MS, () =>
    temporal.workflow.getHandle(target.workflowId, target.runId).describe(),
  );
  return {
    status: STATUS_BY_NUMBER[description.raw.workflowExecutionInfo?.status ?? 0] ?? ("Unknown" as WorkflowStatusName),
    pendingActivities: description.raw.pendingActivities ?? [],
  };
}

/** A page render or a precondition must not hang on Temporal: past this, the caller decides without it. */
const STATE_TIMEOUT_MS = 1_500;

/**
 * How a workflow stands, from Temporal itself: "running", the name of the way it
 * closed (e.g. "TERMINATED"), "NOT_FOUND", or null when Temporal did not answer.
 */
export async function workflowState(services: Pick<Services, "temporal">, workflowId: string): Promise<string | null> {
  const { temporal } = services;
  try {
    const d = await temporal.withDeadline(Date.now() + STATE_TIMEOUT_MS, () => temporal.workflow.getHandle(workflowId).describe());
    return d.status.name === "RUNNING" ? "running" : d.status.name;
  } catch (err) {
    return err instanceof WorkflowNotFoundError ? "NOT_FOUND" : null;
  }
}

/** True only when Temporal says the workflow runs now (an unanswered question counts as not running). */
export async function workflowIsRunning(services: Pick<Services, "temporal">, workflowId: string): Promise<boolean> {
  return (await workflowState(services, workflowId)) === "running";
}
