/**
 * Streaming validation in the pipeline: raw DLMS load-profile frames on the embedded log, decoded in the
 * pool, stored in chDB and validated batch by batch with the gap, spike and clock rules; a device-day missing between
 * two stored days is a gap on each of its registers, and the same stored readings re-validated give the
 * same failures.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../../bus/embedded/index.js';
import { deviceKey, type BusMessage } from '../../bus/types.js';
import { AvroSerde, LocalSchemaStore } from '../../schemas/registry/index.js';
import { Topics, type RawFrame } from '../../schemas/avro/index.js';
import { DecoderPool } from '../../workers/pool.js';
import { Pipeline } from '../../workers/pipeline.js';
import { dayStart, loadProfileFrame, READINGS_PER_FRAME } from '../../decoders/dlms/samples.js';
import { testWarehouse } from '../clickhouse/testing.js';
import { parseRules } from './rules.js';
import { StreamingValidator } from './streaming.js';
import { revalidate, validationFailures } from './store.js';

const engine = testWarehouse('vee-pipeline');
const dir = mkdtempSync(join(tmpdir(), 'hes-vee-pipeline-'));
const pool = new DecoderPool({ threads: 1 });
after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

test('every stored batch is validated; a missing device-day is a gap on each register', async () => {
  const bus = new EmbeddedBus({ dir: join(dir, 'bus'), fsync: 'interval' });
  const store = new LocalSchemaStore(join(dir, 'schemas.json'));
  const serde = await AvroSerde.create<RawFrame>(store, Topics.rawFrames, 'raw-frame');
  const messages: BusMessage[] = [];
  // device 3 misses its second day
  for (let day = 3; day >= 1; day--) for (let d = 1; d <= 4; d++) if (!(d === 3 && day === 2)) messages.push({ key: deviceKey(d), value: serde.encode(loadProfileFrame(d, dayStart(day))) });
  const producer = await bus.producer();
  await producer.send(Topics.rawFrames, messages);
  await producer.close();
  // the rules of devices 1..4; others are not validated. The sample registers restart each day (their
  // first value is not the previous day's last), which the default rules would report as decreases.
  const rules = parseRules([{ code: 'gap', severity: 'warning' }, { code: 'spike', severity: 'warning' }, { code: 'clock', severity: 'warning' }]);
  const validator = new StreamingValidator(engine, { rules: async () => (num) => (num <= 4 ? rules : undefined) });
  // batches of 2 frames: validation crosses batch boundaries on the state it keeps
  const pipeline = new Pipeline({ bus, engine, schemas: store, pool, maxBatchFrames: 2, concurrency: 1, validator });
  const running = pipeline.run();
  const total = messages.length * READINGS_PER_FRAME;
  while (((await pipeline.metrics.readingsOut.get()).values[0]?.value ?? 0) < total) await new Promise((r) => setTimeout(r, 10));
  await pipeline.stop();
  await running;
  await bus.close();
  assert.deepEqual(validator.totals.readings, total);
  const streamed = (await validationFailures(engine, [1, 2, 3, 4], { limit: 100, offset: 0 })).items;
  const gapAt = new Date(dayStart(1) + 0).toISOString().replace('.000Z', '');
  assert.deepEqual(streamed.map((f) => [f.deviceNum, f.code, f.archive, f.ts.replace('.000Z', '')]), ['1.0.1.8.0.255', '1.0.2.8.0.255', '1.0.3.8.0.255', '1.0.4.8.0.255'].map(() => [3, 'gap', 'profile-15min', gapAt]));
  assert.match(streamed[0]!.detail, /^96 intervals missing after /);
  // re-validation of what is stored finds the same
  const from = Math.floor(dayStart(3) / 1000);
  const r = await revalidate(engine, [1, 2, 3, 4], from, Math.floor(dayStart(0) / 1000) + 86_400, rules, Date.now());
  assert.deepEqual([r.failures, r.cleared], [4, 0]);
});
