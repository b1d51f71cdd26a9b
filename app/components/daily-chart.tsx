import { useId } from "react";
import { DataTable } from "./table.js";

/** One series of a daily chart: a name for the legend, a colour, and one value per day. */
export interface DailySeries {
  key: string;
  label: string;
  /** A CSS colour (a design token like var(--accent)). */
  color: string;
  values: number[];
}

/**
 * A small server-rendered SVG bar chart, one bar per day with the series
 * stacked, and a legend with each series' total: works without JavaScript.
 * It scales with its container (viewBox, width 100%). For screen readers the
 * SVG has a title and a description, each segment a <title>, and the same
 * numbers are in a table behind "Show the numbers" (a <details>).
 */
export function DailyBars({
  days,
  series,
  label,
  description,
  format = String,
}: {
  days: string[];
  series: DailySeries[];
  label: string;
  /** Said after the label, e.g. what the totals were; defaults to the highest day. */
  description?: string;
  /** How a value reads (e.g. cents as dollars); plain numbers by default. */
  format?: (value: number) => string;
}) {
  const id = useId();
  const width = 600;
  const height = 120;
  const totals = days.map((_, i) => series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bar = width / Math.max(days.length, 1);
  const summary = `${label} — max ${format(max)} a day`;
  return (
    <div className="daily-chart">
      <figure style={{ margin: 0 }}>
        <svg viewBox={`0 0 ${width} ${height + 1}`} width="100%" role="img" aria-labelledby={`${id}-t`} aria-describedby={`${id}-d`}>
          <title id={`${id}-t`}>{label}</title>
          <desc id={`${id}-d`}>{description ?? summary}</desc>
          {days.map((day, i) => {
            let top = height;
            return (
              <g key={day}>
                {series.map((s) => {
                  const value = s.values[i] ?? 0;
                  const h = Math.round((value / max) * height);
                  top -= h;
                  return (
                    <rect key={s.key} data-series={s.key} x={i * bar + 1} y={top} width={bar - 2} height={h} fill={s.color}>
                      <title>{`${day}: ${format(value)} ${s.label.toLowerCase()}`}</title>
                    </rect>
                  );
                })}
              </g>
            );
          })}
          <line x1="0" y1={height} x2={width} y2={height} stroke="var(--border)" />
        </svg>
        {/* The first and last day under the bars, in HTML: text inside the scaled SVG would be tiny on a phone and huge on a desktop. */}
        <div className="muted" style={{ display: "flex", justifyContent: "space-between", fontSize: "0.8rem" }} aria-hidden="true">
          <span>{days[0]}</span>
          <span>{days[days.length - 1]}</span>
        </div>
        <figcaption className="muted">
          <ul className="legend">
            {series.map((s) => (
              <li key={s.key}>
                <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {`${s.label}: ${format(s.values.reduce((a, b) => a + b, 0))}`}
              </li>
            ))}
          </ul>
          {summary}
        </figcaption>
      </figure>
      <details className="chart-numbers">
        <summary>Show the numbers</summary>
        <DataTable
          caption={label}
          columns={[
            { key: "day", header: "Day (UTC)", cell: (i: number) => days[i] },
            ...series.map((s) => ({ key: s.key, header: s.label, cell: (i: number) => format(s.values[i] ?? 0) })),
            ...(series.length > 1 ? [{ key: "total", header: "Total", cell: (i: number) => format(totals[i]) }] : []),
          ]}
          rows={days.map((_, i) => i)}
          rowKey={(i) => days[i]}
          empty="No days to show."
        />
      </details>
    </div>
  );
}
