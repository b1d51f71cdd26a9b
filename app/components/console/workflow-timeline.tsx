/** A workflow run's timeline (one bar per activity, timer, child, signal, update, placed in the run) and its raw events. */
import type { RawEvent, TimelineBar } from "../../presenters/console-workflow.server.js";
import { Badge, EmptyState, When } from "../ui.js";
import { formatDuration } from "../workflow-list.js";

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
        <summary>Raw events ({events.length})</summary>
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
              {events.map((e) => (
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
  );
}
