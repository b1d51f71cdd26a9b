/** Settings → Billing: the credit history, newest first, a page at a time. */
import { Link } from "@remix-run/react";
import type { LedgerKind } from "../../../db/schema.js";
import { formatCents, formatSignedCents } from "../../models/money.js";
import { Badge, EmptyState, When } from "../ui.js";

const KIND_LABELS: Record<LedgerKind, string> = {
  grant: "Credit grant",
  usage: "Usage",
  recharge: "Auto-recharge",
  adjustment: "Adjustment",
  transfer_out: "Transferred out",
  transfer_in: "Transferred in",
};

export interface LedgerRow {
  id: string;
  at: string | Date;
  kind: LedgerKind;
  amountCents: string;
  balanceAfterCents: string;
  note: string | null;
}

export function LedgerHistory({
  ledger,
  olderCursor,
  newer,
}: {
  ledger: readonly LedgerRow[];
  olderCursor: string | null;
  /** null on the first page; otherwise the cursor of the page before (null: that is the first page). */
  newer: { cursor: string | null } | null;
}) {
  return (
    <section className="card" aria-labelledby="ledger-h">
      <h2 id="ledger-h">History</h2>
      {ledger.length === 0 ? (
        <EmptyState>{newer ? "No older entries." : "No credits or usage yet."}</EmptyState>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="sr-only">Credit history, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">What</th>
                <th scope="col">Amount</th>
                <th scope="col">Balance after</th>
              </tr>
            </thead>
            <tbody>
              {ledger.map((e) => (
                <tr key={e.id}>
                  <td>
                    <When at={e.at} />
                  </td>
                  <td>
                    <Badge value={e.kind} /> {KIND_LABELS[e.kind]}
                    {e.note ? <div className="muted">{e.note}</div> : null}
                  </td>
                  <td className="mono">{formatSignedCents(e.amountCents)}</td>
                  <td className="mono">{formatCents(e.balanceAfterCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav className="pager" aria-label="History pages">
        {newer ? <Link to={newer.cursor ? `?before=${newer.cursor}` : "/settings/billing"}>← Newer</Link> : <span />}
        {olderCursor ? <Link to={`?before=${olderCursor}`}>Older →</Link> : <span />}
      </nav>
    </section>
  );
}
