/** A small server-rendered SVG bar chart: works without JavaScript, readable by screen readers through its table. */
export function DailyBars({ points, label }: { points: { day: string; value: number }[]; label: string }) {
  const width = 600;
  const height = 120;
  const max = Math.max(1, ...points.map((p) => p.value));
  const bar = width / Math.max(points.length, 1);
  return (
    <figure style={{ margin: 0 }}>
      <svg viewBox={`0 0 ${width} ${height + 18}`} width="100%" role="img" aria-label={label}>
        {points.map((p, i) => {
          const h = Math.round((p.value / max) * height);
          return (
            <g key={p.day}>
              <rect x={i * bar + 1} y={height - h} width={bar - 2} height={h} fill="var(--accent)">
                <title>{`${p.day}: ${p.value}`}</title>
              </rect>
            </g>
          );
        })}
        <line x1="0" y1={height} x2={width} y2={height} stroke="var(--border)" />
        <text x="0" y={height + 14} fontSize="11" fill="var(--muted)">
          {points[0]?.day}
        </text>
        <text x={width} y={height + 14} fontSize="11" fill="var(--muted)" textAnchor="end">
          {points[points.length - 1]?.day}
        </text>
      </svg>
      <figcaption className="muted">
        {label} — max {max} a day
      </figcaption>
    </figure>
  );
}
