import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireStaff } from "../auth/session.server.js";
import { DataTable, type Column } from "../components/table.js";
import { Badge, When } from "../components/ui.js";
import { searchAccounts, type AccountListRow } from "../models/accounts.server.js";

export const meta: MetaFunction = () => [{ title: "Accounts · Console" }];

const Query = z.object({
  q: z.string().max(200).default(""),
  page: z.coerce.number().int().min(1).max(10_000).catch(1).default(1),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  const parsed = Query.safeParse(Object.fromEntries(new URL(request.url).searchParams));
  if (!parsed.success) throw new Response("The search is too long (200 characters at most).", { status: 400 });
  const { q, page } = parsed.data;
  const result = await searchAccounts(context.services.db, q, page);
  return { q, page, ...result };
}

const COLUMNS: readonly Column<AccountListRow>[] = [
  {
    header: "Account",
    cell: (r) => (
      <>
        <Link to={`/console/accounts/${r.id}`}>{r.name}</Link>
        <div className="muted mono">{r.id}</div>
      </>
    ),
  },
  { header: "Owner", cell: (r) => r.owner_email ?? "—" },
  { header: "Signs in with", cell: (r) => r.owner_provider ?? "—" },
  { header: "Plan", cell: (r) => r.plan.replace("_", " ") },
  { header: "Status", cell: (r) => <Badge value={r.status} /> },
  { header: "Created", cell: (r) => <When at={r.created_at} /> },
];

export default function AccountsList() {
  const { q, page, rows, hasMore } = useLoaderData<typeof loader>();
  const pageLink = (p: number) => `?${new URLSearchParams({ q, page: String(p) })}`;
  return (
    <main className="page">
      <h1>Accounts</h1>
      <Form method="get" className="row" role="search">
        <div className="grow">
          <label htmlFor="q">Search by email (any part) or account id</label>
          <input id="q" name="q" type="search" defaultValue={q} placeholder="alice@ or 6f1c…" />
        </div>
        <button type="submit" className="btn primary">
          Search
        </button>
      </Form>
      <div style={{ marginTop: "1rem" }}>
        <DataTable
          caption="Accounts, newest first"
          columns={COLUMNS}
          rows={rows}
          rowKey={(r) => r.id}
          empty={q ? `No account matches “${q}”.` : "No accounts yet."}
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
