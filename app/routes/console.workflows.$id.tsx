import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { staffCan } from "../permissions.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import { useStepUp } from "../components/step-up.js";
import { Alert, Badge, EmptyState, When } from "../components/ui.js";
import { formatDuration, statusClass } from "../components/workflow-list.js";
import type { Actor } from "../models/audit.server.js";
import { actOnWorkflow, describeWorkflow, isRunId, isWorkflowId, type TimelineBar } from "../temporal/history.server.js";

/** Support watches; operators and admins act. */

/** The workflow id from the path and the run from `?run=`; anything malformed names no workflow. */
function target(params: LoaderFunctionArgs["params"], request: Request) {
  const workflowId = params.id ?? "";
  const run = new URL(request.url).searchParams.get("run") ?? "";
  if (!isWorkflowId(workflowId) || (run !== "" && !isRunId(run))) throw NOT_FOUND();
  return { workflowId, runId: run || undefined };
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const p = await requireStaff(request, context);
  const { workflowId, runId } = target(params, request);
  const { config } = context.services;
  let wf;
  try {
    wf = await describeWorkflow(context.services, workflowId, runId);
  } catch {
    throw new Response("The workflow service did not answer. Reload the page in a moment.", { status: 503 });
  }
  if (!wf) throw NOT_FOUND();
  return {
    wf,
    now: Date.now(),
    canAct: staffCan(p.staff.role, "act_on_workflows"),
    temporalUi: config.temporal.uiUrl
      ? `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(wf.workflowId)}/${encodeURIComponent(wf.runId)}`
      : null,
  };
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.wf.workflowId ?? "Workflow"} · Console` }];

const Action = z.discriminatedUnion(
  "intent",
  [
    z.object({
      intent: z.literal("cancel"),
      run: z.string().refine(isRunId),
      reason: z.string().trim().max(1000, "Keep the reason to 1000 characters.").default(""),
    }),
    z.object({
      intent: z.literal("terminate"),
      run: z.string().refine(isRunId),
      reason: z.string().trim().min(1, "Say why the workflow is terminated, for the record.").max(1000, "Keep the reason to 1000 characters."),
    }),
    z.object({
      intent: z.literal("retry"),
      run: z.string().refine(isRunId),
      reason: z.string().trim().max(1000, "Keep the reason to 1000 characters.").default(""),
    }),
  ],
  { errorMap: () => ({ message: "Choose Cancel, Terminate or Retry now." }) },
);

export interface WorkflowOutcome {
  form: "cancel" | "terminate" | "retry";
  error: string | null;
  notice: string | null;
  reasonError: string | null;
  reason: string;
}

const STEP_UP: readonly StepUpAction[] = [{ intent: "terminate", label: "Terminate workflow", fields: ["reason"], anchor: "terminate-h" }];

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await readFormWithCsrf(request, context);
  const p = await requireStaff(request, context, "act_on_workflows");
  const workflowId = params.id ?? "";
  if (!isWorkflowId(workflowId)) throw NOT_FOUND();
  const intent = form.get("intent");
  const which: WorkflowOutcome["form"] = intent === "terminate" || intent === "retry" ? intent : "cancel";
  const reason = String(form.get("reason") ?? "");
  const answer = (o: Partial<WorkflowOutcome>, status: number) =>
    data({ form: which, error: null, notice: null, reasonError: null, reason: "", ...o } satisfies WorkflowOutcome, { status });

  const parsed = Action.safeParse(Object.fromEntries(form));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue?.path[0] === "reason") return answer({ error: "Nothing was changed. Fix the field marked below.", reasonError: issue.message, reason }, 400);
    return answer(
      { error: issue?.path[0] === "run" ? "The form was incomplete. Reload the page and try again." : (issue?.message ?? "The form was incomplete."), reason },
      400,
    );
  }
  const input = parsed.data;
  // Terminating skips every clean-up: it needs a recent sign-in (app/auth/step-up.server.ts).
  await requireRecentStaffSignIn(request, context, p, form, STEP_UP);
  const actor: Actor & { id: string } = { type: "staff", id: p.staff.id, ip: context.ip };
  const result = await actOnWorkflow(context.services, { workflowId, runId: input.run }, input.intent, input.reason, actor);
  if (!result.ok) return answer({ error: result.message, reason }, result.status);
  return answer({ notice: result.message }, 200);
}

const label = (s: string) => s.replace(/_/g, " ");
const SHOWN_LIVE = (v: unknown) =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean" || (Array.isArray(v) && v.every((x) => typeof x === "string"));

/** Where a bar sits in the run: a percentage of the time from start to close (or now). */
function place(bar: TimelineBar, start: number, end: number) {
  const span = Math.max(1, end - start);
  const from = new Date(bar.scheduledAt ?? bar.startedAt ?? start).getTime();
  const to = bar.endedAt ? new Date(bar.endedAt).getTime() : end;
  const left = Math.min(100, Math.max(0, ((from - start) / span) * 100));
  const width = Math.max(0.8, Math.min(100 - left, ((to - from) / span) * 100));
  return { left, width, ms: to - from };
}

const BAR_COLOUR: Record<string, string> = {
  completed: "var(--ok)",
  fired: "var(--ok)",
  received: "var(--accent)",
  running: "var(--warn)",
  failed: "var(--danger)",
  timed_out: "var(--danger)",
  canceled: "var(--muted)",
  terminated: "var(--muted)",
};

export default function WorkflowPage() {
  const { wf, now, canAct, temporalUi } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const keptTerminate = useStepUp("terminate")?.values; // filled in again after a fresh sign-in
  const running = wf.status === "Running";
  const revalidator = useRevalidator();
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 2000);
    return () => clearInterval(t);
  }, [running, revalidator]);
  const start = wf.startTime ? new Date(wf.startTime).getTime() : now;
  const end = wf.closeTime ? new Date(wf.closeTime).getTime() : now;
  const live = wf.live === "no_query" ? null : wf.live;
  const liveEntries = live ? Object.entries(live).filter(([k, v]) => k !== "step" && SHOWN_LIVE(v)) : [];
  const step = live && typeof live.step === "string" ? live.step : null;
  const formMessage = (f: WorkflowOutcome["form"]) =>
    outcome?.form === f ? (
      <>
        {outcome.error ? <Alert kind="error" lines={[outcome.error]} /> : null}
        {outcome.notice ? <Alert kind="ok" lines={[outcome.notice]} /> : null}
      </>
    ) : null;

  return (
    <main className="page">
      {/* Without JavaScript a running workflow is still followed, except where a half-typed reason would be wiped. */}
      {running && !canAct ? (
        <noscript>
          <meta httpEquiv="refresh" content="5" />
        </noscript>
      ) : null}
      <p>
        <Link to="/console/workflows">← Workflows</Link>
      </p>
      <h1>
        <span className="mono">{wf.workflowId}</span> <Badge value={statusClass(wf.status)} />
      </h1>
      <p className="muted">
        {wf.type} · run <span className="mono">{wf.runId}</span> · task queue <span className="mono">{wf.taskQueue}</span>
        {temporalUi ? (
          <>
            {" "}
            · <a href={temporalUi}>Open in the Temporal Web UI</a>
          </>
        ) : null}
      </p>

      <section className="card" aria-labelledby="summary-h">
        <h2 id="summary-h">Summary</h2>
        <dl className="facts" aria-live="polite">
          <dt>Status</dt>
          <dd>
            <Badge value={statusClass(wf.status)} />
            {wf.failure ? <div className="field-error">{wf.failure}</div> : null}
          </dd>
          <dt>Current step</dt>
          <dd>
            {step ? (
              <strong>{label(step)}</strong>
            ) : (
              <span className="muted">
                {!running
                  ? "Finished."
                  : wf.live === "no_query"
                    ? "This kind of workflow does not report a step; see its pending activities and timeline."
                    : "The workflow did not answer its status query in time."}
              </span>
            )}
            {liveEntries.length ? (
              <div className="muted">
                {liveEntries.map(([k, v]: [string, unknown]) => `${label(k)}: ${Array.isArray(v) ? v.join(", ") || "none" : String(v)}`).join(" · ")}
              </div>
            ) : null}
          </dd>
          <dt>Started</dt>
          <dd>
            <When at={wf.startTime} />
          </dd>
          <dt>Closed</dt>
          <dd>
            <When at={wf.closeTime} />
          </dd>
          <dt>Duration</dt>
          <dd>
            {formatDuration(wf.durationMs)}
            {running ? " so far" : ""}
          </dd>
          {wf.input.accountId ? (
            <>
              <dt>Account</dt>
              <dd>
                <Link to={`/console/accounts/${wf.input.accountId}`} className="mono">
                  {wf.input.accountId}
                </Link>
              </dd>
            </>
          ) : null}
          {wf.input.ticketId ? (
            <>
              <dt>Ticket</dt>
              <dd>
                <Link to={`/console/tickets/${wf.input.ticketId}`} className="mono">
                  {wf.input.ticketId}
                </Link>
              </dd>
            </>
          ) : null}
          {wf.input.changeId ? (
            <>
              <dt>Status change request</dt>
              <dd className="mono">{wf.input.changeId}</dd>
            </>
          ) : null}
        </dl>
      </section>

      <section className="card" aria-labelledby="pending-h">
        <h2 id="pending-h">Pending activities</h2>
        {wf.pending.length === 0 ? (
          <p className="muted">{running ? "None: the workflow is waiting (for a signal, a timer or a decision)." : "None."}</p>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Activity</th>
                  <th scope="col">State</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Last failure</th>
                  <th scope="col">Next attempt</th>
                </tr>
              </thead>
              <tbody>
                {wf.pending.map((a) => (
                  <tr key={a.activityId}>
                    <td>{a.type}</td>
                    <td>{label(a.state)}</td>
                    <td>
                      {a.attempt}
                      {a.maximumAttempts ? ` of ${a.maximumAttempts}` : ""}
                    </td>
                    <td>{a.lastFailure ?? <span className="muted">—</span>}</td>
                    <td>
                      <When at={a.nextAttemptAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="timeline-h">
        <h2 id="timeline-h">Timeline</h2>
        {wf.timeline.length === 0 ? (
          <EmptyState>No activity, timer, child workflow, signal or update yet.</EmptyState>
        ) : (
          <ol className="timeline">
            {wf.timeline.map((bar) => {
              const { left, width, ms } = place(bar, start, end);
              const bad = bar.outcome === "failed" || bar.outcome === "timed_out";
              return (
                <li key={bar.key} className={bad ? "failed" : bar.outcome === "running" ? "todo" : undefined}>
                  <strong>{bar.label}</strong> <span className="muted">({bar.kind})</span> <Badge value={bar.outcome} />{" "}
                  <span className="muted">
                    {formatDuration(ms)}
                    {bar.scheduledAt ? (
                      <>
                        {" "}
                        · scheduled <When at={bar.scheduledAt} />
                      </>
                    ) : null}
                    {bar.startedAt && bar.startedAt !== bar.scheduledAt ? (
                      <>
                        {" "}
                        · started <When at={bar.startedAt} />
                      </>
                    ) : null}
                    {bar.endedAt && bar.endedAt !== bar.scheduledAt ? (
                      <>
                        {" "}
                        · ended <When at={bar.endedAt} />
                      </>
                    ) : null}
                  </span>
                  {/* The bar: where in the run this step sat and how long it took. */}
                  <div aria-hidden="true" style={{ position: "relative", height: 8, background: "var(--bg)", borderRadius: 4, margin: ".3rem 0" }}>
                    <div
                      style={{
                        position: "absolute",
                        left: `${left}%`,
                        width: `${width}%`,
                        top: 0,
                        bottom: 0,
                        borderRadius: 4,
                        background: BAR_COLOUR[bar.outcome] ?? "var(--accent)",
                      }}
                    />
                  </div>
                  {bar.kind === "activity" && bar.attempts.length > 0 ? (
                    <ul className="attempts">
                      {bar.attempts.map((a) => (
                        <li key={a.attempt}>
                          {`Attempt ${a.attempt}: ${label(a.outcome)}`}
                          {a.message ? <span className="muted"> — {a.message}</span> : null}
                        </li>
                      ))}
                    </ul>
                  ) : bar.failure ? (
                    <div className="field-error">{bar.failure}</div>
                  ) : null}
                </li>
              );
            })}
          </ol>
        )}
        <details style={{ marginTop: "1rem" }}>
          <summary>Raw events ({wf.events.length})</summary>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Id</th>
                  <th scope="col">Event</th>
                  <th scope="col">Time</th>
                </tr>
              </thead>
              <tbody>
                {wf.events.map((e) => (
                  <tr key={e.id}>
                    <td>{e.id}</td>
                    <td className="mono">{e.type}</td>
                    <td className="mono">{e.time ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </section>

      <section className="card" aria-labelledby="actions-h">
        <h2 id="actions-h">Actions</h2>
        {/* Once the workflow has closed its forms are gone, so what the last action did is said here. */}
        {(!canAct || !running) && outcome ? formMessage(outcome.form) : null}
        {!canAct ? (
          <p className="muted">Only operators and admins cancel, terminate or retry workflows.</p>
        ) : !running ? (
          <p className="muted">This workflow has finished; there is nothing to cancel, terminate or retry.</p>
        ) : (
          <div className="grid">
            <Form method="post" aria-labelledby="retry-h" className="stack">
              <h3 id="retry-h">Retry now</h3>
              {formMessage("retry")}
              <AuthenticityTokenInput />
              <input type="hidden" name="run" value={wf.runId} />
              <p className="muted">
                Activities waiting between attempts start their next attempt at once, with the same input. Nothing the workflow already did runs again.
              </p>
              <button type="submit" name="intent" value="retry" className="btn">
                Retry now
              </button>
            </Form>
            <Form method="post" aria-labelledby="cancel-h" className="stack">
              <h3 id="cancel-h">Cancel</h3>
              {formMessage("cancel")}
              <AuthenticityTokenInput />
              <input type="hidden" name="run" value={wf.runId} />
              <div className="field">
                <label htmlFor="cancel-reason">Why (optional)</label>
                <textarea id="cancel-reason" name="reason" maxLength={1000} rows={2} defaultValue={outcome?.form === "cancel" ? outcome.reason : ""} />
              </div>
              <p className="muted">
                The workflow is asked to stop and runs its clean-up: a block marks its request failed; a transfer still waiting on people closes its ticket as
                cancelled (link dead, requester told), while one already moving credits finishes first.
              </p>
              <button type="submit" name="intent" value="cancel" className="btn">
                Cancel workflow
              </button>
            </Form>
            <Form method="post" aria-labelledby="terminate-h" className="stack">
              <h3 id="terminate-h">Terminate</h3>
              {formMessage("terminate")}
              <AuthenticityTokenInput />
              <input type="hidden" name="run" value={wf.runId} />
              <div className="field">
                <label htmlFor="terminate-reason">Why (required)</label>
                <textarea
                  id="terminate-reason"
                  name="reason"
                  required
                  maxLength={1000}
                  rows={2}
                  defaultValue={outcome?.form === "terminate" ? outcome.reason : (keptTerminate?.reason ?? "")}
                  aria-invalid={outcome?.form === "terminate" && outcome.reasonError ? true : undefined}
                  aria-describedby={
                    outcome?.form === "terminate" && outcome.reasonError ? "terminate-reason-error terminate-reason-hint" : "terminate-reason-hint"
                  }
                />
                <div id="terminate-reason-hint" className="hint">
                  Kept in Switchboard's audit log, never in the workflow history.
                </div>
                {outcome?.form === "terminate" && outcome.reasonError ? (
                  <div id="terminate-reason-error" className="field-error">
                    {outcome.reasonError}
                  </div>
                ) : null}
              </div>
              <p className="muted">Stops the workflow at once; no clean-up runs. Use it when Cancel does not help.</p>
              <button type="submit" name="intent" value="terminate" className="btn danger">
                Terminate workflow
              </button>
            </Form>
          </div>
        )}
      </section>
    </main>
  );
}
