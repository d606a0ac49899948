/**
 * A device's measurements and journal events as stored by the pipeline in ClickHouse (tables `readings`
 * and `events`, keyed by `devices.num`), read with FINAL so re-reads and replays count once. Times are UTC,
 * each row with the device's zone offset (from its clock when read) and the server's zone offset at the
 * time it was collected (seed 003 §3.4 step 4), both in minutes east of UTC.
 */
import { applyScaler } from '../decoders/dlms/units.js';
import { qualityNames } from '../schemas/avro/index.js';
import type { ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import { seriesTag, tagSeries } from './coverage.js';

export interface MeasurementQuery {
  archive?: string;
  tag?: string;
  /** OBIS code, e.g. 1.0.32.7.0.255 (network values have no tag). */
  obis?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface Measurement {
  archive: string;
  /** OBIS code. */
  code: string;
  /** "A+ T1" for energy registers and interval energies (OBIS C 1..4, D 8 or 29), else null. */
  tag: string | null;
  tariff: number;
  deviceTime: string;
  deviceTzMinutes: number;
  value: { value: number; unit: string };
  quality: string[];
  deviceStatus: number;
  source: string;
  receivedAt: string;
  serverTzMinutes: number;
}

export interface EventQuery {
  journal?: string;
  severity?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export interface DeviceEvent {
  journal: string;
  code: number;
  /** The code's name from the code table the device profile names, else "unknown". */
  name: string;
  /** critical, major, minor, info (the profile's or the project's), '' when neither names the event. */
  severity: string;
  deviceTime: string;
  deviceTzMinutes: number;
  /** The row's other columns by capture object (typed A-XDR values). */
  params: Record<string, unknown>;
  /** The row as A-XDR, hex. */
  raw: string;
  source: string;
  receivedAt: string;
  serverTzMinutes: number;
}

/** Energy registers (OBIS D 8) and interval energies (D 29) of A+, A-, R+, R- (C 1..4) carry a tag. */
function tagOf(obis: string, tariff: number): string | null {
  const [, , c, d] = obis.split('.').map(Number) as [number, number, number, number];
  return (d === 8 || d === 29) && c >= 1 && c <= 4 ? seriesTag(c * 10 + tariff) : null;
}

const iso = (sec: number | string) => new Date(Number(sec) * 1000).toISOString();
/** This server's zone offset at `ms`, minutes east of UTC. */
export const serverTzMinutes = (ms: number): number => 0 - new Date(ms).getTimezoneOffset();
const serverTz = (sec: number | string) => serverTzMinutes(Number(sec) * 1000);
const seconds = (t: string) => Math.floor(Date.parse(t) / 1000);

/** WHERE clause and parameters of a device's (or several devices') rows in a time range (seconds, [from, to)). */
function base(device: number | number[], from?: string, to?: string): { where: string[]; params: Record<string, unknown> } {
  const where = [Array.isArray(device) ? 'device_id IN {devices:Array(UInt64)}' : 'device_id = {device:UInt64}'];
  const params: Record<string, unknown> = Array.isArray(device) ? { devices: device } : { device };
  if (from) {
    where.push("ts >= toDateTime({from:UInt32}, 'UTC')");
    params.from = Math.max(0, seconds(from));
  }
  if (to) {
    where.push("ts < toDateTime({to:UInt32}, 'UTC')");
    params.to = Math.max(0, seconds(to));
  }
  return { where, params };
}

async function page<T>(engine: ClickHouseEngine, table: string, where: string[], params: Record<string, unknown>, columns: string, order: string, q: { limit: number; offset: number }): Promise<{ rows: T[]; total: number }> {
  const cond = where.join(' AND ');
  const [count] = await engine.query<{ n: number | string }>(`SELECT count() AS n FROM ${table} FINAL WHERE ${cond}`, params);
  const rows = await engine.query<T>(
    `SELECT ${columns} FROM ${table} FINAL WHERE ${cond} ORDER BY ${order} LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    { ...params, limit: q.limit, offset: q.offset },
  );
  return { rows, total: Number(count?.n ?? 0) };
}

/** Archive, OBIS code and tag filters of a measurement query. */
function measurementFilters(q: Pick<MeasurementQuery, 'archive' | 'obis' | 'tag'>, where: string[], params: Record<string, unknown>): void {
  if (q.archive) {
    where.push('archive = {archive:String}');
    params.archive = q.archive;
  }
  if (q.obis) {
    where.push('obis = {obis:String}');
    params.obis = q.obis;
  }
  if (q.tag) {
    const series = tagSeries(q.tag);
    where.push("splitByChar('.', obis)[3] = {c:String}", "splitByChar('.', obis)[4] IN ('8', '29')", 'tariff = {tariff:UInt8}');
    params.c = String(Math.floor(series / 10));
    params.tariff = series % 10;
  }
}

type MeasurementRow = { archive: string; obis: string; tariff: number; ts: number; raw: string | number; scaler: number; unit: string; quality: number; device_status: number; device_tz: number; source: string; collected_at: number };
const MEASUREMENT_COLUMNS = 'archive, obis, tariff, toUnixTimestamp(ts) AS ts, raw, scaler, unit, quality, device_status, device_tz, source, toUnixTimestamp(collected_at) AS collected_at';

const toMeasurement = (x: MeasurementRow): Measurement => ({
  archive: x.archive, code: x.obis, tag: tagOf(x.obis, Number(x.tariff)), tariff: Number(x.tariff),
  deviceTime: iso(x.ts), deviceTzMinutes: Number(x.device_tz),
  value: { value: applyScaler(Number(x.raw), Number(x.scaler)), unit: x.unit },
  quality: qualityNames(Number(x.quality)),
  deviceStatus: Number(x.device_status), source: x.source, receivedAt: iso(x.collected_at), serverTzMinutes: serverTz(x.collected_at),
});

/** A device's measurements, newest first, with the total for paging. */
export async function measurements(engine: ClickHouseEngine, device: number, q: MeasurementQuery): Promise<{ items: Measurement[]; total: number }> {
  const { where, params } = base(device, q.from, q.to);
  measurementFilters(q, where, params);
  const r = await page<MeasurementRow>(engine, 'readings', where, params, MEASUREMENT_COLUMNS, 'ts DESC, archive, obis, tariff', q);
  return { total: r.total, items: r.rows.map(toMeasurement) };
}

/**
 * The measurements of many devices in one query (the CIM interface's MeterReadings), oldest first per device,
 * unpaged: callers bound the time range. Optionally of one tariff.
 */
export async function measurementsOfDevices(
  engine: ClickHouseEngine, devices: number[], q: Pick<MeasurementQuery, 'archive' | 'obis' | 'tag'> & { tariff?: number; from: string; to: string },
): Promise<Map<number, Measurement[]>> {
  const out = new Map<number, Measurement[]>();
  if (!devices.length) return out;
  const { where, params } = base(devices, q.from, q.to);
  measurementFilters(q, where, params);
  if (q.tariff !== undefined) {
    where.push('tariff = {rowTariff:UInt8}');
    params.rowTariff = q.tariff;
  }
  const rows = await engine.query<MeasurementRow & { device_id: number | string }>(
    `SELECT device_id, ${MEASUREMENT_COLUMNS} FROM readings FINAL WHERE ${where.join(' AND ')} ORDER BY device_id, ts, archive, obis, tariff`, params,
  );
  for (const x of rows) {
    const device = Number(x.device_id);
    const list = out.get(device) ?? [];
    if (!list.length) out.set(device, list);
    list.push(toMeasurement(x));
  }
  return out;
}

/** A device's journal entries, newest first, with the total for paging. */
export async function deviceEvents(engine: ClickHouseEngine, device: number, q: EventQuery): Promise<{ items: DeviceEvent[]; total: number }> {
  const { where, params } = base(device, q.from, q.to);
  if (q.journal) {
    where.push('journal = {journal:String}');
    params.journal = q.journal;
  }
  if (q.severity) {
    where.push('severity = {severity:String}');
    params.severity = q.severity;
  }
  type Row = { journal: string; code: number; name: string; severity: string; ts: number; params: string; raw: string; device_tz: number; source: string; collected_at: number };
  const r = await page<Row>(engine, 'events', where, params,
    'journal, code, name, severity, toUnixTimestamp(ts) AS ts, params, raw, device_tz, source, toUnixTimestamp(collected_at) AS collected_at', 'ts DESC, journal, code', q);
  return {
    total: r.total,
    items: r.rows.map((x) => ({
      journal: x.journal, code: Number(x.code), name: x.name, severity: x.severity, deviceTime: iso(x.ts), deviceTzMinutes: Number(x.device_tz),
      params: JSON.parse(x.params || '{}') as Record<string, unknown>, raw: x.raw, source: x.source, receivedAt: iso(x.collected_at), serverTzMinutes: serverTz(x.collected_at),
    })),
  };
}
