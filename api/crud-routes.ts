/**
 * List/create/get/update/delete routes for one project-owned resource under /projects/:projectId/<path>,
 * with pagination, sorting, filtering, ETag/If-Match and audit events. Resource-specific rules plug in
 * through `hooks`.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as crud from '../registry/crud.js';
import type { TableSpec } from '../registry/crud.js';
import type { Row } from '../registry/db.js';
import type { GeneralEvent, SecurityEvent } from '../registry/events.js';
import { audit, ifMatch, listQuerySchema, projectIdOf, setEtag, uuid } from './http.js';
import { noContent, page, ref } from './schemas.js';

export interface CrudHooks {
  create?(req: FastifyRequest, body: Row): Promise<Row>;
  update?(req: FastifyRequest, id: string, body: Row, version: number | undefined): Promise<Row>;
  remove?(req: FastifyRequest, id: string, version: number | undefined): Promise<Row>;
  present?(row: Row): Row;
}

export interface CrudDef {
  path: string;
  /** Name of the id parameter, e.g. deviceId. */
  idParam: string;
  spec: TableSpec;
  /** The component schema of one row in replies (api/schemas.ts). */
  item: string;
  tag: string;
  perms: { read: string[]; write: string[]; delete: string[] };
  create: object;
  patch: object;
  filters?: Record<string, object>;
  events?: { category: 'general' | 'security'; add: GeneralEvent | SecurityEvent; update: GeneralEvent | SecurityEvent; remove: GeneralEvent | SecurityEvent };
  hooks?: CrudHooks;
}

export const projectParams = { type: 'object', required: ['projectId'], properties: { projectId: uuid } } as const;

export function registerCrud(app: FastifyInstance, def: CrudDef): void {
  const db = app.registry.db;
  const base = `/projects/:projectId/${def.path}`;
  const item = `${base}/:${def.idParam}`;
  const itemParams = { type: 'object', required: ['projectId', def.idParam], properties: { projectId: uuid, [def.idParam]: uuid } };
  const sortable = Object.entries(def.spec.fields).filter(([, f]) => f.sortable).map(([n]) => n);
  const present = (row: Row) => (def.hooks?.present ? def.hooks.present(row) : row);
  const idOf = (req: FastifyRequest) => (req.params as Record<string, string>)[def.idParam];
  const event = (req: FastifyRequest, code: GeneralEvent | SecurityEvent | undefined, row: Row) =>
    code && def.events ? audit(req, def.events.category, code, { id: row.id, name: row.name ?? row.serialNumber ?? row.kind }, projectIdOf(req)) : undefined;

  app.get(base, {
    config: { access: def.perms.read },
    schema: { tags: [def.tag], summary: `List ${def.spec.noun}s`, params: projectParams, querystring: listQuerySchema(sortable, def.filters), response: { 200: page(def.item) } },
  }, async (req) => {
    const { limit, offset, sort, order, count, ...filters } = req.query as Record<string, unknown>;
    const page = await crud.list(db, def.spec, projectIdOf(req), {
      limit: limit as number, offset: offset as number, sort: sort as string | undefined, order: order as 'asc' | 'desc', count: count as 'exact' | 'estimate', filters,
    });
    return { ...page, items: page.items.map(present) };
  });

  app.post(base, {
    config: { access: def.perms.write },
    schema: { tags: [def.tag], summary: `Create a ${def.spec.noun}`, params: projectParams, body: def.create, response: { 201: ref(def.item, `The ${def.spec.noun}; ETag carries its version`) } },
  }, async (req, reply) => {
    const body = req.body as Row;
    const row = def.hooks?.create ? await def.hooks.create(req, body) : await crud.insert(db, def.spec, projectIdOf(req), body);
    await event(req, def.events?.add, row);
    setEtag(reply, row);
    return reply.code(201).send(present(row));
  });

  app.get(item, {
    config: { access: def.perms.read },
    schema: { tags: [def.tag], summary: `Get a ${def.spec.noun} (ETag carries its version)`, params: itemParams, response: { 200: ref(def.item) } },
  }, async (req, reply) => {
    const row = await crud.get(db, def.spec, projectIdOf(req), idOf(req));
    setEtag(reply, row);
    return present(row);
  });

  app.patch(item, {
    config: { access: def.perms.write },
    schema: { tags: [def.tag], summary: `Change a ${def.spec.noun}; send If-Match with the ETag to refuse lost updates`, params: itemParams, body: def.patch, response: { 200: ref(def.item, `The changed ${def.spec.noun}; ETag carries its new version`) } },
  }, async (req, reply) => {
    const body = req.body as Row;
    const version = ifMatch(req);
    const row = def.hooks?.update
      ? await def.hooks.update(req, idOf(req), body, version)
      : await crud.update(db, def.spec, projectIdOf(req), idOf(req), body, version);
    await event(req, def.events?.update, row);
    setEtag(reply, row);
    return present(row);
  });

  app.delete(item, {
    config: { access: def.perms.delete },
    schema: { tags: [def.tag], summary: `Delete a ${def.spec.noun}`, params: itemParams, response: { 204: noContent } },
  }, async (req, reply) => {
    const version = ifMatch(req);
    const row = def.hooks?.remove ? await def.hooks.remove(req, idOf(req), version) : await crud.remove(db, def.spec, projectIdOf(req), idOf(req), version);
    await event(req, def.events?.remove, row);
    return reply.code(204).send();
  });
}
