/**
 * VEE in ClickHouse (schemas/clickhouse/005_vee.sql): validation failures written and read, a range
 * re-validated, the value in force of readings (measured, estimated, edited, confirmed), a reading's
 * history, and the versions that estimation and editing add.
 */
import { applyScaler } from '../../decoders/dlms/units.js';
import type { ClickHouseEngine } from '../clickhouse/engine.js';
import { Quality, qualityNames } from '../../schemas/avro/index.js';
import { archivePeriod, quantityKind, type Rule } from './rules.js';
import { channelOf, validateDevice, type ChannelFailure, type ChannelState, type DeviceChannel, type Point } from './validate.js';
import { consumptions, estimateGap, findGaps, type Estimate } from './estimate.js';

const WEEK = 7 * 86_400;

export interface ReadingKey {
  archive: string;
  obis: string;
  tariff: number;
}

/** A DateTime64(3) in JSONEachRow: seconds with milliseconds, as text (a JSON number with a fraction is refused). */
const dateTime64 = (ms: number) => (ms / 1000).toFixed(3);

const insertRows = async (engine: ClickHouseEngine, table: string, rows: object[]) => {
  if (rows.length) await engine.exec(`INSERT INTO ${table} SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
};

/** Stores failures of device `device` as validated at `atMs`. */
export function failureRows(device: number, failures: readonly ChannelFailure[], atMs: number): object[] {
  return failures.map((f) => ({
    device_id: device, archive: f.archive, obis: f.obis, tariff: f.tariff, ts: f.ts, code: f.code, severity: f.severity, detail: f.detail, cleared: 0, validated_at: dateTime64(atMs),
  }));
}

export async function storeFailures(engine: ClickHouseEngine, rows: object[]): Promise<void> {
  await insertRows(engine, 'validation_results', rows);
}

/**
 * The measured readings of devices in [fromSec, toSec), every stored row (re-reads too: duplicate-quality
 * needs them), per device and channel; of one reading's rows the latest collected comes first and is the one checked.
 */
async function loadChannels(engine: ClickHouseEngine, nums: number[], fromSec: number, toSec: number): Promise<Map<number, DeviceChannel[]>> {
  const rows = await engine.query<{ d: string | number; a: string; o: string; t: number; ts: number; raw: string | number; sc: number; q: number; st: number; c: number }>(
    `SELECT device_id AS d, archive AS a, obis AS o, tariff AS t, toUInt32(ts) AS ts, raw, scaler AS sc, quality AS q, device_status AS st, toUInt32(collected_at) AS c
     FROM readings WHERE device_id IN {nums:Array(UInt64)} AND ts >= {from:UInt32} AND ts < {to:UInt32}
     ORDER BY device_id, archive, obis, tariff, ts, collected_at DESC`,
    { nums, from: fromSec, to: toSec },
  );
  const byDevice = new Map<number, { archive: string; obis: string; tariff: number; points: Point[] }[]>();
  let ch: { archive: string; obis: string; tariff: number; points: Point[] } | undefined;
  let dev = -1;
  for (const r of rows) {
    const d = Number(r.d);
    if (d !== dev || !ch || ch.archive !== r.a || ch.obis !== r.o || ch.tariff !== r.t) {
      dev = d;
      ch = { archive: r.a, obis: r.o, tariff: r.t, points: [] };
      const list = byDevice.get(d) ?? [];
      list.push(ch);
      byDevice.set(d, list);
    }
    ch.points.push({ ts: r.ts, value: applyScaler(Number(r.raw), r.sc), quality: r.q, status: r.st, collectedAt: r.c });
  }
  const out = new Map<number, DeviceChannel[]>();
  for (const [d, list] of byDevice) out.set(d, list.map((c) => ({ ...channelOf(c.archive, c.obis, c.points), tariff: c.tariff })));
  return out;
}

/**
 * Re-validates the readings of `nums` in [fromSec, toSec) with `rules`: the checks start from the state
 * the readings of `lookbackDays` before the range leave, failures in the range are written, and failures
 * stored for the range that no longer hold are cleared.
 */
export async function revalidate(
  engine: ClickHouseEngine, nums: number[], fromSec: number, toSec: number, rules: readonly Rule[], nowMs: number,
): Promise<{ readings: number; failures: number; cleared: number }> {
  const zeroDays = Math.max(0, ...rules.filter((r) => r.code === 'zero-consumption').map((r) => r.params.days!));
  const lookback = Math.max(2, Math.ceil(zeroDays) + 1) * 86_400;
  let readings = 0;
  let failures = 0;
  let cleared = 0;
  // a few hundred devices at a time: a range of a big project does not come into memory at once
  for (let i = 0; i < nums.length; i += 200) {
    const chunk = nums.slice(i, i + 200);
    const channels = await loadChannels(engine, chunk, fromSec - lookback, toSec);
    const rows: object[] = [];
    const found = new Set<string>();
    for (const [device, list] of channels) {
      const states = new Map<string, ChannelState>();
      for (const f of validateDevice(device, list, rules, states)) {
        if (f.ts < fromSec) continue;
        const key = `${device}|${f.archive}|${f.obis}|${f.tariff}|${f.ts}|${f.code}`;
        if (found.has(key)) continue;
        found.add(key);
        rows.push(failureRows(device, [f], nowMs)[0]!);
      }
      for (const ch of list) readings += ch.rows.filter((row) => ch.src.ts[row]! >= fromSec).length;
    }
    const stored = await engine.query<{ device_id: string | number; archive: string; obis: string; tariff: number; ts: number; code: string; severity: string }>(
      `SELECT device_id, archive, obis, tariff, toUInt32(ts) AS ts, code, toString(severity) AS severity FROM validation_results FINAL
       WHERE device_id IN {nums:Array(UInt64)} AND ts >= {from:UInt32} AND ts < {to:UInt32} AND cleared = 0`,
      { nums: chunk, from: fromSec, to: toSec },
    );
    for (const s of stored) {
      if (found.has(`${s.device_id}|${s.archive}|${s.obis}|${s.tariff}|${s.ts}|${s.code}`)) continue;
      rows.push({ device_id: Number(s.device_id), archive: s.archive, obis: s.obis, tariff: s.tariff, ts: s.ts, code: s.code, severity: s.severity, detail: '', cleared: 1, validated_at: dateTime64(nowMs) });
      cleared++;
    }
    failures += found.size;
    await storeFailures(engine, rows);
  }
  return { readings, failures, cleared };
}

export interface FailureQuery {
  from?: string;
  to?: string;
  code?: string;
  severity?: string;
  limit: number;
  offset: number;
}

export interface StoredFailure {
  deviceNum: number;
  archive: string;
  obis: string;
  tariff: number;
  ts: string;
  code: string;
  severity: string;
  detail: string;
  validatedAt: string;
}

const isoSec = (s: number) => new Date(s * 1000).toISOString();

function rangeWhere(q: { from?: string; to?: string }, params: Record<string, unknown>): string {
  let w = '';
  if (q.from) {
    params.from = Math.floor(Date.parse(q.from) / 1000);
    w += ' AND ts >= {from:UInt32}';
  }
  if (q.to) {
    params.to = Math.floor(Date.parse(q.to) / 1000);
    w += ' AND ts < {to:UInt32}';
  }
  return w;
}

/** ` AND column = {column:String}` for each given value (undefined or empty: no condition), its value set in params. */
function textEquals(filters: Record<string, string | undefined>, params: Record<string, unknown>): string {
  let w = '';
  for (const [column, value] of Object.entries(filters)) {
    if (!value) continue;
    params[column] = value;
    w += ` AND ${column} = {${column}:String}`;
  }
  return w;
}

/** Validation failures in force of these devices, newest first. */
export async function validationFailures(engine: ClickHouseEngine, nums: number[], q: FailureQuery): Promise<{ items: StoredFailure[]; total: number }> {
  const params: Record<string, unknown> = { nums, limit: q.limit, offset: q.offset };
  const where = 'device_id IN {nums:Array(UInt64)} AND cleared = 0' + rangeWhere(q, params) + textEquals({ code: q.code, severity: q.severity }, params);
  const rows = await engine.query<{ d: string | number; archive: string; obis: string; tariff: number; ts: number; code: string; severity: string; detail: string; at: number; total: string | number }>(
    `SELECT device_id AS d, archive, obis, tariff, toUInt32(ts) AS ts, code, toString(severity) AS severity, detail, toFloat64(validated_at) AS at, count() OVER () AS total
     FROM validation_results FINAL WHERE ${where} ORDER BY ts DESC, device_id, archive, obis, tariff, code LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    params,
  );
  return {
    items: rows.map((r) => ({ deviceNum: Number(r.d), archive: r.archive, obis: r.obis, tariff: r.tariff, ts: isoSec(r.ts), code: r.code, severity: r.severity, detail: r.detail, validatedAt: new Date(r.at * 1000).toISOString() })),
    total: rows.length ? Number(rows[0]!.total) : 0,
  };
}

export interface VeeReading extends ReadingKey {
  ts: string;
  value: number;
  unit: string;
  status: 'measured' | 'estimated' | 'edited' | 'confirmed';
  method: string;
  /** Quality flags of the value in force: the meter's for a measured value; estimated; data-present and edited for an edit; data-present for a confirmation. */
  quality: string[];
  /** Validation failures in force: code and severity. */
  validation: { code: string; severity: string }[];
}

/**
 * The value in force of a device's readings (readings_vee, with the device filter inside both sides so only
 * its parts are read), with the validation failures of each, oldest first.
 */
export async function veeReadings(
  engine: ClickHouseEngine, num: number, q: { archive?: string; obis?: string; from?: string; to?: string; limit: number; offset: number },
): Promise<{ items: VeeReading[]; total: number }> {
  const params: Record<string, unknown> = { num, limit: q.limit, offset: q.offset };
  const where = 'device_id = {num:UInt64}' + rangeWhere(q, params) + textEquals({ archive: q.archive, obis: q.obis }, params);
  const rows = await engine.query<{ archive: string; obis: string; tariff: number; ts: number; raw: string | number; scaler: number; unit: string; status: VeeReading['status']; method: string; quality: number; codes: [string, string][]; total: string | number }>(
    `SELECT v.archive AS archive, v.obis AS obis, v.tariff AS tariff, toUInt32(v.ts) AS ts, v.raw AS raw, v.scaler AS scaler, v.unit AS unit, v.status AS status, v.method AS method, v.quality AS quality,
            f.codes AS codes, count() OVER () AS total
     FROM (
       SELECT archive, obis, tariff, ts, argMax(r, (rank, version)) AS raw, argMax(s, (rank, version)) AS scaler, argMax(u, (rank, version)) AS unit,
              argMax(st, (rank, version)) AS status, argMax(m, (rank, version)) AS method, argMax(q, (rank, version)) AS quality
       FROM (
         SELECT archive, obis, tariff, ts, raw AS r, scaler AS s, unit AS u, 'measured' AS st, '' AS m, quality AS q, 1 AS rank, toUInt64(collected_at) * 1000 AS version FROM readings WHERE ${where}
         UNION ALL
         SELECT archive, obis, tariff, ts, raw AS r, scaler AS s, unit AS u, toString(kind) AS st, toString(method) AS m,
                toUInt8(multiIf(kind = 'estimated', ${Quality.estimated}, kind = 'edited', ${Quality.dataPresent | Quality.edited}, ${Quality.dataPresent})) AS q,
                if(kind = 'estimated', 0, 2) AS rank, version FROM reading_versions WHERE ${where}
       ) GROUP BY archive, obis, tariff, ts
     ) AS v
     LEFT JOIN (
       SELECT archive, obis, tariff, ts, groupArray((code, toString(severity))) AS codes FROM validation_results FINAL WHERE ${where} AND cleared = 0 GROUP BY archive, obis, tariff, ts
     ) AS f ON f.archive = v.archive AND f.obis = v.obis AND f.tariff = v.tariff AND f.ts = v.ts
     ORDER BY v.ts, v.archive, v.obis, v.tariff LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    params,
  );
  return {
    items: rows.map((r) => ({
      archive: r.archive, obis: r.obis, tariff: r.tariff, ts: isoSec(r.ts), value: applyScaler(Number(r.raw), r.scaler), unit: r.unit, status: r.status, method: r.method,
      quality: qualityNames(Number(r.quality)), validation: (r.codes ?? []).map(([code, severity]) => ({ code, severity })),
    })),
    total: rows.length ? Number(rows[0]!.total) : 0,
  };
}

export interface ReadingVersion {
  kind: 'measured' | 'estimated' | 'edited' | 'confirmed';
  method: string;
  value: number;
  unit: string;
  /** Measured: when it was collected; others: when the version was made. */
  at: string;
  user: string | null;
  reason: string | null;
  inForce: boolean;
}

/** Every version of one reading, oldest first, the one in force marked. */
export async function readingHistory(engine: ClickHouseEngine, num: number, key: ReadingKey & { ts: number }): Promise<ReadingVersion[]> {
  const params = { num, archive: key.archive, obis: key.obis, tariff: key.tariff, ts: key.ts };
  const where = 'device_id = {num:UInt64} AND archive = {archive:String} AND obis = {obis:String} AND tariff = {tariff:UInt8} AND ts = {ts:UInt32}';
  const rows = await engine.query<{ kind: ReadingVersion['kind']; method: string; raw: string | number; scaler: number; unit: string; at: number; user: string; reason: string; rank: number; version: string | number }>(
    `SELECT DISTINCT 'measured' AS kind, '' AS method, raw, scaler, unit, toFloat64(collected_at) AS at, '' AS user, '' AS reason, 1 AS rank, toUInt64(collected_at) * 1000 AS version FROM readings WHERE ${where}
     UNION ALL
     SELECT toString(kind) AS kind, toString(method) AS method, raw, scaler, unit, toFloat64(created_at) AS at, user_name AS user, reason, if(kind = 'estimated', 0, 2) AS rank, version
     FROM reading_versions FINAL WHERE ${where}`,
    params,
  );
  const sorted = rows.map((r) => ({ ...r, version: Number(r.version) })).sort((a, b) => a.at - b.at || a.version - b.version);
  let best = -1;
  sorted.forEach((r, i) => {
    const b = sorted[best];
    if (!b || r.rank > b.rank || (r.rank === b.rank && r.version >= b.version)) best = i;
  });
  return sorted.map((r, i) => ({
    kind: r.kind, method: r.method, value: applyScaler(Number(r.raw), r.scaler), unit: r.unit, at: new Date(r.at * 1000).toISOString(),
    user: r.user || null, reason: r.reason || null, inForce: i === best,
  }));
}

export interface NewVersion extends ReadingKey {
  ts: number;
  kind: 'estimated' | 'edited' | 'confirmed';
  method: string;
  value: number;
  unit: string;
  user: string;
  reason: string;
}

/** Values as raw integers with a scaler: up to 6 decimals kept (the physical value is what the caller gives). */
function rawOf(value: number): { raw: number; scaler: number } {
  for (let scaler = 0; scaler >= -6; scaler--) {
    const raw = value * 10 ** -scaler;
    if (Math.abs(raw - Math.round(raw)) < 1e-6 || scaler === -6) return { raw: Math.round(raw), scaler };
  }
  return { raw: Math.round(value), scaler: 0 };
}

/** Adds versions (each its own `version`, the creation time in ms; several made at once get successive ones). */
export async function addVersions(engine: ClickHouseEngine, num: number, versions: readonly NewVersion[], nowMs: number): Promise<void> {
  await insertRows(engine, 'reading_versions', versions.map((v, i) => ({
    device_id: num, archive: v.archive, obis: v.obis, tariff: v.tariff, ts: v.ts, version: nowMs + i, kind: v.kind, method: v.method, ...rawOf(v.value),
    unit: v.unit, user_name: v.user, reason: v.reason, created_at: dateTime64(nowMs + i),
  })));
}

/** The measured value of a reading (the latest collected), or undefined when the meter sent none. */
export async function measuredValue(engine: ClickHouseEngine, num: number, key: ReadingKey & { ts: number }): Promise<{ value: number; unit: string } | undefined> {
  const rows = await engine.query<{ raw: string | number; scaler: number; unit: string }>(
    `SELECT argMax(raw, collected_at) AS raw, argMax(scaler, collected_at) AS scaler, argMax(unit, collected_at) AS unit FROM readings
     WHERE device_id = {num:UInt64} AND archive = {archive:String} AND obis = {obis:String} AND tariff = {tariff:UInt8} AND ts = {ts:UInt32} HAVING count() > 0`,
    { num, ...key },
  );
  return rows[0] ? { value: applyScaler(Number(rows[0].raw), rows[0].scaler), unit: rows[0].unit } : undefined;
}

/**
 * Estimates the missing intervals of every channel of `num` in a periodic archive over [fromSec, toSec):
 * gaps of the measured (and edited) values, history from `weeks` weeks before for the profile. Slots that
 * already hold an estimate are estimated again (the new version wins). Returns the estimates made.
 */
export async function estimateRange(
  engine: ClickHouseEngine, num: number, archive: string, fromSec: number, toSec: number,
  opts: { linearMax: number; weeks: number; obis?: string; user: string; nowMs: number },
): Promise<(Estimate & ReadingKey)[]> {
  const period = archivePeriod(archive);
  if (!period) return [];
  const rows = await engine.query<{ obis: string; tariff: number; ts: number; raw: string | number; scaler: number; unit: string }>(
    `SELECT obis, tariff, toUInt32(ts) AS ts, argMax(r, (rank, version)) AS raw, argMax(s, (rank, version)) AS scaler, argMax(u, (rank, version)) AS unit
     FROM (
       SELECT obis, tariff, ts, raw AS r, scaler AS s, unit AS u, 1 AS rank, toUInt64(collected_at) * 1000 AS version FROM readings
       WHERE device_id = {num:UInt64} AND archive = {archive:String} AND ts >= {from:UInt32} AND ts < {to:UInt32}
       UNION ALL
       SELECT obis, tariff, ts, raw AS r, scaler AS s, unit AS u, 2 AS rank, version FROM reading_versions
       WHERE device_id = {num:UInt64} AND archive = {archive:String} AND ts >= {from:UInt32} AND ts < {to:UInt32} AND kind != 'estimated'
     ) GROUP BY obis, tariff, ts ORDER BY obis, tariff, ts`,
    // the first value after the range closes a gap at its end
    { num, archive, from: fromSec - opts.weeks * WEEK, to: toSec + 7 * 86_400 },
  );
  const channels = new Map<string, { obis: string; tariff: number; unit: string; points: { ts: number; value: number }[] }>();
  for (const r of rows) {
    if (opts.obis && r.obis !== opts.obis) continue;
    const key = `${r.obis}|${r.tariff}`;
    const ch = channels.get(key) ?? { obis: r.obis, tariff: r.tariff, unit: r.unit, points: [] };
    ch.points.push({ ts: r.ts, value: applyScaler(Number(r.raw), r.scaler) });
    channels.set(key, ch);
  }
  const out: (Estimate & ReadingKey)[] = [];
  const versions: NewVersion[] = [];
  for (const ch of channels.values()) {
    const kind = quantityKind(ch.obis);
    if (kind === 'instantaneous') continue;
    const history = consumptions(ch.points.filter((p) => p.ts < toSec), kind, period);
    for (const gap of findGaps(ch.points.filter((p) => p.ts >= fromSec), period, fromSec, toSec)) {
      // a gap's start: the last value before the range when the range begins inside a gap
      if (!gap.before) {
        const prior = ch.points.filter((p) => p.ts < gap.missing[0]!).pop();
        if (prior) gap.before = prior;
      }
      for (const e of estimateGap(gap, kind, period, { linearMax: opts.linearMax, weeks: opts.weeks, history })) {
        out.push({ ...e, archive, obis: ch.obis, tariff: ch.tariff });
        versions.push({ archive, obis: ch.obis, tariff: ch.tariff, ts: e.ts, kind: 'estimated', method: e.method, value: e.value, unit: ch.unit, user: opts.user, reason: `estimated (${e.method})` });
      }
    }
  }
  await addVersions(engine, num, versions, opts.nowMs);
  return out;
}
