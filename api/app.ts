/**
 * The HES REST API: Fastify with JSON-schema validation that also drives the OpenAPI document (/docs,
 * /docs/json), coded JSON errors, /health, /ready, /metrics, every resource under /api/v1, and the operator
 * console (console/, built by `npm run build`) at /.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HesConfig } from '../config/index.js';
import type { Db } from '../registry/db.js';
import type { SecretBox } from '../registry/crypto.js';
import type { ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import { authRoutes, installAccessCheck } from './auth.js';
import { BODY_LIMITS, handleError, refuseUnusableInput, type CencView } from './http.js';
import { addComponentSchemas, documentErrors } from './schemas.js';
import { resourceRoutes } from './resources.js';
import { adminRoutes } from './admin.js';
import { profileRoutes } from './profiles.js';
import { transferRoutes } from './transfer.js';
import { collectionRoutes } from './collection.js';
import { dataRoutes } from './data.js';
import { dataViewRoutes } from './data-views.js';
import { wmbusRoutes } from './wmbus.js';
import { notificationRoutes } from './notifications.js';
import { firmwareRoutes } from './firmware.js';
import { cimRoutes } from './cim/routes.js';
import { lorawanRoutes } from './lorawan.js';
import { unbRoutes, unbStationRoutes } from './unb.js';
import type { UnbStationService } from '../ingest/unb/service.js';
import { veeRoutes } from './vee.js';
import { analyticsRoutes } from './analytics.js';
import type { WmbusIntake } from '../ingest/wmbus/intake.js';
import type { LorawanIntake } from '../ingest/chirpstack/intake.js';
import type { ServiceLogWriter } from '../registry/service-log.js';
import { HesMetrics } from '../metrics/index.js';
import { HealthReport, healthRoutes } from './health.js';
import { traceRequests } from './tracing.js';

export interface AppOptions {
  db: Db;
  box: SecretBox;
  config: Pick<HesConfig, 'accessTokenTtl' | 'refreshTokenTtl' | 'loginMaxFailures' | 'loginLockSeconds' | 'logLevel'>;
  version?: string;
  /** Readings and events store for the data routes (hes start passes the pipeline's engine). */
  clickhouse?: ClickHouseEngine;
  /** CENC of this process, once started (hes start): its connections are listed at /cenc/connections. */
  cenc?: () => CencView | undefined;
  /** The time "now" of the routes that depend on it (collection statistics); tests fix it. */
  now?: () => number;
  /** The wM-Bus intake of this process (hes start): gateways post telegrams to it. */
  wmbus?: () => WmbusIntake | undefined;
  lorawan?: () => LorawanIntake | undefined;
  unb?: () => UnbStationService | undefined;
  /** The metrics of the process (hes start: with the pipeline's, the scheduler's, CENC's), where the API adds its own; served at /metrics. */
  metrics?: HesMetrics;
  /** The service log of the process: configuration changes made through the API are written to it. */
  serviceLog?: ServiceLogWriter;
  /** The notifier of the process (hes start): told when a failed notification is replayed, to send it at once. */
  notifier?: { kick(): void };
  /** Health of the roles of the process (hes start registers them); default: the registry alone. */
  health?: HealthReport;
}

/** Never log credentials: these request parts are redacted by the logger. */
const redact = ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-transport-key"]', 'req.headers["x-export-passphrase"]', 'req.body.password', 'req.body.currentPassword', 'req.body.newPassword', 'req.body.refreshToken', 'req.body.secret'];

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.config.logLevel === 'silent' ? false : { level: opts.config.logLevel, redact },
    ajv: { customOptions: { coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false } },
    bodyLimit: BODY_LIMITS.json,
    trustProxy: false,
    // URL decoding fails before routing: answer in the project's error format too.
    frameworkErrors: (err, req, reply) => handleError(err, req, reply),
  });
  app.decorate('registry', { db: opts.db, box: opts.box });
  app.decorate('warehouse', opts.clickhouse);
  app.decorate('cenc', opts.cenc);
  app.decorate('clock', opts.now ?? Date.now);
  app.decorate('wmbus', opts.wmbus);
  app.decorate('lorawan', opts.lorawan);
  app.decorate('unb', opts.unb);
  app.decorate('serviceLog', opts.serviceLog);
  app.decorate('notifier', opts.notifier);
  app.decorate('health', opts.health ?? new HealthReport({ db: opts.db, version: opts.version ?? '0.1.0' }));
  app.setErrorHandler(handleError);
  refuseUnusableInput(app);
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` } }));

  const metrics = opts.metrics ?? new HesMetrics();
  const requests = metrics.counter('hes_http_requests_total', 'HTTP requests answered, by method, route (its pattern) and status code', ['method', 'route', 'status']);
  const latency = metrics.histogram('hes_http_request_seconds', 'HTTP request latency, by method and route', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ['method', 'route']);
  traceRequests(app);
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: reply.statusCode });
    latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'HES API', version: opts.version ?? '0.1.0', description: 'Head-End System registry and control API. Sign in at POST /api/v1/auth/login and send `Authorization: Bearer <accessToken>`.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Components are named by their $id (#/components/schemas/Device), not def-0, def-1, ...
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  addComponentSchemas(app);

  let ready = false;
  const health = {
    type: 'object', required: ['status'],
    properties: { status: { type: 'string', enum: ['ok', 'ready', 'starting', 'unavailable'] }, engine: { type: 'string', enum: ['pglite', 'postgres'] } },
  };
  app.get('/health', { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Liveness', response: { 200: health } } }, () => ({ status: 'ok' }));
  app.get('/ready', { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Readiness: the registry answers', response: { 200: health, 503: { ...health, description: 'The registry does not answer' } } } }, async (_req, reply) => {
    try {
      await opts.db.query('SELECT 1');
      return { status: ready ? 'ready' : 'starting', engine: opts.db.engine };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
  // Metrics tell who uses the HES and how much: a credential, as on /api/v1 (or the private metrics listener).
  await app.register(async (scope) => {
    installAccessCheck(scope);
    documentErrors(scope);
    scope.get('/metrics', {
      config: { access: ['Read.HesConfig'] },
      schema: {
        tags: ['health'], summary: 'Prometheus metrics (docs/operations.md); a bearer token with Read.HesConfig, or the metrics listener (`metrics.port`) on a private address',
        response: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.text()));
  });

  // UNB base stations post to the path they are configured with (seed 003 appendix 5), signing in with their own token.
  await app.register(async (stations) => {
    installAccessCheck(stations);
    documentErrors(stations);
    unbStationRoutes(stations);
  });

  await app.register(async (v1) => {
    installAccessCheck(v1);
    documentErrors(v1);
    await authRoutes(v1, opts.config);
    adminRoutes(v1);
    profileRoutes(v1);
    resourceRoutes(v1);
    transferRoutes(v1);
    collectionRoutes(v1);
    dataRoutes(v1);
    dataViewRoutes(v1);
    wmbusRoutes(v1);
    notificationRoutes(v1);
    firmwareRoutes(v1);
    lorawanRoutes(v1);
    unbRoutes(v1);
    veeRoutes(v1);
    analyticsRoutes(v1);
    healthRoutes(v1);
    await v1.register(cimRoutes);
  }, { prefix: '/api/v1' });

  // The console is static files and signs in through /api/v1 like any client; a build without it
  // (tsc alone) serves the API only.
  const consoleRoot = fileURLToPath(new URL('../console/www/', import.meta.url));
  if (existsSync(consoleRoot)) {
    await app.register(fastifyStatic, {
      root: consoleRoot, prefix: '/', wildcard: false, index: 'index.html',
      // Hashed asset names never change content; index.html must be revalidated to pick up a new build.
      setHeaders: (reply, path) => reply.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
    });
  }

  app.addHook('onReady', async () => {
    ready = true;
  });
  return app;
}
