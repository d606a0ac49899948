/**
 * M-Bus data end to end (issue 19): `hes start` (embedded bus and ClickHouse) as a child process, driven through
 * the REST API as an operator and an installer would; the simulated meters (sim/mbus) run in the test so their
 * registers at the moment of the telegrams are known:
 *   - a wireless water meter (security mode 5) and a wireless heat meter (mode 7) heard by a gateway that posts
 *     the gateway feed over HTTP as an M2M user;
 *   - a wired heat meter (encrypted answers) behind the simulated M-Bus-to-TCP converter, read by a collection task;
 * their readings reach ClickHouse through the pipeline's M-Bus decoder (device profile mapping, meter keys) and
 * the measurements route shows the simulator's values at the meters' times; a telegram under a key the HES
 * does not hold is a dead letter (counted by its reason's code).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MbusConverter } from '../sim/mbus/converter.js';
import { GatewayFeed } from '../sim/mbus/gateway.js';
import { MbusFleet } from '../sim/mbus/meter.js';
import { HesClient, poll, spawnHes, type HesProcess } from './hes-process.js';

const PASSWORD = 'Mbus-admin-pass1';
/** Fleet roles: 0 wireless water (mode 5), 1 wired heat (encrypted), 2 wireless water under a key the HES lacks, 3 wireless heat (mode 7). */
const W5 = 0, WIRED = 1, WRONG = 2, W7 = 3;

interface Measurement { archive: string; code: string; tariff: number; deviceTime: string; value: { value: number; unit: string }; source: string }

describe('M-Bus data end to end: gateway feed and wired reads → pipeline → ClickHouse → API', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-mbus-'));
  const fleet = new MbusFleet({ meters: 4 });
  // The meters' moment, to the minute (their date-time records are to the minute).
  const T = Math.floor(Date.now() / 60_000) * 60_000;
  let hes: HesProcess;
  let api: HesClient;
  let converter: MbusConverter;
  let p = '';
  let projectId = '';
  let token = '';
  const deviceOf = new Map<number, string>();

  const measurements = (i: number, archive: string) => api.get<{ items: Measurement[]; total: number }>(`${p}/devices/${deviceOf.get(i)}/measurements?archive=${archive}&limit=100`);
  const byCode = (items: Measurement[]) => new Map(items.map((m) => [m.code, m]));
  const near = (actual: number | undefined, expected: number, what: string) => assert.ok(actual !== undefined && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} ≠ ${expected}`);

  before(async () => {
    hes = spawnHes(['start', '--data-dir', join(dir, 'hes'), '--http-port', '0', '--http-host', '127.0.0.1']);
    const m = await hes.waitFor(/HES API listening on (http:\/\/127\.0\.0\.1:\d+)/, 180_000);
    api = new HesClient(`${m[1]}/api/v1`);
    await api.signIn('admin', 'hesadmin', PASSWORD);
    converter = await new MbusConverter({ fleet, slaves: new Map([[1, WIRED]]), encrypted: new Set([1]), now: () => T }).start();
  });

  after(async () => {
    await converter?.close();
    await hes?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the meters: channels, protocol, devices with their profiles and keys; a gateway as an M2M user', async () => {
    projectId = (await api.post<{ id: string }>('/projects', { name: 'Water and heat', timeZone: 'UTC' })).id;
    p = `/projects/${projectId}`;
    const air = await api.post<{ id: string }>(`${p}/channels`, { name: 'air', kind: 'WMBUS', settings: {} });
    const wired = await api.post<{ id: string }>(`${p}/channels`, { name: 'converter', kind: 'MBUS_TCP', settings: { host: '127.0.0.1', port: converter.port } });
    const protocol = await api.post<{ id: string }>(`${p}/protocols`, { name: 'm-bus', kind: 'MBUS', settings: { waitTime: 2, resendCount: 1 } });
    for (const i of [W5, WIRED, WRONG, W7]) {
      const meter = fleet.meter(i);
      const device = await api.post<{ id: string }>(`${p}/devices`, { serialNumber: meter.id, type: 'MBUS' });
      deviceOf.set(i, device.id);
      await api.post(`${p}/comm-lines`, {
        deviceId: device.id, protocolId: protocol.id, profileId: meter.medium === 'heat' ? 'MBUS_HEAT' : 'MBUS_WATER',
        ...(i === WIRED ? { channelId: wired.id, address: '1' } : { channelId: air.id, address: `${meter.id}-${meter.manufacturer}` }),
      });
      await api.post(`${p}/security-keys`, { deviceId: device.id, kind: 'MBUS_AES', key: Buffer.from(meter.key).toString('hex') });
    }
    const role = (await api.get<{ items: { id: string; name: string }[] }>('/roles?limit=100')).items.find((r) => r.name === 'M2M')!;
    const gateway = await api.post<{ id: string }>('/users', { username: 'gateway-1', roleId: role.id, m2m: true });
    await api.call('PUT', `${p}/members/${gateway.id}`);
    token = (await api.post<{ token: string }>(`/users/${gateway.id}/tokens`, { name: 'gateway' })).token;
  });

  it('stores the readings of wireless meters in modes 5 and 7 posted through the gateway feed, at the meters\' times', async () => {
    const target = { kind: 'http' as const, api: api.base, token };
    const feeds = [
      new GatewayFeed({ fleet, projectId, gateway: 'gw-1', target, meters: [W5], mode: 5 }),
      new GatewayFeed({ fleet, projectId, gateway: 'gw-1', target, meters: [W7], mode: 7 }),
    ];
    for (const f of feeds) assert.deepEqual(await f.round(T), { accepted: 1, unknown: 0, ignored: 0 });
    const water = byCode((await poll(() => measurements(W5, 'current'), (r) => r.total > 0, 60_000, 500, 'water readings')).items);
    const water0 = water.get('8.0.1.0.0.255');
    assert.deepEqual([water0?.deviceTime, water0?.value.unit, water0?.source, water0?.tariff], [new Date(T).toISOString(), 'm3', 'PUSH', 0]);
    near(water0?.value.value, fleet.primaryValue(W5, T) / 1000, 'water volume (litres → m3)');
    const due = fleet.dueDate(T);
    const monthEnd = byCode((await measurements(W5, 'end-of-month')).items).get('8.0.1.0.0.1');
    assert.equal(monthEnd?.deviceTime, new Date(due).toISOString(), 'the due-date value at the end of the due date');
    near(monthEnd?.value.value, fleet.primaryValue(W5, due) / 1000, 'due-date volume');
    const heat = byCode((await poll(() => measurements(W7, 'current'), (r) => r.total > 0, 60_000, 500, 'heat readings')).items);
    near(heat.get('6.0.1.0.0.255')?.value.value, fleet.primaryValue(W7, T) * 1000, 'heat energy (kWh → Wh)');
    assert.equal(heat.get('6.0.1.0.0.255')?.value.unit, 'Wh');
    near(heat.get('6.0.2.0.0.255')?.value.value, fleet.heatVolume(W7, T) / 1000, 'heat meter volume');
    const telemetry = byCode((await measurements(W7, 'telemetry')).items);
    assert.deepEqual(['6.0.9.0.0.255', '6.0.10.0.0.255', '6.0.11.0.0.255', '6.0.8.0.0.255', '6.0.97.97.0.255', '6.0.97.97.1.255'].filter((c) => !telemetry.has(c)), []);
    // Status and error flags are the meter's state too, stored when they change.
    const states = await poll(
      () => api.get<{ items: { archive: string; code: string; value: unknown; changedAt: string }[] }>(`${p}/devices/${deviceOf.get(W7)}/states?archive=state-state`),
      (r) => r.items.length === 2, 30_000, 250, 'states stored',
    );
    assert.deepEqual(states.items.map((s) => [s.code, s.value, s.changedAt]).sort(), [['error-flags', 0, new Date(T).toISOString()], ['status', { byte: 0, flags: [] }, new Date(T).toISOString()]]);
  });

  it('stores what a collection task reads from a wired meter behind the converter', async () => {
    const task = await api.post<{ id: string }>(`${p}/tasks`, {
      name: 'wired read', deviceIds: [deviceOf.get(WIRED)], priority: 500, retries: 0, content: { measurements: [{ archive: 'current' }] },
    });
    const launchId = (await api.post<{ id: string }>(`${p}/tasks/${task.id}/run`)).id;
    const launch = await poll(() => api.get<{ state: string; statistics: Record<string, number> }>(`${p}/launches/${launchId}`), (l) => l.state === 'finished', 90_000, 250, 'launch finished');
    assert.equal(launch.statistics.success, 1, JSON.stringify(launch));
    const heat = byCode((await poll(() => measurements(WIRED, 'current'), (r) => r.total > 0, 60_000, 500, 'wired readings')).items);
    const energy = heat.get('6.0.1.0.0.255');
    assert.deepEqual([energy?.deviceTime, energy?.source], [new Date(T).toISOString(), 'POLL']);
    near(energy?.value.value, fleet.primaryValue(WIRED, T) * 1000, 'wired heat energy');
    near(heat.get('6.0.2.0.0.255')?.value.value, fleet.heatVolume(WIRED, T) / 1000, 'wired heat volume');
    // The converter answers in telegrams of 4 records: the due-date energy and its date come in different ones.
    const due = fleet.dueDate(T);
    const monthEnd = byCode((await measurements(WIRED, 'end-of-month')).items).get('6.0.1.0.0.1');
    assert.equal(monthEnd?.deviceTime, new Date(due).toISOString());
    near(monthEnd?.value.value, fleet.primaryValue(WIRED, due) * 1000, 'wired due-date energy');
  });

  it('sends a telegram under a key the HES does not hold to the dead letters, with the decryption failure as its reason', async () => {
    const feed = new GatewayFeed({ fleet, projectId, gateway: 'gw-1', target: { kind: 'http', api: api.base, token }, meters: [WRONG], wrongKeyShare: 1 });
    assert.deepEqual(await feed.round(T), { accepted: 1, unknown: 0, ignored: 0 }, 'a registered meter: taken, then refused by the decoder');
    const line = /hes_pipeline_decode_errors_total\{stage="decode",protocol="mbus",code="MBUS_ERR_DECRYPT"\} (\d+)/;
    const scrape = async () => (await fetch(api.base.replace(/\/api\/v1$/, '/metrics'), { headers: { authorization: `Bearer ${api.token}` } })).text();
    const metrics = await poll(scrape, (text) => line.test(text), 60_000, 500, 'dead letter counted');
    assert.equal(metrics.match(line)![1], '1');
    assert.equal((await measurements(WRONG, 'current')).total, 0);
  });
});
