/**
 * Notification rules through the API: validation naming the field, the secret never returned, ETags, the
 * notification list with its filters and paging, and the replay of a dead letter, which the notifier then
 * sends. Per role: Administrator and Project Manager write, Operator reads, User and M2M neither.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ENGINES } from '../../registry/testing.js';
import { openDb } from '../../registry/db.js';
import { loadMigrations, migrate } from '../../registry/migrate.js';
import { seed } from '../../registry/seed.js';
import { Notifier } from '../../notify/notifier.js';
import { startHttpReceiver, type HttpReceiver } from '../../notify/testing.js';
import type { EventRow } from '../../decoders/protocol-decoder.js';
import { startHarness, type Harness } from './harness.js';

for (const engine of ENGINES) {
  describe(`notifications API (${engine})`, () => {
    let h: Harness;
    let http: HttpReceiver;
    let notifier: Notifier;
    let base: string;
    before(async () => {
      h = await startHarness(engine);
      http = await startHttpReceiver();
      notifier = new Notifier({ db: h.t.db, box: h.box, maxAttempts: 1 });
      base = `/api/v1/projects/${h.projectId}`;
    });
    after(async () => {
      await notifier.close();
      await http.close();
      await h.close();
    });

    it('creates, reads, changes and deletes rules by role; bad input is a 400 naming the field; the secret is write-only', async () => {
      const hook = { name: 'hook', channel: 'webhook', severities: ['critical'], url: `${http.url}/h`, secret: 'top-secret' };
      for (const role of ['Operator', 'User', 'M2M']) assert.equal((await h.call(role, { method: 'POST', url: `${base}/notification-rules`, payload: hook })).statusCode, 403, role);
      const bad = async (payload: object, field: string) => {
        const r = await h.call('Project Manager', { method: 'POST', url: `${base}/notification-rules`, payload });
        assert.deepEqual([r.statusCode, r.json().error.field], [400, field], r.body);
      };
      await bad({ ...hook, secret: undefined }, 'body.secret');
      await bad({ ...hook, url: 'ftp://x' }, 'body.url');
      await bad({ ...hook, severities: [] }, 'body.eventCodes');
      await bad({ ...hook, severities: ['loud'] }, 'body.severities.0');
      await bad({ name: 'm', channel: 'email', eventCodes: [1], recipients: ['not-an-address'] }, 'body.recipients');
      await bad({ name: 'm', channel: 'sms', eventCodes: [1], url: 'http://gw/{to}' }, 'body.recipients');
      await bad({ ...hook, quietPeriod: { from: '25:00', to: '07:00' } }, 'body.quietPeriod.from');
      const created = await h.call('Project Manager', { method: 'POST', url: `${base}/notification-rules`, payload: hook });
      assert.equal(created.statusCode, 201, created.body);
      const rule = created.json();
      assert.deepEqual([rule.secretSet, rule.secret, rule.url, rule.dedupSeconds, rule.quietPeriod, rule.groupIds], [true, undefined, `${http.url}/h`, 3600, null, []]);
      const stored = await h.t.db.query<{ secret_enc: string }>('SELECT secret_enc FROM notification_rules WHERE id = $1', [rule.id]);
      assert.ok(!stored.rows[0]!.secret_enc.includes('top-secret'), 'encrypted at rest');
      const dup = await h.call('Administrator', { method: 'POST', url: `${base}/notification-rules`, payload: hook });
      assert.deepEqual([dup.statusCode, dup.json().error.field], [409, 'body.name']);
      const list = await h.call('Operator', { method: 'GET', url: `${base}/notification-rules` });
      assert.deepEqual([list.statusCode, list.json().total, list.json().items[0].name], [200, 1, 'hook']);
      assert.equal((await h.call('Operator', { method: 'GET', url: `${base}/notification-rules?limit=1&offset=1` })).json().items.length, 0);
      assert.equal((await h.call('User', { method: 'GET', url: `${base}/notification-rules` })).statusCode, 403);
      const stale = await h.call('Administrator', { method: 'PATCH', url: `${base}/notification-rules/${rule.id}`, headers: { 'if-match': '"99"' }, payload: { enabled: false } });
      assert.equal(stale.statusCode, 412);
      const changed = await h.call('Administrator', {
        method: 'PATCH', url: `${base}/notification-rules/${rule.id}`, headers: { 'if-match': `"${rule.version}"` }, payload: { eventCodes: [47], quietPeriod: { from: '22:00', to: '06:00' } },
      });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.deepEqual([changed.json().eventCodes, changed.json().severities, changed.json().quietPeriod, changed.json().secretSet], [[47], ['critical'], { from: '22:00', to: '06:00' }, true]);
      const sms = await h.call('Administrator', {
        method: 'POST', url: `${base}/notification-rules`, payload: { name: 'sms', channel: 'sms', eventCodes: [1], recipients: ['+1'], url: 'http://gw/send?to={to}', method: 'GET' },
      });
      const renamed = await h.call('Administrator', { method: 'PATCH', url: `${base}/notification-rules/${sms.json().id}`, payload: { name: 'sms 2' } });
      assert.deepEqual([renamed.json().name, renamed.json().method, renamed.json().url, renamed.json().recipients], ['sms 2', 'GET', 'http://gw/send?to={to}', ['+1']], 'a PATCH keeps the other target fields');
      const other = await h.call('Administrator', { method: 'POST', url: `${base}/notification-rules`, payload: { name: 'x', channel: 'email', eventCodes: [1], recipients: ['a@b.c'] } });
      assert.equal((await h.call('Operator', { method: 'DELETE', url: `${base}/notification-rules/${other.json().id}` })).statusCode, 403);
      assert.equal((await h.call('Project Manager', { method: 'DELETE', url: `${base}/notification-rules/${other.json().id}` })).statusCode, 204);
      assert.equal((await h.call('Project Manager', { method: 'GET', url: `${base}/notification-rules/${other.json().id}` })).statusCode, 404);
    });

    it('lists notifications with filters and paging; a dead letter is replayed by the API and sent', async () => {
      const group = await h.t.db.query<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1 AND is_default', [h.projectId]);
      const d = await h.t.db.query<{ id: string; num: number }>(
        `INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, 'N-1', 'CE308', $2) RETURNING id, num`, [h.projectId, group.rows[0]!.id],
      );
      const rule = await h.call('Administrator', { method: 'POST', url: `${base}/notification-rules`, payload: { name: 'down', channel: 'webhook', eventCodes: [5, 6, 7], url: `${http.url}/down`, secret: 's' } });
      const at = Math.floor(Date.now() / 1000);
      const event = (code: number): EventRow => ({
        device_id: Number(d.rows[0]!.num), journal: 'power-on-off', ts: at, code, name: `event ${code}`, params: '{}', raw: '', device_tz: 0, source: 'POLL', collected_at: at, retention_days: 0,
      });
      http.answers.push(500, 200, 200);
      notifier.enqueue([event(5), event(6), event(7)]);
      await notifier.idle();
      const all = await h.call('Operator', { method: 'GET', url: `${base}/notifications?ruleId=${rule.json().id}&limit=2` });
      assert.equal(all.statusCode, 200, all.body);
      assert.deepEqual([all.json().total, all.json().items.length, all.json().items.map((n: { eventCode: number }) => n.eventCode)], [3, 2, [7, 6]]);
      const dead = await h.call('Operator', { method: 'GET', url: `${base}/notifications?status=failed` });
      assert.deepEqual(dead.json().items.map((n: { eventCode: number; reason: string; deviceId: string }) => [n.eventCode, n.reason, n.deviceId]), [[5, `HTTP 500 from ${http.url}/down`, d.rows[0]!.id]]);
      const id = dead.json().items[0].id;
      assert.equal((await h.call('Operator', { method: 'POST', url: `${base}/notifications/${id}/replay` })).statusCode, 403);
      const replay = await h.call('Project Manager', { method: 'POST', url: `${base}/notifications/${id}/replay` });
      assert.deepEqual([replay.statusCode, replay.json().status, replay.json().attempts], [202, 'pending', 0]);
      notifier.kick();
      await notifier.idle();
      const sent = await h.call('Operator', { method: 'GET', url: `${base}/notifications?status=sent&eventCode=5` });
      assert.deepEqual(sent.json().items.map((n: { id: number; attempts: number }) => [n.id, n.attempts]), [[id, 1]]);
      const again = await h.call('Project Manager', { method: 'POST', url: `${base}/notifications/${id}/replay` });
      assert.deepEqual([again.statusCode, again.json().error.code], [409, 'NOT_FAILED']);
      assert.equal((await h.call('Project Manager', { method: 'POST', url: `${base}/notifications/999999/replay` })).statusCode, 404);
      const badFilter = await h.call('Operator', { method: 'GET', url: `${base}/notifications?status=lost` });
      assert.deepEqual([badFilter.statusCode, badFilter.json().error.field], [400, 'querystring.status']);
    });
  });
}

describe('notification permissions', () => {
  it('a registry migrated from before them gets them for its built-in Administrator and Project Manager, and Operator reads', async () => {
    const old = await openDb({});
    try {
      // A registry as the migrations before this one left it, seeded then: without the Notifications permissions.
      const version = loadMigrations().find((m) => m.name === 'notifications')!.version;
      await migrate(old, loadMigrations().filter((m) => m.version < version));
      await seed(old);
      await old.query(`DELETE FROM role_permissions WHERE permission LIKE '%.Notifications'`);
      await old.query(`DELETE FROM permissions WHERE name LIKE '%.Notifications'`);
      assert.ok((await migrate(old)).includes(version));
      const holders = await old.query<{ name: string; permissions: string[] }>(
        `SELECT r.name, array_agg(rp.permission ORDER BY rp.permission) AS permissions FROM role_permissions rp JOIN roles r ON r.id = rp.role_id
         WHERE rp.permission LIKE '%.Notifications' GROUP BY r.name ORDER BY r.name`,
      );
      const all = ['Delete.Notifications', 'Read.Notifications', 'Write.Notifications'];
      assert.deepEqual(holders.rows, [{ name: 'Administrator', permissions: all }, { name: 'Operator', permissions: ['Read.Notifications'] }, { name: 'Project Manager', permissions: all }]);
    } finally {
      await old.close();
    }
  });
});
