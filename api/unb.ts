/**
 * UNB (docs/unb.md): base stations (host-level, seed 003 §2.2.19 — permissions View/Read/Write/Delete.UnbBS.BS),
 * their access tokens (shown once), the serial numbers heard that no comm line names, downlink tasks per
 * device and per station, and the station service's endpoint `POST /api/UnbBS/v1/messages` (registered outside
 * /api/v1: the path stations are configured with; the station signs in with its identifier and token).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseStationMessage, StationMessageError } from '../ingest/unb/message.js';
import type { UnbStationService } from '../ingest/unb/service.js';
import { recordEvent } from '../registry/events.js';
import { listUnknownUnbDevices, UnbDownlinks, UnbStations, type DownlinkKind } from '../registry/unb.js';
import { controlSettings } from '../scheduler/tasks.js';
import { audit, paging, projectIdOf, sendError } from './http.js';
import { projectParams } from './crud-routes.js';
import { counted, ref } from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The UNB station service of this process; absent when the API runs without the data plane. */
    unb: (() => UnbStationService | undefined) | undefined;
  }
}

const uuid = { type: 'string', format: 'uuid' } as const;
const stationParams = { type: 'object', required: ['stationId'], properties: { stationId: uuid } } as const;
const identifier = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: "the identifier the station reports in its exchanges (e.g. 9121)" } as const;
const tzOffsetMinutes = { type: 'integer', minimum: -720, maximum: 840, description: 'the time zone the station works in, minutes east of UTC (UTC+3 = 180)' } as const;
const note = { type: 'string', maxLength: 1000 } as const;
const DOWNLINK_KINDS: DownlinkKind[] = ['relay-connect', 'relay-disconnect', 'time-correction'];

export function unbRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const stations = new UnbStations(db);
  const downlinks = new UnbDownlinks(db);
  const base = '/unb/base-stations';

  app.get(base, {
    config: { access: ['View.UnbBS.BS'] },
    schema: { tags: ['UNB'], summary: 'Base stations, by identifier, with their status (online: heard in the last 60 s)', querystring: { type: 'object', additionalProperties: false, properties: paging() }, response: { 200: counted('UnbBaseStation') } },
  }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    return { ...(await stations.list(limit, offset)), limit, offset };
  });

  app.post(base, {
    config: { access: ['Write.UnbBS.BS'] },
    schema: {
      tags: ['UNB'], summary: 'Adds a base station (then issue its token: POST …/token)',
      body: { type: 'object', additionalProperties: false, required: ['identifier', 'tzOffsetMinutes'], properties: { identifier, tzOffsetMinutes, note } },
      response: { 201: ref('UnbBaseStation') },
    },
  }, async (req, reply) => {
    const s = await stations.create(req.body as { identifier: string; tzOffsetMinutes: number; note?: string });
    await audit(req, 'general', 'SET_UNB_STATION_ADD', { stationId: s.id, identifier: s.identifier });
    return reply.code(201).send(s);
  });

  app.get(`${base}/:stationId`, {
    config: { access: ['Read.UnbBS.BS'] },
    schema: { tags: ['UNB'], summary: 'A base station: settings and what it reported (firmware, position, last activity)', params: stationParams, response: { 200: ref('UnbBaseStation') } },
  }, async (req) => stations.get((req.params as { stationId: string }).stationId));

  app.patch(`${base}/:stationId`, {
    config: { access: ['Write.UnbBS.BS'] },
    schema: {
      tags: ['UNB'], summary: "Changes a base station's identifier, time zone or note", params: stationParams,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { identifier, tzOffsetMinutes, note } }, response: { 200: ref('UnbBaseStation') },
    },
  }, async (req) => {
    const s = await stations.update((req.params as { stationId: string }).stationId, req.body as { identifier?: string; tzOffsetMinutes?: number; note?: string });
    await audit(req, 'general', 'SET_UNB_STATION_UPDATE', { stationId: s.id, identifier: s.identifier, changed: Object.keys(req.body as object) });
    return s;
  });

  app.post(`${base}/:stationId/token`, {
    config: { access: ['Write.UnbBS.BS'] },
    schema: {
      tags: ['UNB'], summary: "Issues the station's access token (the previous one stops working). Shown only in this answer: enter it in the station's HTTP settings",
      params: stationParams,
      response: { 200: { type: 'object', required: ['station', 'token'], properties: { station: ref('UnbBaseStation'), token: { type: 'string', description: 'the access token; the HES keeps only its hash' } } } },
    },
  }, async (req) => {
    const r = await stations.issueToken((req.params as { stationId: string }).stationId);
    await audit(req, 'general', 'SET_UNB_STATION_TOKEN', { stationId: r.station.id, identifier: r.station.identifier });
    return r;
  });

  app.post(`${base}/delete`, {
    config: { access: ['Delete.UnbBS.BS'] },
    schema: {
      tags: ['UNB'], summary: 'Deletes base stations (the group operation of the list)',
      body: { type: 'object', additionalProperties: false, required: ['ids'], properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, uniqueItems: true, items: uuid } } },
      response: { 200: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'array', items: { type: 'string' }, description: 'identifiers of the stations deleted' } } } },
    },
  }, async (req) => {
    const deleted = await stations.remove((req.body as { ids: string[] }).ids);
    for (const identifier of deleted) await audit(req, 'general', 'SET_UNB_STATION_REMOVE', { identifier });
    return { deleted };
  });

  app.delete(`${base}/:stationId`, {
    config: { access: ['Delete.UnbBS.BS'] },
    schema: { tags: ['UNB'], summary: 'Deletes a base station', params: stationParams, response: { 204: { type: 'null', description: 'deleted' } } },
  }, async (req, reply) => {
    const { stationId } = req.params as { stationId: string };
    const [identifier] = await stations.remove([stationId]);
    if (!identifier) return sendError(reply, 404, 'NOT_FOUND', `no base station ${stationId}`, 'params.stationId');
    await audit(req, 'general', 'SET_UNB_STATION_REMOVE', { stationId, identifier });
    return reply.code(204).send();
  });

  app.get(`${base}/:stationId/downlink-tasks`, {
    config: { access: ['Read.UnbBS.BS'] },
    schema: {
      tags: ['UNB'], summary: 'Downlink tasks offered to or fetched by the station, newest first', params: stationParams,
      querystring: { type: 'object', additionalProperties: false, properties: paging() }, response: { 200: counted('UnbDownlinkTask') },
    },
  }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    const { stationId } = req.params as { stationId: string };
    await stations.get(stationId);
    return { ...(await downlinks.list({ stationId }, limit, offset)), limit, offset };
  });

  app.get('/unb/unknown-devices', {
    config: { access: ['Read.UnbBS.BS'] },
    schema: {
      tags: ['UNB'], summary: 'Serial numbers the stations heard in the last day that no UNB comm line names, most recently heard first (never stored as readings)',
      querystring: { type: 'object', additionalProperties: false, properties: paging() }, response: { 200: counted('UnbUnknownDevice') },
    },
  }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    return { ...(await listUnknownUnbDevices(db, limit, offset)), limit, offset };
  });

  const deviceParams = { type: 'object', required: ['projectId', 'deviceId'], properties: { ...projectParams.properties, deviceId: uuid } } as const;
  app.get('/projects/:projectId/devices/:deviceId/downlink-tasks', {
    config: { access: ['Read.Devices'] },
    schema: {
      tags: ['UNB'], summary: "A UNB device's downlink tasks, newest first", params: deviceParams,
      querystring: { type: 'object', additionalProperties: false, properties: paging() }, response: { 200: counted('UnbDownlinkTask') },
    },
  }, async (req) => {
    const { limit, offset } = req.query as { limit: number; offset: number };
    return { ...(await downlinks.list({ projectId: projectIdOf(req), deviceId: (req.params as { deviceId: string }).deviceId }, limit, offset)), limit, offset };
  });

  app.post('/projects/:projectId/devices/:deviceId/downlink-tasks', {
    config: { access: ['Execute.ESB.Device.Control'] },
    schema: {
      tags: ['UNB'],
      summary: 'Queues a downlink task for a UNB meter: relay connect/disconnect or a time correction. With relay-disconnect approval on (control settings), a disconnect must go through a task (POST tasks with command relay-disconnect) to be approved',
      params: deviceParams,
      body: {
        type: 'object', additionalProperties: false, required: ['kind'],
        properties: {
          kind: { type: 'string', enum: DOWNLINK_KINDS },
          shiftSeconds: { type: 'integer', minimum: -86_400, maximum: 86_400, not: { const: 0 }, description: 'time-correction: seconds to add to the meter clock' },
        },
      },
      response: { 201: ref('UnbDownlinkTask') },
    },
  }, async (req, reply) => {
    const projectId = projectIdOf(req);
    const { deviceId } = req.params as { deviceId: string };
    const body = req.body as { kind: DownlinkKind; shiftSeconds?: number };
    if (body.kind === 'time-correction' && body.shiftSeconds === undefined) return sendError(reply, 400, 'VALIDATION_ERROR', 'a time correction needs shiftSeconds', 'body.shiftSeconds');
    if (body.kind !== 'time-correction' && body.shiftSeconds !== undefined) return sendError(reply, 400, 'VALIDATION_ERROR', 'shiftSeconds is for time-correction', 'body.shiftSeconds');
    if (body.kind === 'relay-disconnect' && (await controlSettings(db, projectId)).relayDisconnectApproval) {
      return sendError(reply, 422, 'APPROVAL_REQUIRED', 'relay disconnects need approval in this project: create a task with the relay-disconnect command (POST tasks); once approved it queues the downlink', 'body.kind');
    }
    const t = await downlinks.create({
      projectId, deviceId, kind: body.kind, params: body.shiftSeconds === undefined ? {} : { shiftSeconds: body.shiftSeconds }, userId: req.identity?.userId, username: req.identity?.username,
    });
    await audit(req, 'general', 'SET_UNB_DOWNLINK_ADD', { taskId: t.id, deviceId, kind: t.kind }, projectId);
    return reply.code(201).send(t);
  });

  app.post('/projects/:projectId/devices/:deviceId/downlink-tasks/:taskId/cancel', {
    config: { access: ['Execute.ESB.Device.Control'] },
    schema: {
      tags: ['UNB'], summary: 'Cancels a queued downlink task (409 once a station fetched it)',
      params: { type: 'object', required: ['projectId', 'deviceId', 'taskId'], properties: { ...deviceParams.properties, taskId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
      response: { 200: ref('UnbDownlinkTask') },
    },
  }, async (req, reply) => {
    const projectId = projectIdOf(req);
    const { taskId, deviceId } = req.params as { taskId: number; deviceId: string };
    const cur = await downlinks.get(projectId, taskId);
    if (cur.deviceId !== deviceId) return sendError(reply, 404, 'NOT_FOUND', `no downlink task ${taskId} of device ${deviceId}`, 'params.taskId');
    const t = await downlinks.cancel(projectId, taskId, req.identity?.username ?? null);
    await audit(req, 'general', 'SET_UNB_DOWNLINK_CANCEL', { taskId, deviceId }, projectId);
    return t;
  });

  app.delete('/projects/:projectId/devices/:deviceId/downlink-tasks/:taskId', {
    config: { access: ['Execute.ESB.Device.Control'] },
    schema: {
      tags: ['UNB'], summary: 'Deletes a finished downlink task (success, error, cancelled) from the list; 409 while it is queued or sent',
      params: { type: 'object', required: ['projectId', 'deviceId', 'taskId'], properties: { ...deviceParams.properties, taskId: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } } },
      response: { 204: { type: 'null', description: 'deleted' } },
    },
  }, async (req, reply) => {
    const projectId = projectIdOf(req);
    const { taskId, deviceId } = req.params as { taskId: number; deviceId: string };
    if ((await downlinks.get(projectId, taskId)).deviceId !== deviceId) return sendError(reply, 404, 'NOT_FOUND', `no downlink task ${taskId} of device ${deviceId}`, 'params.taskId');
    await downlinks.remove(projectId, taskId);
    await audit(req, 'general', 'SET_UNB_DOWNLINK_REMOVE', { taskId, deviceId }, projectId);
    return reply.code(204).send();
  });
}

/** The station service's endpoint, outside /api/v1 (stations are configured with this path, seed 003 appendix 5). */
export function unbStationRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const stations = new UnbStations(db);
  const refuse = async (req: FastifyRequest, identifier: string, reason: string) => {
    await recordEvent(db, { category: 'security', code: 'SSET_UNB_STATION_AUTH_FAILED', level: 'warning', ip: req.ip, params: { identifier, reason } });
  };
  app.post('/api/UnbBS/v1/messages', {
    // The station signs in with its own token (Authorization: Bearer), checked here against the station's identifier.
    config: { access: 'public' }, bodyLimit: 4 * 1024 * 1024,
    schema: {
      tags: ['UNB'], security: [{ bearer: [] }],
      summary: 'Base-station exchange, version 1 (docs/unb.md): received packets, downlink results and status in; the downlink tasks for the station out. Authorization: Bearer <the station token>',
      body: { $ref: 'UnbStationMessage#' },
      response: { 200: ref('UnbExchangeAnswer'), 401: ref('Error', 'Unknown station identifier or wrong token (a security event)'), 503: ref('Error', 'The station service does not run in this process') },
    },
    // Field-by-field checks name the field (packets[3].data) the way a station's log can show it; the schema documents.
    attachValidation: true,
  }, async (req, reply) => {
    const body = req.body as { stationId?: unknown } | null;
    const identifier = typeof body?.stationId === 'string' ? body.stationId : '';
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    const station = identifier && token ? await stations.authenticate(identifier, token) : null;
    if (!station) {
      await refuse(req, identifier.slice(0, 64), !identifier ? 'no stationId' : !token ? 'no token' : 'unknown identifier or wrong token');
      return sendError(reply, 401, 'UNAUTHENTICATED', 'unknown base station or wrong token: send Authorization: Bearer <the token the HES issued> and your stationId');
    }
    let message;
    try {
      message = parseStationMessage(req.body, station.tzOffsetMinutes);
    } catch (e) {
      if (e instanceof StationMessageError) return sendError(reply, 400, 'VALIDATION_ERROR', e.message, e.field);
      throw e;
    }
    const service = app.unb?.();
    if (!service) return sendError(reply, 503, 'UNB_SERVICE_NOT_RUNNING', 'the UNB station service does not run in this process (hes start runs it in processes with the unb and api roles)');
    return service.exchange(station, message);
  });
}
