/**
 * The M-Bus DeviceReader against simulated slaves behind a simulated M-Bus-to-TCP converter, with the comm
 * lines, keys and time zone from the registry: multi-telegram reads handed over as raw frames (protocol
 * mbus) that decode to the simulator's values, a meter addressed by its secondary address, an encrypted one
 * opened with its registry key, states, clock read and write, a silent slave and a wireless meter refused.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { createProject } from '../registry/project-data.js';
import { decodeTelegram } from '../decoders/mbus/telegram.js';
import { MbusConverter } from '../sim/mbus/converter.js';
import { MbusFleet } from '../sim/mbus/meter.js';
import { MbusDeviceReader } from './mbus-reader.js';
import { LinkError, type CommLineRef, type DeviceTarget } from './reader.js';
import { commLines } from './scheduler.js';

const never = new AbortController().signal;
const T = Date.UTC(2026, 5, 15, 9, 30);

describe('MbusDeviceReader against a simulated converter', () => {
  let t: TestDb, box: SecretBox, projectId: string, converter: MbusConverter, reader: MbusDeviceReader;
  const fleet = new MbusFleet({ meters: 6, tzMinutes: 120 });
  const devices: Record<string, string> = {};

  const target = async (serial: string): Promise<{ device: DeviceTarget; line: CommLineRef }> => {
    const id = devices[serial]!;
    const d = (await t.db.query<DeviceTarget>('SELECT id, num::float8 AS num, project_id AS "projectId", serial_number AS "serialNumber", type FROM devices WHERE id = $1', [id])).rows[0]!;
    return { device: d, line: (await commLines(t.db, id))[0]! };
  };

  before(async () => {
    t = await openTestDb('pglite');
    box = new SecretBox(Buffer.alloc(32, 5));
    // Meter 0 (water) at primary 1, meter 1 (heat) at 2 encrypted, meter 2 at 3 silent.
    converter = await new MbusConverter({ fleet, slaves: new Map([[1, 0], [2, 1], [3, 2]]), encrypted: new Set([2]), silent: new Set([3]), now: () => T }).start();
    projectId = String((await createProject(t.db, { name: 'Heat', timeZone: 'Europe/Berlin' }, null)).id);
    const q = async <R>(sql: string, params: unknown[]) => (await t.db.query<R & Record<string, unknown>>(sql, params)).rows[0]!;
    const group = await q<{ id: string }>('SELECT id FROM device_groups WHERE project_id = $1', [projectId]);
    const channel = await q<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'converter', 'MBUS_TCP', $2) RETURNING id`, [projectId, JSON.stringify({ host: '127.0.0.1', port: converter.port, baudRate: 2400 })]);
    const air = await q<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'air', 'WMBUS', '{}') RETURNING id`, [projectId]);
    const protocol = await q<{ id: string }>(`INSERT INTO protocols (project_id, name, kind, settings) VALUES ($1, 'm-bus', 'MBUS', $2) RETURNING id`, [projectId, JSON.stringify({ waitTime: 1, resendCount: 1, maxTelegrams: 16 })]);
    const add = async (serial: string, channelId: string, address: string, profile: string) => {
      const d = await q<{ id: string }>(`INSERT INTO devices (project_id, serial_number, type, group_id) VALUES ($1, $2, 'MBUS', $3) RETURNING id`, [projectId, serial, group.id]);
      await t.db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address, attempts) VALUES ($1, $2, $3, $4, $5, $6, 1)`, [projectId, d.id, channelId, protocol.id, profile, address]);
      devices[serial] = d.id;
      return d.id;
    };
    await add('water-primary', channel.id, '1', 'MBUS_WATER');
    await add('water-secondary', channel.id, `${fleet.meter(0).id}-HES`, 'MBUS_WATER');
    const heat = await add('heat', channel.id, '2', 'MBUS_HEAT');
    const keyId = (await q<{ id: string }>(`INSERT INTO security_keys (project_id, device_id, kind, key_enc) VALUES ($1, $2, 'MBUS_AES', 'pending') RETURNING id`, [projectId, heat])).id;
    await t.db.query('UPDATE security_keys SET key_enc = $2 WHERE id = $1', [keyId, box.encrypt(Buffer.from(fleet.meter(1).key).toString('hex'), `security-key:${keyId}`)]);
    await add('silent', channel.id, '3', 'MBUS_WATER');
    await add('wireless', air.id, '30000004-HES', 'MBUS_WATER');
    reader = new MbusDeviceReader({ db: t.db, box, detail: true, now: () => T });
  });
  after(async () => {
    await converter.close();
    await t.drop();
  });

  it('reads every telegram once per session and hands them over as M-Bus raw frames with the archive context', async () => {
    const { device, line } = await target('water-primary');
    const link = await reader.open(device, line, never);
    const current = await link.collect({ kind: 'measurement', item: { archive: 'current' } });
    assert.equal(current.status, 'ok', current.note);
    assert.equal(current.frames?.length, 2, 'the water meter answers in 2 telegrams');
    const f = current.frames![0]!;
    assert.equal(f.protocol, 'mbus');
    assert.deepEqual([f.context.archive, f.context.retentionDays, f.context.deviceTzMinutes, f.context.source], ['current', 365, 120, 'POLL']);
    const first = decodeTelegram(f.apdu);
    assert.equal(first.records.value[0], fleet.primaryValue(0, T));
    assert.equal(first.records.moreRecordsFollow, true);
    assert.equal(decodeTelegram(current.frames![1]!.apdu).records.moreRecordsFollow, false);
    // The second telegram has no date of its own: the pool takes the session's meter times (local, per storage number).
    assert.deepEqual(JSON.parse(String(f.context.protocolContext)), { times: { 0: T + 120 * 60_000, 1: Date.UTC(2026, 5, 1) } });
    const again = await link.collect({ kind: 'measurement', item: { archive: 'end-of-month' } });
    assert.deepEqual([again.status, again.frames ?? []], ['ok', []], 'the same session does not read the meter twice');
    const log = await link.close();
    assert.match(log, /SND_NKE to 1/);
    assert.match(log, /REQ_UD2 to 1 \(FCB 1\)/);
    assert.match(log, /RSP_UD HES 30000000: 4 records, more follow/);
  });

  it('a meter by its secondary address; an encrypted meter opened with its registry key; states', async () => {
    const sec = await target('water-secondary');
    const link = await reader.open(sec.device, sec.line, never);
    const info = await link.collect({ kind: 'state', archive: 'state-info' });
    assert.deepEqual(info.records.slice(0, 4).map((r) => [r.code, r.value]), [['manufacturer', 'HES'], ['id', fleet.meter(0).id], ['version', 1], ['medium', 'water']]);
    await link.close();
    const heat = await target('heat');
    const hl = await reader.open(heat.device, heat.line, never);
    const m = await hl.collect({ kind: 'measurement', item: { archive: 'current' } });
    assert.equal(m.frames?.length, 3);
    const d = decodeTelegram(m.frames![0]!.apdu, { key: fleet.meter(1).key });
    assert.equal(d.security.mode, 5);
    assert.equal(d.records.value[0], fleet.primaryValue(1, T));
    const state = await hl.collect({ kind: 'state', archive: 'state-state' });
    assert.deepEqual(state.records.map((r) => r.code), ['status', 'error-flags']);
    const events = await hl.collect({ kind: 'events', journals: ['power-on-off'] });
    assert.equal(events.status, 'unsupported');
    await hl.close();
  });

  it('clock read gives the meter time in UTC (its clock shows local time, the project zone); clock write is acknowledged', async () => {
    const { device, line } = await target('water-primary');
    const link = await reader.open(device, line, never);
    const read = await link.control({ function: 'clock-read' });
    assert.equal(read.ok, true, read.note);
    assert.equal((read.value as { utcMs: number }).utcMs, T, 'fleet clocks are UTC+2, the project is Europe/Berlin (CEST) in June');
    const write = await link.control({ function: 'clock-write', params: { utcMs: T } });
    assert.equal(write.ok, true, write.note);
    const relay = await link.control({ function: 'relay-disconnect' });
    assert.deepEqual([relay.ok, relay.reason], [false, 'unsupported']);
    await link.close();
  });

  it('a silent slave fails with the attempts in the exchange log; a wireless meter is not polled', async () => {
    const s = await target('silent');
    await assert.rejects(reader.open(s.device, s.line, never), (e: unknown) => e instanceof LinkError && /did not answer.*SND_NKE to 3/.test(e.message) && /FAIL/.test(e.exchangeLog));
    const w = await target('wireless');
    await assert.rejects(reader.open(w.device, w.line, never), (e: unknown) => e instanceof LinkError && /not polled/.test(e.message));
  });
});
