/**
 * Collection and control (seed 003 §2.2.21–2.2.24, §3.3–3.4): scheduled tasks, one-off ("other") tasks,
 * launches with per-device results and exchange logs, device commands with history and second-user
 * approval of relay disconnects, and the project's control settings. Permissions follow seed 003 table 1:
 * tasks are Read for operators and Read/Write/Delete for administrators; relay and clock commands need
 * Execute.ESB.Device.Control (operators switch relays); tariff and limit commands also need
 * Write.DataCollection.Job (operators only view tariffs and limits).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RegistryError } from '../registry/errors.js';
import { COMMANDS, commandSchema, contentSchema, hasConfigureCommands, type TaskContent } from '../scheduler/content.js';
import { checkTimeZone, describeCron, normalizeSchedule, showTime, upcoming } from '../scheduler/schedule.js';
import * as tasks from '../scheduler/tasks.js';
import { audit, BODY_LIMITS, checkQueryRange, ifMatch, paging, projectIdOf, setEtag, uuid } from './http.js';
import { projectParams } from './crud-routes.js';
import { counted, download, noContent, ref } from './schemas.js';

const READ = ['Read.DataCollection.Job'];
const WRITE = ['Write.DataCollection.Job'];
const LAUNCH = ['Write.Scheduler.JobLaunches'];
const CONTROL = ['Execute.ESB.Device.Control'];

const object = (properties: Record<string, object>, required: string[] = [], extra: object = {}) =>
  ({ type: 'object', additionalProperties: false, properties, required, ...extra });
const params = (...names: string[]) => object(Object.fromEntries(['projectId', ...names].map((n) => [n, uuid])), ['projectId', ...names]);
const page = paging();
const ids = { type: 'array', items: uuid, maxItems: 100000, uniqueItems: true };

const taskProps = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  deviceIds: ids,
  groupIds: ids,
  content: contentSchema,
  schedule: { type: ['string', 'null'], maxLength: 200, description: 'cron (5 fields, project time zone) or e.g. "every day at 01:00"' },
  priority: { type: 'integer', minimum: 1, maximum: 999, description: 'higher runs first' },
  retries: { type: 'integer', minimum: 0, maximum: 100 },
  retryDelaySeconds: { type: 'integer', minimum: 0, maximum: 86400 },
  pollUntilSuccess: { type: 'boolean' },
};

const functionsOf = (kind: 'control' | 'configure') => Object.entries(COMMANDS).filter(([, k]) => k === kind).map(([f]) => f);

/**
 * Whoever writes a task that sends commands needs the permissions of the command routes too (relay and clock:
 * Control; tariffs and limits: also Write), or a role that may edit tasks but not switch relays could
 * switch them through a task.
 */
function checkCommandRights(req: FastifyRequest, content: TaskContent | undefined): void {
  if (!content?.commands?.length) return;
  const needed = hasConfigureCommands(content) ? [...CONTROL, ...WRITE] : CONTROL;
  const missing = needed.filter((p) => !req.identity!.permissions.has(p));
  if (missing.length) throw new RegistryError('FORBIDDEN', `permission required: ${missing.join(', ')} (the task sends commands to devices)`, 403);
}

function actor(req: FastifyRequest): tasks.Actor {
  const i = req.identity!;
  return { userId: i.userId, username: i.username, m2m: i.m2m };
}

export type OneOffInput = tasks.TaskInput & { source: string; templateTaskId?: string | null };

/**
 * A one-off task is created and launched at once, unless it waits for approval. The command routes and the
 * CIM EndDeviceControls (api/cim/) both go through here, so commands get the same rights check and approval.
 */
export async function startOneOff(req: FastifyRequest, projectId: string, input: OneOffInput): Promise<Record<string, unknown>> {
  const db = req.server.registry.db;
  checkCommandRights(req, input.content);
  const t = await tasks.createTask(db, projectId, { ...input, kind: 'one-off', priority: input.priority ?? 500 }, actor(req));
  await audit(req, 'general', 'SET_TASK_ADD', { id: t.id, name: t.name, source: input.source }, projectId);
  const launch = t.approval === 'awaiting' ? null : await tasks.runNow(db, projectId, String(t.id), actor(req), 'one-off');
  return { ...tasks.presentTask(t), launch };
}

export function collectionRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const p = '/projects/:projectId';
  const idOf = (req: FastifyRequest, name: string) => (req.params as Record<string, string>)[name];
  const tag = 'collection';

  app.get(`${p}/tasks`, {
    config: { access: READ },
    schema: { tags: [tag], summary: 'List collection/control tasks', params: projectParams, querystring: object(page), response: { 200: counted('Task', 'Newest first') } },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number };
    const r = await tasks.listTasks(db, projectIdOf(req), 'scheduled', q.limit, q.offset);
    return { ...r, items: r.items.map((t) => tasks.presentTask(t)), limit: q.limit, offset: q.offset };
  });

  app.post(`${p}/tasks`, {
    config: { access: WRITE }, bodyLimit: BODY_LIMITS.deviceLists,
    schema: { tags: [tag], summary: 'Create a task (devices and/or groups, what to collect, schedule, priority, retries)', params: projectParams, body: object(taskProps, ['name', 'content']), response: { 201: ref('Task') } },
  }, async (req, reply) => {
    checkCommandRights(req, (req.body as tasks.TaskInput).content);
    const t = await tasks.createTask(db, projectIdOf(req), { ...(req.body as tasks.TaskInput), kind: 'scheduled' }, actor(req));
    await audit(req, 'general', 'SET_TASK_ADD', { id: t.id, name: t.name }, projectIdOf(req));
    setEtag(reply, t);
    return reply.code(201).send(tasks.presentTask(t));
  });

  app.get(`${p}/tasks/:taskId`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'Get a task', params: params('taskId'), response: { 200: ref('Task') } },
  }, async (req, reply) => {
    const t = await tasks.getTask(db, projectIdOf(req), idOf(req, 'taskId'));
    setEtag(reply, t);
    return tasks.presentTask(t);
  });

  app.patch(`${p}/tasks/:taskId`, {
    config: { access: WRITE }, bodyLimit: BODY_LIMITS.deviceLists,
    schema: { tags: [tag], summary: 'Change a task (content changes reset a required approval)', params: params('taskId'), body: object(taskProps, [], { minProperties: 1 }), response: { 200: ref('Task') } },
  }, async (req, reply) => {
    checkCommandRights(req, (req.body as tasks.TaskInput).content);
    const t = await tasks.updateTask(db, projectIdOf(req), idOf(req, 'taskId'), req.body as tasks.TaskInput, ifMatch(req), Date.now());
    await audit(req, 'general', 'SET_TASK_UPDATE', { id: t.id, name: t.name }, projectIdOf(req));
    setEtag(reply, t);
    return tasks.presentTask(t);
  });

  app.delete(`${p}/tasks/:taskId`, {
    config: { access: ['Delete.DataCollection.Job'] }, schema: { tags: [tag], summary: 'Delete a task with its launches', params: params('taskId'), response: { 204: noContent } },
  }, async (req, reply) => {
    await tasks.deleteTask(db, projectIdOf(req), idOf(req, 'taskId'));
    await audit(req, 'general', 'SET_TASK_REMOVE', { id: idOf(req, 'taskId') }, projectIdOf(req));
    return reply.code(204).send();
  });

  app.post(`${p}/tasks/:taskId/copy`, {
    config: { access: WRITE },
    schema: { tags: [tag], summary: 'Create a task on the basis of this one (schedule off)', params: params('taskId'), body: object({ name: taskProps.name }), response: { 201: ref('Task', 'The new task') } },
  }, async (req, reply) => {
    checkCommandRights(req, tasks.presentTask(await tasks.getTask(db, projectIdOf(req), idOf(req, 'taskId'))).content as TaskContent);
    const t = await tasks.copyTask(db, projectIdOf(req), idOf(req, 'taskId'), (req.body as { name?: string }).name, actor(req));
    await audit(req, 'general', 'SET_TASK_ADD', { id: t.id, name: t.name, copyOf: idOf(req, 'taskId') }, projectIdOf(req));
    return reply.code(201).send(tasks.presentTask(t));
  });

  app.put(`${p}/tasks/:taskId/schedule`, {
    config: { access: WRITE },
    schema: { tags: [tag], summary: 'Enable or disable the schedule', params: params('taskId'), body: object({ enabled: { type: 'boolean' } }, ['enabled']), response: { 200: ref('Task') } },
  }, async (req) => {
    const enabled = (req.body as { enabled: boolean }).enabled;
    const t = await tasks.setSchedule(db, projectIdOf(req), idOf(req, 'taskId'), enabled, Date.now());
    await audit(req, 'general', 'SET_TASK_SCHEDULE', { id: t.id, enabled }, projectIdOf(req));
    return tasks.presentTask(t);
  });

  app.post(`${p}/tasks/:taskId/run`, {
    config: { access: LAUNCH }, schema: { tags: [tag], summary: 'Run the task now (one launch)', params: params('taskId'), response: { 202: ref('Launch', 'Queued (state pending)') } },
  }, async (req, reply) => {
    const l = await tasks.runNow(db, projectIdOf(req), idOf(req, 'taskId'), actor(req));
    await audit(req, 'general', 'SET_TASK_LAUNCH', { id: idOf(req, 'taskId'), launchId: l.id }, projectIdOf(req));
    return reply.code(202).send(l);
  });

  for (const [verb, approve] of [['approve', true], ['reject', false]] as const) {
    app.post(`${p}/tasks/:taskId/${verb}`, {
      config: { access: CONTROL },
      schema: { tags: [tag], summary: `${approve ? 'Approve' : 'Reject'} a task awaiting a second user's approval (relay disconnect)`, params: params('taskId'),
        response: { 200: ref('TaskRun', 'The task; an approved one-off task also carries the launch it started') },
      },
    }, async (req) => {
      const t = await tasks.decideApproval(db, projectIdOf(req), idOf(req, 'taskId'), approve, actor(req));
      await audit(req, 'general', approve ? 'SET_TASK_APPROVE' : 'SET_TASK_REJECT', { id: t.id }, projectIdOf(req));
      const { launch, ...task } = t;
      return { ...tasks.presentTask(task), ...(launch ? { launch } : {}) };
    });
  }

  app.get(`${p}/tasks/:taskId/launches`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'Launch history of a task', params: params('taskId'), querystring: object(page), response: { 200: counted('Launch', 'Newest first') } },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number };
    return { ...(await tasks.listLaunches(db, projectIdOf(req), idOf(req, 'taskId'), q.limit, q.offset)), limit: q.limit, offset: q.offset };
  });

  app.get(`${p}/launches/:launchId`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'A launch: start/stop, progress, exchange statistics, result', params: params('launchId'), response: { 200: ref('Launch') } },
  }, (req) => tasks.getLaunch(db, projectIdOf(req), idOf(req, 'launchId')));

  app.post(`${p}/launches/:launchId/cancel`, {
    config: { access: LAUNCH }, schema: { tags: [tag], summary: 'Cancel a launch (result "cancelled by user")', params: params('launchId'), response: { 200: ref('Launch') } },
  }, async (req) => {
    const l = await tasks.cancelLaunch(db, projectIdOf(req), idOf(req, 'launchId'), Date.now());
    await audit(req, 'general', 'SET_TASK_CANCEL', { id: l.taskId, launchId: l.id }, projectIdOf(req));
    return l;
  });

  app.get(`${p}/launches/:launchId/devices`, {
    config: { access: READ },
    schema: {
      tags: [tag], summary: 'Per-device results of a launch with notes', params: params('launchId'),
      querystring: object({ ...page, result: { type: 'string', enum: ['pending', 'absent', 'error', 'partial', 'success', 'cancelled'] } }),
      response: { 200: counted('LaunchDevice', 'By serial number') },
    },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number; result?: string };
    return { ...(await tasks.launchDevices(db, projectIdOf(req), idOf(req, 'launchId'), q.result, q.limit, q.offset)), limit: q.limit, offset: q.offset };
  });

  app.get(`${p}/launches/:launchId/devices/:deviceId/log`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'The exchange log of one device in a launch (text)', params: params('launchId', 'deviceId'),
      response: { 200: download('text/plain', 'The exchange log') },
    },
  }, async (req, reply) => {
    const log = await tasks.exchangeLog(db, projectIdOf(req), idOf(req, 'launchId'), idOf(req, 'deviceId'));
    return reply.type('text/plain; charset=utf-8').header('content-disposition', `attachment; filename="exchange-${idOf(req, 'deviceId')}.txt"`).send(log);
  });

  app.get(`${p}/other-tasks`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'One-off tasks ("other tasks") with initiator and last launch', params: projectParams, querystring: object(page),
      response: { 200: counted('Task', 'Newest first') },
    },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number };
    const r = await tasks.listTasks(db, projectIdOf(req), 'one-off', q.limit, q.offset);
    return { ...r, items: r.items.map((t) => tasks.presentTask(t)), limit: q.limit, offset: q.offset };
  });

  const oneOff = (req: FastifyRequest, input: OneOffInput) => startOneOff(req, projectIdOf(req), input);
  const stamp = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

  app.post(`${p}/other-tasks`, {
    config: { access: WRITE }, bodyLimit: BODY_LIMITS.deviceLists,
    schema: {
      tags: [tag], summary: 'Run a one-off task: from the device list or action builder (content) or from a template task', params: projectParams,
      body: object({
        name: taskProps.name, deviceIds: ids, groupIds: ids, content: contentSchema, templateTaskId: uuid,
        source: { type: 'string', enum: ['device-list', 'action-builder', 'template'] }, initiator: { type: 'string', enum: ['console', 'api', 'iec'] },
        priority: taskProps.priority,
      }, ['source'], { oneOf: [{ required: ['content'] }, { required: ['templateTaskId'] }] }),
      response: { 201: ref('TaskRun') },
    },
  }, async (req, reply) => {
    const b = req.body as tasks.TaskInput & { source: string; templateTaskId?: string };
    let content = b.content;
    if (b.templateTaskId) content = (await tasks.getTask(db, projectIdOf(req), b.templateTaskId)).content as TaskContent;
    const name = b.name ?? `${b.source === 'template' ? 'Template task' : b.source === 'action-builder' ? 'Action builder' : 'Device list'} ${stamp()}`;
    return reply.code(201).send(await oneOff(req, { ...b, name, content }));
  });

  for (const kind of ['control', 'configure'] as const) {
    app.post(`${p}/commands/${kind}`, {
      config: { access: kind === 'control' ? CONTROL : [...CONTROL, ...WRITE] }, bodyLimit: BODY_LIMITS.deviceLists,
      schema: {
        tags: [tag],
        summary: kind === 'control' ? 'Relay connect/disconnect/read, clock read/sync on devices (a one-off task)' : 'Tariff calendar, special days and limits read/write (a one-off task)',
        params: projectParams,
        body: object({
          deviceIds: { ...ids, minItems: 1 }, function: { type: 'string', enum: functionsOf(kind) }, params: commandSchema.properties.params,
          initiator: { type: 'string', enum: ['console', 'api', 'iec'] },
        }, ['deviceIds', 'function']),
        response: { 201: ref('TaskRun', 'The one-off task and its launch (null while awaiting approval)') },
      },
    }, async (req, reply) => {
      const b = req.body as { deviceIds: string[]; function: keyof typeof COMMANDS; params?: Record<string, unknown>; initiator?: tasks.TaskInput['initiator'] };
      const content: TaskContent = { commands: [{ function: b.function, ...(b.params ? { params: b.params } : {}) }] };
      return reply.code(201).send(await oneOff(req, { name: `${b.function} ${stamp()}`, deviceIds: b.deviceIds, content, source: 'command', initiator: b.initiator }));
    });
  }

  app.get(`${p}/devices/:deviceId/commands`, {
    config: { access: ['Read.Devices'] },
    schema: {
      tags: [tag], summary: 'Command history of a device', params: params('deviceId'),
      querystring: object({
        ...page, function: { type: 'string', enum: Object.keys(COMMANDS) }, state: { type: 'string', enum: ['running', 'done', 'error', 'cancelled'] },
        from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
      }),
      response: { 200: counted('DeviceCommand', 'Newest first') },
    },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number; function?: string; state?: string; from?: string; to?: string };
    checkQueryRange(q);
    return { ...(await tasks.commandHistory(db, projectIdOf(req), idOf(req, 'deviceId'), q)), limit: q.limit, offset: q.offset };
  });

  const settingsProps = {
    relayDisconnectApproval: { type: 'boolean' },
    clockMaxDriftSeconds: { type: 'integer', minimum: 1, maximum: 86400, description: 'clock sync refuses a larger drift unless forced' },
    clockMinDriftSeconds: { type: 'integer', minimum: 0, maximum: 86400, description: 'clock sync leaves a smaller drift alone (recorded, not written); below the maximum' },
    eventSeverities: {
      type: 'object', maxProperties: 1000, propertyNames: { minLength: 1, maxLength: 200 }, additionalProperties: { type: 'string', enum: ['critical', 'major', 'minor', 'info'] },
      description: 'severity of events by name (the code table\'s name, e.g. "terminal cover removed"), over the device profiles\' eventSeverities; the whole map is replaced',
    },
  };
  app.get(`${p}/control-settings`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'Control policy: relay disconnect approval, clock drift limits, event severities', params: projectParams, response: { 200: ref('ControlSettings') } },
  }, (req) => tasks.controlSettings(db, projectIdOf(req)));

  app.put(`${p}/control-settings`, {
    config: { access: ['Update.Projects'] },
    schema: { tags: [tag], summary: 'Change the control policy', params: projectParams, body: object(settingsProps, [], { minProperties: 1 }), response: { 200: ref('ControlSettings') } },
  }, async (req) => {
    const s = await tasks.saveControlSettings(db, projectIdOf(req), req.body as Partial<tasks.ControlSettings>);
    await audit(req, 'general', 'SET_CONTROL_SETTINGS_UPDATE', { ...s }, projectIdOf(req));
    return s;
  });

  app.post(`${p}/schedule-preview`, {
    config: { access: READ },
    schema: {
      tags: [tag], summary: 'Parse a schedule: cron, words, next firings in the project zone and UTC', params: projectParams,
      body: object({ schedule: { type: 'string', minLength: 1, maxLength: 200 }, count: { type: 'integer', minimum: 1, maximum: 50, default: 5 } }, ['schedule']),
      response: { 200: ref('SchedulePreview') },
    },
  }, async (req) => {
    const b = req.body as { schedule: string; count: number };
    const tz = (await db.query<{ tz: string }>('SELECT time_zone AS tz FROM projects WHERE id = $1', [projectIdOf(req)])).rows[0]?.tz;
    if (!tz) throw new RegistryError('NOT_FOUND', 'project not found', 404);
    checkTimeZone(tz);
    const cron = normalizeSchedule(b.schedule);
    return { cron, text: describeCron(cron), timeZone: tz, next: upcoming(cron, tz, Date.now(), b.count).map((t) => showTime(tz, t)) };
  });
}
