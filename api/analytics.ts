/**
 * Analytics routes (docs/analytics.md): collection completeness, communication success and the
 * connectivity heat map, load curves and consumption aggregates over a set of devices, the energy balance
 * of a balance group, outage indices (SAIDI/SAIFI) and the meters with validation failures. Reading
 * them needs Read.Datastore, as archives do. Days are the project's time-zone days; a set of devices is the
 * project's (a group of it, or devices listed by id).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RegistryError } from '../registry/errors.js';
import type { Db } from '../registry/db.js';
import { outageIndices } from '../registry/outages.js';
import { instantOf } from '../scheduler/schedule.js';
import { archivePeriod } from '../sinks/vee/rules.js';
import { balance, communication, completeness, connectivity, consumption, failingMeters, loadCurve, type DeviceSet, type Dimension } from '../sinks/clickhouse/analytics.js';
import { selectDevices } from './vee.js';
import { checkRange, paging, projectIdOf, uuid, warehouse } from './http.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const date = { type: 'string', format: 'date', description: 'a day (YYYY-MM-DD) in the project\'s time zone' } as const;
const MAX_DAYS = 31;

const object = (properties: Record<string, object>, optional: string[] = []) => ({
  type: 'object', required: Object.keys(properties).filter((k) => !optional.includes(k)), properties,
});
const array = (items: object) => ({ type: 'array', items });
const params = { type: 'object', required: ['projectId'], properties: { projectId: uuid } };
const PROFILE = { type: 'string', pattern: '^profile-\\d+$', default: 'profile-15', description: 'a periodic profile archive' };
const OBIS = (def: string) => ({ type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){5}$', default: def, description: 'OBIS code: an interval quantity (1.0.1.29.0.255) or a cumulative register (its differences)' });
const days = { from: date, to: { ...date, description: 'the last day (YYYY-MM-DD, included) in the project\'s time zone' } };
const set = {
  groupId: { ...uuid, description: 'the devices of this group (default: the whole project)' },
  deviceIds: { type: 'array', items: uuid, maxItems: 1000, uniqueItems: true, description: 'these devices of the project' },
};
const by = { type: 'string', enum: ['project', 'group', 'channel', 'profile'], default: 'project', description: 'per project, device group, channel type (comm kind) or device profile' };

async function projectZone(db: Db, projectId: string): Promise<string> {
  const r = await db.query<{ tz: string }>('SELECT time_zone AS tz FROM projects WHERE id = $1', [projectId]);
  return r.rows[0]?.tz ?? 'UTC';
}

/** [from 00:00, day after `to` 00:00) in the zone, in seconds; at most MAX_DAYS days. */
function dayRange(tz: string, q: { from: string; to: string }): { fromSec: number; toSec: number } {
  const at = (text: string, plus: number) => {
    const [y, m, d] = text.split('-').map(Number) as [number, number, number];
    const t = new Date(Date.UTC(y, m - 1, d + plus));
    return instantOf(tz, { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: 0, minute: 0 }) / 1000;
  };
  const fromSec = at(q.from, 0);
  const toSec = at(q.to, 1);
  checkRange(fromSec, toSec);
  if (toSec - fromSec > MAX_DAYS * 86_400 + 3600) throw new RegistryError('RANGE_TOO_LONG', `at most ${MAX_DAYS} days at a time; querystring.to is too far from querystring.from`, 400, 'querystring.to');
  return { fromSec, toSec };
}

/** [from, to) date-times in seconds, at most MAX_DAYS days. */
function timeRange(q: { from: string; to: string }): { fromSec: number; toSec: number } {
  const fromSec = Math.floor(Date.parse(q.from) / 1000);
  const toSec = Math.floor(Date.parse(q.to) / 1000);
  checkRange(fromSec, toSec);
  if (toSec - fromSec > MAX_DAYS * 86_400) throw new RegistryError('RANGE_TOO_LONG', `at most ${MAX_DAYS} days at a time; querystring.to is too far from querystring.from`, 400, 'querystring.to');
  return { fromSec, toSec };
}

/** The set of the request: the project, a group of it, or devices of it by id (an id of another project is a 404). */
async function deviceSet(db: Db, req: FastifyRequest): Promise<{ set: DeviceSet; byNum: Map<number, { id: string; serialNumber: string }> | undefined }> {
  const projectId = projectIdOf(req);
  const q = req.query as { groupId?: string; deviceIds?: string[] };
  if (q.groupId) {
    const g = await db.query('SELECT 1 FROM device_groups WHERE project_id = $1 AND id = $2', [projectId, q.groupId]);
    if (!g.rows.length) throw new RegistryError('NOT_FOUND', 'group not found', 404, 'querystring.groupId');
  }
  if (!q.deviceIds?.length) return { set: { projectId, ...(q.groupId ? { groupId: q.groupId } : {}) }, byNum: undefined };
  const devices = await selectDevices(db, projectId, { deviceIds: q.deviceIds, ...(q.groupId ? { groupId: q.groupId } : {}) });
  if (devices.length !== q.deviceIds.length) throw new RegistryError('NOT_FOUND', 'a device of querystring.deviceIds is not in this project', 404, 'querystring.deviceIds');
  return { set: { projectId, nums: devices.map((d) => d.num) }, byNum: new Map(devices.map((d) => [d.num, d])) };
}

/** Serial numbers and ids of devices by number (for top lists and failing meters). */
async function devicesByNum(db: Db, projectId: string, nums: number[]): Promise<Map<number, { id: string; serialNumber: string }>> {
  if (!nums.length) return new Map();
  const r = await db.query<{ num: number; id: string; serialNumber: string }>(
    'SELECT num::float8 AS num, id, serial_number AS "serialNumber" FROM devices WHERE project_id = $1 AND num = ANY($2::bigint[])', [projectId, nums],
  );
  return new Map(r.rows.map((d) => [Number(d.num), { id: d.id, serialNumber: d.serialNumber }]));
}

const iso = (sec: number) => new Date(sec * 1000).toISOString();

export function analyticsRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const p = '/projects/:projectId/analytics';
  const read = { access: ['Read.Datastore'] };

  app.get(`${p}/completeness`, {
    config: read,
    schema: {
      tags: ['analytics'], summary: 'Collection completeness per day: intervals expected (enabled devices × the day\'s intervals) vs received, per project, group, channel type or device profile',
      params,
      querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { ...days, archive: PROFILE, obis: OBIS('1.0.1.8.0.255'), by, ...set } },
      response: { 200: object({ items: array(object({ key: str, day: str, devices: int, expected: int, received: int, percent: num })) }) },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; archive: string; obis: string; by: Dimension };
    if (!archivePeriod(q.archive)) throw new RegistryError('VALIDATION_ERROR', 'querystring.archive must be a periodic archive', 400, 'querystring.archive');
    const tz = await projectZone(db, projectIdOf(req));
    const { set: s } = await deviceSet(db, req);
    return { items: await completeness(warehouse(app), s, { ...dayRange(tz, q), archive: q.archive, obis: q.obis, tz, by: q.by }) };
  });

  app.get(`${p}/communication`, {
    config: read,
    schema: {
      tags: ['analytics'], summary: 'Communication success per day: devices from which any reading arrived, of the enabled devices, per channel type, group (segment), profile or project',
      params,
      querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { ...days, by: { ...by, default: 'channel' }, ...set } },
      response: { 200: object({ items: array(object({ key: str, day: str, devices: int, communicating: int, percent: num })) }) },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; by: Dimension };
    const tz = await projectZone(db, projectIdOf(req));
    const { set: s } = await deviceSet(db, req);
    return { items: await communication(warehouse(app), s, { ...dayRange(tz, q), tz, by: q.by }) };
  });

  app.get(`${p}/connectivity`, {
    config: read,
    schema: {
      tags: ['analytics'], summary: 'Connectivity heat map: devices (paged, by serial) × days, the readings received from each device each day',
      params,
      querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { ...days, groupId: set.groupId, ...paging(1000, 100) } },
      response: {
        200: object({
          days: array(str), items: array(object({ deviceId: uuid, serialNumber: str, readings: array(int), daysSilent: int })), total: int, limit: int, offset: int,
        }),
      },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; groupId?: string; limit: number; offset: number };
    const tz = await projectZone(db, projectIdOf(req));
    const range = dayRange(tz, q);
    const all = await selectDevices(db, projectIdOf(req), q.groupId ? { groupId: q.groupId } : {});
    const page = all.slice(q.offset, q.offset + q.limit);
    const dayList: string[] = [];
    for (let t = Date.parse(`${q.from}T00:00:00Z`); t <= Date.parse(`${q.to}T00:00:00Z`); t += 86_400_000) dayList.push(new Date(t).toISOString().slice(0, 10));
    const counts = page.length ? await connectivity(warehouse(app), page.map((d) => d.num), { ...range, tz }) : new Map();
    return {
      days: dayList,
      items: page.map((d) => {
        const readings = dayList.map((day) => counts.get(d.num)?.get(day) ?? 0);
        return { deviceId: d.id, serialNumber: d.serialNumber, readings, daysSilent: readings.filter((n) => n === 0).length };
      }),
      total: all.length, limit: q.limit, offset: q.offset,
    };
  });

  const curveQuery = { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: time, to: { ...time, description: `at most ${MAX_DAYS} days after from` }, archive: PROFILE, obis: OBIS('1.0.1.8.0.255'), ...set } };

  app.get(`${p}/load-curve`, {
    config: read,
    schema: {
      tags: ['analytics'], summary: 'Load curve of a set of devices: per interval (end in (from, to]) the summed, average and largest consumption, with the devices it covers; the peak interval',
      params, querystring: curveQuery,
      response: { 200: object({ items: array(object({ ts: time, sum: num, avg: num, max: num, devices: int })), peak: { type: ['object', 'null'], properties: { ts: time, sum: num } } }) },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; archive: string; obis: string };
    const { set: s } = await deviceSet(db, req);
    const points = await loadCurve(warehouse(app), s, { ...timeRange(q), archive: q.archive, obis: q.obis });
    const peak = points.reduce<(typeof points)[number] | undefined>((a, b) => (!a || b.sum > a.sum ? b : a), undefined);
    return { items: points.map((x) => ({ ...x, ts: iso(x.ts) })), peak: peak ? { ts: iso(peak.ts), sum: peak.sum } : null };
  });

  app.get(`${p}/consumption`, {
    config: read,
    schema: {
      tags: ['analytics'], summary: 'Consumption of a set of devices over (from, to]: total, average and largest per device, devices with every interval, and the top N',
      params, querystring: { ...curveQuery, properties: { ...curveQuery.properties, top: { type: 'integer', minimum: 0, maximum: 1000, default: 10 } } },
      response: {
        200: object({
          devices: int, complete: int, total: num, average: num, max: num,
          top: array(object({ deviceId: uuid, serialNumber: str, consumption: num, intervals: int })),
        }),
      },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; archive: string; obis: string; top: number };
    const { set: s, byNum } = await deviceSet(db, req);
    const r = await consumption(warehouse(app), s, { ...timeRange(q), archive: q.archive, obis: q.obis, top: q.top });
    const names = byNum ?? (await devicesByNum(db, projectIdOf(req), r.top.map((t) => t.deviceNum)));
    return {
      ...r,
      top: r.top.filter((t) => names.has(t.deviceNum)).map(({ deviceNum, ...t }) => ({ deviceId: names.get(deviceNum)!.id, serialNumber: names.get(deviceNum)!.serialNumber, ...t })),
    };
  });

  app.get(`${p}/balance`, {
    config: read,
    schema: {
      tags: ['analytics'],
      summary: 'Energy balance of a balance group (a feeder or transformer meter and the meters of a group behind it): per interval, parent minus the sum of the children, with a completeness flag',
      params,
      querystring: {
        type: 'object', additionalProperties: false, required: ['from', 'to', 'parentDeviceId', 'groupId'],
        properties: {
          from: time, to: time, archive: PROFILE, obis: OBIS('1.0.1.8.0.255'), parentDeviceId: { ...uuid, description: 'the balance meter' },
          groupId: { ...uuid, description: 'the group of the meters behind it (the parent left out if it is a member)' },
        },
      },
      response: {
        200: object({
          children: int,
          items: array(object({ ts: time, parent: { type: ['number', 'null'] }, children: num, childrenReporting: int, loss: { type: ['number', 'null'] }, lossPercent: { type: ['number', 'null'] }, complete: { type: 'boolean' } })),
          total: object({ parent: num, children: num, loss: num, lossPercent: { type: ['number', 'null'] }, completeIntervals: int, intervals: int }),
        }),
      },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; archive: string; obis: string; parentDeviceId: string; groupId: string };
    const projectId = projectIdOf(req);
    const [parent] = await selectDevices(db, projectId, { deviceIds: [q.parentDeviceId] });
    if (!parent) throw new RegistryError('NOT_FOUND', 'device not found', 404, 'querystring.parentDeviceId');
    const children = (await selectDevices(db, projectId, { groupId: q.groupId })).filter((d) => d.num !== parent.num);
    const points = await balance(warehouse(app), projectId, parent.num, children.map((c) => c.num), { ...timeRange(q), archive: q.archive, obis: q.obis });
    const complete = points.filter((x) => x.complete);
    const sum = (k: 'parent' | 'children') => complete.reduce((a, x) => a + (x[k] ?? 0), 0);
    const loss = sum('parent') - sum('children');
    return {
      children: children.length, items: points.map((x) => ({ ...x, ts: iso(x.ts) })),
      total: { parent: sum('parent'), children: sum('children'), loss, lossPercent: sum('parent') ? Math.round((10_000 * loss) / sum('parent')) / 100 : null, completeIntervals: complete.length, intervals: points.length },
    };
  });

  app.get(`${p}/outages`, {
    config: read,
    schema: {
      tags: ['analytics'], summary: 'Outages (from last gasps and power-down pushes) per device group over a period: count, minutes, SAIDI and SAIFI; the last row is the whole',
      params,
      querystring: {
        type: 'object', additionalProperties: false, required: ['from', 'to'],
        properties: { from: time, to: time, groupId: set.groupId, minMinutes: { type: 'number', minimum: 0, maximum: 1440, default: 5, description: 'shorter outages are momentary and not counted' } },
      },
      response: {
        200: object({ items: array(object({ groupId: { type: ['string', 'null'] }, group: { type: ['string', 'null'] }, customers: int, interruptions: int, minutes: num, saidi: num, saifi: num })) }),
      },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; groupId?: string; minMinutes: number };
    const fromMs = Date.parse(q.from);
    const toMs = Date.parse(q.to);
    checkRange(fromMs, toMs);
    return { items: await outageIndices(db, projectIdOf(req), { ...(q.groupId ? { groupId: q.groupId } : {}), fromMs, toMs, nowMs: app.clock(), minMinutes: q.minMinutes }) };
  });

  app.get(`${p}/validation`, {
    config: read,
    schema: {
      tags: ['analytics'], summary: 'Meters with validation failures in force over a period, most errors first',
      params,
      querystring: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: time, to: time, ...set, ...paging(1000, 100) } },
      response: {
        200: object({
          items: array(object({ deviceId: uuid, serialNumber: str, failures: int, errors: int, warnings: int, infos: int, codes: array(str) })), total: int, limit: int, offset: int,
        }),
      },
    },
  }, async (req) => {
    const q = req.query as { from: string; to: string; limit: number; offset: number };
    const { set: s } = await deviceSet(db, req);
    const r = await failingMeters(warehouse(app), s, { ...timeRange(q), limit: q.limit, offset: q.offset });
    const names = await devicesByNum(db, projectIdOf(req), r.items.map((x) => x.deviceNum));
    return {
      items: r.items.filter((x) => names.has(x.deviceNum)).map(({ deviceNum, ...x }) => ({ deviceId: names.get(deviceNum)!.id, serialNumber: names.get(deviceNum)!.serialNumber, ...x })),
      total: r.total, limit: q.limit, offset: q.offset,
    };
  });
}
