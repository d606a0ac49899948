/**
 * VEE routes against a real chDB and the registry on both engines: rules saved and refused (unknown code →
 * 400 naming the field), re-validation and the failures list, estimation and the value in force, an edit
 * with a reason (audited, the original kept, the history readable), refused without a reason, for a role
 * without Write.Datastore, and for a device of another project.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testWarehouse } from '../../sinks/clickhouse/testing.js';
import { ENGINES } from '../../registry/testing.js';
import { createDevice, createProject } from '../../registry/project-data.js';
import { registryRules } from '../../sinks/vee/settings.js';
import { startHarness, type Harness } from './harness.js';

const engine = testWarehouse('vee-api');
const P = 900;
const T0 = Date.UTC(2026, 2, 2) / 1000;
const iso = (sec: number) => new Date(sec * 1000).toISOString();

for (const db of ENGINES) {
  describe(`VEE API (${db})`, () => {
    let h: Harness;
    let base: string;
    let device: { id: string; num: number };
    let foreignUrl: string;

    before(async () => {
      await engine.exec('TRUNCATE TABLE readings');
      await engine.exec('TRUNCATE TABLE reading_versions');
      await engine.exec('TRUNCATE TABLE validation_results');
      h = await startHarness(db, { clickhouse: engine });
      const d = await createDevice(h.t.db, h.projectId, { serialNumber: '4400000001', type: 'CE308' });
      device = { id: String(d.id), num: Number((await h.t.db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE id = $1', [d.id])).rows[0]!.num) };
      base = `/api/v1/projects/${h.projectId}`;
      const other = await createProject(h.t.db, { name: 'Other' }, null);
      const f = await createDevice(h.t.db, String(other.id), { serialNumber: '4400000002', type: 'CE308' });
      foreignUrl = `${base}/devices/${f.id}`;
      // a register growing 10 Wh per interval; intervals 3 and 4 missing
      const rows = [];
      for (let i = 0; i < 8; i++) {
        if (i === 3 || i === 4) continue;
        rows.push({
          device_id: device.num, archive: 'profile-15', obis: '1.0.1.8.0.255', reading_type: '', tariff: 0, ts: T0 + i * P, raw: 1000 + 10 * i, scaler: 0, unit: 'Wh',
          quality: 3, device_status: 0, device_tz: 60, source: 'POLL', collected_at: T0 + i * P + 60, retention_days: 0,
        });
      }
      await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
    });
    after(() => h.close());

    it('rules: the defaults until saved; an unknown code or parameter is a 400 naming the field', async () => {
      const cur = await h.call('User', { method: 'GET', url: `${base}/vee/settings` });
      assert.equal(cur.statusCode, 200, cur.body);
      assert.equal(cur.json().defaults, true);
      const bad = await h.call('Operator', { method: 'PUT', url: `${base}/vee/settings`, payload: { rules: [{ code: 'gap', severity: 'info' }, { code: 'gaps', severity: 'info' }] } });
      assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'body.rules[1].code']);
      const badParam = await h.call('Operator', { method: 'PUT', url: `${base}/vee/settings`, payload: { rules: [{ code: 'spike', severity: 'info', params: { factor: 'x' } }] } });
      assert.deepEqual([badParam.statusCode, badParam.json().error.field], [400, 'body.rules[0].params.factor']);
      const ok = await h.call('Operator', { method: 'PUT', url: `${base}/vee/settings`, payload: { rules: [{ code: 'gap', severity: 'error', archive: 'profile-15' }], linearMaxIntervals: 2 } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual([ok.json().defaults, ok.json().rules, ok.json().linearMaxIntervals], [false, [{ code: 'gap', severity: 'error', archive: 'profile-15', params: {} }], 2]);
      assert.equal((await h.call('User', { method: 'PUT', url: `${base}/vee/settings`, payload: { rules: null } })).statusCode, 403);
    });

    it('streaming validation takes each device\'s project rules from the registry', async () => {
      const rulesOf = await registryRules(h.t.db)([device.num, 999_999]);
      assert.deepEqual(rulesOf(device.num)?.map((r) => [r.code, r.severity]), [['gap', 'error']]);
      assert.equal(rulesOf(999_999), undefined);
    });

    it('re-validation stores failures; the project\'s failures name the device', async () => {
      const denied = await h.call('Operator', { method: 'POST', url: `${base}/vee/revalidate`, payload: { from: iso(T0), to: iso(T0 + 8 * P) } });
      assert.equal(denied.statusCode, 403);
      const r = await h.call('Project Manager', { method: 'POST', url: `${base}/vee/revalidate`, payload: { from: iso(T0), to: iso(T0 + 8 * P) } });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { devices: 1, readings: 6, failures: 1, cleared: 0 });
      const list = await h.call('M2M', { method: 'GET', url: `${base}/vee/failures?code=gap` });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json().items.map((f: { deviceId: string; serialNumber: string; ts: string; severity: string }) => [f.deviceId, f.serialNumber, f.ts, f.severity]), [
        [device.id, '4400000001', new Date((T0 + 5 * P) * 1000).toISOString(), 'error'],
      ]);
      const tooLong = await h.call('Administrator', { method: 'POST', url: `${base}/vee/revalidate`, payload: { from: iso(T0), to: iso(T0 + 100 * 86_400) } });
      assert.deepEqual([tooLong.statusCode, tooLong.json().error.field], [400, 'body.to']);
    });

    it('estimation fills the gap (linear within the project\'s limit); readings show status and validation', async () => {
      const r = await h.call('Administrator', { method: 'POST', url: `${base}/vee/estimate`, payload: { archive: 'profile-15', from: iso(T0), to: iso(T0 + 8 * P) } });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), { devices: 1, estimates: 2, linear: 2, profile: 0 });
      const list = await h.call('User', { method: 'GET', url: `${base}/devices/${device.id}/vee/readings?archive=profile-15&from=${iso(T0 + 2 * P)}&limit=4` });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json().items.map((x: { value: number; status: string; method: string; quality: string[]; validation: { code: string }[] }) => [x.value, x.status, x.method, x.quality, x.validation.map((v) => v.code)]), [
        [1020, 'measured', '', ['data-present', 'time-normal'], []], [1030, 'estimated', 'linear', ['estimated'], []], [1040, 'estimated', 'linear', ['estimated'], []],
        [1050, 'measured', '', ['data-present', 'time-normal'], ['gap']],
      ]);
    });

    it('edits: a reason is required, the device must be the project\'s, the original stays and the history tells who and why', async () => {
      const url = `${base}/devices/${device.id}/vee/edits`;
      const key = { archive: 'profile-15', obis: '1.0.1.8.0.255', ts: iso(T0 + 6 * P) };
      const noReason = await h.call('Administrator', { method: 'POST', url, payload: { ...key, action: 'replace', value: 1061 } });
      assert.deepEqual([noReason.statusCode, noReason.json().error.field], [400, 'body.reason']);
      const noValue = await h.call('Administrator', { method: 'POST', url, payload: { ...key, action: 'replace', reason: 'meter test' } });
      assert.deepEqual([noValue.statusCode, noValue.json().error.field], [400, 'body.value']);
      assert.equal((await h.call('Operator', { method: 'POST', url, payload: { ...key, action: 'replace', value: 1061, reason: 'meter test' } })).statusCode, 403);
      const foreign = await h.call('Administrator', { method: 'POST', url: `${foreignUrl}/vee/edits`, payload: { ...key, action: 'replace', value: 1061, reason: 'meter test' } });
      assert.equal(foreign.statusCode, 404);
      const ok = await h.call('Administrator', { method: 'POST', url, payload: { ...key, action: 'replace', value: 1061, reason: 'meter test' } });
      assert.equal(ok.statusCode, 201, ok.body);
      assert.deepEqual(ok.json().items.map((v: { kind: string; value: number; user: string | null; reason: string | null; inForce: boolean }) => [v.kind, v.value, v.user, v.reason, v.inForce]), [
        ['measured', 1060, null, null, false], ['edited', 1061, 'u-administrator', 'meter test', true],
      ]);
      const confirm = await h.call('Project Manager', { method: 'POST', url, payload: { ...key, ts: iso(T0 + 7 * P), action: 'confirm', reason: 'checked on site' } });
      assert.equal(confirm.statusCode, 201, confirm.body);
      const history = await h.call('User', { method: 'GET', url: `${base}/devices/${device.id}/vee/history?archive=profile-15&obis=1.0.1.8.0.255&ts=${iso(T0 + 7 * P)}` });
      assert.deepEqual(history.json().items.map((v: { kind: string; value: number; user: string | null; inForce: boolean }) => [v.kind, v.value, v.user, v.inForce]), [
        ['measured', 1070, null, false], ['confirmed', 1070, 'u-project-manager', true],
      ]);
      const audit = await h.t.db.query<{ username: string; params: unknown }>(`SELECT username, params FROM events WHERE code = 'SET_VEE_READING_EDIT' ORDER BY id`);
      assert.deepEqual(audit.rows.map((r) => r.username), ['u-administrator', 'u-project-manager']);
    });
  });
}
