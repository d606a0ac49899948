/**
 * The session engine over real sockets on 127.0.0.1. Against the fleet simulator (sim/, IDIS profile): every
 * security level with the keys the fleet exported, both framings, selective access, ACTIONs, SET, a silent and a
 * slow meter, a meter holding other keys, counters. Against the small test meter (ingest/testing) what the
 * simulator cannot do: HLS-GMAC without ciphering, a buffer ending with an empty block, requests lost on demand,
 * one client per port, and the exchange log's masking of plain HLS responses. Test meter keys are the Green Book /
 * Gurux example values (EK 000102..0F, AK D0D1..DF).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toHex } from '../../decoders/dlms/axdr/writer.js';
import { parseObis } from '../../decoders/dlms/obis.js';
import type { ConnectionSettingsInit } from '../../decoders/dlms/connection/index.js';
import { attr } from '../../decoders/dlms/connection/testkit.js';
import type { FleetConfig } from '../../sim/fleet.js';
import { ExchangeLog } from '../exchange-log/log.js';
import { connectTcp, ConnectError } from '../transport/socket.js';
import { MemoryRawFrameSink } from '../transport/frames.js';
import { simSettings, startSimMeters, type SimMeters, type SimSecurity } from '../testing/sim-meters.js';
import { CLIENT_TITLE, LOAD_PROFILE, TEST_KEYS, TestMeter, type TestMeterOptions } from '../testing/test-meter.js';
import { MemoryInvocationCounterStore } from './counters.js';
import { SessionError } from './errors.js';
import { runSession } from './run.js';
import { DlmsSession, type SessionOptions } from './session.js';

const ENERGY = attr(3, '1.0.1.8.0.255', 2);
const RELAY_STATE = attr(70, '0.0.96.3.10.255', 2);
const DISCONNECTOR = { classId: 70, instanceId: parseObis('0.0.96.3.10.255'), methodId: 1 };

/** The simulated meters' clock: fixed, so that the day read is known. */
const NOW = Date.UTC(2025, 2, 10, 9, 34, 56);
const DAY = Date.UTC(2025, 2, 9);

const PUBLIC: ConnectionSettingsInit = { framing: 'wrapper', clientAddress: 16 };
const LLS: ConnectionSettingsInit = { framing: 'wrapper', clientAddress: 32, authentication: 'low', password: '12345678' };
const HLS: ConnectionSettingsInit = {
  framing: 'wrapper',
  clientAddress: 1,
  authentication: 'high-gmac',
  securityPolicy: 'authenticated-and-encrypted',
  keys: TEST_KEYS,
  systemTitle: CLIENT_TITLE,
};

async function withSim<T>(framing: 'hdlc' | 'wrapper', fn: (s: SimMeters) => Promise<T>, fleet: Partial<FleetConfig> = {}): Promise<T> {
  const sim = await startSimMeters({ framing, fleet: { meters: 4, profile: 'idis', ...fleet }, now: () => NOW });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

async function withMeter<T>(o: TestMeterOptions, fn: (m: TestMeter) => Promise<T>): Promise<T> {
  const m = await TestMeter.start(o);
  try {
    return await fn(m);
  } finally {
    await m.stop();
  }
}

async function open(m: { port: number }, settings: ConnectionSettingsInit, o: SessionOptions = {}): Promise<DlmsSession> {
  return DlmsSession.open(await connectTcp('127.0.0.1', m.port), settings, { waitTimeMs: 1000, ...o });
}

/** Clock, the A+ register with its unit, one day of the 15-minute load profile by range (cumulative A+ .. R-). */
async function readAll(sim: SimMeters, settings: ConnectionSettingsInit): Promise<void> {
  const s = await open(sim, settings);
  const clock = await s.readClock();
  assert.equal(clock.utc, new Date(NOW).toISOString());
  const energy = (await s.readValue(ENERGY)) as { value: number; unit: string };
  assert.equal(energy.unit, 'Wh');
  assert.ok(energy.value > 0, JSON.stringify(energy));
  const day = await s.readProfile(LOAD_PROFILE, { fromMs: DAY, toMs: DAY + 86_400_000 - 900_000 });
  assert.equal(day.rows.length, 96);
  assert.deepEqual(day.columns[0], { object: '3/1.0.1.8.0.255/2', unit: 'Wh' });
  day.rows.forEach((r, i) => assert.equal(r.timestamp, DAY + i * 900_000));
  const aPlus = day.rows.map((r) => r.values[0]!);
  assert.ok(aPlus.every((v, i) => i === 0 || v >= aPlus[i - 1]!), 'cumulative A+ never decreases');
  assert.ok(aPlus[95]! <= energy.value, 'yesterday ends at or below the register now');
  await s.close();
}

for (const framing of ['wrapper', 'hdlc'] as const) {
  for (const security of ['none', 'low', 'high-gmac'] as const satisfies readonly SimSecurity[]) {
    test(`simulator, ${framing}, ${security}: clock, register with unit, one day of profile by range`, () =>
      withSim(framing, (sim) => readAll(sim, simSettings(sim.fleet, 1, framing, security))));
  }
}

test('simulator, HDLC with a 2-byte server address (physical 17 = meter 1) and 256-byte PDUs: the profile in blocks', () =>
  withSim('hdlc', (sim) => readAll(sim, { ...simSettings(sim.fleet, 1, 'hdlc', 'high-gmac'), serverAddressSize: 2, serverPhysicalAddress: 17, maxReceivePduSize: 256 })));

test('HLS-GMAC without ciphering (client 48; the simulator offers HLS only with ciphering)', () =>
  withMeter({ settings: { framing: 'hdlc' } }, async (m) => {
    const s = await open(m, { framing: 'hdlc', clientAddress: 48, authentication: 'high-gmac', keys: TEST_KEYS, systemTitle: CLIENT_TITLE });
    assert.equal((await s.readProfile(LOAD_PROFILE)).rows.length, 96);
    await s.close();
  }),
);

test('block transfer: small PDUs both ways, a buffer ending with an empty block', () =>
  withMeter({ settings: { maxReceivePduSize: 128, quirks: { emptyFinalBlock: true } } }, async (m) => {
    const s = await open(m, { ...HLS, maxReceivePduSize: 128 });
    const all = await s.readProfile(LOAD_PROFILE);
    assert.equal(all.rows.length, 96);
    await s.close();
  }),
);

test('simulator: selective access by range returns only the rows in range, both ends included', () =>
  withSim('wrapper', async (sim) => {
    const s = await open(sim, simSettings(sim.fleet, 2, 'wrapper', 'none'));
    const fromMs = DAY + 3_600_000;
    const r = await s.readProfile(LOAD_PROFILE, { fromMs, toMs: fromMs + 3_600_000 });
    assert.deepEqual(
      r.rows.map((x) => x.timestamp),
      [0, 1, 2, 3, 4].map((i) => fromMs + i * 900_000),
    );
    await s.close();
  }),
);

test('simulator: ACTION remote_disconnect, SET clock, and "object not found" without ending the session', () =>
  withSim('wrapper', async (sim) => {
    const s = await open(sim, simSettings(sim.fleet, 3, 'wrapper', 'high-gmac'));
    assert.deepEqual(await s.get(RELAY_STATE), { type: 'boolean', value: true });
    assert.equal(await s.action(DISCONNECTOR, { type: 'integer', value: 0 }), null);
    assert.deepEqual(await s.get(RELAY_STATE), { type: 'boolean', value: false });
    await s.writeClock(DAY);
    assert.equal((await s.readClock()).utc, new Date(DAY).toISOString());
    await assert.rejects(s.get(attr(3, '1.0.99.99.0.255', 2)), (e: SessionError) => e.phase === 'data' && /object not found/.test(e.message) && !e.fatal);
    await assert.rejects(s.action({ ...DISCONNECTOR, methodId: 9 }), (e: SessionError) => e.phase === 'data' && !e.fatal);
    assert.equal((await s.readClock()).clockStatus, 0);
    await s.close();
  }),
);

test('simulator: authentication failed with a wrong LLS password, a wrong HLS key, and at a meter holding other keys', () =>
  withSim(
    'wrapper',
    async (sim) => {
      const lls = simSettings(sim.fleet, 0, 'wrapper', 'low');
      await assert.rejects(open(sim, { ...lls, password: 'wrong' }), (e: SessionError) => e.phase === 'associate' && e.reason === 'authentication-failed' && /authentication failed/.test(e.message));
      const hls = simSettings(sim.fleet, 0, 'wrapper', 'high-gmac');
      await assert.rejects(open(sim, { ...hls, keys: { ...hls.keys!, authenticationKey: new Uint8Array(16) } }), (e: SessionError) => e.phase === 'associate');
      await assert.rejects(open(sim, simSettings(sim.fleet, 1, 'wrapper', 'low')), (e: SessionError) => e.reason === 'authentication-failed');
    },
    { faults: [{ serials: ['30800002'], wrongKeys: true }] },
  ),
);

test('a lost request is resent after the wait time; a silent meter gives "timeout after N resends"', () =>
  withMeter({}, async (m) => {
    const s = await open(m, HLS, { waitTimeMs: 100, resendCount: 2 });
    m.faults.dropRequests = 2;
    assert.equal((await s.readClock()).utc !== null, true);
    m.faults.silent = true;
    await assert.rejects(s.readClock(), (e: SessionError) => e.reason === 'timeout' && /timeout after 2 resends/.test(e.message) && e.fatal);
    await s.abort();
    await assert.rejects(open(m, PUBLIC, { waitTimeMs: 50, resendCount: 1 }), (e: SessionError) => e.phase === 'associate' && /timeout after 1 resends/.test(e.message));
  }),
);

test('answers that fail their frame check are named so, not as a timeout or an authentication failure', async () => {
  await withMeter({ settings: { framing: 'hdlc' } }, async (m) => {
    m.faults.corruptResponses = 3; // the UA and both resends: every answer fails its FCS
    await assert.rejects(open(m, { ...HLS, framing: 'hdlc' }, { waitTimeMs: 100, resendCount: 2 }),
      (e: SessionError) => e.phase === 'connect' && e.reason === 'frame-check-failed' && /frame check failed: 3 frames from the meter refused \(.*FCS.*\), no valid answer after 2 resends/i.test(e.message) && e.fatal);
  });
  // A ciphered AARE failing its tag is refused; what the meter answers to the resent AARQ does not hide that.
  await withMeter({}, async (m) => {
    m.faults.corruptResponses = 1;
    await assert.rejects(open(m, HLS, { waitTimeMs: 100, resendCount: 1 }),
      (e: SessionError) => e.phase === 'associate' && e.reason === 'frame-check-failed' && /^association: frame check failed: \d frames? from the meter refused \(.*(tag|authentication).*\)/i.test(e.message));
  });
});

for (const framing of ['hdlc', 'wrapper'] as const) {
  test(`simulator faults, ${framing}, HLS: corrupted answers are a frame check failure, dropped ones a timeout, neither an authentication failure`, () =>
    withSim(
      framing,
      async (sim) => {
        await assert.rejects(open(sim, simSettings(sim.fleet, 0, framing, 'high-gmac'), { waitTimeMs: 100, resendCount: 1 }),
          (e: SessionError) => e.reason === 'frame-check-failed' && /frame check failed: 2 frames from the meter refused \(.+\), no valid answer after 1 resends/.test(e.message));
        await assert.rejects(open(sim, simSettings(sim.fleet, 1, framing, 'high-gmac'), { waitTimeMs: 100, resendCount: 1 }),
          (e: SessionError) => e.reason === 'timeout' && /timeout after 1 resends/.test(e.message));
      },
      { faults: [{ serials: ['30800001'], corruptRate: 1 }, { serials: ['30800002'], dropRate: 1 }] },
    ));
}

test('a refusal of a resent association request after a lost answer names the lost frames, not the keys', () =>
  withMeter({}, async (m) => {
    m.faults.dropResponses = 1;
    await assert.rejects(open(m, HLS, { waitTimeMs: 100, resendCount: 1 }),
      (e: SessionError) => e.phase === 'associate' && e.reason === 'frames-lost' && /^association: the answer was lost \(request resent 1 time\); then /.test(e.message));
  }),
);

test('simulator, HDLC: a silent meter gives "could not start a session"; a slow one (30 ms) within the wait time still reads', () =>
  withSim(
    'hdlc',
    async (sim) => {
      await assert.rejects(open(sim, simSettings(sim.fleet, 0, 'hdlc', 'none'), { waitTimeMs: 50, resendCount: 1 }), (e: SessionError) => e.phase === 'connect' && /could not start a session: timeout after 1 resends/.test(e.message));
      await readAll(sim, simSettings(sim.fleet, 1, 'hdlc', 'none'));
    },
    { faults: [{ serials: ['30800001'], silent: true }, { serials: ['30800002'], latencyMs: 30 }] },
  ),
);

test('simulator: invocation counters persist per device and key across sessions', () =>
  withSim('wrapper', async (sim) => {
    const store = new MemoryInvocationCounterStore();
    const counters = { store, deviceId: 'dev-1' };
    const settings = simSettings(sim.fleet, 0, 'wrapper', 'high-gmac');
    const s1 = await open(sim, settings, { counters });
    await s1.readClock();
    await s1.close();
    const [[key, first]] = [...store.states];
    assert.match(key!, /^dev-1\/48:[0-9a-f]{16}$/);
    assert.ok(first!.invocationCounter >= 3, `counter ${first!.invocationCounter}`);
    const s2 = await open(sim, settings, { counters });
    assert.ok(s2.invocationCounter > first!.invocationCounter);
    await s2.close();
    assert.ok(store.states.get(key!)!.invocationCounter > first!.invocationCounter);
  }),
);

test('exchange log: steps and trace as text, LLS password and HLS responses masked; frames to the sink', () =>
  withMeter({ settings: { framing: 'hdlc' } }, async () => {
    const password = 'S3cretPwd';
    const meter2 = await TestMeter.start({
      settings: { framing: 'hdlc', associations: [{ clientAddress: 32, authentication: 'low', password, securityPolicy: 'none' }, { clientAddress: 48, authentication: 'high-gmac', securityPolicy: 'none', keys: TEST_KEYS }] },
    });
    try {
      const pwHex = toHex(new TextEncoder().encode(password));
      const log = new ExchangeLog({ detail: true, framing: 'hdlc', secrets: [new TextEncoder().encode(password)], title: 'test' });
      const sink = new MemoryRawFrameSink();
      const s = await open(meter2, { framing: 'hdlc', clientAddress: 32, authentication: 'low', password }, { log, sink, publishSent: true, context: { deviceId: 'd1' } });
      await s.readClock();
      await s.close();
      const text = log.toText();
      assert.match(text, /ok {4}connect/);
      assert.match(text, /get 8\/0\.0\.1\.0\.0\.255\/2/);
      assert.match(text, /aarq/);
      assert.ok(!text.toLowerCase().includes(pwHex.toLowerCase()), 'password hex must be masked');
      assert.ok(sink.frames.some((f) => f.direction === 'rx' && f.deviceId === 'd1' && f.bytes[0] === 0x7e));
      const hlsLog = new ExchangeLog({ detail: true, framing: 'hdlc', keys: TEST_KEYS });
      const h = await open(meter2, { framing: 'hdlc', clientAddress: 48, authentication: 'high-gmac', keys: TEST_KEYS, systemTitle: CLIENT_TITLE }, { log: hlsLog });
      await h.close();
      const hls = hlsLog.trace.filter((t) => t.summary.includes('15/0.0.40.0.0.255 method 1') || t.summary.startsWith('action-response'));
      assert.equal(hls.length, 2);
      for (const t of hls) assert.match(t.hex, /\*{24}/, 'f(StoC) / f(CtoS) masked');
    } finally {
      await meter2.stop();
    }
  }),
);

test('runSession: data errors per operation, attempts on connection failure, one client per port', () =>
  withMeter({ oneClient: true }, async (m) => {
    let calls = 0;
    const connect = async () => {
      if (++calls === 1) throw new ConnectError('first attempt fails');
      return connectTcp('127.0.0.1', m.port);
    };
    const r = await runSession(
      connect,
      HLS,
      [{ op: 'clock-read' }, { op: 'get', attribute: attr(1, '9.9.9.9.9.9', 2) }, { op: 'action', method: DISCONNECTOR }, { op: 'profile', obis: LOAD_PROFILE }],
      { attempts: 3, waitTimeMs: 500 },
    );
    assert.equal(r.attempts, 2);
    assert.equal(r.ok, false);
    assert.deepEqual(r.results.map((x) => x.ok), [true, false, true, true]);
    assert.equal(r.results[1]!.reason, 'object-undefined');
    const bad = await runSession(() => connectTcp('127.0.0.1', m.port), { ...LLS, password: 'nope' }, [{ op: 'clock-read' }], { attempts: 3 });
    // a reconnect may reach the meter before it saw the last close and be refused: that costs one attempt, no more
    assert.ok(bad.attempts <= 2, `attempts ${bad.attempts}`);
    assert.deepEqual([bad.error?.phase, bad.error?.reason], ['associate', 'authentication-failed']);
  }),
);
