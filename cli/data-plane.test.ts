/**
 * The data plane of `hes start` configured for servers: Kafka (librdkafka's mock cluster) and a ClickHouse
 * server over HTTP (chDB's HTTP interface stands in for it). Frames handed to the scheduler's sink — a load
 * profile, a journal — arrive in ClickHouse through the bus and the decoder pool; states go to the registry;
 * with `kafka.publishReadings` every stored reading is also on `hes.readings`; the banner line names the
 * services without credentials; close() stops everything.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeApdu } from '../decoders/dlms/apdu/index.js';
import { dateTimeFromUtcMs, encodeDateTime } from '../decoders/dlms/axdr/datetime.js';
import { startMockCluster } from '../bus/kafka/mock-cluster.js';
import { loadConfig } from '../config/index.js';
import { createDevice, createProject } from '../registry/project-data.js';
import { openTestDb } from '../registry/testing.js';
import { Topics, type Reading } from '../schemas/avro/index.js';
import { AvroSerde } from '../schemas/registry/index.js';
import { PipelineSink } from '../scheduler/pipeline-sink.js';
import { deviceEvents, measurements } from '../scheduler/readings.js';
import { deviceStates } from '../scheduler/states.js';
import type { DeviceTarget } from '../scheduler/reader.js';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { startChdbHttpEndpoint } from '../sinks/clickhouse/http-endpoint.js';
import { dayStart, LOAD_PROFILE_CONTEXT, loadProfileWire } from '../decoders/dlms/samples.js';
import { openDataPlane } from './data-plane.js';

test('Kafka and a ClickHouse server by configuration: frames through bus and pool into ClickHouse', { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hes-data-plane-'));
  // librdkafka's mock cluster cannot create topics after start: the ones the HES creates on a real cluster are made here.
  const cluster = await startMockCluster([{ name: Topics.rawFrames, partitions: 4 }, { name: Topics.deadLetters, partitions: 1 }, { name: Topics.events, partitions: 1 }, { name: Topics.readings, partitions: 4 }, { name: Topics.wireFrames, partitions: 4 }]);
  const chdb = new ChdbEngine(join(dir, 'server-ch'));
  const server = await startChdbHttpEndpoint(chdb.session);
  const t = await openTestDb('pglite');
  try {
    const config = loadConfig({
      env: { HES_CLICKHOUSE_PASSWORD: 'not-in-the-banner' },
      overrides: { dataDir: join(dir, 'hes'), decoderThreads: 1, kafka: { brokers: cluster.brokers, partitions: 4, publishReadings: true }, clickhouse: { url: server.url, user: 'default' } },
    });
    const errors: string[] = [];
    const data = await openDataPlane(config, (m) => errors.push(m));
    assert.equal(data.summary, `bus: Kafka ${cluster.brokers.join(',')}, ClickHouse: ${new URL(server.url).origin}, decoder threads: 1, readings published to hes.readings, session frames (received) published to hes.frames.wire`);
    const shipped = readdirSync(fileURLToPath(new URL('../schemas/clickhouse/', import.meta.url))).filter((f) => f.endsWith('.sql')).sort();
    assert.deepEqual((await chdb.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).map((r) => r.name), shipped);

    const projectId = String((await createProject(t.db, { name: 'P' }, null)).id);
    const d = await createDevice(t.db, projectId, { serialNumber: '1', type: 'CE308' });
    const [{ num }] = (await t.db.query<{ num: string }>('SELECT num FROM devices WHERE id = $1', [d.id])).rows as [{ num: string }];
    const device: DeviceTarget = { id: String(d.id), num: Number(num), projectId, serialNumber: '1', type: 'CE308' };
    const sink = await PipelineSink.create({ db: t.db, bus: data.bus, schemas: data.schemas });
    const day = dayStart(2);
    const profile = loadProfileWire(7, day).subarray(8); // the APDU inside the wrapper
    const time = (ms: number) => ({ type: 'octet-string' as const, value: encodeDateTime(dateTimeFromUtcMs(ms, -180, 0)) });
    const journal = encodeApdu({
      type: 'get-response-normal', invokeIdAndPriority: 0xc1,
      result: { type: 'data', value: { type: 'array', value: [{ type: 'structure', value: [time(day + 60_000), { type: 'long-unsigned', value: 1 }] }] } },
    });
    const context = { ...LOAD_PROFILE_CONTEXT, archive: 'profile-15', journal: null, eventCodes: null };
    const journalContext = {
      archive: 'events', retentionDays: 0, deviceTzMinutes: 180, source: 'POLL' as const, journal: 'power-on-off', eventCodes: 'power',
      captureObjects: [LOAD_PROFILE_CONTEXT.captureObjects[0]!, { classId: 1, obis: '0.0.96.11.2.255', attribute: 2, dataIndex: 0, scaler: 0, unit: '', readingType: null, tariff: 0 }],
    };
    await sink.write(device, { kind: 'measurement', item: { archive: 'profile-15' } }, [], [{ frameId: 's/0', sessionId: 's', apdu: profile, receivedAt: day + 86_400_000, context }]);
    await sink.write(device, { kind: 'events', journals: [] }, [], [{ frameId: 's/1', sessionId: 's', apdu: journal, receivedAt: day + 86_400_000, context: journalContext }]);
    await sink.write(device, { kind: 'state', archive: 'state-info' }, [{ code: 'firmware-version', value: '12.1.0' }]);
    await assert.rejects(sink.write(device, { kind: 'measurement', item: { archive: 'current' } }, [{ code: '1.0.1.8.0.255', value: 1 }]), /a reader must hand over raw frames/);

    let stored = 0;
    for (let i = 0; i < 600 && stored < 384; i++) {
      stored = (await measurements(data.engine, device.num, { archive: 'profile-15', limit: 1, offset: 0 })).total;
      if (stored < 384) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(stored, 384);
    // kafka.publishReadings: the HES created hes.readings and every stored reading went there once, keyed by project and device.
    const serde = await AvroSerde.create<Reading>(data.schemas, Topics.readings, 'reading');
    const published = new Set<string>();
    const consumer = await data.bus.consumer({ groupId: 'mdm', topics: [Topics.readings], maxBatchMessages: 1000 });
    const giveUp = setTimeout(() => void consumer.stop(), 60_000);
    await consumer.run(async (b) => {
      for (const m of b.messages) {
        const r = await serde.decode(m.value);
        // Opened without the registry: the feed cannot name the device (empty project and serial).
        assert.equal(m.key?.toString(), `/${device.num}`);
        assert.deepEqual([r.serial, r.projectId], ['', '']);
        published.add(`${r.obis} ${r.timestamp}`);
      }
      if (published.size >= 384) void consumer.stop();
    });
    clearTimeout(giveUp);
    assert.equal(published.size, 384);
    let events = await deviceEvents(data.engine, device.num, { limit: 10, offset: 0 });
    for (let i = 0; i < 100 && !events.total; i++) {
      await new Promise((r) => setTimeout(r, 100));
      events = await deviceEvents(data.engine, device.num, { limit: 10, offset: 0 });
    }
    assert.deepEqual(events.items.map((e) => [e.journal, e.code, e.name, e.deviceTime]), [['power-on-off', 1, 'power off', new Date(day + 60_000).toISOString()]]);
    assert.deepEqual((await deviceStates(t.db, projectId, device.id, { limit: 10, offset: 0 }, false)).items.map((s) => [s.code, s.value]), [['firmware-version', '12.1.0']]);
    await sink.close();
    await data.close();
    assert.deepEqual(errors, []);
  } finally {
    await t.drop();
    await server.close();
    await chdb.close();
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
