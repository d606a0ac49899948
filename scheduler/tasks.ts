/**
 * Collection tasks, launches and command history in the registry: what the API reads and changes. The
 * scheduler (scheduler.ts) executes what is stored here; nothing here talks to devices.
 */
import { Conditions, pageSql, type Db, type Row } from '../registry/db.js';
import { RegistryError, fromPgError } from '../registry/errors.js';
import { describeCron, nextFire, normalizeSchedule, showTime, upcoming } from './schedule.js';
import { needsApproval, type TaskContent } from './content.js';
import type { Severity } from '../decoders/protocol-decoder.js';

export interface Actor {
  userId: string;
  username: string;
  m2m: boolean;
}

export interface TaskInput {
  name?: string;
  deviceIds?: string[];
  groupIds?: string[];
  content?: TaskContent;
  schedule?: string | null;
  priority?: number;
  retries?: number;
  retryDelaySeconds?: number;
  pollUntilSuccess?: boolean;
  initiator?: 'console' | 'api' | 'iec';
}

const iso = (ms: number) => new Date(ms).toISOString();

const TASK_COLUMNS = `t.id, t.project_id AS "projectId", t.name, t.kind, t.device_ids AS "deviceIds", t.group_ids AS "groupIds", t.content,
  t.schedule_cron AS "cron", t.schedule_enabled AS "scheduleEnabled", t.schedule_enabled_at AS "scheduleEnabledAt",
  t.schedule_disabled_at AS "scheduleDisabledAt", t.next_fire_at AS "nextFireAt", t.priority, t.retries,
  t.retry_delay_seconds AS "retryDelaySeconds", t.poll_until_success AS "pollUntilSuccess", t.initiator, t.source,
  t.template_task_id AS "templateTaskId", t.approval, t.approved_by AS "approvedBy", t.approved_at AS "approvedAt",
  t.created_by AS "createdBy", t.created_at AS "createdAt", t.version, p.time_zone AS "timeZone",
  (SELECT row_to_json(x) FROM (
     SELECT l.id, l.state, l.result, l.started_at AS "startedAt", l.finished_at AS "finishedAt"
     FROM task_launches l WHERE l.task_id = t.id ORDER BY l.created_at DESC LIMIT 1) x) AS "lastLaunch"`;

/** The API's view of a task: the schedule in cron, in words, and its next firing in the project's zone and UTC. */
export function presentTask(row: Row, now = Date.now()): Row {
  const { cron, timeZone, scheduleEnabled, scheduleEnabledAt, scheduleDisabledAt, nextFireAt, ...rest } = row;
  const content = typeof rest.content === 'string' ? JSON.parse(rest.content) : rest.content;
  let schedule: Row | null = null;
  if (typeof cron === 'string') {
    const tz = String(timeZone);
    const next = nextFireAt ? new Date(nextFireAt as string).getTime() : upcoming(cron, tz, now, 1)[0];
    schedule = {
      cron, text: describeCron(cron), timeZone: tz, enabled: scheduleEnabled, enabledAt: scheduleEnabledAt, disabledAt: scheduleDisabledAt,
      nextFire: next === undefined ? null : showTime(tz, next),
    };
  }
  return { ...rest, content, schedule };
}

export interface ControlSettings {
  relayDisconnectApproval: boolean;
  clockMaxDriftSeconds: number;
  clockMinDriftSeconds: number;
  /** Severities of events by name (critical, major, minor, info), over the device profiles' eventSeverities. */
  eventSeverities: Record<string, Severity>;
  version: number;
}

export const DEFAULT_CONTROL_SETTINGS: ControlSettings = { relayDisconnectApproval: false, clockMaxDriftSeconds: 300, clockMinDriftSeconds: 5, eventSeverities: {}, version: 0 };

export async function controlSettings(db: Db, projectId: string): Promise<ControlSettings> {
  const r = await db.query<ControlSettings>(
    `SELECT relay_disconnect_approval AS "relayDisconnectApproval", clock_max_drift_seconds AS "clockMaxDriftSeconds",
            clock_min_drift_seconds AS "clockMinDriftSeconds", event_severities AS "eventSeverities", version
     FROM control_settings WHERE project_id = $1`,
    [projectId],
  );
  return r.rows[0] ?? DEFAULT_CONTROL_SETTINGS;
}

/** Changes the settings given; the minimum clock drift must stay below the maximum. */
export async function saveControlSettings(db: Db, projectId: string, s: Partial<Omit<ControlSettings, 'version'>>): Promise<ControlSettings> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`control-settings:${projectId}`]);
    const merged = { ...(await controlSettings(tx, projectId)), ...s };
    if (merged.clockMinDriftSeconds >= merged.clockMaxDriftSeconds) {
      const field = s.clockMinDriftSeconds !== undefined ? 'body.clockMinDriftSeconds' : 'body.clockMaxDriftSeconds';
      throw new RegistryError('VALIDATION_ERROR', `clockMinDriftSeconds (${merged.clockMinDriftSeconds}) must be below clockMaxDriftSeconds (${merged.clockMaxDriftSeconds})`, 400, field);
    }
    await tx.query(
      `INSERT INTO control_settings (project_id, relay_disconnect_approval, clock_max_drift_seconds, clock_min_drift_seconds, event_severities) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (project_id) DO UPDATE SET relay_disconnect_approval = EXCLUDED.relay_disconnect_approval,
         clock_max_drift_seconds = EXCLUDED.clock_max_drift_seconds, clock_min_drift_seconds = EXCLUDED.clock_min_drift_seconds,
         event_severities = EXCLUDED.event_severities, version = control_settings.version + 1`,
      [projectId, merged.relayDisconnectApproval, merged.clockMaxDriftSeconds, merged.clockMinDriftSeconds, JSON.stringify(merged.eventSeverities)],
    );
    return controlSettings(tx, projectId);
  });
}

async function checkTargets(db: Db, projectId: string, deviceIds: string[], groupIds: string[]): Promise<void> {
  const d = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM devices WHERE project_id = $1 AND id = ANY($2::uuid[])', [projectId, deviceIds]);
  if (d.rows[0].n !== new Set(deviceIds).size) throw new RegistryError('REFERENCE_NOT_FOUND', 'every device must belong to this project', 400, 'body.deviceIds');
  const g = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM device_groups WHERE project_id = $1 AND id = ANY($2::uuid[])', [projectId, groupIds]);
  if (g.rows[0].n !== new Set(groupIds).size) throw new RegistryError('REFERENCE_NOT_FOUND', 'every group must belong to this project', 400, 'body.groupIds');
}

async function timeZoneOf(db: Db, projectId: string): Promise<string> {
  const r = await db.query<{ tz: string }>('SELECT time_zone AS tz FROM projects WHERE id = $1', [projectId]);
  return r.rows[0]?.tz ?? 'UTC';
}

export async function getTask(db: Db, projectId: string, id: string): Promise<Row> {
  const r = await db.query(`SELECT ${TASK_COLUMNS} FROM collection_tasks t JOIN projects p ON p.id = t.project_id WHERE t.id = $1 AND t.project_id = $2`, [id, projectId]);
  if (!r.rows.length) throw new RegistryError('NOT_FOUND', 'task not found', 404);
  return r.rows[0];
}

export async function listTasks(db: Db, projectId: string, kind: 'scheduled' | 'one-off', limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  const r = await db.query(
    `SELECT ${TASK_COLUMNS} FROM collection_tasks t JOIN projects p ON p.id = t.project_id WHERE t.project_id = $1 AND t.kind = $2
     ORDER BY t.created_at DESC, t.id LIMIT $3 OFFSET $4`,
    [projectId, kind, limit, offset],
  );
  const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM collection_tasks WHERE project_id = $1 AND kind = $2', [projectId, kind]);
  return { items: r.rows, total: n.rows[0].n };
}

export async function createTask(
  db: Db, projectId: string, input: TaskInput & { kind: 'scheduled' | 'one-off'; source?: string; templateTaskId?: string | null }, actor: Actor,
): Promise<Row> {
  const deviceIds = input.deviceIds ?? [], groupIds = input.groupIds ?? [];
  if (!deviceIds.length && !groupIds.length) throw new RegistryError('VALIDATION_ERROR', 'choose devices and/or groups', 400, 'body.deviceIds');
  await checkTargets(db, projectId, deviceIds, groupIds);
  const cron = input.schedule ? normalizeSchedule(input.schedule) : null;
  const settings = await controlSettings(db, projectId);
  const approval = needsApproval(input.content ?? {}, settings.relayDisconnectApproval) ? 'awaiting' : 'not-required';
  try {
    const r = await db.query<{ id: string }>(
      `INSERT INTO collection_tasks (project_id, name, kind, device_ids, group_ids, content, schedule_cron, priority, retries, retry_delay_seconds,
         poll_until_success, initiator, source, template_task_id, approval, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
      [
        projectId, input.name, input.kind, deviceIds, groupIds, JSON.stringify(input.content ?? {}), cron, input.priority ?? 1, input.retries ?? 0,
        input.retryDelaySeconds ?? 180, input.pollUntilSuccess ?? false, input.initiator ?? (actor.m2m ? 'api' : 'console'),
        input.source ?? 'tasks', input.templateTaskId ?? null, approval, actor.userId,
      ],
    );
    return getTask(db, projectId, r.rows[0].id);
  } catch (e) {
    throw fromPgError(e);
  }
}

/** Changing what a task does resets its approval; changing the schedule recomputes the next firing. */
export async function updateTask(db: Db, projectId: string, id: string, patch: TaskInput, version: number | undefined, nowMs: number): Promise<Row> {
  return db.transaction(async (tx) => {
    const cur = await getTask(tx, projectId, id);
    if (version !== undefined && cur.version !== version) throw new RegistryError('VERSION_CONFLICT', 'task was changed by someone else; reload it and retry', 412, 'headers.if-match');
    const deviceIds = patch.deviceIds ?? (cur.deviceIds as string[]), groupIds = patch.groupIds ?? (cur.groupIds as string[]);
    if (!deviceIds.length && !groupIds.length) throw new RegistryError('VALIDATION_ERROR', 'choose devices and/or groups', 400, 'body.deviceIds');
    await checkTargets(tx, projectId, deviceIds, groupIds);
    const cron = patch.schedule === undefined ? (cur.cron as string | null) : patch.schedule ? normalizeSchedule(patch.schedule) : null;
    const content = patch.content ?? (cur.content as TaskContent);
    const settings = await controlSettings(tx, projectId);
    const changedWhat = patch.content !== undefined || patch.deviceIds !== undefined || patch.groupIds !== undefined;
    const approval = needsApproval(content, settings.relayDisconnectApproval) ? (changedWhat ? 'awaiting' : cur.approval) : 'not-required';
    const enabled = Boolean(cur.scheduleEnabled) && cron !== null;
    const next = enabled ? nextFire(cron!, String(cur.timeZone), nowMs) : undefined;
    await tx.query(
      `UPDATE collection_tasks SET name = $3, device_ids = $4, group_ids = $5, content = $6, schedule_cron = $7, priority = $8, retries = $9,
         retry_delay_seconds = $10, poll_until_success = $11, approval = $12, schedule_enabled = $13, next_fire_at = $14::timestamptz,
         approved_by = CASE WHEN $12 = 'awaiting' THEN NULL ELSE approved_by END, version = version + 1
       WHERE id = $1 AND project_id = $2`,
      [
        id, projectId, patch.name ?? cur.name, deviceIds, groupIds, JSON.stringify(content), cron, patch.priority ?? cur.priority,
        patch.retries ?? cur.retries, patch.retryDelaySeconds ?? cur.retryDelaySeconds, patch.pollUntilSuccess ?? cur.pollUntilSuccess,
        approval, enabled, next === undefined ? null : iso(next),
      ],
    );
    return getTask(tx, projectId, id);
  });
}

export async function deleteTask(db: Db, projectId: string, id: string): Promise<void> {
  const r = await db.query('DELETE FROM collection_tasks WHERE id = $1 AND project_id = $2', [id, projectId]);
  if (!r.rowCount) throw new RegistryError('NOT_FOUND', 'task not found', 404);
}

/** "Create a task on the basis of an existing one": everything copied, the schedule off, a new name. */
export async function copyTask(db: Db, projectId: string, id: string, name: string | undefined, actor: Actor): Promise<Row> {
  const src = await getTask(db, projectId, id);
  return createTask(db, projectId, {
    kind: 'scheduled', name: name ?? `${String(src.name).slice(0, 190)} (copy)`, deviceIds: src.deviceIds as string[], groupIds: src.groupIds as string[],
    content: src.content as TaskContent, schedule: src.cron as string | null, priority: src.priority as number, retries: src.retries as number,
    retryDelaySeconds: src.retryDelaySeconds as number, pollUntilSuccess: src.pollUntilSuccess as boolean, initiator: src.initiator as TaskInput['initiator'],
  }, actor);
}

function requireApproved(task: Row): void {
  if (task.approval === 'awaiting') throw new RegistryError('APPROVAL_REQUIRED', 'a relay disconnect in this project needs a second user\'s approval first', 409);
  if (task.approval === 'rejected') throw new RegistryError('APPROVAL_REJECTED', 'the approval of this task was rejected', 409);
}

export async function setSchedule(db: Db, projectId: string, id: string, enabled: boolean, nowMs: number): Promise<Row> {
  const task = await getTask(db, projectId, id);
  if (enabled) {
    if (!task.cron) throw new RegistryError('NO_SCHEDULE', 'the task has no schedule', 409, 'body.schedule');
    requireApproved(task);
    const tz = await timeZoneOf(db, projectId);
    const next = nextFire(String(task.cron), tz, nowMs);
    await db.query(
      `UPDATE collection_tasks SET schedule_enabled = true, schedule_enabled_at = $3::timestamptz, next_fire_at = $4::timestamptz, version = version + 1
       WHERE id = $1 AND project_id = $2`,
      [id, projectId, iso(nowMs), next === undefined ? null : iso(next)],
    );
  } else {
    await db.query(
      `UPDATE collection_tasks SET schedule_enabled = false, schedule_disabled_at = $3::timestamptz, next_fire_at = NULL, version = version + 1
       WHERE id = $1 AND project_id = $2`,
      [id, projectId, iso(nowMs)],
    );
  }
  return getTask(db, projectId, id);
}

/** "Run now": a manual launch, queued for the scheduler. */
export async function runNow(db: Db, projectId: string, id: string, actor: Actor | null, trigger: 'manual' | 'one-off' = 'manual'): Promise<Row> {
  const task = await getTask(db, projectId, id);
  requireApproved(task);
  const r = await db.query<{ id: string }>(
    `INSERT INTO task_launches (project_id, task_id, trigger, priority, user_id, username) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [projectId, id, trigger, task.priority, actor?.userId ?? null, actor?.username ?? null],
  );
  return getLaunch(db, projectId, r.rows[0].id);
}

/** Second-user approval of a task that disconnects relays; an approved one-off task is launched at once. */
export async function decideApproval(db: Db, projectId: string, id: string, approve: boolean, actor: Actor): Promise<Row> {
  const task = await getTask(db, projectId, id);
  if (task.approval !== 'awaiting') throw new RegistryError('NOT_AWAITING_APPROVAL', `the task is ${String(task.approval)}, not awaiting approval`, 409);
  if (task.createdBy === actor.userId) throw new RegistryError('SAME_USER', 'the approver must be a different user than the one who created the task', 403);
  await db.query(
    `UPDATE collection_tasks SET approval = $3, approved_by = $4, approved_at = now(), version = version + 1 WHERE id = $1 AND project_id = $2 AND approval = 'awaiting'`,
    [id, projectId, approve ? 'approved' : 'rejected', actor.userId],
  );
  const out = await getTask(db, projectId, id);
  if (approve && out.kind === 'one-off') {
    const creator = await db.query<{ username: string }>('SELECT username FROM users WHERE id = $1', [out.createdBy]);
    return { ...out, launch: await runNow(db, projectId, id, { userId: String(out.createdBy), username: creator.rows[0]?.username ?? '', m2m: false }, 'one-off') };
  }
  return out;
}

const LAUNCH_COLUMNS = `l.id, l.task_id AS "taskId", t.name AS "taskName", t.kind AS "taskKind", t.initiator, l.scheduled_at AS "scheduledAt",
  l.trigger, l.source_launch_id AS "sourceLaunchId", l.priority, l.user_id AS "userId", l.username, l.state, l.result, l.cancel_requested AS "cancelRequested",
  l.created_at AS "createdAt", l.started_at AS "startedAt", l.finished_at AS "finishedAt", l.claimed_by AS "claimedBy",
  s.total, s.success, s.partial, s.error, s.absent, s.cancelled, s.done`;
const LAUNCH_STATS = `LEFT JOIN LATERAL (
  SELECT count(*)::int AS total, (count(*) FILTER (WHERE d.result = 'success'))::int AS success,
         (count(*) FILTER (WHERE d.result = 'partial'))::int AS partial, (count(*) FILTER (WHERE d.result = 'error'))::int AS error,
         (count(*) FILTER (WHERE d.result = 'absent'))::int AS absent, (count(*) FILTER (WHERE d.result = 'cancelled'))::int AS cancelled,
         (count(*) FILTER (WHERE d.result <> 'pending'))::int AS done
  FROM launch_devices d WHERE d.launch_id = l.id) s ON true`;

/** A launch with its exchange statistics and progress (seed 003 §2.2.23). */
export function presentLaunch(row: Row): Row {
  const { total, success, partial, error, absent, cancelled, done, ...rest } = row as Record<string, number>;
  const progress = (rest as Row).state === 'finished' ? 100 : total ? Math.floor((100 * done) / total) : 0;
  return { ...rest, progress, statistics: { total, success, partial, error, absent, cancelled } };
}

export async function getLaunch(db: Db, projectId: string, id: string): Promise<Row> {
  const r = await db.query(`SELECT ${LAUNCH_COLUMNS} FROM task_launches l JOIN collection_tasks t ON t.id = l.task_id ${LAUNCH_STATS} WHERE l.id = $1 AND l.project_id = $2`, [id, projectId]);
  if (!r.rows.length) throw new RegistryError('NOT_FOUND', 'launch not found', 404);
  return presentLaunch(r.rows[0]);
}

export async function listLaunches(db: Db, projectId: string, taskId: string, limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  await getTask(db, projectId, taskId);
  const r = await db.query(
    `SELECT ${LAUNCH_COLUMNS} FROM task_launches l JOIN collection_tasks t ON t.id = l.task_id ${LAUNCH_STATS}
     WHERE l.task_id = $1 AND l.project_id = $2 ORDER BY l.created_at DESC, l.id LIMIT $3 OFFSET $4`,
    [taskId, projectId, limit, offset],
  );
  const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM task_launches WHERE task_id = $1', [taskId]);
  return { items: r.rows.map(presentLaunch), total: n.rows[0].n };
}

/** Cancels a launch: a pending one ends at once, a running one at its scheduler's next heartbeat. */
export async function cancelLaunch(db: Db, projectId: string, id: string, nowMs: number): Promise<Row> {
  const l = await getLaunch(db, projectId, id);
  if (l.state === 'finished') throw new RegistryError('LAUNCH_FINISHED', 'the launch has already finished', 409);
  await db.query(
    `UPDATE task_launches SET state = 'finished', result = 'cancelled-by-user', finished_at = $3::timestamptz WHERE id = $1 AND project_id = $2 AND state = 'pending'`,
    [id, projectId, iso(nowMs)],
  );
  await db.query(`UPDATE task_launches SET cancel_requested = 'user' WHERE id = $1 AND project_id = $2 AND state = 'running' AND cancel_requested IS NULL`, [id, projectId]);
  return getLaunch(db, projectId, id);
}

export async function launchDevices(db: Db, projectId: string, id: string, result: string | undefined, limit: number, offset: number): Promise<{ items: Row[]; total: number }> {
  await getLaunch(db, projectId, id);
  const params: unknown[] = [id];
  let where = 'ld.launch_id = $1';
  if (result) {
    params.push(result);
    where += ' AND ld.result = $2';
  }
  const pageParams = [...params];
  const r = await db.query(
    `SELECT ld.device_id AS "deviceId", d.serial_number AS "serialNumber", d.type, ld.result, ld.note, ld.attempts, ld.comm_line_id AS "commLineId",
            ld.started_at AS "startedAt", ld.finished_at AS "finishedAt"
     FROM launch_devices ld JOIN devices d ON d.id = ld.device_id WHERE ${where} ORDER BY d.serial_number ${pageSql(pageParams, limit, offset)}`,
    pageParams,
  );
  const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM launch_devices ld WHERE ${where}`, params);
  return { items: r.rows, total: n.rows[0].n };
}

export async function exchangeLog(db: Db, projectId: string, launchId: string, deviceId: string): Promise<string> {
  const r = await db.query<{ log: string }>(
    `SELECT ld.exchange_log AS log FROM launch_devices ld JOIN task_launches l ON l.id = ld.launch_id WHERE ld.launch_id = $1 AND ld.device_id = $2 AND l.project_id = $3`,
    [launchId, deviceId, projectId],
  );
  if (!r.rows.length) throw new RegistryError('NOT_FOUND', 'no result for this device in this launch', 404);
  return r.rows[0].log;
}

export async function commandHistory(
  db: Db, projectId: string, deviceId: string, q: { function?: string; state?: string; from?: string; to?: string; limit: number; offset: number },
): Promise<{ items: Row[]; total: number }> {
  const device = await db.query('SELECT 1 FROM devices WHERE project_id = $1 AND id = $2', [projectId, deviceId]);
  if (!device.rows.length) throw new RegistryError('NOT_FOUND', 'device not found', 404);
  const c = new Conditions({ 'c.project_id = ?': projectId, 'c.device_id = ?': deviceId });
  if (q.function) c.add('c.function = ?', q.function);
  if (q.state) c.add('c.state = ?', q.state);
  if (q.from) c.add('c.started_at >= ?::timestamptz', q.from);
  if (q.to) c.add('c.started_at < ?::timestamptz', q.to);
  const pageParams = [...c.params];
  const r = await db.query(
    `SELECT c.id, c.function, c.username, c.started_at AS "startedAt", c.finished_at AS "finishedAt", c.launch_type AS "launchType", c.state,
            c.params, c.result, c.note, c.launch_id AS "launchId"
     FROM device_commands c WHERE ${c.sql} ORDER BY c.started_at DESC, c.id ${pageSql(pageParams, q.limit, q.offset)}`,
    pageParams,
  );
  const n = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM device_commands c WHERE ${c.sql}`, c.params);
  return { items: r.rows, total: n.rows[0].n };
}
