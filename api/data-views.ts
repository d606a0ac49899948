/**
 * Group data views (seed 003 §2.2.7): a group's data for one archive, date range, physical types and
 * tariffs as a matrix of devices × the archive's time stamps with every missing value marked (figure 25),
 * and collection statistics — percent collected per group and per device per day (figure 26). Time
 * stamps are the archive's expected slots in the project's time zone (scheduler/coverage.ts); the data
 * come from ClickHouse. Reading archives needs Read.Datastore, as a device's measurements do.
 */
import type { FastifyInstance } from 'fastify';
import { RegistryError } from '../registry/errors.js';
import type { Db } from '../registry/db.js';
import { TAG_PATTERN, type TaskContent } from '../scheduler/content.js';
import {
  GRID_ARCHIVES, MAX_ZONE_SHIFT_MS, PHYSICAL_TYPES, cellValues, deviceZones, filledByDeviceSlot, filledBySlot, gridOf, latestCells, periodOf, seriesCode,
  seriesTag, slotDue, slotLabel, slotsIn, tagSeries, type Grid, type PhysicalType,
} from '../scheduler/coverage.js';
import { instantOf, wallTime } from '../scheduler/schedule.js';
import { checkRange, paging, projectIdOf, uuid, warehouse } from './http.js';

const VIEW_ARCHIVES = [...GRID_ARCHIVES, 'current'] as const;
/** Seed 003 §2.2.7: at most 30 days of daily (and interval) data, 12 months of monthly data at a time. */
const MAX_DAYS = 30;
const MAX_MONTHS = 12;

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullable = (type: string, extra: object = {}) => ({ type: [type, 'null'], ...extra });
const array = (items: object, description?: string) => ({ type: 'array', items, ...(description ? { description } : {}) });
const record = (properties: Record<string, object>, optional: string[] = []) =>
  ({ type: 'object', required: Object.keys(properties).filter((k) => !optional.includes(k)), properties });
const params = { type: 'object', additionalProperties: false, required: ['projectId', 'groupId'], properties: { projectId: uuid, groupId: uuid } };
const rangeText = { type: 'string', minLength: 10, maxLength: 40 };

const iso = (ms: number) => new Date(ms).toISOString();
const percent = (present: number, expected: number) => (expected ? Math.round((10_000 * present) / expected) / 100 : null);

interface DeviceRow {
  id: string;
  serialNumber: string;
  type: string;
  num: number;
}

async function groupZone(db: Db, projectId: string, groupId: string): Promise<string> {
  const r = await db.query<{ tz: string }>(
    'SELECT p.time_zone AS tz FROM device_groups g JOIN projects p ON p.id = g.project_id WHERE g.id = $1 AND g.project_id = $2', [groupId, projectId],
  );
  if (!r.rows.length) throw new RegistryError('NOT_FOUND', 'group not found', 404);
  return r.rows[0].tz;
}

/** `YYYY-MM-DD` is a day in the project's zone (`to` includes it); anything else must be a date-time with a zone. */
function instant(tz: string, text: string, field: string, dayEnd: boolean): number {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const t = new Date(Date.UTC(y, m - 1, day));
    if (t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === day) {
      t.setUTCDate(day + (dayEnd ? 1 : 0));
      return instantOf(tz, { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: 0, minute: 0 });
    }
  } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text))) {
    return Date.parse(text);
  }
  throw new RegistryError('VALIDATION_ERROR', `${field} must be a date (YYYY-MM-DD, in the project's time zone) or a date-time with a zone`, 400, field);
}

/** The range [from, to) of a view of `archive`, within the archive's limit. */
function viewRange(tz: string, archive: string, q: { from: string; to: string }): { fromMs: number; toMs: number } {
  const fromMs = instant(tz, q.from, 'querystring.from', false);
  const toMs = instant(tz, q.to, 'querystring.to', true);
  checkRange(fromMs, toMs);
  const monthly = archive === 'end-of-month';
  const w = wallTime(tz, fromMs);
  const last = new Date(Date.UTC(w.year, w.month - 1 + (monthly ? MAX_MONTHS : 0), w.day + (monthly ? 0 : MAX_DAYS)));
  const limit = instantOf(tz, { year: last.getUTCFullYear(), month: last.getUTCMonth() + 1, day: last.getUTCDate(), hour: w.hour, minute: w.minute });
  if (toMs > limit) {
    const most = monthly ? `${MAX_MONTHS} months` : `${MAX_DAYS} days`;
    throw new RegistryError('RANGE_TOO_LONG', `${archive} data can be asked for at most ${most} at a time; querystring.to is too far from querystring.from`, 400, 'querystring.to');
  }
  return { fromMs, toMs };
}

/** Slots shown for [from, to): daily and monthly stamps inside it, intervals that end inside it (00:00 is the previous day's last). */
function viewSlots(g: Grid, fromMs: number, toMs: number): number[] {
  return g.kind === 'interval' ? slotsIn(g, fromMs, toMs) : slotsIn(g, fromMs - 1, toMs - 1);
}

async function groupDevices(db: Db, projectId: string, groupId: string, collectedOnly: boolean): Promise<DeviceRow[]> {
  const r = await db.query<DeviceRow>(
    `SELECT id, serial_number AS "serialNumber", type, num FROM devices WHERE project_id = $1 AND group_id = $2
     ${collectedOnly ? `AND enabled AND status = 'IN_USE'` : ''} ORDER BY serial_number, id`,
    [projectId, groupId],
  );
  return r.rows.map((d) => ({ ...d, num: Number(d.num) }));
}

/** The interval, daily and monthly archives the group's scheduled tasks collect, with their tags (null: any). */
async function collectedArchives(db: Db, projectId: string, groupId: string): Promise<{ archive: string; tags?: string[] }[]> {
  const r = await db.query<{ content: TaskContent | string }>(
    `SELECT content FROM collection_tasks WHERE project_id = $1 AND kind = 'scheduled'
       AND ($2::uuid = ANY(group_ids) OR device_ids && ARRAY(SELECT id FROM devices WHERE group_id = $2))`,
    [projectId, groupId],
  );
  const tags = new Map<string, Set<string> | null>();
  for (const row of r.rows) {
    const content = typeof row.content === 'string' ? (JSON.parse(row.content) as TaskContent) : row.content;
    for (const m of content.measurements ?? []) {
      if (!(GRID_ARCHIVES as readonly string[]).includes(m.archive)) continue;
      const cur = tags.get(m.archive);
      if (cur === null) continue;
      if (!m.tags?.length) tags.set(m.archive, null);
      else tags.set(m.archive, new Set([...(cur ?? []), ...m.tags]));
    }
  }
  return GRID_ARCHIVES.filter((a) => tags.has(a)).map((archive) => {
    const t = tags.get(archive);
    return t ? { archive, tags: [...t].sort((a, b) => tagSeries(a) - tagSeries(b)) } : { archive };
  });
}

const matrixRow = record({
  deviceId: uuid, serialNumber: str, type: str, physicalType: { type: 'string', enum: PHYSICAL_TYPES }, tariff: int,
  obis: nullable('string', { description: 'the OBIS code of the values; null when none was found' }), unit: nullable('string'),
  values: array(nullable('number'), 'one per time stamp; null = missing'),
  missing: { ...int, description: 'how many values are missing (a cell not yet due on the device\'s clock is empty, not missing)' },
  readAt: array(nullable('string'), 'current values: when each was read'),
}, ['readAt']);

const statsRow = (extra: Record<string, object>) => record({
  ...extra, percent: nullable('number', { description: 'collected over the whole range, 0-100; null when nothing was expected' }),
  present: int, expected: int, byPeriod: array(nullable('number'), 'percent collected per period'),
});

export function dataViewRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const p = '/projects/:projectId/groups/:groupId';

  app.get(`${p}/data`, {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['data'],
      summary: 'Group data view: devices × time stamps of an archive for physical types and tariffs, missing values marked',
      description: 'from/to: a date (YYYY-MM-DD, project time zone; to includes that day) or a date-time with zone. At most 30 days '
        + '(12 months for end-of-month). Daily and monthly values are matched to the nearest local midnight within 12 hours, '
        + 'interval values to the nearest interval end. `current`: the newest value of each series (from/to optional).',
      params,
      querystring: {
        type: 'object', additionalProperties: false, required: ['archive'],
        properties: {
          archive: { type: 'string', enum: VIEW_ARCHIVES }, from: rangeText, to: rangeText,
          types: { type: 'array', items: { type: 'string', enum: PHYSICAL_TYPES }, maxItems: 4, uniqueItems: true, description: 'default: all four' },
          tariffs: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 4 }, maxItems: 5, uniqueItems: true, description: 'default: 0 (total)' },
          ...paging(200, 20),
        },
      },
      response: {
        200: record({
          groupId: uuid, archive: str, timeZone: str, from: nullable('string', { format: 'date-time' }), to: time,
          timestamps: array(time, 'the archive\'s expected time stamps (UTC); for current: the range end'),
          labels: array(str, 'the time stamps in the project\'s time zone'),
          items: array(matrixRow, 'per device (paged), physical type and tariff'),
          missing: { ...int, description: 'missing values on this page' }, total: { ...int, description: 'devices in the group' }, limit: int, offset: int,
        }),
      },
    },
  }, async (req) => {
    const projectId = projectIdOf(req);
    const groupId = (req.params as { groupId: string }).groupId;
    const q = req.query as { archive: (typeof VIEW_ARCHIVES)[number]; from?: string; to?: string; types?: PhysicalType[]; tariffs?: number[]; limit: number; offset: number };
    const tz = await groupZone(db, projectId, groupId);
    const current = q.archive === 'current';
    if (!current) {
      for (const f of ['from', 'to'] as const) {
        if (!q[f]) throw new RegistryError('VALIDATION_ERROR', `querystring.${f} is required for ${q.archive}`, 400, `querystring.${f}`);
      }
    }
    const range = current
      ? { fromMs: q.from ? instant(tz, q.from, 'querystring.from', false) : undefined, toMs: q.to ? instant(tz, q.to, 'querystring.to', true) : Date.now() }
      : viewRange(tz, q.archive, { from: q.from!, to: q.to! });
    const engine = warehouse(app);
    const types = PHYSICAL_TYPES.filter((t) => !q.types || q.types.includes(t));
    const tariffs = [...new Set(q.tariffs ?? [0])].sort((a, b) => a - b);
    const series = types.flatMap((t) => tariffs.map((n) => seriesCode(t, n)));
    const all = await groupDevices(db, projectId, groupId, false);
    const devices = all.slice(q.offset, q.offset + q.limit);
    const nums = devices.map((d) => d.num);

    type Row = { obis: string | null; unit: string | null; values: (number | null)[]; readAt?: (string | null)[] };
    const rows = new Map<string, Row>();
    let timestamps: number[];
    let labels: string[];
    // A cell not yet due on the device's clock (an interval before its end, a day before the device's midnight)
    // stays empty but is not missing, as in the statistics.
    let due = (_num: number, _slot: number) => true;
    if (current) {
      timestamps = [range.toMs];
      labels = ['current'];
      for (const c of await latestCells(engine, { archive: q.archive, devices: nums, series, fromMs: range.fromMs ?? 0, toMs: range.toMs })) {
        rows.set(`${c.device}|${c.series}`, { obis: c.obis, unit: c.unit, values: [c.value], readAt: [iso(c.readAt)] });
      }
    } else {
      const grid = gridOf(q.archive, tz, range.fromMs!)!;
      timestamps = viewSlots(grid, range.fromMs!, range.toMs);
      labels = timestamps.map((t) => slotLabel(grid, t));
      const index = new Map(timestamps.map((t, i) => [t, i]));
      for (const c of await cellValues(engine, { grid, devices: nums, slots: timestamps, series })) {
        const key = `${c.device}|${c.series}`;
        let row = rows.get(key);
        if (!row) rows.set(key, (row = { obis: c.obis, unit: c.unit, values: timestamps.map(() => null) }));
        row.values[index.get(c.slot)!] = c.value;
      }
      const now = app.clock();
      const zones = grid.kind !== 'interval' && timestamps.length && timestamps.at(-1)! + MAX_ZONE_SHIFT_MS > now
        ? await deviceZones(engine, { archive: q.archive, devices: nums, sinceMs: range.fromMs! - grid.toleranceMs })
        : new Map<number, number>();
      due = (num, slot) => slotDue(grid, slot, zones.get(num) ?? null) <= now;
    }
    let missing = 0;
    const items = devices.flatMap((d) => series.map((s) => {
      const row = rows.get(`${d.num}|${s}`) ?? { obis: null, unit: null, values: timestamps.map(() => null), ...(current ? { readAt: [null] } : {}) };
      const gaps = row.values.filter((v, i) => v === null && due(d.num, timestamps[i])).length;
      missing += gaps;
      const [physicalType, tariff] = seriesTag(s).split(' T');
      return { deviceId: d.id, serialNumber: d.serialNumber, type: d.type, physicalType, tariff: Number(tariff), ...row, missing: gaps };
    }));
    return {
      groupId, archive: q.archive, timeZone: tz, from: range.fromMs === undefined ? null : iso(range.fromMs), to: iso(range.toMs),
      timestamps: timestamps.map(iso), labels, items, missing, total: all.length, limit: q.limit, offset: q.offset,
    };
  });

  app.get(`${p}/statistics`, {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['data'],
      summary: 'Collection statistics: percent collected per group and per device, per day (per month for end-of-month)',
      description: 'Percent = values present / values expected (the archive\'s time stamps in the range that are due by now × the tags; without tags '
        + 'any energy value fills a time stamp; an interval is due at its end, a day or month at the device\'s own midnight, in the zone of its clock '
        + 'as its readings carry it), for the chosen archive or for each interval, daily and monthly archive the group\'s scheduled tasks collect '
        + '(with their tags). Devices: the group\'s enabled devices in use (paged; the group figures cover all of them). Range rules as the data view.',
      params,
      querystring: {
        type: 'object', additionalProperties: false, required: ['from', 'to'],
        properties: {
          archive: { type: 'string', enum: GRID_ARCHIVES }, from: rangeText, to: rangeText,
          tags: { type: 'array', items: { type: 'string', pattern: TAG_PATTERN }, maxItems: 20, uniqueItems: true, description: 'with archive: series that must all be present' },
          ...paging(1000, 50),
        },
      },
      response: {
        200: record({
          groupId: uuid, timeZone: str, from: time, to: time,
          archives: array(record({
            archive: str, tags: nullable('array', { items: str, description: 'null: any energy value counts' }),
            periods: array(str, 'days (YYYY-MM-DD) or months (YYYY-MM) in the project\'s time zone'),
            group: statsRow({}), items: array(statsRow({ deviceId: uuid, serialNumber: str, type: str })),
          })),
          total: { ...int, description: 'devices counted' }, limit: int, offset: int,
        }),
      },
    },
  }, async (req) => {
    const projectId = projectIdOf(req);
    const groupId = (req.params as { groupId: string }).groupId;
    const q = req.query as { archive?: string; tags?: string[]; from: string; to: string; limit: number; offset: number };
    const tz = await groupZone(db, projectId, groupId);
    if (q.tags && !q.archive) throw new RegistryError('VALIDATION_ERROR', 'querystring.tags needs querystring.archive', 400, 'querystring.tags');
    const wanted = q.archive ? [{ archive: q.archive, tags: q.tags }] : await collectedArchives(db, projectId, groupId);
    // The range rule of the strictest archive asked for (monthly ones allow 12 months).
    const { fromMs, toMs } = viewRange(tz, wanted.every((w) => w.archive === 'end-of-month') && wanted.length ? 'end-of-month' : 'end-of-day', q);
    const engine = warehouse(app);
    const all = await groupDevices(db, projectId, groupId, true);
    const devices = all.slice(q.offset, q.offset + q.limit);
    const now = app.clock();
    const archives = [];
    for (const w of wanted) {
      const grid = gridOf(w.archive, tz, fromMs)!;
      const slots = viewSlots(grid, fromMs, toMs);
      const series = w.tags ? [...new Set(w.tags.map(tagSeries))] : undefined;
      const perSlot = series?.length ?? 1;
      const periods: string[] = [];
      const periodOfSlot = new Map<number, number>();
      for (const s of slots) {
        const name = periodOf(grid, s);
        if (periods.at(-1) !== name) periods.push(name);
        periodOfSlot.set(s, periods.length - 1);
      }
      const byPeriod = (cells: Iterable<[number, number]>) => {
        const out = periods.map(() => 0);
        for (const [s, k] of cells) out[periodOfSlot.get(s)!] += k;
        return out;
      };
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      const figures = (present: number[], expected: number[]) => ({
        percent: percent(sum(present), sum(expected)), present: sum(present), expected: sum(expected),
        byPeriod: present.map((x, i) => percent(x, expected[i])),
      });
      // What has not happened yet is not missing: a slot is expected once it is due on the device's clock
      // (intervals at their end; days and months at the device's midnight), so devices are counted in
      // classes of one zone, each with the slots due by now.
      const zones = grid.kind !== 'interval' && slots.length && slots.at(-1)! + MAX_ZONE_SHIFT_MS > now
        ? await deviceZones(engine, { archive: w.archive, devices: all.map((d) => d.num), sinceMs: fromMs - grid.toleranceMs })
        : new Map<number, number>();
      const classes = new Map<number | null, { due: number[]; all: number[]; page: number[] }>();
      const classOf = (num: number) => {
        const zone = zones.get(num) ?? null;
        let c = classes.get(zone);
        if (!c) classes.set(zone, (c = { due: slots.filter((s) => slotDue(grid, s, zone) <= now), all: [], page: [] }));
        return c;
      };
      for (const d of all) classOf(d.num).all.push(d.num);
      for (const d of devices) classOf(d.num).page.push(d.num);
      const groupPresent = periods.map(() => 0), groupExpected = periods.map(() => 0);
      const byDevice = new Map<number, { present: number[]; expected: number[] }>();
      for (const c of classes.values()) {
        const expected = byPeriod(c.due.map((s) => [s, perSlot]));
        const q1 = { grid, slots: c.due, series };
        byPeriod(await filledBySlot(engine, { ...q1, devices: c.all })).forEach((x, i) => (groupPresent[i] += x));
        expected.forEach((x, i) => (groupExpected[i] += x * c.all.length));
        const filled = await filledByDeviceSlot(engine, { ...q1, devices: c.page });
        for (const num of c.page) byDevice.set(num, { present: byPeriod(filled.get(num) ?? []), expected });
      }
      archives.push({
        archive: w.archive, tags: w.tags ?? null, periods, group: figures(groupPresent, groupExpected),
        items: devices.map((d) => {
          const f = byDevice.get(d.num)!;
          return { deviceId: d.id, serialNumber: d.serialNumber, type: d.type, ...figures(f.present, f.expected) };
        }),
      });
    }
    return { groupId, timeZone: tz, from: iso(fromMs), to: iso(toMs), archives, total: all.length, limit: q.limit, offset: q.offset };
  });
}
