/**
 * Pushes through the whole data plane (embedded log → pool → chDB): decoded with the device contexts the
 * pipeline loads per batch (the profile's Push Setups, the device's keys), alarms stored as events with
 * severities and published to `hes.events` (readable with the first schema too), outage changes handed to
 * the registry, bad pushes dead-lettered with reason and device; a pushed interval later polled is stored once.
 * With `publishCimEvents`, the alarms also reach `hes.cim.events` as CIM EventMessages, on the embedded log and Kafka.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avsc from 'avsc';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { KafkaBus } from '../bus/kafka/index.js';
import { startMockCluster } from '../bus/kafka/mock-cluster.js';
import { deviceKey, type Bus, type BusMessage } from '../bus/types.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { AvroSerde, LocalSchemaStore } from '../schemas/registry/index.js';
import { avroType, Topics, type DeadLetter, type DeviceEvent, type RawFrame } from '../schemas/avro/index.js';
import { encodeApdu } from '../decoders/dlms/apdu/index.js';
import { decodeDataBytes } from '../decoders/dlms/axdr/data.js';
import { dateTimeFromUtcMs, encodeDateTime } from '../decoders/dlms/axdr/datetime.js';
import type { DlmsData } from '../decoders/dlms/axdr/types.js';
import { parseObis } from '../decoders/dlms/obis.js';
import { encipherApdu } from '../decoders/dlms/security/index.js';
import type { PushSetupDeclaration } from '../decoders/dlms/push-profile.js';
import { dayStart, LOAD_PROFILE_CONTEXT, loadProfileFrame, loadProfileWire, READINGS_PER_FRAME } from '../decoders/dlms/samples.js';
import type { DeviceContext, StateChange } from '../decoders/protocol-decoder.js';
import { DecoderPool } from './pool.js';
import { Pipeline, type DeviceContextSource } from './pipeline.js';

const EK = '000102030405060708090a0b0c0d0e0f';
const AK = 'd0d1d2d3d4d5d6d7d8d9dadbdcdddedf';
const DAY = dayStart(2);
const LAST_ROW = DAY + 95 * 900_000;
const GASP = DAY + 86_400_000 + 3_600_000;

const setupName = (obis: string) => ({ classId: 40, obis, attribute: 1 });
const PUSHES: PushSetupDeclaration[] = [
  {
    obis: '0.2.25.9.0.255', trigger: 'interval', service: 'tcp',
    objects: [setupName('0.2.25.9.0.255'), { classId: 8, obis: '0.0.1.0.0.255', attribute: 2 }, {
      classId: 7, obis: '1.0.99.1.0.255', attribute: 2, dataIndex: 1, archive: 'profile-15min', captureObjects: LOAD_PROFILE_CONTEXT.captureObjects.map((o) => ({ ...o, readingType: o.readingType ?? '' })),
    }],
  },
  { obis: '0.7.25.9.0.255', trigger: 'alarm', service: 'tcp', objects: [setupName('0.7.25.9.0.255'), { classId: 1, obis: '0.0.97.98.0.255', attribute: 2, alarmBits: 'idis-alarm' }] },
  { obis: '0.8.25.9.0.255', trigger: 'power-down', service: 'tcp', objects: [setupName('0.8.25.9.0.255')] },
];

let dir: string;
let pool: DecoderPool;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hes-push-pipeline-'));
  pool = new DecoderPool({ threads: 1 });
});
after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

const octets = (value: Uint8Array): DlmsData => ({ type: 'octet-string', value });
const notification = (at: number, body: DlmsData[]) => encodeApdu({ type: 'data-notification', longInvokeIdAndPriority: 1, dateTime: dateTimeFromUtcMs(at, -60, 0), body: { type: 'structure', value: body } });
/** The newest row of the device's day, as its interval push carries it (the same bytes a poll of the day reads). */
function intervalPush(device: number): Uint8Array {
  const wire = loadProfileWire(device, DAY);
  const rowBytes = 2 + 14 + 4 * 5 + 2;
  const row = decodeDataBytes(wire.subarray(wire.length - rowBytes));
  return notification(LAST_ROW + 60_000, [octets(parseObis('0.2.25.9.0.255')), octets(encodeDateTime(dateTimeFromUtcMs(LAST_ROW + 60_000, -60, 0))), { type: 'array', value: [row] }]);
}
const cipher = (apdu: Uint8Array, key = EK) => encipherApdu(apdu, {
  keys: { globalUnicastKey: Buffer.from(key, 'hex'), authenticationKey: Buffer.from(AK, 'hex') }, systemTitle: Buffer.from('SIM00001'), invocationCounter: 5,
  protection: 'authenticated-encryption', envelope: 'general',
});
const push = (device: number, apdu: Uint8Array, receivedAt: number): RawFrame => ({
  frameId: `push-${device}-${receivedAt}`, wire: Buffer.from(apdu), framing: 'APDU', direction: 'UPLINK', deviceId: device, commLineId: null, connector: 'cenc',
  receivedAt, sessionId: null, context: null, protocol: 'dlms', meta: {},
});

test('pushes → pool (device contexts per batch) → chDB and hes.events; bad pushes dead-lettered; a pushed interval polled later is stored once', async () => {
  const bus = new EmbeddedBus({ dir: join(dir, 'bus') });
  const engine = new ChdbEngine(join(dir, 'ch'));
  const store = new LocalSchemaStore(join(dir, 'schemas.json'));
  const states: StateChange[] = [];
  const loads: number[][] = [];
  const context = (num: number): DeviceContext | null => num > 5 ? null : {
    num, serial: `SIM${num}`, projectId: 'p', profile: { id: 'DL_TEST', version: '1', body: { pushes: PUSHES, eventSeverities: { 'fraud attempt': 'critical', 'power up': 'info' } } },
    protocol: { kind: 'DLMS', settings: {} }, secrets: { encryptionKey: EK, authenticationKey: AK }, overrides: {}, retentionDays: { 'profile-15min': 30, events: 60 },
  };
  const devices: DeviceContextSource = { cached: () => undefined, load: async (nums) => (loads.push(nums), new Map(nums.map((n) => [n, context(n)]))) };
  const pipeline = new Pipeline({ bus, engine, schemas: store, pool, devices, states: async (c) => void states.push(...c) });
  try {
    await migrate(engine);
    const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
    const producer = await bus.producer();
    const send = (frames: RawFrame[]) => producer.send(Topics.rawFrames, frames.map((f): BusMessage => ({ key: deviceKey(f.deviceId!), value: serde.encode(f) })));
    const received = DAY + 86_400_000 + 120_000;
    await send([
      push(1, intervalPush(1), received), push(2, cipher(intervalPush(2)), received), push(3, intervalPush(3), received),
      push(1, notification(received, [octets(parseObis('0.7.25.9.0.255')), { type: 'double-long-unsigned', value: (1 << 2) | (1 << 13) }]), received),
      push(3, notification(GASP, [octets(parseObis('0.8.25.9.0.255'))]), GASP + 1000),
      // an unknown device, a wrong key, a body the profile does not declare
      push(9, intervalPush(1), received), push(5, cipher(intervalPush(5), 'ffffffffffffffffffffffffffffffff'), received),
      push(4, notification(received, [octets(parseObis('0.9.25.9.0.255'))]), received),
    ]);
    const running = pipeline.run();
    const count = async (sql: string) => Number((await engine.query<{ n: number }>(sql))[0]!.n);
    const until = async (what: string, done: () => Promise<boolean>) => {
      for (let i = 0; i < 600 && !(await done()); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(await done(), what);
    };
    const frames = async () => (await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0;
    await until('the pushes were taken', async () => (await frames()) >= 8 && (await count('SELECT count() AS n FROM events')) >= 2);

    // three pushed intervals of four registers each, deciphered where ciphered, with the profile's context
    const pushed = await engine.query<{ device_id: number; obis: string; raw: number; source: string; archive: string; retention_days: number; device_tz: number }>(
      "SELECT device_id, obis, raw, source, archive, retention_days, device_tz FROM readings WHERE source = 'PUSH' ORDER BY device_id, obis",
    );
    assert.equal(pushed.length, 12);
    assert.ok(pushed.every((r) => r.archive === 'profile-15min' && Number(r.retention_days) === 30 && Number(r.device_tz) === 60));
    const events = await engine.query<{ device_id: number; journal: string; code: number; name: string; severity: string }>('SELECT device_id, journal, code, name, severity FROM events ORDER BY code');
    assert.deepEqual(events.map((e) => [Number(e.device_id), e.journal, Number(e.code), e.name, e.severity]), [[1, 'alarms', 2, 'power up', 'info'], [1, 'alarms', 13, 'fraud attempt', 'critical']]);

    // hes.events: the same events, keyed by device; a consumer still on the first schema reads them too
    const eventSerde = await AvroSerde.create<DeviceEvent>(store, Topics.events, 'device-event');
    const published: DeviceEvent[] = [];
    const v1 = avsc.Type.forSchema(JSON.parse(readFileSync(new URL('./fixtures/device-event-v1.avsc', import.meta.url), 'utf8')) as avsc.Schema);
    const oldReader = v1.createResolver(avroType('device-event'));
    const consumer = await bus.consumer({ groupId: 'events-reader', topics: [Topics.events] });
    await consumer.run(async (b) => {
      for (const m of b.messages) {
        const e = await eventSerde.decode(m.value);
        assert.equal(m.key?.toString(), String(e.deviceId));
        assert.deepEqual(Object.keys(v1.fromBuffer(m.value.subarray(5), oldReader) as object).sort(), ['deviceId', 'deviceTzMinutes', 'eventCode', 'journal', 'parameters', 'serverTime', 'source', 'timestamp']);
        published.push(e);
      }
      if (published.length >= 2) void consumer.stop();
    });
    assert.deepEqual(published.map((e) => [e.deviceId, e.journal, e.eventCode, e.name, e.severity, e.source, e.parameters]), [
      [1, 'alarms', 2, 'power up', 'info', 'PUSH', { '0.0.97.98.0.255': '8196' }], [1, 'alarms', 13, 'fraud attempt', 'critical', 'PUSH', { '0.0.97.98.0.255': '8196' }],
    ]);

    // outages: device 3's power-down push starts one, every other push shows its device communicates
    assert.deepEqual(states.filter((s) => s.value === 'off'), [{ deviceId: 3, archive: 'state-outage', code: 'power', value: 'off', at: GASP }]);
    assert.deepEqual([...new Set(states.filter((s) => s.value === 'on').map((s) => s.deviceId))].sort(), [1, 2, 3]);

    // dead letters: reason and device
    const dlSerde = await AvroSerde.create<DeadLetter>(store, Topics.deadLetters, 'dead-letter');
    const letters: DeadLetter[] = [];
    const dl = await bus.consumer({ groupId: 'dead-letter-reader', topics: [Topics.deadLetters] });
    await dl.run(async (b) => {
      for (const m of b.messages) letters.push(await dlSerde.decode(m.value));
      if (letters.length >= 3) void dl.stop();
    });
    const byDevice = new Map(letters.map((l) => [l.deviceId, l]));
    assert.match(byDevice.get(9)!.reason, /device 9: the registry knows no such device/);
    assert.equal(byDevice.get(5)!.errorCode, 'DLMS_ERR_SECURITY');
    assert.match(byDevice.get(4)!.reason, /match none of the Push Setups of profile DL_TEST/);
    assert.ok(letters.every((l) => l.stage === 'decode' && l.protocol === 'dlms'));
    const errors = (await pipeline.metrics.registry.getSingleMetric('hes_pipeline_decode_errors_total')!.get()).values;
    assert.equal(errors.find((v) => v.labels.code === 'DLMS_ERR_SECURITY')?.value, 1);

    // gap re-collection polls the day: the pushed interval is stored once (the table's key ignores the source)
    await send([1, 2, 3].map((d) => ({ ...loadProfileFrame(d, DAY), receivedAt: received + 3_600_000 })));
    await until('the polled days were stored', async () => (await count('SELECT count() AS n FROM readings')) >= 12 + 3 * READINGS_PER_FRAME);
    assert.equal(await count('SELECT count() AS n FROM readings FINAL'), 3 * READINGS_PER_FRAME, 'each interval once');
    const last = await engine.query<{ source: string; raw: number }>(
      "SELECT source, raw FROM readings FINAL WHERE device_id = 2 AND obis = '1.0.1.8.0.255' AND ts = toDateTime({ts:UInt32}, 'UTC')", { ts: LAST_ROW / 1000 },
    );
    assert.deepEqual(last.map((r) => r.source), ['POLL'], 'the later collection wins the merge');
    assert.equal(Number(last[0]!.raw), Number(pushed.find((r) => Number(r.device_id) === 2 && r.obis === '1.0.1.8.0.255')!.raw), 'the pushed value is the polled one');
    assert.deepEqual([...new Set(loads.flat())].sort(), [1, 2, 3, 4, 5, 9], 'the contexts of the pushing devices, loaded per batch');
    await pipeline.stop();
    await running;
  } finally {
    await pipeline.stop();
    await bus.close();
    await engine.close();
  }
});

interface CimEvent {
  mRID: string; createdDateTime: string; reason: string; EndDeviceEventType: { ref: string };
  Assets: { mRID: string; Names: { name: string } }; EndDeviceEventDetails: { name: string; value: string }[];
}
interface Published {
  key: string | undefined;
  message: { EventMessage: { Header: Record<string, string>; Payload: { EndDeviceEvents: { EndDeviceEvent: CimEvent[] } } } };
}

/** Device 1's alarm push (power up, fraud attempt) through a pipeline publishing CIM events; what `hes.cim.events` holds. */
async function cimEventsThrough(bus: Bus, under: string): Promise<Published[]> {
  const engine = new ChdbEngine(join(dir, under, 'ch'));
  const store = new LocalSchemaStore(join(dir, under, 'schemas.json'));
  const context = (num: number): DeviceContext | null => num !== 1 ? null : {
    num, id: '00000000-0000-4000-8000-000000000001', serial: 'SIM1', projectId: 'p', profile: { id: 'DL_TEST', version: '1', body: { pushes: PUSHES, eventSeverities: { 'fraud attempt': 'critical', 'power up': 'info' } } },
    protocol: { kind: 'DLMS', settings: {} }, secrets: {}, overrides: {},
  };
  const devices: DeviceContextSource = { cached: () => undefined, load: async (nums) => new Map(nums.map((n) => [n, context(n)])) };
  const pipeline = new Pipeline({ bus, engine, schemas: store, pool, devices, publishCimEvents: true });
  try {
    await migrate(engine);
    const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
    const producer = await bus.producer();
    const received = DAY + 86_400_000 + 120_000;
    const alarm = notification(received, [octets(parseObis('0.7.25.9.0.255')), { type: 'double-long-unsigned', value: (1 << 2) | (1 << 13) }]);
    await producer.send(Topics.rawFrames, [{ key: deviceKey(1), value: serde.encode(push(1, alarm, received)) }]);
    await producer.close();
    const running = pipeline.run();
    const published: Published[] = [];
    const consumer = await bus.consumer({ groupId: 'esb', topics: [Topics.cimEvents] });
    await consumer.run(async (b) => {
      for (const m of b.messages) published.push({ key: m.key?.toString(), message: JSON.parse(m.value.toString()) as Published['message'] });
      if (published.length >= 2) void consumer.stop();
    });
    await pipeline.stop();
    await running;
    return published;
  } finally {
    await pipeline.stop();
    await engine.close();
  }
}

function assertCimEvents(published: Published[]): void {
  assert.deepEqual(published.map((p) => p.key), ['1', '1'], 'keyed by device, like hes.events');
  const events = published.map((p) => p.message.EventMessage);
  assert.deepEqual(events.map((e) => [e.Header.Verb, e.Header.Noun]), [['created', 'EndDeviceEvents'], ['created', 'EndDeviceEvents']]);
  const received = new Date(DAY + 86_400_000 + 120_000).toISOString();
  const [up, fraud] = events.map((e) => e.Payload.EndDeviceEvents.EndDeviceEvent[0]!);
  assert.deepEqual(up!.Assets, { mRID: '00000000-0000-4000-8000-000000000001', Names: { name: 'SIM1' } }, 'the device named from its registry context');
  // EndDeviceEventType from the one table (schemas/cim/end-device-event-types.ts): 'power up' is not in it → 3.0.0.0 with its name.
  assert.deepEqual([up!.reason, up!.EndDeviceEventType.ref, up!.createdDateTime], ['power up', '3.0.0.0', received]);
  assert.deepEqual(fraud!.EndDeviceEventDetails, [{ name: 'code', value: '13' }, { name: 'journal', value: 'alarms' }, { name: 'severity', value: 'critical' }]);
  assert.equal(events[1]!.Header.MessageID, `hes-event-1-alarms-${(DAY + 86_400_000 + 120_000) / 1000}-13`, 'the stored event\'s key: a replayed batch repeats it');
  assert.equal(fraud!.mRID, events[1]!.Header.MessageID);
}

test('publishCimEvents on the embedded log: each stored alarm on hes.cim.events as created EndDeviceEvents', async () => {
  const bus = new EmbeddedBus({ dir: join(dir, 'cim-embedded', 'bus') });
  try {
    assertCimEvents(await cimEventsThrough(bus, 'cim-embedded'));
  } finally {
    await bus.close();
  }
});

test('publishCimEvents on Kafka (librdkafka mock cluster): each stored alarm on hes.cim.events', async () => {
  const cluster = await startMockCluster([{ name: Topics.rawFrames, partitions: 2 }, { name: Topics.deadLetters, partitions: 1 }, { name: Topics.events, partitions: 1 }, { name: Topics.cimEvents, partitions: 1 }]);
  const bus = new KafkaBus({ brokers: cluster.brokers, sessionTimeoutMs: 6000 });
  try {
    assertCimEvents(await cimEventsThrough(bus, 'cim-kafka'));
  } finally {
    await bus.close();
    await cluster.stop();
  }
});
