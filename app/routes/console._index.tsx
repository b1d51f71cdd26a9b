import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useRevalidator } from "@remix-run/react";
import { useEffect } from "react";
import { requireStaff } from "../auth/session.server.js";
import { DailyBars } from "../components/daily-chart.js";
import { DataTable } from "../components/table.js";
import { Badge, When } from "../components/ui.js";
import { loadOverviewPage } from "../presenters/console-overview.server.js";
import { pageTitle } from "../page-title.js";

export const meta: MetaFunction = () => pageTitle("Dashboard", "Console");

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  return loadOverviewPage(context.services);
}

export default function ConsoleDashboard() {
  const { accountsByStatus, recentChanges, tickets, openTickets, waitingOnPeople, daily, medianMinutes, deletions, workflows, dayAgo, flagged, keySafety } =
    useLoaderData<typeof loader>();
  const revalidator = useRevalidator();
  // With JavaScript the dashboard keeps itself current; without, it is a plain page.
  useEffect(() => {
    const t = setInterval(() => revalidator.state === "idle" && revalidator.revalidate(), 10_000);
    return () => clearInterval(t);
  }, [revalidator]);

  return (
    <main className="page">
      <h1>Dashboard</h1>
      <div className="grid">
        <section className="card">
          <h2>Open tickets</h2>
          <p style={{ fontSize: "1.8rem", margin: 0 }}>
            <Link to="/console/tickets">{openTickets}</Link>
          </p>
          <p className="muted">
            {Object.entries(tickets.openByStatus).map(([s, n]) => (
              <span key={s} style={{ marginRight: ".5rem" }}>
                <Badge value={s} /> {n}
              </span>
            ))}
          </p>
          {tickets.oldest ? (
            <p>
              Oldest waiting: <Link to={`/console/tickets/${tickets.oldest.id}`}>{tickets.oldest.id.slice(0, 8)}</Link>,{" "}
              {tickets.oldest.step.replace(/_/g, " ")}, since <When at={tickets.oldest.created_at} />
            </p>
          ) : null}
        </section>
        <section className="card">
          <h2>Workflows</h2>
          {workflows ? (
            <dl className="facts">
              <dt>Running</dt>
              <dd>
                <Link to="/console/workflows?status=Running">{workflows.running}</Link>
              </dd>
              <dt>Failed, last 24 h</dt>
              <dd>
                <Link to={`/console/workflows?status=Failed&from=${encodeURIComponent(dayAgo)}`}>
                  {workflows.failedLastDay > 0 ? <strong style={{ color: "var(--danger)" }}>{workflows.failedLastDay}</strong> : 0}
                </Link>
              </dd>
              <dt>Waiting on people</dt>
              <dd>{waitingOnPeople}</dd>
            </dl>
          ) : (
            <p role="alert" className="alert error">
              Temporal did not answer in time; workflow numbers are missing. Check <code>/healthz</code>.
            </p>
          )}
        </section>
        <section className="card">
          <h2>Accounts</h2>
          <dl className="facts">
            {(["active", "blocked", "deleting", "deleted"] as const).map((s) => (
              <div key={s} style={{ display: "contents" }}>
                <dt>
                  <Badge value={s} />
                </dt>
                <dd>{accountsByStatus[s] ?? 0}</dd>
              </div>
            ))}
            <dt>Billing flags</dt>
            <dd>{flagged.count > 0 ? <strong style={{ color: "var(--danger)" }}>{flagged.count}</strong> : 0}</dd>
          </dl>
          {flagged.accounts.length > 0 ? (
            <p>
              A refund could not be posted for:{" "}
              {flagged.accounts.map((a, i) => (
                <span key={a.id}>
                  {i > 0 ? ", " : ""}
                  <Link to={`/console/accounts/${a.id}`}>{a.name}</Link>
                </span>
              ))}
              {flagged.count > flagged.accounts.length ? ` and ${flagged.count - flagged.accounts.length} more` : ""}.
            </p>
          ) : null}
        </section>
        <section className="card">
          <h2>Deletions</h2>
          <dl className="facts">
            <dt>Deletions in progress</dt>
            <dd>
              <Link to="/console/deletions?status=running">{deletions.pending + deletions.running}</Link>{" "}
              <span className="muted">
                (<Link to="/console/deletions?status=pending">{deletions.pending} pending</Link>,{" "}
                <Link to="/console/deletions?status=running">{deletions.running} running</Link>)
              </span>
            </dd>
            <dt>Completed, last 30 days</dt>
            <dd>
              <Link to="/console/deletions?status=completed">{deletions.completedRecently}</Link>
            </dd>
          </dl>
        </section>
        <KeySafetyCard {...keySafety} />
      </div>
      <section className="card">
        <h2>Transfers and deletions completed, last 30 days</h2>
        <DailyBars
          days={daily.map((d) => d.day)}
          series={[
            { key: "transfers", label: "Email transfers", color: "var(--accent)", values: daily.map((d) => d.completed) },
            { key: "deletions", label: "Account deletions", color: "var(--chart-2)", values: daily.map((d) => d.deletions) },
          ]}
          label="Email transfers and account deletions completed per day (UTC)"
        />
        <p className="muted">Median time from request to completion: {medianMinutes === null ? "no transfer completed yet" : `${medianMinutes} minutes`}.</p>
      </section>
      <section className="card">
        <h2>Recent blocks and unblocks</h2>
        <DataTable
          caption="The last blocks and unblocks, newest first"
          rows={recentChanges}
          rowKey={(c) => c.id}
          empty="No account has been blocked or unblocked yet."
          columns={[
            { header: "When", cell: (c) => <When at={c.created_at} /> },
            { header: "Action", cell: (c) => c.action },
            { header: "Account", cell: (c) => <Link to={`/console/accounts/${c.account_id}`}>{c.account_name}</Link> },
            { header: "Status", cell: (c) => <Badge value={c.status} /> },
          ]}
        />
      </section>
    </main>
  );
}

type KeySafety = Awaited<ReturnType<typeof loadOverviewPage>>["keySafety"];

/** Issue 16: how many keys still predate checksums (support nudges their owners to roll them), and the keys found public. */
function KeySafetyCard({ legacy, leaked }: KeySafety) {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return (
    <section className="card" aria-labelledby="key-safety-h">
      <h2 id="key-safety-h">API keys</h2>
      <dl className="facts">
        <dt>Keys from before checksums</dt>
        <dd>
          {legacy.keys === 0 ? (
            "none left"
          ) : (
            <Link to="/console/accounts/legacy-keys">
              {plural(legacy.keys, "live key", "live keys")} on {plural(legacy.accounts, "account", "accounts")}
            </Link>
          )}
        </dd>
        <dt>Revoked as leaked, last {leaked.days} days</dt>
        <dd>
          <Link to={leaked.href}>{leaked.count > 0 ? <strong style={{ color: "var(--danger)" }}>{leaked.count}</strong> : 0}</Link>
        </dd>
      </dl>
      {legacy.keys > 0 ? <p className="muted">While any of them is live, /v1 looks up keys whose checksum is wrong instead of refusing them at once.</p> : null}
    </section>
  );
}
