import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireStaff } from "../auth/session.server.js";
import { auditCsvExport } from "../presenters/audit-search.server.js";

/** 20261127T083001Z: sortable, and safe in a file name on every system. */
const stamp = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");

/**
 * /console/audit/csv: every row of the audit page's filter as CSV. Streamed
 * batch by batch, so a large export neither fills the web process's memory
 * nor waits for the last row before the first byte.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireStaff(request, context);
  const csv = auditCsvExport(context.services, new URL(request.url).searchParams);
  if (!csv.ok) return new Response(`${csv.message}\n`, { status: 400, headers: { "Content-Type": "text/plain; charset=utf-8" } });
  const { chunks } = csv;
  const { logger } = context.services;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    // pull: the next batch is read only when the client has taken the previous one (back-pressure).
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        // The headers are gone already: the download breaks off instead of ending as if complete.
        logger.error({ err: error }, "audit export failed");
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="audit-${stamp(new Date())}.csv"`,
      // The trail names staff and ids: no shared cache keeps a copy.
      "Cache-Control": "no-store",
    },
  });
}
