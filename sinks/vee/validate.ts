/**
 * Validation of one channel's readings (a device's archive × OBIS × tariff), incrementally: what the checks
 * need of the past (the last reading, recent consumptions for the median, when consumption was last seen)
 * is a small state carried from one batch to the next, so a batch is checked without reading back what
 * is stored. The same function re-validates a stored range (sinks/vee/store.ts) from a state built of the
 * readings before it. Pure: no I/O.
 */
import { Quality } from '../../schemas/avro/index.js';
import { archivePeriod, quantityKind, registerOfInterval, rulesFor, type QuantityKind, type Rule, type RuleCode, type Severity } from './rules.js';

export interface Point {
  /** Device time, UTC seconds. */
  ts: number;
  /** Physical value in the stored unit (raw × 10^scaler). */
  value: number;
  quality: number;
  status: number;
  /** Server time of collection, UTC seconds. */
  collectedAt: number;
}

export interface Failure {
  ts: number;
  code: RuleCode;
  severity: Severity;
  detail: string;
}

/** What the checks of a channel keep between batches. */
export interface ChannelState {
  lastTs: number;
  lastValue: number;
  lastQuality: number;
  /** Recent consumptions (ring of `spike.window`), for the median. */
  recent: Float64Array;
  /** The same values kept sorted (the first recentCount), so the median costs no sort. */
  sorted: Float64Array;
  recentCount: number;
  recentPos: number;
  /** The time consumption was last seen (or the first reading). */
  consumedAt: number;
}

/** Readings in columns (no object per reading: a batch holds a million); a channel names its rows. */
export interface ReadingColumns {
  ts: Uint32Array;
  value: Float64Array;
  quality: Uint8Array;
  status: Uint8Array;
  collectedAt: Uint32Array;
}

export interface Channel {
  archive: string;
  obis: string;
  src: ReadingColumns;
  /** Row indices into `src`, in time order (sorted here if they are not). */
  rows: Int32Array;
}

/** A channel of `points` (its own columns). */
export function channelOf(archive: string, obis: string, points: readonly Point[]): Channel {
  const n = points.length;
  const src: ReadingColumns = { ts: new Uint32Array(n), value: new Float64Array(n), quality: new Uint8Array(n), status: new Uint8Array(n), collectedAt: new Uint32Array(n) };
  points.forEach((p, i) => {
    src.ts[i] = p.ts;
    src.value[i] = p.value;
    src.quality[i] = p.quality;
    src.status[i] = p.status;
    src.collectedAt[i] = p.collectedAt;
  });
  return { archive, obis, src, rows: Int32Array.from(points, (_, i) => i) };
}

/** Archives whose time stamp is the moment of reading (the device's clock then), not an archive period. */
const READ_TIME_ARCHIVES = new Set(['current', 'network']);
const DAY = 86_400;

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

function median(state: ChannelState): number | undefined {
  const n = state.recentCount;
  if (n < 4) return undefined;
  const mid = n >> 1;
  return n % 2 ? state.sorted[mid] : (state.sorted[mid - 1]! + state.sorted[mid]!) / 2;
}

/** First index of `sorted[0..n)` whose value is ≥ v. */
function lowerBound(sorted: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (sorted[m]! < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function remember(state: ChannelState, consumption: number): void {
  const { recent, sorted } = state;
  let n = state.recentCount;
  // element loops, not copyWithin: for ~100 values a native call costs more than the moves
  if (n === recent.length) {
    // the ring is full: the value it overwrites leaves the sorted copy
    for (let k = lowerBound(sorted, n, recent[state.recentPos]!); k < n - 1; k++) sorted[k] = sorted[k + 1]!;
    n--;
  }
  const at = lowerBound(sorted, n, consumption);
  for (let k = n; k > at; k--) sorted[k] = sorted[k - 1]!;
  sorted[at] = consumption;
  recent[state.recentPos] = consumption;
  state.recentPos = (state.recentPos + 1) % recent.length;
  state.recentCount = n + 1;
}

/** What applies to a channel of an archive and quantity: worked out once per rule list and channel kind. */
interface Plan {
  rules: Rule[];
  kind: QuantityKind;
  period: number | undefined;
  gap?: Rule;
  spike?: Rule;
  decrease?: Rule;
  clock?: Rule;
  zero?: Rule;
  reverse?: Rule;
  duplicate?: Rule;
}

const plans = new WeakMap<readonly Rule[], Map<string, Plan>>();

function planOf(allRules: readonly Rule[], archive: string, obis: string): Plan {
  let byChannel = plans.get(allRules);
  if (!byChannel) plans.set(allRules, (byChannel = new Map()));
  const key = `${archive}|${obis}`;
  let plan = byChannel.get(key);
  if (!plan) {
    const rules = rulesFor(allRules, archive, obis);
    const kind = quantityKind(obis);
    const period = archivePeriod(archive);
    const rule = (code: RuleCode) => rules.find((r) => r.code === code);
    plan = {
      rules, kind, period,
      gap: period ? rule('gap') : undefined,
      spike: kind !== 'instantaneous' ? rule('spike') : undefined,
      decrease: kind === 'cumulative' ? rule('register-decrease') : undefined,
      clock: rule('clock'),
      zero: kind !== 'instantaneous' ? rule('zero-consumption') : undefined,
      reverse: kind !== 'instantaneous' && obis.startsWith('1.0.2.') ? rule('reverse-energy') : undefined,
      duplicate: rule('duplicate-quality'),
    };
    byChannel.set(key, plan);
  }
  return plan;
}

/**
 * Checks a channel's points (sorted by ts here if they are not) against its rules, given the state the
 * previous batch left (undefined: none known); returns the failures and the state to keep. A point older
 * than the state's last one (a late re-read) gets the checks that need no past only.
 */
export function validateChannel(ch: Channel, allRules: readonly Rule[], state: ChannelState | undefined): { failures: Failure[]; state: ChannelState | undefined } {
  const { rules, kind, period, gap, spike, decrease, clock, zero, reverse, duplicate } = planOf(allRules, ch.archive, ch.obis);
  const failures: Failure[] = [];
  const { src, rows } = ch;
  if (!rules.length || !rows.length) return { failures, state };
  const tsOf = src.ts;
  for (let k = 1; k < rows.length; k++) {
    if (tsOf[rows[k]!]! < tsOf[rows[k - 1]!]!) {
      rows.sort((a, b) => tsOf[a]! - tsOf[b]! || a - b);
      break;
    }
  }
  const fail = (r: Rule, ts: number, detail: string) => failures.push({ ts, code: r.code, severity: r.severity, detail });
  const window = Math.max(4, Math.round(spike?.params.window ?? 96));
  let s = state;
  if (s && s.recent.length !== window) {
    // the rule's window changed: keep the latest values that fit
    const old = s;
    s = { ...old, recent: new Float64Array(window), sorted: new Float64Array(window), recentCount: 0, recentPos: 0 };
    const n = Math.min(window, old.recentCount);
    for (let k = 0; k < n; k++) remember(s, old.recent[(old.recentPos - n + k + old.recent.length * 2) % old.recent.length]!);
  }
  const modulus = decrease && decrease.params.digits! > 0 ? 10 ** decrease.params.digits! * decrease.params.unitMultiplier! : 0;
  // parameters as locals: the loop runs per reading
  const statusMask = clock?.params.statusMask ?? 0;
  const maxDrift = clock?.params.maxDriftSeconds ?? 0;
  const readTime = READ_TIME_ARCHIVES.has(ch.archive);
  const factor = spike?.params.factor ?? 0;
  const minMedian = spike?.params.minMedian ?? 0;
  const maxPowerW = spike?.params.maxPowerW ?? 0;
  const zeroSeconds = (zero?.params.days ?? 0) * DAY;
  const reverseMin = reverse?.params.minValue ?? 0;

  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const ts = tsOf[row]!;
    const value = src.value[row]!;
    const quality = src.quality[row]!;
    if (clock) {
      if ((quality & Quality.timeNormal) === 0) fail(clock, ts, 'the meter marked its time as not normal');
      else if (src.status[row]! & statusMask) fail(clock, ts, `clock status bits 0x${(src.status[row]! & statusMask).toString(16)} set`);
      else if (ts - src.collectedAt[row]! > maxDrift) fail(clock, ts, `device time ${ts - src.collectedAt[row]!} s ahead of the server`);
      else if (readTime && src.collectedAt[row]! - ts > maxDrift) fail(clock, ts, `device time ${src.collectedAt[row]! - ts} s behind the server`);
    }
    if (decrease && value < 0) fail(decrease, ts, `negative register ${value}`);
    if (!s) {
      s = { lastTs: ts, lastValue: value, lastQuality: quality, recent: new Float64Array(window), sorted: new Float64Array(window), recentCount: 0, recentPos: 0, consumedAt: ts };
      if (kind === 'interval') {
        if (value > 0) s.consumedAt = ts;
        remember(s, value);
      }
      continue;
    }
    if (ts < s.lastTs) continue;
    if (ts === s.lastTs) {
      if (duplicate && quality !== s.lastQuality) fail(duplicate, ts, `stored twice, with quality ${s.lastQuality} and ${quality}`);
      continue;
    }
    if (gap) {
      const missing = Math.round((ts - s.lastTs) / period!) - 1;
      if (missing > 0) fail(gap, ts, `${missing} interval${missing > 1 ? 's' : ''} missing after ${iso(s.lastTs)}`);
    }
    let consumption: number | undefined;
    if (kind === 'interval') consumption = value;
    else if (kind === 'cumulative') {
      consumption = value - s.lastValue;
      if (consumption < 0) {
        const wrapped = consumption + modulus;
        if (modulus && s.lastValue <= modulus && wrapped >= 0 && wrapped < modulus / 10) consumption = wrapped;
        else {
          if (decrease && value >= 0) fail(decrease, ts, `register went down from ${s.lastValue} to ${value}`);
          consumption = undefined;
        }
      }
    }
    if (consumption !== undefined) {
      const intervals = period ? Math.max(1, Math.round((ts - s.lastTs) / period)) : 1;
      if (spike) {
        const rating = maxPowerW > 0 && period ? (maxPowerW * period * intervals) / 3600 : Infinity;
        if (consumption > rating) fail(spike, ts, `${consumption} above the meter's rating (${rating} in ${intervals} interval${intervals > 1 ? 's' : ''})`);
        else {
          const m = median(s);
          if (m !== undefined && m >= minMedian && consumption / intervals > factor * m) {
            fail(spike, ts, `${consumption} is ${(consumption / intervals / m).toFixed(1)}× the recent median ${m}`);
          }
        }
      }
      if (reverse && consumption > reverseMin) fail(reverse, ts, `exported ${consumption} on a meter that should not export`);
      if (consumption > 0) s.consumedAt = ts;
      else if (zero && ts - s.consumedAt >= zeroSeconds) fail(zero, ts, `no consumption since ${iso(s.consumedAt)}`);
      if (intervals === 1) remember(s, consumption);
    }
    s.lastTs = ts;
    s.lastValue = value;
    s.lastQuality = quality;
  }
  return { failures, state: s };
}

/**
 * interval-sum: per device and archive, the interval values (1.0.1.29.x) between two readings of their
 * register (1.0.1.8.x) add up to the register's difference. Checked where every interval between the two
 * is present (a gap is the gap rule's); `before` is the register's last reading before these points.
 */
export function checkIntervalSums(
  archive: string, register: Channel, interval: Channel, allRules: readonly Rule[], before?: { ts: number; value: number },
): Failure[] {
  const r = rulesFor(allRules, archive, interval.obis).find((x) => x.code === 'interval-sum');
  const period = archivePeriod(archive);
  if (!r || !period || registerOfInterval(interval.obis) !== register.obis) return [];
  const byTs = new Map<number, number>();
  for (const row of interval.rows) byTs.set(interval.src.ts[row]!, interval.src.value[row]!);
  const failures: Failure[] = [];
  let prev = before;
  for (const row of register.rows) {
    const p = { ts: register.src.ts[row]!, value: register.src.value[row]! };
    if (prev && p.ts > prev.ts) {
      let sum = 0;
      let complete = true;
      for (let t = prev.ts + period; t <= p.ts; t += period) {
        const v = byTs.get(t);
        if (v === undefined) {
          complete = false;
          break;
        }
        sum += v;
      }
      const diff = p.value - prev.value;
      if (complete && Math.abs(sum - diff) > r.params.tolerance! * Math.abs(diff) + r.params.absolute!) {
        failures.push({ ts: p.ts, code: 'interval-sum', severity: r.severity, detail: `intervals sum to ${sum}, the register moved ${diff}` });
      }
    }
    prev = { ts: p.ts, value: p.value };
  }
  return failures;
}

export interface DeviceChannel extends Channel {
  tariff: number;
}

export interface ChannelFailure extends Failure {
  archive: string;
  obis: string;
  tariff: number;
}

/** A channel's key in a state map: device, archive, OBIS, tariff. */
export const channelKey = (device: number, archive: string, obis: string, tariff: number) => `${device}|${archive}|${obis}|${tariff}`;

/**
 * Validates all channels of one device (every rule, interval-sum across a register and its interval
 * channel), reading and updating `states` (keyed by channelKey).
 */
export function validateDevice(device: number, channels: readonly DeviceChannel[], rules: readonly Rule[], states: Map<string, ChannelState>): ChannelFailure[] {
  const out: ChannelFailure[] = [];
  const before = new Map<string, { ts: number; value: number }>();
  for (const ch of channels) {
    const key = channelKey(device, ch.archive, ch.obis, ch.tariff);
    const prev = states.get(key);
    if (prev) before.set(key, { ts: prev.lastTs, value: prev.lastValue });
    const { failures, state } = validateChannel(ch, rules, prev);
    if (state) states.set(key, state);
    for (const f of failures) out.push({ ...f, archive: ch.archive, obis: ch.obis, tariff: ch.tariff });
  }
  for (const ch of channels) {
    const register = registerOfInterval(ch.obis);
    if (!register) continue;
    const reg = channels.find((c) => c.archive === ch.archive && c.obis === register && c.tariff === ch.tariff);
    if (!reg) continue;
    for (const f of checkIntervalSums(ch.archive, reg, ch, rules, before.get(channelKey(device, reg.archive, reg.obis, reg.tariff)))) {
      out.push({ ...f, archive: ch.archive, obis: ch.obis, tariff: ch.tariff });
    }
  }
  return out;
}
