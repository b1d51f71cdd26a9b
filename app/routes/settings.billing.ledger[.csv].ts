import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireUser } from "../auth/session.server.js";
import { getMembershipRole } from "../models/memberships.server.js";
import { can } from "../permissions.js";
import { ledgerCsv } from "../presenters/billing-page.server.js";

/**
 * Billing → "Download CSV": the account's whole ledger, for whoever may view
 * billing. Streamed a page of entries at a time (pulled as the client reads),
 * so a long ledger never sits in memory whole.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const p = await requireUser(request, context);
  const role = await getMembershipRole(context.services.db, p.accountId, p.userId);
  if (!role || !can(role, "view_billing")) throw new Response("You are not a member of this account.", { status: 403 });

  const lines = ledgerCsv(context.services, p.accountId);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="switchboard-ledger-${new Date().toISOString().slice(0, 10)}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
