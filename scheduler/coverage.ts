/**
 * Which readings an archive should hold and which it holds. Interval, daily and monthly archives have
 * expected time stamps ("slots") in the project's time zone: interval ends every 15/30/60 minutes on the
 * local clock, local midnights, local first days of months. Stored readings are bucketed onto the nearest
 * slot in ClickHouse (within half an interval, or 12 hours for days and months), so a meter whose clock
 * zone differs from the project's still fills the right day. Shared by the group data view and the
 * collection statistics (api/data-views.ts) and by gap re-collection (gaps.ts).
 */
import type { ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import { instantOf, offsetMinutes, wallTime } from './schedule.js';

export const GRID_ARCHIVES = ['end-of-day', 'end-of-month', 'profile-15', 'profile-30', 'profile-60'] as const;
export type GridArchive = (typeof GRID_ARCHIVES)[number];

/** Physical types by OBIS value group C (1..4): active/reactive energy imported/exported. */
export const PHYSICAL_TYPES = ['A+', 'A-', 'R+', 'R-'] as const;
export type PhysicalType = (typeof PHYSICAL_TYPES)[number];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export interface Grid {
  archive: GridArchive;
  kind: 'interval' | 'day' | 'month';
  tz: string;
  /** Interval length (interval archives; a nominal day for the others). */
  stepMs: number;
  /** Interval archives: slots are the instants ≡ phaseMs modulo stepMs (local clock alignment). */
  phaseMs: number;
  /** A reading at most this far from a slot fills it. */
  toleranceMs: number;
}

const mod = (a: number, b: number) => ((a % b) + b) % b;

/**
 * The slot grid of an archive in a time zone, or undefined for archives without fixed time stamps
 * (current values, network parameters, telemetry). Interval alignment follows the zone's offset at
 * `atMs` (whole-hour daylight-saving shifts keep 15/30/60-minute grids aligned).
 */
export function gridOf(archive: string, tz: string, atMs: number): Grid | undefined {
  if (archive === 'end-of-day') return { archive, kind: 'day', tz, stepMs: 24 * HOUR, phaseMs: 0, toleranceMs: 12 * HOUR };
  if (archive === 'end-of-month') return { archive, kind: 'month', tz, stepMs: 24 * HOUR, phaseMs: 0, toleranceMs: 12 * HOUR };
  const m = /^profile-(15|30|60)$/.exec(archive);
  if (!m) return undefined;
  const stepMs = Number(m[1]) * MINUTE;
  return { archive: archive as GridArchive, kind: 'interval', tz, stepMs, phaseMs: mod(-offsetMinutes(tz, atMs) * MINUTE, stepMs), toleranceMs: stepMs / 2 };
}

/** Expected slots t with loMs < t ≤ hiMs, ascending. */
export function slotsIn(g: Grid, loMs: number, hiMs: number): number[] {
  const out: number[] = [];
  if (g.kind === 'interval') {
    for (let t = loMs - mod(loMs - g.phaseMs, g.stepMs) + g.stepMs; t <= hiMs; t += g.stepMs) out.push(t);
    return out;
  }
  // Local midnights (of every day, or of first days), from the day before lo's local date.
  const w = wallTime(g.tz, loMs);
  for (let i = -1; ; i++) {
    const d = g.kind === 'day' ? new Date(Date.UTC(w.year, w.month - 1, w.day + i)) : new Date(Date.UTC(w.year, w.month - 1 + i, 1));
    const t = instantOf(g.tz, { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: 0, minute: 0 });
    if (t > hiMs) return out;
    if (t > loMs) out.push(t);
  }
}

/**
 * When a slot's value can exist at the earliest: an interval at its end, a daily or monthly register at the
 * device's own local midnight — for a device whose clock runs in another zone than the project's, that is
 * the project's midnight shifted by the difference of the two offsets (minutes east of UTC; null: the
 * device's zone is not known, taken as the project's).
 */
export function slotDue(g: Grid, slotMs: number, deviceTzMinutes: number | null): number {
  if (g.kind === 'interval' || deviceTzMinutes === null) return slotMs;
  return slotMs + (offsetMinutes(g.tz, slotMs) - deviceTzMinutes) * MINUTE;
}

/** How far a device's midnight can be from the project's (UTC−12 … UTC+14). */
export const MAX_ZONE_SHIFT_MS = 26 * HOUR;

const two = (n: number) => String(n).padStart(2, '0');

/**
 * The period a slot is counted in for statistics, in the project's zone: its month for monthly
 * archives, else its local date — for intervals the date of the interval's start (00:00 closes the
 * previous day's last interval).
 */
export function periodOf(g: Grid, slotMs: number): string {
  const w = wallTime(g.tz, g.kind === 'interval' ? slotMs - 1 : slotMs);
  return g.kind === 'month' ? `${w.year}-${two(w.month)}` : `${w.year}-${two(w.month)}-${two(w.day)}`;
}

/** A slot as operators read it in the project's zone: "2025-02-01", "2025-02", "2025-02-01 00:15". */
export function slotLabel(g: Grid, slotMs: number): string {
  const w = wallTime(g.tz, slotMs);
  if (g.kind === 'month') return `${w.year}-${two(w.month)}`;
  if (g.kind === 'day') return `${w.year}-${two(w.month)}-${two(w.day)}`;
  return `${w.year}-${two(w.month)}-${two(w.day)} ${two(w.hour)}:${two(w.minute)}`;
}

/** A series of an archive: physical type and tariff, coded as C·10 + tariff (A+ T1 = 11). */
export function seriesCode(type: PhysicalType, tariff: number): number {
  return (PHYSICAL_TYPES.indexOf(type) + 1) * 10 + tariff;
}

/** "A+ T1" → 11. */
export function tagSeries(tag: string): number {
  const [type, t] = tag.split(' T');
  return seriesCode(type as PhysicalType, Number(t));
}

export function seriesTag(code: number): string {
  return `${PHYSICAL_TYPES[Math.floor(code / 10) - 1]} T${code % 10}`;
}

/** The series of a stored reading; only energy registers and interval energies (OBIS D 8 or 29) count. */
const SERIES_SQL = `toUInt8OrZero(splitByChar('.', obis)[3]) * 10 + tariff`;
const ENERGY_SQL = `splitByChar('.', obis)[4] IN ('8', '29')`;
/** raw · 10^scaler, dividing for negative scalers so that 4180 · 10^-2 is 41.8, not 41.800000000000004. */
const VALUE_SQL = 'if(scaler < 0, raw / exp10(-scaler), raw * exp10(scaler))';

function slotSql(g: Grid): string {
  switch (g.kind) {
    case 'interval':
      return 'intDiv(toUnixTimestamp(ts) + {half:UInt32} - {phase:UInt32}, {step:UInt32}) * {step:UInt32} + {phase:UInt32}';
    case 'day':
      return 'toUnixTimestamp(toStartOfDay(ts + INTERVAL 12 HOUR, {tz:String}))';
    case 'month':
      return 'toUnixTimestamp(toDateTime(toStartOfMonth(ts + INTERVAL 12 HOUR, {tz:String}), {tz:String}))';
  }
}

export interface CellQuery {
  grid: Grid;
  /** ClickHouse device ids (`devices.num`). */
  devices: number[];
  /** Expected slots (ms), ascending; readings are looked for around them only. */
  slots: number[];
  /** Wanted series (seriesCode); undefined = a slot is filled by any energy reading of the archive. */
  series?: number[];
}

/** Device ids per query: keeps query parameters (a URL for a ClickHouse server) small. */
const DEVICE_CHUNK = 5000;

/**
 * Runs `outer` over the readings bucketed onto slots, one query per chunk of devices. `outer` gets the
 * name of a subquery with columns device_id, slot (unix seconds, only expected slots), series, dist
 * (seconds from the slot), value, unit, obis.
 */
async function overCells<T>(engine: ClickHouseEngine, q: CellQuery, outer: (cells: string) => string): Promise<T[]> {
  if (!q.devices.length || !q.slots.length) return [];
  const g = q.grid;
  const sec = (ms: number) => Math.floor(ms / 1000);
  const where = [
    'archive = {archive:String}', 'device_id IN {devices:Array(UInt64)}',
    "ts >= toDateTime({lo:UInt32}, 'UTC')", "ts < toDateTime({hi:UInt32}, 'UTC')", ENERGY_SQL,
  ];
  if (q.series) where.push(`${SERIES_SQL} IN {series:Array(UInt16)}`);
  const cells = `(SELECT device_id, slot, series, abs(toInt64(toUnixTimestamp(ts)) - toInt64(slot)) AS dist, value, unit, obis FROM (
      SELECT device_id, ${slotSql(g)} AS slot, ${q.series ? SERIES_SQL : '0'} AS series, ts, ${VALUE_SQL} AS value, unit, obis
      FROM readings FINAL WHERE ${where.join(' AND ')})
    WHERE slot IN {slots:Array(UInt32)})`;
  const out: T[] = [];
  for (let i = 0; i < q.devices.length; i += DEVICE_CHUNK) {
    const rows = await engine.query<T>(outer(cells), {
      archive: g.archive, devices: q.devices.slice(i, i + DEVICE_CHUNK), slots: q.slots.map(sec),
      lo: sec(q.slots[0] - g.toleranceMs), hi: sec(q.slots[q.slots.length - 1] + g.toleranceMs) + 1,
      tz: g.tz, step: sec(g.stepMs), phase: sec(g.phaseMs), half: sec(g.toleranceMs), series: q.series ?? [],
    });
    for (const r of rows) out.push(r); // not push(...rows): a large answer would overflow the stack
  }
  return out;
}

/** Filled (slot, series) cells per device. */
export async function filledByDevice(engine: ClickHouseEngine, q: CellQuery): Promise<Map<number, number>> {
  const rows = await overCells<{ device_id: number | string; n: number | string }>(engine, q,
    (cells) => `SELECT device_id, uniqExact(slot, series) AS n FROM ${cells} GROUP BY device_id`);
  return new Map(rows.map((r) => [Number(r.device_id), Number(r.n)]));
}

/** Filled series per device and slot (ms). */
export async function filledByDeviceSlot(engine: ClickHouseEngine, q: CellQuery): Promise<Map<number, Map<number, number>>> {
  const rows = await overCells<{ device_id: number | string; slot: number | string; n: number | string }>(engine, q,
    (cells) => `SELECT device_id, slot, uniqExact(series) AS n FROM ${cells} GROUP BY device_id, slot`);
  const out = new Map<number, Map<number, number>>();
  for (const r of rows) {
    const d = Number(r.device_id);
    let m = out.get(d);
    if (!m) out.set(d, (m = new Map()));
    m.set(Number(r.slot) * 1000, Number(r.n));
  }
  return out;
}

/** Filled cells per slot (ms), summed over the devices. */
export async function filledBySlot(engine: ClickHouseEngine, q: CellQuery): Promise<Map<number, number>> {
  const rows = await overCells<{ slot: number | string; n: number | string }>(engine, q,
    (cells) => `SELECT slot, uniqExact(device_id, series) AS n FROM ${cells} GROUP BY slot`);
  const out = new Map<number, number>();
  for (const r of rows) out.set(Number(r.slot) * 1000, (out.get(Number(r.slot) * 1000) ?? 0) + Number(r.n));
  return out;
}

export interface Cell {
  device: number;
  series: number;
  slot: number;
  value: number;
  unit: string;
  obis: string;
}

/** The value of each filled cell: the reading nearest its slot (ties: the lower OBIS code). */
export async function cellValues(engine: ClickHouseEngine, q: CellQuery & { series: number[] }): Promise<Cell[]> {
  const rows = await overCells<{ device_id: number | string; series: number; slot: number | string; r: [number, string, string] }>(engine, q,
    (cells) => `SELECT device_id, series, slot, argMin((value, unit, obis), (dist, obis)) AS r FROM ${cells} GROUP BY device_id, series, slot`);
  return rows.map((x) => ({ device: Number(x.device_id), series: Number(x.series), slot: Number(x.slot) * 1000, value: Number(x.r[0]), unit: x.r[1], obis: x.r[2] }));
}

/**
 * Each device's zone offset (minutes east of UTC) as its newest reading of `archive` at or after `sinceMs`
 * carries it (the zone of the meter's clock when it was read); devices without such a reading are absent.
 */
export async function deviceZones(engine: ClickHouseEngine, q: { archive: string; devices: number[]; sinceMs: number }): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (let i = 0; i < q.devices.length; i += DEVICE_CHUNK) {
    const rows = await engine.query<{ device_id: number | string; tz: number | string }>(
      `SELECT device_id, argMax(device_tz, ts) AS tz FROM readings
       WHERE archive = {archive:String} AND device_id IN {devices:Array(UInt64)} AND ts >= toDateTime({lo:UInt32}, 'UTC')
       GROUP BY device_id`,
      { archive: q.archive, devices: q.devices.slice(i, i + DEVICE_CHUNK), lo: Math.max(0, Math.floor(q.sinceMs / 1000)) },
    );
    for (const r of rows) out.set(Number(r.device_id), Number(r.tz));
  }
  return out;
}

/** The newest reading per device and series of an archive without slots (current values), in [fromMs, toMs). */
export async function latestCells(
  engine: ClickHouseEngine, q: { archive: string; devices: number[]; series: number[]; fromMs: number; toMs: number },
): Promise<(Omit<Cell, 'slot'> & { readAt: number })[]> {
  const out: (Omit<Cell, 'slot'> & { readAt: number })[] = [];
  for (let i = 0; i < q.devices.length; i += DEVICE_CHUNK) {
    const rows = await engine.query<{ device_id: number | string; series: number; r: [number, string, string, number | string] }>(
      `SELECT device_id, ${SERIES_SQL} AS series, argMax((${VALUE_SQL}, unit, obis, toUnixTimestamp(ts)), ts) AS r FROM readings FINAL
       WHERE archive = {archive:String} AND device_id IN {devices:Array(UInt64)} AND ${ENERGY_SQL} AND series IN {series:Array(UInt16)}
         AND ts >= toDateTime({lo:UInt32}, 'UTC') AND ts < toDateTime({hi:UInt32}, 'UTC')
       GROUP BY device_id, series`,
      { archive: q.archive, devices: q.devices.slice(i, i + DEVICE_CHUNK), series: q.series, lo: Math.max(0, Math.floor(q.fromMs / 1000)), hi: Math.ceil(q.toMs / 1000) },
    );
    for (const x of rows) {
      out.push({ device: Number(x.device_id), series: Number(x.series), readAt: Number(x.r[3]) * 1000, value: Number(x.r[0]), unit: x.r[1], obis: x.r[2] });
    }
  }
  return out;
}
