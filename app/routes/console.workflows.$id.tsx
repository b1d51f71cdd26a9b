import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { readFormWithCsrf } from "../auth/csrf.server.js";
import { NOT_FOUND, requireStaff } from "../auth/session.server.js";
import { requireRecentStaffSignIn, type StepUpAction } from "../auth/step-up.server.js";
import { WorkflowActions, type WorkflowOutcome } from "../components/console/workflow-actions.js";
import { Instant, WorkflowLink, WorkflowsAround, WorkflowTimeline } from "../components/console/workflow-timeline.js";
import { fieldErrorsOf } from "../components/forms.js";
import { useStepUp } from "../components/step-up.js";
import { Badge } from "../components/ui.js";
import { useAutoRefresh } from "../hooks/use-auto-refresh.js";
import { pageTitle } from "../page-title.js";
import { formatDuration, statusClass } from "../components/workflow-list.js";
import { loadWorkflowPage } from "../presenters/console-workflow.server.js";
import { actOnWorkflow } from "../services/workflow-actions.server.js";
import { isRunId, isWorkflowId } from "../validation/workflow-ids.js";

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
  const found = await loadWorkflowPage(context.services, target(params, request), p.staff.role);
  if (!found.ok && found.reason === "unavailable") throw new Response("The workflow service did not answer. Reload the page in a moment.", { status: 503 });
  if (!found.ok) throw NOT_FOUND();
  return found.page;
}

export const meta: MetaFunction<typeof loader> = ({ data }) => pageTitle(data ? `Workflow ${data.wf.workflowId}` : "Workflow", "Console");

const INCOMPLETE = "The form was incomplete. Reload the page and try again.";
const Run = z.string({ message: INCOMPLETE }).refine(isRunId, INCOMPLETE);

const Action = z.discriminatedUnion(
  "intent",
  [
    z.object({
      intent: z.literal("cancel"),
      run: Run,
      reason: z.string().trim().max(1000, "Keep the reason to 1000 characters.").default(""),
    }),
    z.object({
      intent: z.literal("terminate"),
      run: Run,
      reason: z.string().trim().min(1, "Say why the workflow is terminated, for the record.").max(1000, "Keep the reason to 1000 characters."),
    }),
    z.object({
      intent: z.literal("retry"),
      run: Run,
      reason: z.string().trim().max(1000, "Keep the reason to 1000 characters.").default(""),
    }),
  ],
  { errorMap: () => ({ message: "Choose Cancel, Terminate or Retry now." }) },
);

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
    // A broken form (run, intent) says so first: the reason is only worth fixing once the rest is whole.
    const { fieldErrors, formError } = fieldErrorsOf(parsed.error, ["reason"]);
    if (formError) return answer({ error: formError, reason }, 400);
    return answer({ error: "Nothing was changed. Fix the field marked below.", reasonError: fieldErrors.reason ?? null, reason }, 400);
  }
  const input = parsed.data;
  // Terminating skips every clean-up: it needs a recent sign-in (app/auth/step-up.server.ts).
  await requireRecentStaffSignIn(request, context, p, form, STEP_UP);
  const actor = { type: "staff" as const, id: p.staff.id, ip: context.ip };
  const result = await actOnWorkflow(context.services, { workflowId, runId: input.run }, input.intent, input.reason, actor);
  if (!result.ok) return answer({ error: result.message, reason }, result.status);
  return answer({ notice: result.message }, 200);
}

const label = (s: string) => s.replace(/_/g, " ");
const SHOWN_LIVE = (v: unknown) =>
  typeof v === "string" || typeof v === "number" || typeof v === "boolean" || (Array.isArray(v) && v.every((x) => typeof x === "string"));

export default function WorkflowPage() {
  const { wf, now, canAct, temporalUi, parent, children, signalled, related, aroundKnown, inputLabels } = useLoaderData<typeof loader>();
  const outcome = useActionData<typeof action>();
  const keptTerminate = useStepUp("terminate")?.values; // filled in again after a fresh sign-in
  const running = wf.status === "Running";
  useAutoRefresh(2000, running);
  const start = wf.startTime ? new Date(wf.startTime).getTime() : now;
  const end = wf.closeTime ? new Date(wf.closeTime).getTime() : now;
  const live = wf.live === "no_query" ? null : wf.live;
  const liveEntries = live ? Object.entries(live).filter(([k, v]) => k !== "step" && SHOWN_LIVE(v)) : [];
  const step = live && typeof live.step === "string" ? live.step : null;

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
      <h1 className="workflow-title">
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
          {parent ? (
            <>
              <dt>Parent</dt>
              <dd>
                <WorkflowLink w={parent} />
              </dd>
            </>
          ) : null}
          <dt>Started</dt>
          <dd>
            <Instant at={wf.startTime} />
          </dd>
          <dt>Closed</dt>
          <dd>
            <Instant at={wf.closeTime} />
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
                <Link to={`/console/accounts/${wf.input.accountId}`} title={wf.input.accountId}>
                  {inputLabels.account?.label ?? <span className="mono">{wf.input.accountId}</span>}
                </Link>
                {inputLabels.account?.detail ? <span className="muted"> · {inputLabels.account.detail}</span> : null}
              </dd>
            </>
          ) : null}
          {wf.input.ticketId ? (
            <>
              <dt>Ticket</dt>
              <dd>
                <Link to={`/console/tickets/${wf.input.ticketId}`} title={wf.input.ticketId}>
                  {inputLabels.ticket?.label ?? <span className="mono">{wf.input.ticketId}</span>}
                </Link>
                {inputLabels.ticket?.detail ? <span className="muted"> · {inputLabels.ticket.detail}</span> : null}
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
          <div className="table-scroll" role="region" aria-label="Pending activities" tabIndex={0}>
            <table>
              <caption className="sr-only">Pending activities</caption>
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
                      <Instant at={a.nextAttemptAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <WorkflowTimeline timeline={wf.timeline} events={wf.events} start={start} end={end} />
      <WorkflowsAround childWorkflows={children} signalled={signalled} related={related} known={aroundKnown} />
      <WorkflowActions runId={wf.runId} canAct={canAct} running={running} outcome={outcome} keptTerminateReason={keptTerminate?.reason} />
    </main>
  );
}
