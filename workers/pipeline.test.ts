import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { KafkaBus } from '../bus/kafka/index.js';
import { startMockCluster, type MockCluster } from '../bus/kafka/mock-cluster.js';
import { deviceKey, type Bus, type BusMessage } from '../bus/types.js';
import { ChdbEngine, ServerEngine, type ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import { startChdbHttpEndpoint, type ChdbHttpEndpoint } from '../sinks/clickhouse/http-endpoint.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { AvroSerde, LocalSchemaStore, type SchemaStore } from '../schemas/registry/index.js';
import { Topics, type DeadLetter, type RawFrame } from '../schemas/avro/index.js';
import { DecoderPool } from './pool.js';
import { assertFeedEqualsClickHouse, readFeed } from './feed-testing.js';
import { Pipeline, type DeviceContextSource } from './pipeline.js';
import type { DeviceContext } from '../decoders/protocol-decoder.js';
import { dayStart, loadProfileFrame, READINGS_PER_FRAME } from '../decoders/dlms/samples.js';

const DEVICES = 12;
const DAYS = 3;
const EXPECTED = DEVICES * DAYS * READINGS_PER_FRAME;

let dir: string;
let pool: DecoderPool;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'hes-pipeline-'));
  pool = new DecoderPool({ threads: 2 });
});
after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Good frames for every device-day plus four bad ones: truncated wire, a wrong APDU, not Avro at all, and a
 * frame without a decoding context (its decoder asks for the device's registry context, which names none).
 */
async function publish(bus: Bus, store: SchemaStore): Promise<void> {
  const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
  const producer = await bus.producer();
  const messages: BusMessage[] = [];
  for (let day = 1; day <= DAYS; day++) for (let d = 1; d <= DEVICES; d++) messages.push({ key: deviceKey(d), value: serde.encode(loadProfileFrame(d, dayStart(day))) });
  const truncated = loadProfileFrame(99, dayStart(1));
  truncated.wire = truncated.wire.subarray(0, 500);
  truncated.wire.writeUInt16BE(492, 6);
  const wrongApdu = loadProfileFrame(98, dayStart(1));
  // GET-Response-Normal carrying a data-access-result (4 = object-undefined) instead of the buffer.
  wrongApdu.wire = Buffer.from('0001000100100005c401c10104', 'hex');
  const bare = loadProfileFrame(96, dayStart(1));
  bare.context = null;
  messages.push(
    { key: deviceKey(96), value: serde.encode(bare) },
    { key: deviceKey(99), value: serde.encode(truncated) },
    { key: deviceKey(98), value: serde.encode(wrongApdu) },
    { key: deviceKey(97), value: Buffer.from('{"not":"avro"}') },
  );
  await producer.send(Topics.rawFrames, messages);
  await producer.close();
}

const FRAMES = DEVICES * DAYS + 4;
const DEAD_LETTERS = 4;

/** Runs the pipeline until it has taken every frame and stored every reading; returns the dead letters. */
async function runUntilStored(pipeline: Pipeline, engine: ClickHouseEngine, bus: Bus, store: SchemaStore, deadLetters: number): Promise<DeadLetter[]> {
  const running = pipeline.run();
  const letters: DeadLetter[] = [];
  let reading: Promise<void> = Promise.resolve();
  if (deadLetters > 0) {
    const serde = await AvroSerde.create<DeadLetter>(store, Topics.deadLetters, 'dead-letter');
    const dl = await bus.consumer({ groupId: 'dead-letter-reader', topics: [Topics.deadLetters] });
    reading = dl.run(async (b) => {
      for (const m of b.messages) letters.push(await serde.decode(m.value));
      if (letters.length >= deadLetters) void dl.stop();
    });
  }
  for (let i = 0; i < 600; i++) {
    const [{ n }] = (await engine.query<{ n: number }>('SELECT count() AS n FROM readings')) as [{ n: number }];
    const frames = (await pipeline.metrics.framesIn.get()).values[0]?.value ?? 0;
    if (Number(n) >= EXPECTED && frames >= FRAMES) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await reading;
  await pipeline.stop();
  await running;
  return letters;
}

async function assertExactlyOnce(engine: ClickHouseEngine): Promise<void> {
  const [row] = await engine.query<{ n: number; keys: number; final: number }>(
    'SELECT count() AS n, uniqExact(device_id, obis, ts) AS keys, (SELECT count() FROM readings FINAL) AS final FROM readings',
  );
  assert.deepEqual({ n: Number(row!.n), keys: Number(row!.keys), final: Number(row!.final) }, { n: EXPECTED, keys: EXPECTED, final: EXPECTED });
  const [first] = await engine.query<Record<string, unknown>>(
    "SELECT device_id, archive, obis, reading_type, ts, raw, value, unit, quality, device_tz FROM readings WHERE device_id = 1 AND obis = '1.0.1.8.0.255' ORDER BY ts LIMIT 1",
  );
  assert.equal(first!.archive, 'profile-15min');
  assert.equal(first!.reading_type, '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0');
  assert.equal(first!.unit, 'Wh');
  assert.equal(first!.quality, 3);
  assert.equal(first!.device_tz, 60);
  assert.equal(first!.value, Number(first!.raw));
  assert.equal(new Date(`${String(first!.ts)}Z`).getTime(), dayStart(DAYS), 'first interval of the oldest day, UTC');
}

/** Reads `hes.readings` and checks it equals the table: every stored reading, none more, same values and names. */
async function assertPublishedReadings(bus: Bus, store: SchemaStore, engine: ClickHouseEngine, names?: (num: number) => { serial: string; projectId: string } | null): Promise<void> {
  const feed = await readFeed(bus, store, EXPECTED);
  assert.equal(feed.messages, EXPECTED, 'each reading once (no crash, no replay)');
  await assertFeedEqualsClickHouse(feed, engine, names);
  const sample = [...feed.readings.values()].find((r) => r.deviceId === 5 && r.obis === '1.0.3.8.0.255')!;
  assert.equal(sample.serverTime, loadProfileFrame(5, sample.timestamp - (sample.timestamp % 86_400_000)).receivedAt, 'serverTime is when the frame was received');
}

/** The registry's names of the test devices (device 96 unknown), as a context source gives them. */
const testNames = (num: number): { serial: string; projectId: string } | null => (num === 96 ? null : { serial: `SN${String(num).padStart(6, '0')}`, projectId: num % 2 ? 'utility-odd' : 'utility-even' });

function namedDevices(): DeviceContextSource {
  const context = (num: number): DeviceContext | null => {
    const n = testNames(num);
    return n && { num, ...n, profile: null, protocol: null, secrets: {}, overrides: {} };
  };
  return { cached: () => undefined, load: async (nums) => new Map(nums.map((n) => [n, context(n)])) };
}

function assertDeadLetters(letters: DeadLetter[]): void {
  const byKey = new Map(letters.map((l) => [l.key?.toString(), l]));
  assert.equal(letters.length, DEAD_LETTERS, JSON.stringify(letters.map((l) => l.reason)));
  assert.deepEqual([byKey.get('96')!.stage, byKey.get('96')!.deviceId, byKey.get('96')!.protocol], ['decode', 96, 'dlms']);
  assert.match(byKey.get('96')!.reason, /registry knows no such device/);
  assert.equal(byKey.get('99')!.stage, 'decode');
  assert.equal(byKey.get('99')!.errorCode, 'DLMS_ERR_LENGTH');
  assert.match(byKey.get('99')!.reason, /rows .* cannot fit|exceeds/);
  assert.equal(byKey.get('98')!.errorCode, 'DLMS_ERR_TAG');
  assert.match(byKey.get('98')!.reason, /expected a GET-Response-Normal/);
  assert.equal(byKey.get('97')!.stage, 'envelope');
  assert.match(byKey.get('97')!.reason, /Confluent wire format/);
  assert.equal(byKey.get('97')!.deviceId, null);
  assert.equal(byKey.get('97')!.message.toString(), '{"not":"avro"}');
}

test('embedded: frames on the durable log → pool → chDB exactly once; bad frames → dead letters', async () => {
  const bus = new EmbeddedBus({ dir: join(dir, 'embedded-bus') });
  const engine = new ChdbEngine(join(dir, 'embedded-ch'));
  const store = new LocalSchemaStore(join(dir, 'embedded-schemas.json'));
  try {
    await migrate(engine);
    await publish(bus, store);
    // The registry's view of the devices: asked once for the device whose frame needs it, then cached.
    const loads: number[][] = [];
    const cache = new Map<number, DeviceContext | null>();
    const devices: DeviceContextSource = {
      cached: (num) => cache.get(num),
      load: async (nums) => {
        loads.push(nums);
        for (const n of nums) cache.set(n, null);
        return new Map(nums.map((n) => [n, null]));
      },
    };
    const reasons: string[] = [];
    const pipeline = new Pipeline({ bus, engine, schemas: store, pool, maxBatchFrames: 7, publishReadings: true, devices, onDeadLetter: (r) => reasons.push(r) });
    assertDeadLetters(await runUntilStored(pipeline, engine, bus, store, DEAD_LETTERS));
    // The service log's burst counter is told each dead letter's reason.
    assert.deepEqual(reasons.sort(), ['decode dlms DLMS_ERR_LENGTH', 'decode dlms DLMS_ERR_TAG', 'decode dlms DLMS_ERR_VALUE', 'envelope']);
    // With the feed on, every device of a batch is looked up once (its serial and project go on the feed).
    assert.deepEqual(loads.flat().sort((x, y) => x - y), [...Array.from({ length: DEVICES }, (_, i) => i + 1), 96, 97, 98, 99]);
    const errors = await pipeline.metrics.registry.getSingleMetric('hes_pipeline_decode_errors_total')!.get();
    assert.deepEqual(errors.values.map((v) => [v.labels.stage, v.labels.protocol, v.labels.code, v.value]).sort(), [
      ['decode', 'dlms', 'DLMS_ERR_LENGTH', 1], ['decode', 'dlms', 'DLMS_ERR_TAG', 1], ['decode', 'dlms', 'DLMS_ERR_VALUE', 1], ['envelope', '', '', 1],
    ]);
    await assertExactlyOnce(engine);
    await assertPublishedReadings(bus, store, engine);
    assert.equal((await pipeline.metrics.registry.getSingleMetric('hes_pipeline_readings_out_total')!.get()).values[0]!.value, EXPECTED);
    // Replaying the whole topic with a fresh group inserts the same batches: the dedup tokens drop them.
    const replay = new Pipeline({ bus, engine, schemas: store, pool, maxBatchFrames: 7, groupId: 'replay' });
    await runUntilStored(replay, engine, bus, store, 0);
    await assertExactlyOnce(engine);
  } finally {
    await bus.close();
    await engine.close();
  }
});

let cluster: MockCluster;
let endpoint: ChdbHttpEndpoint;
test('Kafka: frames on the mock cluster → pool → @clickhouse/client → chDB HTTP endpoint exactly once', async () => {
  cluster = await startMockCluster([
    { name: Topics.rawFrames, partitions: 4 },
    { name: Topics.deadLetters, partitions: 1 },
    { name: Topics.readings, partitions: 4 },
  ]);
  const chdb = new ChdbEngine(join(dir, 'kafka-ch'));
  endpoint = await startChdbHttpEndpoint(chdb.session);
  const engine = new ServerEngine({ url: endpoint.url });
  const bus = new KafkaBus({ brokers: cluster.brokers, sessionTimeoutMs: 6000 });
  const store = new LocalSchemaStore(join(dir, 'kafka-schemas.json'));
  try {
    await bus.createTopics([{ name: Topics.rawFrames, partitions: 4 }, { name: Topics.deadLetters, partitions: 1 }, { name: Topics.readings, partitions: 4 }]);
    const migrations = readdirSync(new URL('../schemas/clickhouse/', import.meta.url)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    assert.deepEqual(await migrate(engine), migrations);
    assert.deepEqual(await migrate(engine), [], 'migrations apply once');
    await publish(bus, store);
    const pipeline = new Pipeline({ bus, engine, schemas: store, pool, maxBatchFrames: 10, publishReadings: true, devices: namedDevices() });
    assertDeadLetters(await runUntilStored(pipeline, engine, bus, store, DEAD_LETTERS));
    await assertExactlyOnce(engine);
    await assertPublishedReadings(bus, store, engine, testNames);
  } finally {
    await bus.close();
    await engine.close();
    await endpoint.close();
    await chdb.close();
    await cluster.stop();
  }
});
