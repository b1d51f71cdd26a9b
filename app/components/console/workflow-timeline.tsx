/**
 * A workflow run in time and among others: its timeline (one bar per activity, timer, child, signal,
 * update, placed in the run), its raw events, and the workflows around it (parent, children, related).
 */
import { Link } from "@remix-run/react";
import type { LinkedWorkflow, RawEvent, TimelineBar } from "../../presenters/console-workflow.server.js";
import { Badge, EmptyState } from "../ui.js";
import { formatDuration, statusClass, workflowHref } from "../workflow-list.js";

/**
 * A moment to the second, in UTC, with the milliseconds on hover. Formatted from the ISO string
 * alone (no locale, no zone), so the server and the browser render the same text: no hydration mismatch.
 */
export function Instant({ at }: { at: string | Date | null | undefined }) {
  if (!at) return <span className="muted">—</span>;
  const iso = new Date(at).toISOString();
  return (
    <time dateTime={iso} title={`${iso.slice(0, 23).replace("T", " ")} UTC`}>
      {iso.slice(0, 19).replace("T", " ")} UTC
    </time>
  );
}

const label = (s: string) => s.replace(/_/g, " ");

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

/** `start` and `end`: the run's start and close (or now), in epoch milliseconds. */
export function WorkflowTimeline({ timeline, events, start, end }: { timeline: TimelineBar[]; events: RawEvent[]; start: number; end: number }) {
  return (
    <section className="card" aria-labelledby="timeline-h">
      <h2 id="timeline-h">Timeline</h2>
      {timeline.length === 0 ? (
        <EmptyState>No activity, timer, child workflow, signal or update yet.</EmptyState>
      ) : (
        <ol className="timeline">
          {timeline.map((bar) => {
            const { left, width, ms } = place(bar, start, end);
            const bad = bar.outcome === "failed" || bar.outcome === "timed_out";
            return (
              <li key={bar.key} className={bad ? "failed" : bar.outcome === "running" ? "todo" : undefined}>
                <strong>
                  {bar.child ? (
                    <Link to={workflowHref({ workflowId: bar.child.workflowId, runId: bar.child.runId ?? undefined })}>{bar.label}</Link>
                  ) : (
                    bar.label
                  )}
                  {bar.kind === "timer" && bar.timerMs !== null ? ` · ${formatDuration(bar.timerMs)}` : null}
                </strong>{" "}
                <span className="muted">({bar.kind})</span> <Badge value={bar.outcome} />{" "}
                <span className="muted">
                  {formatDuration(ms)}
                  {bar.scheduledAt ? (
                    <>
                      {" "}
                      · scheduled <Instant at={bar.scheduledAt} />
                    </>
                  ) : null}
                  {bar.startedAt && bar.startedAt !== bar.scheduledAt ? (
                    <>
                      {" "}
                      · started <Instant at={bar.startedAt} />
                    </>
                  ) : null}
                  {bar.endedAt && bar.endedAt !== bar.scheduledAt ? (
                    <>
                      {" "}
                      · ended <Instant at={bar.endedAt} />
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
        <summary>Raw events ({events.length})</summary>
        <div className="table-scroll" role="region" aria-label="Raw events" tabIndex={0}>
          <table>
            <caption className="sr-only">Raw events</caption>
            <thead>
              <tr>
                <th scope="col">Id</th>
                <th scope="col">Event</th>
                <th scope="col">Time</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr key={e.id}>
                  <td>{e.id}</td>
                  <td className="mono">{e.type}</td>
                  <td className="mono">
                    <Instant at={e.time} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </section>
  );
}

/** One workflow named on another's page: a link, its type and its status. */
export function WorkflowLink({ w }: { w: LinkedWorkflow }) {
  return (
    <>
      <Link to={workflowHref({ workflowId: w.workflowId, runId: w.runId ?? undefined })} className="mono">
        {w.workflowId}
      </Link>
      {w.type ? <span className="muted"> {w.type}</span> : null}{" "}
      {w.status ? <Badge value={statusClass(w.status)} /> : <span className="muted">status unknown</span>}
    </>
  );
}

/** Children, the workflows it signalled, and the others about the same account or ticket. */
export function WorkflowsAround({
  childWorkflows,
  signalled,
  related,
  known,
}: {
  childWorkflows: LinkedWorkflow[];
  signalled: LinkedWorkflow[];
  related: LinkedWorkflow[];
  known: boolean;
}) {
  const list = (rows: LinkedWorkflow[], empty: string) =>
    rows.length === 0 ? (
      <p className="muted">{empty}</p>
    ) : (
      <ul className="workflow-links">
        {rows.map((w) => (
          <li key={`${w.workflowId}:${w.runId ?? ""}`}>
            <WorkflowLink w={w} />
            {w.startTime ? (
              <span className="muted">
                {" "}
                · started <Instant at={w.startTime} />
              </span>
            ) : null}
          </li>
        ))}
      </ul>
    );
  return (
    <section className="card" aria-labelledby="around-h">
      <h2 id="around-h">Related workflows</h2>
      {known ? null : <p className="muted">The workflow service did not list the related workflows in time; the statuses shown come from this history.</p>}
      <h3 id="children-h">Child workflows</h3>
      {list(childWorkflows, "None.")}
      {signalled.length > 0 ? (
        <>
          <h3>Signalled</h3>
          {list(signalled, "None.")}
        </>
      ) : null}
      <h3 id="related-h">About the same account or ticket</h3>
      {list(related, known ? "None." : "Not known right now.")}
    </section>
  );
}
