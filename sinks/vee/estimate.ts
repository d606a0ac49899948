/**
 * Estimation of missing intervals of a periodic archive (docs/vee.md): a gap of up to `linearMax` intervals
 * is interpolated linearly between its two ends; a longer one follows the channel's profile — the mean
 * consumption of the same weekday and time over the past weeks — scaled, for a cumulative register, so the
 * estimates add up exactly to the register's difference across the gap. Pure: no I/O.
 */
import type { QuantityKind } from './rules.js';

export interface SeriesPoint {
  ts: number;
  value: number;
}

export interface Estimate {
  ts: number;
  value: number;
  method: 'linear' | 'profile';
}

export interface Gap {
  /** The last value before the gap (undefined: the gap starts the range). */
  before?: SeriesPoint;
  /** The first value after it (undefined: the gap runs to the range end). */
  after?: SeriesPoint;
  /** Missing time stamps, ascending. */
  missing: number[];
}

const WEEK = 7 * 86_400;

/** Missing slots of a periodic series in [fromSec, toSec) (slots aligned to the period), grouped by gap. */
export function findGaps(points: readonly SeriesPoint[], period: number, fromSec: number, toSec: number): Gap[] {
  const sorted = [...points].sort((a, b) => a.ts - b.ts);
  const present = new Set(sorted.map((p) => p.ts));
  const gaps: Gap[] = [];
  let current: Gap | undefined;
  let prev: SeriesPoint | undefined;
  let i = 0;
  for (let t = Math.ceil(fromSec / period) * period; t < toSec; t += period) {
    while (i < sorted.length && sorted[i]!.ts < t) prev = sorted[i++];
    if (present.has(t)) {
      if (current) {
        current.after = sorted[i];
        gaps.push(current);
        current = undefined;
      }
      continue;
    }
    if (!current) current = { ...(prev ? { before: prev } : {}), missing: [] };
    current.missing.push(t);
  }
  if (current) {
    const last = current.missing[current.missing.length - 1]!;
    const after = sorted.find((p) => p.ts > last);
    if (after) current.after = after;
    gaps.push(current);
  }
  return gaps;
}

/**
 * Per-interval consumption of a history series: interval values as they are, cumulative registers as the
 * difference from the previous slot (only where that slot is present).
 */
export function consumptions(history: readonly SeriesPoint[], kind: QuantityKind, period: number): Map<number, number> {
  const byTs = new Map(history.map((p) => [p.ts, p.value]));
  const out = new Map<number, number>();
  for (const [ts, v] of byTs) {
    if (kind === 'interval') out.set(ts, v);
    else {
      const prev = byTs.get(ts - period);
      if (prev !== undefined && v >= prev) out.set(ts, v - prev);
    }
  }
  return out;
}

/** The mean consumption at `ts` over the same weekday and time of the `weeks` weeks before; undefined when none is known. */
function profileAt(ts: number, history: Map<number, number>, weeks: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (let w = 1; w <= weeks; w++) {
    const v = history.get(ts - w * WEEK);
    if (v !== undefined) {
      sum += v;
      n++;
    }
  }
  return n ? sum / n : undefined;
}

/**
 * Estimates for one gap; empty when nothing sound can be said (a cumulative register needs both ends, a
 * linear estimate needs both ends, a profile needs history).
 */
export function estimateGap(
  gap: Gap, kind: QuantityKind, period: number, opts: { linearMax: number; weeks: number; history: Map<number, number> },
): Estimate[] {
  if (kind === 'instantaneous' || !gap.missing.length) return [];
  const { before, after } = gap;
  if (gap.missing.length <= opts.linearMax && before && after) {
    return gap.missing.map((ts) => ({ ts, value: before.value + ((after.value - before.value) * (ts - before.ts)) / (after.ts - before.ts), method: 'linear' as const }));
  }
  if (kind === 'interval') {
    const out: Estimate[] = [];
    for (const ts of gap.missing) {
      const v = profileAt(ts, opts.history, opts.weeks);
      if (v !== undefined) out.push({ ts, value: v, method: 'profile' });
    }
    return out;
  }
  // A cumulative register: the consumption across the gap is known; the profile says how it is spread.
  if (!before || !after || after.value < before.value) return [];
  const slots: number[] = [];
  for (let t = before.ts + period; t <= after.ts; t += period) slots.push(t);
  const shape = slots.map((t) => profileAt(t, opts.history, opts.weeks));
  const known = shape.filter((v): v is number => v !== undefined);
  const fill = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const weights = shape.map((v) => v ?? fill);
  const total = weights.reduce((a, b) => a + b, 0);
  const diff = after.value - before.value;
  const missing = new Set(gap.missing);
  const out: Estimate[] = [];
  let acc = before.value;
  slots.forEach((t, k) => {
    acc += total > 0 ? (diff * weights[k]!) / total : diff / slots.length;
    if (missing.has(t)) out.push({ ts: t, value: acc, method: 'profile' });
  });
  return out;
}
