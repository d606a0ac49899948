/**
 * `create MeterReadSchedules` / `get MeterReadSchedules` (IEC 61968-9) mapped onto our scheduled collection
 * tasks (scheduler/tasks.ts, the same rows as `POST /projects/{id}/tasks`): a schedule's ReadingTypes → the
 * archives the catalogue files them under (the task reads whole archives), its EndDevices → the task's
 * devices (one task per project), its TimeSchedule recurrence → the task's schedule (cron in the project's
 * time zone), enabled at once. The schedule's mRID is the task id. Bad items get one Error each naming the
 * element; the others are still created (PARTIAL).
 */
import type { FastifyRequest } from 'fastify';
import type { Row } from '../../registry/db.js';
import { RegistryError } from '../../registry/errors.js';
import { readingsOfType, READING_TYPES } from '../../schemas/cim/reading-types.js';
import type { MeasurementItem, TaskContent } from '../../scheduler/content.js';
import { normalizeSchedule } from '../../scheduler/schedule.js';
import * as tasks from '../../scheduler/tasks.js';
import { audit } from '../http.js';
import { CODES, CimFault, many, text, type CimMessage, type Plain, type Reply, type ReplyError } from './envelope.js';
import { meterRefs, resolveMeters, UUID } from './meters.js';

const MAX_SCHEDULES = 100;
const MAX_DEVICES = 10_000;

/** TimeSchedule/recurrencePeriod in seconds → cron: whole minutes dividing an hour, whole hours dividing a day, a day. */
export function cronOfPeriod(seconds: number): string | undefined {
  if (!Number.isInteger(seconds) || seconds <= 0) return undefined;
  if (seconds % 60 === 0 && seconds < 3600 && 60 % (seconds / 60) === 0) return `*/${seconds / 60} * * * *`;
  if (seconds === 3600) return '0 * * * *';
  if (seconds % 3600 === 0 && seconds < 86_400 && 24 % (seconds / 3600) === 0) return `0 */${seconds / 3600} * * *`;
  if (seconds === 86_400) return '0 0 * * *';
  return undefined;
}

const error = (code: string, reason: string, xpath: string, objectType: string, value: string): ReplyError =>
  ({ code, level: 'WARNING', reason, xpath, ID: { kind: UUID.test(value) ? 'uuid' : 'name', objectType, value } });

export async function createMeterReadSchedules(req: FastifyRequest, msg: CimMessage): Promise<{ reply: Reply; payload?: Plain; status: number }> {
  const at = `/${msg.wrapper}/Payload/MeterReadSchedules`;
  const schedules = many((msg.payload.MeterReadSchedules as Plain | undefined)?.MeterReadSchedule);
  if (!schedules.length) throw new CimFault(CODES.malformed, 'Payload names no MeterReadSchedules/MeterReadSchedule', `${at}/MeterReadSchedule`);
  if (schedules.length > MAX_SCHEDULES) throw new CimFault(CODES.tooMany, `at most ${MAX_SCHEDULES} MeterReadSchedules per request`, `${at}/MeterReadSchedule`);
  const { db } = req.server.registry;
  const i = req.identity!;
  const actor = { userId: i.userId, username: i.username, m2m: i.m2m };
  const errors: ReplyError[] = [];
  const created: Row[] = [];
  for (const [n, s] of schedules.entries()) {
    const here = `${at}/MeterReadSchedule[${n + 1}]`;
    const schedule = (typeof s === 'object' && s ? s : {}) as Plain;
    const label = many(schedule.Names).map((x) => text((x as Plain)?.name ?? x)).find(Boolean) ?? text(schedule.mRID) ?? `MeterReadSchedule ${n + 1}`;
    const before = errors.length;

    const archives = new Set<MeasurementItem['archive']>();
    const types = many(schedule.ReadingType).map((t) => (typeof t === 'object' && t ? text((t as Plain).ref) ?? text((t as Plain).mRID) : text(t)) ?? '');
    if (!types.length) errors.push(error(CODES.malformed, `MeterReadSchedule "${label}" names no ReadingType`, `${here}/ReadingType`, 'MeterReadSchedule', label));
    for (const [j, code] of types.entries()) {
      const row = readingsOfType(code);
      if (row) archives.add(row.archive as MeasurementItem['archive']);
      else errors.push(error(CODES.invalidValue, `ReadingType "${code}" is not in the reading-type catalogue`, `${here}/ReadingType[${j + 1}]`, 'ReadingType', code));
    }

    const time = (schedule.TimeSchedule ?? {}) as Plain;
    const pattern = text(time.recurrencePattern);
    const period = text(time.recurrencePeriod);
    let cron: string | undefined;
    if (pattern) {
      try {
        cron = normalizeSchedule(pattern);
      } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        errors.push(error(CODES.invalidValue, `recurrencePattern "${pattern}": ${e.message}`, `${here}/TimeSchedule/recurrencePattern`, 'MeterReadSchedule', label));
      }
    } else if (period) {
      cron = cronOfPeriod(Number(period));
      if (!cron) errors.push(error(CODES.invalidValue, `recurrencePeriod "${period}" s is not a whole number of minutes dividing an hour, hours dividing a day, or a day`, `${here}/TimeSchedule/recurrencePeriod`, 'MeterReadSchedule', label));
    } else {
      errors.push(error(CODES.malformed, 'TimeSchedule needs a recurrencePattern (cron or e.g. "every day at 01:00") or a recurrencePeriod (seconds)', `${here}/TimeSchedule`, 'MeterReadSchedule', label));
    }

    const refs = meterRefs(schedule.EndDevice ?? schedule.EndDevices, (j) => `${here}/EndDevice[${j + 1}]`);
    if (!refs.length) errors.push(error(CODES.malformed, `MeterReadSchedule "${label}" names no EndDevice`, `${here}/EndDevice`, 'MeterReadSchedule', label));
    if (refs.length > MAX_DEVICES) throw new CimFault(CODES.tooMany, `at most ${MAX_DEVICES} EndDevices per MeterReadSchedule`, `${here}/EndDevice`);
    // A schedule with any bad reading type or recurrence is not created (it would collect something else than asked).
    if (errors.length > before || !cron) continue;
    const { matches, errors: unknown } = await resolveMeters(db, i.userId, refs);
    errors.push(...unknown);
    const byProject = new Map<string, Set<string>>();
    for (const d of matches.flat()) byProject.set(d.projectId, (byProject.get(d.projectId) ?? new Set()).add(d.id));
    for (const [projectId, set] of byProject) {
      const content: TaskContent = { measurements: [...archives].map((archive) => ({ archive })) };
      try {
        const task = await tasks.createTask(db, projectId, { kind: 'scheduled', name: label.slice(0, 200), deviceIds: [...set], content, schedule: cron, initiator: 'iec' }, actor);
        await tasks.setSchedule(db, projectId, String(task.id), true, Date.now());
        await audit(req, 'general', 'SET_TASK_ADD', { id: task.id, name: task.name, source: 'iec' }, projectId);
        created.push(task);
      } catch (e) {
        // What the task API would refuse (answered there as a 4xx) is this item's Error here.
        if (!(e instanceof RegistryError)) throw e;
        errors.push(error(CODES.invalidValue, e.message, here, 'MeterReadSchedule', label));
      }
    }
  }
  if (!created.length) return { reply: { Result: 'FAILED', Error: errors }, status: errors.every((e) => e.code === CODES.notFound) ? 404 : 400 };
  const rows = await schedulesOf(req, created.map((t) => String(t.id)));
  return {
    reply: { Result: errors.length ? 'PARTIAL' : 'OK', ...(errors.length ? { Error: errors } : {}), ID: rows.map((r) => ({ kind: 'uuid' as const, objectType: 'MeterReadSchedule', value: String(r.id) })) },
    payload: { MeterReadSchedules: { MeterReadSchedule: rows.map(present) } }, status: 200,
  };
}

/**
 * `get MeterReadSchedules`: by mRID (task id), or — none named — every scheduled task of the caller's projects
 * created through the CIM interface (initiator iec).
 */
export async function getMeterReadSchedules(req: FastifyRequest, msg: CimMessage): Promise<{ reply: Reply; payload?: Plain; status: number }> {
  const q = (msg.request.GetMeterReadSchedules ?? msg.request) as Plain;
  const at = `/${msg.wrapper}/Request${msg.request.GetMeterReadSchedules ? '/GetMeterReadSchedules' : ''}/MeterReadSchedule`;
  const wanted = many(q.MeterReadSchedule).map((s, n) => ({ id: (typeof s === 'object' && s ? text((s as Plain).mRID) : text(s)) ?? '', xpath: `${at}[${n + 1}]` }));
  if (wanted.length > MAX_SCHEDULES) throw new CimFault(CODES.tooMany, `at most ${MAX_SCHEDULES} MeterReadSchedules per request`, at);
  const rows = await schedulesOf(req, wanted.length ? wanted.map((w) => w.id).filter((id) => UUID.test(id)) : undefined);
  const found = new Set(rows.map((r) => String(r.id)));
  const errors = wanted.filter((w) => !found.has(w.id.toLowerCase()))
    .map((w) => error(CODES.notFound, `MeterReadSchedule "${w.id}" is not a scheduled task of your projects`, w.xpath, 'MeterReadSchedule', w.id));
  if (wanted.length && !rows.length) return { reply: { Result: 'FAILED', Error: errors }, status: 404 };
  return {
    reply: { Result: errors.length ? 'PARTIAL' : 'OK', ...(errors.length ? { Error: errors } : {}) },
    payload: { MeterReadSchedules: { MeterReadSchedule: rows.map(present) } }, status: 200,
  };
}

/** Scheduled tasks of the caller's projects: these ids, or all of initiator iec. */
async function schedulesOf(req: FastifyRequest, ids: string[] | undefined): Promise<Row[]> {
  const r = await req.server.registry.db.query(
    `SELECT t.id::text AS id, t.name, t.device_ids AS "deviceIds", t.group_ids AS "groupIds", t.content, t.schedule_cron AS cron,
            t.schedule_enabled AS enabled, t.next_fire_at AS "nextFireAt", p.time_zone AS "timeZone"
     FROM collection_tasks t JOIN projects p ON p.id = t.project_id JOIN project_members m ON m.project_id = t.project_id AND m.user_id = $1
     WHERE t.kind = 'scheduled' AND ${ids ? 't.id = ANY($2::uuid[])' : "t.initiator = 'iec'"} ORDER BY t.created_at, t.id LIMIT 1000`,
    ids ? [req.identity!.userId, ids] : [req.identity!.userId],
  );
  return r.rows;
}

/** A task as a MeterReadSchedule: the reading types of its archives (the catalogue's), devices, groups, recurrence. */
function present(t: Row): Plain {
  const content = (typeof t.content === 'string' ? JSON.parse(t.content) : t.content) as TaskContent;
  const archives = new Set((content.measurements ?? []).map((m) => m.archive as string));
  return {
    mRID: t.id, Names: [{ name: t.name }],
    ReadingType: READING_TYPES.filter((r) => archives.has(r.archive)).map((r) => ({ ref: r.code })),
    EndDevice: (t.deviceIds as string[]).map((mRID) => ({ mRID })),
    ...((t.groupIds as string[]).length ? { EndDeviceGroup: (t.groupIds as string[]).map((mRID) => ({ mRID })) } : {}),
    TimeSchedule: t.cron ? { recurrencePattern: t.cron } : {},
    // The cron runs in the project's time zone; the next firing in UTC.
    status: { value: t.enabled ? 'enabled' : 'disabled', reason: `time zone ${String(t.timeZone)}${t.nextFireAt ? `, next ${new Date(t.nextFireAt as string).toISOString()}` : ''}` },
  };
}
