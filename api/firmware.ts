/**
 * Firmware updates (docs/firmware.md; seed 003 §2.2.15, §3.6): containers (upload as the request body,
 * list, download, delete while unused), per-device updates (add stopped, start, stop, progress, statistics,
 * history) and campaigns (waves, pause, resume, cancel, progress per wave). View/Read/Write/Delete.Firmware.
 * Bad input is refused before anything is stored or started, naming the field.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as fw from '../registry/firmware.js';
import { RegistryError } from '../registry/errors.js';
import { audit, paging, projectIdOf, uuid } from './http.js';
import { projectParams } from './crud-routes.js';
import { counted, download, noContent, ref } from './schemas.js';

const READ = ['Read.Firmware'];
const WRITE = ['Write.Firmware'];
const DELETE = ['Delete.Firmware'];
const tag = 'firmware';

const object = (properties: Record<string, object>, required: string[] = [], extra: object = {}) =>
  ({ type: 'object', additionalProperties: false, properties, required, ...extra });
const page = paging();
const hhmm = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' };
const deviceIds = { type: 'array', items: uuid, minItems: 1, maxItems: 100_000, uniqueItems: true };
const params = (name: string) => object({ projectId: uuid, [name]: uuid }, ['projectId', name]);

const settings = object({
  attempts: { type: 'integer', minimum: 1, maximum: 100, description: 'sessions an update may take before it ends in error (default 5)' },
  blockAttempts: { type: 'integer', minimum: 1, maximum: 20, description: 'times a block the meter refused is sent again in one session (default 3)' },
  forceClean: { type: 'boolean', description: 'initiate anew, dropping what the meter holds of an earlier transfer' },
  versionOnly: { type: 'boolean', description: 'only read the version: success when the meter runs the container\'s' },
  maxPdu: { type: 'integer', minimum: 64, maximum: 65535, description: 'largest message to the meter, bytes ("packet size", e.g. 128 for GSM modules); default: the negotiated PDU size' },
  activateAt: { type: 'string', format: 'date-time', description: 'transfer and verify now, activate at this time' },
});

const imageQuery = object({
  name: { type: 'string', minLength: 1, maxLength: 200, description: 'the file name' },
  vendor: { type: 'string', minLength: 1, maxLength: 100 },
  deviceTypes: { type: 'string', pattern: '^[A-Z0-9_]{1,50}(,[A-Z0-9_]{1,50})*$', description: 'comma-separated device types the image is for, e.g. CE308,CE208' },
  version: { type: 'string', minLength: 1, maxLength: 100, description: 'the version the meter reports once it runs the image' },
  imageIdentifier: { type: 'string', minLength: 1, maxLength: 512, description: 'image_identifier the meter expects: printable text, or 0x + hex' },
  signature: { type: 'string', pattern: '^([0-9a-fA-F]{2}){1,1024}$', description: 'hex' },
  size: { type: 'integer', minimum: 1, maximum: fw.MAX_IMAGE_BYTES, description: 'bytes sent: a body of another length is refused (a cut upload)' },
  sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the bytes sent: a body that hashes otherwise is refused' },
}, ['name', 'vendor', 'deviceTypes', 'version', 'imageIdentifier']);

const campaignBody = object({
  name: { type: 'string', minLength: 1, maxLength: 200 },
  imageId: uuid,
  deviceIds: { ...deviceIds, minItems: 0 },
  groupIds: { type: 'array', items: uuid, maxItems: 1000, uniqueItems: true },
  waves: {
    type: 'array', minItems: 1, maxItems: 20, description: 'wave sizes in order: a percentage of all the devices or a count; the last wave takes what is left',
    items: {
      oneOf: [
        object({ percent: { type: 'number', exclusiveMinimum: 0, maximum: 100 } }, ['percent']),
        object({ count: { type: 'integer', minimum: 1, maximum: 1_000_000 } }, ['count']),
      ],
    },
  },
  successThreshold: { type: 'number', minimum: 0, maximum: 1, description: 'share of a wave that must succeed before the next starts' },
  errorThreshold: { type: 'number', minimum: 0, maximum: 1, description: 'share of a wave in error above which the campaign stops by itself' },
  maxParallel: { type: 'integer', minimum: 1, maximum: 10000, description: 'transfers of the campaign at once (channel and segment limits apply as well)' },
  window: { ...object({ from: hhmm, to: hhmm }, ['from', 'to']), description: 'daily HH:MM–HH:MM in the project time zone when transfers start (over midnight when from > to)' },
  settings,
}, ['name', 'imageId', 'waves', 'successThreshold', 'errorThreshold', 'maxParallel']);

export function firmwareRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const p = '/projects/:projectId/firmware';
  const param = (req: FastifyRequest, name: string) => (req.params as Record<string, string>)[name]!;

  app.get(`${p}/images`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'List firmware containers', params: projectParams, querystring: object(page), response: { 200: counted('FirmwareImage', 'Newest first') } },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number };
    const r = await fw.listImages(db, projectIdOf(req), q.limit, q.offset);
    return { items: r.items.map(fw.presentImage), total: r.total, limit: q.limit, offset: q.offset };
  });

  app.post(`${p}/images`, {
    config: { access: WRITE }, bodyLimit: fw.MAX_IMAGE_BYTES + 1,
    schema: {
      tags: [tag], params: projectParams, querystring: imageQuery,
      summary: `Upload a firmware container: the image (at most ${fw.MAX_IMAGE_BYTES.toLocaleString('en')} bytes) as the body, application/octet-stream; what it is in the query. The same bytes again return the container that has them (200)`,
      response: { 200: ref('FirmwareImage', 'The project has these bytes already'), 201: ref('FirmwareImage', 'Stored') },
    },
  }, async (req, reply) => {
    if (!Buffer.isBuffer(req.body)) throw new RegistryError('UNSUPPORTED_MEDIA_TYPE', 'body: send the image as application/octet-stream', 415, 'body');
    const q = req.query as Omit<fw.ImageInput, 'deviceTypes'> & { deviceTypes: string };
    const r = await fw.addImage(db, projectIdOf(req), { ...q, deviceTypes: [...new Set(q.deviceTypes.split(','))] }, req.body, req.identity?.userId ?? null);
    if (r.created) await audit(req, 'general', 'SET_FIRMWARE_IMAGE_ADD', { id: r.image.id, name: r.image.name, sha256: r.image.sha256, version: r.image.version }, projectIdOf(req));
    return reply.code(r.created ? 201 : 200).send(fw.presentImage(r.image));
  });

  app.get(`${p}/images/:imageId`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'Get a firmware container', params: params('imageId'), response: { 200: ref('FirmwareImage') } },
  }, async (req) => fw.presentImage(await fw.getImage(db, projectIdOf(req), param(req, 'imageId'))));

  app.get(`${p}/images/:imageId/content`, {
    config: { access: READ },
    schema: { tags: [tag], summary: 'Download the image (X-Content-SHA256: its hash)', params: params('imageId'), response: { 200: download('application/octet-stream', 'The image') } },
  }, async (req, reply) => {
    const { image, content } = await fw.imageContent(db, projectIdOf(req), param(req, 'imageId'));
    const file = String(image.name).replace(/[^A-Za-z0-9._-]/g, '_');
    return reply.type('application/octet-stream').header('content-disposition', `attachment; filename="${file}"`).header('x-content-sha256', String(image.sha256)).send(content);
  });

  app.delete(`${p}/images/:imageId`, {
    config: { access: DELETE }, schema: { tags: [tag], summary: 'Delete a firmware container no update or campaign uses (409 IN_USE otherwise)', params: params('imageId'), response: { 204: noContent } },
  }, async (req, reply) => {
    await fw.deleteImage(db, projectIdOf(req), param(req, 'imageId'));
    await audit(req, 'general', 'SET_FIRMWARE_IMAGE_REMOVE', { id: param(req, 'imageId') }, projectIdOf(req));
    return reply.code(204).send();
  });

  app.get(`${p}/updates`, {
    config: { access: READ },
    schema: {
      tags: [tag], summary: 'Firmware updates of devices (current and finished)', params: projectParams,
      querystring: object({ ...page, state: { type: 'string', enum: ['stopped', 'running', 'waiting-collection', 'success', 'error'] }, deviceId: uuid, campaignId: uuid }),
      response: { 200: counted('FirmwareUpdate', 'Newest first') },
    },
  }, async (req) => {
    const q = req.query as fw.UpdateFilter & { limit: number; offset: number };
    return { ...(await fw.listUpdates(db, projectIdOf(req), q, q.limit, q.offset)), limit: q.limit, offset: q.offset };
  });

  app.post(`${p}/updates`, {
    config: { access: WRITE },
    schema: {
      tags: [tag], summary: 'Add devices to firmware updating (state stopped: start them with POST …/updates/start). Every device must be of a type the container is for and have Image Transfer',
      params: projectParams, body: object({ imageId: uuid, deviceIds, settings }, ['imageId', 'deviceIds']),
      response: { 201: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('FirmwareUpdate') } } } },
    },
  }, async (req, reply) => {
    const b = req.body as { imageId: string; deviceIds: string[]; settings?: fw.UpdateSettings };
    const items = await fw.addUpdates(db, projectIdOf(req), b.imageId, b.deviceIds, b.settings ?? {}, req.identity?.userId ?? null);
    await audit(req, 'general', 'SET_FIRMWARE_UPDATE_ADD', { imageId: b.imageId, devices: items.length }, projectIdOf(req));
    return reply.code(201).send({ items });
  });

  for (const op of ['start', 'stop'] as const) {
    app.post(`${p}/updates/${op}`, {
      config: { access: WRITE },
      schema: {
        tags: [tag], params: projectParams, body: object({ ids: { ...deviceIds, description: 'update ids' } }, ['ids']),
        summary: op === 'start' ? 'Start updates (stopped or in error: attempts count from zero; a transfer goes on from what the meter holds)' : 'Stop updates (a running transfer is cut; starting again resumes it)',
        response: { 200: { type: 'object', required: ['changed'], properties: { changed: { type: 'array', items: uuid, description: 'the updates whose state changed' } } } },
      },
    }, async (req) => {
      const changed = await fw.setUpdatesRunning(db, projectIdOf(req), (req.body as { ids: string[] }).ids, op === 'start');
      await audit(req, 'general', op === 'start' ? 'SET_FIRMWARE_UPDATE_START' : 'SET_FIRMWARE_UPDATE_STOP', { updates: changed.length }, projectIdOf(req));
      return { changed };
    });
  }

  app.get(`${p}/updates/statistics`, {
    config: { access: READ },
    schema: { tags: [tag], summary: 'Counts by state and transfer sums of the project\'s updates (or one campaign\'s)', params: projectParams, querystring: object({ campaignId: uuid }), response: { 200: ref('FirmwareStatistics') } },
  }, async (req) => fw.updateStatistics(db, projectIdOf(req), (req.query as { campaignId?: string }).campaignId));

  app.get(`${p}/updates/:updateId`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'Get a firmware update with its progress and statistics', params: params('updateId'), response: { 200: ref('FirmwareUpdate') } },
  }, async (req) => fw.getUpdate(db, projectIdOf(req), param(req, 'updateId')));

  app.delete(`${p}/updates/:updateId`, {
    config: { access: DELETE }, schema: { tags: [tag], summary: 'Delete a firmware update that is not running (with its history)', params: params('updateId'), response: { 204: noContent } },
  }, async (req, reply) => {
    await fw.deleteUpdate(db, projectIdOf(req), param(req, 'updateId'));
    await audit(req, 'general', 'SET_FIRMWARE_UPDATE_REMOVE', { id: param(req, 'updateId') }, projectIdOf(req));
    return reply.code(204).send();
  });

  app.get(`${p}/history`, {
    config: { access: READ },
    schema: {
      tags: [tag], summary: 'Update history: every state and action change, newest first', params: projectParams,
      querystring: object({ ...page, updateId: uuid, deviceId: uuid }), response: { 200: counted('FirmwareUpdateEvent') },
    },
  }, async (req) => {
    const q = req.query as { updateId?: string; deviceId?: string; limit: number; offset: number };
    return { ...(await fw.updateHistory(db, projectIdOf(req), q, q.limit, q.offset)), limit: q.limit, offset: q.offset };
  });

  app.get(`${p}/campaigns`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'List firmware campaigns', params: projectParams, querystring: object(page), response: { 200: counted('FirmwareCampaign', 'Newest first') } },
  }, async (req) => {
    const q = req.query as { limit: number; offset: number };
    return { ...(await fw.listCampaigns(db, projectIdOf(req), q.limit, q.offset)), limit: q.limit, offset: q.offset };
  });

  app.post(`${p}/campaigns`, {
    config: { access: WRITE },
    schema: {
      tags: [tag], params: projectParams, body: campaignBody, response: { 201: ref('FirmwareCampaign') },
      summary: 'Start a campaign: one container to devices and groups in waves. Every device is checked (type, Image Transfer) before anything starts',
    },
  }, async (req, reply) => {
    const c = await fw.createCampaign(db, projectIdOf(req), req.body as fw.CampaignInput, req.identity?.userId ?? null);
    await audit(req, 'general', 'SET_FIRMWARE_CAMPAIGN_ADD', { id: c.id, name: c.name, imageId: c.imageId, devices: (c.progress as { total: number }).total }, projectIdOf(req));
    return reply.code(201).send(c);
  });

  app.get(`${p}/campaigns/:campaignId`, {
    config: { access: READ }, schema: { tags: [tag], summary: 'Get a campaign with its progress per wave', params: params('campaignId'), response: { 200: ref('FirmwareCampaign') } },
  }, async (req) => fw.getCampaign(db, projectIdOf(req), param(req, 'campaignId')));

  const codes = { pause: 'SET_FIRMWARE_CAMPAIGN_PAUSE', resume: 'SET_FIRMWARE_CAMPAIGN_RESUME', cancel: 'SET_FIRMWARE_CAMPAIGN_CANCEL' } as const;
  const summaries = {
    pause: 'Pause a campaign: no transfer starts, running ones are cut (they resume from what the meters hold)',
    resume: 'Resume a paused campaign',
    cancel: 'Cancel a campaign: its unfinished updates stop',
  };
  for (const op of ['pause', 'resume', 'cancel'] as const) {
    app.post(`${p}/campaigns/:campaignId/${op}`, {
      config: { access: WRITE }, schema: { tags: [tag], summary: summaries[op], params: params('campaignId'), response: { 200: ref('FirmwareCampaign') } },
    }, async (req) => {
      const c = await fw.controlCampaign(db, projectIdOf(req), param(req, 'campaignId'), op);
      await audit(req, 'general', codes[op], { id: c.id, name: c.name }, projectIdOf(req));
      return c;
    });
  }
}
