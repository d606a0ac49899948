import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import avsc from 'avsc';
import { EmbeddedBus } from '../bus/embedded/index.js';
import { partitionOfKey, recordAt } from '../bus/framed.js';
import { avroType, schemaText, Topics, type Reading } from '../schemas/avro/index.js';
import { ReadingsBlock } from './readings-block.js';
import { encodeReadingFeed, feedKey, type FeedDevice } from './reading-messages.js';

let dir: string;
let engine: ChdbEngine;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hes-block-'));
  engine = new ChdbEngine(join(dir, 'ch'));
  await migrate(engine);
});
after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  deviceId: number; archive: string; obis: string; readingType: string; tariff: number; ts: number; raw: number; scaler: number;
  unit: string; quality: number; deviceStatus: number; deviceTz: number; source: string; collectedAt: number; retentionDays: number;
}

/**
 * Values at the edges of each column's type: 64-bit ids and values past 2^32, negatives, UTF-8 text. A row
 * with a short retention lies in the future, so the table's TTL cannot drop it during the test.
 */
const EDGES: Row[] = [
  { deviceId: 1, archive: 'profile-15min', obis: '1.0.1.8.0.255', readingType: '0.0.2.4.1.1.12.0.0.0.0.0.0.0.0.3.72.0', tariff: 0, ts: 1_700_000_000, raw: 0, scaler: 0, unit: 'Wh', quality: 3, deviceStatus: 0, deviceTz: 60, source: 'POLL', collectedAt: 1_700_000_100, retentionDays: 0 },
  { deviceId: 2 ** 40 + 7, archive: 'current', obis: '1.0.32.7.0.255', readingType: '', tariff: 4, ts: 1_700_000_900, raw: -123_456, scaler: -1, unit: 'V', quality: 1, deviceStatus: 255, deviceTz: -300, source: 'PUSH', collectedAt: 1_700_001_000, retentionDays: 65535 },
  { deviceId: 2 ** 52 + 5, archive: 'daily', obis: '1.0.2.8.1.255', readingType: 'x', tariff: 1, ts: 4_000_000_000, raw: 2 ** 52 + 3, scaler: 2, unit: 'м³', quality: 15, deviceStatus: 17, deviceTz: 0, source: 'IMPORT', collectedAt: 4_000_000_001, retentionDays: 30 },
  { deviceId: 3, archive: 'daily', obis: '1.0.2.8.1.255', readingType: 'x', tariff: 2, ts: 4_000_000_000, raw: -(2 ** 40) - 1, scaler: -3, unit: 'м³', quality: 2, deviceStatus: 1, deviceTz: 180, source: 'MANUAL', collectedAt: 1_700_000_000, retentionDays: 1 },
];

function fill(block: ReadingsBlock, rows: Row[]): void {
  for (const r of rows) {
    block.add(
      r.deviceId, block.textId('archive', r.archive), block.textId('obis', r.obis), block.textId('reading_type', r.readingType), r.tariff, r.ts, r.raw, r.scaler,
      block.textId('unit', r.unit), r.quality, r.deviceStatus, r.deviceTz, block.textId('source', r.source), r.collectedAt, r.retentionDays,
    );
  }
}

async function stored(): Promise<Row[]> {
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT toString(device_id) AS deviceId, archive, obis, reading_type AS readingType, tariff, toUnixTimestamp(ts) AS ts, toString(raw) AS raw, scaler, unit,
            quality, device_status AS deviceStatus, device_tz AS deviceTz, source, toUnixTimestamp(collected_at) AS collectedAt, retention_days AS retentionDays
     FROM readings ORDER BY device_id, ts, obis`,
  );
  return rows.map((r) => ({
    deviceId: Number(r.deviceId), archive: String(r.archive), obis: String(r.obis), readingType: String(r.readingType), tariff: Number(r.tariff), ts: Number(r.ts),
    raw: Number(r.raw), scaler: Number(r.scaler), unit: String(r.unit), quality: Number(r.quality), deviceStatus: Number(r.deviceStatus), deviceTz: Number(r.deviceTz),
    source: String(r.source), collectedAt: Number(r.collectedAt), retentionDays: Number(r.retentionDays),
  }));
}

const byKey = (a: Row, b: Row) => a.deviceId - b.deviceId || a.ts - b.ts || a.obis.localeCompare(b.obis);

test('Native block: every column type round-trips through ClickHouse, including 64-bit and negative values', async () => {
  await engine.exec('TRUNCATE TABLE readings');
  const block = new ReadingsBlock(1); // grows from one row
  fill(block, EDGES);
  assert.equal(block.count, EDGES.length);
  await engine.insertNative('readings', block.encode(), { insert_deduplicate: 0 });
  assert.deepEqual(await stored(), [...EDGES].sort(byKey));
});

test('Native block: more than 256 dictionary values switch to 16-bit indexes; a cleared block is reused with its ids', async () => {
  await engine.exec('TRUNCATE TABLE readings');
  const block = new ReadingsBlock(16);
  const many: Row[] = Array.from({ length: 300 }, (_, i) => ({ ...EDGES[0]!, deviceId: 10 + i, obis: `1.0.${i}.8.0.255` }));
  fill(block, many);
  await engine.insertNative('readings', block.encode(), { insert_deduplicate: 0 });
  assert.deepEqual(await stored(), many);

  // After clear() the dictionaries stay (ids already handed out remain valid); only new rows are encoded.
  const obisId = block.textId('obis', many[5]!.obis);
  block.clear();
  assert.equal(block.count, 0);
  assert.equal(block.textId('obis', many[5]!.obis), obisId);
  await engine.exec('TRUNCATE TABLE readings');
  fill(block, EDGES.slice(0, 2));
  await engine.insertNative('readings', block.encode(), { insert_deduplicate: 0 });
  assert.deepEqual(await stored(), EDGES.slice(0, 2).sort(byKey));
});

test('hes.readings feed: keyed by project/device, placed by partition, Confluent framing and the same Avro bytes avsc writes', async () => {
  const block = new ReadingsBlock(2);
  // Device 1 twice in a row (one run) and again later (a second run of the same device).
  const rows = [...EDGES, EDGES[0]!];
  fill(block, rows);
  const serverTimes = Float64Array.from(rows, (_, i) => 1_700_000_000_123 + i);
  const names = new Map<number, FeedDevice>([[1, { serial: 'SN-0001', projectId: 'utility-a' }], [2 ** 40 + 7, { serial: 'Zähler 7', projectId: 'utility-b' }], [2 ** 52 + 5, null]]);
  const partitions = 3;
  const framed = encodeReadingFeed(block.columns(), serverTimes, { schemaId: 42, partitions, device: (num) => names.get(num), now: 1_800_000_000_000 });
  const type = avroType('reading');
  assert.equal(framed.recordStart.length, rows.length + 1);
  assert.equal(framed.partStart.length, partitions + 1);
  assert.equal(framed.partStart[partitions], rows.length);
  const seen: { partition: number; key: string; reading: Reading }[] = [];
  for (let p = 0; p < partitions; p++) {
    for (let i = framed.partStart[p]!; i < framed.partStart[p + 1]!; i++) {
      const { key, value, timestamp } = recordAt(framed, i);
      assert.equal(timestamp, 1_800_000_000_000);
      assert.equal(value[0], 0, 'magic byte');
      assert.equal(value.readUInt32BE(1), 42, 'schema id');
      assert.equal(partitionOfKey(key!, partitions), p, 'each record in its key\'s partition');
      seen.push({ partition: p, key: key!.toString(), reading: { ...(type.fromBuffer(value.subarray(5)) as Reading) } });
      // Byte-exact against avsc.
      assert.deepEqual(value.subarray(5), type.toBuffer(seen[seen.length - 1]!.reading));
    }
  }
  const expected = rows.map((r, i) => {
    const n = names.get(r.deviceId) ?? null;
    const reading: Reading = {
      deviceId: r.deviceId, archive: r.archive, obis: r.obis, readingType: r.readingType, tariff: r.tariff, timestamp: r.ts * 1000,
      value: r.scaler < 0 ? r.raw / 10 ** -r.scaler : r.raw * 10 ** r.scaler, unit: r.unit, quality: r.quality, deviceStatus: r.deviceStatus,
      deviceTzMinutes: r.deviceTz, serverTime: serverTimes[i]!, serverTz: 'UTC', source: r.source, collectedAt: r.collectedAt * 1000,
      serial: n?.serial ?? '', projectId: n?.projectId ?? '', scaler: r.scaler,
    };
    return { key: feedKey(n?.projectId ?? '', r.deviceId), reading };
  });
  // Every reading once; a device's readings keep their order within its partition.
  const order = (x: { key: string; reading: Reading }) => `${x.key} ${x.reading.timestamp} ${x.reading.obis} ${x.reading.tariff}`;
  assert.deepEqual(seen.map(({ key, reading }) => ({ key, reading })).sort((a, b) => order(a).localeCompare(order(b))), expected.sort((a, b) => order(a).localeCompare(order(b))));
  assert.equal(seen.find((x) => x.reading.deviceId === 2 ** 40 + 7)!.reading.value, -12345.6);
  assert.equal(seen.find((x) => x.reading.deviceId === 3)!.key, '/3', 'a device the registry does not know: empty project');

  // The embedded log takes the records as they are, stamps offsets, and reads them back (also after a restart).
  const busDir = join(dir, 'feed-bus');
  let bus = new EmbeddedBus({ dir: busDir, fsync: 'never' });
  await bus.createTopics([{ name: Topics.readings, partitions }]);
  const producer = await bus.producer();
  await producer.sendFramed(Topics.readings, framed);
  await producer.send(Topics.readings, [{ key: Buffer.from('utility-a/1'), value: Buffer.from('plain record after framed ones') }]);
  await bus.close();
  bus = new EmbeddedBus({ dir: busDir, fsync: 'never' });
  try {
    const consumed: { partition: number; offset: number; key: string; value: Buffer }[] = [];
    const consumer = await bus.consumer({ groupId: 'feed-test', topics: [Topics.readings] });
    const running = consumer.run(async (batch) => {
      for (const m of batch.messages) consumed.push({ partition: batch.partition, offset: m.offset, key: m.key!.toString(), value: m.value });
      if (consumed.length === rows.length + 1) void consumer.stop();
    });
    await running;
    for (let p = 0; p < partitions; p++) {
      const mine = consumed.filter((c) => c.partition === p);
      assert.deepEqual(mine.map((c) => c.offset), mine.map((_, i) => i), 'offsets 0, 1, 2, ... per partition');
    }
    const values = consumed.filter((c) => c.value[0] === 0).map((c) => ({ key: c.key, reading: { ...(type.fromBuffer(c.value.subarray(5)) as Reading) } }));
    assert.deepEqual(values.sort((a, b) => order(a).localeCompare(order(b))), expected);
    assert.ok(consumed.some((c) => c.value.toString() === 'plain record after framed ones'));
  } finally {
    await bus.close();
  }
});

test('reading.avsc evolves compatibly: a record of the previous schema reads with the new one, names and scaler defaulted', () => {
  const current = JSON.parse(schemaText('reading')) as { fields: { name: string }[] };
  const previous = avsc.Type.forSchema({ ...current, fields: current.fields.slice(0, current.fields.findIndex((f) => f.name === 'collectedAt') + 1) } as avsc.Schema);
  const old = {
    deviceId: 7, archive: 'current', obis: '1.0.1.8.0.255', readingType: '', tariff: 0, timestamp: 1_700_000_000_000, value: 1.5, unit: 'Wh', quality: 3,
    deviceStatus: 0, deviceTzMinutes: 60, serverTime: 1_700_000_000_001, serverTz: 'UTC', source: 'POLL', collectedAt: 1_700_000_000_002,
  };
  const type = avroType('reading');
  const read = { ...(type.fromBuffer(previous.toBuffer(old), type.createResolver(previous)) as Reading) };
  assert.deepEqual(read, { ...old, serial: '', projectId: '', scaler: 0 });
});
