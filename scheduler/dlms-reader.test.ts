/**
 * The DLMS DeviceReader against the fleet simulator over real sockets: comm lines, protocol secrets and the
 * CE308 device profile from the registry. Archive reads come out as raw frames, decoded here by the pool's
 * decoder: load profile and daily billing with tags (a day of intervals sums to the register difference),
 * register values and network parameters stamped with the meter's clock; event journals equal the
 * simulator's journals; states (time, information, configuration, relay) stored only when they change;
 * relay commands; link failures; and whole launches by the scheduler through the bus and decoder pool into
 * ClickHouse, stored once however often they run.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDb, type TestDb } from '../registry/testing.js';
import { SecretBox } from '../registry/crypto.js';
import { ProtocolStore, createProject } from '../registry/project-data.js';
import { loadConfig } from '../config/index.js';
import { startSimMeters, type SimMeters } from '../ingest/testing/sim-meters.js';
import { journalEvents } from '../sim/model/events.js';
import { pushApdu } from '../sim/push.js';
import { registerFleet } from '../cli/demo.js';
import { openDataPlane } from '../cli/data-plane.js';
import { decodeFrames, type DecodedReading } from '../workers/testing.js';
import { activityCalendarAttributes, specialDaysAttributes } from '../decoders/dlms/cosem/index.js';
import { EVENT_CODE_TABLES } from '../decoders/dlms/cosem/event-codes.js';
import { addProfileVersion, createProfile, launchProfileVersions, latestProfileVersions, loadProfiles } from '../registry/profiles.js';
import { toHex } from '../decoders/dlms/axdr/writer.js';
import type { RawFrame } from '../schemas/avro/index.js';
import { connectTcp } from '../ingest/transport/socket.js';
import { LOAD_PROFILE, TestMeter } from '../ingest/testing/test-meter.js';
import { attr } from '../decoders/dlms/connection/testkit.js';
import { RegistryInvocationCounterStore } from './counters.js';
import { DlmsDeviceReader, connectionSettings, withProfileQuirks } from './dlms-reader.js';
import { resolveSettings } from '../decoders/dlms/connection/index.js';
import { conformanceBits } from '../decoders/dlms/apdu/xdlms/initiate/conformance.js';
import { LinkError, type CollectedFrame, type CollectedRecord, type CollectItem, type CommLineRef, type DeviceTarget } from './reader.js';
import type { TaskContent } from './content.js';
import { PipelineSink } from './pipeline-sink.js';
import { deviceEvents, measurements } from './readings.js';
import { Scheduler, commLines, executeCommand } from './scheduler.js';
import { deviceStates, saveStates } from './states.js';
import { cancelLaunch, commandHistory, createTask, getLaunch, runNow } from './tasks.js';

const DAY = 86_400_000;
const DEFAULT_CLOCK = { maxDriftSeconds: 300, minDriftSeconds: 5 };
const never = new AbortController().signal;

/** The frames of a collect as the pool gets them from the bus. */
const raw = (device: DeviceTarget, frames: CollectedFrame[] = []): RawFrame[] => frames.map((f) => ({
  frameId: f.frameId, wire: Buffer.from(f.apdu), framing: 'APDU', direction: 'UPLINK', deviceId: device.num, commLineId: null, connector: 'tcp',
  receivedAt: f.receivedAt, sessionId: f.sessionId, context: f.context,
}));
/** The admin, as the creator of the tasks these tests run. */
async function admin(db: TestDb['db']) {
  return { userId: (await db.query<{ id: string }>(`SELECT id FROM users WHERE username = 'admin'`)).rows[0]!.id, username: 'admin', m2m: false };
}

/** Runs a task now and waits (up to 10 s) for its launch to finish. */
async function runToEnd(db: TestDb['db'], projectId: string, taskId: string) {
  let launch = await runNow(db, projectId, taskId, null);
  for (let i = 0; i < 200 && launch.state !== 'finished'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    launch = await getLaunch(db, projectId, String(launch.id));
  }
  return launch;
}

const tagOf = (r: DecodedReading) => `${['A+', 'A-', 'R+', 'R-'][Number(r.obis.split('.')[2]) - 1]} T${r.tariff}`;

describe('DlmsDeviceReader against the simulator', () => {
  let t: TestDb, sim: SimMeters, box: SecretBox, projectId: string, ids: string[], reader: DlmsDeviceReader;

  const target = async (id: string): Promise<{ device: DeviceTarget; line: CommLineRef }> => {
    const d = (await t.db.query<DeviceTarget>('SELECT id, num::float8 AS num, project_id AS "projectId", serial_number AS "serialNumber", type FROM devices WHERE id = $1', [id])).rows[0]!;
    return { device: d, line: (await commLines(t.db, id))[0]! };
  };

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

  it('hands over the load profile and daily billing as raw frames; decoded, a day of intervals sums to the register difference', async () => {
    const { device, line } = await target(ids[1]!);
    const link = await reader.open(device, line, never);
    const now = Date.now();
    const daily = await link.collect({ kind: 'measurement', item: { archive: 'end-of-day', tags: ['A+ T0', 'A+ T1'] }, range: { fromMs: now - 4 * DAY, toMs: now } });
    assert.equal(daily.status, 'ok', daily.note);
    assert.deepEqual(daily.records, []);
    assert.equal(daily.frames?.length, 1);
    const frame = daily.frames![0]!;
    assert.equal(frame.apdu[0], 0xc4, 'a GET-Response');
    // The context: every capture object with OBIS, scaler, unit and tariff; the tags not asked for are parsed, not stored.
    assert.equal(frame.context.archive, 'end-of-day');
    assert.equal(frame.context.retentionDays, 365);
    assert.equal(frame.context.deviceTzMinutes, 180);
    assert.deepEqual(frame.context.captureObjects.filter((o) => o.store).map((o) => [o.obis, o.tariff, o.unit]), [['1.0.1.8.0.255', 0, 'Wh'], ['1.0.1.8.1.255', 1, 'Wh']]);
    const registers = decodeFrames(raw(device, daily.frames)).readings;
    assert.deepEqual([...new Set(registers.map((r) => `${r.obis} ${tagOf(r)}`))].sort(), ['1.0.1.8.0.255 A+ T0', '1.0.1.8.1.255 A+ T1']);
    assert.ok(registers.every((r) => r.deviceId === device.num && r.deviceTz === 180 && r.retentionDays === 365 && r.source === 'POLL'));
    const days = registers.filter((r) => r.tariff === 0).sort((a, b) => a.ts - b.ts);
    assert.ok(days.length >= 3, `daily rows: ${days.length}`);
    const [d0, d1] = days.slice(-2) as [DecodedReading, DecodedReading];
    assert.equal((d1.ts - d0.ts) * 1000, DAY);
    // Interval rows are stamped at the end of their interval: the day after d0 is (d0, d1].
    const profile = await link.collect({ kind: 'measurement', item: { archive: 'profile-15' }, range: { fromMs: d0.ts * 1000 + 60_000, toMs: d1.ts * 1000 } });
    assert.equal(profile.status, 'ok', profile.note);
    const intervals = decodeFrames(raw(device, profile.frames)).readings;
    assert.deepEqual([...new Set(intervals.map(tagOf))].sort(), ['A+ T0', 'A- T0', 'R+ T0', 'R- T0']);
    const aPlus = intervals.filter((r) => r.obis === '1.0.1.29.0.255');
    assert.equal(aPlus.length, 96);
    assert.equal(aPlus.reduce((s, r) => s + r.value, 0), d1.value - d0.value);

    // Registers and the clock in one GET-With-List: stamped with the meter's clock, not the time of receipt.
    const current = await link.collect({ kind: 'measurement', item: { archive: 'current', tags: ['A+ T0', 'R- T0'] } });
    assert.equal(current.status, 'ok', current.note);
    assert.equal(current.frames?.[0]?.apdu[1], 0x03, 'GET-Response-With-List');
    const values = decodeFrames(raw(device, current.frames)).readings;
    assert.deepEqual(values.map((r) => [r.obis, tagOf(r), r.unit]), [['1.0.1.8.0.255', 'A+ T0', 'Wh'], ['1.0.4.8.0.255', 'R- T0', 'varh']]);
    assert.ok(values[0]!.value >= d1.value);
    assert.ok(Math.abs(values[0]!.ts * 1000 - Date.now()) < 60_000);
    const network = await link.collect({ kind: 'measurement', item: { archive: 'network' } });
    assert.equal(network.status, 'ok', network.note);
    const grid = new Map(decodeFrames(raw(device, network.frames)).readings.map((r) => [r.obis, r]));
    assert.equal(grid.size, 16);
    assert.equal(grid.get('1.0.32.7.0.255')!.unit, 'V');
    assert.ok(grid.get('1.0.32.7.0.255')!.value > 180 && grid.get('1.0.32.7.0.255')!.value < 260, String(grid.get('1.0.32.7.0.255')!.value));
    assert.ok(Math.abs(grid.get('1.0.14.7.0.255')!.value - 50) < 1);
    const unsupported = await link.collect({ kind: 'measurement', item: { archive: 'telemetry' } });
    assert.equal(unsupported.status, 'unsupported');
    assert.match(await link.close(), /associate|release/i);
  });

  it('reads the event journals of the device profile; decoded, they are the meter\'s journals', async () => {
    const { device, line } = await target(ids[0]!);
    const link = await reader.open(device, line, never);
    const now = Date.now();
    const out = await link.collect({ kind: 'events', journals: [], range: { fromMs: now - 120 * DAY, toMs: now } });
    assert.equal(out.status, 'ok', out.note);
    const journals = ['voltage', 'current', 'power-on-off', 'data-correction', 'external-impact', 'communication', 'access-control', 'self-diagnostics', 'power-quality'];
    const { events, readings } = decodeFrames(raw(device, out.frames));
    assert.equal(readings.length, 0);
    const m = sim.fleet.meter(0);
    const expected = m.profile.journals.flatMap((_, i) => journalEvents(m, i, now)
      .filter((e) => e.timeMs >= now - 120 * DAY)
      .map((e) => [journals[i], Math.floor(e.timeMs / 1000), e.code]));
    assert.ok(expected.length > 5, `the simulator's journals hold ${expected.length} events`);
    const key = (e: unknown[]) => e.join(' ');
    assert.deepEqual(events.map((e) => [e.journal, e.ts, e.code]).map(key).sort(), expected.map(key).sort());
    const power = events.filter((e) => e.journal === 'power-on-off');
    assert.ok(power.every((e) => e.name === (e.code === 1 ? 'power off' : 'power on')));
    // Every code is named from the SPODES table of its journal (GOST R 58940 appendix D); the power-quality journal has none.
    const table = (journal: string) => `spodes-${journal === 'power-on-off' ? 'power' : journal}`;
    assert.deepEqual(events.map((e) => [e.journal, e.code, e.name]), events.map((e) => [e.journal, e.code, EVENT_CODE_TABLES[table(e.journal)]?.[e.code] ?? 'unknown']));
    assert.ok(events.some((e) => e.journal === 'voltage') && events.every((e) => (e.name === 'unknown') === (e.journal === 'power-quality')), 'named but power quality');
    // The shipped profiles name only tables that exist.
    for (const p of loadProfiles()) {
      for (const [journal, spec] of Object.entries((p.journals ?? {}) as Record<string, { codes?: string }>)) {
        if (spec.codes) assert.ok(EVENT_CODE_TABLES[spec.codes], `${p.id} ${journal}: ${spec.codes}`);
      }
    }
    assert.ok(events.every((e) => e.device_id === device.num && e.device_tz === 180 && /^02/.test(e.raw)));
    // One journal by name; a journal the profile does not have is noted, not an error.
    const some = await link.collect({ kind: 'events', journals: ['power-on-off', 'relay'], range: { fromMs: now - 120 * DAY, toMs: now } });
    assert.equal(some.status, 'ok');
    assert.match(some.note ?? '', /relay: not in device profile DL_CE_308/);
    assert.deepEqual([...new Set(decodeFrames(raw(device, some.frames)).events.map((e) => e.journal))], power.length ? ['power-on-off'] : []);
    await link.close();
  });

  it('reads states — time, information, configuration, relay — and stores a value only when it changes', async () => {
    const { device, line } = await target(ids[1]!);
    const link = await reader.open(device, line, never);
    const read = async (archive: string) => {
      const out = await link.collect({ kind: 'state', archive });
      return { ...out, values: Object.fromEntries(out.records.map((r) => [r.code, r.value])) };
    };
    const info = await read('state-info');
    assert.deepEqual(info.values, { 'logical-device-name': `EGM${device.serialNumber}`.slice(0, 16), 'serial-number': device.serialNumber, 'firmware-version': '12.1.0' });
    const time = await read('state-time');
    assert.equal(time.status, 'ok', time.note);
    assert.match(String(time.values['device-time']), /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d/);
    assert.equal(time.values['time-zone'], -180);
    assert.equal(time.values['dst-enabled'], false);
    const config = await read('state-configuration');
    assert.equal(config.status, 'ok', config.note);
    assert.equal(config.values['calendar-active'], 'ACTIVE');
    assert.equal(config.values['limiter-threshold-active'], 30000);
    assert.equal(config.values['security-policy'], 3);
    const relay = await read('state-relay');
    assert.deepEqual(relay.values, {
      'load-state': 'connected', 'load-control-state': 'connected', 'load-lock-state': 0,
      'signal-state': 'connected', 'signal-control-state': 'connected', 'signal-lock-state': 0,
    });
    assert.deepEqual((await read('state-state')).records.map((r) => r.code), ['error-register', 'alarm-register']);

    // Stored once per change: the same values again add no history row; a switched relay adds one.
    const save = (archive: string, records: { code: string; value: unknown }[], at: number) => saveStates(t.db, device, archive, records, at);
    const t0 = Date.parse('2025-05-28T12:00:00Z');
    assert.deepEqual((await save('state-relay', relay.records, t0)).sort(), Object.keys(relay.values).sort());
    assert.deepEqual(await save('state-relay', relay.records, t0 + 60_000), []);
    await link.control({ function: 'relay-disconnect', params: { relay: 'load' } });
    const off = await read('state-relay');
    assert.deepEqual((await save('state-relay', off.records, t0 + 120_000)).sort(), ['load-control-state', 'load-state']);
    await link.control({ function: 'relay-connect', params: { relay: 'load' } });
    const current = await deviceStates(t.db, projectId, device.id, { archive: 'state-relay', limit: 100, offset: 0 }, false);
    const load = current.items.find((s) => s.code === 'load-state')!;
    assert.deepEqual([load.value, load.changedAt, load.readAt], ['disconnected', new Date(t0 + 120_000).toISOString(), new Date(t0 + 120_000).toISOString()]);
    assert.equal(current.items.find((s) => s.code === 'load-lock-state')!.changedAt, new Date(t0).toISOString());
    assert.equal(current.items.find((s) => s.code === 'load-lock-state')!.readAt, new Date(t0 + 120_000).toISOString());
    const history = await deviceStates(t.db, projectId, device.id, { archive: 'state-relay', code: 'load-state', limit: 100, offset: 0 }, true);
    assert.deepEqual(history.items.map((h) => [h.value, h.changedAt]), [['disconnected', new Date(t0 + 120_000).toISOString()], ['connected', new Date(t0).toISOString()]]);
    assert.equal((await deviceStates(t.db, projectId, device.id, { limit: 100, offset: 0 }, true)).total, 8);
    await link.close();
  });

  it('switches the load relay and reports a missing relay as absent', async () => {
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
    await link.close();
  });

  // The configure commands use meter 0: a later test reaches meter 2 on a fresh simulator, which only works while
  // no session to it has recorded the meter's invocation counter yet.
  it('reads the tariff calendars, writes the passive one and activates it now or at a time in the device zone', async () => {
    const { device, line } = await target(ids[0]!);
    const link = await reader.open(device, line, never);
    const schedule = [['00:00', 2], ['07:00', 1], ['10:00', 3], ['17:00', 1], ['21:00', 3], ['23:00', 2]].map(([start, selector]) => ({ start: `${start}:00.00`, script: '0.0.10.0.100.255', selector }));
    const simCalendar = (name: string) => ({
      name, seasons: [{ name: 'S1', start: '2000-01-01T00:00:00.00', week: 'W1' }],
      weeks: [{ name: 'W1', monday: 1, tuesday: 1, wednesday: 1, thursday: 1, friday: 1, saturday: 1, sunday: 1 }], days: [{ dayId: 1, schedule }],
    });
    const active = await link.control({ function: 'tariff-read-active' });
    assert.equal(active.ok, true, active.note);
    assert.deepEqual(active.value, { calendar: simCalendar('ACTIVE') });
    assert.deepEqual((await link.control({ function: 'tariff-read-passive' })).value, { calendar: simCalendar('PASSIVE'), activateAt: null });

    const calendar = {
      name: 'TWO-RATE 2026',
      seasons: [{ name: 'WINTER', start: '****-10-01T00:00:00', week: 'WORKWEEK' }, { name: '0x0102', start: '****-04-01T00:00:00.00+03:00', week: 'FLAT' }],
      weeks: [
        { name: 'WORKWEEK', monday: 1, tuesday: 1, wednesday: 1, thursday: 1, friday: 1, saturday: 2, sunday: 2 },
        { name: 'FLAT', monday: 2, tuesday: 2, wednesday: 2, thursday: 2, friday: 2, saturday: 2, sunday: 2 },
      ],
      days: [
        { dayId: 1, schedule: [{ start: '07:00:00', script: '0.0.10.0.100.255', selector: 1 }, { start: '23:00:00', script: '0.0.10.0.100.255', selector: 2 }] },
        { dayId: 2, schedule: [{ start: '00:00:00', script: '0.0.10.0.100.255', selector: 2 }] },
      ],
    };
    const write = await link.control({ function: 'tariff-write-passive', params: { calendar } });
    assert.equal(write.ok, true, write.note);
    assert.deepEqual((await link.control({ function: 'tariff-read-passive' })).value, { calendar, activateAt: null });
    assert.deepEqual((await link.control({ function: 'tariff-read-active' })).value, { calendar: simCalendar('ACTIVE') }, 'written, not yet active');

    // A malformed calendar is refused before anything is written, with the field named.
    const bad = async (c: unknown) => link.control({ function: 'tariff-write-passive', params: { calendar: c } });
    assert.deepEqual(await bad({ ...calendar, seasons: [{ ...calendar.seasons[0], start: '****-13-01T00:00' }] }),
      { ok: false, reason: 'refused', note: 'calendar.seasons[0].start: out of range (YYYY-MM-DDThh:mm[:ss[.cc]][Z|±hh:mm], * = not specified)' });
    assert.match((await bad({ ...calendar, weeks: [calendar.weeks[0], { ...calendar.weeks[1], sunday: 7 }] })).note ?? '', /^calendar\.weeks\[1\]\.sunday: no day profile with dayId 7/);
    assert.match((await bad({ ...calendar, seasons: [{ ...calendar.seasons[0], week: 'W9' }] })).note ?? '', /^calendar\.seasons\[0\]\.week: no week profile named "W9"/);
    assert.match((await bad({ name: 'X', seasons: [], weeks: [] })).note ?? '', /^calendar\.days: expected an array/);
    assert.match((await bad({ ...calendar, days: [{ dayId: 1, schedule: [{ start: '7:00', script: '0.0.10.0.100.255', selector: 1 }] }] })).note ?? '', /^calendar\.days\[0\]\.schedule\[0\]\.start: expected hh:mm/);
    assert.deepEqual((await link.control({ function: 'tariff-read-passive' })).value, { calendar, activateAt: null });

    // Activation at a time: attribute 10 holds it as the meter's local time (UTC+3) and reads back as the same instant.
    const at = await link.control({ function: 'tariff-activate', params: { activateAt: '2030-01-01T00:00:00Z' } });
    assert.equal(at.ok, true, at.note);
    assert.equal((await link.control({ function: 'tariff-read-passive' }) as { value: { activateAt: string } }).value.activateAt, '2030-01-01T00:00:00.000Z');
    const stored = activityCalendarAttributes.activatePassiveCalendarTime.decode(sim.fleet.meter(0).state.written!.get('20/0.0.13.0.0.255/10')!);
    assert.deepEqual([stored.year, stored.month, stored.dayOfMonth, stored.hour, stored.deviation], [2030, 1, 1, 3, -180]);
    // Activation now: the active calendar is the one written.
    const now = await link.control({ function: 'tariff-activate' });
    assert.equal(now.ok, true, now.note);
    assert.deepEqual((await link.control({ function: 'tariff-read-active' })).value, { calendar });
    await link.close();
  });

  it('inserts special days (an entry with the date of an existing one replaces it) and reads them back with their index', async () => {
    const { device, line } = await target(ids[0]!);
    const link = await reader.open(device, line, never);
    const read = async () => (await link.control({ function: 'special-days-read' })).value;
    assert.deepEqual(await read(), { days: [] });
    const w = await link.control({ function: 'special-days-write', params: { days: [{ date: '2025-05-09', dayId: 2 }, { date: '****-01-01', dayId: 2 }, { date: '2024-12-25', yearly: true, dayId: 2 }] } });
    assert.equal(w.ok, true, w.note);
    const days = [
      { index: 1, date: '2025-05-09', yearly: false, dayId: 2 }, { index: 2, date: '****-01-01', yearly: true, dayId: 2 }, { index: 3, date: '****-12-25', yearly: true, dayId: 2 },
    ];
    assert.deepEqual(w.value, { days });
    assert.deepEqual(await read(), { days });
    // The weekday of a full date is written too (Friday), though the text form does not carry it.
    const entries = specialDaysAttributes.entries.decode(sim.fleet.meter(0).state.written!.get('11/0.0.11.0.0.255/2')!);
    assert.deepEqual(entries.map((e) => e.date.dayOfWeek), [5, 0xff, 0xff]);
    assert.equal((await link.control({ function: 'special-days-write', params: { days: [{ date: '2025-05-09', dayId: 1 }, { index: 9, date: '2026-03-08', dayId: 2 }] } })).ok, true);
    assert.deepEqual(await read(), { days: [{ ...days[0]!, dayId: 1 }, days[1], days[2], { index: 9, date: '2026-03-08', yearly: false, dayId: 2 }] });
    assert.deepEqual(await link.control({ function: 'special-days-write', params: { days: [{ date: '2025-02-29', dayId: 1 }] } }),
      { ok: false, reason: 'refused', note: 'days[0].date: out of range (YYYY-MM-DD, **** = every year)' });
    // Deleting by index and by date (a yearly entry by its **** date); a name that matches no entry deletes nothing.
    const del = (params: Record<string, unknown>) => link.control({ function: 'special-days-delete', params });
    assert.deepEqual(await del({ indexes: [1, 42] }), { ok: false, reason: 'refused', note: 'indexes[1]: no special day with index 42' });
    assert.deepEqual(await del({ dates: ['2026-01-01'] }), { ok: false, reason: 'refused', note: 'dates[0]: no special day on 2026-01-01' });
    assert.equal((await read() as { days: unknown[] }).days.length, 4, 'nothing deleted');
    const gone = await del({ indexes: [1], dates: ['****-01-01', '2026-03-08'] });
    assert.equal(gone.ok, true, gone.note);
    assert.deepEqual(gone.value, { days: [{ ...days[0]!, dayId: 1 }, days[1], { index: 9, date: '2026-03-08', yearly: false, dayId: 2 }] });
    assert.deepEqual(await read(), { days: [days[2]] });
    assert.match((await del({})).note ?? '', /^indexes: name the entries to delete/);
    await link.close();
  });

  it('reads the limiter and writes only the thresholds and durations given', async () => {
    const { device, line } = await target(ids[0]!);
    const link = await reader.open(device, line, never);
    const limits = {
      monitoredValue: { classId: 3, obis: '1.0.16.7.0.255', attribute: 2 },
      thresholdActive: 30000, thresholdNormal: 30000, thresholdEmergency: 15000, minOverThresholdDuration: 60, minUnderThresholdDuration: 60,
    };
    assert.deepEqual((await link.control({ function: 'limits-read' })).value, { limits });
    const w = await link.control({ function: 'limits-write', params: { limits: { thresholdNormal: 25000, minOverThresholdDuration: 120 } } });
    assert.equal(w.ok, true, w.note);
    assert.deepEqual((await link.control({ function: 'limits-read' })).value, { limits: { ...limits, thresholdNormal: 25000, minOverThresholdDuration: 120 } });
    // The threshold keeps the monitored value's type; one that does not fit it is refused before anything is written.
    const written = () => [...sim.fleet.meter(0).state.written!.keys()].filter((k) => k.startsWith('71/')).sort();
    assert.equal(sim.fleet.meter(0).state.written!.get('71/0.0.17.0.0.255/4')!.type, 'double-long');
    assert.deepEqual(written(), ['71/0.0.17.0.0.255/4', '71/0.0.17.0.0.255/6']);
    const big = await link.control({ function: 'limits-write', params: { limits: { monitoredValue: { classId: 3, obis: '1.0.1.7.0.255', attribute: 2 }, thresholdEmergency: 5e9 } } });
    assert.deepEqual([big.ok, big.reason], [false, 'refused']);
    assert.match(big.note ?? '', /^limits\.thresholdEmergency: 5000000000 is outside double-long/);
    const refused = await executeCommand(link, { function: 'limits-write', params: { limits: { thresholdEmergency: 5e9 } } }, DEFAULT_CLOCK, Date.now());
    assert.deepEqual([refused.state, refused.refused], ['error', true], 'bad parameters are final: the scheduler does not retry them');
    assert.deepEqual(written(), ['71/0.0.17.0.0.255/4', '71/0.0.17.0.0.255/6']);
    assert.match((await link.control({ function: 'limits-write', params: { limits: {} } })).note ?? '', /^limits: names no limiter attribute/);
    await link.close();
  });

  it('reads and writes a Push Setup (object list, destination, window, randomisation); the meter then pushes where it was told', async () => {
    const { device, line } = await target(ids[0]!);
    const link = await reader.open(device, line, never);
    const setup = '0.2.25.9.0.255';
    const read = async () => link.control({ function: 'push-setup-read', params: { pushSetup: setup } });
    const before = await read();
    assert.equal(before.ok, true, before.note);
    const b = before.value as { objects: unknown[]; service: string; destination: string; window: unknown[]; randomisationS: number };
    assert.deepEqual([b.objects[0], b.service, b.destination, b.window, b.randomisationS], [{ classId: 40, obis: setup, attribute: 1, dataIndex: 0 }, 'tcp', sim.fleet.config.pushDestination, [], 60]);
    const w = await link.control({
      function: 'push-setup-write', params: { pushSetup: setup, push: { destination: '10.0.0.9:4100', window: [{ start: '****-**-**T00:00', end: '****-**-**T06:00' }], randomisationS: 120 } },
    });
    assert.equal(w.ok, true, w.note);
    assert.deepEqual(w.value, (await read()).value, 'a write answers what the meter holds then');
    const after = w.value as typeof b;
    assert.deepEqual([after.objects, after.service, after.destination, after.randomisationS, after.window.length], [b.objects, 'tcp', '10.0.0.9:4100', 120, 1]);
    assert.equal(pushApdu(sim.fleet, { index: 0, timeMs: Date.now(), setup }).destination, '10.0.0.9:4100', 'the meter pushes to the new destination');
    // bad parameters are refused before anything is written
    const bad = await link.control({ function: 'push-setup-write', params: { pushSetup: setup, push: { randomisationS: 5, window: [{ start: 'soon', end: 'later' }] } } });
    assert.deepEqual([bad.ok, bad.reason], [false, 'refused']);
    assert.match(bad.note ?? '', /^push\.window\[0\]\.start: expected/);
    assert.equal(((await read()).value as typeof b).randomisationS, 120);
    assert.match((await link.control({ function: 'push-setup-read', params: {} })).note ?? '', /^pushSetup: the Push Setup's OBIS code is required/);
    await link.control({ function: 'push-setup-write', params: { pushSetup: setup, push: { destination: sim.fleet.config.pushDestination, window: [], randomisationS: 60 } } });
    await link.close();
  });

  it('answers unsupported, naming what is missing, when the device profile or the meter lacks the object', async () => {
    const { device, line } = await target(ids[0]!);
    const body = (await t.db.query<{ body: Record<string, unknown> }>(`SELECT body FROM device_profiles WHERE id = 'DL_CE_308'`)).rows[0]!.body;
    const { activityCalendar: _, ...rest } = body;
    await createProfile(t.db, { ...rest, id: 'TEST_CONFIG', specialDays: '0.0.11.0.9.255' }, null);
    const other = (await t.db.query<{ id: string }>(
      `INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address, attempts) SELECT project_id, device_id, channel_id, protocol_id, 'TEST_CONFIG', address, 1 FROM comm_lines WHERE id = $1 RETURNING id`,
      [line.id],
    )).rows[0]!.id;
    const link = await reader.open(device, (await commLines(t.db, device.id)).find((l) => l.id === other)!, never);
    assert.deepEqual(await link.control({ function: 'tariff-read-active' }), { ok: false, reason: 'unsupported', note: 'device profile TEST_CONFIG names no activity calendar (activityCalendar)' });
    assert.deepEqual(await link.control({ function: 'special-days-read' }), { ok: false, reason: 'unsupported', note: 'entries: object not found: 11/0.0.11.0.9.255/2' });
    // The device result is partial, as for a missing relay.
    assert.deepEqual(await executeCommand(link, { function: 'tariff-activate' }, DEFAULT_CLOCK, Date.now()),
      { state: 'error', value: undefined, note: 'device profile TEST_CONFIG names no activity calendar (activityCalendar)', partial: true });
    assert.equal((await link.control({ function: 'limits-read' })).ok, true);
    await link.close();
    await t.db.query('DELETE FROM comm_lines WHERE id = $1', [other]); // target() takes a device's first line
  });

  it('records the state a command changed, read back from the meter after it: relay, tariff calendar, limiter, clock', async () => {
    // States go where the pipeline sink puts them (scheduler/pipeline-sink.ts: saveStates); no bus is needed for them.
    const sink = {
      write: async (device: DeviceTarget, item: CollectItem, records: CollectedRecord[]) => {
        if (item.kind === 'state') await saveStates(t.db, device, item.archive, records, Date.now());
      },
    };
    const scheduler = new Scheduler({ db: t.db, reader, sink, pollMs: 50 });
    const state = async (archive: string, code: string) =>
      (await deviceStates(t.db, projectId, ids[1]!, { archive, code, limit: 10, offset: 0 }, false)).items[0]?.value;
    const run = async (name: string, content: TaskContent) => {
      const task = await createTask(t.db, projectId, { kind: 'one-off', name, deviceIds: [ids[1]!], content }, await admin(t.db));
      const launch = await runToEnd(t.db, projectId, String(task.id));
      assert.equal(launch.result, 'success', JSON.stringify(launch));
      return (await commandHistory(t.db, projectId, ids[1]!, { limit: 20, offset: 0 })).items.filter((c) => c.launchId === String(launch.id));
    };
    try {
      scheduler.start();
      await run('read states', { states: ['state-relay', 'state-configuration', 'state-time'] });
      assert.equal(await state('state-relay', 'load-state'), 'connected');
      const calendarBefore = await state('state-configuration', 'calendar-active');

      await run('disconnect', { commands: [{ function: 'relay-disconnect', params: { relay: 'load' } }] });
      assert.equal(await state('state-relay', 'load-state'), 'disconnected', 'the disconnect is the device state at once');
      assert.equal(await state('state-relay', 'load-control-state'), 'disconnected');
      const history = await deviceStates(t.db, projectId, ids[1]!, { archive: 'state-relay', code: 'load-state', limit: 10, offset: 0 }, true);
      assert.deepEqual(history.items.slice(0, 2).map((h) => h.value), ['disconnected', 'connected'], 'newest first: the disconnect, then what was read before');
      await run('connect', { commands: [{ function: 'relay-connect', params: { relay: 'load' } }] });
      assert.equal(await state('state-relay', 'load-state'), 'connected');

      const calendar = {
        name: 'AFTER-COMMAND', seasons: [{ name: 'S', start: '****-01-01T00:00:00', week: 'W' }],
        weeks: [{ name: 'W', monday: 1, tuesday: 1, wednesday: 1, thursday: 1, friday: 1, saturday: 1, sunday: 1 }],
        days: [{ dayId: 1, schedule: [{ start: '00:00:00', script: '0.0.10.0.100.255', selector: 1 }] }],
      };
      await run('tariff', { commands: [{ function: 'tariff-write-passive', params: { calendar } }] });
      assert.deepEqual([await state('state-configuration', 'calendar-passive'), await state('state-configuration', 'calendar-active')], ['AFTER-COMMAND', calendarBefore]);
      await run('activate', { commands: [{ function: 'tariff-activate' }] });
      assert.equal(await state('state-configuration', 'calendar-active'), 'AFTER-COMMAND');
      await run('limit', { commands: [{ function: 'limits-write', params: { limits: { thresholdActive: 23456 } } }] });
      assert.equal(await state('state-configuration', 'limiter-threshold-active'), 23456);

      const timeBefore = (await deviceStates(t.db, projectId, ids[1]!, { archive: 'state-time', code: 'device-time', limit: 1, offset: 0 }, false)).items[0]!.readAt;
      const [sync] = await run('sync', { commands: [{ function: 'clock-sync' }] });
      assert.equal(sync!.state, 'done');
      const timeAfter = (await deviceStates(t.db, projectId, ids[1]!, { archive: 'state-time', code: 'device-time', limit: 1, offset: 0 }, false)).items[0]!.readAt;
      assert.ok(timeAfter! > timeBefore!, `the clock read back after the sync (${timeBefore} → ${timeAfter})`);
    } finally {
      await scheduler.stop();
    }
  });

  it('runs configure commands in a launch; the command history holds what the meter answered', async () => {
    const scheduler = new Scheduler({ db: t.db, reader, sink: { write: () => Promise.resolve() }, pollMs: 50 });
    try {
      const task = await createTask(t.db, projectId, {
        kind: 'scheduled', name: 'limits', deviceIds: [ids[1]!],
        content: { commands: [{ function: 'limits-write', params: { limits: { thresholdActive: 12000 } } }, { function: 'limits-read' }] },
      }, await admin(t.db));
      scheduler.start();
      const launch = await runToEnd(t.db, projectId, String(task.id));
      assert.equal(launch.result, 'success', JSON.stringify(launch));
      const history = await commandHistory(t.db, projectId, ids[1]!, { limit: 10, offset: 0 });
      const rows = history.items.filter((c) => c.launchId === String(launch.id)).sort((a, b) => String(a.function).localeCompare(String(b.function)));
      assert.deepEqual(rows.map((c) => [c.function, c.state, c.result]), [
        ['limits-read', 'done', { limits: { monitoredValue: { classId: 3, obis: '1.0.16.7.0.255', attribute: 2 }, thresholdActive: 12000, thresholdNormal: 30000, thresholdEmergency: 15000, minOverThresholdDuration: 60, minUnderThresholdDuration: 60 } }],
        ['limits-write', 'done', null],
      ]);
    } finally {
      await scheduler.stop();
    }
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
      const wrapper = (await target(ids[2]!)).line;
      await t.db.query(`UPDATE protocols SET settings = settings || '{"serverAddressLength": 4}' WHERE id = $1`, [wrapper.protocolId]);
      await t.db.query(`UPDATE channels SET settings = $2 WHERE id = $1`, [wrapper.channelId, JSON.stringify({ host: '127.0.0.1', port: hdlc.port })]);
      const { device, line } = await target(ids[2]!);
      const link = await reader.open(device, { ...line, address: '18' }, never);
      const current = await link.collect({ kind: 'measurement', item: { archive: 'current', tags: ['A+ T0', 'R- T0'] } });
      assert.equal(current.status, 'ok', current.note);
      assert.deepEqual(decodeFrames(raw(device, current.frames)).readings.map((r) => [r.obis, tagOf(r), r.unit]), [['1.0.1.8.0.255', 'A+ T0', 'Wh'], ['1.0.4.8.0.255', 'R- T0', 'varh']]);
      assert.match(await link.close(), /.+/);
    } finally {
      await t.db.query(`UPDATE protocols p SET settings = p.settings || '{"serverAddressLength": 0}' FROM comm_lines cl WHERE cl.protocol_id = p.id AND cl.device_id = $1`, [ids[2]]);
      await t.db.query(`UPDATE channels c SET settings = $2 FROM comm_lines cl WHERE cl.channel_id = c.id AND cl.device_id = $1`, [ids[2], JSON.stringify({ host: '127.0.0.1', port: sim.port })]);
      await hdlc.close();
    }
  });

  it('reaches serial meters behind a transparent modem: HDLC straight over the TCP stream, IEC 62056-21 mode E when the profile asks', async () => {
    const hdlc = await startSimMeters({ framing: 'hdlc', fleet: { meters: 3, profile: 'ce308' } });
    const modeE = await startSimMeters({ framing: 'hdlc', fleet: { meters: 3, profile: 'ce308' }, modeE: true });
    const body = (await t.db.query<{ body: Record<string, unknown> }>(`SELECT body FROM device_profiles WHERE id = 'DL_CE_308'`)).rows[0]!.body;
    await createProfile(t.db, { ...body, id: 'TEST_CE308_MODE_E', name: 'CE308 on its serial port, mode E', modeE: { address: 'serial-number' } }, null);
    const detailed = new DlmsDeviceReader({ db: t.db, box, detail: true });
    try {
      const { device } = await target(ids[2]!);
      // The modem's serial settings as the channel stores them (7E1 for the opening); a public client, no ciphering.
      const serialLine = (port: number, profileId: string): CommLineRef => ({
        id: 'serial-line', channelId: 'serial-channel', channelKind: 'SERIAL', exclusive: true,
        channelSettings: { host: '127.0.0.1', port, interface: 'RS485', baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 1, baudSwitchWaitMs: 20 },
        protocolId: 'serial-protocol', protocolKind: 'DLMS', protocolSettings: { authentication: 'none', clientAddress: 16, logicalServer: 1, serverAddressLength: 4, waitTime: 1 },
        secretsEnc: null, profileId, profileVersion: null, protocolMap: '', address: '18', priority: 0, attempts: 1,
      });
      const serialOf = async (line: CommLineRef) => {
        const link = await detailed.open(device, line, never);
        const info = await link.collect({ kind: 'state', archive: 'state-info' });
        return { serial: info.records.find((r) => r.code === 'serial-number')?.value, log: await link.close() };
      };
      // HDLC over the stream with the device's HDLC addresses: meter 2 at physical address 16 + 2.
      const plain = await serialOf(serialLine(hdlc.port, 'DL_CE_308'));
      assert.equal(plain.serial, device.serialNumber);
      assert.match(plain.log, /via serial 127\.0\.0\.1:\d+\n/);
      assert.match(plain.log, /→ link frame\n {4}7EA00A00020025/, 'the SNRM to logical 1, physical 18 (4-byte address 00 02 00 25)');
      // Mode E: the request names the meter by its serial number; identification, ACK 2 5 2, then HDLC.
      const opened = await serialOf(serialLine(modeE.port, 'TEST_CE308_MODE_E'));
      assert.equal(opened.serial, device.serialNumber);
      assert.match(opened.log, /via serial 127\.0\.0\.1:\d+ \(IEC 62056-21 mode E\)/);
      assert.match(opened.log, /ok +mode E: EGM "CE308" up to 9600 Bd, HDLC at 9600 Bd/);
      // Without the opening a mode E port stays silent; a serial line needs HDLC framing.
      await assert.rejects(detailed.open(device, serialLine(modeE.port, 'DL_CE_308'), never), (e: Error) => e instanceof LinkError && /timeout|no answer|not answer/i.test(e.message));
      const wrapper = serialLine(hdlc.port, 'DL_CE_308');
      await assert.rejects(detailed.open(device, { ...wrapper, protocolSettings: { ...wrapper.protocolSettings, serverAddressLength: 0 } }, never),
        (e: Error) => e instanceof LinkError && /a serial line carries HDLC/.test(e.message));

      // Through the registry and the scheduler: a comm line on a SERIAL channel is accepted and read.
      const channel = (await t.db.query<{ id: string }>(`INSERT INTO channels (project_id, name, kind, exclusive, settings) VALUES ($1, 'RS-485 modem', 'SERIAL', true, $2) RETURNING id`,
        [projectId, JSON.stringify(serialLine(modeE.port, '').channelSettings)])).rows[0]!.id;
      const protocol = (await t.db.query<{ id: string }>(`INSERT INTO protocols (project_id, name, kind, settings) VALUES ($1, 'serial public', 'DLMS', $2) RETURNING id`,
        [projectId, JSON.stringify(serialLine(0, '').protocolSettings)])).rows[0]!.id;
      await t.db.query('UPDATE comm_lines SET enabled = false WHERE device_id = $1', [device.id]);
      await t.db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address, attempts) VALUES ($1, $2, $3, $4, 'TEST_CE308_MODE_E', '18', 1)`,
        [projectId, device.id, channel, protocol]);
      const sink = { write: async (d: DeviceTarget, item: CollectItem, records: CollectedRecord[]) => void (item.kind === 'state' && (await saveStates(t.db, d, item.archive, records, Date.now()))) };
      const scheduler = new Scheduler({ db: t.db, reader: detailed, sink, pollMs: 50 });
      try {
        scheduler.start();
        const task = await createTask(t.db, projectId, { kind: 'one-off', name: 'serial', deviceIds: [device.id], content: { states: ['state-info'] } }, await admin(t.db));
        const launch = await runToEnd(t.db, projectId, String(task.id));
        assert.equal(launch.result, 'success', JSON.stringify(launch));
        const info = await deviceStates(t.db, projectId, device.id, { archive: 'state-info', code: 'serial-number', limit: 1, offset: 0 }, false);
        assert.equal(info.items[0]!.value, device.serialNumber);
      } finally {
        await scheduler.stop();
        await t.db.query(`DELETE FROM comm_lines WHERE device_id = $1 AND channel_id = $2`, [device.id, channel]);
        await t.db.query('UPDATE comm_lines SET enabled = true WHERE device_id = $1', [device.id]);
      }
    } finally {
      await hdlc.close();
      await modeE.close();
    }
  });

  it("turns a profile's dlms section into the codec's connection settings over the protocol's", () => {
    const protocol = connectionSettings({ authentication: 'none', clientAddress: 16, serverAddressLength: 1, maxPduRx: 1024 }, {}, '');
    const s = resolveSettings(withProfileQuirks(protocol, {
      hdlc: { maxInfoRx: 256 }, maxPduSize: 512, blockTransfer: false, highPriority: false, deviationSign: 'inverted', ignoreInvokeIdMismatch: true,
    }));
    assert.deepEqual([s.hdlc, s.maxReceivePduSize, s.highPriority, s.quirks.deviationSign, s.quirks.ignoreInvokeIdMismatch, s.quirks.oneByteServerAddress],
      [{ maxInfoRx: 256 }, 512, false, 'inverted', true, false]);
    const bits = conformanceBits(s.conformance);
    assert.ok(!bits.some((b) => b.startsWith('block-transfer')) && bits.includes('get') && bits.includes('selective-access'), bits.join(' '));
    // maxPduSize caps the protocol's proposal, never raises it; no dlms section leaves the protocol's settings alone.
    assert.equal(resolveSettings(withProfileQuirks(connectionSettings({ maxPduRx: 256 }, {}, ''), { maxPduSize: 512 })).maxReceivePduSize, 256);
    assert.deepEqual(withProfileQuirks(protocol, undefined), protocol);
  });

  it("applies the profile's vendor quirks to the session (HDLC max information length in the SNRM), per version: a launch keeps the version of its start", async () => {
    const hdlc = await startSimMeters({ framing: 'hdlc', fleet: { meters: 3, profile: 'ce308' } });
    const body = (await t.db.query<{ body: Record<string, unknown> }>(`SELECT body FROM device_profiles WHERE id = 'DL_CE_308'`)).rows[0]!.body;
    const quirked = (maxInfoRx: number) => ({ ...body, id: 'TEST_HDLC_QUIRKS', name: 'CE308, large HDLC frames', dlms: { hdlc: { maxInfoRx } } });
    await createProfile(t.db, quirked(512), null);
    const detailed = new DlmsDeviceReader({ db: t.db, box, detail: true });
    try {
      const { device, line } = await target(ids[2]!);
      const hdlcLine = (profileVersion: number | null): CommLineRef => ({
        ...line, channelSettings: { host: '127.0.0.1', port: hdlc.port }, secretsEnc: null, address: '18', attempts: 1, profileId: 'TEST_HDLC_QUIRKS', profileVersion,
        protocolSettings: { authentication: 'none', clientAddress: 16, logicalServer: 1, serverAddressLength: 4, waitTime: 1 },
      });
      const snrmOf = async (l: CommLineRef) => {
        const link = await detailed.open(device, l, never);
        const info = await link.collect({ kind: 'state', archive: 'state-info' });
        assert.equal(info.records.find((r) => r.code === 'serial-number')?.value, device.serialNumber, 'the meter accepts the proposal and answers');
        const log = await link.close();
        // SNRM (93) to logical 1, physical 18, from client 16: HCS, then the information field 81 80 <len> 06 02 <max info receive> and FCS, if any.
        const snrm = /→ link frame\n {4}7EA0[0-9A-F]{2}000200252193[0-9A-F]{4}(?:([0-9A-F]*)[0-9A-F]{4})?7E\n/.exec(log);
        return snrm ? snrm[1] ?? '' : log;
      };
      assert.equal(await snrmOf(hdlcLine(1)), '8180040602' + '0200', 'version 1 proposes 512-byte information fields');
      // Without the quirk the SNRM is empty (the defaults): the shipped profile.
      assert.equal(await snrmOf({ ...hdlcLine(null), profileId: 'DL_CE_308' }), '');

      // A launch resolves the latest versions when it first starts: a version added later reaches only the launches after it,
      // also when the launch is taken over after a crash (the versions are recorded with it).
      const task = await createTask(t.db, projectId, { kind: 'scheduled', name: 'quirks', deviceIds: [device.id], content: { states: ['state-info'] } }, await admin(t.db));
      const launch = await runNow(t.db, projectId, String(task.id), null);
      await launchProfileVersions(t.db, String(launch.id));
      await t.db.query('UPDATE comm_lines SET profile_id = $2 WHERE id = $1', [line.id, 'TEST_HDLC_QUIRKS']);
      try {
        await addProfileVersion(t.db, 'TEST_HDLC_QUIRKS', quirked(256), 'admin');
        const [running] = await commLines(t.db, device.id, await launchProfileVersions(t.db, String(launch.id)));
        const [next] = await commLines(t.db, device.id, await latestProfileVersions(t.db));
        assert.deepEqual([running!.profileVersion, next!.profileVersion], [1, 2]);
        assert.equal(await snrmOf(hdlcLine(running!.profileVersion)), '8180040602' + '0200', 'the running launch keeps version 1');
        assert.equal(await snrmOf(hdlcLine(next!.profileVersion)), '8180040602' + '0100', 'launches after the new version propose 256 bytes');
      } finally {
        await t.db.query('UPDATE comm_lines SET profile_id = $2 WHERE id = $1', [line.id, 'DL_CE_308']);
        await t.db.query('DELETE FROM collection_tasks WHERE id = $1', [task.id]);
      }
    } finally {
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
    await assert.rejects(reader.open(device, { ...(await commLines(t.db, device.id)).find((l) => l.id === dead)!, attempts: 1 }, never), (e: Error) => e instanceof LinkError && /could not start a session/.test(e.message));
    // meter 2 answers on meter 1's wPort with the wrong keys
    await assert.rejects(reader.open(device, { ...line, address: '257' }, never), (e: Error) => e instanceof LinkError && /authentication|association|rejected|timeout/i.test(e.message));
  });

  it('publishes the wire frames of a session when asked: received ones, or sent ones too, under the session id of its data frames', async () => {
    // meter 0: device 2 was read from the HDLC fleet's meter above, whose higher invocation counters its replay guard now holds
    const { device, line } = await target(ids[0]!);
    for (const sent of [false, true]) {
      const wire: { direction: string; first: number; num: number; sessionId: string; connector: string }[] = [];
      const tapped = new DlmsDeviceReader({
        db: t.db, box, counters: new RegistryInvocationCounterStore(t.db),
        wire: { sent, publish: (f, meta) => wire.push({ direction: f.direction, first: f.bytes[0]!, ...meta }) },
      });
      const link = await tapped.open(device, line, never);
      const out = await link.collect({ kind: 'measurement', item: { archive: 'profile-15' }, range: { fromMs: Date.now() - DAY, toMs: Date.now() } });
      await link.close();
      const sessionId = out.frames![0]!.sessionId;
      assert.ok(wire.length >= 4, `${wire.length} frames`);
      assert.deepEqual(new Set(wire.map((w) => `${w.num}/${w.sessionId}/${w.connector}`)), new Set([`${device.num}/${sessionId}/tcp`]));
      assert.deepEqual(new Set(wire.map((w) => w.direction)), new Set(sent ? ['rx', 'tx'] : ['rx']));
      assert.ok(wire.every((w) => w.first === 0), 'whole wrapper frames (version 0x0001 first)');
    }
  });

  it('a cancel stops a launch at once, also while its session waits out the timeouts of a meter that does not answer', { timeout: 120_000 }, async () => {
    const { device } = await target(ids[2]!);
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const channel = (await t.db.query<{ id: string }>(`INSERT INTO channels (project_id, name, kind, settings) VALUES ($1, 'silent', 'TCP', $2) RETURNING id`,
      [projectId, JSON.stringify({ host: '127.0.0.1', port })])).rows[0]!.id;
    // Each request waits 60 s and is sent three times: uncancelled, the session would take minutes.
    const protocol = (await t.db.query<{ id: string }>(`INSERT INTO protocols (project_id, name, kind, settings) VALUES ($1, 'slow public', 'DLMS', $2) RETURNING id`,
      [projectId, JSON.stringify({ authentication: 'none', clientAddress: 16, serverAddressLength: 0, waitTime: 60, resendCount: 2 })])).rows[0]!.id;
    await t.db.query('UPDATE comm_lines SET enabled = false WHERE device_id = $1', [device.id]);
    await t.db.query(`INSERT INTO comm_lines (project_id, device_id, channel_id, protocol_id, profile_id, address, attempts) VALUES ($1, $2, $3, $4, 'DL_CE_308', '1', 3)`,
      [projectId, device.id, channel, protocol]);
    const scheduler = new Scheduler({ db: t.db, reader, sink: { write: () => Promise.resolve() }, pollMs: 50, heartbeatMs: 200 });
    try {
      scheduler.start();
      const task = await createTask(t.db, projectId, { kind: 'one-off', name: 'stuck', deviceIds: [device.id], content: { states: ['state-time'] } }, await admin(t.db));
      let launch = await runNow(t.db, projectId, String(task.id), null);
      while (launch.state !== 'running') {
        await new Promise((r) => setTimeout(r, 50));
        launch = await getLaunch(t.db, projectId, String(launch.id));
      }
      await new Promise((r) => setTimeout(r, 500)); // the session is waiting for the meter now
      const asked = Date.now();
      await cancelLaunch(t.db, projectId, String(launch.id), Date.now());
      while (launch.state !== 'finished') {
        await new Promise((r) => setTimeout(r, 50));
        launch = await getLaunch(t.db, projectId, String(launch.id));
      }
      assert.equal(launch.result, 'cancelled-by-user');
      const statistics = launch.statistics as { cancelled: number; error: number };
      assert.deepEqual([statistics.cancelled, statistics.error], [1, 0], 'the device whose session the cancel cut is cancelled, not in error');
      assert.ok(Date.now() - asked < 30_000, `the launch ended ${Date.now() - asked} ms after the cancel, not within a request's 60 s wait`);
    } finally {
      await scheduler.stop();
      silent.close();
      await t.db.query('DELETE FROM comm_lines WHERE device_id = $1 AND channel_id = $2', [device.id, channel]);
      await t.db.query('UPDATE comm_lines SET enabled = true WHERE device_id = $1', [device.id]);
    }
  });

  it('masks the LLS password of the AARQ in the wire trace, as in the exchange log', async () => {
    const { device, line } = await target(ids[1]!);
    const password = sim.fleet.keys(1).password;
    const lls: CommLineRef = {
      ...line, protocolSettings: { ...line.protocolSettings, authentication: 'low', clientAddress: 32 },
      secretsEnc: box.encrypt(JSON.stringify({ password }), `protocol:${line.protocolId}`),
    };
    const wire: { direction: string; bytes: Uint8Array }[] = [];
    const tapped = new DlmsDeviceReader({ db: t.db, box, detail: true, wire: { sent: true, publish: (f) => wire.push(f) } });
    const link = await tapped.open(device, lls, never);
    await link.collect({ kind: 'state', archive: 'state-time' });
    const log = await link.close();
    const secret = toHex(new TextEncoder().encode(password));
    assert.ok(wire.some((f) => f.direction === 'tx' && toHex(f.bytes).includes('2A'.repeat(password.length))), 'the AARQ went out, masked');
    assert.ok(wire.every((f) => !toHex(f.bytes).includes(secret)), 'no traced frame holds the password');
    assert.ok(!log.includes(secret) && log.includes('**'.repeat(password.length)), 'nor the exchange log');
  });

  it('answers error, naming the object, when a meter sends a profile buffer that is not an array', async () => {
    // The simulator's buffers are always arrays: a small test meter holds an integer there instead.
    const meter = await TestMeter.start();
    meter.table.set(attr(7, LOAD_PROFILE, 2), { type: 'double-long-unsigned', value: 7 });
    try {
      await createProfile(t.db, {
        id: 'TEST_ODD_BUFFER', name: 'odd buffer', deviceTypes: ['CE308'], protocol: 'DLMS', protocolMaps: [], clock: '0.0.1.0.0.255',
        archives: { 'profile-15': { obis: LOAD_PROFILE, classId: 7, attribute: 2 } },
      }, null);
      const { device, line } = await target(ids[0]!);
      const odd: CommLineRef = {
        ...line, channelSettings: { host: '127.0.0.1', port: meter.port }, profileId: 'TEST_ODD_BUFFER', profileVersion: null, secretsEnc: null, address: '',
        protocolSettings: { authentication: 'none', clientAddress: 16, serverAddressLength: 0 },
      };
      const link = await reader.open(device, odd, never);
      const out = await link.collect({ kind: 'measurement', item: { archive: 'profile-15' } });
      await link.close();
      assert.deepEqual([out.status, out.records, out.frames], ['error', [], undefined]);
      assert.equal(out.note, `profile ${LOAD_PROFILE}: the buffer is not an array (data tag 6)`);
    } finally {
      await meter.stop();
    }
  });

  it('runs a comm line on a CENC channel over the connection CENC lends, and says why it cannot', async () => {
    const { device, line } = await target(ids[0]!);
    const cencLine: CommLineRef = { ...line, channelKind: 'CENC', channelSettings: { identifyBy: 'serial', identifier: device.serialNumber }, attempts: 3 };
    await assert.rejects(reader.open(device, cencLine, never), (e: Error) => e instanceof LinkError && /CENC does not run in this process/.test(e.message));
    // CENC itself is exercised end to end in cli/cenc-e2e.test.ts; here a stand-in lends TCP connections to the simulator
    let leases = 0;
    let connected: 'wrapper' | 'hdlc' | undefined;
    const cenc = {
      connected: (id: string) => (id === device.id && connected ? { framing: connected, remote: 'tcp:10.0.0.9:5000' } : undefined),
      lease: async () => {
        leases++;
        return connectTcp('127.0.0.1', sim.port);
      },
    };
    const withCenc = new DlmsDeviceReader({ db: t.db, box, counters: new RegistryInvocationCounterStore(t.db), cenc });
    await assert.rejects(withCenc.open(device, cencLine, never), (e: Error) => e instanceof LinkError && /not connected to CENC/.test(e.message));
    connected = 'hdlc';
    await assert.rejects(withCenc.open(device, cencLine, never), (e: Error) => e instanceof LinkError && /framing \(wrapper\) is not the CENC listener's \(hdlc\)/.test(e.message));
    assert.equal(leases, 0);
    connected = 'wrapper';
    const link = await withCenc.open(device, cencLine, never);
    const log = await link.close();
    assert.equal(leases, 1);
    assert.match(log, new RegExp(`${device.serialNumber} via CENC tcp:10\\.0\\.0\\.9:5000`));
  });

  it('opens with the protocol\'s keys as the comm lines give them: an edit of the keys applies to the next session', async () => {
    const { device, line } = await target(ids[1]!);
    const protocols = new ProtocolStore(t.db, box);
    const setKey = (encryptionKey: string) => protocols.update(projectId, line.protocolId, { settings: { ...line.protocolSettings, encryptionKey } });
    await (await reader.open(device, line, never)).close(); // the reader now keeps this protocol's opened secrets
    await setKey('00'.repeat(16));
    await assert.rejects(reader.open(device, (await target(ids[1]!)).line, never), (e: Error) => e instanceof LinkError && /authentication|association|rejected|timeout/i.test(e.message));
    await setKey(toHex(sim.fleet.keys(1).blockCipherKey)); // the operator fixes the key
    await (await reader.open(device, (await target(ids[1]!)).line, never)).close();
  });

  it('launches by the scheduler go through the bus and decoder pool into ClickHouse, stored once however often they run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hes-reader-'));
    const data = await openDataPlane(loadConfig({ env: {}, overrides: { dataDir: dir, decoderThreads: 1 } }), (m) => assert.fail(m));
    const sink = await PipelineSink.create({ db: t.db, bus: data.bus, schemas: data.schemas });
    let sent = 0;
    const write = sink.write.bind(sink);
    sink.write = async (device, item, records, frames = []) => {
      await write(device, item, records, frames);
      sent += frames.length;
    };
    const scheduler = new Scheduler({ db: t.db, reader, sink, pollMs: 50 });
    try {
      const task = await createTask(t.db, projectId, {
        kind: 'scheduled', name: 'profile', deviceIds: [ids[0]!, ids[1]!],
        content: { measurements: [{ archive: 'profile-15', depth: { count: 6, unit: 'hours' }, tags: ['A+ T0'] }], events: { journals: ['power-on-off'], depth: { count: 60, unit: 'days' } }, states: ['state-info'] },
      }, await admin(t.db));
      scheduler.start();
      const { device } = await target(ids[0]!);
      const stored = async () => (await measurements(data.engine, device.num, { archive: 'profile-15', limit: 100, offset: 0 })).total;
      for (let run = 0; run < 2; run++) {
        const launch = await runToEnd(t.db, projectId, String(task.id));
        assert.equal(launch.result, 'success', JSON.stringify(launch));
        // The pipeline stores asynchronously: wait until it took every frame sent so far, and stored them.
        for (let i = 0; i < 400 && ((await data.pipeline!.metrics.framesIn.get()).values[0]?.value ?? 0) < sent; i++) await new Promise((r) => setTimeout(r, 50));
        for (let i = 0; i < 100 && (await stored()) < 24; i++) await new Promise((r) => setTimeout(r, 50));
      }
      const m = await measurements(data.engine, device.num, { archive: 'profile-15', limit: 100, offset: 0 });
      assert.ok(m.total >= 24 && m.total <= 25, `rows: ${m.total}`);
      assert.deepEqual([m.items[0]!.tag, m.items[0]!.code, m.items[0]!.value.unit, m.items[0]!.deviceTzMinutes], ['A+ T0', '1.0.1.29.0.255', 'Wh', 180]);
      assert.deepEqual(m.items[0]!.quality, ['data-present', 'time-normal']);
      // Read twice, stored once (FINAL): the same number of rows as one run reads.
      const [{ n }] = await data.engine.query<{ n: string }>('SELECT count() AS n FROM readings FINAL WHERE device_id = {d:UInt64}', { d: device.num });
      assert.equal(Number(n), m.total);
      const events = await deviceEvents(data.engine, device.num, { limit: 1000, offset: 0 });
      const m0 = sim.fleet.meter(0);
      const powerJournal = m0.profile.journals.findIndex((j) => j.name === 'power');
      const expected = journalEvents(m0, powerJournal, Date.now()).filter((e) => e.timeMs >= Date.now() - 59 * DAY);
      assert.ok(events.total >= expected.length, `${events.total} events, ${expected.length} in the last 59 days`);
      assert.ok(events.items.every((e) => e.journal === 'power-on-off' && ['power off', 'power on'].includes(e.name)));
      const states = await deviceStates(t.db, projectId, ids[0]!, { archive: 'state-info', limit: 100, offset: 0 }, false);
      assert.deepEqual(states.items.map((s) => s.code), ['firmware-version', 'logical-device-name', 'serial-number']);
      assert.equal((await deviceStates(t.db, projectId, ids[0]!, { archive: 'state-info', limit: 100, offset: 0 }, true)).total, 3, 'two reads, one change each');
    } finally {
      await scheduler.stop();
      await sink.close();
      await data.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
