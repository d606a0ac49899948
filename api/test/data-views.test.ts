/**
 * Group data view and collection statistics against a real chDB holding readings with holes, on both
 * registry engines: the matrix marks exactly the missing cells, percents are right, range limits answer
 * 400 naming the field, another project's group is 404, and without ClickHouse the routes say so. The
 * same answers come through a ClickHouse server (@clickhouse/client → chDB's HTTP endpoint).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ServerEngine } from '../../sinks/clickhouse/engine.js';
import { testWarehouse } from '../../sinks/clickhouse/testing.js';
import { startChdbHttpEndpoint } from '../../sinks/clickhouse/http-endpoint.js';
import { ENGINES } from '../../registry/testing.js';
import { createDevice, createProject } from '../../registry/project-data.js';
import { buildApp } from '../app.js';
import { startHarness, type Harness } from './harness.js';

const engine = testWarehouse('views');

const utc = (s: string) => Date.parse(s);

interface Reading {
  device: number;
  archive: string;
  obis: string;
  tariff: number;
  ts: number;
  raw: number;
  scaler?: number;
  /** The meter's zone offset, minutes east of UTC (default: Moscow). */
  tz?: number;
  /** How it came (default POLL). */
  source?: 'POLL' | 'PUSH';
}

async function insert(rows: Reading[]): Promise<void> {
  const lines = rows.map((r) => JSON.stringify({
    device_id: r.device, archive: r.archive, obis: r.obis, reading_type: '', tariff: r.tariff, ts: r.ts / 1000, raw: r.raw, scaler: r.scaler ?? -2,
    unit: 'kWh', quality: 3, device_status: 0, device_tz: r.tz ?? 180, source: r.source ?? 'POLL', collected_at: r.ts / 1000 + 60, retention_days: 0,
  }));
  await engine.exec(`INSERT INTO readings SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${lines.join('\n')}`);
}

/** Local (Moscow, UTC+3) midnight of 2025-02-dd. */
const msk = (day: number) => utc(`2025-02-${String(day).padStart(2, '0')}T00:00:00+03:00`);

for (const db of ENGINES) {
  describe(`group data view and statistics (${db})`, () => {
    let h: Harness;
    let url: string;
    let groupId: string;
    const dev: Record<string, { id: string; num: number }> = {};
    const get = async (path: string, role = 'Operator') => h.call(role, { method: 'GET', url: `${url}/${path}` });

    before(async () => {
      await engine.exec('TRUNCATE TABLE readings');
      h = await startHarness(db, { clickhouse: engine });
      await h.t.db.query(`UPDATE projects SET time_zone = 'Europe/Moscow' WHERE id = $1`, [h.projectId]);
      const g = await h.t.db.query<{ id: string }>(`INSERT INTO device_groups (project_id, name) VALUES ($1, 'KBSI') RETURNING id`, [h.projectId]);
      groupId = g.rows[0].id;
      url = `/api/v1/projects/${h.projectId}/groups/${groupId}`;
      for (const [serial, type] of [['N01-1285', 'CE207'], ['N03-6863', 'CE307'], ['N04-7001', 'CE308']]) {
        const d = await createDevice(h.t.db, h.projectId, { serialNumber: serial, type, groupId });
        dev[serial] = { id: String(d.id), num: Number((await h.t.db.query<{ num: number }>('SELECT num FROM devices WHERE id = $1', [d.id])).rows[0].num) };
      }
      // Not in the group: must never show.
      await createDevice(h.t.db, h.projectId, { serialNumber: 'OTHER-1', type: 'CE308' });
      const rows: Reading[] = [];
      for (let day = 1; day <= 6; day++) {
        // N03: every day, A+ T0/T1 and R+ T0, stamped at local midnight.
        rows.push({ device: dev['N03-6863'].num, archive: 'end-of-day', obis: '1.0.1.8.0.255', tariff: 0, ts: msk(day), raw: 3_267_600 + day * 100 });
        rows.push({ device: dev['N03-6863'].num, archive: 'end-of-day', obis: '1.0.1.8.1.255', tariff: 1, ts: msk(day), raw: 2_391_900 + day * 50 });
        rows.push({ device: dev['N03-6863'].num, archive: 'end-of-day', obis: '1.0.3.8.0.255', tariff: 0, ts: msk(day), raw: 4180 });
        // N04's clock runs in UTC: its midnights are 03:00 Moscow, still the same local day. It pushes its daily
        // registers (collected all the same) and misses the 3rd.
        if (day !== 3) rows.push({ device: dev['N04-7001'].num, archive: 'end-of-day', obis: '1.0.1.8.0.255', tariff: 0, ts: utc(`2025-02-0${day}T00:00:00Z`), raw: 1000 * day, source: 'PUSH' });
      }
      // 15-minute A+ energies of N03 on Feb 2 (Moscow): all but 10:15 and 10:30; a voltage value that is not energy.
      for (let t = msk(2) + 15 * 60_000; t <= msk(3); t += 15 * 60_000) {
        if (t === utc('2025-02-02T10:15:00+03:00') || t === utc('2025-02-02T10:30:00+03:00')) continue;
        rows.push({ device: dev['N03-6863'].num, archive: 'profile-15', obis: '1.0.1.29.0.255', tariff: 0, ts: t, raw: 25, scaler: 0 });
      }
      rows.push({ device: dev['N03-6863'].num, archive: 'profile-15', obis: '1.0.32.7.0.255', tariff: 0, ts: utc('2025-02-02T10:15:00+03:00'), raw: 2301, scaler: -1 });
      // Monthly registers of N04.
      for (const m of ['2024-12', '2025-01', '2025-02']) rows.push({ device: dev['N04-7001'].num, archive: 'end-of-month', obis: '1.0.1.8.0.255', tariff: 0, ts: utc(`${m}-01T00:00:00+03:00`), raw: 777 });
      // Current values of N01: the newest counts.
      rows.push({ device: dev['N01-1285'].num, archive: 'current', obis: '1.0.1.8.0.255', tariff: 0, ts: utc('2025-02-05T08:00:00Z'), raw: 100 });
      rows.push({ device: dev['N01-1285'].num, archive: 'current', obis: '1.0.1.8.0.255', tariff: 0, ts: utc('2025-02-05T09:00:00Z'), raw: 150 });
      await insert(rows);
    });
    after(() => h.close());

    it('shows devices × days with exactly the missing values marked (figure 25)', async () => {
      const r = await get('data?archive=end-of-day&from=2025-02-01&to=2025-02-06&types=A%2B&types=R%2B&tariffs=0&tariffs=1');
      assert.equal(r.statusCode, 200, r.body);
      const v = r.json();
      assert.equal(v.timeZone, 'Europe/Moscow');
      assert.deepEqual(v.labels, ['2025-02-01', '2025-02-02', '2025-02-03', '2025-02-04', '2025-02-05', '2025-02-06']);
      assert.deepEqual(v.timestamps, [1, 2, 3, 4, 5, 6].map((d) => new Date(msk(d)).toISOString()));
      assert.equal(v.total, 3);
      const rows = v.items.map((i: { serialNumber: string; physicalType: string; tariff: number; values: unknown[]; missing: number }) =>
        [i.serialNumber, i.physicalType, i.tariff, i.values, i.missing]);
      const none = [null, null, null, null, null, null];
      assert.deepEqual(rows, [
        ['N01-1285', 'A+', 0, none, 6], ['N01-1285', 'A+', 1, none, 6], ['N01-1285', 'R+', 0, none, 6], ['N01-1285', 'R+', 1, none, 6],
        ['N03-6863', 'A+', 0, [32677, 32678, 32679, 32680, 32681, 32682], 0], ['N03-6863', 'A+', 1, [23919.5, 23920, 23920.5, 23921, 23921.5, 23922], 0],
        ['N03-6863', 'R+', 0, [41.8, 41.8, 41.8, 41.8, 41.8, 41.8], 0], ['N03-6863', 'R+', 1, none, 6],
        ['N04-7001', 'A+', 0, [10, 20, null, 40, 50, 60], 1], ['N04-7001', 'A+', 1, none, 6], ['N04-7001', 'R+', 0, none, 6], ['N04-7001', 'R+', 1, none, 6],
      ]);
      assert.equal(v.missing, 8 * 6 + 1);
      const n03 = v.items.find((i: { serialNumber: string }) => i.serialNumber === 'N03-6863');
      assert.deepEqual([n03.obis, n03.unit, n03.deviceId, n03.type], ['1.0.1.8.0.255', 'kWh', dev['N03-6863'].id, 'CE307']);

      // Paging over devices.
      const p2 = (await get('data?archive=end-of-day&from=2025-02-01&to=2025-02-02&types=A%2B&limit=1&offset=2')).json();
      assert.deepEqual(p2.items.map((i: { serialNumber: string; values: unknown[] }) => [i.serialNumber, i.values]), [['N04-7001', [10, 20]]]);
      assert.deepEqual([p2.total, p2.limit, p2.offset], [3, 1, 2]);
    });

    it('shows intervals of a day on the local clock, energy only, and the newest current values', async () => {
      const v = (await get('data?archive=profile-15&from=2025-02-02&to=2025-02-02&types=A%2B')).json();
      assert.equal(v.timestamps.length, 96);
      assert.deepEqual([v.labels[0], v.labels[95]], ['2025-02-02 00:15', '2025-02-03 00:00']);
      const n03 = v.items.find((i: { serialNumber: string }) => i.serialNumber === 'N03-6863');
      const missing = n03.values.flatMap((x: unknown, i: number) => (x === null ? [v.labels[i]] : []));
      assert.deepEqual(missing, ['2025-02-02 10:15', '2025-02-02 10:30'], 'the voltage at 10:15 is not an A+ value');
      assert.equal(n03.missing, 2);
      assert.ok(n03.values.every((x: unknown) => x === null || x === 25));

      const c = (await get('data?archive=current&types=A%2B')).json();
      const n01 = c.items.find((i: { serialNumber: string }) => i.serialNumber === 'N01-1285');
      assert.deepEqual([n01.values, n01.readAt, n01.missing, c.labels, c.from], [[1.5], ['2025-02-05T09:00:00.000Z'], 0, ['current'], null]);
      const early = (await get('data?archive=current&types=A%2B&to=2025-02-05T08:30:00Z')).json();
      assert.deepEqual(early.items.find((i: { serialNumber: string }) => i.serialNumber === 'N01-1285').values, [1]);
      const n04 = c.items.find((i: { serialNumber: string }) => i.serialNumber === 'N04-7001');
      assert.deepEqual([n04.values, n04.readAt, n04.missing], [[null], [null], 1]);
    });

    it('limits the range to 30 days (12 months for monthly data) and names the field', async () => {
      assert.equal((await get('data?archive=end-of-day&from=2025-02-01&to=2025-03-02')).statusCode, 200, '28 + 2 days');
      let r = await get('data?archive=end-of-day&from=2025-02-01&to=2025-03-03');
      assert.equal(r.statusCode, 400);
      assert.deepEqual([r.json().error.code, r.json().error.field], ['RANGE_TOO_LONG', 'querystring.to']);
      r = await get('data?archive=profile-60&from=2025-02-01T00:00:00Z&to=2025-03-05T00:00:00Z');
      assert.deepEqual([r.statusCode, r.json().error.field], [400, 'querystring.to']);
      const m = await get('data?archive=end-of-month&from=2024-12-01&to=2025-11-30&types=A%2B');
      assert.equal(m.statusCode, 200);
      const n04 = m.json().items.find((i: { serialNumber: string }) => i.serialNumber === 'N04-7001');
      assert.deepEqual(n04.values, [7.77, 7.77, 7.77, null, null, null, null, null, null, null, null, null]);
      assert.deepEqual(m.json().labels.slice(0, 2), ['2024-12', '2025-01']);
      r = await get('data?archive=end-of-month&from=2024-12-01&to=2025-12-01');
      assert.deepEqual([r.statusCode, r.json().error.field], [400, 'querystring.to']);
      r = await get('data?archive=end-of-day&from=2025-02-05&to=2025-02-01');
      assert.deepEqual([r.statusCode, r.json().error.field], [400, 'querystring.to']);
      r = await get('data?archive=end-of-day&from=2025-02-30&to=2025-03-01');
      assert.deepEqual([r.statusCode, r.json().error.field], [400, 'querystring.from']);
      r = await get('data?archive=end-of-day&to=2025-03-01');
      assert.deepEqual([r.statusCode, r.json().error.field], [400, 'querystring.from']);
      r = await get('statistics?archive=end-of-day&from=2025-01-01&to=2025-03-01');
      assert.deepEqual([r.statusCode, r.json().error.field], [400, 'querystring.to']);
    });

    it('counts percent collected per group and device per day (figure 26)', async () => {
      const r = await get('statistics?archive=end-of-day&tags=A%2B%20T0&from=2025-02-01&to=2025-02-06');
      assert.equal(r.statusCode, 200, r.body);
      const s = r.json();
      assert.equal(s.archives.length, 1);
      const a = s.archives[0];
      assert.deepEqual([a.archive, a.tags, a.periods], ['end-of-day', ['A+ T0'], ['2025-02-01', '2025-02-02', '2025-02-03', '2025-02-04', '2025-02-05', '2025-02-06']]);
      // N01 none, N03 every day (polled), N04 all but the 3rd (pushed).
      assert.deepEqual(a.group, { percent: 61.11, present: 11, expected: 18, byPeriod: [66.67, 66.67, 33.33, 66.67, 66.67, 66.67] });
      assert.deepEqual(a.items.map((i: { serialNumber: string; percent: number; byPeriod: number[] }) => [i.serialNumber, i.percent, i.byPeriod]), [
        ['N01-1285', 0, [0, 0, 0, 0, 0, 0]], ['N03-6863', 100, [100, 100, 100, 100, 100, 100]], ['N04-7001', 83.33, [100, 100, 0, 100, 100, 100]],
      ]);
      // Two tags: N03 has both every day, N04 only A+ T0.
      const two = (await get('statistics?archive=end-of-day&tags=A%2B%20T0&tags=A%2B%20T1&from=2025-02-01&to=2025-02-02&limit=1&offset=1')).json();
      assert.deepEqual(two.archives[0].group, { percent: 50, present: 6, expected: 12, byPeriod: [50, 50] });
      assert.deepEqual(two.archives[0].items.map((i: { serialNumber: string; percent: number }) => [i.serialNumber, i.percent]), [['N03-6863', 100]]);
      // A disabled device is not expected to be collected.
      await h.t.db.query('UPDATE devices SET enabled = false WHERE id = $1', [dev['N01-1285'].id]);
      const enabled = (await get('statistics?archive=end-of-day&tags=A%2B%20T0&from=2025-02-01&to=2025-02-06')).json();
      assert.deepEqual([enabled.total, enabled.archives[0].group.percent], [2, 91.67]);
      await h.t.db.query('UPDATE devices SET enabled = true WHERE id = $1', [dev['N01-1285'].id]);
    });

    it('expects only what is due by now: intervals that have ended, days at the device\'s own midnight', async () => {
      // 01:05 Moscow on 10 March: the Moscow meter has its register of the 10th (stamped at 00:00 MSK), the meter whose
      // clock runs in UTC will have it only at 03:00 MSK; four 15-minute intervals of the day have ended.
      const now = utc('2025-03-09T22:05:00Z');
      const live = (await h.t.db.query<{ id: string }>(`INSERT INTO device_groups (project_id, name) VALUES ($1, 'LIVE') RETURNING id`, [h.projectId])).rows[0].id;
      const nums: number[] = [];
      for (const serial of ['L-MSK', 'L-UTC']) {
        const d = await createDevice(h.t.db, h.projectId, { serialNumber: serial, type: 'CE308', groupId: live });
        nums.push(Number((await h.t.db.query<{ num: number }>('SELECT num FROM devices WHERE id = $1', [d.id])).rows[0].num));
      }
      const [msk, utc0] = nums as [number, number];
      const rows: Reading[] = [];
      for (const day of ['08', '09', '10']) rows.push({ device: msk, archive: 'end-of-day', obis: '1.0.1.8.0.255', tariff: 0, ts: utc(`2025-03-${day}T00:00:00+03:00`), raw: 5 });
      for (const day of ['08', '09']) rows.push({ device: utc0, archive: 'end-of-day', obis: '1.0.1.8.0.255', tariff: 0, ts: utc(`2025-03-${day}T00:00:00Z`), raw: 5, tz: 0 });
      for (let t = utc('2025-03-10T00:15:00+03:00'); t <= now; t += 15 * 60_000) {
        rows.push({ device: msk, archive: 'profile-15', obis: '1.0.1.29.0.255', tariff: 0, ts: t, raw: 1, scaler: 0 });
        rows.push({ device: utc0, archive: 'profile-15', obis: '1.0.1.29.0.255', tariff: 0, ts: t, raw: 1, scaler: 0, tz: 0 });
      }
      await insert(rows);
      const app = await buildApp({
        db: h.t.db, box: h.box, clickhouse: engine, now: () => now,
        config: { accessTokenTtl: 900, refreshTokenTtl: 3600, loginMaxFailures: 5, loginLockSeconds: 60, logLevel: 'silent' },
      });
      try {
        const stats = async (query: string) => {
          const r = await app.inject({ method: 'GET', url: `/api/v1/projects/${h.projectId}/groups/${live}/statistics?${query}`, headers: h.as.Operator });
          assert.equal(r.statusCode, 200, r.body);
          return r.json().archives[0];
        };
        const day = await stats('archive=end-of-day&tags=A%2B%20T0&from=2025-03-09&to=2025-03-11');
        assert.deepEqual(day.periods, ['2025-03-09', '2025-03-10', '2025-03-11']);
        // The 11th is not due for anyone, the 10th only for the Moscow meter.
        assert.deepEqual(day.group, { percent: 100, present: 3, expected: 3, byPeriod: [100, 100, null] });
        assert.deepEqual(day.items.map((i: { serialNumber: string; present: number; expected: number; byPeriod: unknown[] }) => [i.serialNumber, i.present, i.expected, i.byPeriod]), [
          ['L-MSK', 2, 2, [100, 100, null]], ['L-UTC', 1, 1, [100, null, null]],
        ]);
        const profile = await stats('archive=profile-15&from=2025-03-10&to=2025-03-10');
        assert.deepEqual(profile.group, { percent: 100, present: 8, expected: 8, byPeriod: [100] }, 'four intervals have ended, both meters have them');
        // A day wholly in the future expects nothing.
        assert.deepEqual((await stats('archive=profile-60&from=2025-03-11&to=2025-03-11')).group, { percent: null, present: 0, expected: 0, byPeriod: [null] });
        // The matrix leaves the same cells empty without calling them missing.
        const matrix = async (query: string) => {
          const r = await app.inject({ method: 'GET', url: `/api/v1/projects/${h.projectId}/groups/${live}/data?${query}`, headers: h.as.Operator });
          assert.equal(r.statusCode, 200, r.body);
          return r.json();
        };
        const days = await matrix('archive=end-of-day&types=A%2B&from=2025-03-09&to=2025-03-11');
        assert.deepEqual(days.items.map((i: { serialNumber: string; values: unknown[]; missing: number }) => [i.serialNumber, i.values, i.missing]), [
          ['L-MSK', [0.05, 0.05, null], 0], ['L-UTC', [0.05, null, null], 0],
        ]);
        const intervals = await matrix('archive=profile-15&types=A%2B&from=2025-03-10&to=2025-03-10');
        assert.deepEqual([intervals.items.map((i: { values: unknown[] }) => i.values.filter((x) => x !== null).length), intervals.missing], [[4, 4], 0]);
        const yesterday = await matrix('archive=profile-15&types=A%2B&from=2025-03-09&to=2025-03-09');
        assert.equal(yesterday.missing, 2 * 96, 'a day that has passed with nothing read is all missing');
      } finally {
        await app.close();
      }
    });

    it('without an archive, counts the archives the group\'s tasks collect, each with its tags', async () => {
      const empty = (await get('statistics?from=2025-02-01&to=2025-02-02')).json();
      assert.deepEqual(empty.archives, []);
      await h.call('Administrator', {
        method: 'POST', url: `/api/v1/projects/${h.projectId}/tasks`,
        payload: { name: 'daily', groupIds: [groupId], content: { measurements: [{ archive: 'end-of-day', depth: { count: 3, unit: 'days' }, tags: ['A+ T0'] }, { archive: 'current' }] } },
      });
      await h.call('Administrator', {
        method: 'POST', url: `/api/v1/projects/${h.projectId}/tasks`,
        payload: { name: 'profile', deviceIds: [dev['N03-6863'].id], content: { measurements: [{ archive: 'profile-15', depth: { count: 1, unit: 'days' } }] } },
      });
      const s = (await get('statistics?from=2025-02-02&to=2025-02-02')).json();
      assert.deepEqual(s.archives.map((a: { archive: string; tags: unknown; group: { percent: number } }) => [a.archive, a.tags, a.group.percent]), [
        ['end-of-day', ['A+ T0'], 66.67], ['profile-15', null, Math.round((10_000 * 94) / 288) / 100],
      ]);
    });

    it('gives the same answers through a ClickHouse server', async () => {
      const endpoint = await startChdbHttpEndpoint(engine.session);
      const server = new ServerEngine({ url: endpoint.url });
      const app = await buildApp({
        db: h.t.db, box: h.box, clickhouse: server,
        config: { accessTokenTtl: 900, refreshTokenTtl: 3600, loginMaxFailures: 5, loginLockSeconds: 60, logLevel: 'silent' },
      });
      try {
        for (const path of [
          'data?archive=end-of-day&from=2025-02-01&to=2025-02-06&types=A%2B&tariffs=0&tariffs=1', 'data?archive=profile-15&from=2025-02-02&to=2025-02-02',
          'data?archive=current&to=2025-02-06', 'statistics?archive=end-of-day&tags=A%2B%20T0&from=2025-02-01&to=2025-02-06',
        ]) {
          const viaServer = await app.inject({ method: 'GET', url: `${url}/${path}`, headers: h.as.Operator });
          assert.equal(viaServer.statusCode, 200, viaServer.body);
          assert.deepEqual(viaServer.json(), (await get(path)).json(), path);
        }
      } finally {
        await app.close();
        await server.close();
        await endpoint.close();
      }
    });

    it('answers 404 for another project\'s group and 503 without ClickHouse', async () => {
      const other = await createProject(h.t.db, { name: 'Other' }, null);
      const og = await h.t.db.query<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1', [other.id]);
      for (const path of ['data?archive=end-of-day&from=2025-02-01&to=2025-02-02', 'statistics?from=2025-02-01&to=2025-02-02']) {
        const r = await h.call('Administrator', { method: 'GET', url: `/api/v1/projects/${h.projectId}/groups/${og.rows[0].id}/${path}` });
        assert.deepEqual([r.statusCode, r.json().error.code], [404, 'NOT_FOUND'], path);
      }
      const bare = await buildApp({ db: h.t.db, box: h.box, config: { accessTokenTtl: 900, refreshTokenTtl: 3600, loginMaxFailures: 5, loginLockSeconds: 60, logLevel: 'silent' } });
      try {
        const r = await bare.inject({ method: 'GET', url: `${url}/data?archive=end-of-day&from=2025-02-01&to=2025-02-02`, headers: h.as.Operator });
        assert.deepEqual([r.statusCode, r.json().error.code], [503, 'WAREHOUSE_UNAVAILABLE']);
      } finally {
        await bare.close();
      }
    });
  });
}
