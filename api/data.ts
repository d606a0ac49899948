/**
 * Device data (seed 003 §3.4 steps 3–6): a device's measurements and journal events from ClickHouse, its
 * states and power outages from the registry (current values, or the history of changes). Times are UTC with the device's
 * and the server's zone offsets (minutes east of UTC). Reading archives needs Read.Datastore; a device of
 * another project is not found. The command history (step 7) is `GET devices/{id}/commands` (api/collection.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { JOURNALS, MEASUREMENT_ARCHIVES, STATE_ARCHIVES, TAG_PATTERN } from '../scheduler/content.js';
import { deviceEvents, measurements, serverTzMinutes, type EventQuery, type MeasurementQuery } from '../scheduler/readings.js';
import { deviceStates, type StateQuery } from '../scheduler/states.js';
import { deviceOutages } from '../registry/outages.js';
import { RegistryError } from '../registry/errors.js';
import type { Db } from '../registry/db.js';
import { checkQueryRange, paging, projectIdOf, uuid, warehouse } from './http.js';

const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const tz = (whose: string) => ({ type: 'integer', description: `${whose} zone offset, minutes east of UTC` });

const params = { type: 'object', required: ['projectId', 'deviceId'], properties: { projectId: uuid, deviceId: uuid } };
const range = { from: { ...time, description: 'from this time (UTC), inclusive' }, to: { ...time, description: 'to this time (UTC), exclusive' } };
const dataPaging = paging(10_000, 1000);

const object = (properties: Record<string, object>, optional: string[] = []) => ({
  type: 'object', required: Object.keys(properties).filter((k) => !optional.includes(k)), properties,
});
const list = (item: object, description: string) => ({ ...object({ items: { type: 'array', items: item }, total: int, limit: int, offset: int }), description });

const measurement = object({
  archive: str, code: { ...str, description: 'OBIS code' }, tag: { type: ['string', 'null'], description: 'A+/A-/R+/R- with tariff, for energy registers and interval energies' },
  tariff: { ...int, description: '0 = total, 1..4' }, deviceTime: { ...time, description: 'device time of the value, UTC' }, deviceTzMinutes: tz('the device\'s'),
  value: object({ value: { type: 'number' }, unit: str }),
  quality: { type: 'array', items: { type: 'string', enum: ['data-present', 'time-normal', 'estimated', 'edited'] } },
  deviceStatus: { ...int, description: 'status byte captured with the value' }, source: { type: 'string', enum: ['POLL', 'PUSH', 'IMPORT', 'MANUAL'] },
  receivedAt: { ...time, description: 'when the server collected it, UTC' }, serverTzMinutes: tz('the server\'s'),
});
const SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;
/** Journals read from meters, and `alarms`: the alarm register bits meters push. */
const EVENT_JOURNALS = [...JOURNALS, 'alarms'];
const event = object({
  journal: str, code: int, name: { ...str, description: 'the code\'s name from the journal\'s code table, "unknown" when it names none' },
  severity: { type: 'string', enum: [...SEVERITIES, ''], description: 'from the device profile\'s eventSeverities or the project\'s control settings by name; empty when neither names it' },
  deviceTime: time, deviceTzMinutes: tz('the device\'s'),
  params: { type: 'object', additionalProperties: true, description: 'the entry\'s other columns by OBIS code (typed A-XDR values)' },
  raw: { ...str, description: 'the entry as A-XDR, hex' }, source: str, receivedAt: time, serverTzMinutes: tz('the server\'s'),
});
const outage = object({
  startedAt: { ...time, description: 'the last gasp (server time for CENC\'s GASP line, the meter\'s time for a power-down push)' },
  startedBy: { type: 'string', enum: ['last-gasp', 'power-down-push'] },
  endedAt: { type: ['string', 'null'], format: 'date-time', description: 'the first communication after it; null while the outage lasts' },
  endedBy: { type: ['string', 'null'], enum: ['connected', 'communication', null] },
});
const state = object({
  archive: { type: 'string', enum: STATE_ARCHIVES }, code: str, value: { description: 'as read: number, text, boolean, date-time text or typed JSON' },
  changedAt: { ...time, description: 'when this value was first read' }, readAt: { ...time, description: 'current values: the latest read that found it' },
  serverTzMinutes: tz('the server\'s'),
}, ['readAt']);

/** The device's numeric id in the data plane; a device of another project (or none) is 404. */
export async function deviceNum(db: Db, req: FastifyRequest): Promise<number> {
  const r = await db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE project_id = $1 AND id = $2', [projectIdOf(req), (req.params as { deviceId: string }).deviceId]);
  if (!r.rows[0]) throw new RegistryError('NOT_FOUND', 'device not found', 404);
  return Number(r.rows[0].num);
}

export function dataRoutes(app: FastifyInstance): void {
  const { db } = app.registry;

  app.get('/projects/:projectId/devices/:deviceId/measurements', {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['data'],
      summary: 'Measurements of a device (newest first), by archive, tag or OBIS code and device-time range (UTC)',
      params,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          archive: { type: 'string', enum: MEASUREMENT_ARCHIVES }, tag: { type: 'string', pattern: TAG_PATTERN },
          obis: { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){5}$' }, ...range, ...dataPaging,
        },
      },
      response: { 200: list(measurement, 'Measurements, newest first') },
    },
  }, async (req) => {
    const q = req.query as MeasurementQuery;
    checkQueryRange(q);
    const num = await deviceNum(db, req);
    return { ...(await measurements(warehouse(app), num, q)), limit: q.limit, offset: q.offset };
  });

  app.get('/projects/:projectId/devices/:deviceId/events', {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['data'],
      summary: 'Journal events of a device (newest first), by journal and device-time range (UTC)',
      params,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { journal: { type: 'string', enum: EVENT_JOURNALS }, severity: { type: 'string', enum: SEVERITIES }, ...range, ...dataPaging },
      },
      response: { 200: list(event, 'Journal entries, newest first') },
    },
  }, async (req) => {
    const q = req.query as EventQuery;
    checkQueryRange(q);
    const num = await deviceNum(db, req);
    return { ...(await deviceEvents(warehouse(app), num, q)), limit: q.limit, offset: q.offset };
  });

  app.get('/projects/:projectId/devices/:deviceId/outages', {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['data'],
      summary: 'Power outages of a device (newest first): opened by a last gasp, closed by its first communication after it',
      params,
      querystring: { type: 'object', additionalProperties: false, properties: { from: { ...time, description: 'started from this time (UTC)' }, to: { ...time, description: 'started before this time (UTC)' }, ...dataPaging } },
      response: { 200: list(outage, 'Outages, newest first') },
    },
  }, async (req) => {
    const q = req.query as { from?: string; to?: string; limit: number; offset: number };
    checkQueryRange(q);
    await deviceNum(db, req);
    return { ...(await deviceOutages(db, projectIdOf(req), (req.params as { deviceId: string }).deviceId, q)), limit: q.limit, offset: q.offset };
  });

  app.get('/projects/:projectId/devices/:deviceId/states', {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['data'],
      summary: 'States of a device: the current value per archive and code, or (history=true) every change, newest first',
      params,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          archive: { type: 'string', enum: STATE_ARCHIVES }, code: str, history: { type: 'boolean', default: false },
          from: { ...time, description: 'changes from this time (UTC)' }, to: { ...time, description: 'changes before this time (UTC)' }, ...dataPaging,
        },
      },
      response: { 200: list(state, 'Current values by archive and code, or changes newest first') },
    },
  }, async (req) => {
    const q = req.query as StateQuery & { history: boolean };
    checkQueryRange(q);
    await deviceNum(db, req);
    const r = await deviceStates(db, projectIdOf(req), (req.params as { deviceId: string }).deviceId, q, q.history);
    return { items: r.items.map((s) => ({ ...s, serverTzMinutes: serverTzMinutes(Date.parse(s.readAt ?? s.changedAt)) })), total: r.total, limit: q.limit, offset: q.offset };
  });
}
