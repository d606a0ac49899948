import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChdbEngine } from '../sinks/clickhouse/engine.js';
import { migrate } from '../sinks/clickhouse/migrate.js';
import { avroType, type Reading } from '../schemas/avro/index.js';
import { ReadingsBlock } from './readings-block.js';
import { encodeReadingMessages } from './reading-messages.js';

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

test('hes.readings messages: Confluent framing and the same Avro bytes avsc writes, value = raw × 10^scaler', () => {
  const block = new ReadingsBlock(2);
  fill(block, EDGES);
  const serverTimes = Float64Array.from(EDGES, (_, i) => 1_700_000_000_123 + i);
  const { data, bounds, deviceIds } = encodeReadingMessages(block.columns(), serverTimes, 42);
  const type = avroType('reading');
  assert.equal(bounds.length, EDGES.length + 1);
  EDGES.forEach((r, i) => {
    const message = Buffer.from(data.subarray(bounds[i]!, bounds[i + 1]!));
    assert.equal(message[0], 0, 'magic byte');
    assert.equal(message.readUInt32BE(1), 42, 'schema id');
    const expected: Reading = {
      deviceId: r.deviceId, archive: r.archive, obis: r.obis, readingType: r.readingType, tariff: r.tariff, timestamp: r.ts * 1000,
      value: r.scaler < 0 ? r.raw / 10 ** -r.scaler : r.raw * 10 ** r.scaler, unit: r.unit, quality: r.quality, deviceStatus: r.deviceStatus,
      deviceTzMinutes: r.deviceTz, serverTime: serverTimes[i]!, serverTz: 'UTC', source: r.source, collectedAt: r.collectedAt * 1000,
    };
    assert.deepEqual(message.subarray(5), type.toBuffer(expected));
    assert.equal(deviceIds[i], r.deviceId);
  });
  assert.equal((type.fromBuffer(Buffer.from(data.subarray(bounds[1]! + 5, bounds[2]!))) as Reading).value, -12345.6);
});
