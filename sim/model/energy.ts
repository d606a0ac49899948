/**
 * The energy model of one meter: four channels (A+, A-, R+, R-), each a load curve on the
 * 15-minute grid of the meter's local time, split into tariffs T1..T4 by a daily schedule.
 *
 * Everything is an exact integer in mWh so that any two ways of summing agree to the last unit:
 *   e(L) = M · F(d) · S(L) + G(L) − G(L−1)          local slot L, local day d = ⌊L/96⌋
 *   S    the daily shape (weekday / weekend, 0..100), M the meter's multiplier,
 *   F(d) a day factor 65..135 (season + noise),
 *   G(L) = ⌊u(L) · 30 · M · min(S(L), S(L+1))⌋ noise that telescopes: over a run of slots only its
 *        two ends remain (and e(L) ≥ M·S(L)·(F − 30) ≥ 0). G is 0 at the last slot of each tariff run
 *        and of each day, so over a whole day each tariff's noise cancels: the cumulative energy since
 *        the start of history is one product per day and tariff, M·F(d)·ΣS, with no noise term.
 * Power outages (a fault) remove whole local hours: their slots count 0.
 * Registers are ⌊cumulative / 1000⌋ Wh per tariff, the total is the sum of the tariffs, so a register
 * difference between two instants equals the sum of the profile intervals between them exactly.
 */
import { unit } from './hash.js';

export const SLOT_MS = 900_000;
export const SLOTS_PER_DAY = 96;
/** mWh per register unit (Wh). */
export const MILLI = 1000;

export type ShapeName = 'consumption' | 'solar';
export const CHANNELS = ['A+', 'A-', 'R+', 'R-'] as const;
export type Channel = (typeof CHANNELS)[number];

function gauss(h: number, centre: number, width: number): number {
  return Math.exp(-((h - centre) ** 2) / (2 * width * width));
}

function shape(f: (hour: number) => number): Int32Array {
  const s = new Int32Array(SLOTS_PER_DAY);
  for (let i = 0; i < SLOTS_PER_DAY; i++) s[i] = Math.round(Math.min(100, f((i + 0.5) / 4)));
  return s;
}

/** [weekday, weekend] shapes per shape name. */
const SHAPES: Record<ShapeName, readonly [Int32Array, Int32Array]> = {
  consumption: [
    shape((h) => 22 + 35 * gauss(h, 7.5, 1.2) + 20 * gauss(h, 13, 2.5) + 60 * gauss(h, 19.5, 2)),
    shape((h) => 26 + 40 * gauss(h, 10.5, 2) + 55 * gauss(h, 19, 2.2)),
  ],
  solar: [
    shape((h) => (h > 6 && h < 19 ? 100 * Math.sin((Math.PI * (h - 6)) / 13) : 0)),
    shape((h) => (h > 6 && h < 19 ? 100 * Math.sin((Math.PI * (h - 6)) / 13) : 0)),
  ],
};

function prefix(s: Int32Array): Float64Array {
  const p = new Float64Array(s.length + 1);
  for (let i = 0; i < s.length; i++) p[i + 1] = p[i]! + s[i]!;
  return p;
}

const PREFIX: Record<ShapeName, readonly [Float64Array, Float64Array]> = {
  consumption: [prefix(SHAPES.consumption[0]), prefix(SHAPES.consumption[1])],
  solar: [prefix(SHAPES.solar[0]), prefix(SHAPES.solar[1])],
};

/** Monday = 0 … Sunday = 6 of a day count since 1970-01-01 (a Thursday). */
export function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

function dayType(day: number): 0 | 1 {
  return weekdayOf(day) >= 5 ? 1 : 0;
}

/** Tariff zones of a day: tariff k from `start` ("HH:MM", on the 15-minute grid) to the next zone. */
export interface TariffZone {
  start: string;
  tariff: 1 | 2 | 3 | 4;
}

export class TariffSchedule {
  /** Tariff (1..4) of each slot of the day. */
  readonly slotTariff = new Uint8Array(SLOTS_PER_DAY);
  /** Maximal runs [from, to) of one tariff within the day. */
  readonly runs: { from: number; to: number; tariff: number }[] = [];
  /** 1 at the last slot of a run (and of the day): the noise G is 0 there. */
  readonly runEnd = new Uint8Array(SLOTS_PER_DAY);
  /** ΣS per tariff (index 1..4) over a whole day, per shape and day type [weekday, weekend]. */
  readonly daySums = {} as Record<ShapeName, readonly [Float64Array, Float64Array]>;

  constructor(readonly zones: readonly TariffZone[]) {
    const starts = zones.map((z) => {
      const m = /^(\d\d):(\d\d)$/.exec(z.start);
      const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
      if (!(minutes >= 0 && minutes < 1440 && minutes % 15 === 0)) throw new Error(`tariff zone start ${z.start} is not HH:MM on the 15-minute grid`);
      return { slot: minutes / 15, tariff: z.tariff };
    });
    starts.sort((a, b) => a.slot - b.slot);
    if (starts.length === 0) throw new Error('a tariff schedule needs at least one zone');
    for (let s = 0; s < SLOTS_PER_DAY; s++) {
      let t = starts[starts.length - 1]!.tariff; // before the first start of the day: yesterday's last zone
      for (const z of starts) if (z.slot <= s) t = z.tariff;
      this.slotTariff[s] = t;
    }
    for (let s = 0; s < SLOTS_PER_DAY; ) {
      let e = s;
      while (e < SLOTS_PER_DAY && this.slotTariff[e] === this.slotTariff[s]) e++;
      this.runs.push({ from: s, to: e, tariff: this.slotTariff[s]! });
      this.runEnd[e - 1] = 1;
      s = e;
    }
    for (const name of Object.keys(SHAPES) as ShapeName[]) {
      const sums = [0, 1].map((type) => {
        const out = new Float64Array(5);
        for (let i = 0; i < SLOTS_PER_DAY; i++) out[this.slotTariff[i]!]! += SHAPES[name][type]![i]!;
        return out;
      });
      this.daySums[name] = [sums[0]!, sums[1]!];
    }
  }
}

export interface ChannelLoad {
  /** 0 = the channel is always zero (e.g. A- of a meter without generation). */
  multiplier: number;
  shape: ShapeName;
  seed: number;
}

export interface Outages {
  seed: number;
  /** Probability of one outage (1–4 whole hours) on a given day. */
  perDay: number;
}

export interface LoadModel {
  /** First local slot of history: nothing is measured before it. */
  startSlot: number;
  /** Local time = UTC + offset; a multiple of 15 minutes. */
  utcOffsetMinutes: number;
  channels: readonly ChannelLoad[];
  tariffs: TariffSchedule;
  outages: Outages | null;
}

export function localSlotOf(m: LoadModel, utcMs: number): number {
  return Math.floor(utcMs / SLOT_MS) + m.utcOffsetMinutes / 15;
}

/** UTC ms at which local slot L begins. */
export function utcOfSlot(m: LoadModel, slot: number): number {
  return (slot - m.utcOffsetMinutes / 15) * SLOT_MS;
}

function shapeAt(c: ChannelLoad, slot: number): number {
  const day = Math.floor(slot / SLOTS_PER_DAY);
  return SHAPES[c.shape][dayType(day)][slot - day * SLOTS_PER_DAY]!;
}

/** round(25·cos(season)) per day: +1 mid-January; the same for the whole fleet, so cached (1970…2079). */
const SEASON = new Int8Array(40_000).fill(-128);

function season(day: number): number {
  const cached = day >= 0 && day < SEASON.length ? SEASON[day]! : -128;
  if (cached !== -128) return cached;
  const v = Math.round(25 * Math.cos((2 * Math.PI * (day - 15)) / 365.25));
  if (day >= 0 && day < SEASON.length) SEASON[day] = v;
  return v;
}

function dayFactor(c: ChannelLoad, day: number): number {
  const s = season(day);
  return 100 + (c.shape === 'solar' ? -s : s) + Math.floor(unit(c.seed, day, 1) * 21) - 10;
}

function noise(m: LoadModel, c: ChannelLoad, slot: number): number {
  const day = Math.floor(slot / SLOTS_PER_DAY);
  const s = slot - day * SLOTS_PER_DAY;
  if (m.tariffs.runEnd[s]) return 0;
  const row = SHAPES[c.shape][dayType(day)];
  const cap = Math.min(row[s]!, row[s + 1]!); // s < 95: the next slot is the same day
  return Math.floor(unit(c.seed, slot, 2) * 30 * c.multiplier * cap);
}

/** [from, to) day-relative slots of the outage on local day `day`, or null. */
export function outageOf(m: LoadModel, day: number): readonly [number, number] | null {
  const o = m.outages;
  if (!o || unit(o.seed, day, 3) >= o.perDay) return null;
  const hour = Math.floor(unit(o.seed, day, 4) * 24);
  const hours = 1 + Math.floor(unit(o.seed, day, 5) * 4);
  return [hour * 4, Math.min(24, hour + hours) * 4];
}

export function inOutage(m: LoadModel, slot: number): boolean {
  const day = Math.floor(slot / SLOTS_PER_DAY);
  const o = outageOf(m, day);
  const s = slot - day * SLOTS_PER_DAY;
  return o !== null && s >= o[0] && s < o[1];
}

/** Energy of local slot L on a channel, mWh, ignoring outages and the start of history. */
function rawSlotEnergy(m: LoadModel, c: ChannelLoad, slot: number): number {
  if (c.multiplier === 0) return 0;
  const day = Math.floor(slot / SLOTS_PER_DAY);
  return c.multiplier * dayFactor(c, day) * shapeAt(c, slot) + noise(m, c, slot) - noise(m, c, slot - 1);
}

/** Energy of local slot L on channel `ch` (index into CHANNELS), mWh. */
export function slotEnergy(m: LoadModel, ch: number, slot: number): number {
  if (slot < m.startSlot || inOutage(m, slot)) return 0;
  return rawSlotEnergy(m, m.channels[ch]!, slot);
}

/** Adds the energy per tariff of channel `c` over the day-relative slots [lo, hi) of local day `day`. */
function addDay(m: LoadModel, c: ChannelLoad, day: number, lo: number, hi: number, out: Float64Array): void {
  const base = day * SLOTS_PER_DAY;
  const f = c.multiplier * dayFactor(c, day);
  if (lo === 0 && hi === SLOTS_PER_DAY) {
    const daySum = m.tariffs.daySums[c.shape][dayType(day)];
    for (let k = 1; k <= 4; k++) out[k]! += f * daySum[k]!; // the noise of a whole day cancels per tariff
  } else {
    const p = PREFIX[c.shape][dayType(day)];
    for (const r of m.tariffs.runs) {
      const a = Math.max(r.from, lo);
      const b = Math.min(r.to, hi);
      if (a >= b) continue;
      out[r.tariff]! += f * (p[b]! - p[a]!) + noise(m, c, base + b - 1) - noise(m, c, base + a - 1);
    }
  }
  const o = outageOf(m, day);
  if (o) {
    for (let s = Math.max(o[0], lo); s < Math.min(o[1], hi); s++) out[m.tariffs.slotTariff[s]!]! -= rawSlotEnergy(m, c, base + s);
  }
}

/**
 * Cumulative energy per tariff from the start of history to the start of a local day, per channel: history is
 * one step per day (≈ 700 hash draws per channel after two years), asked again by every session of a meter.
 * Meters are rebuilt per session, so entries are keyed by what the sum depends on. Bounded (first in, first
 * out); the values are exact integers, so a cached sum equals a recomputed one.
 */
const DAY_SUMS_LIMIT = 16_384;
const daySumCache = new WeakMap<TariffSchedule, Map<string, { day: number; cum: Float64Array }>>();

/** Adds whole days [firstDay, day) of channel `c` to `out` (out[1..4]). */
function addDaysBefore(m: LoadModel, c: ChannelLoad, day: number, out: Float64Array): void {
  const firstDay = Math.floor(m.startSlot / SLOTS_PER_DAY);
  const lo = m.startSlot - firstDay * SLOTS_PER_DAY;
  let byKey = daySumCache.get(m.tariffs);
  if (!byKey) daySumCache.set(m.tariffs, (byKey = new Map()));
  const key = `${c.seed}/${c.multiplier}/${c.shape}/${m.startSlot}/${m.outages ? `${m.outages.seed}/${m.outages.perDay}` : '-'}`;
  let e = byKey.get(key);
  if (!e || e.day > day) {
    // from the start of history; kept at the earliest day asked, so later days only add a few days to it
    const cum = new Float64Array(5);
    for (let d = firstDay; d < day; d++) addDay(m, c, d, d === firstDay ? lo : 0, SLOTS_PER_DAY, cum);
    e = { day: Math.max(day, firstDay), cum };
    byKey.delete(key);
    byKey.set(key, e);
    if (byKey.size > DAY_SUMS_LIMIT) byKey.delete(byKey.keys().next().value!);
  } else if (day - e.day > 31) {
    for (; e.day < day; e.day++) addDay(m, c, e.day, e.day === firstDay ? lo : 0, SLOTS_PER_DAY, e.cum); // a long-running fleet: move on
  }
  for (let k = 1; k <= 4; k++) out[k]! += e.cum[k]!;
  for (let d = e.day; d < day; d++) addDay(m, c, d, d === firstDay ? lo : 0, SLOTS_PER_DAY, out);
}

/**
 * Cumulative energy per tariff (out[1..4], mWh; out[0] unused) of channel `ch` over the slots
 * [startSlot, slot). Whole days come from the cache above; the day of `slot` costs one step per tariff run.
 */
export function cumulativeBefore(m: LoadModel, ch: number, slot: number, out = new Float64Array(5)): Float64Array {
  out.fill(0);
  const c = m.channels[ch]!;
  if (c.multiplier === 0 || slot <= m.startSlot) return out;
  const day = Math.floor(slot / SLOTS_PER_DAY);
  addDaysBefore(m, c, day, out);
  const base = day * SLOTS_PER_DAY;
  const lo = Math.max(m.startSlot, base) - base;
  if (slot > base + lo) addDay(m, c, day, lo, slot - base, out);
  return out;
}

/**
 * Register values in Wh at a UTC instant: [total, T1, T2, T3, T4]. Within a slot the energy grows
 * linearly. `offsetsWh` (per tariff, index 1..4) is the reading the meter had at the start of history.
 */
export function registersAt(m: LoadModel, ch: number, utcMs: number, offsetsWh: ArrayLike<number>, out = new Float64Array(5)): Float64Array {
  const slot = localSlotOf(m, utcMs);
  cumulativeBefore(m, ch, slot, out);
  const within = utcMs - Math.floor(utcMs / SLOT_MS) * SLOT_MS;
  const e = slotEnergy(m, ch, slot);
  if (e > 0) out[m.tariffs.slotTariff[slot - Math.floor(slot / SLOTS_PER_DAY) * SLOTS_PER_DAY]!]! += Math.floor((e * within) / SLOT_MS);
  let total = 0;
  for (let k = 1; k <= 4; k++) {
    out[k] = (offsetsWh[k] ?? 0) + Math.floor(out[k]! / MILLI);
    total += out[k]!;
  }
  out[0] = total;
  return out;
}

/**
 * Walks slot boundaries forward from a starting slot, keeping the cumulative energy per tariff; the
 * profile rows of any period are read from it without recomputing history per row.
 */
export class EnergyCursor {
  private readonly cum: Float64Array;
  slot: number;
  /** Per-day values of the slot walk: the day, M·F(day), its shape row and outage, G of the previous slot. */
  private day = NaN;
  private f = 0;
  private row: Int32Array = SHAPES.consumption[0];
  private outage: readonly [number, number] | null = null;
  private prevNoise = 0;

  constructor(
    private readonly m: LoadModel,
    private readonly ch: number,
    slot: number,
  ) {
    this.slot = slot;
    this.cum = cumulativeBefore(m, ch, slot);
  }

  /** Advances to the boundary at `slot` (≥ the current one). */
  advanceTo(slot: number): void {
    const m = this.m;
    const c = m.channels[this.ch]!;
    if (c.multiplier === 0 || slot <= this.slot) return void (this.slot = Math.max(this.slot, slot));
    if (this.slot < m.startSlot) this.slot = Math.min(slot, m.startSlot);
    const tariffs = m.tariffs;
    for (; this.slot < slot; this.slot++) {
      const L = this.slot;
      const day = Math.floor(L / SLOTS_PER_DAY);
      const s = L - day * SLOTS_PER_DAY;
      if (day !== this.day) {
        this.day = day;
        this.f = c.multiplier * dayFactor(c, day);
        this.row = SHAPES[c.shape][dayType(day)];
        this.outage = outageOf(m, day);
        this.prevNoise = noise(m, c, L - 1);
      }
      const g = tariffs.runEnd[s] ? 0 : Math.floor(unit(c.seed, L, 2) * 30 * c.multiplier * Math.min(this.row[s]!, this.row[s + 1]!));
      const o = this.outage;
      if (o === null || s < o[0] || s >= o[1]) this.cum[tariffs.slotTariff[s]!]! += this.f * this.row[s]! + g - this.prevNoise;
      this.prevNoise = g;
    }
  }

  /** Register value in Wh of tariff k (1..4), or the total (k = 0), at the current boundary. */
  registerWh(k: number, offsetsWh: ArrayLike<number>): number {
    if (k > 0) return (offsetsWh[k] ?? 0) + Math.floor(this.cum[k]! / MILLI);
    let total = 0;
    for (let t = 1; t <= 4; t++) total += (offsetsWh[t] ?? 0) + Math.floor(this.cum[t]! / MILLI);
    return total;
  }
}
