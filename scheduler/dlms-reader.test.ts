/**
 * The DLMS DeviceReader against the fleet simulator over real sockets: comm lines, protocol secrets and the
 * CE308 device profile from the registry; load profile, daily billing and registers as tagged records;
 * registers equal the sum of intervals; relay commands; link failures; and a whole launch by the scheduler.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createProject } from '../registry/project-data.js';
import { startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';
import { registerFleet } from '../cli/demo.js';
import { RegistryInvocationCounterStore } from './counters.js';
import { DlmsDeviceReader } from './dlms-reader.js';
import { LinkError, type CollectedRecord, type CommLineRef, type DeviceTarget } from './reader.js';
import { Scheduler } from './scheduler.js';
import { RegistryReadingSink, measurements } from './readings.js';
import { createTask, getLaunch, runNow } from './tasks.js';

const DAY = 86_400_000;
const never = new AbortController().signal;

describe('DlmsDeviceReader against the simulator', () => {
  let t: TestDb, sim: SimMeters, box: SecretBox, projectId: string, ids: string[], reader: DlmsDeviceReader;

  const target = async (id: string): Promise<{ device: DeviceTarget; line: CommLineRef }> => {
    const d = (await t.db.query<DeviceTarget>('SELECT id, project_id AS "projectId", serial_number AS "serialNumber", type FROM devices WHERE id = $1', [id])).rows[0]!;
    const line = (await t.db.query<CommLineRef>(
      `SELECT cl.id, cl.channel_id AS "channelId", c.kind AS "channelKind", c.exclusive, cl.protocol_id AS "protocolId", cl.profile_id AS "profileId",
              cl.protocol_map AS "protocolMap", cl.address, cl.priority, cl.attempts FROM comm_lines cl JOIN channels c ON c.id = cl.channel_id WHERE cl.device_id = $1`, [id],
    )).rows[0]!;
    return { device: d, line };
  };
  const sum = (rs: CollectedRecord[], tag: string) => rs.filter((r) => r.tag === tag).reduce((s, r) => s + (r.value as { value: number }).value, 0);

  before(async () => {
    t = await openTestDb('pglite');
    box = new SecretBox(Buffer.alloc(32, 3));
    sim = await startSimMeters({ framing: 'wrapper', fleet: { meters: 3, profile: 'ce308' } });
    projectId = String((await createProject(t.db, { name: 'Sim' }, null)).id);
    ids = await registerFleet(t.db, box, projectId, sim.fleet, '127.0.0.1', sim.port);
    reader = new DlmsDeviceReader({ db: t.db, box, counters: new RegistryInvocationCounterStore(t.db) });
  });
  after(async () => {
    await sim.close();
    await t.drop();
  });

  it('reads the 15-minute profile and daily billing as tagged records; a day of intervals sums to the register difference', async () => {
    const { device, line } = await target(ids[1]!);
    const link = await reader.open(device, line, never);
    const now = Date.now();
    const daily = await link.collect({ kind: 'measurement', item: { archive: 'end-of-day', tags: ['A+ T0', 'A+ T1'] }, range: { fromMs: now - 4 * DAY, toMs: now } });
    assert.equal(daily.status, 'ok');
    assert.deepEqual([...new Set(daily.records.map((r) => `${r.code} ${r.tag}`))].sort(), ['1.0.1.8.0.255 A+ T0', '1.0.1.8.1.255 A+ T1']);
    const days = daily.records.filter((r) => r.tag === 'A+ T0').sort((a, b) => a.deviceTimeMs! - b.deviceTimeMs!);
    assert.ok(days.length >= 3, `daily rows: ${days.length}`);
    const [d0, d1] = days.slice(-2) as [CollectedRecord, CollectedRecord];
    assert.equal(d1.deviceTimeMs! - d0.deviceTimeMs!, DAY);
    // Interval rows are stamped at the end of their interval: the day after d0 is (d0, d1].
    const profile = await link.collect({ kind: 'measurement', item: { archive: 'profile-15' }, range: { fromMs: d0.deviceTimeMs! + 60_000, toMs: d1.deviceTimeMs! } });
    assert.equal(profile.status, 'ok');
    assert.deepEqual([...new Set(profile.records.map((r) => r.tag))].sort(), ['A+ T0', 'A- T0', 'R+ T0', 'R- T0']);
    assert.equal(profile.records.filter((r) => r.tag === 'A+ T0').length, 96);
    assert.equal(profile.records[0]!.code, '1.0.1.29.0.255');
    assert.equal(sum(profile.records, 'A+ T0'), (d1.value as { value: number }).value - (d0.value as { value: number }).value);
    const current = await link.collect({ kind: 'measurement', item: { archive: 'current', tags: ['A+ T0'] } });
    assert.equal(current.status, 'ok');
    assert.ok((current.records[0]!.value as { value: number }).value >= (d1.value as { value: number }).value);
    const unsupported = await link.collect({ kind: 'measurement', item: { archive: 'telemetry' } });
    assert.equal(unsupported.status, 'unsupported');
    assert.match(await link.close(), /associate|release/i);
  });

  it('switches the load relay, reports a missing relay as absent and unknown functions as unsupported', async () => {
    const { device, line } = await target(ids[0]!);
    const link = await reader.open(device, line, never);
    const read = await link.control({ function: 'relay-read', params: { relay: 'load' } });
    assert.equal(read.ok, true, read.note);
    assert.deepEqual(read.value, { state: 'connected', controlState: 1, lockState: 0 });
    const off = await link.control({ function: 'relay-disconnect', params: { relay: 'load' } });
    assert.equal((off.value as { state: string }).state, 'disconnected');
    const on = await link.control({ function: 'relay-connect' });
    assert.equal((on.value as { state: string }).state, 'connected');
    const clock = await link.control({ function: 'clock-read' });
    assert.ok(Math.abs((clock.value as { utcMs: number }).utcMs - Date.now()) < 60_000);
    assert.deepEqual(await link.control({ function: 'relay-read', params: { relay: 'nonexistent' } }), { ok: false, reason: 'relay-absent' });
    assert.equal((await link.control({ function: 'limits-read' })).reason, 'unsupported');
    await link.close();
  });

  it('keeps invocation counters in the registry, rising with every session and never lowered', async () => {
    const { device, line } = await target(ids[0]!);
    const counter = async () => (await t.db.query<{ n: number }>('SELECT invocation_counter::int AS n FROM invocation_counters WHERE device_id = $1', [device.id])).rows[0]?.n ?? 0;
    const before = await counter();
    await (await reader.open(device, line, never)).close();
    const after = await counter();
    assert.ok(after > before, `${before} → ${after}`);
    const store = new RegistryInvocationCounterStore(t.db);
    const keyId = (await t.db.query<{ k: string }>('SELECT key_id AS k FROM invocation_counters WHERE device_id = $1', [device.id])).rows[0]!.k;
    await store.save(device.id, keyId, { invocationCounter: 1 });
    assert.equal((await store.load(device.id, keyId))!.invocationCounter, after);
    assert.ok((await store.load(device.id, keyId))!.replayGuard?.entries.length);
  });

  it('reaches a meter over HDLC: protocol address length 4, the comm line address as the physical address', async () => {
    const hdlc = await startSimMeters({ framing: 'hdlc', fleet: { meters: 3, profile: 'ce308' } });
    try {
      const { device, line } = await target(ids[2]!);
      await t.db.query(`UPDATE protocols SET settings = settings || '{"serverAddressLength": 4}' WHERE id = $1`, [line.protocolId]);
      await t.db.query(`UPDATE channels SET settings = $2 WHERE id = $1`, [line.channelId, JSON.stringify({ host: '127.0.0.1', port: hdlc.port })]);
      const link = await reader.open(device, { ...line, address: '18' }, never);
      const current = await link.collect({ kind: 'measurement', item: { archive: 'current', tags: ['A+ T0', 'R- T0'] } });
      assert.equal(current.status, 'ok', current.note);
      assert.deepEqual(current.records.map((r) => [r.code, r.tag, (r.value as { unit: string }).unit]), [['1.0.1.8.0.255', 'A+ T0', 'Wh'], ['1.0.4.8.0.255', 'R- T0', 'varh']]);
      assert.match(await link.close(), /.+/);
    } finally {
      await t.db.query(`UPDATE protocols p SET settings = p.settings || '{"serverAddressLength": 0}' FROM comm_lines cl WHERE cl.protocol_id = p.id AND cl.device_id = $1`, [ids[2]]);
      await t.db.query(`UPDATE channels c SET settings = $2 FROM comm_lines cl WHERE cl.channel_id = c.id AND cl.device_id = $1`, [ids[2], JSON.stringify({ host: '127.0.0.1', port: sim.port })]);
      await hdlc.close();
    }
  });

  it('throws LinkError when the meter cannot be reached or the keys are wrong', async () => {
    const { device, line } = await target(ids[2]!);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const ch = (await t.db.query<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'dead', 'TCP', $2) RETURNING id`, [projectId, JSON.stringify({ host: '127.0.0.1', port })])).rows[0]!.id;
    const dead = (await t.db.query<{ id: string }>(
      `INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address, attempts) SELECT project_id, device_id, $2, protocol_id, profile_id, address, 1 FROM comm_lines WHERE id = $1 RETURNING id`,
      [line.id, ch],
    )).rows[0]!.id;
    await assert.rejects(reader.open(device, { ...line, id: dead, attempts: 1 }, never), (e: Error) => e instanceof LinkError && /could not start a session/.test(e.message));
    // meter 2 answers on meter 1's wPort with the wrong keys
    await assert.rejects(reader.open(device, { ...line, address: '257' }, never), (e: Error) => e instanceof LinkError && /authentication|association|rejected|timeout/i.test(e.message));
  });

  it('a launch by the scheduler stores the readings once, however often it runs', async () => {
    const sink = new RegistryReadingSink(t.db);
    const scheduler = new Scheduler({ db: t.db, reader, sink, pollMs: 50 });
    const task = await createTask(t.db, projectId, {
      kind: 'scheduled', name: 'profile', deviceIds: [ids[0]!, ids[1]!], content: { measurements: [{ archive: 'profile-15', depth: { count: 6, unit: 'hours' }, tags: ['A+ T0'] }] },
    }, { userId: (await t.db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`)).rows[0]!.id, username: 'admin', m2m: false });
    scheduler.start();
    try {
      for (let run = 0; run < 2; run++) {
        const l = await runNow(t.db, projectId, String(task.id), null);
        let launch = l;
        for (let i = 0; i < 200 && launch.state !== 'finished'; i++) {
          await new Promise((r) => setTimeout(r, 50));
          launch = await getLaunch(t.db, projectId, String(l.id));
        }
        assert.equal(launch.result, 'success', JSON.stringify(launch));
      }
    } finally {
      await scheduler.stop();
    }
    const m = await measurements(t.db, projectId, ids[0]!, { archive: 'profile-15', limit: 100, offset: 0 });
    assert.ok(m.total >= 24 && m.total <= 25, `rows: ${m.total}`);
    assert.equal(m.items[0]!.tag, 'A+ T0');
    assert.equal((m.items[0]!.value as { unit: string }).unit, 'Wh');
  });
});
