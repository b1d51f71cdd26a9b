/** Settings → Billing: every purchase and automatic top-up, newest first, with its card, status and the provider's receipt. */
import type { PaymentKind, PaymentStatus } from "../../../db/schema.js";
import { formatCents } from "../../models/money.js";
import { DataTable } from "../table.js";
import { When } from "../ui.js";
import { cardShort, linkableUrl } from "../../payments/payment-words.js";

export interface PaymentView {
  id: string;
  at: string | Date;
  kind: PaymentKind;
  amountCents: string;
  status: PaymentStatus;
  failureCode: string | null;
  cardBrand: string | null;
  cardLast4: string | null;
  receiptUrl: string | null;
  refundedCents: string;
}

const KIND_LABELS: Record<PaymentKind, string> = { purchase: "Credits purchase", recharge: "Auto-recharge" };

/** What the status column says, and the badge colour it takes. */
export function paymentStatus(p: Pick<PaymentView, "status" | "failureCode" | "amountCents" | "refundedCents">): { text: string; tone: string } {
  switch (p.status) {
    case "pending":
      return { text: "Pending", tone: "pending" };
    case "failed":
      // The generic decline says "Declined" once; a specific one (insufficient_funds) names itself.
      return { text: !p.failureCode || p.failureCode === "card_declined" ? "Declined" : `Declined: ${p.failureCode.replace(/_/g, " ")}`, tone: "failed" };
    case "requires_action":
      return { text: "Needs authentication", tone: "failed" };
    case "succeeded": {
      const refunded = BigInt(p.refundedCents);
      if (refunded <= 0n) return { text: "Paid", tone: "ok" };
      if (refunded >= BigInt(p.amountCents)) return { text: `Refunded ${formatCents(refunded)}`, tone: "refunded" };
      return { text: `Partly refunded (${formatCents(refunded)})`, tone: "refunded" };
    }
  }
}

export function Receipts({ payments, capped }: { payments: readonly PaymentView[]; capped: boolean }) {
  return (
    <section className="card billing-tables" aria-labelledby="payments-h">
      <h2 id="payments-h">Payments</h2>
      {capped ? <p className="muted">The {payments.length} most recent payments.</p> : null}
      <DataTable
        caption="Payments, newest first"
        columns={[
          { header: "What", cell: (p: PaymentView) => KIND_LABELS[p.kind] },
          { header: "Amount", className: "mono", cell: (p: PaymentView) => formatCents(p.amountCents) },
          {
            header: "Card",
            cell: (p: PaymentView) =>
              p.cardBrand && p.cardLast4 ? (
                <span className="cell-nowrap">{cardShort({ brand: p.cardBrand, last4: p.cardLast4 })}</span>
              ) : (
                <span className="muted">—</span>
              ),
          },
          {
            header: "Status",
            cell: (p: PaymentView) => {
              const s = paymentStatus(p);
              return <span className={`badge ${s.tone}`}>{s.text}</span>;
            },
          },
          {
            header: "Receipt",
            cell: (p: PaymentView) => {
              const url = linkableUrl(p.receiptUrl);
              return url ? (
                <a href={url} target="_blank" rel="noopener noreferrer">
                  Receipt<span className="sr-only"> for {formatCents(p.amountCents)} (opens in a new tab)</span>
                </a>
              ) : (
                <span className="muted">—</span>
              );
            },
          },
          // Last: on a phone, what, how much and whether it went through are read first (the rest scrolls in the table).
          { header: "Date", cell: (p: PaymentView) => <When at={p.at} /> },
        ]}
        rows={payments}
        rowKey={(p) => p.id}
        empty="No payments yet. Credits you buy and automatic top-ups show here, with their receipts."
      />
    </section>
  );
}
