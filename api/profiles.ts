/**
 * Device profiles (docs/profiles.md): installation-wide, shipped ones read-only, custom ones created,
 * versioned, copied and deleted. Bodies are checked against schemas/device-profile.schema.json by the
 * registry, which answers 422 PROFILE_INVALID with every bad path (the route schemas only say "an object").
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as crud from '../registry/crud.js';
import type { Row } from '../registry/db.js';
import { addProfileVersion, copyProfile, createProfile, deleteProfile, profileSchema, profileVersion, profileVersions } from '../registry/profiles.js';
import { profileSpec } from '../registry/specs.js';
import { audit, ifMatch, listQuerySchema, setEtag } from './http.js';
import { all, noContent, page, ref } from './schemas.js';

const profileId = { type: 'string', minLength: 1, maxLength: 100 };
const params = { type: 'object', required: ['profileId'], properties: { profileId } };
const versionParams = { type: 'object', required: ['profileId', 'version'], properties: { profileId, version: { type: 'integer', minimum: 1 } } };
const profileBody = {
  type: 'object', additionalProperties: true,
  description: 'A device profile: schemas/device-profile.schema.json (GET /device-profiles/schema), explained in docs/profiles.md',
};
const invalid = { 422: ref('Error', 'PROFILE_INVALID: the body is not a valid device profile; `errors` names every bad path (body.archives.current.obis)') };
const sortable = Object.entries(profileSpec.fields).filter(([, f]) => f.sortable).map(([n]) => n);
const by = (req: FastifyRequest) => req.identity?.username ?? null;
const idOf = (req: FastifyRequest) => (req.params as { profileId: string }).profileId;

export function profileRoutes(app: FastifyInstance): void {
  const { db } = app.registry;
  const tags = ['device profiles'];

  app.get('/device-profiles', {
    config: { access: ['Read.Devices'] },
    schema: { tags, summary: 'Shipped and custom device profiles, each at its latest version', querystring: listQuerySchema(sortable, { protocol: { type: 'string' }, builtin: { type: 'boolean' }, name: { type: 'string' } }), response: { 200: page('DeviceProfile') } },
  }, (req) => {
    const { limit, offset, sort, order, ...filters } = req.query as Record<string, unknown>;
    return crud.list(db, profileSpec, null, { limit: limit as number, offset: offset as number, sort: sort as string | undefined, order: order as 'asc' | 'desc', filters });
  });

  app.get('/device-profiles/schema', {
    config: { access: ['Read.Devices'] },
    schema: { tags, summary: 'The JSON schema device profiles are checked against', response: { 200: { type: 'object', additionalProperties: true } } },
  }, async () => profileSchema);

  app.get('/device-profiles/:profileId', {
    config: { access: ['Read.Devices'] }, schema: { tags, params, response: { 200: ref('DeviceProfile', 'The latest version; ETag carries its number') } },
  }, async (req, reply) => {
    const row = await crud.get(db, profileSpec, null, idOf(req));
    setEtag(reply, row);
    return row;
  });

  app.post('/device-profiles', {
    config: { access: ['Write.HesConfig'] },
    schema: { tags, summary: 'Create a custom device profile (version 1)', body: profileBody, response: { 201: ref('DeviceProfile'), ...invalid } },
  }, async (req, reply) => {
    const row = await createProfile(db, req.body, by(req));
    await audit(req, 'general', 'SET_DEVICE_PROFILE_ADD', { id: row.id, version: row.version });
    setEtag(reply, row);
    return reply.code(201).header('location', `/api/v1/device-profiles/${encodeURIComponent(String(row.id))}`).send(row);
  });

  app.post('/device-profiles/:profileId/versions', {
    config: { access: ['Write.HesConfig'] },
    schema: {
      tags, params, body: profileBody, response: { 201: ref('DeviceProfile', 'The profile at its new version'), ...invalid },
      summary: 'Add a version of a custom profile (If-Match: the version it was edited from). Comm lines that pin a version, and launches already running, keep theirs',
    },
  }, async (req, reply) => {
    const row = await addProfileVersion(db, idOf(req), req.body, by(req), ifMatch(req));
    await audit(req, 'general', 'SET_DEVICE_PROFILE_UPDATE', { id: row.id, version: row.version });
    setEtag(reply, row);
    return reply.code(201).send(row);
  });

  app.get('/device-profiles/:profileId/versions', {
    config: { access: ['Read.Devices'] }, schema: { tags, params, summary: 'Every version of a profile, oldest first', response: { 200: all('DeviceProfileVersion') } },
  }, async (req) => ({ items: await profileVersions(db, idOf(req)) }));

  app.get('/device-profiles/:profileId/versions/:version', {
    config: { access: ['Read.Devices'] }, schema: { tags, params: versionParams, response: { 200: ref('DeviceProfileVersion') } },
  }, (req) => profileVersion(db, idOf(req), (req.params as { version: number }).version));

  app.post('/device-profiles/:profileId/copy', {
    config: { access: ['Write.HesConfig'] },
    schema: {
      tags, params, summary: 'Copy a profile (a shipped one, typically) into a new custom profile',
      body: {
        type: 'object', additionalProperties: false, required: ['id'],
        properties: { id: profileId, name: { type: 'string', minLength: 1, maxLength: 200 }, version: { type: 'integer', minimum: 1, description: 'the version to copy (default: the latest)' } },
      },
      response: { 201: ref('DeviceProfile'), ...invalid },
    },
  }, async (req, reply) => {
    const row: Row = await copyProfile(db, idOf(req), req.body as { id: string; name?: string; version?: number }, by(req));
    await audit(req, 'general', 'SET_DEVICE_PROFILE_ADD', { id: row.id, version: row.version, copiedFrom: idOf(req) });
    setEtag(reply, row);
    return reply.code(201).header('location', `/api/v1/device-profiles/${encodeURIComponent(String(row.id))}`).send(row);
  });

  app.delete('/device-profiles/:profileId', {
    config: { access: ['Delete.HesConfig'] },
    schema: { tags, params, summary: 'Delete a custom profile with its versions (409 while a comm line names it; shipped ones cannot be deleted)', response: { 204: noContent } },
  }, async (req, reply) => {
    await deleteProfile(db, idOf(req));
    await audit(req, 'general', 'SET_DEVICE_PROFILE_REMOVE', { id: idOf(req) });
    return reply.code(204).send();
  });
}
