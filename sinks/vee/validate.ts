/**
 * Validation of one channel's readings (a device's archive × OBIS × tariff), incrementally: what the checks
 * need of the past (the last reading, recent consumptions for the median, when consumption was last seen)
 * is a small state carried from one batch to the next, so a batch is checked without reading back what
 * is stored. The same function re-validates a stored range (sinks/vee/store.ts) from a state built of the
 * readings before it. Pure: no I/O.
 */
import { Quality } from '../../schemas/avro/index.js';
import { archivePeriod, quantityKind, registerOfInterval, rulesFor, type Rule, type RuleCode, type Severity } from './rules.js';

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
  recentCount: number;
  recentPos: number;
  /** The time consumption was last seen (or the first reading). */
  consumedAt: number;
}

export interface Channel {
  archive: string;
  obis: string;
  points: Point[];
}

/** Archives whose time stamp is the moment of reading (the device's clock then), not an archive period. */
const READ_TIME_ARCHIVES = new Set(['current', 'network']);
const DAY = 86_400;

const iso = (sec: number) => new Date(sec * 1000).toISOString().replace('.000Z', 'Z');

function median(state: ChannelState): number | undefined {
  if (state.recentCount < 4) return undefined;
  const values = Array.from(state.recent.subarray(0, state.recentCount)).sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1]! + values[mid]!) / 2;
}

function remember(state: ChannelState, consumption: number): void {
  state.recent[state.recentPos] = consumption;
  state.recentPos = (state.recentPos + 1) % state.recent.length;
  if (state.recentCount < state.recent.length) state.recentCount++;
}

/**
 * Checks a channel's points (sorted by ts here if they are not) against its rules, given the state the
 * previous batch left (undefined: none known); returns the failures and the state to keep. A point older
 * than the state's last one (a late re-read) gets the checks that need no past only.
 */
export function validateChannel(ch: Channel, allRules: readonly Rule[], state: ChannelState | undefined): { failures: Failure[]; state: ChannelState | undefined } {
  const rules = rulesFor(allRules, ch.archive, ch.obis);
  const failures: Failure[] = [];
  if (!rules.length || !ch.points.length) return { failures, state };
  const points = ch.points;
  for (let i = 1; i < points.length; i++) {
    if (points[i]!.ts < points[i - 1]!.ts) {
      points.sort((a, b) => a.ts - b.ts);
      break;
    }
  }
  const kind = quantityKind(ch.obis);
  const period = archivePeriod(ch.archive);
  const rule = (code: RuleCode) => rules.find((r) => r.code === code);
  const gap = period ? rule('gap') : undefined;
  const spike = kind !== 'instantaneous' ? rule('spike') : undefined;
  const decrease = kind === 'cumulative' ? rule('register-decrease') : undefined;
  const clock = rule('clock');
  const zero = kind !== 'instantaneous' ? rule('zero-consumption') : undefined;
  const reverse = kind !== 'instantaneous' && ch.obis.startsWith('1.0.2.') ? rule('reverse-energy') : undefined;
  const duplicate = rule('duplicate-quality');
  const fail = (r: Rule, ts: number, detail: string) => failures.push({ ts, code: r.code, severity: r.severity, detail });
  const window = Math.max(4, Math.round(spike?.params.window ?? 96));
  let s = state;
  if (s && s.recent.length !== window) {
    const recent = new Float64Array(window);
    const n = Math.min(window, s.recentCount);
    for (let k = 0; k < n; k++) recent[k] = s.recent[(s.recentPos - n + k + s.recent.length * 2) % s.recent.length]!;
    s = { ...s, recent, recentCount: n, recentPos: n % window };
  }
  // the median is refreshed every quarter window (not per point: a sort each), and as soon as there is one
  let med = s ? median(s) : undefined;
  let sinceMedian = 0;
  const learn = (st: ChannelState, consumption: number) => {
    remember(st, consumption);
    if (++sinceMedian >= window / 4 || (med === undefined && st.recentCount >= 4)) {
      med = median(st);
      sinceMedian = 0;
    }
  };
  const modulus = decrease && decrease.params.digits! > 0 ? 10 ** decrease.params.digits! * decrease.params.unitMultiplier! : 0;

  for (const p of points) {
    if (clock) {
      if ((p.quality & Quality.timeNormal) === 0) fail(clock, p.ts, 'the meter marked its time as not normal');
      else if (p.status & clock.params.statusMask!) fail(clock, p.ts, `clock status bits 0x${(p.status & clock.params.statusMask!).toString(16)} set`);
      else if (p.ts - p.collectedAt > clock.params.maxDriftSeconds!) fail(clock, p.ts, `device time ${p.ts - p.collectedAt} s ahead of the server`);
      else if (READ_TIME_ARCHIVES.has(ch.archive) && p.collectedAt - p.ts > clock.params.maxDriftSeconds!) fail(clock, p.ts, `device time ${p.collectedAt - p.ts} s behind the server`);
    }
    if (decrease && p.value < 0) fail(decrease, p.ts, `negative register ${p.value}`);
    if (!s) {
      s = { lastTs: p.ts, lastValue: p.value, lastQuality: p.quality, recent: new Float64Array(window), recentCount: 0, recentPos: 0, consumedAt: p.ts };
      if (kind === 'interval') {
        if (p.value > 0) s.consumedAt = p.ts;
        learn(s, p.value);
      }
      continue;
    }
    if (p.ts < s.lastTs) continue;
    if (p.ts === s.lastTs) {
      if (duplicate && p.quality !== s.lastQuality) fail(duplicate, p.ts, `stored twice, with quality ${s.lastQuality} and ${p.quality}`);
      continue;
    }
    if (gap) {
      const missing = Math.round((p.ts - s.lastTs) / period!) - 1;
      if (missing > 0) fail(gap, p.ts, `${missing} interval${missing > 1 ? 's' : ''} missing after ${iso(s.lastTs)}`);
    }
    let consumption: number | undefined;
    if (kind === 'interval') consumption = p.value;
    else if (kind === 'cumulative') {
      consumption = p.value - s.lastValue;
      if (consumption < 0) {
        const wrapped = consumption + modulus;
        if (modulus && s.lastValue <= modulus && wrapped >= 0 && wrapped < modulus / 10) consumption = wrapped;
        else {
          if (decrease && p.value >= 0) fail(decrease, p.ts, `register went down from ${s.lastValue} to ${p.value}`);
          consumption = undefined;
        }
      }
    }
    if (consumption !== undefined) {
      const intervals = period ? Math.max(1, Math.round((p.ts - s.lastTs) / period)) : 1;
      if (spike) {
        const rating = spike.params.maxPowerW! > 0 && period ? (spike.params.maxPowerW! * period * intervals) / 3600 : Infinity;
        if (consumption > rating) fail(spike, p.ts, `${consumption} above the meter's rating (${rating} in ${intervals} interval${intervals > 1 ? 's' : ''})`);
        else if (med !== undefined && med >= spike.params.minMedian! && consumption / intervals > spike.params.factor! * med) {
          fail(spike, p.ts, `${consumption} is ${(consumption / intervals / med).toFixed(1)}× the recent median ${med}`);
        }
      }
      if (reverse && consumption > reverse.params.minValue!) fail(reverse, p.ts, `exported ${consumption} on a meter that should not export`);
      if (consumption > 0) s.consumedAt = p.ts;
      else if (zero && p.ts - s.consumedAt >= zero.params.days! * DAY) fail(zero, p.ts, `no consumption since ${iso(s.consumedAt)}`);
      if (intervals === 1) learn(s, consumption);
    }
    s.lastTs = p.ts;
    s.lastValue = p.value;
    s.lastQuality = p.quality;
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
  for (const p of interval.points) byTs.set(p.ts, p.value);
  const failures: Failure[] = [];
  let prev = before;
  for (const p of register.points) {
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
