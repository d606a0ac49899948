/**
 * The grant-subset rule (issue 14 item 1): nobody grants, assigns or exercises more than they hold.
 * A matrix of actor role × target role over the built-in roles and custom roles, for every way of
 * handing out or using power over accounts: create a user with role R, reset the password of / disable /
 * change a user holding R, give a user role R, edit role R (their own role in particular), put permission
 * P into a role. The expectation of each cell is the rule as docs/security.md states it, applied to the
 * roles' permission lists as the API reports them; a refused cell must also leave one security event.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { hashPassword } from '../../registry/crypto.js';
import { ROLES, startHarness, type Harness } from './harness.js';
import type { InjectOptions } from 'fastify';

/** Custom roles: the two of the outside test, and a delegated user administrator holding the User role's rights. */
const CUSTOM: Record<string, string[]> = {
  'Users writer': ['Write.Users'],
  'Roles writer': ['Write.Roles'],
  'User admin': [
    'Read.Users', 'Write.Users', 'Delete.Users', 'Read.Roles', 'Write.Roles',
    'View.Devices', 'Read.Devices', 'View.HesConfig', 'Read.HesConfig', 'Read.Datastore', 'View.Page.ceHes', 'Read.Projects', 'View.TreeNodes',
  ],
};
const ACTORS = [...ROLES, ...Object.keys(CUSTOM)];
/** Confines its holder to the subscriber cabinet; giving it is no escalation (docs/security.md). */
const NARROWING = 'View.SubscriberCabinet';
const PERMISSIONS_TO_ADD = ['Read.Devices', 'Write.Users', 'Write.Roles', 'Delete.Projects', 'Read.Logs.Secure', NARROWING];
const REFUSAL_EVENT = 'SSET_PRIVILEGE_ESCALATION_REFUSED';

type Outcome = 'allowed' | 'FORBIDDEN' | 'GRANT_EXCEEDS_OWN_PERMISSIONS' | 'TARGET_EXCEEDS_OWN_PERMISSIONS' | 'OWN_ROLE';

for (const engine of ENGINES) {
  describe(`grant-subset rule (${engine})`, () => {
    let h: Harness;
    const roleId: Record<string, string> = {};
    const perms: Record<string, Set<string>> = {};
    /** One account per role that the actors act on. */
    const victim: Record<string, string> = {};
    const userIdOf: Record<string, string> = {};
    let passwordHash: string;

    before(async () => {
      h = await startHarness(engine);
      for (const [name, p] of Object.entries(CUSTOM)) await h.addRole(name, p);
      const roles = await h.call('Administrator', { method: 'GET', url: '/api/v1/roles?limit=100' });
      for (const r of roles.json().items as { id: string; name: string; permissions: string[] }[]) {
        roleId[r.name] = r.id;
        perms[r.name] = new Set(r.permissions);
      }
      passwordHash = await hashPassword('Victim-pass1');
      for (const role of ACTORS) victim[role] = await addUser(`victim-${role}`, role);
      const users = await h.t.db.query<{ id: string; username: string }>(`SELECT id, username FROM users WHERE username LIKE 'u-%'`);
      for (const role of ACTORS) userIdOf[role] = users.rows.find((u) => u.username === 'u-' + role.toLowerCase().replace(/ /g, '-'))!.id;
    });
    after(() => h.close());

    async function addUser(username: string, role: string): Promise<string> {
      const r = await h.t.db.query<{ id: string }>(
        'INSERT INTO users (username, role_id, password_hash) SELECT $1, id, $2 FROM roles WHERE name = $3 RETURNING id', [username, passwordHash, role],
      );
      return r.rows[0].id;
    }

    /** The rule: the route's permissions first, then the actor's own role, then the subset test on what is touched and what is given. */
    function expected(actor: string, need: string[], opts: { touches?: string[]; gives?: string[]; ownRole?: boolean }): Outcome {
      const held = perms[actor];
      if (need.some((p) => !held.has(p))) return 'FORBIDDEN';
      if (opts.ownRole) return 'OWN_ROLE';
      const exceeds = (ps: string[]) => ps.some((p) => p !== NARROWING && !held.has(p));
      if (opts.touches && exceeds(opts.touches)) return 'TARGET_EXCEEDS_OWN_PERMISSIONS';
      if (opts.gives && exceeds(opts.gives)) return 'GRANT_EXCEEDS_OWN_PERMISSIONS';
      return 'allowed';
    }

    let cell = 0;
    /** Sends one request and returns a mismatch text, or null when the outcome and the audit trail are as expected. */
    async function check(actor: string, what: string, want: Outcome, opts: InjectOptions): Promise<string | null> {
      const before = (await h.t.db.query<{ n: string }>('SELECT coalesce(max(id), 0)::text AS n FROM events')).rows[0].n;
      const res = await h.call(actor, opts);
      const got: Outcome | string = res.statusCode < 300 ? 'allowed' : res.statusCode === 403 ? res.json().error.code : `${res.statusCode} ${res.body.slice(0, 160)}`;
      const events = await h.t.db.query<{ category: string; level: string; username: string; params: { reason?: string; action?: string } }>(
        'SELECT category, level, username, params FROM events WHERE id > $1 AND code = $2', [before, REFUSAL_EVENT],
      );
      cell++;
      if (got !== want) return `${actor} ${what}: expected ${want}, got ${got}`;
      const coded = want !== 'allowed' && want !== 'FORBIDDEN';
      if (!coded) return events.rows.length ? `${actor} ${what}: ${want} but audited as an escalation` : null;
      if (events.rows.length !== 1) return `${actor} ${what}: ${events.rows.length} security events instead of 1`;
      const e = events.rows[0];
      const username = 'u-' + actor.toLowerCase().replace(/ /g, '-');
      if (e.category !== 'security' || e.level !== 'warning' || e.username !== username || e.params.reason !== want || !e.params.action) {
        return `${actor} ${what}: audit row ${JSON.stringify(e)}`;
      }
      return null;
    }

    it('states the cells of the issue by hand', async () => {
      const adminRole = roleId.Administrator;
      const create = await h.call('Users writer', { method: 'POST', url: '/api/v1/users', payload: { username: 'sneaky', roleId: adminRole, password: 'Sneaky-pass1' } });
      assert.deepEqual([create.statusCode, create.json().error.code, create.json().error.field], [403, 'GRANT_EXCEEDS_OWN_PERMISSIONS', 'body.roleId']);
      const reset = await h.call('Users writer', { method: 'POST', url: `/api/v1/users/${userIdOf.Administrator}/password`, payload: { password: 'Taken-over1' } });
      assert.deepEqual([reset.statusCode, reset.json().error.code, reset.json().error.field], [403, 'TARGET_EXCEEDS_OWN_PERMISSIONS', 'params.userId']);
      const own = await h.call('Roles writer', { method: 'PATCH', url: `/api/v1/roles/${roleId['Roles writer']}`, payload: { permissions: ['Write.Roles', 'Write.Users'] } });
      assert.deepEqual([own.statusCode, own.json().error.code, own.json().error.field], [403, 'OWN_ROLE', 'params.roleId']);
      const selfPromote = await h.call('Users writer', { method: 'PATCH', url: `/api/v1/users/${userIdOf['Users writer']}`, payload: { roleId: adminRole } });
      assert.deepEqual([selfPromote.statusCode, selfPromote.json().error.code], [403, 'OWN_ROLE']);
      assert.match(create.json().error.message, /All\.External\.CENC/, 'the message names permissions the actor lacks');
      const ok = await h.call('Administrator', { method: 'POST', url: '/api/v1/users', payload: { username: 'new-operator', roleId: roleId.Operator, password: 'Operator-pass1' } });
      assert.equal(ok.statusCode, 201);
      const roles = await h.t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM role_permissions rp JOIN roles r ON r.id = rp.role_id WHERE r.name = 'Roles writer'`);
      assert.equal(roles.rows[0].n, 1, 'the refused role edit changed nothing');
    });

    it('refuses every grant or use of power beyond the actor\'s own, for every actor × target role, and audits each refusal', async () => {
      const mismatches: string[] = [];
      const note = (m: string | null) => m && mismatches.push(m);
      const spare = await addUser('spare', 'Subscriber');
      for (const actor of ACTORS) {
        for (const target of ACTORS) {
          const touches = [...perms[target]];
          note(await check(actor, `creates a user with role ${target}`, expected(actor, ['Write.Users'], { gives: touches }),
            { method: 'POST', url: '/api/v1/users', payload: { username: `n-${cell}`, roleId: roleId[target], password: 'Cell-pass1' } }));
          note(await check(actor, `resets the password of a ${target}`, expected(actor, ['Write.Users'], { touches }),
            { method: 'POST', url: `/api/v1/users/${victim[target]}/password`, payload: { password: `Pw-${cell}-x` } }));
          note(await check(actor, `disables a ${target}`, expected(actor, ['Write.Users'], { touches }),
            { method: 'PATCH', url: `/api/v1/users/${victim[target]}`, payload: { enabled: false } }));
          await h.t.db.query('UPDATE users SET enabled = true WHERE id = $1', [victim[target]]);
          note(await check(actor, `renames a ${target}`, expected(actor, ['Write.Users'], { touches }),
            { method: 'PATCH', url: `/api/v1/users/${victim[target]}`, payload: { displayName: `name ${cell}` } }));
          note(await check(actor, `demotes a ${target} to Subscriber`, expected(actor, ['Write.Users'], { touches, gives: [...perms.Subscriber] }),
            { method: 'PATCH', url: `/api/v1/users/${victim[target]}`, payload: { roleId: roleId.Subscriber } }));
          await h.t.db.query('UPDATE users SET role_id = $2 WHERE id = $1', [victim[target], roleId[target]]);
          note(await check(actor, `gives a subscriber the role ${target}`, expected(actor, ['Write.Users'], { touches: [...perms.Subscriber], gives: touches }),
            { method: 'PATCH', url: `/api/v1/users/${spare}`, payload: { roleId: roleId[target] } }));
          await h.t.db.query('UPDATE users SET role_id = $2 WHERE id = $1', [spare, roleId.Subscriber]);
          note(await check(actor, `edits the role ${target}`, expected(actor, ['Write.Roles'], { touches, ownRole: target === actor }),
            { method: 'PATCH', url: `/api/v1/roles/${roleId[target]}`, payload: { description: `edited ${cell}` } }));
        }
        note(await check(actor, 'adds a permission to its own role', expected(actor, ['Write.Roles'], { ownRole: true }),
          { method: 'PATCH', url: `/api/v1/roles/${roleId[actor]}`, payload: { permissions: [...perms[actor], 'Delete.Projects'].filter((p, i, a) => a.indexOf(p) === i) } }));
        const scratch = (await h.call('Administrator', { method: 'POST', url: '/api/v1/roles', payload: { name: `scratch ${actor}`, permissions: [] } })).json().id as string;
        for (const p of PERMISSIONS_TO_ADD) {
          note(await check(actor, `creates a role with ${p}`, expected(actor, ['Write.Roles'], { gives: [p] }),
            { method: 'POST', url: '/api/v1/roles', payload: { name: `r-${cell}`, permissions: [p] } }));
          note(await check(actor, `adds ${p} to an empty role`, expected(actor, ['Write.Roles'], { gives: [p] }),
            { method: 'PATCH', url: `/api/v1/roles/${scratch}`, payload: { permissions: [p] } }));
          await h.t.db.query('DELETE FROM role_permissions WHERE role_id = $1', [scratch]);
        }
      }
      assert.deepEqual(mismatches, []);
      const perms2 = await h.call('Administrator', { method: 'GET', url: `/api/v1/roles/${roleId['Users writer']}` });
      assert.deepEqual(perms2.json().permissions, ['Write.Users'], 'no refused edit changed a role');
    });

    it('documents each refusal code on its routes in the OpenAPI document', async () => {
      const doc = (await h.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>> };
      const codes: [string, string, Outcome[]][] = [
        ['/api/v1/users', 'post', ['GRANT_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/users/{userId}', 'patch', ['TARGET_EXCEEDS_OWN_PERMISSIONS', 'GRANT_EXCEEDS_OWN_PERMISSIONS', 'OWN_ROLE']],
        ['/api/v1/users/{userId}', 'delete', ['TARGET_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/users/{userId}/password', 'post', ['TARGET_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/users/{userId}/tokens', 'post', ['TARGET_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/users/{userId}/tokens/{tokenId}', 'delete', ['TARGET_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/users/{userId}/sessions/{sessionId}', 'delete', ['TARGET_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/roles', 'post', ['GRANT_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/roles/{roleId}', 'patch', ['OWN_ROLE', 'TARGET_EXCEEDS_OWN_PERMISSIONS', 'GRANT_EXCEEDS_OWN_PERMISSIONS']],
        ['/api/v1/roles/{roleId}', 'delete', ['OWN_ROLE', 'TARGET_EXCEEDS_OWN_PERMISSIONS']],
      ];
      for (const [path, method, expected] of codes) {
        const described = doc.paths[path]![method]!.responses['403']!.description;
        for (const code of [...expected, 'FORBIDDEN']) assert.match(described, new RegExp(`${code}: `), `${method} ${path}`);
      }
    });

    it('applies the rule to deleting users, their API tokens and their sessions', async () => {
      const m2m = await addUser('feed', 'M2M');
      await h.t.db.query('UPDATE users SET m2m = true, password_hash = NULL WHERE id = $1', [m2m]);
      const mismatches: string[] = [];
      const note = (m: string | null) => m && mismatches.push(m);
      const adminSession = (await h.t.db.query<{ id: string }>('SELECT id FROM sessions WHERE user_id = $1 LIMIT 1', [userIdOf.Administrator])).rows[0].id;
      note(await check('User admin', 'deletes an Administrator', 'TARGET_EXCEEDS_OWN_PERMISSIONS', { method: 'DELETE', url: `/api/v1/users/${victim.Administrator}` }));
      note(await check('Users writer', 'issues a token for an M2M account', 'TARGET_EXCEEDS_OWN_PERMISSIONS', { method: 'POST', url: `/api/v1/users/${m2m}/tokens`, payload: { name: 'stolen' } }));
      note(await check('Users writer', 'ends an administrator\'s session', 'TARGET_EXCEEDS_OWN_PERMISSIONS', { method: 'DELETE', url: `/api/v1/users/${userIdOf.Administrator}/sessions/${adminSession}` }));
      const token = await h.call('Administrator', { method: 'POST', url: `/api/v1/users/${m2m}/tokens`, payload: { name: 'feed' } });
      assert.equal(token.statusCode, 201);
      note(await check('Users writer', 'revokes an M2M account\'s token', 'TARGET_EXCEEDS_OWN_PERMISSIONS', { method: 'DELETE', url: `/api/v1/users/${m2m}/tokens/${token.json().id}` }));
      note(await check('User admin', 'deletes a User', 'allowed', { method: 'DELETE', url: `/api/v1/users/${victim.User}` }));
      assert.deepEqual(mismatches, []);
      assert.equal((await h.call('Administrator', { method: 'GET', url: '/api/v1/auth/me' })).statusCode, 200, 'the administrator\'s session is still open');
    });
  });
}
