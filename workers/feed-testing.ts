/**
 * The `hes.readings` feed against the `readings` table, for the tests of the pipeline and its crash tests:
 * what an MDM consuming the feed sees must be what ClickHouse holds for the same frames.
 */
import assert from 'node:assert/strict';
import type { Bus } from '../bus/types.js';
import type { ClickHouseEngine } from '../sinks/clickhouse/engine.js';
import { AvroSerde, type SchemaStore } from '../schemas/registry/index.js';
import { Topics, type Reading } from '../schemas/avro/index.js';
import { feedKey } from './reading-messages.js';

/** A reading's identity: the table's key (device, archive, OBIS, tariff, time). */
const identity = (r: { deviceId: number; archive: string; obis: string; tariff: number; timestamp: number }): string =>
  `${r.deviceId}|${r.archive}|${r.obis}|${r.tariff}|${r.timestamp}`;

export interface Feed {
  /** Each distinct reading once (the last copy; copies of a replayed batch are identical). */
  readings: Map<string, Reading>;
  /** Messages read, copies included (a batch replayed after a crash is published again: at least once). */
  messages: number;
}

/**
 * Reads `hes.readings` from the beginning with a fresh group until `distinct` different readings came and
 * the topic is quiet for a moment (copies after a crash arrive too), or 60 s passed. Checks every key.
 */
export async function readFeed(bus: Bus, store: SchemaStore, distinct: number, groupId = 'mdm'): Promise<Feed> {
  const serde = await AvroSerde.create<Reading>(store, Topics.readings, 'reading');
  const readings = new Map<string, Reading>();
  let messages = 0;
  const consumer = await bus.consumer({ groupId, topics: [Topics.readings], maxBatchMessages: 5000 });
  const giveUp = setTimeout(() => void consumer.stop(), 60_000);
  let quiet: NodeJS.Timeout | undefined;
  await consumer.run(async (b) => {
    for (const m of b.messages) {
      const r = { ...(await serde.decode(m.value)) };
      assert.equal(m.key?.toString(), feedKey(r.projectId ?? '', r.deviceId), 'keyed <projectId>/<deviceId>');
      readings.set(identity(r), r);
      messages++;
    }
    clearTimeout(quiet);
    if (readings.size >= distinct) quiet = setTimeout(() => void consumer.stop(), 500);
  });
  clearTimeout(giveUp);
  clearTimeout(quiet);
  return { readings, messages };
}

/**
 * Every reading in the table is on the feed with the same values, and the feed carries none the table
 * lacks. `names` gives the serial and project the feed should carry per device (absent: empty).
 */
export async function assertFeedEqualsClickHouse(feed: Feed, engine: ClickHouseEngine, names: (deviceId: number) => { serial: string; projectId: string } | null = () => null): Promise<void> {
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT toString(device_id) AS deviceId, archive, obis, reading_type, tariff, toUnixTimestamp(ts) AS ts, toString(raw) AS raw, scaler, unit, quality,
            device_status, device_tz, source, toUnixTimestamp(collected_at) AS collected
       FROM readings FINAL`,
  );
  const table = new Map<string, Omit<Reading, 'serverTime'>>();
  for (const row of rows) {
    const deviceId = Number(row.deviceId);
    const raw = Number(row.raw);
    const scaler = Number(row.scaler);
    const n = names(deviceId);
    const r = {
      deviceId, archive: String(row.archive), obis: String(row.obis), readingType: String(row.reading_type), tariff: Number(row.tariff), timestamp: Number(row.ts) * 1000,
      value: scaler < 0 ? raw / 10 ** -scaler : raw * 10 ** scaler, unit: String(row.unit), quality: Number(row.quality), deviceStatus: Number(row.device_status),
      deviceTzMinutes: Number(row.device_tz), serverTz: 'UTC', source: String(row.source), collectedAt: Number(row.collected) * 1000,
      serial: n?.serial ?? '', projectId: n?.projectId ?? '', scaler,
    };
    table.set(identity(r), r);
  }
  const onFeedOnly = [...feed.readings.keys()].filter((k) => !table.has(k));
  const missing = [...table.keys()].filter((k) => !feed.readings.has(k));
  assert.deepEqual({ onFeedOnly: onFeedOnly.slice(0, 5), missing: missing.slice(0, 5), count: feed.readings.size }, { onFeedOnly: [], missing: [], count: table.size });
  for (const [k, expected] of table) {
    // serverTime is not a column: when the frame was received, checked by the tests that know it.
    const { serverTime, ...got } = feed.readings.get(k)!;
    assert.ok(serverTime > 0);
    assert.deepEqual(got, expected);
  }
}
