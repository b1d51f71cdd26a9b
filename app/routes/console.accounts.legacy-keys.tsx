import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireStaff } from "../auth/session.server.js";
import { DataTable, type Column } from "../components/table.js";
import { When } from "../components/ui.js";
import { pageTitle } from "../page-title.js";
import { loadLegacyKeysPage } from "../presenters/console-legacy-keys.server.js";

export const meta: MetaFunction = () => pageTitle("Keys from before checksums", "Accounts", "Console");

const Query = z.object({ page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1) });

// Every staff role reads it (requireStaff's default): it is a list to act on by mail, and the console changes no key.
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  const { page } = Query.parse(Object.fromEntries(new URL(request.url).searchParams));
  return loadLegacyKeysPage(context.services, { page });
}

type Row = Awaited<ReturnType<typeof loadLegacyKeysPage>>["rows"][number];

const COLUMNS: readonly Column<Row>[] = [
  { header: "Account", cell: (r) => <Link to={`/console/accounts/${r.id}`}>{r.name}</Link> },
  { header: "Owner", cell: (r) => r.ownerEmail ?? <span className="muted">(erased)</span> },
  { header: "Plan", cell: (r) => r.plan.replace("_", " ") },
  { header: "Old keys", cell: (r) => r.keys },
  { header: "Last used", cell: (r) => (r.lastUsedAt ? <When at={r.lastUsedAt} /> : <span className="muted">never</span>) },
  { header: "Oldest made", cell: (r) => <When at={r.oldestCreatedAt} /> },
];

export default function LegacyKeys() {
  const { page, totals, rows, hasMore } = useLoaderData<typeof loader>();
  const pageLink = (p: number) => `?${new URLSearchParams({ page: String(p) })}`;
  return (
    <main className="page">
      <p>
        <Link to="/console">← Dashboard</Link>
      </p>
      <h1>Keys from before checksums</h1>
      <p>
        {totals.keys === 0
          ? "No live key predates checksums: /v1 refuses a key with a wrong checksum before any lookup."
          : `${totals.keys === 1 ? "1 live key" : `${totals.keys} live keys`} on ${totals.accounts} account${totals.accounts === 1 ? "" : "s"} ${totals.keys === 1 ? "was" : "were"} issued before keys carried a checksum. ` +
            "While any of them is live, /v1 looks up keys whose checksum is wrong instead of refusing them at once. " +
            "Ask each owner to roll the main key or replace the additional key (Settings → API keys); the keys in use most recently come first."}
      </p>
      <div className="console-keys">
        <DataTable
          caption="Accounts with a live key from before checksums, most recently used first"
          columns={COLUMNS}
          rows={rows}
          rowKey={(r) => r.id}
          empty={page > 1 ? "No more accounts." : "No account holds a key from before checksums."}
        />
      </div>
      <nav className="pager" aria-label="Pages">
        {page > 1 ? <Link to={pageLink(page - 1)}>← Previous</Link> : <span />}
        <span className="muted">Page {page}</span>
        {hasMore ? <Link to={pageLink(page + 1)}>Next →</Link> : <span />}
      </nav>
    </main>
  );
}
