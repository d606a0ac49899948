/**
 * Analytics over ClickHouse (docs/analytics.md): collection completeness, communication success and the
 * connectivity heat map, load curves and consumption aggregates over a set of devices, energy balance of a
 * balance group. Sets of devices are resolved in ClickHouse through `devices_dim` (the registry's copy,
 * refreshed within a minute), so a project of a million meters is never a parameter list; an explicit list
 * of devices (already checked against the project) is passed by number. Interval values are those in
 * force (readings_vee's rule: an edit or confirmation, else the measured value, else an estimate).
 */
import { archivePeriod, quantityKind } from '../vee/rules.js';
import type { ClickHouseEngine } from './engine.js';

export interface DeviceSet {
  projectId: string;
  groupId?: string;
  /** Explicit devices (devices.num), already known to be the project's. */
  nums?: number[];
}

export type Dimension = 'project' | 'group' | 'channel' | 'profile';
const DIMENSION: Record<Dimension, string> = { project: 'project', group: 'group_name', channel: 'comm_kind', profile: 'profile_id' };

type Params = Record<string, unknown>;

/** `device_id IN …` for the set. */
function inSet(s: DeviceSet, params: Params): string {
  if (s.nums) {
    params.nums = s.nums;
    return 'device_id IN {nums:Array(UInt64)}';
  }
  return `device_id IN (${dimRows(s, params, 'device_id')})`;
}

/** The set's rows of devices_dim (enabled devices), selecting `columns`. */
function dimRows(s: DeviceSet, params: Params, columns: string): string {
  params.project = s.projectId;
  let sql = `SELECT ${columns} FROM devices_dim WHERE project_id = {project:String} AND enabled`;
  if (s.groupId) {
    params.group = s.groupId;
    sql += ' AND group_id = {group:String}';
  }
  if (s.nums) {
    params.nums = s.nums;
    sql += ' AND device_id IN {nums:Array(UInt64)}';
  }
  return sql;
}

const VALUE = 'if(scaler < 0, raw / exp10(-scaler), raw * exp10(scaler))';

/**
 * Per device and time stamp, the value in force of one quantity of one archive in [fromSec, toSec]
 * (both ends: a register's consumption needs the value at the start).
 */
function valuesInForce(s: DeviceSet, params: Params, archive: string, obis: string, fromSec: number, toSec: number): string {
  Object.assign(params, { archive, obis, vfrom: fromSec, vto: toSec });
  const where = `archive = {archive:String} AND obis = {obis:String} AND ts >= {vfrom:UInt32} AND ts <= {vto:UInt32} AND ${inSet(s, params)}`;
  return `SELECT device_id, ts, argMax(v, (rank, version)) AS value FROM (
      SELECT device_id, ts, ${VALUE} AS v, 1 AS rank, toUInt64(collected_at) * 1000 AS version FROM readings WHERE ${where}
      UNION ALL
      SELECT device_id, ts, ${VALUE} AS v, if(kind = 'estimated', 0, 2) AS rank, version FROM reading_versions WHERE ${where}
    ) GROUP BY device_id, ts`;
}

/**
 * Per device and interval end, the interval's consumption: the value of an interval quantity, or a
 * cumulative register's difference from the previous interval (where that one is there and the register
 * did not go down).
 */
function intervalConsumption(s: DeviceSet, params: Params, archive: string, obis: string, fromSec: number, toSec: number): string {
  const period = archivePeriod(archive);
  if (!period) throw new Error(`${archive} has no period`);
  params.from = fromSec;
  if (quantityKind(obis) !== 'cumulative') return `SELECT device_id, ts, value FROM (${valuesInForce(s, params, archive, obis, fromSec + 1, toSec)})`;
  params.period = period;
  return `SELECT device_id, ts, cur - prev AS value FROM (
      SELECT device_id, ts, value AS cur, lagInFrame(value, 1, nan) OVER w AS prev, lagInFrame(ts, 1, toDateTime(0, 'UTC')) OVER w AS prev_ts
      FROM (${valuesInForce(s, params, archive, obis, fromSec, toSec)})
      WINDOW w AS (PARTITION BY device_id ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
    ) WHERE ts - prev_ts = {period:UInt32} AND cur >= prev`;
}

const num = (v: unknown) => Number(v);

export interface CompletenessRow {
  key: string;
  day: string;
  devices: number;
  expected: number;
  received: number;
  percent: number;
}

/**
 * Expected vs received intervals per day (in `tz`) and per key of `by`: every enabled device of the set
 * is expected to deliver every interval of the archive (for one quantity); an interval ending at 00:00
 * is the previous day's last.
 */
export async function completeness(
  engine: ClickHouseEngine, s: DeviceSet, q: { archive: string; obis: string; fromSec: number; toSec: number; tz: string; by: Dimension },
): Promise<CompletenessRow[]> {
  const period = archivePeriod(q.archive);
  if (!period) throw new Error(`${q.archive} has no period`);
  const params: Params = { archive: q.archive, obis: q.obis, from: q.fromSec, to: q.toSec, tz: q.tz, slots: Math.round(86_400 / period) };
  const key = DIMENSION[q.by];
  const dims = dimRows(s, params, `device_id, ${key} AS key`);
  const rows = await engine.query<{ key: string; day: string; devices: string | number; received: string | number }>(
    `SELECT d.key AS key, toString(days.d_day) AS day, d.devices AS devices, ifNull(r.received, 0) AS received
     FROM (SELECT key, count() AS devices FROM (${dims}) GROUP BY key) AS d
     CROSS JOIN (SELECT arrayJoin(arrayMap(i -> toDate({from:UInt32} + 1, {tz:String}) + i,
                 range(toUInt32(dateDiff('day', toDate({from:UInt32} + 1, {tz:String}), toDate({to:UInt32} - 1, {tz:String})) + 1)))) AS d_day) AS days
     LEFT JOIN (
       SELECT dd.key AS r_key, r.r_day AS r_day, sum(r.n) AS received
       FROM (
         SELECT device_id, toDate(ts - 1, {tz:String}) AS r_day, uniqExact(ts) AS n FROM readings
         WHERE archive = {archive:String} AND obis = {obis:String} AND ts > {from:UInt32} AND ts <= {to:UInt32} AND ${inSet(s, params)}
         GROUP BY device_id, r_day
       ) AS r INNER JOIN (${dims}) AS dd ON dd.device_id = r.device_id
       GROUP BY r_key, r_day
     ) AS r ON r.r_key = d.key AND r.r_day = days.d_day
     ORDER BY day, key`,
    params,
  );
  return rows.map((r) => {
    const devices = num(r.devices);
    const expected = devices * num(params.slots);
    const received = num(r.received);
    return { key: r.key, day: r.day, devices, expected, received, percent: expected ? Math.round((10_000 * received) / expected) / 100 : 0 };
  });
}

export interface CommunicationRow {
  key: string;
  day: string;
  devices: number;
  communicating: number;
  percent: number;
}

/** Per day (server time stamps of collection, in `tz`) and key: devices from which any reading arrived, of the set's enabled devices. */
export async function communication(
  engine: ClickHouseEngine, s: DeviceSet, q: { fromSec: number; toSec: number; tz: string; by: Dimension },
): Promise<CommunicationRow[]> {
  const params: Params = { from: q.fromSec, to: q.toSec, tz: q.tz };
  const dims = dimRows(s, params, `device_id, ${DIMENSION[q.by]} AS key`);
  const rows = await engine.query<{ key: string; day: string; devices: string | number; communicating: string | number }>(
    `SELECT d.key AS key, toString(days.d_day) AS day, d.devices AS devices, ifNull(c.n, 0) AS communicating
     FROM (SELECT key, count() AS devices FROM (${dims}) GROUP BY key) AS d
     CROSS JOIN (SELECT arrayJoin(arrayMap(i -> toDate({from:UInt32}, {tz:String}) + i,
                 range(toUInt32(dateDiff('day', toDate({from:UInt32}, {tz:String}), toDate({to:UInt32} - 1, {tz:String})) + 1)))) AS d_day) AS days
     LEFT JOIN (
       SELECT dd.key AS c_key, r.c_day AS c_day, uniqExact(r.device_id) AS n
       FROM (
         SELECT DISTINCT device_id, toDate(collected_at, {tz:String}) AS c_day FROM readings
         WHERE collected_at >= {from:UInt32} AND collected_at < {to:UInt32} AND ts >= {from:UInt32} - 40 * 86400 AND ${inSet(s, params)}
       ) AS r INNER JOIN (${dims}) AS dd ON dd.device_id = r.device_id
       GROUP BY c_key, c_day
     ) AS c ON c.c_key = d.key AND c.c_day = days.d_day
     ORDER BY day, key`,
    params,
  );
  return rows.map((r) => {
    const devices = num(r.devices);
    const communicating = num(r.communicating);
    return { key: r.key, day: r.day, devices, communicating, percent: devices ? Math.round((10_000 * communicating) / devices) / 100 : 0 };
  });
}

/** Readings collected per device and day (in `tz`) for the heat map: devices × days. */
export async function connectivity(engine: ClickHouseEngine, nums: number[], q: { fromSec: number; toSec: number; tz: string }): Promise<Map<number, Map<string, number>>> {
  const rows = await engine.query<{ d: string | number; day: string; n: string | number }>(
    `SELECT device_id AS d, toString(toDate(collected_at, {tz:String})) AS day, count() AS n FROM readings
     WHERE device_id IN {nums:Array(UInt64)} AND collected_at >= {from:UInt32} AND collected_at < {to:UInt32} AND ts >= {from:UInt32} - 40 * 86400
     GROUP BY d, day`,
    { nums, from: q.fromSec, to: q.toSec, tz: q.tz },
  );
  const out = new Map<number, Map<string, number>>();
  for (const r of rows) {
    const m = out.get(num(r.d)) ?? new Map<string, number>();
    m.set(r.day, num(r.n));
    out.set(num(r.d), m);
  }
  return out;
}

export interface LoadCurvePoint {
  ts: number;
  sum: number;
  avg: number;
  max: number;
  devices: number;
}

/** Per interval end in (fromSec, toSec]: the set's summed, average and largest interval consumption, and how many devices it covers. */
export async function loadCurve(engine: ClickHouseEngine, s: DeviceSet, q: { archive: string; obis: string; fromSec: number; toSec: number }): Promise<LoadCurvePoint[]> {
  const params: Params = {};
  const rows = await engine.query<{ ts: number; sum: number; avg: number; max: number; devices: string | number }>(
    `SELECT toUInt32(ts) AS ts, sum(value) AS sum, avg(value) AS avg, max(value) AS max, count() AS devices
     FROM (${intervalConsumption(s, params, q.archive, q.obis, q.fromSec, q.toSec)}) WHERE ts > {from:UInt32} GROUP BY ts ORDER BY ts`,
    params,
  );
  return rows.map((r) => ({ ts: r.ts, sum: r.sum, avg: r.avg, max: r.max, devices: num(r.devices) }));
}

export interface ConsumptionTotals {
  devices: number;
  /** Devices with every interval of the range. */
  complete: number;
  total: number;
  average: number;
  max: number;
  top: { deviceNum: number; consumption: number; intervals: number }[];
}

/** Consumption per device over (fromSec, toSec] summed from its intervals: the set's total, average, largest and top N. */
export async function consumption(
  engine: ClickHouseEngine, s: DeviceSet, q: { archive: string; obis: string; fromSec: number; toSec: number; top: number },
): Promise<ConsumptionTotals> {
  const params: Params = { top: q.top, slots: Math.round((q.toSec - q.fromSec) / archivePeriod(q.archive)!) };
  const per = `SELECT device_id, sum(value) AS c, count() AS n FROM (${intervalConsumption(s, params, q.archive, q.obis, q.fromSec, q.toSec)}) WHERE ts > {from:UInt32} GROUP BY device_id`;
  const [t] = await engine.query<{ devices: string | number; complete: string | number; total: number; average: number; max: number; top: [string | number, number, string | number][] }>(
    `SELECT count() AS devices, countIf(n >= {slots:UInt32}) AS complete, sum(c) AS total, avg(c) AS average, max(c) AS max,
            arraySlice(arrayReverseSort(x -> x.2, groupArray((device_id, c, n))), 1, {top:UInt32}) AS top
     FROM (${per})`,
    params,
  );
  return {
    devices: num(t?.devices ?? 0), complete: num(t?.complete ?? 0), total: t?.total ?? 0, average: num(t?.devices ?? 0) ? t!.average : 0, max: num(t?.devices ?? 0) ? t!.max : 0,
    top: (t?.top ?? []).map(([d, c, n]) => ({ deviceNum: num(d), consumption: c, intervals: num(n) })),
  };
}

export interface BalancePoint {
  ts: number;
  parent: number | null;
  children: number;
  childrenReporting: number;
  loss: number | null;
  lossPercent: number | null;
  complete: boolean;
}

/**
 * Energy balance of a balance group per interval: the parent meter's consumption minus the sum of its
 * children's; complete when the parent and every child delivered the interval.
 */
export async function balance(
  engine: ClickHouseEngine, projectId: string, parent: number, children: number[], q: { archive: string; obis: string; fromSec: number; toSec: number },
): Promise<BalancePoint[]> {
  const params: Params = { parent };
  const rows = await engine.query<{ ts: number; parent: number | null; children: number; reporting: string | number }>(
    `SELECT toUInt32(ts) AS ts, anyIf(value, device_id = {parent:UInt64}) AS p, countIf(device_id = {parent:UInt64}) AS has_parent,
            sumIf(value, device_id != {parent:UInt64}) AS children, countIf(device_id != {parent:UInt64}) AS reporting, if(has_parent > 0, p, NULL) AS parent
     FROM (${intervalConsumption({ projectId, nums: [parent, ...children] }, params, q.archive, q.obis, q.fromSec, q.toSec)}) WHERE ts > {from:UInt32}
     GROUP BY ts ORDER BY ts`,
    params,
  );
  return rows.map((r) => {
    const reporting = num(r.reporting);
    const loss = r.parent === null ? null : r.parent - r.children;
    return {
      ts: r.ts, parent: r.parent, children: r.children, childrenReporting: reporting, loss,
      lossPercent: loss !== null && r.parent ? Math.round((10_000 * loss) / r.parent) / 100 : null, complete: r.parent !== null && reporting === children.length,
    };
  });
}

/** Per device: validation failures in force with readings in [fromSec, toSec), by severity, most first. */
export async function failingMeters(
  engine: ClickHouseEngine, s: DeviceSet, q: { fromSec: number; toSec: number; limit: number; offset: number },
): Promise<{ items: { deviceNum: number; failures: number; errors: number; warnings: number; infos: number; codes: string[] }[]; total: number }> {
  const params: Params = { from: q.fromSec, to: q.toSec, limit: q.limit, offset: q.offset };
  const rows = await engine.query<{ d: string | number; n: string | number; e: string | number; w: string | number; i: string | number; codes: string[]; total: string | number }>(
    `SELECT device_id AS d, count() AS n, countIf(severity = 'error') AS e, countIf(severity = 'warning') AS w, countIf(severity = 'info') AS i,
            arraySort(groupUniqArray(toString(code))) AS codes, count() OVER () AS total
     FROM validation_results FINAL WHERE cleared = 0 AND ts >= {from:UInt32} AND ts < {to:UInt32} AND ${inSet(s, params)}
     GROUP BY device_id ORDER BY e DESC, n DESC, device_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
    params,
  );
  return {
    items: rows.map((r) => ({ deviceNum: num(r.d), failures: num(r.n), errors: num(r.e), warnings: num(r.w), infos: num(r.i), codes: r.codes })),
    total: rows.length ? num(rows[0]!.total) : 0,
  };
}
