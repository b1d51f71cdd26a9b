import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireStaff } from "../auth/session.server.js";
import { DataTable, type Column } from "../components/table.js";
import { Badge, When } from "../components/ui.js";
import { pageTitle } from "../page-title.js";
import { loadMailPage } from "../presenters/console-mail.server.js";
import { parseUtc } from "../validation/dates.js";

export const meta: MetaFunction = () => pageTitle("Mail", "Console");

// A PostgreSQL timestamptz as text (e.g. 2026-11-27 08:30:01.123456+00) and an id.
const Cursor = z.object({
  before: z
    .string()
    .max(40)
    .regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/)
    // The shape is not enough: month 13, hour 25 or a year 0 would reach PostgreSQL's cast and fail there.
    .refine((s) => parseUtc(s) !== null),
  beforeId: z.string().uuid(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  const params = Object.fromEntries(new URL(request.url).searchParams);
  const cursor = params.before ? Cursor.safeParse(params) : null;
  if (cursor && !cursor.success) throw new Response("That page link is broken: go back to the first page.", { status: 400 });
  return loadMailPage(context.services, cursor?.success ? { createdAt: cursor.data.before, id: cursor.data.beforeId } : undefined);
}

type Row = ReturnType<typeof useLoaderData<typeof loader>>["rows"][number];
const COLUMNS: readonly Column<Row>[] = [
  { header: "Created", cell: (m) => <When at={m.created_at} /> },
  { header: "To", cell: (m) => m.to_address ?? <span className="muted">(erased)</span> },
  { header: "Subject", cell: (m) => <Link to={`/console/mail/${m.id}`}>{m.subject}</Link> },
  { header: "Kind", cell: (m) => m.kind.replace(/_/g, " ") },
  {
    header: "Status",
    cell: (m) => (
      <>
        <Badge value={m.status} />
        {m.body_purged_at ? <span className="muted"> · body purged</span> : null}
      </>
    ),
  },
];

export default function MailPage() {
  const { rows, next, mode, production, paged } = useLoaderData<typeof loader>();
  return (
    <main className="page">
      <h1>Mail</h1>
      <p className="muted">
        {mode === "outbox" && production
          ? "No SMTP server is configured (SMTP_URL): mail is kept here and never delivered. Links show their tokens masked."
          : mode === "outbox"
            ? "No SMTP server is configured (SMTP_URL), so this outbox is the mailbox: open a mail to read it and follow its links."
            : "Every mail Switchboard sends, as the outbox records it; the worker delivers pending ones over SMTP. Links in delivered mail show their tokens masked."}
      </p>
      <DataTable caption="Mail, newest first" columns={COLUMNS} rows={rows} rowKey={(m) => m.id} empty="No mail yet." />
      <nav className="pager" aria-label="Pages">
        {paged ? <Link to="/console/mail">← Newest</Link> : <span />}
        {next ? <Link to={`?${new URLSearchParams({ before: next.createdAt, beforeId: next.id })}`}>Older →</Link> : <span />}
      </nav>
    </main>
  );
}
