import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireStaff } from "../auth/session.server.js";
import { Badge, EmptyState, When } from "../components/ui.js";
import { getConsoleOverview } from "../models/console-overview.server.js";

export const meta: MetaFunction = () => [{ title: "Console · Switchboard" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  return getConsoleOverview(context.services.db);
}

export default function ConsoleDashboard() {
  const { accountsByStatus, recentChanges } = useLoaderData<typeof loader>();
  return (
    <main className="page">
      <h1>Dashboard</h1>
      <div className="grid">
        {(["active", "blocked", "deleting", "deleted"] as const).map((s) => (
          <section className="card" key={s}>
            <h2>
              <Badge value={s} /> accounts
            </h2>
            <p style={{ fontSize: "1.8rem", margin: 0 }}>{accountsByStatus[s] ?? 0}</p>
          </section>
        ))}
      </div>
      <section className="card">
        <h2>Recent blocks and unblocks</h2>
        {recentChanges.length === 0 ? (
          <EmptyState>No account has been blocked or unblocked yet.</EmptyState>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Account</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {recentChanges.map((c) => (
                  <tr key={c.id}>
                    <td>
                      <When at={c.created_at} />
                    </td>
                    <td>{c.action}</td>
                    <td>
                      <Link to={`/console/accounts/${c.account_id}`}>{c.account_name}</Link>
                    </td>
                    <td>
                      <Badge value={c.status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}
