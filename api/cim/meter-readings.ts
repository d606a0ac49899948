/**
 * `get MeterReadings` (IEC 61968-9): stored readings of meters (EndDevice mRID = our device id, or Names.name
 * = serial number, within the caller's projects) by CIM ReadingType codes of the catalogue
 * (schemas/cim/reading-types.ts) and a time range, read with the measurement query of the REST API
 * (scheduler/readings.ts), one query per reading type for all the meters. Interval data answer as
 * IntervalBlocks, registers and instantaneous values as Readings; our quality flags map to ReadingQualityType
 * codes. Unknown meters or reading types get one Error
 * each (Result PARTIAL while something is left to answer).
 */
import type { FastifyRequest } from 'fastify';
import { measurementsOfDevices, type Measurement } from '../../scheduler/readings.js';
import { multiplierOf, readingTypeOf, readingsOfType, READING_TYPES, type ReadingTypeRow } from '../../schemas/cim/reading-types.js';
import type { Db } from '../../registry/db.js';
import type { ClickHouseEngine } from '../../sinks/clickhouse/engine.js';
import type { MeasurementItem } from '../../scheduler/content.js';
import { CIM_REPLY } from '../../notify/notifier.js';
import { startOneOff } from '../collection.js';
import { CODES, CimFault, many, text, type CimMessage, type PayloadStream, type Plain, type Reply, type ReplyError, type ReplyTo } from './envelope.js';
import { meterRefs, resolveMeters, type Meter, type MeterRef } from './meters.js';

/** Longest time range one request may ask for. */
export const MAX_RANGE_DAYS = 31;
/** Most meters one request may name. */
export const MAX_METERS = 10_000;
/** Meters read from the store per query (bounds the rows held at once). */
const BATCH = 500;

/**
 * ReadingQualityType codes (system.category.subCategory; system 1 end device, 2 metering system):
 * the HES's flags → CIM. A value with none of these problems is valid as read from the meter (1.0.0).
 */
export const QUALITY_CODES = {
  valid: '1.0.0',
  /** The meter's clock was not normal (adjusted, invalid) when the value was captured: a data-collection issue. */
  timeNotNormal: '1.4.0',
  /** Known missing read: the meter had no value for the slot. */
  missing: '2.5.259',
  edited: '2.7.0',
  estimated: '2.8.0',
} as const;

export function qualityCodes(flags: string[]): string[] {
  const out: string[] = [];
  if (!flags.includes('data-present')) out.push(QUALITY_CODES.missing);
  if (!flags.includes('time-normal')) out.push(QUALITY_CODES.timeNotNormal);
  if (flags.includes('estimated')) out.push(QUALITY_CODES.estimated);
  if (flags.includes('edited')) out.push(QUALITY_CODES.edited);
  return out.length ? out : [QUALITY_CODES.valid];
}

/** Stored units are base units or, from some sources, kilo/mega ones: their power of ten. */
function unitPower(unit: string): number {
  const m = /^([kMG])(Wh|varh|W|var|J|VA|VAh)$/.exec(unit);
  return m ? { k: 3, M: 6, G: 9 }[m[1] as 'k' | 'M' | 'G'] : 0;
}

/** A stored value in the reading type's unit (value × 10^(stored prefix − multiplier)), without float noise. */
export function cimValue(m: Pick<Measurement, 'value'>, type: ReadingTypeRow): number {
  return Number((m.value.value * 10 ** (unitPower(m.value.unit) - multiplierOf(type.code))).toPrecision(15));
}

interface Query {
  meters: MeterRef[];
  types: { code: string; xpath: string }[];
  from: string;
  to: string;
}

/** The query of a GetMeterReadings request (Request/GetMeterReadings, or those elements right in Request). */
function queryOf(msg: CimMessage): Query {
  const base = `/${msg.wrapper}/Request`;
  const q = (msg.request.GetMeterReadings ?? msg.request) as Plain;
  const at = msg.request.GetMeterReadings ? `${base}/GetMeterReadings` : base;
  const meters = [...meterRefs(q.EndDevice, (i) => `${at}/EndDevice[${i + 1}]`), ...meterRefs(q.Meter, (i) => `${at}/Meter[${i + 1}]`)];
  if (!meters.length) throw new CimFault(CODES.malformed, 'name at least one EndDevice (mRID or Names.name)', `${at}/EndDevice`);
  if (meters.length > MAX_METERS) throw new CimFault(CODES.tooMany, `at most ${MAX_METERS} meters per request`, `${at}/EndDevice`);
  const types = many(q.ReadingType).map((t, i) => {
    const o = (typeof t === 'object' && t ? t : { mRID: t }) as Plain;
    const code = text(o.mRID) ?? text(o.ref) ?? many(o.Names).map((n) => text((n as Plain)?.name ?? n)).find(Boolean) ?? '';
    return { code, xpath: `${at}/ReadingType[${i + 1}]` };
  });
  const interval = ((q.TimeSchedule as Plain | undefined)?.scheduleInterval ?? {}) as Plain;
  const from = text(interval.start) ?? text(msg.request.StartTime);
  const to = text(interval.end) ?? text(msg.request.EndTime);
  const timeAt = `${at}/TimeSchedule/scheduleInterval`;
  if (!from || Number.isNaN(Date.parse(from))) throw new CimFault(CODES.malformed, 'the time range needs a start date-time (TimeSchedule.scheduleInterval.start or Request.StartTime)', `${timeAt}/start`);
  if (!to || Number.isNaN(Date.parse(to))) throw new CimFault(CODES.malformed, 'the time range needs an end date-time (TimeSchedule.scheduleInterval.end or Request.EndTime)', `${timeAt}/end`);
  // The store's timestamps are 32-bit seconds (1970 to 2106).
  if (Date.parse(from) < 0 || Date.parse(to) > Date.UTC(2106, 0, 1)) throw new CimFault(CODES.invalidValue, 'the time range must lie between 1970 and 2106', `${timeAt}/start`);
  const span = Date.parse(to) - Date.parse(from);
  if (span <= 0) throw new CimFault(CODES.invalidValue, 'the end of the time range must be after its start', `${timeAt}/end`);
  if (span > MAX_RANGE_DAYS * 86_400_000) throw new CimFault(CODES.tooMany, `the time range may span at most ${MAX_RANGE_DAYS} days`, `${timeAt}/end`);
  return { meters, types, from: new Date(Date.parse(from)).toISOString(), to: new Date(Date.parse(to)).toISOString() };
}

function meterReading(m: Meter, rows: { type: ReadingTypeRow; m: Measurement }[], q: Query): Plain {
  const readings: Plain[] = [];
  const blocks = new Map<string, Plain[]>();
  for (const { type, m: x } of rows) {
    const point = {
      timeStamp: x.deviceTime, value: cimValue(x, type),
      ReadingQualities: qualityCodes(x.quality).map((ref) => ({ ReadingQualityType: { ref } })),
    };
    // Interval data (a measuring period, field 3) go in IntervalBlocks, the rest in Readings.
    if (type.code.split('.')[2] !== '0') {
      const block = blocks.get(type.code) ?? [];
      block.push(point);
      blocks.set(type.code, block);
    } else readings.push({ ReadingType: { ref: type.code }, ...point });
  }
  return {
    Meter: { mRID: m.id, Names: [{ name: m.serial }] },
    valuesInterval: { start: q.from, end: q.to },
    ...(readings.length ? { Readings: readings } : {}),
    ...(blocks.size ? { IntervalBlocks: [...blocks].map(([ref, points]) => ({ ReadingType: { ref }, IntervalReadings: points })) } : {}),
  };
}

/** `Request.Option` name=ReadMeter value=true (or OnDemand): read the meters now, then answer from stored data. */
function onDemand(msg: CimMessage): boolean {
  return many(msg.request.Option).some((o) => {
    const x = (typeof o === 'object' && o ? o : {}) as Plain;
    return ['ReadMeter', 'OnDemand'].includes(text(x.name) ?? '') && text(x.value) !== 'false';
  });
}

export async function getMeterReadings(req: FastifyRequest, msg: CimMessage): Promise<{ reply: Reply; stream?: PayloadStream; status: number; deferred?: boolean }> {
  const app = req.server;
  if (!app.warehouse) throw new CimFault(CODES.unavailable, 'readings are kept in ClickHouse, which this API process is not connected to', '/', 503);
  if (!onDemand(msg)) return meterReadingsOf(app.registry.db, app.warehouse, req.identity!.userId, msg);
  if (!msg.header.AsyncReplyFlag) throw new CimFault(CODES.malformed, 'an on-demand read is answered asynchronously: set Header.AsyncReplyFlag and ReplyAddress', `/${msg.wrapper}/Request/Option`);
  return readNow(req, msg);
}

/**
 * The on-demand read: one one-off task per project reading the archives of the asked reading types (every
 * archive of the catalogue when none is named) from the named meters, each watched (follow-ups.ts) so that the
 * reply leaves, from stored data, once its launch has finished. Unknown items are reported at once.
 */
async function readNow(req: FastifyRequest, msg: CimMessage): Promise<{ reply: Reply; status: number; deferred?: boolean }> {
  const q = queryOf(msg);
  const { types, errors } = typesOf(q);
  if (q.types.length && !types.length) return { reply: { Result: 'FAILED', Error: errors }, status: 400 };
  const { db, box } = req.server.registry;
  const { matches, errors: unknown } = await resolveMeters(db, req.identity!.userId, q.meters);
  errors.push(...unknown);
  const byProject = new Map<string, Set<string>>();
  for (const d of matches.flat()) byProject.set(d.projectId, (byProject.get(d.projectId) ?? new Set()).add(d.id));
  if (!byProject.size) return { reply: { Result: 'FAILED', Error: errors }, status: 404 };
  const archives = [...new Set((types.length ? types : READING_TYPES).map((t) => t.archive))] as MeasurementItem['archive'][];
  const ids: NonNullable<Reply['ID']> = [];
  for (const [projectId, set] of byProject) {
    const task = await startOneOff(req, projectId, {
      name: `on-demand read (IEC 61968-9 get MeterReadings${msg.header.MessageID ? `, ${msg.header.MessageID.slice(0, 100)}` : ''})`, deviceIds: [...set],
      content: { measurements: archives.map((archive) => ({ archive })) }, source: 'command', initiator: 'iec',
    });
    ids.push({ kind: 'uuid', objectType: 'ReadTask', value: String(task.id) });
    // The reply answers the meters of this project only.
    const request: CimMessage = { ...msg, request: { ...msg.request, GetMeterReadings: undefined, Option: undefined, EndDevice: [...set].map((mRID) => ({ mRID })), Meter: undefined,
      ReadingType: q.types.map((t) => ({ ref: t.code })), TimeSchedule: { scheduleInterval: { start: q.from, end: q.to } } } };
    const replyTo: ReplyTo = { format: msg.format, edition: msg.edition, wrapper: msg.wrapper, header: msg.header, ...(msg.soap ? { soap: msg.soap } : {}) };
    await db.query(
      `INSERT INTO cim_watches (task_id, kind, url_enc, reply_to, request, user_id, created_at) VALUES ($1, 'readings', $2, $3, $4, $5, $6)`,
      [String(task.id), box.encrypt(msg.header.ReplyAddress!, CIM_REPLY), JSON.stringify(replyTo), JSON.stringify(request), req.identity!.userId, new Date()],
    );
  }
  return { reply: { Result: errors.length ? 'PARTIAL' : 'OK', ...(errors.length ? { Error: errors } : {}), ID: ids }, status: 202, deferred: true };
}

function typesOf(q: Query): { types: ReadingTypeRow[]; errors: ReplyError[] } {
  const errors: ReplyError[] = [];
  const types: ReadingTypeRow[] = [];
  for (const t of q.types) {
    const row = readingsOfType(t.code);
    if (row) types.push(row);
    else errors.push({ code: CODES.invalidValue, level: 'WARNING', reason: `ReadingType "${t.code}" is not in the reading-type catalogue`, xpath: t.xpath, ID: { kind: 'name', objectType: 'ReadingType', value: t.code } });
  }
  return { types, errors };
}

/** The stored readings of a request, for the caller's (userId's) projects: synchronous replies and on-demand follow-ups alike. */
export async function meterReadingsOf(db: Db, warehouse: ClickHouseEngine, userId: string, msg: CimMessage): Promise<{ reply: Reply; stream?: PayloadStream; status: number }> {
  const q = queryOf(msg);
  const { types, errors } = typesOf(q);
  if (q.types.length && !types.length) return { reply: { Result: 'FAILED', Error: errors }, status: 400 };

  const { matches, errors: unknown } = await resolveMeters(db, userId, q.meters);
  errors.push(...unknown);
  const chosen = new Map(matches.flat().map((m) => [m.id, m]));
  if (!chosen.size) return { reply: { Result: 'FAILED', Error: errors }, status: 404 };

  const meters = [...chosen.values()];
  // Meters in batches, one query per reading type and batch (or one for everything when no type is named),
  // each MeterReading written to the reply as its batch is read.
  async function* meterReadings(): AsyncGenerator<Plain> {
    for (let i = 0; i < meters.length; i += BATCH) {
      const batch = meters.slice(i, i + BATCH);
      const rows = new Map<number, { type: ReadingTypeRow; m: Measurement }[]>();
      const add = (num: number, type: ReadingTypeRow, m: Measurement) => {
        const list = rows.get(num) ?? [];
        if (!list.length) rows.set(num, list);
        list.push({ type, m });
      };
      const nums = batch.map((m) => m.num);
      if (types.length) {
        for (const type of types) {
          const byDevice = await measurementsOfDevices(warehouse, nums, { archive: type.archive, obis: type.obis, tariff: type.tariff, from: q.from, to: q.to });
          for (const [num, list] of byDevice) for (const m of list) add(num, type, m);
        }
      } else {
        for (const [num, list] of await measurementsOfDevices(warehouse, nums, { from: q.from, to: q.to })) {
          for (const m of list) {
            const type = readingTypeOf(m.archive, m.code, m.tariff);
            if (type) add(num, type, m);
          }
        }
      }
      for (const m of batch) yield meterReading(m, rows.get(m.num) ?? [], q);
    }
  }
  return {
    reply: { Result: errors.length ? 'PARTIAL' : 'OK', ...(errors.length ? { Error: errors } : {}) },
    stream: { noun: 'MeterReadings', element: 'MeterReading', items: meterReadings() }, status: 200,
  };
}
