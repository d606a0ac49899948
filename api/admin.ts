/** Administration: users, roles, projects and members, archives, device profiles, CENC port bindings, events, logs, mail. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import * as crud from '../registry/crud.js';
import type { Row } from '../registry/db.js';
import { RegistryError } from '../registry/errors.js';
import { archiveSpec, projectSpec, roleSpec, userSpec } from '../registry/specs.js';
import { PERMISSIONS, permissionsLacking } from '../registry/permissions.js';
import { createApiToken, listApiTokens, listSessions, revokeAllSessions, revokeApiToken, revokeSession, setPassword } from '../registry/accounts.js';
import { hashPassword } from '../registry/crypto.js';
import { checkPasswordRule, passwordProblemText, PASSWORD_MAX } from '../registry/password-rule.js';
import { createProject } from '../registry/project-data.js';
import { audit, BODY_LIMITS, ifMatch, listQuerySchema, paging, projectIdOf, sendError, setEtag, uuid } from './http.js';
import { projectParams } from './crud-routes.js';
import { all, download, noContent, page, ref } from './schemas.js';

const name = { type: 'string', minLength: 1, maxLength: 100 };
const obj = (properties: Record<string, object>, required: string[] = []) => ({ type: 'object', additionalProperties: false, properties, required });
const idParams = (key: string, schema: object = uuid) => ({ type: 'object', required: [key], properties: { [key]: schema } });
const sortable = (spec: crud.TableSpec) => Object.entries(spec.fields).filter(([, f]) => f.sortable).map(([n]) => n);
const okAs = (name: string, description?: string) => ({ 200: ref(name, description) });
const deleted = { 204: noContent };
const listArgs = (req: FastifyRequest) => {
  const { limit, offset, sort, order, count, ...filters } = req.query as Record<string, unknown>;
  return { limit: limit as number, offset: offset as number, sort: sort as string | undefined, order: order as 'asc' | 'desc', count: count as 'exact' | 'estimate', filters };
};

/** Why the grant-subset rule refused an action (403; docs/security.md). */
type EscalationCode = 'GRANT_EXCEEDS_OWN_PERMISSIONS' | 'TARGET_EXCEEDS_OWN_PERMISSIONS' | 'OWN_ROLE';
const escalationText: Record<EscalationCode, string> = {
  GRANT_EXCEEDS_OWN_PERMISSIONS: 'the role or permissions given include some you do not hold',
  TARGET_EXCEEDS_OWN_PERMISSIONS: 'the user or role acted on holds permissions you do not hold',
  OWN_ROLE: 'nobody may change their own role or the role they hold',
};
/** The 403 answers of a route under the grant-subset rule, for the OpenAPI document. */
const refusals = (...codes: EscalationCode[]) => ({
  403: ref('Error', ['FORBIDDEN: a permission is missing', 'PASSWORD_CHANGE_REQUIRED: change your password first', ...codes.map((c) => `${c}: ${escalationText[c]}`)].join('; ')),
});

export function adminRoutes(app: FastifyInstance): void {
  const { db, box } = app.registry;

  // ---- the grant-subset rule: nobody grants, assigns or exercises more than they hold
  /** Audits the refusal as a security event and answers 403 with the reason's code. */
  const refuse = async (req: FastifyRequest, action: string, code: EscalationCode, field: string, subject: string, missing: string[] = []) => {
    await audit(req, 'security', 'SSET_PRIVILEGE_ESCALATION_REFUSED', { action, reason: code, subject, ...(missing.length ? { missing } : {}) }, null, 'warning');
    const listed = missing.length > 8 ? `${missing.slice(0, 8).join(', ')} and ${missing.length - 8} more` : missing.join(', ');
    throw new RegistryError(code, missing.length ? `${subject} holds permissions you lack: ${listed}` : `${subject}: ${escalationText[code]}`, 403, field);
  };
  const roleOf = async (roleId: string) => (await db.query<{ name: string; permissions: string[] }>(
    'SELECT name, array(SELECT permission FROM role_permissions WHERE role_id = r.id) AS permissions FROM roles r WHERE id = $1', [roleId],
  )).rows[0];
  const ownRoleId = async (req: FastifyRequest) => (await db.query<{ role_id: string }>('SELECT role_id FROM users WHERE id = $1', [req.identity!.userId])).rows[0]?.role_id;
  /** A user acted on must hold nothing the actor lacks (an unknown id passes on to the route's 404). */
  const mayActOnUser = async (req: FastifyRequest, userId: string, action: string) => {
    const u = (await db.query<{ username: string; permissions: string[] }>(
      'SELECT username, array(SELECT permission FROM role_permissions WHERE role_id = u.role_id) AS permissions FROM users u WHERE id = $1', [userId],
    )).rows[0];
    if (!u) return;
    const missing = permissionsLacking(req.identity!.permissions, u.permissions);
    if (missing.length) await refuse(req, action, 'TARGET_EXCEEDS_OWN_PERMISSIONS', 'params.userId', `user ${u.username}`, missing);
  };
  /** A role given to a user must be within the actor's permissions (an unknown role passes on to the route's reference error). */
  const mayGiveRole = async (req: FastifyRequest, roleId: string, action: string) => {
    const r = await roleOf(roleId);
    if (!r) return;
    const missing = permissionsLacking(req.identity!.permissions, r.permissions);
    if (missing.length) await refuse(req, action, 'GRANT_EXCEEDS_OWN_PERMISSIONS', 'body.roleId', `role ${r.name}`, missing);
  };
  /** Editing or deleting a role: not one's own, not one holding more than the actor, and no permission put in that the actor lacks. */
  const mayChangeRole = async (req: FastifyRequest, roleId: string | null, permissions: unknown, action: string) => {
    if (roleId !== null) {
      const r = await roleOf(roleId);
      if (r) {
        if (roleId === await ownRoleId(req)) await refuse(req, action, 'OWN_ROLE', 'params.roleId', `role ${r.name}`);
        const missing = permissionsLacking(req.identity!.permissions, r.permissions);
        if (missing.length) await refuse(req, action, 'TARGET_EXCEEDS_OWN_PERMISSIONS', 'params.roleId', `role ${r.name}`, missing);
      }
    }
    if (Array.isArray(permissions)) {
      const missing = permissionsLacking(req.identity!.permissions, permissions as string[]);
      if (missing.length) await refuse(req, action, 'GRANT_EXCEEDS_OWN_PERMISSIONS', 'body.permissions', 'the new role', missing);
    }
  };

  // ---- users
  const userBody = {
    username: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._@-]+$' }, displayName: { type: 'string', maxLength: 200 },
    email: { type: 'string', maxLength: 200 }, roleId: uuid, enabled: { type: 'boolean' }, m2m: { type: 'boolean' },
    password: { type: 'string', maxLength: PASSWORD_MAX * 4, writeOnly: true }, mustChangePassword: { type: 'boolean' },
  };
  app.get('/users', { config: { access: ['Read.Users'] }, schema: { tags: ['users'], querystring: listQuerySchema(sortable(userSpec), { username: { type: 'string' }, roleId: uuid, enabled: { type: 'boolean' }, m2m: { type: 'boolean' } }), response: { 200: page('User') } } },
    (req) => crud.list(db, userSpec, null, listArgs(req)));
  app.post('/users', { config: { access: ['Write.Users'] }, schema: { tags: ['users'], summary: 'Create a user (M2M users get API tokens instead of a password) with a role within your own permissions', body: obj(userBody, ['username', 'roleId']), response: { 201: ref('User'), ...refusals('GRANT_EXCEEDS_OWN_PERMISSIONS') } } },
    async (req, reply) => {
      const b = req.body as Row;
      await mayGiveRole(req, String(b.roleId), 'create user');
      let passwordHash: string | null = null;
      if (!b.m2m) {
        if (typeof b.password !== 'string') return sendError(reply, 400, 'VALIDATION_ERROR', 'body.password is required for a person\'s account', 'body.password');
        const problem = checkPasswordRule(b.password, String(b.username));
        if (problem) return sendError(reply, 400, `PASSWORD_${problem}`, passwordProblemText[problem], 'body.password');
        passwordHash = await hashPassword(b.password);
      }
      const row = await crud.insert(db, userSpec, null, b, { password_hash: passwordHash, must_change_password: !b.m2m && b.mustChangePassword !== false });
      await audit(req, 'security', 'SSET_USER_ADD', { user: row.username, roleId: row.roleId });
      setEtag(reply, row);
      return reply.code(201).send(row);
    });
  app.get('/users/:userId', { config: { access: ['Read.Users'] }, schema: { tags: ['users'], params: idParams('userId'), response: okAs('User') } }, async (req, reply) => {
    const row = await crud.get(db, userSpec, null, (req.params as { userId: string }).userId);
    setEtag(reply, row);
    return row;
  });
  const { password: _p, mustChangePassword: _m, username: _u, m2m: _m2m, ...userPatch } = userBody;
  app.patch('/users/:userId', {
    config: { access: ['Write.Users'] },
    schema: {
      tags: ['users'], summary: 'Change a user holding no permission you lack; a new role must be within your permissions', params: idParams('userId'),
      body: { ...obj(userPatch), minProperties: 1 }, response: { ...okAs('User'), ...refusals('TARGET_EXCEEDS_OWN_PERMISSIONS', 'GRANT_EXCEEDS_OWN_PERMISSIONS', 'OWN_ROLE') },
    },
  }, async (req, reply) => {
    const { userId } = req.params as { userId: string };
    const b = req.body as Row;
    if (userId === req.identity!.userId && b.roleId !== undefined) await refuse(req, 'change user role', 'OWN_ROLE', 'body.roleId', `user ${req.identity!.username}`);
    if (userId === req.identity!.userId && b.enabled === false) return sendError(reply, 409, 'SELF_LOCKOUT', 'you cannot disable yourself', 'body.enabled');
    await mayActOnUser(req, userId, b.enabled === false ? 'disable user' : 'change user');
    if (b.roleId !== undefined) await mayGiveRole(req, String(b.roleId), 'change user role');
    const before = await crud.get(db, userSpec, null, userId);
    const row = await crud.update(db, userSpec, null, userId, b, ifMatch(req));
    if (b.roleId !== undefined && b.roleId !== before.roleId) await audit(req, 'security', 'SSET_USER_UPDATE_ROLE', { user: row.username, from: before.roleId, to: row.roleId });
    if (b.enabled !== undefined && b.enabled !== before.enabled) {
      await audit(req, 'security', 'SSET_USER_UPDATE_ENABLED', { user: row.username, enabled: row.enabled });
      if (!row.enabled) await revokeAllSessions(db, userId);
    }
    if (b.displayName !== undefined || b.email !== undefined) await audit(req, 'security', 'SSET_USER_UPDATE', { user: row.username });
    setEtag(reply, row);
    return row;
  });
  app.delete('/users/:userId', { config: { access: ['Delete.Users'] }, schema: { tags: ['users'], params: idParams('userId'), response: { ...deleted, ...refusals('TARGET_EXCEEDS_OWN_PERMISSIONS') } } }, async (req, reply) => {
    const { userId } = req.params as { userId: string };
    if (userId === req.identity!.userId) return sendError(reply, 409, 'SELF_LOCKOUT', 'you cannot delete yourself', 'params.userId');
    await mayActOnUser(req, userId, 'delete user');
    const row = await crud.remove(db, userSpec, null, userId, ifMatch(req));
    await audit(req, 'security', 'SSET_USER_REMOVE', { user: row.username });
    return reply.code(204).send();
  });
  app.post('/users/:userId/password', {
    config: { access: ['Write.Users'] }, bodyLimit: BODY_LIMITS.credentials,
    schema: { tags: ['users'], summary: 'Reset a user\'s password (they must change it at next login unless mustChangePassword is false)', params: idParams('userId'), body: obj({ password: userBody.password, mustChangePassword: { type: 'boolean' } }, ['password']), response: { 204: { ...noContent, description: 'Reset; the user\'s sessions are ended' }, ...refusals('TARGET_EXCEEDS_OWN_PERMISSIONS') } },
  }, async (req, reply) => {
    const { userId } = req.params as { userId: string };
    await mayActOnUser(req, userId, 'reset password');
    const b = req.body as { password: string; mustChangePassword?: boolean };
    await setPassword(db, userId, b.password, { mustChange: b.mustChangePassword !== false, field: 'body.password' });
    await revokeAllSessions(db, userId);
    await audit(req, 'security', 'SSET_PASSWORD_CHANGE', { userId, by: 'administrator' });
    return reply.code(204).send();
  });
  app.get('/users/:userId/sessions', { config: { access: ['Read.Users'] }, schema: { tags: ['users'], params: idParams('userId'), response: { 200: all('Session') } } },
    async (req) => ({ items: await listSessions(db, (req.params as { userId: string }).userId) }));
  app.delete('/users/:userId/sessions/:sessionId', {
    config: { access: ['Write.Users'] }, schema: { tags: ['users'], params: { type: 'object', required: ['userId', 'sessionId'], properties: { userId: uuid, sessionId: uuid } }, response: { ...deleted, ...refusals('TARGET_EXCEEDS_OWN_PERMISSIONS') } },
  }, async (req, reply) => {
    const { userId, sessionId } = req.params as { userId: string; sessionId: string };
    await mayActOnUser(req, userId, 'revoke session');
    await revokeSession(db, userId, sessionId);
    await audit(req, 'security', 'SSET_SESSION_REVOKE', { userId, sessionId });
    return reply.code(204).send();
  });
  app.get('/users/:userId/tokens', { config: { access: ['Read.Users'] }, schema: { tags: ['users'], params: idParams('userId'), response: { 200: all('ApiToken') } } },
    async (req) => ({ items: await listApiTokens(db, (req.params as { userId: string }).userId) }));
  app.post('/users/:userId/tokens', {
    config: { access: ['Write.Users'] },
    schema: { tags: ['users'], summary: 'Issue an API token for an M2M account; the token is shown only in this answer', params: idParams('userId'), body: obj({ name }, ['name']),
      response: { 201: { type: 'object', required: ['id', 'token'], properties: { id: uuid, token: { type: 'string', description: 'hesm_…; shown only here' } } }, ...refusals('TARGET_EXCEEDS_OWN_PERMISSIONS') },
    },
  }, async (req, reply) => {
    const { userId } = req.params as { userId: string };
    await mayActOnUser(req, userId, 'issue API token');
    const u = await crud.get(db, userSpec, null, userId);
    if (!u.m2m) return sendError(reply, 409, 'NOT_M2M', 'API tokens are for M2M accounts only', 'params.userId');
    const t = await createApiToken(db, userId, (req.body as { name: string }).name);
    await audit(req, 'security', 'SSET_API_TOKEN_ADD', { user: u.username, tokenId: t.id });
    return reply.code(201).send(t);
  });
  app.delete('/users/:userId/tokens/:tokenId', {
    config: { access: ['Write.Users'] }, schema: { tags: ['users'], params: { type: 'object', required: ['userId', 'tokenId'], properties: { userId: uuid, tokenId: uuid } }, response: { ...deleted, ...refusals('TARGET_EXCEEDS_OWN_PERMISSIONS') } },
  }, async (req, reply) => {
    const { userId, tokenId } = req.params as { userId: string; tokenId: string };
    await mayActOnUser(req, userId, 'revoke API token');
    await revokeApiToken(db, userId, tokenId);
    await audit(req, 'security', 'SSET_API_TOKEN_REVOKE', { userId, tokenId });
    return reply.code(204).send();
  });

  // ---- roles and permissions
  const permission = { type: 'string', enum: Object.keys(PERMISSIONS) };
  const roleBody = { name, description: { type: 'string', maxLength: 1000 }, permissions: { type: 'array', items: permission, uniqueItems: true } };
  const rolePermissions = async (r: Row) => ({
    ...r, permissions: (await db.query<{ permission: string }>('SELECT permission FROM role_permissions WHERE role_id = $1 ORDER BY 1', [r.id])).rows.map((x) => x.permission),
  });
  app.get('/permissions', { config: { access: ['Read.Roles'] }, schema: { tags: ['roles'], summary: 'The permission list (seed 003 appendix 2)', response: { 200: all('Permission') } } },
    () => ({ items: Object.entries(PERMISSIONS).map(([n, description]) => ({ name: n, description })) }));
  app.get('/roles', { config: { access: ['Read.Roles'] }, schema: { tags: ['roles'], querystring: listQuerySchema(sortable(roleSpec), { name: { type: 'string' } }), response: { 200: page('Role') } } },
    async (req) => {
      const page = await crud.list(db, roleSpec, null, listArgs(req));
      return { ...page, items: await Promise.all(page.items.map(rolePermissions)) };
    });
  app.get('/roles/:roleId', { config: { access: ['Read.Roles'] }, schema: { tags: ['roles'], params: idParams('roleId'), response: okAs('Role') } }, async (req, reply) => {
    const row = await crud.get(db, roleSpec, null, (req.params as { roleId: string }).roleId);
    setEtag(reply, row);
    return rolePermissions(row);
  });
  const saveRole = (id: string | null, b: Row, version?: number) => db.transaction(async (tx) => {
    const { permissions, ...rest } = b;
    const row = id ? await crud.update(tx, roleSpec, null, id, rest, version) : await crud.insert(tx, roleSpec, null, rest);
    if (Array.isArray(permissions)) {
      await tx.query('DELETE FROM role_permissions WHERE role_id = $1', [row.id]);
      await tx.query('INSERT INTO role_permissions (role_id, permission) SELECT $1, unnest($2::text[])', [row.id, permissions]);
    }
    return row;
  });
  app.post('/roles', {
    config: { access: ['Write.Roles'] },
    schema: { tags: ['roles'], summary: 'Create a role with permissions you hold', body: obj(roleBody, ['name', 'permissions']), response: { 201: ref('Role'), ...refusals('GRANT_EXCEEDS_OWN_PERMISSIONS') } },
  }, async (req, reply) => {
    await mayChangeRole(req, null, (req.body as Row).permissions, 'create role');
    const row = await saveRole(null, req.body as Row);
    await audit(req, 'security', 'SSET_ROLE_ADD', { role: row.name });
    setEtag(reply, row);
    return reply.code(201).send(await rolePermissions(row));
  });
  app.patch('/roles/:roleId', {
    config: { access: ['Write.Roles'] },
    schema: {
      tags: ['roles'], summary: 'Change a role other than your own that holds no permission you lack, with permissions you hold', params: idParams('roleId'),
      body: { ...obj(roleBody), minProperties: 1 }, response: { ...okAs('Role'), ...refusals('OWN_ROLE', 'TARGET_EXCEEDS_OWN_PERMISSIONS', 'GRANT_EXCEEDS_OWN_PERMISSIONS') },
    },
  }, async (req, reply) => {
    const { roleId } = req.params as { roleId: string };
    await mayChangeRole(req, roleId, (req.body as Row).permissions, 'change role');
    const row = await saveRole(roleId, req.body as Row, ifMatch(req));
    await audit(req, 'security', 'SSET_ROLE_UPDATE', { role: row.name });
    setEtag(reply, row);
    return rolePermissions(row);
  });
  app.delete('/roles/:roleId', { config: { access: ['Delete.Roles'] }, schema: { tags: ['roles'], params: idParams('roleId'), response: { ...deleted, ...refusals('OWN_ROLE', 'TARGET_EXCEEDS_OWN_PERMISSIONS') } } }, async (req, reply) => {
    const { roleId } = req.params as { roleId: string };
    await mayChangeRole(req, roleId, undefined, 'delete role');
    const r = await crud.get(db, roleSpec, null, roleId);
    if (r.builtin) return sendError(reply, 409, 'BUILTIN_ROLE', 'built-in roles cannot be deleted', 'params.roleId');
    const used = await db.query('SELECT 1 FROM users WHERE role_id = $1 LIMIT 1', [roleId]);
    if (used.rows.length) return sendError(reply, 409, 'ROLE_IN_USE', 'users still have this role', 'params.roleId');
    await crud.remove(db, roleSpec, null, roleId, ifMatch(req));
    await audit(req, 'security', 'SSET_ROLE_REMOVE', { role: r.name });
    return reply.code(204).send();
  });

  // ---- projects and membership
  const projectBody = { name, description: { type: 'string', maxLength: 1000 }, timeZone: { type: 'string', minLength: 1, maxLength: 64 } };
  app.get('/projects', {
    config: { access: ['Read.Projects'] },
    schema: { tags: ['projects'], summary: 'Projects you are a member of (all projects with Manage.Projects)', querystring: listQuerySchema(sortable(projectSpec), { name: { type: 'string' } }), response: { 200: page('Project') } },
  }, async (req) => {
    const q = listArgs(req);
    if (req.identity!.permissions.has('Manage.Projects')) return crud.list(db, projectSpec, null, q);
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const r = await db.query(
      `SELECT p.id, p.name, p.description, p.time_zone AS "timeZone", p.created_at AS "createdAt", p.version
       FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = $1 ORDER BY p.name LIMIT $2 OFFSET $3`,
      [req.identity!.userId, limit, offset],
    );
    const n = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM project_members WHERE user_id = $1', [req.identity!.userId]);
    return { items: r.rows, total: n.rows[0].n, totalExact: true, hasMore: offset + r.rows.length < n.rows[0].n, limit, offset };
  });
  app.post('/projects', { config: { access: ['Create.Projects'] }, schema: { tags: ['projects'], summary: 'Create a project (with its default group; you become a member)', body: obj(projectBody, ['name']), response: { 201: ref('Project') } } },
    async (req, reply) => {
      const row = await createProject(db, req.body as Row, req.identity!.userId);
      await audit(req, 'general', 'SET_PROJECT_ADD', { name: row.name }, String(row.id));
      setEtag(reply, row);
      return reply.code(201).send(row);
    });
  app.get('/projects/:projectId', { config: { access: ['Read.Projects'], projectAdmin: true }, schema: { tags: ['projects'], params: projectParams, response: okAs('Project') } }, async (req, reply) => {
    const row = await crud.get(db, projectSpec, null, projectIdOf(req));
    setEtag(reply, row);
    return row;
  });
  app.patch('/projects/:projectId', { config: { access: ['Update.Projects'], projectAdmin: true }, schema: { tags: ['projects'], params: projectParams, body: { ...obj(projectBody), minProperties: 1 }, response: okAs('Project') } },
    async (req, reply) => {
      const row = await crud.update(db, projectSpec, null, projectIdOf(req), req.body as Row, ifMatch(req));
      await audit(req, 'general', 'SET_PROJECT_UPDATE', { name: row.name }, String(row.id));
      setEtag(reply, row);
      return row;
    });
  app.delete('/projects/:projectId', { config: { access: ['Delete.Projects'], projectAdmin: true }, schema: { tags: ['projects'], summary: 'Delete a project and everything in it', params: projectParams, response: deleted } },
    async (req, reply) => {
      const row = await crud.remove(db, projectSpec, null, projectIdOf(req), ifMatch(req));
      await audit(req, 'general', 'SET_PROJECT_REMOVE', { name: row.name, id: row.id });
      return reply.code(204).send();
    });
  const memberParams = { type: 'object', required: ['projectId', 'userId'], properties: { projectId: uuid, userId: uuid } };
  app.get('/projects/:projectId/members', { config: { access: ['Read.Projects'], projectAdmin: true }, schema: { tags: ['projects'], params: projectParams, response: { 200: all('Member') } } }, async (req) => {
    const r = await db.query(
      `SELECT u.id, u.username, u.display_name AS "displayName", r.name AS "roleName" FROM project_members m JOIN users u ON u.id = m.user_id
       JOIN roles r ON r.id = u.role_id WHERE m.project_id = $1 ORDER BY u.username`, [projectIdOf(req)],
    );
    return { items: r.rows };
  });
  app.put('/projects/:projectId/members/:userId', { config: { access: ['Manage.Projects'], projectAdmin: true }, schema: { tags: ['projects'], params: memberParams, response: { 204: { ...noContent, description: 'The user is a member' } } } }, async (req, reply) => {
    const { userId } = req.params as { userId: string };
    // Both must exist (a Manage.Projects holder reaches here for any project id): 404, not a foreign-key failure.
    await crud.get(db, projectSpec, null, projectIdOf(req));
    await crud.get(db, userSpec, null, userId);
    await db.query('INSERT INTO project_members (project_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [projectIdOf(req), userId]);
    await audit(req, 'security', 'SSET_PROJECT_MEMBER_ADD', { userId }, projectIdOf(req));
    return reply.code(204).send();
  });
  app.delete('/projects/:projectId/members/:userId', { config: { access: ['Manage.Projects'], projectAdmin: true }, schema: { tags: ['projects'], params: memberParams, response: deleted } }, async (req, reply) => {
    const { userId } = req.params as { userId: string };
    const r = await db.query('DELETE FROM project_members WHERE project_id = $1 AND user_id = $2', [projectIdOf(req), userId]);
    if (!r.rowCount) return sendError(reply, 404, 'NOT_FOUND', 'not a member', 'params.userId');
    await audit(req, 'security', 'SSET_PROJECT_MEMBER_REMOVE', { userId }, projectIdOf(req));
    return reply.code(204).send();
  });

  // ---- archives (seed 003 §2.2.29: cannot be added or deleted; name, active, retention, never-purge are editable)
  const archiveId = { type: 'string', pattern: '^[a-z0-9-]{1,64}$' };
  app.get('/archives', { config: { access: ['Read.Datastore.Archive'] }, schema: { tags: ['archives'], querystring: listQuerySchema(sortable(archiveSpec), { kind: { type: 'string', enum: ['measurement', 'event', 'state'] }, active: { type: 'boolean' } }), response: { 200: page('Archive') } } },
    (req) => crud.list(db, archiveSpec, null, listArgs(req)));
  app.get('/archives/:archiveId', { config: { access: ['Read.Datastore.Archive'] }, schema: { tags: ['archives'], params: idParams('archiveId', archiveId), response: okAs('Archive') } }, async (req, reply) => {
    const row = await crud.get(db, archiveSpec, null, (req.params as { archiveId: string }).archiveId);
    setEtag(reply, row);
    return row;
  });
  app.patch('/archives/:archiveId', {
    config: { access: ['Write.Datastore.Archive'] },
    schema: {
      tags: ['archives'], params: idParams('archiveId', archiveId),
      body: { ...obj({ name, active: { type: 'boolean' }, retentionSeconds: { type: 'integer', minimum: 3600, maximum: 100 * 365 * 86400 }, neverPurge: { type: 'boolean' } }), minProperties: 1 },
      response: okAs('Archive'),
    },
  }, async (req, reply) => {
    const row = await crud.update(db, archiveSpec, null, (req.params as { archiveId: string }).archiveId, req.body as Row, ifMatch(req));
    const code = row.kind === 'measurement' ? 'SET_MEASUREMENT_ARCHIVE_UPDATE' : row.kind === 'event' ? 'SET_EVENT_ARCHIVE_UPDATE' : 'SET_STATE_ARCHIVE_UPDATE';
    await audit(req, 'general', code, { id: row.id, name: row.name });
    setEtag(reply, row);
    return row;
  });

  // ---- CENC port → project bindings
  const portParams = idParams('port', { type: 'integer', minimum: 1, maximum: 65535 });
  app.get('/port-bindings', { config: { access: ['All.External.CENC'] }, schema: { tags: ['CENC'], response: { 200: all('PortBinding') } } }, async () => ({
    items: (await db.query('SELECT port, project_id AS "projectId", created_at AS "createdAt" FROM port_bindings ORDER BY port')).rows,
  }));
  app.put('/port-bindings/:port', { config: { access: ['All.External.CENC'] }, schema: { tags: ['CENC'], summary: 'Devices registering on this port join the project', params: portParams, body: obj({ projectId: uuid }, ['projectId']), response: { 204: { ...noContent, description: 'Bound' } } } },
    async (req, reply) => {
      const { port } = req.params as { port: number };
      const { projectId } = req.body as { projectId: string };
      await crud.get(db, projectSpec, null, projectId).catch(() => {
        throw new RegistryError('REFERENCE_NOT_FOUND', 'project does not exist', 400, 'body.projectId');
      });
      await db.query('INSERT INTO port_bindings (port, project_id) VALUES ($1, $2) ON CONFLICT (port) DO UPDATE SET project_id = EXCLUDED.project_id', [port, projectId]);
      await audit(req, 'security', 'SSET_CONFIGURATION_CHANGE', { portBinding: port, projectId });
      return reply.code(204).send();
    });
  app.delete('/port-bindings/:port', { config: { access: ['All.External.CENC'] }, schema: { tags: ['CENC'], params: portParams, response: deleted } }, async (req, reply) => {
    const { port } = req.params as { port: number };
    const r = await db.query('DELETE FROM port_bindings WHERE port = $1', [port]);
    if (!r.rowCount) return sendError(reply, 404, 'NOT_FOUND', 'no binding for this port', 'params.port');
    await audit(req, 'security', 'SSET_CONFIGURATION_CHANGE', { portBindingRemoved: port });
    return reply.code(204).send();
  });

  // ---- CENC: meters holding a connection to this process, or (a process without CENC) to any live node
  app.get('/cenc/connections', {
    config: { access: ['All.External.CENC'] },
    schema: {
      tags: ['CENC'],
      summary: 'Meters connected to CENC now: in the process serving this API; on a process without CENC, those every live CENC node holds (from the registry, with the node, without framing and busy)',
      querystring: obj({ projectId: uuid }),
      response: { 200: all('CencConnection', { running: { type: 'boolean', description: 'CENC runs in this process' }, ports: { type: 'array', items: { type: 'integer' } } }) },
    },
  }, async (req) => {
    const cenc = app.cenc?.();
    const { projectId } = req.query as { projectId?: string };
    if (!cenc) {
      const r = await db.query<{ deviceId: string; projectId: string; serialNumber: string; kind: string | null; value: string | null; remote: string; port: number | null; since: Date; node: string }>(
        `SELECT c.device_id AS "deviceId", d.project_id AS "projectId", d.serial_number AS "serialNumber", c.identity_kind AS kind, c.identity_value AS value,
                c.remote, c.port, c.connected_at AS since, c.node_id AS node
         FROM cenc_connections c JOIN devices d ON d.id = c.device_id
         WHERE c.lease_until > now() AND ($1::uuid IS NULL OR d.project_id = $1) ORDER BY d.serial_number LIMIT 100000`,
        [projectId ?? null],
      );
      const items = r.rows.map(({ kind, value, since, port, ...c }) => ({
        ...c, port: port ?? 0, since: new Date(since).toISOString(), ...(kind && value !== null ? { identity: { kind, value } } : {}),
      }));
      return { running: false, ports: [], items };
    }
    const items = [];
    for (const h of cenc?.connections() ?? []) {
      if (projectId !== undefined && h.device.projectId !== projectId) continue;
      items.push({
        deviceId: h.device.deviceId, projectId: h.device.projectId, serialNumber: h.device.serial, identity: h.identity,
        remote: h.remote, port: h.port, framing: h.framing, since: new Date(h.since).toISOString(), busy: h.connection.busy,
      });
    }
    return { running: cenc !== undefined, ports: cenc?.ports() ?? [], items };
  });

  // ---- events and service logs
  const eventQuery = {
    type: 'object', additionalProperties: false,
    properties: {
      ...paging(),
      code: { type: 'string', maxLength: 64 }, from: { type: 'string', format: 'date-time' }, to: { type: 'string', format: 'date-time' },
    },
  };
  const eventPage = all('Event', { limit: { type: 'integer' }, offset: { type: 'integer' } }, 'Newest first');
  const events = async (req: FastifyRequest, category: 'general' | 'security') => {
    const q = req.query as { limit: number; offset: number; code?: string; from?: string; to?: string };
    // General events of projects the caller is not a member of stay hidden.
    const r = await db.query(
      `SELECT id, code, level, at, project_id AS "projectId", user_id AS "userId", username, ip, params FROM events
       WHERE category = $1 AND ($2::text IS NULL OR code = $2) AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
         AND (project_id IS NULL OR project_id IN (SELECT project_id FROM project_members WHERE user_id = $5))
       ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7`,
      [category, q.code ?? null, q.from ?? null, q.to ?? null, req.identity!.userId, q.limit, q.offset],
    );
    return { items: r.rows, limit: q.limit, offset: q.offset };
  };
  app.get('/events/general', { config: { access: ['Read.Logs.Common'] }, schema: { tags: ['events'], summary: 'General events (seed 003 table 4)', querystring: eventQuery, response: { 200: eventPage } } }, (req) => events(req, 'general'));
  app.get('/events/security', { config: { access: ['Read.Logs.Secure'] }, schema: { tags: ['events'], summary: 'Security events (seed 003 table 5)', querystring: eventQuery, response: { 200: eventPage } } }, (req) => events(req, 'security'));

  const logQuery = { ...eventQuery, properties: { ...eventQuery.properties, level: { type: 'string', maxLength: 16 }, app: { type: 'string', maxLength: 100 } } };
  const logs = (q: { limit: number; offset: number; level?: string; app?: string; from?: string; to?: string }) => db.query<Row>(
    `SELECT id, at, app, level, logger, message, details FROM service_logs
     WHERE ($1::text IS NULL OR level = $1) AND ($2::text IS NULL OR app = $2) AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)
     ORDER BY at DESC, id DESC LIMIT $5 OFFSET $6`,
    [q.level ?? null, q.app ?? null, q.from ?? null, q.to ?? null, q.limit, q.offset],
  );
  app.get('/service-logs', { config: { access: ['Read.Logs.Debug'] }, schema: { tags: ['logs'], querystring: logQuery, response: { 200: all('ServiceLog', { limit: { type: 'integer' }, offset: { type: 'integer' } }, 'Newest first') } } }, async (req) => {
    const q = req.query as { limit: number; offset: number };
    return { items: (await logs(req.query as never)).rows, limit: q.limit, offset: q.offset };
  });
  app.get('/service-logs/export', { config: { access: ['Read.Logs.Debug'] }, schema: { tags: ['logs'], summary: 'Service logs as CSV', querystring: logQuery, response: { 200: download('text/csv', 'At most 1,000 rows: at, app, level, logger, message, details') } } }, async (req, reply) => {
    const rows = (await logs({ ...(req.query as { offset: number }), limit: 1000 })).rows;
    const cell = (v: unknown) => `"${(v instanceof Date ? v.toISOString() : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '')).replace(/"/g, '""')}"`;
    const csv = ['at,app,level,logger,message,details', ...rows.map((r) => [r.at, r.app, r.level, r.logger, r.message, r.details].map(cell).join(','))].join('\r\n');
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="service-logs.csv"').send(csv + '\r\n');
  });

  // ---- mail server (seed 003 §2.2.30); the password is write-only
  const emailBody = {
    senderEmail: { type: 'string', maxLength: 200 }, senderName: { type: 'string', maxLength: 200 }, username: { type: 'string', maxLength: 200 },
    password: { type: ['string', 'null'], maxLength: 200, writeOnly: true }, smtpHost: { type: 'string', maxLength: 253 },
    smtpPort: { type: 'integer', minimum: 1, maximum: 65535 }, security: { type: 'string', enum: ['auto', 'none', 'ssl', 'starttls'] },
  };
  const readEmail = async () => {
    const r = await db.query<Row>(`SELECT sender_email AS "senderEmail", sender_name AS "senderName", username, smtp_host AS "smtpHost", smtp_port AS "smtpPort",
      security, password_enc IS NOT NULL AS "passwordSet", version FROM email_settings WHERE id = 1`);
    return r.rows[0];
  };
  app.get('/email-settings', { config: { access: ['Read.Email.Settings'] }, schema: { tags: ['mail'], response: okAs('EmailSettings') } }, async (_req, reply) => {
    const row = await readEmail();
    setEtag(reply, row);
    return row;
  });
  app.put('/email-settings', { config: { access: ['Write.Email.Settings'] }, schema: { tags: ['mail'], body: obj(emailBody, ['senderEmail', 'smtpHost', 'smtpPort']), response: okAs('EmailSettings') } }, async (req, reply) => {
    const b = req.body as Row;
    const version = ifMatch(req);
    const sets = ['sender_email = $1', 'sender_name = $2', 'username = $3', 'smtp_host = $4', 'smtp_port = $5', 'security = $6', 'version = version + 1'];
    const params: unknown[] = [b.senderEmail, b.senderName ?? '', b.username ?? '', b.smtpHost, b.smtpPort, b.security ?? 'auto'];
    if (b.password !== undefined) {
      params.push(b.password === null ? null : box.encrypt(String(b.password), 'email-settings'));
      sets.push(`password_enc = $${params.length}`);
    }
    params.push(version ?? null);
    const r = await db.query(`UPDATE email_settings SET ${sets.join(', ')} WHERE id = 1 AND ($${params.length}::int IS NULL OR version = $${params.length})`, params);
    if (!r.rowCount) return sendError(reply, 412, 'VERSION_CONFLICT', 'mail settings were changed by someone else; reload and retry', 'headers.if-match');
    await audit(req, 'security', 'SSET_CONFIGURATION_CHANGE', { emailSettings: true });
    const row = await readEmail();
    setEtag(reply, row);
    return row;
  });
}
