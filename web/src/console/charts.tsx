/**
 * Plain SVG charts for the dashboard: a column chart for counts over time and horizontal bars for parts of a whole.
 * Each is an image with a text alternative (role="img" and a label saying what it shows in numbers), so a screen
 * reader gets the figures the picture shows; no chart library, so the bundle stays small.
 */

export interface Column {
  /** Shown under the column (sparingly) and in the column's tooltip. */
  label: string;
  value: number;
}

/** Counts over time as columns, with the largest value marked on the axis. */
export function ColumnChart(props: { title: string; columns: Column[]; unit: string }) {
  const { columns } = props;
  const width = 640;
  const height = 160;
  const pad = { left: 36, bottom: 20, top: 8 };
  const max = Math.max(1, ...columns.map((c) => c.value));
  const total = columns.reduce((s, c) => s + c.value, 0);
  // A few days would make slabs: a column is at most 40 units wide.
  const step = columns.length ? Math.min(40, (width - pad.left) / columns.length) : 0;
  const plotH = height - pad.bottom - pad.top;
  const labelEvery = Math.max(1, Math.ceil(columns.length / 8));
  const first = columns[0]?.label ?? '';
  const last = columns[columns.length - 1]?.label ?? '';
  const summary = columns.length
    ? `${props.title}: ${total} ${props.unit} from ${first} to ${last}, at most ${max} in one.`
    : `${props.title}: nothing yet.`;
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={summary} preserveAspectRatio="none">
        <line x1={pad.left} y1={pad.top} x2={pad.left} y2={height - pad.bottom} class="axis" />
        <line x1={pad.left} y1={height - pad.bottom} x2={width} y2={height - pad.bottom} class="axis" />
        <text x={pad.left - 4} y={pad.top + 10} text-anchor="end" class="tick">
          {max}
        </text>
        <text x={pad.left - 4} y={height - pad.bottom} text-anchor="end" class="tick">
          0
        </text>
        {columns.map((c, i) => {
          const h = (c.value / max) * plotH;
          return (
            <g key={c.label}>
              <rect
                class="column"
                x={pad.left + i * step + step * 0.1}
                y={height - pad.bottom - h}
                width={Math.max(1, step * 0.8)}
                height={h}
              >
                <title>{`${c.label}: ${c.value}`}</title>
              </rect>
              {i % labelEvery === 0 && (
                <text x={pad.left + i * step + step / 2} y={height - 5} text-anchor="middle" class="tick">
                  {c.label}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

export interface Part {
  label: string;
  value: number;
  color: string;
}

/** Parts of a whole, one bar per part scaled to the largest, with its count beside it. */
export function BarChart(props: { title: string; parts: Part[] }) {
  const max = Math.max(1, ...props.parts.map((p) => p.value));
  const summary = `${props.title}: ${props.parts.map((p) => `${p.label} ${p.value}`).join(', ') || 'nothing yet'}.`;
  const rowH = 22;
  const height = props.parts.length * rowH;
  const labelW = 150;
  const width = 480;
  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${width} ${Math.max(height, rowH)}`} role="img" aria-label={summary}>
        {props.parts.map((p, i) => (
          <g key={p.label}>
            <text x={labelW - 6} y={i * rowH + 15} text-anchor="end" class="tick">
              {p.label}
            </text>
            <rect
              x={labelW}
              y={i * rowH + 3}
              width={Math.max(p.value ? 2 : 0, ((width - labelW - 60) * p.value) / max)}
              height={rowH - 6}
              fill={p.color}
            />
            <text x={labelW + ((width - labelW - 60) * p.value) / max + 6} y={i * rowH + 15} class="tick">
              {p.value}
            </text>
          </g>
        ))}
      </svg>
    </figure>
  );
}

/** Colours for label classes without one of their own (distinct, dark enough for text on white). */
export const palette = ['#0b6bcb', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0f766e', '#a16207', '#be185d'];
