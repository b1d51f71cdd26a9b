/** Settings → Billing: the credit history, newest first, a page at a time. */
import { Link } from "@remix-run/react";
import type { LedgerKind } from "../../../db/schema.js";
import { formatCents, formatSignedCents } from "../../models/money.js";
import { DataTable } from "../table.js";
import { Badge, When } from "../ui.js";

const KIND_LABELS: Record<LedgerKind, string> = {
  grant: "Credit grant",
  usage: "Usage",
  recharge: "Auto-recharge",
  adjustment: "Adjustment",
  transfer_out: "Transferred out",
  transfer_in: "Transferred in",
  purchase: "Credits purchased",
  refund: "Refund",
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
    <section className="card billing-tables" aria-labelledby="ledger-h">
      <h2 id="ledger-h">History</h2>
      <p>
        <a href="/settings/billing/ledger.csv" download>
          Download CSV
        </a>{" "}
        <span className="muted">(every entry, oldest first; dates in UTC, amounts in dollars)</span>
      </p>
      <DataTable
        caption="Credit history, newest first"
        columns={[
          { header: "When", cell: (e: LedgerRow) => <When at={e.at} /> },
          {
            header: "What",
            cell: (e: LedgerRow) => (
              <>
                <Badge value={e.kind} /> {KIND_LABELS[e.kind]}
                {e.note ? <div className="muted">{e.note}</div> : null}
              </>
            ),
          },
          { header: "Amount", className: "mono", cell: (e: LedgerRow) => formatSignedCents(e.amountCents) },
          { header: "Balance after", className: "mono", cell: (e: LedgerRow) => formatCents(e.balanceAfterCents) },
        ]}
        rows={ledger}
        rowKey={(e) => e.id}
        empty={newer ? "No older entries." : "No credits or usage yet."}
      />
      <nav className="pager" aria-label="History pages">
        {newer ? <Link to={newer.cursor ? `?before=${newer.cursor}` : "/settings/billing"}>← Newer</Link> : <span />}
        {olderCursor ? <Link to={`?before=${olderCursor}`}>Older →</Link> : <span />}
      </nav>
    </section>
  );
}
