/** The console account page's record of what was done to the account: its deletions and its blocks and unblocks. */
import { Link } from "@remix-run/react";
import type { ConsoleAccountPage } from "../../presenters/console-account.server.js";
import { Badge, EmptyState, When } from "../ui.js";
import { workflowHref } from "../workflow-list.js";

export function DeletionHistory({ deletions }: Pick<ConsoleAccountPage, "deletions">) {
  return (
    <section className="card" aria-labelledby="deletions-h">
      <h2 id="deletions-h">Deletions</h2>
      {deletions.length === 0 ? (
        <EmptyState>No deletion has been requested for this account.</EmptyState>
      ) : (
        <ul className="stack" style={{ listStyle: "none", padding: 0, margin: 0 }} aria-live="polite">
          {deletions.map((d) => (
            <li key={d.id}>
              <p style={{ margin: 0 }}>
                <Badge value={d.status} /> {d.source === "self" ? "asked for in Settings" : "started by support"} · <When at={d.createdAt} />
                {d.completedAt ? (
                  <>
                    {" "}
                    → <When at={d.completedAt} />
                  </>
                ) : null}
                {d.workflowId ? (
                  <>
                    {" "}
                    · <Link to={workflowHref({ workflowId: d.workflowId })}>workflow</Link>
                  </>
                ) : null}
              </p>
              {d.reason ? (
                <p className="muted" style={{ margin: 0 }}>
                  “{d.reason}”
                </p>
              ) : null}
              {d.error ? (
                <p className="field-error" style={{ margin: 0 }}>
                  Failed: <code>{d.error}</code>
                </p>
              ) : null}
              <ul className="chips" aria-label="Steps">
                {d.steps.map((s) => (
                  <li key={s.step} className={s.step === "failed" ? "failed" : undefined}>
                    {`${s.step.replace(/_/g, " ")}: ${s.outcome}`}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function StatusChangeHistory({ changes, temporalUi, namespace }: Pick<ConsoleAccountPage, "changes" | "temporalUi" | "namespace">) {
  return (
    <section className="card">
      <h2>Blocks and unblocks</h2>
      {changes.length === 0 ? (
        <EmptyState>None yet.</EmptyState>
      ) : (
        changes.map((c) => (
          <div key={c.id} className="card" aria-live="polite">
            <p>
              <strong>{c.action}</strong> <Badge value={c.status} /> · reason {c.reason_code} · by {c.requested_by_email ?? "—"} · <When at={c.created_at} />
            </p>
            {c.reason_text ? <p className="muted">“{c.reason_text}”</p> : null}
            <ol className="timeline">
              {c.steps.map((s) => (
                <li key={s.step} className={s.step === "failed" ? "failed" : ""}>
                  {s.step.replace(/_/g, " ")}: {s.outcome} <span className="muted">({s.at.slice(11, 19)} UTC)</span>
                </li>
              ))}
            </ol>
            {c.workflow_id ? (
              <p className="muted">
                Workflow <code>{c.workflow_id}</code>
                {temporalUi ? (
                  <>
                    {" "}
                    · <a href={`${temporalUi}/namespaces/${namespace}/workflows/${encodeURIComponent(c.workflow_id)}`}>open in Temporal Web UI</a>
                  </>
                ) : null}
              </p>
            ) : null}
          </div>
        ))
      )}
    </section>
  );
}
