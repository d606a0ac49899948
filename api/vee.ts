/**
 * VEE routes (docs/vee.md): a project's validation rules and estimation limits; a device's readings with
 * the value in force (measured, estimated, edited, confirmed) and their validation failures; a reading's
 * history; edits and confirmations with a reason (audited, the original kept); estimation and
 * re-validation of a range; the project's validation failures. Reading needs Read.Datastore, editing and
 * running jobs Write.Datastore, the rules Read/Write.HesConfig; a device of another project is not found.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RegistryError } from '../registry/errors.js';
import type { Db } from '../registry/db.js';
import { RULE_CODES, RULE_PARAMS, SEVERITIES, archivePeriod, parseRules, type Rule } from '../sinks/vee/rules.js';
import { veeSettings, saveVeeSettings } from '../sinks/vee/settings.js';
import { addVersions, estimateRange, measuredValue, readingHistory, revalidate, validationFailures, veeReadings } from '../sinks/vee/store.js';
import { MEASUREMENT_ARCHIVES } from '../scheduler/content.js';
import { deviceNum } from './data.js';
import { audit, checkRange, paging, projectIdOf, uuid, warehouse } from './http.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const time = { type: 'string', format: 'date-time' } as const;
const OBIS = { type: 'string', pattern: '^\\d{1,3}(\\.\\d{1,3}){5}$', description: 'OBIS code A.B.C.D.E.F' } as const;
/** A job covers at most this much time per request (a bigger range: several requests). */
const MAX_JOB_DAYS = 92;

const object = (properties: Record<string, object>, optional: string[] = []) => ({
  type: 'object', required: Object.keys(properties).filter((k) => !optional.includes(k)), properties,
});
const projectParams = { type: 'object', required: ['projectId'], properties: { projectId: uuid } };
const deviceParams = { type: 'object', required: ['projectId', 'deviceId'], properties: { projectId: uuid, deviceId: uuid } };

const ruleSchema = {
  type: 'object',
  description: `A validation rule. code: ${RULE_CODES.join(', ')}. params by code (defaults): ${RULE_CODES.map((c) => `${c} {${Object.entries(RULE_PARAMS[c]).map(([k, v]) => `${k}: ${v}`).join(', ')}}`).join('; ')}.`,
  properties: {
    code: { type: 'string', enum: [...RULE_CODES] }, severity: { type: 'string', enum: [...SEVERITIES] },
    archive: { ...str, description: 'the archive it applies to; absent or *: all' }, obis: { ...str, description: 'OBIS code or its first groups (1.0.1.8); absent: all' },
    params: { type: 'object', additionalProperties: { type: 'number' } },
  },
};
const settingsSchema = object({
  rules: { type: 'array', items: ruleSchema }, defaults: { type: 'boolean', description: 'true: no rules saved, these are the built-in ones' },
  linearMaxIntervals: { ...int, description: 'gaps of up to this many intervals are interpolated linearly, longer ones follow the weekday profile' },
  profileWeeks: { ...int, description: 'past weeks of the same weekday that make the profile' }, version: int,
});
const failure = object({
  deviceId: uuid, serialNumber: str, archive: str, obis: str, tariff: int, ts: time, code: str, severity: { type: 'string', enum: [...SEVERITIES] }, detail: str, validatedAt: time,
});
const reading = object({
  archive: str, obis: str, tariff: int, ts: time, value: { type: 'number' }, unit: str,
  status: { type: 'string', enum: ['measured', 'estimated', 'edited', 'confirmed'] }, method: { ...str, description: 'estimated: linear or profile; edited/confirmed: manual' },
  quality: { type: 'array', items: { type: 'string', enum: ['data-present', 'time-normal', 'estimated', 'edited'] }, description: 'quality flags of the value in force' },
  validation: { type: 'array', items: object({ code: str, severity: str }), description: 'validation failures in force' },
});
const version = object({
  kind: { type: 'string', enum: ['measured', 'estimated', 'edited', 'confirmed'] }, method: str, value: { type: 'number' }, unit: str,
  at: { ...time, description: 'measured: when collected; other versions: when made' }, user: { type: ['string', 'null'] }, reason: { type: ['string', 'null'] },
  inForce: { type: 'boolean' },
});
const selection = {
  groupId: { ...uuid, description: 'the devices of this group (default: every device of the project)' },
  deviceIds: { type: 'array', items: uuid, maxItems: 10_000, uniqueItems: true, description: 'these devices' },
};
const jobRange = { from: { ...time, description: 'from (UTC), inclusive' }, to: { ...time, description: `to (UTC), exclusive; at most ${MAX_JOB_DAYS} days after from` } };

export interface SelectedDevice {
  id: string;
  serialNumber: string;
  num: number;
}

/** Devices of the project, of a group or by id (ids of other projects are ignored), ordered by serial. */
export async function selectDevices(db: Db, projectId: string, s: { groupId?: string; deviceIds?: string[] }): Promise<SelectedDevice[]> {
  const r = await db.query<SelectedDevice>(
    `SELECT id, serial_number AS "serialNumber", num::float8 AS num FROM devices
     WHERE project_id = $1 AND ($2::uuid IS NULL OR group_id = $2) AND ($3::uuid[] IS NULL OR id = ANY($3::uuid[])) ORDER BY serial_number, id`,
    [projectId, s.groupId ?? null, s.deviceIds ?? null],
  );
  return r.rows.map((d) => ({ ...d, num: Number(d.num) }));
}

function jobSeconds(q: { from: string; to: string }): { fromSec: number; toSec: number } {
  const fromMs = Date.parse(q.from);
  const toMs = Date.parse(q.to);
  checkRange(fromMs, toMs);
  if (toMs - fromMs > MAX_JOB_DAYS * 86_400_000) throw new RegistryError('RANGE_TOO_LONG', `a job covers at most ${MAX_JOB_DAYS} days; body.to is too far from body.from`, 400, 'body.to');
  return { fromSec: Math.floor(fromMs / 1000), toSec: Math.ceil(toMs / 1000) };
}

const userOf = (req: FastifyRequest) => req.identity?.username ?? 'unknown';

export function veeRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const p = '/projects/:projectId';

  app.get(`${p}/vee/settings`, {
    config: { access: ['Read.HesConfig'] },
    schema: { tags: ['vee'], summary: 'The project\'s validation rules and estimation limits', params: projectParams, response: { 200: settingsSchema } },
  }, async (req) => veeSettings(db, projectIdOf(req)));

  app.put(`${p}/vee/settings`, {
    config: { access: ['Write.HesConfig'] },
    schema: {
      tags: ['vee'], summary: 'Saves validation rules (null: back to the built-in ones) and estimation limits; an unknown code or parameter is a 400 naming it',
      params: projectParams,
      body: {
        type: 'object', additionalProperties: false,
        properties: {
          rules: { type: ['array', 'null'], maxItems: 200, items: { type: 'object' } },
          linearMaxIntervals: { type: 'integer', minimum: 0, maximum: 96 }, profileWeeks: { type: 'integer', minimum: 1, maximum: 12 },
        },
      },
      response: { 200: settingsSchema },
    },
  }, async (req) => {
    const body = req.body as { rules?: unknown[] | null; linearMaxIntervals?: number; profileWeeks?: number };
    const rules: Rule[] | null | undefined = body.rules === undefined || body.rules === null ? body.rules : parseRules(body.rules);
    const saved = await saveVeeSettings(db, projectIdOf(req), { ...body, rules });
    await audit(req, 'general', 'SET_VEE_SETTINGS_UPDATE', { rules: saved.rules.length, defaults: saved.defaults }, projectIdOf(req));
    return saved;
  });

  app.get(`${p}/devices/:deviceId/vee/readings`, {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['vee'], summary: 'A device\'s readings as in force (measured, estimated, edited, confirmed) with their validation failures, oldest first',
      params: deviceParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { archive: { type: 'string', enum: MEASUREMENT_ARCHIVES }, obis: OBIS, from: { ...time, description: 'from (UTC), inclusive' }, to: { ...time, description: 'to (UTC), exclusive' }, ...paging(10_000, 1000) },
      },
      response: { 200: object({ items: { type: 'array', items: reading }, total: int, limit: int, offset: int }) },
    },
  }, async (req) => {
    const q = req.query as { archive?: string; obis?: string; from?: string; to?: string; limit: number; offset: number };
    checkRange(q.from ? Date.parse(q.from) : undefined, q.to ? Date.parse(q.to) : undefined);
    const num = await deviceNum(db, req);
    return { ...(await veeReadings(warehouse(app), num, q)), limit: q.limit, offset: q.offset };
  });

  const readingKey = { archive: { type: 'string', enum: MEASUREMENT_ARCHIVES }, obis: OBIS, tariff: { type: 'integer', minimum: 0, maximum: 255, default: 0 }, ts: { ...time, description: 'the reading\'s device time (UTC)' } };

  app.get(`${p}/devices/:deviceId/vee/history`, {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['vee'], summary: 'Every version of one reading (measured, estimates, edits, confirmations) with who, when and why; the one in force marked',
      params: deviceParams,
      querystring: { type: 'object', additionalProperties: false, required: ['archive', 'obis', 'ts'], properties: readingKey },
      response: { 200: object({ items: { type: 'array', items: version } }) },
    },
  }, async (req) => {
    const q = req.query as { archive: string; obis: string; tariff: number; ts: string };
    const num = await deviceNum(db, req);
    return { items: await readingHistory(warehouse(app), num, { ...q, ts: Math.floor(Date.parse(q.ts) / 1000) }) };
  });

  app.post(`${p}/devices/:deviceId/vee/edits`, {
    config: { access: ['Write.Datastore'] },
    schema: {
      tags: ['vee'],
      summary: 'Replaces a reading\'s value or confirms the measured one, with a reason: a new version (the original stays); audited',
      params: deviceParams,
      body: {
        type: 'object', additionalProperties: false, required: ['archive', 'obis', 'ts', 'action', 'reason'],
        properties: {
          ...readingKey, action: { type: 'string', enum: ['replace', 'confirm'] },
          value: { type: 'number', description: 'replace: the new value, in the reading\'s unit' }, unit: { ...str, maxLength: 20, description: 'replace, for a reading the meter never sent: its unit' },
          reason: { type: 'string', minLength: 3, maxLength: 500, pattern: '\\S', description: 'why (kept with the version)' },
        },
      },
      response: { 201: object({ items: { type: 'array', items: version } }) },
    },
  }, async (req, reply) => {
    const b = req.body as { archive: string; obis: string; tariff: number; ts: string; action: 'replace' | 'confirm'; value?: number; unit?: string; reason: string };
    const num = await deviceNum(db, req);
    const engine = warehouse(app);
    const key = { archive: b.archive, obis: b.obis, tariff: b.tariff, ts: Math.floor(Date.parse(b.ts) / 1000) };
    const measured = await measuredValue(engine, num, key);
    let value: number;
    let unit: string;
    if (b.action === 'confirm') {
      if (!measured) throw new RegistryError('NOT_FOUND', 'the meter sent no value for this reading: there is nothing to confirm', 404, 'body.ts');
      ({ value, unit } = measured);
    } else {
      if (b.value === undefined) throw new RegistryError('VALIDATION_ERROR', 'body.value is required to replace a value', 400, 'body.value');
      const u = measured?.unit ?? b.unit;
      if (!u) throw new RegistryError('VALIDATION_ERROR', 'body.unit is required for a reading the meter never sent', 400, 'body.unit');
      value = b.value;
      unit = u;
    }
    await addVersions(engine, num, [{ ...key, kind: b.action === 'confirm' ? 'confirmed' : 'edited', method: 'manual', value, unit, user: userOf(req), reason: b.reason }], app.clock());
    await audit(req, 'general', 'SET_VEE_READING_EDIT', { deviceId: (req.params as { deviceId: string }).deviceId, ...key, action: b.action, value, reason: b.reason }, projectIdOf(req));
    return reply.code(201).send({ items: await readingHistory(engine, num, key) });
  });

  app.post(`${p}/vee/estimate`, {
    config: { access: ['Write.Datastore'] },
    schema: {
      tags: ['vee'], summary: 'Estimates the missing intervals of a periodic archive over a range (linear for short gaps, weekday profile for long ones)',
      params: projectParams,
      body: { type: 'object', additionalProperties: false, required: ['archive', 'from', 'to'], properties: { archive: { type: 'string', pattern: '^profile-\\d+$' }, obis: OBIS, ...jobRange, ...selection } },
      response: { 200: object({ devices: int, estimates: int, linear: int, profile: int }) },
    },
  }, async (req) => {
    const b = req.body as { archive: string; obis?: string; from: string; to: string; groupId?: string; deviceIds?: string[] };
    if (!archivePeriod(b.archive)) throw new RegistryError('VALIDATION_ERROR', 'body.archive must be a periodic profile archive', 400, 'body.archive');
    const { fromSec, toSec } = jobSeconds(b);
    const settings = await veeSettings(db, projectIdOf(req));
    const devices = await selectDevices(db, projectIdOf(req), b);
    const counts = { devices: devices.length, estimates: 0, linear: 0, profile: 0 };
    for (const d of devices) {
      const made = await estimateRange(warehouse(app), d.num, b.archive, fromSec, toSec, {
        linearMax: settings.linearMaxIntervals, weeks: settings.profileWeeks, user: userOf(req), nowMs: app.clock(), ...(b.obis ? { obis: b.obis } : {}),
      });
      counts.estimates += made.length;
      for (const e of made) counts[e.method]++;
    }
    await audit(req, 'general', 'SET_VEE_ESTIMATE', { archive: b.archive, from: b.from, to: b.to, ...counts }, projectIdOf(req));
    return counts;
  });

  app.post(`${p}/vee/revalidate`, {
    config: { access: ['Write.Datastore'] },
    schema: {
      tags: ['vee'], summary: 'Re-validates the stored readings of a range with the project\'s rules; failures that no longer hold are cleared',
      params: projectParams,
      body: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { ...jobRange, ...selection } },
      response: { 200: object({ devices: int, readings: int, failures: int, cleared: int }) },
    },
  }, async (req) => {
    const b = req.body as { from: string; to: string; groupId?: string; deviceIds?: string[] };
    const { fromSec, toSec } = jobSeconds(b);
    const { rules } = await veeSettings(db, projectIdOf(req));
    const devices = await selectDevices(db, projectIdOf(req), b);
    const r = await revalidate(warehouse(app), devices.map((d) => d.num), fromSec, toSec, rules, app.clock());
    await audit(req, 'general', 'SET_VEE_REVALIDATE', { from: b.from, to: b.to, devices: devices.length, ...r }, projectIdOf(req));
    return { devices: devices.length, ...r };
  });

  app.get(`${p}/vee/failures`, {
    config: { access: ['Read.Datastore'] },
    schema: {
      tags: ['vee'], summary: 'Validation failures in force of the project\'s devices (of a group, of one device), newest first',
      params: projectParams,
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          groupId: uuid, deviceId: uuid, code: { type: 'string', enum: [...RULE_CODES] }, severity: { type: 'string', enum: [...SEVERITIES] },
          from: { ...time, description: 'readings from (UTC)' }, to: { ...time, description: 'readings before (UTC)' }, ...paging(10_000, 100),
        },
      },
      response: { 200: object({ items: { type: 'array', items: failure }, total: int, limit: int, offset: int }) },
    },
  }, async (req) => {
    const q = req.query as { groupId?: string; deviceId?: string; code?: string; severity?: string; from?: string; to?: string; limit: number; offset: number };
    checkRange(q.from ? Date.parse(q.from) : undefined, q.to ? Date.parse(q.to) : undefined);
    const devices = await selectDevices(db, projectIdOf(req), { ...(q.groupId ? { groupId: q.groupId } : {}), ...(q.deviceId ? { deviceIds: [q.deviceId] } : {}) });
    const byNum = new Map(devices.map((d) => [d.num, d]));
    const r = await validationFailures(warehouse(app), [...byNum.keys()], q);
    return {
      items: r.items.map(({ deviceNum, ...f }) => ({ deviceId: byNum.get(deviceNum)!.id, serialNumber: byNum.get(deviceNum)!.serialNumber, ...f })),
      total: r.total, limit: q.limit, offset: q.offset,
    };
  });
}
