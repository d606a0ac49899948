/**
 * Analytics routes against a real chDB (devices_dim refreshed from the registry) and the registry on both
 * engines, on one hand-made day: three meters of a group — a balance meter and two behind it, one missing
 * two intervals — give completeness, communication, the heat map, the load curve, consumption totals and
 * top N, the energy balance with its completeness flag; estimates count as values in force; outages give
 * SAIDI/SAIFI; meters with validation failures are listed; a device of another project is refused.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testWarehouse } from '../../sinks/clickhouse/testing.js';
import { DevicesDimension } from '../../sinks/clickhouse/devices-dim.js';
import { ENGINES } from '../../registry/testing.js';
import { createDevice, createProject } from '../../registry/project-data.js';
import { closeOutage, openOutage } from '../../registry/outages.js';
import { startHarness, type Harness } from './harness.js';

const engine = testWarehouse('analytics-api');
const P = 900;
const DAY = Date.UTC(2026, 2, 2) / 1000;
const iso = (sec: number) => new Date(sec * 1000).toISOString();

for (const db of ENGINES) {
  describe(`analytics API (${db})`, () => {
    let h: Harness;
    let base: string;
    let groupId: string;
    const dev: Record<'parent' | 'c1' | 'c2', { id: string; num: number }> = {} as never;
    let foreign: string;
    const get = async (path: string, role = 'User') => {
      const r = await h.call(role, { method: 'GET', url: `${base}/analytics/${path}` });
      assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
      return r.json();
    };

    before(async () => {
      for (const t of ['readings', 'reading_versions', 'validation_results']) await engine.exec(`TRUNCATE TABLE ${t}`);
      h = await startHarness(db, { clickhouse: engine });
      base = `/api/v1/projects/${h.projectId}`;
      groupId = (await h.t.db.query<{ id: string }>('INSERT INTO device_groups (project_id, name) VALUES ($1, $2) RETURNING id', [h.projectId, 'Feeder 7'])).rows[0]!.id;
      const rows: object[] = [];
      for (const [name, serial, step] of [['parent', '5500000000', 33], ['c1', '5500000001', 10], ['c2', '5500000002', 20]] as const) {
        const d = await createDevice(h.t.db, h.projectId, { serialNumber: serial, type: 'CE308', groupId });
        dev[name] = { id: String(d.id), num: Number((await h.t.db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE id = $1', [d.id])).rows[0]!.num) };
        for (let i = 0; i <= 96; i++) {
          if (name === 'c2' && (i === 10 || i === 11)) continue;
          rows.push({
            device_id: dev[name].num, archive: 'profile-15', obis: '1.0.1.8.0.255', reading_type: '', tariff: 0, ts: DAY + i * P, raw: 100_000 + step * i, scaler: 0,
            unit: 'Wh', quality: 3, device_status: 0, device_tz: 0, source: 'POLL', collected_at: DAY + i * P + 60, retention_days: 0,
          });
        }
      }
      const other = await createProject(h.t.db, { name: 'Other' }, null);
      foreign = String((await createDevice(h.t.db, String(other.id), { serialNumber: '5500000009', type: 'CE308' })).id);
      await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
      await new DevicesDimension(h.t.db, engine).refresh();
    });
    after(() => h.close());

    it('completeness per day and group: expected intervals of the enabled devices vs received', async () => {
      const r = await get(`completeness?from=2026-03-02&to=2026-03-02&by=group`);
      assert.deepEqual(r.items, [{ key: 'Feeder 7', day: '2026-03-02', devices: 3, expected: 288, received: 286, percent: 99.31 }]);
      const two = await get(`completeness?from=2026-03-02&to=2026-03-03&groupId=${groupId}`);
      assert.deepEqual(two.items.map((x: { day: string; received: number }) => [x.day, x.received]), [['2026-03-02', 286], ['2026-03-03', 0]]);
    });

    it('communication success per day and the devices × days heat map', async () => {
      const r = await get('communication?from=2026-03-02&to=2026-03-03&by=group');
      assert.deepEqual(r.items.map((x: { day: string; devices: number; communicating: number; percent: number }) => [x.day, x.devices, x.communicating, x.percent]), [
        ['2026-03-02', 3, 3, 100], ['2026-03-03', 3, 3, 100],
      ]);
      const map = await get(`connectivity?from=2026-03-02&to=2026-03-04&groupId=${groupId}`);
      assert.deepEqual(map.days, ['2026-03-02', '2026-03-03', '2026-03-04']);
      assert.deepEqual(map.items.map((x: { serialNumber: string; readings: number[]; daysSilent: number }) => [x.serialNumber, x.readings, x.daysSilent]), [
        ['5500000000', [96, 1, 0], 1], ['5500000001', [96, 1, 0], 1], ['5500000002', [94, 1, 0], 1],
      ]);
    });

    it('load curve and consumption aggregates over the set; top N', async () => {
      const range = `from=${iso(DAY)}&to=${iso(DAY + 86_400)}`;
      const curve = await get(`load-curve?${range}&groupId=${groupId}`);
      assert.equal(curve.items.length, 96);
      assert.deepEqual(curve.items[0], { ts: iso(DAY + P), sum: 63, avg: 21, max: 33, devices: 3 });
      // c2 lacks 10 and 11, so its differences at 10, 11 and 12 are unknown
      assert.deepEqual(curve.items.slice(8, 12).map((x: { sum: number; devices: number }) => [x.sum, x.devices]), [[63, 3], [43, 2], [43, 2], [43, 2]]);
      assert.deepEqual(curve.peak, { ts: iso(DAY + P), sum: 63 });
      const c = await get(`consumption?${range}&top=2`);
      assert.deepEqual([c.devices, c.complete, c.total, c.max], [3, 2, 3168 + 960 + 1860, 3168]);
      assert.deepEqual(c.top.map((t: { serialNumber: string; consumption: number; intervals: number }) => [t.serialNumber, t.consumption, t.intervals]), [['5500000000', 3168, 96], ['5500000002', 1860, 93]]);
      const listed = await get(`consumption?${range}&deviceIds=${dev.c1.id}&deviceIds=${dev.c2.id}`);
      assert.equal(listed.total, 960 + 1860);
      const refused = await h.call('User', { method: 'GET', url: `${base}/analytics/consumption?${range}&deviceIds=${foreign}` });
      assert.deepEqual([refused.statusCode, refused.json().error.field], [404, 'querystring.deviceIds']);
    });

    it('energy balance of a balance group: parent minus children per interval, complete where all reported', async () => {
      const r = await get(`balance?from=${iso(DAY)}&to=${iso(DAY + 86_400)}&parentDeviceId=${dev.parent.id}&groupId=${groupId}`);
      assert.equal(r.children, 2);
      assert.deepEqual(r.items[0], { ts: iso(DAY + P), parent: 33, children: 30, childrenReporting: 2, loss: 3, lossPercent: 9.09, complete: true });
      assert.deepEqual([r.items[10].complete, r.items[10].childrenReporting], [false, 1]);
      assert.deepEqual(r.total, { parent: 33 * 93, children: 30 * 93, loss: 3 * 93, lossPercent: 9.09, completeIntervals: 93, intervals: 96 });
    });

    it('estimates are values in force: the gap filled, the set complete', async () => {
      const e = await h.call('Administrator', { method: 'POST', url: `${base}/vee/estimate`, payload: { archive: 'profile-15', from: iso(DAY), to: iso(DAY + 86_400), deviceIds: [dev.c2.id] } });
      assert.deepEqual(e.json(), { devices: 1, estimates: 2, linear: 2, profile: 0 });
      const c = await get(`consumption?from=${iso(DAY)}&to=${iso(DAY + 86_400)}`);
      assert.deepEqual([c.complete, c.total], [3, 3168 + 960 + 1920]);
    });

    it('outages: interruptions, minutes, SAIDI and SAIFI per group; momentary ones left out', async () => {
      await openOutage(h.t.db, dev.c1.id, (DAY + 3600) * 1000, 'last-gasp');
      await closeOutage(h.t.db, dev.c1.id, (DAY + 3600 + 1800) * 1000, 'connected');
      await openOutage(h.t.db, dev.c2.id, (DAY + 7200) * 1000, 'last-gasp');
      await closeOutage(h.t.db, dev.c2.id, (DAY + 7200 + 120) * 1000, 'communication');
      const r = await get(`outages?from=${iso(DAY)}&to=${iso(DAY + 86_400)}`);
      const feeder = r.items.find((x: { group: string }) => x.group === 'Feeder 7');
      assert.deepEqual(feeder, { groupId, group: 'Feeder 7', customers: 3, interruptions: 1, minutes: 30, saidi: 10, saifi: 0.3333 });
      assert.deepEqual(r.items.at(-1).groupId, null);
      const all = await get(`outages?from=${iso(DAY)}&to=${iso(DAY + 86_400)}&minMinutes=0&groupId=${groupId}`);
      assert.deepEqual([all.items[0].interruptions, all.items[0].minutes], [2, 32]);
    });

    it('meters with validation failures, most errors first', async () => {
      // before the estimates: c2's gap (the re-validation checks measured values)
      const v = await h.call('Administrator', { method: 'POST', url: `${base}/vee/revalidate`, payload: { from: iso(DAY), to: iso(DAY + 86_400 + 1) } });
      assert.equal(v.statusCode, 200, v.body);
      const r = await get(`validation?from=${iso(DAY)}&to=${iso(DAY + 86_400 + 1)}`, 'M2M');
      assert.deepEqual(r.items.map((x: { serialNumber: string; failures: number; warnings: number; codes: string[] }) => [x.serialNumber, x.failures, x.warnings, x.codes]), [['5500000002', 1, 1, ['gap']]]);
      assert.equal((await h.call('Subscriber', { method: 'GET', url: `${base}/analytics/validation?from=${iso(DAY)}&to=${iso(DAY + 86_400)}` })).statusCode, 403);
    });
  });
}
