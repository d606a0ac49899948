/**
 * Device data routes against a real chDB (readings and events as the pipeline stores them) and the
 * registry on both engines: measurements with archive/tag/OBIS/time filters and paging, re-reads counted
 * once, values scaled, times in UTC with the device's and the server's zone; journal events and pushed
 * alarms with severities; states current and their history; outages; a device of another project is 404; without ClickHouse the routes say so.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { testWarehouse } from '../../sinks/clickhouse/testing.js';
import { ENGINES } from '../../registry/testing.js';
import { createDevice, createProject } from '../../registry/project-data.js';
import { serverTzMinutes } from '../../scheduler/readings.js';
import { saveStates } from '../../scheduler/states.js';
import { closeOutage, openOutage } from '../../registry/outages.js';
import { startHarness, type Harness } from './harness.js';

const engine = testWarehouse('data-api');

const utc = (s: string) => Date.parse(s);
const sec = (ms: number) => ms / 1000;

async function insert(table: 'readings' | 'events', rows: object[]): Promise<void> {
  await engine.exec(`INSERT INTO ${table} SETTINGS insert_deduplicate = 0 FORMAT JSONEachRow\n${rows.map((r) => JSON.stringify(r)).join('\n')}`);
}

const reading = (device: number, archive: string, obis: string, tariff: number, ts: number, raw: number, scaler: number, unit: string, collected: number) => ({
  device_id: device, archive, obis, reading_type: '', tariff, ts: sec(ts), raw, scaler, unit, quality: 3, device_status: 0, device_tz: 180, source: 'POLL',
  collected_at: sec(collected), retention_days: 0,
});

for (const db of ENGINES) {
  describe(`device data API (${db})`, () => {
    let h: Harness;
    let bare: Harness;
    let url: string;
    let device: { id: string; num: number };
    let foreign: string;
    const get = async (path: string, role = 'User') => h.call(role, { method: 'GET', url: `${url}/${path}` });

    before(async () => {
      await engine.exec('TRUNCATE TABLE readings');
      await engine.exec('TRUNCATE TABLE events');
      h = await startHarness(db, { clickhouse: engine });
      bare = await startHarness(db);
      const d = await createDevice(h.t.db, h.projectId, { serialNumber: '0123456789', type: 'CE308' });
      device = { id: String(d.id), num: Number((await h.t.db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE id = $1', [d.id])).rows[0]!.num) };
      url = `/api/v1/projects/${h.projectId}/devices/${device.id}`;
      const other = await createProject(h.t.db, { name: 'Other' }, null);
      foreign = String((await createDevice(h.t.db, String(other.id), { serialNumber: '0123456789', type: 'CE308' })).id);
      const otherNum = Number((await h.t.db.query<{ num: number }>('SELECT num::float8 AS num FROM devices WHERE id = $1', [foreign])).rows[0]!.num);
      const day = (n: number) => utc(`2025-05-${String(n).padStart(2, '0')}T21:00:00Z`);
      const rows: object[] = [];
      for (let n = 25; n <= 27; n++) {
        rows.push(reading(device.num, 'end-of-day', '1.0.1.8.0.255', 0, day(n), 3_705_780 + n * 1000, -3, 'kWh', day(n) + 3_600_000));
        rows.push(reading(device.num, 'end-of-day', '1.0.1.8.1.255', 1, day(n), 1_000_000 + n, -2, 'kWh', day(n) + 3_600_000));
      }
      // A re-read of the 27th with a later collection time: FINAL keeps one row, the later one.
      rows.push(reading(device.num, 'end-of-day', '1.0.1.8.1.255', 1, day(27), 1_000_099, -2, 'kWh', day(27) + 7_200_000));
      rows.push(reading(device.num, 'network', '1.0.32.7.0.255', 0, day(27) + 60_000, 2301, -1, 'V', day(27) + 60_000));
      rows.push(reading(device.num, 'profile-15', '1.0.1.29.0.255', 0, day(27) + 900_000, 250, 0, 'Wh', day(27) + 1_000_000));
      rows.push(reading(otherNum, 'end-of-day', '1.0.1.8.0.255', 0, day(27), 1, 0, 'Wh', day(27)));
      await insert('readings', rows);
      const event = (journal: string, ts: number, code: number, name: string, severity = '') => ({
        device_id: device.num, journal, ts: sec(ts), code, name, params: '{"0.0.96.15.0.255":{"double-long-unsigned":77}}', raw: '0203', device_tz: 180,
        source: 'POLL', collected_at: sec(day(27)), retention_days: 0, severity,
      });
      await insert('events', [
        event('power-on-off', day(26), 1, 'power off', 'major'), event('power-on-off', day(26) + 600_000, 2, 'power on', 'info'), event('voltage', day(25), 5, ''),
        { ...event('alarms', day(24), 13, 'fraud attempt', 'critical'), source: 'PUSH' },
      ]);
      // a last gasp on the 26th, the meter back ten minutes later; another gasp without a return yet
      await openOutage(h.t.db, device.id, day(26), 'last-gasp');
      await closeOutage(h.t.db, device.id, day(26) + 600_000, 'connected');
      await openOutage(h.t.db, device.id, day(27), 'last-gasp');
      const states = (value: string) => [{ code: 'load-state', value }, { code: 'load-lock-state', value: 0 }];
      await saveStates(h.t.db, { id: device.id, projectId: h.projectId }, 'state-relay', states('connected'), day(25));
      await saveStates(h.t.db, { id: device.id, projectId: h.projectId }, 'state-relay', states('connected'), day(26));
      await saveStates(h.t.db, { id: device.id, projectId: h.projectId }, 'state-relay', states('disconnected'), day(27));
    });
    after(async () => {
      await bare.close();
      await h.close();
    });

    it('measurements: newest first, scaled, tagged, in UTC with the device and server zones; re-reads count once', async () => {
      const r = await get('measurements?archive=end-of-day');
      assert.equal(r.statusCode, 200, r.body);
      const page = r.json();
      assert.equal(page.total, 6);
      assert.deepEqual(page.items.map((m: { deviceTime: string; tag: string; value: { value: number } }) => [m.deviceTime, m.tag, m.value.value]), [
        ['2025-05-27T21:00:00.000Z', 'A+ T0', 3732.78], ['2025-05-27T21:00:00.000Z', 'A+ T1', 10000.99],
        ['2025-05-26T21:00:00.000Z', 'A+ T0', 3731.78], ['2025-05-26T21:00:00.000Z', 'A+ T1', 10000.26],
        ['2025-05-25T21:00:00.000Z', 'A+ T0', 3730.78], ['2025-05-25T21:00:00.000Z', 'A+ T1', 10000.25],
      ]);
      const first = page.items[0];
      assert.deepEqual(
        [first.archive, first.code, first.tariff, first.value.unit, first.deviceTzMinutes, first.quality, first.source, first.receivedAt, first.serverTzMinutes],
        ['end-of-day', '1.0.1.8.0.255', 0, 'kWh', 180, ['data-present', 'time-normal'], 'POLL', '2025-05-27T22:00:00.000Z', serverTzMinutes(utc('2025-05-27T22:00:00Z'))],
      );
    });

    it('measurements: by tag, OBIS code, time range and page', async () => {
      const tagged = (await get('measurements?tag=A%2B%20T1')).json();
      assert.deepEqual(tagged.items.map((m: { code: string }) => m.code), ['1.0.1.8.1.255', '1.0.1.8.1.255', '1.0.1.8.1.255']);
      // Interval energies carry the tag of their channel too.
      const t0 = (await get('measurements?tag=A%2B%20T0&archive=profile-15')).json();
      assert.deepEqual(t0.items.map((m: { code: string; tag: string; value: { value: number } }) => [m.code, m.tag, m.value.value]), [['1.0.1.29.0.255', 'A+ T0', 250]]);
      const volts = (await get('measurements?obis=1.0.32.7.0.255')).json();
      assert.deepEqual(volts.items.map((m: { archive: string; tag: null; value: { value: number; unit: string } }) => [m.archive, m.tag, m.value.value, m.value.unit]), [['network', null, 230.1, 'V']]);
      const range = (await get('measurements?archive=end-of-day&from=2025-05-26T21:00:00Z&to=2025-05-27T21:00:00Z')).json();
      assert.deepEqual([range.total, new Set(range.items.map((m: { deviceTime: string }) => m.deviceTime)).size], [2, 1]);
      const p2 = (await get('measurements?archive=end-of-day&limit=4&offset=4')).json();
      assert.deepEqual([p2.total, p2.items.length, p2.limit, p2.offset], [6, 2, 4, 4]);
      const bad = await get('measurements?tag=A%2B%20T9');
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.field, 'querystring.tag');
    });

    it('events: the journals and pushed alarms newest first, with severities, by journal, severity and time', async () => {
      const all = (await get('events')).json();
      assert.deepEqual(all.items.map((e: { journal: string; code: number; name: string; severity: string }) => [e.journal, e.code, e.name, e.severity]), [
        ['power-on-off', 2, 'power on', 'info'], ['power-on-off', 1, 'power off', 'major'], ['voltage', 5, '', ''], ['alarms', 13, 'fraud attempt', 'critical'],
      ]);
      assert.deepEqual((await get('events?journal=alarms')).json().items.map((e: { name: string; source: string }) => [e.name, e.source]), [['fraud attempt', 'PUSH']]);
      assert.deepEqual((await get('events?severity=major')).json().items.map((e: { name: string }) => e.name), ['power off']);
      const badSeverity = await get('events?severity=loud');
      assert.deepEqual([badSeverity.statusCode, badSeverity.json().error.field], [400, 'querystring.severity']);
      assert.deepEqual([all.items[0].deviceTime, all.items[0].deviceTzMinutes, all.items[0].params, all.items[0].raw], [
        '2025-05-26T21:10:00.000Z', 180, { '0.0.96.15.0.255': { 'double-long-unsigned': 77 } }, '0203',
      ]);
      assert.equal((await get('events?journal=voltage')).json().total, 1);
      assert.equal((await get('events?from=2025-05-26T21:05:00Z')).json().total, 1);
      assert.equal((await get('events?from=2025-05-24T00:00:00Z&to=2025-05-25T00:00:00Z')).json().total, 1);
      assert.equal((await get('events?journal=nope')).statusCode, 400);
    });

    it('states: the current value per code, and the history of changes only', async () => {
      const current = (await get('states?archive=state-relay')).json();
      assert.deepEqual(current.items.map((s: { code: string; value: unknown; changedAt: string; readAt: string }) => [s.code, s.value, s.changedAt, s.readAt]), [
        ['load-lock-state', 0, '2025-05-25T21:00:00.000Z', '2025-05-27T21:00:00.000Z'],
        ['load-state', 'disconnected', '2025-05-27T21:00:00.000Z', '2025-05-27T21:00:00.000Z'],
      ]);
      const history = (await get('states?history=true&code=load-state')).json();
      assert.deepEqual(history.items.map((s: { value: unknown; changedAt: string }) => [s.value, s.changedAt]), [
        ['disconnected', '2025-05-27T21:00:00.000Z'], ['connected', '2025-05-25T21:00:00.000Z'],
      ]);
      assert.equal((await get('states?history=true')).json().total, 3);
      assert.equal(typeof history.items[0].serverTzMinutes, 'number');
    });

    it('outages: newest first, the open one without an end; by start time', async () => {
      const r = await get('outages');
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(r.json(), {
        items: [
          { startedAt: '2025-05-27T21:00:00.000Z', startedBy: 'last-gasp', endedAt: null, endedBy: null },
          { startedAt: '2025-05-26T21:00:00.000Z', startedBy: 'last-gasp', endedAt: '2025-05-26T21:10:00.000Z', endedBy: 'connected' },
        ],
        total: 2, limit: 1000, offset: 0,
      });
      assert.equal((await get('outages?to=2025-05-27T00:00:00Z')).json().total, 1);
    });

    it('a range whose end is not after its start is a 400 naming querystring.to, as the group views answer', async () => {
      for (const path of ['measurements', 'events', 'states', 'outages']) {
        for (const range of ['from=2025-05-27T00:00:00Z&to=2025-05-26T00:00:00Z', 'from=2025-05-27T00:00:00Z&to=2025-05-27T00:00:00Z']) {
          const r = await get(`${path}?${range}`);
          assert.equal(r.statusCode, 400, `${path}?${range}: ${r.body}`);
          assert.deepEqual([r.json().error.code, r.json().error.field], ['VALIDATION_ERROR', 'querystring.to'], path);
        }
        assert.equal((await get(`${path}?from=2025-05-26T00:00:00Z&to=2025-05-27T00:00:00Z`)).statusCode, 200, path);
      }
    });

    it('a device of another project is not found; without ClickHouse the archives say so, states still answer', async () => {
      for (const path of ['measurements', 'events', 'states', 'outages', 'commands']) {
        const r = await h.call('User', { method: 'GET', url: `/api/v1/projects/${h.projectId}/devices/${foreign}/${path}` });
        assert.equal(r.statusCode, 404, path);
      }
      const id = String((await createDevice(bare.t.db, bare.projectId, { serialNumber: '1', type: 'CE308' })).id);
      const at = (path: string) => bare.call('User', { method: 'GET', url: `/api/v1/projects/${bare.projectId}/devices/${id}/${path}` });
      assert.equal((await at('measurements')).statusCode, 503);
      assert.equal((await at('events')).json().error.code, 'WAREHOUSE_UNAVAILABLE');
      assert.deepEqual((await at('states')).json(), { items: [], total: 0, limit: 1000, offset: 0 });
    });
  });
}
