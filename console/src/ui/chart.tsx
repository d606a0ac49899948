/** A time-series line chart in SVG (no charting library: one series, axes with a few labelled ticks). */
import { useFormat } from './format';

export function TimeChart({ points, label, unit }: { points: { t: number; v: number }[]; label: string; unit: string }) {
  const f = useFormat();
  const W = 760;
  const H = 260;
  const pad = { l: 70, r: 10, t: 10, b: 40 };
  if (points.length === 0) return null;
  const sorted = [...points].sort((a, b) => a.t - b.t);
  const t0 = sorted[0]!.t;
  const t1 = Math.max(sorted[sorted.length - 1]!.t, t0 + 1);
  let v0 = Math.min(...sorted.map((p) => p.v));
  let v1 = Math.max(...sorted.map((p) => p.v));
  if (v0 === v1) {
    v0 -= 1;
    v1 += 1;
  }
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - ((v - v0) / (v1 - v0)) * (H - pad.t - pad.b);
  const d = sorted.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('');
  const yTicks = [0, 0.5, 1].map((k) => v0 + k * (v1 - v0));
  const xTicks = [0, 0.5, 1].map((k) => t0 + k * (t1 - t0));
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label} data-points={sorted.length}>
        <line x1={pad.l} y1={H - pad.b} x2={W - pad.r} y2={H - pad.b} className="axis" />
        <line x1={pad.l} y1={pad.t} x2={pad.l} y2={H - pad.b} className="axis" />
        {yTicks.map((v) => (
          <text key={v} x={pad.l - 6} y={y(v) + 4} textAnchor="end">
            {f.number(v)}
          </text>
        ))}
        {xTicks.map((t, i) => (
          <text key={t} x={x(t)} y={H - pad.b + 18} textAnchor={i === 0 ? 'start' : i === 2 ? 'end' : 'middle'}>
            {f.dateTime(new Date(t).toISOString())}
          </text>
        ))}
        <path d={d} className="line" />
      </svg>
      <figcaption>
        {label} <span>{unit}</span>
      </figcaption>
    </figure>
  );
}
