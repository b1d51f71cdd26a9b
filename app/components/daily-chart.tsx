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
 * stacked, and a legend with each series' total: works without JavaScript;
 * each segment has a <title>, and the legend says the totals in words.
 */
export function DailyBars({ days, series, label }: { days: string[]; series: DailySeries[]; label: string }) {
  const width = 600;
  const height = 120;
  const totals = days.map((_, i) => series.reduce((n, s) => n + (s.values[i] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const bar = width / Math.max(days.length, 1);
  return (
    <figure style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${width} ${height + 18}`} width="100%" role="img" aria-label={label}>
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
                    <title>{`${day}: ${value} ${s.label.toLowerCase()}`}</title>
                  </rect>
                );
              })}
            </g>
          );
        })}
        <line x1="0" y1={height} x2={width} y2={height} stroke="var(--border)" />
        <text x="0" y={height + 14} fontSize="11" fill="var(--muted)">
          {days[0]}
        </text>
        <text x={width} y={height + 14} fontSize="11" fill="var(--muted)" textAnchor="end">
          {days[days.length - 1]}
        </text>
      </svg>
      <figcaption className="muted">
        <ul className="legend">
          {series.map((s) => (
            <li key={s.key}>
              <span className="swatch" style={{ background: s.color }} aria-hidden="true" /> {`${s.label}: ${s.values.reduce((a, b) => a + b, 0)}`}
            </li>
          ))}
        </ul>
        {label} — max {max} a day
      </figcaption>
    </figure>
  );
}
