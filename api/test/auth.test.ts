/** Sign-in, the forced password change of the default accounts, password rules, sessions, M2M tokens, rate limiting, audit. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { startHarness, PASSWORD, type Harness } from './harness.js';

const login = (h: Harness, username: string, password: string, ip = '10.1.1.1') =>
  h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress: ip, headers: { 'user-agent': 'test-agent' } });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

for (const engine of ENGINES) {
  describe(`authentication (${engine})`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(engine, { loginMaxFailures: 3 });
    });
    after(() => h.close());

    it('forces the default admin to change the password before anything else', async () => {
      const r = await login(h, 'admin', 'hesadmin');
      assert.equal(r.statusCode, 200);
      assert.equal(r.json().mustChangePassword, true);
      const auth = bearer(r.json().accessToken);
      const refused = await h.app.inject({ method: 'GET', url: '/api/v1/projects', headers: auth });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().error.code, 'PASSWORD_CHANGE_REQUIRED');
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth })).json().mustChangePassword, true);
      const same = await h.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: auth, payload: { currentPassword: 'hesadmin', newPassword: 'hesadmin' } });
      assert.equal(same.json().error.code, 'PASSWORD_REUSED');
      const ok = await h.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: auth, payload: { currentPassword: 'hesadmin', newPassword: 'New-admin1' } });
      assert.equal(ok.statusCode, 204);
      const created = await h.app.inject({ method: 'POST', url: '/api/v1/projects', headers: auth, payload: { name: 'Admin project' } });
      assert.equal(created.statusCode, 201);
      assert.equal((await login(h, 'admin', 'hesadmin')).statusCode, 401);
      assert.equal((await login(h, 'admin', 'New-admin1')).json().mustChangePassword, false);
    });

    it('applies the password rule: 6–32 characters, allowed characters, not the user name, no reuse', async () => {
      const r = await login(h, 'operator', 'hesoperator');
      const auth = bearer(r.json().accessToken);
      const change = (current: string, next: string) =>
        h.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: auth, payload: { currentPassword: current, newPassword: next } });
      const cases: [string, string][] = [
        ['abc12', 'PASSWORD_TOO_SHORT'], ['a'.repeat(33), 'PASSWORD_TOO_LONG'], ['with space1', 'PASSWORD_BAD_CHARACTERS'],
        ['пароль123', 'PASSWORD_BAD_CHARACTERS'], ['Operator', 'PASSWORD_SAME_AS_USERNAME'], ['hesoperator', 'PASSWORD_REUSED'],
      ];
      for (const [pw, code] of cases) {
        const res = await change('hesoperator', pw);
        assert.equal(res.statusCode, 400, pw);
        assert.deepEqual([res.json().error.code, res.json().error.field], [code, 'body.newPassword']);
      }
      assert.equal((await change('wrong-one', 'Good-pass1')).json().error.code, 'WRONG_PASSWORD');
      assert.equal((await change('hesoperator', 'a'.repeat(32))).statusCode, 204);
      assert.equal((await change('a'.repeat(32), 'Second-2')).statusCode, 204);
      assert.equal((await change('Second-2', 'hesoperator')).json().error.code, 'PASSWORD_REUSED', 'an older password is refused too');
      assert.equal((await change('Second-2', 'a'.repeat(32))).json().error.code, 'PASSWORD_REUSED');
    });

    it('rotates refresh tokens, lists and revokes sessions, logs out', async () => {
      const first = (await login(h, 'u-user', PASSWORD, '10.9.9.9')).json();
      const second = (await login(h, 'u-user', PASSWORD, '10.9.9.8')).json();
      const sessions = await h.app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer(first.accessToken) });
      const mine = sessions.json().items.filter((s: { ip: string }) => s.ip.startsWith('10.9.9.'));
      assert.equal(mine.length, 2);
      assert.equal(mine[0].userAgent, 'test-agent');
      const refreshed = await h.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: first.refreshToken } });
      assert.equal(refreshed.statusCode, 200);
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(first.accessToken) })).statusCode, 401, 'old access token replaced');
      const fresh = bearer(refreshed.json().accessToken);
      const revoke = await h.app.inject({ method: 'DELETE', url: `/api/v1/auth/sessions/${second.sessionId}`, headers: fresh });
      assert.equal(revoke.statusCode, 204);
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(second.accessToken) })).statusCode, 401);
      assert.equal((await h.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: fresh })).statusCode, 204);
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: fresh })).statusCode, 401);
    });

    it('revokes the whole session when a rotated refresh token comes back (reuse detection) and audits it', async () => {
      const refresh = (refreshToken: string) => h.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken }, remoteAddress: '10.6.6.1' });
      const stolen = (await login(h, 'u-user', PASSWORD, '10.6.6.6')).json();
      const other = (await login(h, 'u-user', PASSWORD, '10.6.6.7')).json();
      const r1 = await refresh(stolen.refreshToken);
      assert.equal(r1.statusCode, 200);
      const r2 = await refresh(r1.json().refreshToken);
      assert.equal(r2.statusCode, 200);
      const reused = await refresh(stolen.refreshToken);
      assert.deepEqual([reused.statusCode, reused.json().error.code, reused.json().error.field], [401, 'REFRESH_TOKEN_REUSED', 'body.refreshToken']);
      const next = await refresh(r2.json().refreshToken);
      assert.deepEqual([next.statusCode, next.json().error.code], [401, 'INVALID_REFRESH_TOKEN'], 'the newest refresh token of the family is revoked too');
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(r2.json().accessToken) })).statusCode, 401, 'and its access token');
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(other.accessToken) })).statusCode, 200, 'other sessions stay open');
      assert.equal((await refresh(r1.json().refreshToken)).json().error.code, 'REFRESH_TOKEN_REUSED', 'any rotated token of the family is a reuse');
      const ev = await h.t.db.query<{ level: string; username: string; ip: string; params: { sessionId: string } }>(
        `SELECT level, username, ip, params FROM events WHERE code = 'SSET_REFRESH_TOKEN_REUSE' ORDER BY id`,
      );
      assert.equal(ev.rows.length, 2);
      assert.deepEqual([ev.rows[0].level, ev.rows[0].username, ev.rows[0].ip, ev.rows[0].params.sessionId], ['warning', 'u-user', '10.6.6.1', stolen.sessionId]);
      assert.equal(JSON.stringify(ev.rows).includes(stolen.refreshToken), false, 'no token in events');
    });

    it('takes the Bearer scheme in any letter case (RFC 7235)', async () => {
      const token = h.as.User.authorization.slice('Bearer '.length);
      for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
        const r = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `${scheme} ${token}` } });
        assert.equal(r.statusCode, 200, scheme);
      }
      const wrong = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Basic ${token}` } });
      assert.deepEqual([wrong.statusCode, wrong.json().error.code], [401, 'UNAUTHENTICATED']);
    });

    it('gives M2M accounts API tokens only', async () => {
      const admin = h.as.Administrator;
      const roles = (await h.app.inject({ method: 'GET', url: '/api/v1/roles?name=m2m', headers: admin })).json().items;
      const user = await h.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload: { username: 'mdm', roleId: roles[0].id, m2m: true } });
      assert.equal(user.statusCode, 201);
      const tok = await h.app.inject({ method: 'POST', url: `/api/v1/users/${user.json().id}/tokens`, headers: admin, payload: { name: 'mdm feed' } });
      assert.equal(tok.statusCode, 201);
      assert.match(tok.json().token, /^hesm_/);
      const me = await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(tok.json().token) });
      assert.equal(me.json().username, 'mdm');
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(tok.json().token) })).statusCode, 403);
      assert.equal((await login(h, 'mdm', 'anything')).statusCode, 401, 'no password login for M2M');
      const list = await h.app.inject({ method: 'GET', url: `/api/v1/users/${user.json().id}/tokens`, headers: admin });
      assert.equal(JSON.stringify(list.json()).includes(tok.json().token), false, 'token never shown again');
      await h.app.inject({ method: 'DELETE', url: `/api/v1/users/${user.json().id}/tokens/${tok.json().id}`, headers: admin });
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: bearer(tok.json().token) })).statusCode, 401);
    });

    it('rate-limits failed logins per user and address, and records security events with user and IP', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await login(h, 'u-operator', 'wrong-pass', '10.7.7.7')).statusCode, 401);
      const blocked = await login(h, 'u-operator', PASSWORD, '10.7.7.7');
      assert.equal(blocked.statusCode, 429);
      assert.ok(Number(blocked.headers['retry-after']) > 0);
      assert.equal((await login(h, 'u-operator', PASSWORD, '10.7.7.8')).statusCode, 200, 'another address is not blocked');
      const ev = await h.app.inject({ method: 'GET', url: '/api/v1/events/security?code=SSET_LOGIN_FAILED', headers: h.as.Administrator });
      const failed = ev.json().items.filter((e: { ip: string }) => e.ip === '10.7.7.7');
      assert.equal(failed.length, 3);
      assert.equal(failed[0].username, 'u-operator');
      assert.equal(failed[0].level, 'warning');
      const all = await h.t.db.query<{ params: unknown }>('SELECT params FROM events');
      assert.equal(JSON.stringify(all.rows).includes(PASSWORD), false, 'no secret in events');
    });

    it('stores only scrypt hashes and token hashes', async () => {
      const u = await h.t.db.query<{ password_hash: string }>(`SELECT password_hash FROM users WHERE username = 'u-user'`);
      assert.match(u.rows[0].password_hash, /^scrypt\$16384\$8\$1\$/);
      const s = await h.t.db.query<{ access_hash: string }>('SELECT access_hash FROM sessions LIMIT 1');
      assert.match(s.rows[0].access_hash, /^[0-9a-f]{64}$/);
    });
  });
}
