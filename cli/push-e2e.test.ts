/**
 * Pushes end to end: the running HES (`startHes`: registry, data plane, CENC, API) and two simulated IDIS
 * fleets whose security is high-gmac, so every push is general-glo-ciphered with the meter's own keys:
 *   - meter-initiated meters hold a connection to CENC (identified by serial) and push on it;
 *   - HES-initiated meters push to their Push Setup's destination — the HES's push listener, a CENC port — one
 *     connection per push, identified by the system title of the ciphered push.
 * Over a day they push their 15-minute and daily values, their journal alarms and alarm register (an outage
 * a day for one meter of each fleet) and a last gasp; the API then shows the readings (equal to the
 * simulator's energy model), the events with names and severities, and the outages.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { createDevice, createProject, ProtocolStore, saveChannel } from '../registry/project-data.js';
import * as crud from '../registry/crud.js';
import { commLineSpec } from '../registry/specs.js';
import { DEFAULT_FLEET, Fleet } from '../sim/fleet.js';
import { registersAt } from '../sim/model/energy.js';
import { PushScheduler, pushToDestination, type DuePush } from '../sim/push.js';
import { startInitiated, type InitiatedFleet } from '../sim/transport/initiated.js';
import { HesClient } from './hes-process.js';
import { startHes, type RunningHes } from './start.js';

const DAY = 86_400_000;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

interface Reading { code: string; deviceTime: string; source: string; value: { value: number; unit: string } }
interface Event { journal: string; code: number; name: string; severity: string; source: string }
interface Outage { startedAt: string; startedBy: string; endedAt: string | null; endedBy: string | null }

describe('pushes through CENC and the push listener, end to end', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-push-e2e-'));
  // yesterday (UTC), so that every push is due and nothing is past the archives' retention
  const from = Math.floor(Date.now() / DAY) * DAY - DAY;
  const to = from + DAY;
  let clock = from;
  const fleets = {
    initiated: new Fleet({ ...DEFAULT_FLEET, profile: 'idis', meters: 2, security: 'high-gmac', firstSerial: '51000001', faults: [{ serials: ['51000002'], outagesPerDay: 1 }] }, () => clock),
    listener: new Fleet({ ...DEFAULT_FLEET, profile: 'idis', meters: 2, security: 'high-gmac', firstSerial: '52000001', masterSeed: 'push-listener', faults: [{ serials: ['52000002'], outagesPerDay: 1 }] }, () => clock),
  };
  let hes: RunningHes;
  let sims: InitiatedFleet;
  const api = { client: undefined as unknown as HesClient, project: '' };
  const devices = new Map<string, string>();
  const delivered: { fleet: Fleet; push: DuePush }[] = [];

  before(async () => {
    hes = await startHes(loadConfig({
      env: {}, overrides: { dataDir: join(dir, 'hes'), httpPort: 0, httpHost: '127.0.0.1', logLevel: 'silent', decoderThreads: 1, gapRoundsPerDay: 0, cenc: { listeners: ['tcp:0:wrapper'], host: '127.0.0.1' } },
    }));
    const { db, box } = hes.registry;
    const admin = (await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`)).rows[0]!.id;
    const project = String((await createProject(db, { name: 'Pushes' }, admin)).id);
    api.project = project;
    const protocols = new ProtocolStore(db, box);
    for (const [kind, fleet] of Object.entries(fleets)) {
      for (let i = 0; i < fleet.size; i++) {
        const k = fleet.keys(i);
        const protocol = await protocols.create(project, {
          name: `hls ${k.serial}`, kind: 'DLMS', settings: { authentication: 'high', encryptionKey: hex(k.blockCipherKey), authenticationKey: hex(k.authenticationKey) },
        });
        // meter-initiated meters say their serial; the push listener knows a meter by the system title of its ciphered push
        const identity = kind === 'initiated' ? { identifyBy: 'serial', identifier: k.serial } : { identifyBy: 'system-title', identifier: hex(k.systemTitle).toUpperCase() };
        const channel = await saveChannel(db, project, null, { name: `CENC ${k.serial}`, kind: 'CENC', settings: identity });
        const device = await createDevice(db, project, { serialNumber: k.serial, type: 'CE308' });
        await crud.insert(db, commLineSpec, project, { deviceId: device.id, channelId: channel.id, protocolId: protocol.id, profileId: 'DL_IDIS', priority: 1 });
        devices.set(k.serial, String(device.id));
      }
    }
    api.client = new HesClient(`${hes.url}/api/v1`);
    await api.client.signIn('admin', 'hesadmin', 'Push-e2e-admin-1');
    const port = hes.cencPorts!.listeners[0]!;
    sims = startInitiated({ fleet: fleets.initiated, framing: 'wrapper', host: '127.0.0.1', port, announce: 'id', backoffMs: [50, 200] });
    for (let i = 0; i < 600 && hes.cenc!.connectionCount < 2; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(hes.cenc!.connectionCount, 2, 'the meter-initiated meters hold their connections');
    const kinds = ['daily', 'interval', 'alarm', 'power-down'] as const;
    const onConnection = new PushScheduler({
      fleet: fleets.initiated, kinds: [...kinds],
      deliver: (p) => {
        clock = p.timeMs;
        assert.equal(sims.push(p.index, p.setup), true);
        delivered.push({ fleet: fleets.initiated, push: p });
      },
    });
    onConnection.runBetween(from, to);
    onConnection.stop();
    // the HES-initiated meters push to their Push Setup's destination: the listener (the same meters and keys)
    const listenerFleet = new Fleet({ ...fleets.listener.config, pushDestination: `127.0.0.1:${port}` }, () => clock);
    fleets.listener = listenerFleet;
    const toListener = new PushScheduler({ fleet: listenerFleet, kinds: [...kinds], deliver: (p) => void delivered.push({ fleet: listenerFleet, push: p }) });
    const due = toListener.runBetween(from, to);
    toListener.stop();
    for (const p of due) assert.equal(await pushToDestination(listenerFleet, p), true);
  });

  after(async () => {
    sims?.close();
    await hes?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = <T>(serial: string, path: string) => api.client.get<{ items: T[]; total: number }>(`/projects/${api.project}/devices/${devices.get(serial)}/${path}`);
  const until = async <T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    let v = await read();
    for (let i = 0; i < 600 && !done(v); i++) {
      await new Promise((r) => setTimeout(r, 200));
      v = await read();
    }
    assert.ok(done(v), what);
    return v;
  };

  it('stores every meter’s pushed 15-minute and daily registers, equal to the simulator’s energy model', async () => {
    for (const fleet of Object.values(fleets)) {
      for (let i = 0; i < fleet.size; i++) {
        const serial = fleet.serial(i);
        const pushes = delivered.filter((d) => d.fleet.serial(d.push.index) === serial && d.push.setup === '0.2.25.9.0.255');
        assert.ok(pushes.length >= 90, `${serial}: ${pushes.length} interval pushes`);
        // an interval push carries the newest row: during an outage the same row again (stored once)
        const meter = fleet.meter(i);
        const rows = await until(`${serial}: the pushed intervals are stored`, () => get<Reading>(serial, 'measurements?archive=profile-15&obis=1.0.1.8.0.255&limit=200'), (r) => r.total >= (serial.endsWith('2') ? 80 : pushes.length));
        assert.ok(rows.items.every((r) => r.source === 'PUSH' && r.value.unit === 'Wh'));
        for (const r of rows.items) assert.equal(r.value.value, registersAt(meter.load, 0, Date.parse(r.deviceTime), meter.offsetsWh[0]!)[0], `${serial} A+ at ${r.deviceTime}`);
        const daily = await until(`${serial}: the daily push is stored`, () => get<Reading>(serial, 'measurements?archive=end-of-day&obis=1.0.1.8.0.255'), (r) => r.total >= 1);
        for (const r of daily.items) assert.equal(r.value.value, registersAt(meter.load, 0, Date.parse(r.deviceTime), meter.offsetsWh[0]!)[0]);
      }
    }
  });

  it('stores the alarms as events with names and severities, and the last gasps as outages', async () => {
    for (const fleet of Object.values(fleets)) {
      const serial = fleet.serial(1); // the meter with an outage a day
      const events = await until(`${serial}: power off/on and the alarm register`, () => get<Event>(serial, 'events?limit=100'),
        (r) => r.items.some((e) => e.journal === 'power-on-off' && e.code === 2) && r.items.some((e) => e.journal === 'alarms'));
      const power = events.items.filter((e) => e.journal === 'power-on-off').map((e) => [e.code, e.name, e.severity, e.source]);
      assert.deepEqual(power, [[2, 'power on', 'info', 'PUSH'], [1, 'power off', 'major', 'PUSH']]);
      assert.ok(events.items.some((e) => e.journal === 'alarms' && e.code === 2 && e.name === 'power up' && e.severity === 'info'), JSON.stringify(events.items));
      // the power-down push opened an outage at the outage's start; later pushes (a communication) closed it
      const gasp = delivered.find((d) => d.fleet === fleet && d.push.index === 1 && d.push.setup === '0.8.25.9.0.255')!;
      const outages = await until(`${serial}: the outage`, () => get<Outage>(serial, 'outages'), (r) => r.items.some((o) => o.endedAt !== null));
      assert.deepEqual(outages.items.map((o) => [o.startedAt, o.startedBy, o.endedBy]), [[new Date(gasp.push.timeMs).toISOString(), 'power-down-push', 'communication']]);
    }
    // a meter-initiated meter's last gasp on its connection: an outage until it is back (its reconnection to
    // CENC, or its next push when the pipeline stored the gasp after the reconnection)
    clock = Date.now();
    sims.lastGasp(0, 100);
    const serial = fleets.initiated.serial(0);
    await until(`${serial}: the last gasp`, () => get<Outage>(serial, 'outages'), (r) => r.total === 1);
    await until(`${serial}: back on its connection`, async () => sims.push(0, '0.2.25.9.0.255'), (sent) => sent);
    const outages = await until(`${serial}: the outage closed`, () => get<Outage>(serial, 'outages'), (r) => r.items[0]?.endedAt !== null);
    assert.equal(outages.items[0]!.startedBy, 'power-down-push');
    assert.ok(['connected', 'communication'].includes(outages.items[0]!.endedBy!));
  });
});
