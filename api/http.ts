/** Shared API plumbing: route configuration, the request's identity, coded errors, list/ETag helpers. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RegistryError, type FieldProblem } from '../registry/errors.js';
import type { Db } from '../registry/db.js';
import type { SecretBox } from '../registry/crypto.js';
import type { ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import type { CencServer } from '../ingest/cenc/server.js';
import { recordEvent, type GeneralEvent, type SecurityEvent } from '../registry/events.js';
import type { ServiceLogWriter } from '../registry/service-log.js';

/**
 * Every route declares who may call it: 'public', 'authenticated' (any signed-in user), or the
 * permissions (all required) of seed 003 appendix 2. Routes with a :projectId parameter also require
 * membership of that project; `projectAdmin` routes also admit holders of Manage.Projects.
 */
export interface RouteAccess {
  access: 'public' | 'authenticated' | string[];
  /** Reachable while the account must still change its password (seed: default accounts). */
  allowWhilePasswordExpired?: boolean;
  projectAdmin?: boolean;
}

export interface Identity {
  userId: string;
  username: string;
  sessionId: string | null;
  m2m: boolean;
  permissions: Set<string>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess['access'];
    allowWhilePasswordExpired?: boolean;
    projectAdmin?: boolean;
  }
  interface FastifyRequest {
    identity?: Identity;
  }
  interface FastifyInstance {
    registry: { db: Db; box: SecretBox };
    /** The ClickHouse store of readings and events; absent when the API runs without the data plane. */
    warehouse: ClickHouseEngine | undefined;
    /** The connections CENC holds in this process; absent when it runs elsewhere or not at all. */
    cenc: (() => CencView | undefined) | undefined;
    /** The time now (AppOptions.now). */
    clock: () => number;
    /** The service log of the process (configuration changes); absent in tests that do not look. */
    serviceLog: ServiceLogWriter | undefined;
    /** The notifier of the process; absent when it runs elsewhere (a replayed notification then waits for its poll). */
    notifier: { kick(): void } | undefined;
  }
}

/** What the API shows of CENC: its bound ports and held connections. */
export type CencView = Pick<CencServer, 'ports' | 'connections'>;

export const ApiError = RegistryError;

export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object', required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
    },
    errors: {
      type: 'array', description: 'every bad input when there are several (error.field names the first)',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
} as const;

export function sendError(reply: FastifyReply, status: number, code: string, message: string, field?: string, problems?: FieldProblem[]): FastifyReply {
  const error = field ? { code, message, field } : { code, message };
  return reply.code(status).type('application/json').send(problems ? { error, errors: problems } : { error });
}

/** Turns Ajv's first error into a dotted field name: body.settings.port, querystring.limit, params.id. */
export function validationField(err: FastifyError): string {
  const v = err.validation?.[0] as { instancePath?: string; params?: Record<string, unknown> } | undefined;
  const parts = (v?.instancePath ?? '').split('/').filter(Boolean);
  const missing = v?.params?.missingProperty ?? v?.params?.additionalProperty;
  if (typeof missing === 'string') parts.push(missing);
  return [err.validationContext ?? 'body', ...parts].join('.');
}

/** What the HTTP framework refuses before a route runs, in the project's codes (its FST_ERR_* codes never leave). */
const frameworkErrors: Record<string, { code: string; field: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_JSON', field: 'body', message: 'body is not valid JSON (or has a __proto__/constructor key)' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_JSON', field: 'body', message: 'body is empty but headers.content-type says JSON' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', field: 'headers.content-type', message: 'headers.content-type is not accepted by this route' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', field: 'body', message: 'body is larger than this route accepts' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'INVALID_CONTENT_LENGTH', field: 'headers.content-length', message: 'headers.content-length does not match the body' },
  FST_ERR_BAD_URL: { code: 'INVALID_URL', field: 'url', message: 'the URL is not valid percent-encoded text' },
};

export function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.validation) {
    const field = validationField(err);
    const v = err.validation[0] as { params?: Record<string, unknown> };
    const detail = v.params?.additionalProperty ? 'is not an accepted field' : (err.validation[0]?.message ?? 'is invalid');
    return sendError(reply, 400, 'VALIDATION_ERROR', `${field} ${detail}`, field);
  }
  if (err instanceof RegistryError) return sendError(reply, err.status, err.code, err.message, err.field, err.problems);
  const known = frameworkErrors[err.code];
  if (known && err.statusCode) return sendError(reply, err.statusCode, known.code, known.message, known.field);
  if (err.statusCode && err.statusCode < 500) return sendError(reply, err.statusCode, 'BAD_REQUEST', err.message);
  req.log.error({ err }, 'request failed');
  return sendError(reply, 500, 'INTERNAL', 'internal error');
}

/** The dotted name of the first value in `value` (a parsed body, query or params) that `bad` finds, if any. */
function findField(value: unknown, path: string, bad: (v: unknown) => boolean): string | undefined {
  if (bad(value)) return path;
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (bad(k)) return `${path}.${k.replace(/\0/g, '\\0')}`;
    const found = findField(v, `${path}.${k}`, bad);
    if (found) return found;
  }
  return undefined;
}

const hasNul = (v: unknown) => typeof v === 'string' && v.includes('\0');
const notFinite = (v: unknown) => typeof v === 'number' && !Number.isFinite(v);

/**
 * Input no route can use is refused with a 400 naming the field, whatever the route's schema says:
 * NUL bytes in any string (PostgreSQL text cannot hold them) — in the path and query before the access
 * check, which reads the project id, in the body once parsed — and numbers beyond double range
 * (`1e400` in JSON or a query, which the validator's coercion lets through as Infinity).
 */
export function refuseUnusableInput(app: FastifyInstance): void {
  const refuse = (reply: FastifyReply, field: string, problem: string) => sendError(reply, 400, 'VALIDATION_ERROR', `${field} ${problem}`, field);
  app.addHook('onRequest', async (req, reply) => {
    const field = findField(req.params, 'params', hasNul) ?? findField(req.query, 'querystring', hasNul);
    if (field) return refuse(reply, field, 'must not contain NUL bytes');
  });
  app.addHook('preValidation', async (req, reply) => {
    const field = findField(req.body, 'body', hasNul);
    if (field) return refuse(reply, field, 'must not contain NUL bytes');
  });
  app.addHook('preHandler', async (req, reply) => {
    const field = findField(req.params, 'params', notFinite) ?? findField(req.query, 'querystring', notFinite) ?? findField(req.body, 'body', notFinite);
    if (field) return refuse(reply, field, 'must be a finite number');
  });
}

/** The version a client saw, from If-Match ("3" or W/"3"); undefined when absent. */
export function ifMatch(req: FastifyRequest): number | undefined {
  const h = req.headers['if-match'];
  if (h === undefined) return undefined;
  const m = /^(?:W\/)?"(\d+)"$/.exec(String(h).trim());
  if (!m) throw new RegistryError('VALIDATION_ERROR', 'headers.if-match must be an ETag such as "3"', 400, 'headers.if-match');
  return Number(m[1]);
}

export function setEtag(reply: FastifyReply, row: { version?: unknown }): void {
  if (typeof row.version === 'number') reply.header('etag', `"${row.version}"`);
}

/**
 * Request body limits, bytes: each route's fits what it carries (README "Limits"; the OpenAPI 413 reply of
 * each route states its own). Beyond it, 413 before the body is read further.
 */
export const BODY_LIMITS = {
  /** Sign-in, token refresh, password changes: open to anyone, so small. */
  credentials: 4 * 1024,
  /** Every other JSON body unless named below. */
  json: 1024 * 1024,
  /** Tasks, commands and wM-Bus telegram batches: up to 100,000 device ids or 10,000 telegrams. */
  deviceLists: 8 * 1024 * 1024,
  /** The synchronous XLSX import (also capped at IMPORT_SYNC_MAX_ROWS rows). */
  xlsxImport: 16 * 1024 * 1024,
  /** Import jobs and the JSON configuration import: whole fleets. */
  bulkImport: 64 * 1024 * 1024,
} as const;

/** The largest offset of any list: fits PostgreSQL's and ClickHouse's (UInt32) bound parameters. */
export const OFFSET_MAX = 2_147_483_647;

/** The paging parameters of a list: limit up to `maxLimit`, offset up to OFFSET_MAX. */
export function paging(maxLimit = 1000, defaultLimit = 50) {
  return {
    limit: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit },
    offset: { type: 'integer', minimum: 0, maximum: OFFSET_MAX, default: 0 },
  } as const;
}

export function listQuerySchema(sortable: string[], filters: Record<string, object> = {}): object {
  return {
    type: 'object', additionalProperties: false,
    properties: {
      ...paging(),
      sort: { type: 'string', enum: sortable },
      order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
      count: {
        type: 'string', enum: ['estimate', 'exact'], default: 'estimate',
        description: 'How `total` is counted. estimate (default): exactly up to 10,000 matching rows, beyond that PostgreSQL\'s planner estimate '
          + 'with totalExact false. exact: every matching row is counted (slower on very large lists).',
      },
      ...filters,
    },
  };
}

export const uuid = { type: 'string', format: 'uuid' } as const;

export async function audit(
  req: FastifyRequest, category: 'general' | 'security', code: GeneralEvent | SecurityEvent, params: Record<string, unknown> = {},
  projectId?: string | null, level: 'info' | 'warning' = 'info',
): Promise<void> {
  await recordEvent(req.server.registry.db, {
    category, code, level, projectId, userId: req.identity?.userId, username: req.identity?.username, ip: req.ip, params,
  });
  if (CONFIGURATION_CHANGE.test(code)) {
    req.server.serviceLog?.write('info', 'api', 'configuration', `configuration changed: ${code} by ${req.identity?.username ?? 'unknown'}`, {
      code, ...params, ...(projectId ? { projectId } : {}), username: req.identity?.username,
    });
  }
}

/** The audited changes that also go to the service log: how the HES and its projects' channels, protocols and archives are set up. */
const CONFIGURATION_CHANGE = /^(SSET_CONFIGURATION_CHANGE|SET_CONTROL_SETTINGS_UPDATE|SET_(CHANNEL|PROTOCOL|MEASUREMENT_ARCHIVE|STATE_ARCHIVE|EVENT_ARCHIVE)_)/;

/** The ClickHouse store of readings and events, or a 503 WAREHOUSE_UNAVAILABLE when this API process has none. */
export function warehouse(app: FastifyInstance): ClickHouseEngine {
  if (!app.warehouse) throw new RegistryError('WAREHOUSE_UNAVAILABLE', 'readings are kept in ClickHouse, which this API process is not connected to', 503);
  return app.warehouse;
}

/** A time range whose end is not after its start is refused, naming `querystring.to` (every route with from/to). */
export function checkRange(fromMs: number | undefined, toMs: number | undefined): void {
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) {
    throw new RegistryError('VALIDATION_ERROR', 'querystring.to must be after querystring.from', 400, 'querystring.to');
  }
}

/** checkRange for a query's date-time texts. */
export function checkQueryRange(q: { from?: string; to?: string }): void {
  checkRange(q.from === undefined ? undefined : Date.parse(q.from), q.to === undefined ? undefined : Date.parse(q.to));
}

export function projectIdOf(req: FastifyRequest): string {
  return (req.params as { projectId: string }).projectId;
}
