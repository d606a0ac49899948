/**
 * Authentication (login, refresh, logout, password change, own sessions) and the access check that runs
 * before every route: bearer token → identity → forced password change → permissions → project membership.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { verifyPassword } from '../registry/crypto.js';
import {
  authenticateToken, createSession, findUserByName, listSessions, refreshSession, revokeAllSessions, revokeSession, setPassword,
} from '../registry/accounts.js';
import { PASSWORD_MAX } from '../registry/password-rule.js';
import type { Db } from '../registry/db.js';
import { ApiError, audit, BODY_LIMITS, sendError, uuid, type Identity } from './http.js';
import { recordEvent } from '../registry/events.js';
import { all, noContent, ref } from './schemas.js';

export interface AuthOptions {
  accessTokenTtl: number;
  refreshTokenTtl: number;
  loginMaxFailures: number;
  loginLockSeconds: number;
}

/**
 * Failed logins per user name + client address, kept in the registry (login_failures) so that every API
 * process behind a balancer counts the same attempts. Failures older than the lock time are forgotten.
 */
export class LoginLimiter {
  constructor(private readonly db: Db, private readonly max: number, private readonly lockSeconds: number) {}
  /** Seconds to wait, or 0 when an attempt is allowed. */
  async blockedFor(key: string, now = Date.now()): Promise<number> {
    const r = await this.db.query<{ failures: number; until: Date }>('SELECT failures, locked_until AS until FROM login_failures WHERE key = $1', [key]);
    const f = r.rows[0];
    if (!f || f.failures < this.max) return 0;
    const until = new Date(f.until).getTime();
    return until <= now ? 0 : Math.ceil((until - now) / 1000);
  }
  async fail(key: string, now = Date.now()): Promise<void> {
    const at = new Date(now).toISOString();
    await this.db.query('DELETE FROM login_failures WHERE locked_until <= $1::timestamptz', [at]);
    await this.db.query(
      `INSERT INTO login_failures (key, failures, locked_until) VALUES ($1, 1, $2::timestamptz + make_interval(secs => $3))
       ON CONFLICT (key) DO UPDATE SET failures = login_failures.failures + 1, locked_until = EXCLUDED.locked_until`,
      [key, at, this.lockSeconds],
    );
  }
  async succeed(key: string): Promise<void> {
    await this.db.query('DELETE FROM login_failures WHERE key = $1', [key]);
  }
}

async function checkAccess(app: FastifyInstance, req: FastifyRequest) {
  const cfg = req.routeOptions.config;
  const access = cfg.access;
  if (access === undefined || access === 'public') return null; // unknown URLs fall through to 404
  // The scheme name is case-insensitive (RFC 7235 §2.1).
  const token = /^bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return { status: 401, code: 'UNAUTHENTICATED', message: 'sign in: send Authorization: Bearer <access token>' };
  const user = await authenticateToken(app.registry.db, token);
  if (!user || !user.enabled) return { status: 401, code: 'UNAUTHENTICATED', message: 'the token is invalid, expired or revoked' };
  const identity: Identity = { userId: user.id, username: user.username, sessionId: user.sessionId, m2m: user.m2m, permissions: new Set(user.permissions) };
  req.identity = identity;
  if (user.mustChangePassword && !cfg.allowWhilePasswordExpired) {
    return { status: 403, code: 'PASSWORD_CHANGE_REQUIRED', message: 'change your password first: POST /api/v1/auth/password' };
  }
  if (Array.isArray(access)) {
    const missing = access.filter((p) => !identity.permissions.has(p));
    if (missing.length) return { status: 403, code: 'FORBIDDEN', message: `permission required: ${missing.join(', ')}` };
  }
  const projectId = (req.params as { projectId?: string } | undefined)?.projectId;
  if (projectId !== undefined) {
    const admin = cfg.projectAdmin && identity.permissions.has('Manage.Projects');
    if (!admin) {
      const m = await app.registry.db.query('SELECT 1 FROM project_members WHERE project_id::text = $1 AND user_id = $2', [projectId, identity.userId]);
      if (!m.rows.length) return { status: 404, code: 'PROJECT_NOT_FOUND', message: 'project not found', field: 'params.projectId' };
    }
  }
  return null;
}

/** Installs the access check on every route of `app` (and its children); routes must declare `access`. */
export function installAccessCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.access === undefined) throw new Error(`route ${route.method} ${route.url} declares no access rule`);
  });
  app.addHook('onRequest', async (req, reply) => {
    const denied = await checkAccess(app, req);
    if (denied) return sendError(reply, denied.status, denied.code, denied.message, (denied as { field?: string }).field);
  });
}

export async function authRoutes(app: FastifyInstance, opts: AuthOptions): Promise<void> {
  const db = app.registry.db;
  const limiter = new LoginLimiter(db, opts.loginMaxFailures, opts.loginLockSeconds);

  app.post('/auth/login', {
    config: { access: 'public' }, bodyLimit: BODY_LIMITS.credentials,
    schema: {
      tags: ['auth'], summary: 'Sign in with user name and password',
      body: {
        type: 'object', required: ['username', 'password'], additionalProperties: false,
        properties: { username: { type: 'string', minLength: 1, maxLength: 64 }, password: { type: 'string', minLength: 1, maxLength: 256 } },
      },
      response: {
        200: ref('TokenPair', 'Signed in'),
        401: ref('Error', 'INVALID_CREDENTIALS: wrong user name or password, or the account is disabled'),
        429: ref('Error', 'TOO_MANY_LOGIN_ATTEMPTS: Retry-After says when to try again'),
      },
    },
  }, async (req, reply) => {
    const { username, password } = req.body as { username: string; password: string };
    const key = `${username.toLowerCase()}|${req.ip}`;
    const wait = await limiter.blockedFor(key);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      return sendError(reply, 429, 'TOO_MANY_LOGIN_ATTEMPTS', `too many failed attempts; retry in ${wait} s`);
    }
    const user = await findUserByName(db, username);
    const ok = !!user && user.enabled && !user.m2m && (await verifyPassword(password, user.passwordHash));
    if (!ok) {
      await limiter.fail(key);
      await recordEvent(db, { category: 'security', code: 'SSET_LOGIN_FAILED', level: 'warning', username, userId: user?.id, ip: req.ip });
      return sendError(reply, 401, 'INVALID_CREDENTIALS', 'user name or password is wrong, or the account is disabled');
    }
    await limiter.succeed(key);
    const pair = await createSession(db, user.id, {
      ip: req.ip, userAgent: String(req.headers['user-agent'] ?? ''), accessTtl: opts.accessTokenTtl, refreshTtl: opts.refreshTokenTtl,
    });
    await recordEvent(db, { category: 'security', code: 'SSET_LOGIN', userId: user.id, username: user.username, ip: req.ip });
    return { ...pair, mustChangePassword: user.mustChangePassword };
  });

  app.post('/auth/refresh', {
    config: { access: 'public' }, bodyLimit: BODY_LIMITS.credentials,
    schema: {
      tags: ['auth'], summary: 'Exchange a refresh token for a new token pair (the old one stops working)',
      body: { type: 'object', required: ['refreshToken'], additionalProperties: false, properties: { refreshToken: { type: 'string', minLength: 1, maxLength: 200 } } },
      response: {
        200: ref('TokenPair', 'A new token pair'),
        401: ref('Error', 'INVALID_REFRESH_TOKEN: invalid, expired or revoked; REFRESH_TOKEN_REUSED: this token was already exchanged, so its session has been revoked (sign in again)'),
      },
    },
  }, async (req) => {
    const { refreshToken } = req.body as { refreshToken: string };
    const result = await refreshSession(db, refreshToken, opts.accessTokenTtl);
    if ('reuse' in result) {
      const { sessionId, userId, username } = result.reuse;
      await recordEvent(db, { category: 'security', code: 'SSET_REFRESH_TOKEN_REUSE', level: 'warning', userId, username, ip: req.ip, params: { sessionId } });
      throw new ApiError('REFRESH_TOKEN_REUSED', 'this refresh token was already exchanged: the session is revoked, sign in again', 401, 'body.refreshToken');
    }
    const { userId: _userId, ...pair } = result;
    return pair;
  });

  app.post('/auth/logout', {
    config: { access: 'authenticated', allowWhilePasswordExpired: true },
    schema: { tags: ['auth'], summary: 'End the current session', response: { 204: noContent } },
  }, async (req, reply) => {
    const id = req.identity!;
    if (id.sessionId) await revokeSession(db, id.userId, id.sessionId);
    await audit(req, 'security', 'SSET_LOGOUT');
    return reply.code(204).send();
  });

  app.post('/auth/password', {
    config: { access: 'authenticated', allowWhilePasswordExpired: true }, bodyLimit: BODY_LIMITS.credentials,
    schema: {
      tags: ['auth'], summary: 'Change your own password (required at first login of the default accounts)',
      body: {
        type: 'object', required: ['currentPassword', 'newPassword'], additionalProperties: false,
        properties: { currentPassword: { type: 'string', minLength: 1, maxLength: 256 }, newPassword: { type: 'string', maxLength: PASSWORD_MAX * 4 } },
      },
      response: { 204: { ...noContent, description: 'Changed; your other sessions are ended' } },
    },
  }, async (req, reply) => {
    const id = req.identity!;
    const { currentPassword, newPassword } = req.body as { currentPassword: string; newPassword: string };
    const user = await findUserByName(db, id.username);
    if (!user || !(await verifyPassword(currentPassword, user.passwordHash))) {
      await audit(req, 'security', 'SSET_LOGIN_FAILED', { reason: 'wrong current password' }, null, 'warning');
      return sendError(reply, 400, 'WRONG_PASSWORD', 'current password is wrong', 'body.currentPassword');
    }
    await setPassword(db, id.userId, newPassword, { mustChange: false, field: 'body.newPassword' });
    await revokeAllSessions(db, id.userId, id.sessionId);
    await audit(req, 'security', 'SSET_PASSWORD_CHANGE', { user: id.username });
    return reply.code(204).send();
  });

  app.get('/auth/me', {
    config: { access: 'authenticated', allowWhilePasswordExpired: true },
    schema: { tags: ['auth'], summary: 'Who am I: user, permissions, projects', response: { 200: ref('Me') } },
  }, async (req) => {
    const id = req.identity!;
    const u = await db.query(
      `SELECT u.id, u.username, u.display_name AS "displayName", u.email, u.m2m, u.must_change_password AS "mustChangePassword",
              r.id AS "roleId", r.name AS "roleName"
       FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id = $1`,
      [id.userId],
    );
    const projects = await db.query(
      'SELECT p.id, p.name FROM projects p JOIN project_members m ON m.project_id = p.id WHERE m.user_id = $1 ORDER BY p.name',
      [id.userId],
    );
    return { ...u.rows[0], permissions: [...id.permissions].sort(), projects: projects.rows };
  });

  app.get('/auth/sessions', {
    config: { access: 'authenticated', allowWhilePasswordExpired: true },
    schema: {
      tags: ['auth'], summary: 'Your open sessions (IP, user agent, time)',
      response: { 200: all('Session', { current: { type: ['string', 'null'], format: 'uuid', description: 'this session (null for API tokens)' } }) },
    },
  }, async (req) => ({ items: await listSessions(db, req.identity!.userId), current: req.identity!.sessionId }));

  app.delete('/auth/sessions/:sessionId', {
    config: { access: 'authenticated', allowWhilePasswordExpired: true },
    schema: { tags: ['auth'], summary: 'Revoke one of your sessions', params: { type: 'object', properties: { sessionId: uuid }, required: ['sessionId'] }, response: { 204: noContent } },
  }, async (req, reply) => {
    const { sessionId } = req.params as { sessionId: string };
    await revokeSession(db, req.identity!.userId, sessionId);
    await audit(req, 'security', 'SSET_SESSION_REVOKE', { sessionId });
    return reply.code(204).send();
  });
}
