/** The project-owned resources: groups, devices, channels, protocols, comm lines, security keys, AMR agents. */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import * as crud from '../registry/crud.js';
import type { Row } from '../registry/db.js';
import { hashPassword } from '../registry/crypto.js';
import { RegistryError } from '../registry/errors.js';
import {
  amrAgentSpec, channelSpec, commLineSpec, deviceSpec, groupSpec, protocolSpec, securityKeySpec,
} from '../registry/specs.js';
import {
  CHANNEL_KINDS, CHANNEL_SETTINGS, DEVICE_STATUSES, DEVICE_SOURCES, DEVICE_TYPES, KEY_KINDS, PROTOCOL_KINDS, PROTOCOL_SETTINGS,
} from '../registry/settings.js';
import { ProtocolStore, checkCommLine, createDevice, deleteGroup, saveChannel, saveGroup, sealSecurityKey } from '../registry/project-data.js';
import { registerCrud } from './crud-routes.js';
import { projectIdOf, uuid } from './http.js';

const name = { type: 'string', minLength: 1, maxLength: 100 };
const text = { type: 'string', maxLength: 1000 };
const bool = { type: 'boolean' };
const vrwd = (area: string) => ({ read: [`Read.${area}`], write: [`Write.${area}`], delete: [`Delete.${area}`] });

const object = (properties: Record<string, object>, required: string[] = [], extra: object = {}) =>
  ({ type: 'object', additionalProperties: false, properties, required, ...extra });
const optional = (schema: { properties: Record<string, object> }) => ({ ...schema, required: [], minProperties: 1 });

/** Settings typed by kind: `if kind = X then settings must match X's schema`. */
function byKind(kinds: readonly string[], schemas: Record<string, object>, required: boolean) {
  return kinds.map((k) => ({
    if: { properties: { kind: { const: k } }, required: ['kind'] },
    then: { properties: { settings: schemas[k] }, ...(required ? { required: ['settings'] } : {}) },
  }));
}

export function resourceRoutes(app: FastifyInstance): void {
  const { db, box } = app.registry;

  const group = object({ name, description: text, isDefault: bool }, ['name']);
  registerCrud(app, {
    path: 'groups', idParam: 'groupId', spec: groupSpec, item: 'Group', tag: 'groups', perms: vrwd('Devices'),
    create: group, patch: optional(group), filters: { name: { type: 'string' }, isDefault: bool },
    events: { category: 'general', add: 'SET_DEVICE_GROUP_ADD', update: 'SET_DEVICE_GROUP_UPDATE', remove: 'SET_DEVICE_GROUP_REMOVE' },
    hooks: {
      create: (req, body) => saveGroup(db, projectIdOf(req), null, body),
      update: (req, id, body, version) => saveGroup(db, projectIdOf(req), id, body, version),
      remove: (req, id, version) => deleteGroup(db, projectIdOf(req), id, version),
    },
  });

  const device = object({
    serialNumber: name, type: { type: 'string', enum: DEVICE_TYPES }, status: { type: 'string', enum: DEVICE_STATUSES },
    enabled: bool, groupId: uuid,
  }, ['serialNumber', 'type']);
  registerCrud(app, {
    path: 'devices', idParam: 'deviceId', spec: deviceSpec, item: 'Device', tag: 'devices', perms: vrwd('Devices'),
    create: device, patch: optional(device),
    filters: {
      serialNumber: { type: 'string', description: 'prefix' }, type: { type: 'string', enum: DEVICE_TYPES },
      status: { type: 'string', enum: DEVICE_STATUSES }, source: { type: 'string', enum: DEVICE_SOURCES }, enabled: bool, groupId: uuid,
    },
    events: { category: 'general', add: 'SET_DEVICE_ADD', update: 'SET_DEVICE_UPDATE', remove: 'SET_DEVICE_REMOVE' },
    hooks: { create: (req, body) => createDevice(db, projectIdOf(req), body) },
  });

  const channelProps = { name, kind: { type: 'string', enum: CHANNEL_KINDS }, exclusive: bool, settings: { type: 'object' } };
  registerCrud(app, {
    path: 'channels', idParam: 'channelId', spec: channelSpec, item: 'Channel', tag: 'channels', perms: vrwd('ChannelSettings'),
    create: object(channelProps, ['name', 'kind', 'settings'], { allOf: byKind(CHANNEL_KINDS, CHANNEL_SETTINGS, true) }),
    // Changing settings needs the kind (unchanged) so that they validate against the right schema.
    patch: object(channelProps, [], { minProperties: 1, dependencies: { settings: ['kind'] }, allOf: byKind(CHANNEL_KINDS, CHANNEL_SETTINGS, false) }),
    filters: { name: { type: 'string' }, kind: { type: 'string', enum: CHANNEL_KINDS }, exclusive: bool },
    events: { category: 'general', add: 'SET_CHANNEL_ADD', update: 'SET_CHANNEL_UPDATE', remove: 'SET_CHANNEL_REMOVE' },
    hooks: {
      create: (req, body) => saveChannel(db, projectIdOf(req), null, body),
      update: (req, id, body, version) => saveChannel(db, projectIdOf(req), id, body, version),
    },
  });

  const protocols = new ProtocolStore(db, box);
  const protocolProps = { name, kind: { type: 'string', enum: PROTOCOL_KINDS }, settings: { type: 'object' } };
  registerCrud(app, {
    path: 'protocols', idParam: 'protocolId', spec: protocolSpec, item: 'Protocol', tag: 'protocols', perms: vrwd('ProtocolSettings'),
    create: object(protocolProps, ['name', 'kind'], { allOf: byKind(PROTOCOL_KINDS, PROTOCOL_SETTINGS, false) }),
    patch: object(protocolProps, [], { minProperties: 1, dependencies: { settings: ['kind'] }, allOf: byKind(PROTOCOL_KINDS, PROTOCOL_SETTINGS, false) }),
    filters: { name: { type: 'string' }, kind: { type: 'string', enum: PROTOCOL_KINDS } },
    events: { category: 'general', add: 'SET_PROTOCOL_ADD', update: 'SET_PROTOCOL_UPDATE', remove: 'SET_PROTOCOL_REMOVE' },
    hooks: {
      create: (req, body) => protocols.create(projectIdOf(req), body),
      update: (req, id, body, version) => protocols.update(projectIdOf(req), id, body, version),
      present: (row) => protocols.present(row),
    },
  });

  const commLine = object({
    deviceId: uuid, channelId: uuid, protocolId: uuid, profileId: { type: 'string', maxLength: 100 },
    profileVersion: { type: ['integer', 'null'], minimum: 1, description: 'pins a version of the profile; null: each launch uses the latest as it was when the launch started' },
    protocolMap: { type: 'string', maxLength: 100 },
    priority: { type: 'integer', minimum: 0, maximum: 999 }, address: { type: 'string', maxLength: 100 }, enabled: bool,
    attempts: { type: 'integer', minimum: 1, maximum: 100 },
  }, ['deviceId', 'channelId', 'protocolId']);
  registerCrud(app, {
    path: 'comm-lines', idParam: 'commLineId', spec: commLineSpec, item: 'CommLine', tag: 'comm lines', perms: vrwd('DeviceCommline'),
    create: commLine, patch: optional(commLine), filters: { deviceId: uuid, channelId: uuid, protocolId: uuid, enabled: bool },
    events: { category: 'general', add: 'SET_COMMLINE_ADD', update: 'SET_COMMLINE_UPDATE', remove: 'SET_COMMLINE_REMOVE' },
    hooks: {
      async create(req, body) {
        await checkCommLine(db, projectIdOf(req), body);
        return crud.insert(db, commLineSpec, projectIdOf(req), body);
      },
      async update(req, id, body, version) {
        await checkCommLine(db, projectIdOf(req), body, id);
        return crud.update(db, commLineSpec, projectIdOf(req), id, body, version);
      },
    },
  });

  const keyHex = { type: 'string', pattern: '^([0-9A-Fa-f]{32}|[0-9A-Fa-f]{64})$', writeOnly: true, description: '16 or 32 bytes as hex' };
  const key = object({ deviceId: uuid, kind: { type: 'string', enum: KEY_KINDS }, systemTitle: { type: 'string', pattern: '^[0-9A-Fa-f]{16}$' }, key: keyHex }, ['kind', 'key']);
  const seal = (id: string, k: unknown) => sealSecurityKey(box, id, String(k));
  registerCrud(app, {
    path: 'security-keys', idParam: 'keyId', spec: securityKeySpec, item: 'SecurityKey', tag: 'security keys', perms: vrwd('ProtocolSettings'),
    create: key, patch: optional(object({ systemTitle: key.properties.systemTitle, key: keyHex })),
    filters: { deviceId: uuid, kind: { type: 'string', enum: KEY_KINDS } },
    events: { category: 'general', add: 'SET_SECURITY_KEY_ADD', update: 'SET_SECURITY_KEY_UPDATE', remove: 'SET_SECURITY_KEY_REMOVE' },
    hooks: {
      create(req, body) {
        const id = randomUUID();
        return crud.insert(db, securityKeySpec, projectIdOf(req), { ...body, keyEnc: seal(id, body.key) }, { id });
      },
      update(req, id, body, version) {
        const patch: Row = { systemTitle: body.systemTitle };
        if (body.key !== undefined) patch.keyEnc = seal(id, body.key);
        return crud.update(db, securityKeySpec, projectIdOf(req), id, patch, version);
      },
    },
  });

  const agent = object({ name, password: { type: 'string', minLength: 6, maxLength: 64, writeOnly: true }, groupIds: { type: 'array', items: uuid, maxItems: 1000 } }, ['name', 'password']);
  const checkGroups = async (projectId: string, ids: unknown) => {
    if (!Array.isArray(ids) || !ids.length) return;
    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM device_groups WHERE project_id = $1 AND id = ANY($2::uuid[])', [projectId, ids]);
    if (r.rows[0].n !== new Set(ids).size) throw new RegistryError('REFERENCE_NOT_FOUND', 'every group must belong to this project', 400, 'body.groupIds');
  };
  registerCrud(app, {
    path: 'amr-agents', idParam: 'agentId', spec: amrAgentSpec, item: 'AmrAgent', tag: 'CENC', perms: { read: ['All.External.CENC'], write: ['All.External.CENC'], delete: ['All.External.CENC'] },
    create: agent, patch: optional(agent),
    events: { category: 'general', add: 'SET_CENC_AMR_USER_ADDED', update: 'SET_CENC_AMR_USER_UPDATE_NAME', remove: 'SET_CENC_AMR_USER_REMOVED' },
    hooks: {
      async create(req, body) {
        await checkGroups(projectIdOf(req), body.groupIds);
        return crud.insert(db, amrAgentSpec, projectIdOf(req), { ...body, passwordHash: await hashPassword(String(body.password)) });
      },
      async update(req, id, body, version) {
        await checkGroups(projectIdOf(req), body.groupIds);
        const patch: Row = { name: body.name, groupIds: body.groupIds };
        if (body.password !== undefined) patch.passwordHash = await hashPassword(String(body.password));
        return crud.update(db, amrAgentSpec, projectIdOf(req), id, patch, version);
      },
    },
  });
}
