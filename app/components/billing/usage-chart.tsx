/** Settings → Billing: usage per day for the last 30 days, stacked by API key, with each key's total. */
import { formatCents } from "../../models/money.js";
import { DailyBars } from "../daily-chart.js";
import { DataTable } from "../table.js";

export interface UsageSeries {
  key: string;
  /** A charted key, the keys grouped as "Other keys", or usage posted without a key. */
  kind: "key" | "other" | "no_key";
  label: string;
  /** Cents per day. */
  values: number[];
}

export interface KeyTotal {
  /** Empty for usage not posted with a key. */
  id: string;
  name: string;
  /** prefix…last4 (the id when the key no longer exists). */
  display: string;
  totalCents: string;
}

/** Design tokens only (dark mode follows): one colour per charted key, then the two groups. */
const KEY_COLORS = ["var(--accent)", "var(--chart-2)", "var(--ok)", "var(--danger)"];
const GROUP_COLORS = { other: "var(--warn)", no_key: "var(--muted)" };

const dollars = (cents: number) => formatCents(Math.round(cents));

export function UsageChart({ days, series, keyTotals, totalCents }: { days: string[]; series: UsageSeries[]; keyTotals: KeyTotal[]; totalCents: string }) {
  let next = 0;
  const colored = series.map((s) => ({ ...s, color: s.kind === "key" ? KEY_COLORS[next++ % KEY_COLORS.length] : GROUP_COLORS[s.kind] }));
  const range = `${days[0]} to ${days[days.length - 1]}`;
  return (
    <section className="card billing-tables" aria-labelledby="usage-h">
      <h2 id="usage-h">Usage, last 30 days</h2>
      <p>
        <strong>{formatCents(totalCents)}</strong> spent from {range} (UTC days, today included).
      </p>
      {keyTotals.length === 0 ? null : (
        <DailyBars
          days={days}
          series={colored}
          label="Usage per day by API key (UTC)"
          description={`Spend per day from ${range}, stacked by key. Total ${formatCents(totalCents)}: ${keyTotals
            .map((k) => `${k.name} ${formatCents(k.totalCents)}`)
            .join(", ")}.`}
          format={dollars}
        />
      )}
      <DataTable
        caption="Usage by API key, last 30 days"
        columns={[
          { header: "Key", cell: (k: KeyTotal) => k.name },
          { header: "Key id", className: "mono", cell: (k: KeyTotal) => (k.display ? k.display : <span className="muted">—</span>) },
          { header: "Total", className: "mono", cell: (k: KeyTotal) => formatCents(k.totalCents) },
        ]}
        rows={keyTotals}
        rowKey={(k) => k.id || "no-key"}
        empty="No usage in the last 30 days. API calls that cost credits show here by day and key."
      />
    </section>
  );
}
